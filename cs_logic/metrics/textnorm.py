"""Text folding and tokenising that treat Latin, Cyrillic and Arabic/Persian comments alike."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from itertools import pairwise

# Arabic-script variants unified to the Persian letter a Persian reader types (the usual Persian
# search normalisation: Hazm, Parsivar); digits of both Indic sets to ASCII; tatweel dropped.
_SCRIPT_MAP = str.maketrans({
    "\u064a": "\u06cc", "\u0649": "\u06cc",              # Arabic yeh, alef maksura -> Persian yeh
    "\u0643": "\u06a9",                                  # Arabic kaf -> keheh
    "\u0629": "\u0647", "\u06c0": "\u0647",              # teh marbuta, heh with yeh above -> heh
    "\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",  # alef forms
    "\u0624": "\u0648",                                  # waw with hamza -> waw
    "\u0640": None,                                      # tatweel
    "\u200c": " ", "\u200d": None, "\u200f": None, "\u200e": None,  # ZWNJ separates words; marks
    "\u2019": "'", "\u02bc": "'", "\u2018": "'",         # apostrophes (Belarusian uses U+02BC)
    "\u0142": "l", "\u00f8": "o", "\u0111": "d", "\u00e6": "ae", "\u0153": "oe", "\u0131": "i",
    **{chr(0x06F0 + i): str(i) for i in range(10)},      # Persian digits
    **{chr(0x0660 + i): str(i) for i in range(10)},      # Arabic-Indic digits
})
# Harakat, superscript alef and Quranic marks: vowel signs a search must ignore.
_HARAKAT = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
# Accents are removed only when they sit on a Latin letter: Cyrillic й and ў keep their breve.
_LATIN_MARKS = re.compile("(?<=[A-Za-z])[\u0300-\u036f]+")
_TOKEN = re.compile(r"\w+(?:'\w+)*")
_RTL = re.compile("[\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def fold(text: object) -> str:
    """Text folded for matching: NFKC, casefold, Latin accents off, Arabic/Persian variants unified.

    >>> fold("Não"), fold("يك كتاب"), fold("Ўсё")
    ('nao', 'یک کتاب', 'ўсё')
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    s = unicodedata.normalize("NFKC", str(text)).casefold()
    if s.isascii():
        return s
    s = _HARAKAT.sub("", s.translate(_SCRIPT_MAP))
    s = _LATIN_MARKS.sub("", unicodedata.normalize("NFD", s))
    return unicodedata.normalize("NFC", s)


def words(text: object) -> list[str]:
    """Every word of the folded text, numbers and one-letter words included (for search indexes).

    >>> words("Não recebi 2 itens!")
    ['nao', 'recebi', '2', 'itens']
    """
    return _TOKEN.findall(fold(text))


def tokens(text: object, drop_stop: bool = False) -> list[str]:
    """Word tokens of the folded text, without numbers-only and one-letter tokens.

    Parameters
    ----------
    text : any text (None and NaN give []).
    drop_stop : also drop the words in :data:`STOP_WORDS`.

    >>> tokens("I didn't get my 2 orders", drop_stop=True)
    ['orders']
    """
    out = [t for t in _TOKEN.findall(fold(text)) if len(t) > 1 and not t.replace("'", "").isdigit()]
    return [t for t in out if t not in STOP_WORDS] if drop_stop else out


def bigrams(toks: list[str]) -> list[str]:
    """Adjacent pairs of tokens joined by a space.

    >>> bigrams(["reset", "my", "password"])
    ['reset my', 'my password']
    """
    return [f"{a} {b}" for a, b in pairwise(toks)]


def content_terms(text: object) -> tuple[list[str], list[str]]:
    """Content words and two-word phrases of a text: stop words dropped, phrases never span one.

    >>> content_terms("the delivery was very late, late delivery")
    (['delivery', 'late', 'late', 'delivery'], ['late late', 'late delivery'])
    """
    toks = tokens(text)
    kept = [t for t in toks if t not in STOP_WORDS]
    pairs = [f"{a} {b}" for a, b in pairwise(toks) if a not in STOP_WORDS and b not in STOP_WORDS]
    return kept, pairs


def rtl_share(text: object) -> float:
    """Share of the letters of ``text`` that are Arabic-script or Hebrew (0.0 with no letters).

    >>> rtl_share("سلام ok")
    0.6666666666666666
    """
    letters = [c for c in str(text or "") if c.isalpha()]
    return sum(1 for c in letters if _RTL.match(c)) / len(letters) if letters else 0.0


def is_rtl(text: object, threshold: float = 0.5) -> bool:
    """Whether a text reads right to left (more than ``threshold`` of its letters are RTL).

    >>> is_rtl("کتاب خوب"), is_rtl("good book")
    (True, False)
    """
    return rtl_share(text) > threshold


def _folded(words_: Iterable[str]) -> frozenset[str]:
    return frozenset(t for w in words_ for t in _TOKEN.findall(fold(w)))


STOP_WORDS_EN = _folded("""
a about above after again against ago all almost also although always am among an and another any anyone
anything are aren around as at back be became because become been before being below between both but by
can cannot cant could couldn did didn do does doesn doing don done down during each either else even ever
every few for from further get gets getting got had hadn has hasn have haven having he her here hers herself
him himself his how however i i'm i've i'd i'll if in into is isn it it's its itself just let like ll made
make many may me might more most much must my myself need never no nor not now of off often on once one
only or other others our ours ourselves out over own per quite rather re really said same say see seem she
should shouldn since so some something still such take than that that's the their theirs them themselves
then there there's these they they're thing things think this those though through thus to too under until
up upon us use used very via ve was wasn way we well were weren what what's when where whether which while
who whom whose why will with within without won would wouldn yes yet you you're you've your yours yourself
yourselves don't didn't doesn't can't won't isn't wasn't aren't couldn't wouldn't
""".split())

STOP_WORDS_PT = _folded("""
a à às ao aos aquela aquelas aquele aqueles aquilo as até com como contra da das de dela delas dele deles
depois desde do dos e é ela elas ele eles em entre era eram éramos essa essas esse esses esta está estamos
estão estas estava estavam este estes esteve estive estou eu foi fomos for foram fosse fossem fui há haja
hei isso isto já lá lhe lhes mais mas me mesma mesmo meu meus minha minhas muita muitas muito muitos na não
nas nem no nos nós nossa nossas nosso nossos num numa o os ou para pela pelas pelo pelos per pois por porque
pra pro qual quais quando que quem se seja sejam sem ser será serão seu seus sido só sob sobre somos sou sua
suas também tão te tem têm temos tenha tenho ter teu teus teve tinha tinham tive toda todas todo todos tu tua
tuas tudo um uma umas uns vai vão você vocês vos aí ainda algo alguém algum alguma assim aqui bem cada coisa
então estar fazer foi havia hoje isso lo la mim onde outra outro outros porém qualquer seria ser ti vez
""".split())

STOP_WORDS_RU = _folded("""
а без более больше будет будто бы был была были было быть в вам вас вдруг ведь во вот впрочем все всегда
всего всех всю вы где да даже два для до другой его ее ей ему если есть еще ж же за зачем здесь и из или им
иногда их к как какая какой когда конечно кто куда ли лучше между меня мне много может можно мой моя мы на
над надо наконец нас не него нее ней нельзя нет ни нибудь никогда ним них ничего но ну о об один он она они
опять от перед по под после потом потому почти при про раз разве с сам свою себе себя сейчас со совсем так
такой там тебя тем теперь то тогда того тоже только том тот три тут ты у уж уже хоть чего чем через что
чтоб чтобы чуть эти этого этой этом этот эту я это мои мое твой ваш наш свой весь вся всё очень так также
""".split())

STOP_WORDS_BE = _folded("""
а аб або адзін ад але амаль б без бо больш будзе быў была былі было быць быццам вам вас ведама вельмі вось
вы гэта гэтай гэтага гэтым гэты гэтыя гэту да дзе для для два до ёй ён ёсць ж жа за зараз зноў з за і ім
іх іншы калі каб каля куды лепш мае маё мая мне мной можа можна мой мы на над навошта нават нас наш не няма
нельга ні нічога ніколі ну ня па пад пакуль паміж пасля перад потым пра праз пры раз раптам сабе сам
сваю свой сябе таго тады так такі таксама там таму тое той толькі тры ты тым тут ты у ў ужо усё ўсё усе
ўсе усім усіх ўсіх усю хоць хто цяпер ці цябе чаго чаму чым што шмат я яго яе ён яна яно яны які якая
якое якія ёсць хіба аднак часам крыху заўсёды паміж сапраўды ваш іхні наша ваша мяне мяне тыя гэтае
""".split())

STOP_WORDS_FA = _folded("""
و در به از که این را با است برای آن یک خود تا کرد بر هم نیز شد می ها های شده کند کنند دارد باید بود
بودن شود ای اما یا هر ما من تو او شما آنها ایشان همه چه چون اگر پس نه بی همین آنچه دیگر ولی بسیار باشد
باشند داشت داشته کرده کنیم کنید کردم کردند شدن شدند شدم هست نیست هستند بین روی زیر پیش بعد قبل مثل چند
حتی فقط هیچ وقتی چرا چطور چگونه کجا کی آیا توسط درباره طور عنوان سوی بدون زمان اینکه آنکه خیلی الان اکنون
حالا همچنین البته یعنی هنوز باز دیگری نمی ام اید اند ایم بوده بودم شوند شوم شما را مرا تورا اش شان تان مان
دارم داریم دارند کنم کرد کردن گفت گفته آنجا اینجا چیزی کسی همه چنین چنان زیرا ولی لطفا هم
""".split())

STOP_WORDS: frozenset[str] = STOP_WORDS_EN | STOP_WORDS_PT | STOP_WORDS_RU | STOP_WORDS_BE | STOP_WORDS_FA
