"""Deterministic generator of the demo portfolio: accounts, usage, tickets, surveys, orders, deals.

Run ``python data/make_demo.py`` to rewrite the CSV files next to this script, or
``python data/make_demo.py --out DIR`` to write them elsewhere. The same seed always gives the same
bytes: there is no wall clock (the as-of date is fixed) and every random draw comes from one seeded
``numpy.random.Generator`` per table.

The story the data tells (see README.md in this folder):
1. usage falls over the two to three months before an account churns;
2. one rep's book (``HIGH_CHURN_REP``) churns about 30% against 10-14% for the others;
3. detractors complain about slow support and billing errors, promoters praise ease of use and reports.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

SEED = 20261031
AS_OF = date(2026, 10, 31)
HISTORY_START = date(2025, 5, 1)  # 18 months of history: May 2025 .. October 2026
N_ACCOUNTS = 500
FILES = ("accounts.csv", "usage.csv", "tickets.csv", "surveys.csv", "orders.csv", "deals.csv")

REPS = ("Ana Ribeiro", "Daniel Kim", "Sara Ahmadi", "James Carter",
        "Priya Nair", "Lucas Ferreira", "Emma Schultz", "Marcus Reed")
HIGH_CHURN_REP = "Marcus Reed"
# Share of each rep's book that churns over the 18 months (the quota is exact, the accounts are drawn).
REP_CHURN_SHARE = {"Ana Ribeiro": 0.11, "Daniel Kim": 0.13, "Sara Ahmadi": 0.12, "James Carter": 0.14,
                   "Priya Nair": 0.12, "Lucas Ferreira": 0.13, "Emma Schultz": 0.125, "Marcus Reed": 0.30}
REP_BOOK_WEIGHT = {r: (0.15 if r == HIGH_CHURN_REP else 0.85 / 7) for r in REPS}
AGENTS = ("Nina Volkova", "Omid Rahimi", "Carla Souza", "Tom Becker", "Aisha Bello", "Kevin Liu")

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
PLANS = ("Basic", "Pro", "Enterprise")
PLAN_BY_SEGMENT = {"SMB": (0.60, 0.35, 0.05), "Mid-Market": (0.20, 0.60, 0.20),
                   "Enterprise": (0.0, 0.30, 0.70)}
PRICE_PER_SEAT = {"Basic": 15.0, "Pro": 32.0, "Enterprise": 55.0}
CONTRACT_BY_SEGMENT = {"SMB": (0.55, 0.40, 0.05), "Mid-Market": (0.25, 0.60, 0.15),
                       "Enterprise": (0.05, 0.55, 0.40)}

# Attribute ratings (1-5): (mean, effect on the 0-10 NPS answer per rating point). Reliability and
# support drive NPS most; support also has the lowest mean, so it lands in "Fix first".
RATINGS = {
    "rating_ease_of_use": (4.0, 0.25),
    "rating_support": (3.2, 0.85),
    "rating_value": (3.4, 0.40),
    "rating_reliability": (3.9, 0.90),
    "rating_onboarding": (3.7, 0.15),
}
NPS_INTERCEPT = 8.05
SURVEY_WAVES = (date(2025, 7, 7), date(2025, 10, 6), date(2026, 1, 12),
                date(2026, 4, 6), date(2026, 7, 6), date(2026, 10, 5))


# ----------------------------------------------------------------------------------------------
# Company names


EN_FIRST = ("Northwind", "Bluefin", "Cedar", "Summit", "Harbor", "Ironwood", "Brightline", "Silverleaf",
            "Redstone", "Oakridge", "Clearwater", "Pinecrest", "Granite", "Lakeshore", "Evergreen", "Falcon",
            "Maple", "Riverbend", "Sterling", "Horizon", "Copperfield", "Westgate", "Highland", "Sunrise",
            "Bayside", "Keystone", "Crescent", "Foxglove", "Meridian", "Arrowhead", "Beacon", "Juniper",
            "Kestrel", "Larkspur", "Nimbus", "Orchard", "Quarry", "Tidewater", "Vantage", "Willow")
EN_SECOND = (("Logistics", "Logistics"), ("Freight", "Logistics"), ("Health", "Healthcare"),
             ("Medical Group", "Healthcare"), ("Analytics", "Software"), ("Software", "Software"),
             ("Labs", "Software"), ("Foods", "Food & Beverage"), ("Coffee Co.", "Food & Beverage"),
             ("Capital", "Financial Services"), ("Insurance", "Financial Services"),
             ("Academy", "Education"), ("Learning", "Education"), ("Hotels", "Hospitality"),
             ("Outfitters", "Retail"), ("Market", "Retail"), ("Home Goods", "Retail"),
             ("Manufacturing", "Manufacturing"), ("Works", "Manufacturing"), ("Builders", "Construction"),
             ("Consulting", "Professional Services"), ("Partners", "Professional Services"),
             ("Legal LLP", "Professional Services"))
EN_SUFFIX = ("", "", "", " Inc.", " LLC", " Ltd")
PT_TYPE = (("Padaria", "Food & Beverage"), ("Restaurante", "Hospitality"), ("Pousada", "Hospitality"),
           ("Construtora", "Construction"), ("Farmácia", "Healthcare"), ("Clínica", "Healthcare"),
           ("Transportadora", "Logistics"), ("Distribuidora", "Retail"), ("Mercado", "Retail"),
           ("Escola", "Education"), ("Contabilidade", "Professional Services"),
           ("Metalúrgica", "Manufacturing"), ("Tecnologia", "Software"))
PT_NAME = ("São João", "Boa Vista", "Horizonte", "Estrela do Sul", "Ipê Amarelo", "Bela Vista", "Nova Era",
           "Sol Nascente", "Três Irmãos", "Santa Luzia", "Aurora", "Primavera", "Vale Verde", "Porto Seguro",
           "Mar Azul", "Serra Azul", "Bom Jesus", "Girassol", "Recanto", "Pão de Açúcar")
PT_SUFFIX = ("", "", " Ltda", " Ltda.", " S.A.")
FA_TYPE = (("شرکت", "Professional Services"), ("فروشگاه", "Retail"), ("گروه صنعتی", "Manufacturing"),
           ("بازرگانی", "Logistics"), ("کلینیک", "Healthcare"), ("آموزشگاه", "Education"),
           ("هتل", "Hospitality"),
           ("حمل و نقل", "Logistics"), ("شرکت نرم‌افزاری", "Software"), ("رستوران", "Hospitality"),
           ("داروخانه", "Healthcare"), ("ساختمانی", "Construction"))
FA_NAME = ("آریا", "پارس", "سپهر", "البرز", "کوروش", "مهر", "نوین", "آسمان", "دماوند", "زاگرس", "ستاره",
           "کیان", "آفتاب", "نگین", "پرشیا", "ارغوان", "سروش", "آرمان")


def _company(rng: np.random.Generator, lang: str) -> tuple[str, str]:
    """One (name, industry) in the given language."""
    if lang == "pt":
        kind, industry = PT_TYPE[rng.integers(len(PT_TYPE))]
        name = PT_NAME[rng.integers(len(PT_NAME))]
        text = f"{name} {kind}" if kind == "Tecnologia" else f"{kind} {name}"
        return text + PT_SUFFIX[rng.integers(len(PT_SUFFIX))], industry
    if lang == "fa":
        kind, industry = FA_TYPE[rng.integers(len(FA_TYPE))]
        return f"{kind} {FA_NAME[rng.integers(len(FA_NAME))]}", industry
    second, industry = EN_SECOND[rng.integers(len(EN_SECOND))]
    text = f"{EN_FIRST[rng.integers(len(EN_FIRST))]} {second}"
    suffix = "" if second.endswith((".", "LLP")) else EN_SUFFIX[rng.integers(len(EN_SUFFIX))]
    return text + suffix, industry


def _region(rng: np.random.Generator, lang: str) -> str:
    if lang == "fa":
        return "Middle East"
    if lang == "pt":
        return "Latin America" if rng.random() < 0.8 else "Europe"
    return str(rng.choice(("North America", "Europe", "APAC", "Latin America"), p=(0.5, 0.3, 0.17, 0.03)))


# ----------------------------------------------------------------------------------------------
# Accounts


@dataclass
class Account:
    """One generated account; dates are proleptic ordinals (``date.toordinal()``)."""

    account_id: str
    name: str
    lang: str
    owner: str
    segment: str
    plan: str
    region: str
    industry: str
    start: int
    seats: int
    revenue: float
    onboarding: bool
    contract_months: int
    integrations: int
    end: int | None = None
    health: float = 0.0
    at_risk: bool = False

    @property
    def churned(self) -> bool:
        return self.end is not None

    def last_active(self) -> int:
        """Last day the account used the product (the day before cancellation, or the as-of date)."""
        return (self.end - 1) if self.end is not None else AS_OF.toordinal()

    def first_active(self) -> int:
        """First day inside the history window."""
        return max(self.start, HISTORY_START.toordinal())


def _seats(rng: np.random.Generator, segment: str) -> int:
    centre, sigma, low, high = {"SMB": (10, 0.5, 2, 40), "Mid-Market": (55, 0.45, 20, 200),
                                "Enterprise": (300, 0.6, 120, 2500)}[segment]
    return int(np.clip(round(rng.lognormal(np.log(centre), sigma)), low, high))


def _new_account(rng: np.random.Generator, i: int, names: set[str]) -> Account:
    lang = str(rng.choice(("en", "pt", "fa"), p=(0.66, 0.20, 0.14)))
    name, industry = _company(rng, lang)
    while name in names:
        name, industry = _company(rng, lang)
    names.add(name)
    segment = str(rng.choice(SEGMENTS, p=(0.55, 0.30, 0.15)))
    plan = str(rng.choice(PLANS, p=PLAN_BY_SEGMENT[segment]))
    seats = _seats(rng, segment)
    revenue = max(49.0, round(seats * PRICE_PER_SEAT[plan] * rng.uniform(0.78, 1.05), 2))
    if rng.random() < 0.72:  # already a customer when the history starts
        start = int(rng.integers(date(2021, 1, 4).toordinal(), HISTORY_START.toordinal()))
    else:
        start = int(rng.integers(HISTORY_START.toordinal(), date(2026, 9, 30).toordinal()))
    return Account(
        account_id=f"ACC-{i:04d}", name=name, lang=lang,
        owner=str(rng.choice(REPS, p=[REP_BOOK_WEIGHT[r] for r in REPS])),
        segment=segment, plan=plan, region=_region(rng, lang), industry=industry, start=start,
        seats=seats, revenue=revenue, onboarding=bool(rng.random() < 0.82),
        contract_months=int(rng.choice((1, 12, 24), p=CONTRACT_BY_SEGMENT[segment])),
        integrations=int(min(8, rng.poisson({"SMB": 1.0, "Mid-Market": 2.5, "Enterprise": 4.0}[segment]))),
    )


def _churn_risk(a: Account) -> float:
    """Relative odds of being one of the churners (drivers a health score can pick up)."""
    log_odds = (1.3 * (not a.onboarding) + 0.9 * (a.contract_months == 1) + 0.4 * (a.segment == "SMB")
                - 0.6 * (a.segment == "Enterprise") + 0.5 * (a.integrations == 0))
    return float(np.exp(log_odds))


def _choose_churners(rng: np.random.Generator, accounts: list[Account]) -> None:
    """Give each rep's book its exact churn quota and an end date for each churner."""
    latest_start = AS_OF.toordinal() - 155  # leaves 120+ days of usage before any end date
    for rep in REPS:
        book = [a for a in accounts if a.owner == rep]
        eligible = [a for a in book if a.start <= latest_start]
        quota = min(len(eligible), round(REP_CHURN_SHARE[rep] * len(book)))
        weights = np.array([_churn_risk(a) for a in eligible])
        picks = rng.choice(len(eligible), size=quota, replace=False, p=weights / weights.sum())
        for k in sorted(int(p) for p in picks):
            a = eligible[k]
            low = max(HISTORY_START.toordinal() + 120, a.start + 150)
            a.end = int(rng.integers(low, AS_OF.toordinal() - 2))


def _set_health(rng: np.random.Generator, accounts: list[Account]) -> None:
    """A latent satisfaction per account; some active accounts are at risk now (usage falling)."""
    for a in accounts:
        a.health = float(rng.normal(0.0, 0.8) - 1.1 * a.churned + 0.3 * a.onboarding)
        if not a.churned and a.start < AS_OF.toordinal() - 200:
            a.at_risk = bool(rng.random() < (0.14 if a.owner == HIGH_CHURN_REP else 0.06))
            a.health -= 0.7 * a.at_risk


def make_accounts(rng: np.random.Generator) -> list[Account]:
    """The portfolio of ``N_ACCOUNTS`` accounts with owners, churners and latent health."""
    names: set[str] = set()
    accounts = [_new_account(rng, i + 1, names) for i in range(N_ACCOUNTS)]
    _choose_churners(rng, accounts)
    _set_health(rng, accounts)
    return accounts


def account_rows(accounts: list[Account]) -> list[list[object]]:
    header = ["account_id", "account_name", "owner", "segment", "plan", "region", "industry", "start_date",
              "end_date", "churned", "revenue", "seats", "onboarding_completed", "contract_months",
              "integrations"]
    rows: list[list[object]] = [header]
    for a in accounts:
        rows.append([a.account_id, a.name, a.owner, a.segment, a.plan, a.region, a.industry, _d(a.start),
                     _d(a.end) if a.end else "", "Yes" if a.churned else "No", f"{a.revenue:.2f}", a.seats,
                     "Yes" if a.onboarding else "No", a.contract_months, a.integrations])
    return rows


# ----------------------------------------------------------------------------------------------
# Usage: one row per account per active day


def _usage_level(rng: np.random.Generator, a: Account, days: np.ndarray) -> np.ndarray:
    """Relative usage level per day: growth, onboarding ramp, holidays, and the decline before churn."""
    growth = rng.normal(0.0, 0.08) if a.churned else rng.normal(0.12, 0.15)
    level = np.maximum(0.3, 1.0 + growth * (days - HISTORY_START.toordinal()) / 365.0)
    level *= np.clip(0.25 + 0.75 * (days - a.start) / 60.0, 0.25, 1.0)
    for year in (2025, 2026):
        holiday = (days >= date(year, 12, 22).toordinal()) & (days <= date(year, 12, 31).toordinal())
        level[holiday] *= 0.45
    if a.end is not None:
        span, floor = rng.uniform(80, 110), rng.uniform(0.12, 0.30)
        level *= 1.0 - (1.0 - floor) * np.clip((days - (a.end - span)) / span, 0.0, 1.0)
    elif a.at_risk:
        span, floor = rng.uniform(60, 100), rng.uniform(0.40, 0.60)
        level *= 1.0 - (1.0 - floor) * np.clip((days - (AS_OF.toordinal() - span)) / span, 0.0, 1.0)
    return level


def usage_rows(rng: np.random.Generator, accounts: list[Account]) -> list[list[object]]:
    rows: list[list[object]] = [["account_id", "date", "events", "active_users"]]
    for a in accounts:
        days = np.arange(a.first_active(), a.last_active() + 1)
        level = _usage_level(rng, a, days)
        adoption = float(np.clip(rng.uniform(0.35, 0.85) + 0.08 * a.health, 0.15, 0.95))
        users = max(1, round(a.seats * adoption))
        daily_share = rng.uniform(0.45, 0.8)
        per_user = rng.uniform(6.0, 20.0)
        weekend = (days + 6) % 7 >= 5
        busy = float(np.clip(0.55 + 0.12 * np.log(a.seats), 0.5, 0.98))
        p_active = busy * (0.35 + 0.65 * np.minimum(level, 1.0))
        p_active = np.where(weekend, 0.12 * p_active, p_active)
        active = rng.random(days.size) < p_active
        share = np.clip(daily_share * level * np.where(weekend, 0.25, 1.0), 0.02, 1.0)
        active_users = np.maximum(1, rng.binomial(users, share))
        events = rng.poisson(active_users * per_user * (0.5 + 0.5 * np.minimum(level, 1.2)))
        for d, u, e in zip(days[active], active_users[active], events[active]):
            rows.append([a.account_id, _d(int(d)), int(max(e, 1)), int(u)])
    return rows


# ----------------------------------------------------------------------------------------------
# Tickets


# (topic, English wordings, Portuguese wording, Persian wording)
RECURRING = (
    ("Billing", ("How do I export my invoices?", "how to export invoices", "Can I export invoices to Excel?",
                 "Export invoice history as CSV?"),
     "Como exporto minhas faturas?", "چطور از فاکتورها خروجی بگیرم؟"),
    ("Login & access", ("How do I reset my password?", "password reset not working",
                        "Forgot password - can't get the reset email", "reset password link expired"),
     "Como redefinir minha senha?", "چطور رمز عبور را بازنشانی کنم؟"),
    ("Account management", ("How do I add a new user?", "add users to our account",
                            "Can I invite more team members?", "adding a colleague to the workspace"),
     "Como adicionar um novo usuário?", "چطور کاربر جدید اضافه کنم؟"),
    ("Billing", ("How do I change the billing address on invoices?", "update company address on invoice",
                 "We need our VAT number on the invoice"),
     "Como alterar o endereço de cobrança?", "تغییر آدرس روی صورتحساب"),
    ("Billing", ("We were charged twice this month", "double charge on credit card",
                 "Duplicate payment on our card - please refund"),
     "Cobrança em duplicidade no cartão", "مبلغ دو بار از کارت کسر شده است"),
    ("Integrations", ("Salesforce sync is not updating", "salesforce integration stopped syncing",
                      "Data from Salesforce not showing up"),
     "Integração com o Salesforce não sincroniza", "همگام‌سازی با Salesforce کار نمی‌کند"),
    ("Reporting", ("How do I schedule a weekly report?", "schedule report by email",
                   "Can reports be emailed automatically every Monday?"),
     "Como agendar um relatório semanal?", "چطور گزارش هفتگی را زمان‌بندی کنم؟"),
    ("Performance", ("Dashboard is very slow to load", "dashboards take forever to load",
                     "Slow loading on the reports page"),
     "O painel está muito lento", "داشبورد خیلی کند بارگذاری می‌شود"),
    ("Login & access", ("How do I set up SSO with Okta?", "SSO configuration help",
                        "Single sign-on with Azure AD?"),
     "Como configurar o SSO?", "راه‌اندازی ورود یکپارچه (SSO)"),
    ("Integrations", ("API returns 429 Too Many Requests", "hitting the API rate limit",
                      "What is the API rate limit?"),
     "Limite de requisições da API", "محدودیت تعداد درخواست‌های API"),
    ("Account management", ("How do I downgrade our plan?", "change plan to Basic",
                            "Can we reduce the number of seats?"),
     "Como mudar para um plano menor?", "چطور پلن را به پلن پایین‌تر تغییر دهم؟"),
    ("Data import", ("How do I import contacts from a CSV file?", "CSV import fails",
                     "import data from excel"),
     "Como importar contatos de um CSV?", "وارد کردن مخاطبین از فایل CSV"),
    ("Login & access", ("How do I turn on two-factor authentication?", "enable 2FA",
                        "Lost my phone, can't log in with 2FA"),
     "Como ativar a autenticação em dois fatores?", "فعال‌سازی ورود دو مرحله‌ای"),
    ("Configuration", ("How do I add a custom field?", "create custom fields on records",
                       "Can I add my own fields to the account page?"),
     "Como criar um campo personalizado?", "چطور فیلد سفارشی بسازم؟"),
    ("Data export", ("How do I export all our data?", "full data export request",
                     "Can we get a backup of all our data?"),
     "Como exportar todos os nossos dados?", "خروجی گرفتن از همه داده‌ها"),
)
RECURRING_WEIGHT = np.array([14, 12, 10, 6, 7, 8, 8, 7, 5, 5, 4, 6, 5, 5, 4], dtype=float)
ONE_OFF = (
    ("Bug", "Error {code} when saving {obj} '{name}'",
     "Saving fails with error {code}; it worked last week."),
    ("Reporting", "{Obj} '{name}' shows wrong totals for {month}",
     "The totals in {obj} '{name}' do not match our own numbers for {month}."),
    ("Bug", "Can't find {obj} '{name}' after the latest update",
     "Since the update we cannot find {obj} '{name}' anywhere in the menu."),
    ("Feature request", "Request: {feature} in {area}",
     "It would help our {team} team a lot to have {feature} in {area}."),
    ("Reporting", "Chart colours wrong in {obj} '{name}'",
     "Two series in {obj} '{name}' use the same colour."),
    ("Bug", "Filter on {area} ignores the date range",
     "When we filter {area} by {month} the list still shows older records."),
    ("Configuration", "Question about {feature} for our {team} team",
     "Our {team} team asked whether {feature} is possible and how to set it up."),
    ("Integrations", "Webhook to {tool} stopped firing on {month_day}",
     "Our webhook to {tool} has not fired since {month_day}; no error is shown."),
)
FILL = {
    "obj": ("dashboard", "report", "view", "playbook", "segment"),
    "name": ("Q3 pipeline", "EMEA renewals", "Board pack", "Weekly KPIs", "Churn watch", "Top 50 accounts",
             "Onboarding tracker", "LATAM expansion", "Support backlog", "Renewals 2026", "Exec summary",
             "Health overview", "Team targets", "Regional split", "Upsell list"),
    "code": ("500", "502", "403", "409", "E-1042", "E-2210", "E-3307", "timeout"),
    "feature": ("bulk editing", "a dark mode", "custom roles", "PDF export", "a Slack digest", "audit logs",
                "field-level permissions", "multi-currency totals", "a Persian calendar", "saved filters"),
    "area": ("the accounts list", "the ticket view", "reports", "the mobile app", "the admin console",
             "dashboards"),
    "team": ("finance", "sales", "support", "operations", "marketing", "management"),
    "tool": ("Slack", "HubSpot", "Zapier", "Microsoft Teams", "Jira", "Zendesk"),
}
GREETING = {"en": ("Hi team,", "Hello,", "Hi,", ""), "pt": ("Olá, equipe.", "Bom dia.", "Olá."),
            "fa": ("سلام،", "با سلام،", "وقت بخیر،")}
CLOSING = {"en": ("Thanks.", "Thank you!", "Regards.", ""),
           "pt": ("Obrigado!", "Obrigada.", "Aguardo retorno."),
           "fa": ("ممنون.", "با تشکر.", "منتظر پاسخ هستیم.")}
DETAIL = ("We need this for our month-end close.", "Could you help?", "Is there a guide for this?",
          "Several people on our team asked.", "It is blocking us today.", "")
PRIORITIES = ("Low", "Normal", "High", "Urgent")
FIRST_RESPONSE_MEDIAN_H = {"Low": 8.0, "Normal": 4.0, "High": 2.0, "Urgent": 0.7}
RESOLUTION_MEDIAN_H = {"Low": 60.0, "Normal": 36.0, "High": 20.0, "Urgent": 8.0}


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def _with_stop(text: str) -> str:
    return text if text.endswith(("?", ".", "!")) else text + "."


def _ticket_text(rng: np.random.Generator, lang: str) -> tuple[str, str, str]:
    """(topic, subject, body) of one ticket: a recurring question or a one-off issue."""
    if rng.random() < 0.6:
        which = int(rng.choice(len(RECURRING), p=RECURRING_WEIGHT / RECURRING_WEIGHT.sum()))
        topic, wordings, pt, fa = RECURRING[which]
        native = lang in ("pt", "fa") and rng.random() < 0.45
        if native:
            subject = pt if lang == "pt" else fa
            body = " ".join((_pick(rng, GREETING[lang]), subject, _pick(rng, CLOSING[lang])))
            return topic, subject, body
        subject = _pick(rng, wordings)
        parts = (_pick(rng, GREETING["en"]), _with_stop(subject), _pick(rng, DETAIL),
                 _pick(rng, CLOSING["en"]))
        return topic, subject, " ".join(p for p in parts if p)
    topic, subject, detail = ONE_OFF[int(rng.integers(len(ONE_OFF)))]
    month = date(2025, int(rng.integers(1, 13)), 1).strftime("%B")
    values = {k: _pick(rng, v) for k, v in FILL.items()}
    values.update(month=month, month_day=f"{month} {int(rng.integers(1, 29))}",
                  Obj=values["obj"].capitalize())
    parts = (_pick(rng, GREETING["en"]), detail.format(**values), _pick(rng, CLOSING["en"]))
    body = " ".join(p for p in parts if p)
    return topic, subject.format(**values), body


def _ticket_days(rng: np.random.Generator, a: Account, n: int) -> np.ndarray:
    lo, hi = a.first_active(), a.last_active()
    days = rng.integers(lo, hi + 1, size=n)
    if a.churned:  # half of a churner's tickets come in its last four months
        late = rng.random(n) < 0.5
        days[late] = rng.integers(max(lo, hi - 120), hi + 1, size=int(late.sum()))
    return np.sort(days)


def _ticket(rng: np.random.Generator, a: Account, day: int) -> dict[str, object]:
    strained = a.churned or a.at_risk
    mix = (0.12, 0.38, 0.35, 0.15) if strained else (0.30, 0.47, 0.18, 0.05)
    priority = str(rng.choice(PRIORITIES, p=mix))
    slow = 2.8 if a.churned else (1.6 if a.at_risk else 1.0)
    office_hours = rng.random() < 0.92  # a few tickets arrive out of hours, never on another day
    minute = int(rng.integers(7 * 60, 19 * 60) if office_hours else rng.integers(0, 24 * 60))
    created = datetime.fromordinal(day) + timedelta(minutes=minute)
    first = float(rng.lognormal(np.log(FIRST_RESPONSE_MEDIAN_H[priority] * slow), 0.9))
    resolution = float(rng.lognormal(np.log(RESOLUTION_MEDIAN_H[priority] * slow * 0.8), 0.8))
    resolution = max(first + 0.25, resolution)
    topic, subject, body = _ticket_text(rng, a.lang)
    return {"account": a, "created": created, "first": created + timedelta(minutes=round(first * 60)),
            "resolved": created + timedelta(minutes=round(resolution * 60)), "priority": priority,
            "channel": str(rng.choice(("Email", "Chat", "Phone", "Web form"), p=(0.42, 0.28, 0.12, 0.18))),
            "agent": _pick(rng, AGENTS), "topic": topic, "subject": subject, "body": body,
            "resolution_h": resolution, "csat_draw": (rng.random(), rng.normal(0.0, 0.7))}


def ticket_rows(rng: np.random.Generator, accounts: list[Account]) -> list[list[object]]:
    tickets = []
    for a in accounts:
        months = (a.last_active() - a.first_active() + 1) / 30.4
        rate = (0.25 + 0.09 * np.sqrt(a.seats)) * (1.7 if a.churned else (1.3 if a.at_risk else 1.0))
        for day in _ticket_days(rng, a, int(rng.poisson(rate * months))):
            tickets.append(_ticket(rng, a, int(day)))
    tickets.sort(key=lambda t: (t["created"], t["account"].account_id))  # type: ignore[union-attr]
    cutoff = datetime.fromordinal(AS_OF.toordinal()) + timedelta(hours=23, minutes=59)
    rows: list[list[object]] = [["ticket_id", "account_id", "created_at", "first_response_at",
                                 "resolved_at", "status", "priority", "channel", "agent", "topic",
                                 "subject", "body", "csat"]]
    for i, t in enumerate(tickets, start=1):
        first = t["first"] if t["first"] <= cutoff else None
        resolved = t["resolved"] if t["resolved"] <= cutoff else None
        if resolved is None:
            status = "Open" if first is None else "Pending"
        else:
            status = "Solved" if resolved > cutoff - timedelta(days=7) else "Closed"
        answered, noise = t["csat_draw"]
        csat = ""
        if resolved is not None and answered < 0.55:
            score = 4.6 - 0.45 * np.log2(1 + t["resolution_h"] / 24) - 0.6 * t["account"].churned + noise
            csat = int(np.clip(round(score), 1, 5))
        rows.append([f"TCK-{i:05d}", t["account"].account_id, _ts(t["created"]), _ts(first), _ts(resolved),
                     status, t["priority"], t["channel"], t["agent"], t["topic"], t["subject"], t["body"],
                     csat])
    return rows


# ----------------------------------------------------------------------------------------------
# Surveys


# Comments by (language, kind). Kinds: support / billing (the two detractor themes), other_bad,
# neutral, praise. Keywords of the themes: support|suporte|پشتیبانی|поддержк|падтрымк and
# billing|invoice|charged|fatura|cobran|صورتحساب|счет|рахун.
COMMENTS = {
    ("en", "support"): (
        "Support is far too slow to respond.",
        "Slow support response - we waited three days for an answer.",
        "Every ticket takes days before support gets back to us.",
        "Support response times are terrible lately.",
        "We wait too long for support to reply to urgent issues.",
        "Slow support. Nobody answers our tickets.",
    ),
    ("en", "billing"): (
        "Billing errors again - our invoice had the wrong amount.",
        "Invoice mistakes every month; we were charged for seats we removed.",
        "The billing is a mess, invoices keep arriving with wrong totals.",
        "Got charged twice and the invoice was wrong.",
        "Billing errors are wasting our finance team's time.",
        "Wrong invoice again. Fix your billing.",
    ),
    ("en", "other_bad"): (
        "Too expensive for what we use.",
        "Missing features we were promised at signup.",
        "The mobile app crashes often.",
        "Hard to justify the price this year.",
    ),
    ("en", "neutral"): (
        "Good product overall, a few rough edges.",
        "Does the job. Reports could be more flexible.",
        "Fine for now, we are still learning it.",
        "Support could be quicker but the product is solid.",
        "Works well, the price is a bit high.",
        "OK. Would like more integrations.",
    ),
    ("en", "praise"): (
        "Very easy to use, the whole team got going in a day.",
        "The reports are excellent and save us hours every week.",
        "Love the dashboards and how simple everything is.",
        "Easy to set up, and the reports are exactly what our managers need.",
        "Intuitive interface, our staff needed almost no training.",
        "The weekly reports are the best part.",
        "Simple, fast and easy to use.",
        "Great dashboards, easy for everyone to read.",
    ),
    ("pt", "support"): (
        "Suporte demorado, esperamos dias por uma resposta.",
        "O suporte é muito lento para responder.",
        "Suporte demorado demais nos chamados urgentes.",
        "Suporte demorado. Ninguém responde os chamados.",
    ),
    ("pt", "billing"): (
        "Erro na fatura de novo, cobraram o valor errado.",
        "Todo mês tem erro na fatura.",
        "Cobrança errada na fatura deste mês.",
        "Erro na fatura: cobraram licenças que cancelamos.",
    ),
    ("pt", "other_bad"): (
        "Caro demais para o que usamos.",
        "Faltam funcionalidades prometidas.",
    ),
    ("pt", "neutral"): (
        "Bom produto, mas pode melhorar.",
        "Atende, mas os relatórios poderiam ser mais flexíveis.",
        "Razoável, ainda estamos aprendendo.",
    ),
    ("pt", "praise"): (
        "Muito fácil de usar, a equipe aprendeu rápido.",
        "Os relatórios são ótimos e economizam horas.",
        "Sistema simples e intuitivo, adoramos os painéis.",
        "Fácil de usar e os relatórios são excelentes.",
    ),
    ("fa", "support"): (
        "پاسخگویی پشتیبانی کند است.",
        "پشتیبانی خیلی دیر جواب می‌دهد، چند روز منتظر ماندیم.",
        "پاسخگویی پشتیبانی کند است و درخواست‌های فوری معطل می‌مانند.",
        "پشتیبانی به تیکت‌ها دیر پاسخ می‌دهد.",
    ),
    ("fa", "billing"): (
        "خطا در صورتحساب، مبلغ اشتباه بود.",
        "هر ماه خطا در صورتحساب داریم.",
        "صورتحساب این ماه دوباره اشتباه صادر شد.",
        "خطا در صورتحساب؛ هزینه کاربران حذف‌شده را هم گرفتند.",
    ),
    ("fa", "other_bad"): (
        "قیمت برای امکاناتی که استفاده می‌کنیم زیاد است.",
        "امکاناتی که قول داده بودند هنوز نیامده.",
    ),
    ("fa", "neutral"): (
        "محصول خوبی است ولی جای بهتر شدن دارد.",
        "کار را انجام می‌دهد اما گزارش‌ها می‌توانند انعطاف‌پذیرتر باشند.",
        "بد نیست، هنوز در حال یادگیری هستیم.",
    ),
    ("fa", "praise"): (
        "کار با نرم‌افزار بسیار آسان است.",
        "گزارش‌ها عالی هستند و در وقت ما صرفه‌جویی می‌کنند.",
        "رابط کاربری ساده و روان است، تیم ما خیلی زود یاد گرفت.",
        "داشبوردها عالی و استفاده از آن‌ها آسان است.",
    ),
    ("ru", "support"): (
        "Поддержка отвечает очень медленно.",
        "Поддержка отвечает по несколько дней.",
    ),
    ("ru", "billing"): (
        "Ошибки в счетах каждый месяц.",
        "Снова ошибка в счете.",
    ),
    ("ru", "other_bad"): (
        "Слишком дорого.",
    ),
    ("ru", "neutral"): (
        "В целом нормально.",
        "Неплохо, но отчёты можно улучшить.",
    ),
    ("ru", "praise"): (
        "Очень удобно пользоваться, отчёты отличные.",
        "Простой и понятный интерфейс.",
    ),
    ("be", "support"): (
        "Падтрымка адказвае вельмі павольна.",
    ),
    ("be", "billing"): (
        "Памылкі ў рахунках кожны месяц.",
    ),
    ("be", "other_bad"): (
        "Занадта дорага.",
    ),
    ("be", "neutral"): (
        "Увогуле нармальна.",
    ),
    ("be", "praise"): (
        "Вельмі зручна, справаздачы выдатныя.",
    ),
}
EXTRA = {"en": ("Considering other tools.", "Please fix this.", "Otherwise fine.", "Thanks."),
         "pt": ("Estamos avaliando outras opções.", "Por favor, resolvam.", "Obrigado."),
         "fa": ("در حال بررسی گزینه‌های دیگر هستیم.", "لطفاً رسیدگی کنید.", "ممنون."),
         "ru": ("Спасибо.",), "be": ("Дзякуй.",)}


def _comment_lang(rng: np.random.Generator, lang: str) -> str:
    if lang in ("pt", "fa"):
        return lang if rng.random() < 0.85 else "en"
    draw = rng.random()
    return "ru" if draw < 0.015 else ("be" if draw < 0.022 else "en")


def _comment_kind(rng: np.random.Generator, nps: int, support: int) -> str | None:
    if nps <= 6:
        if rng.random() > 0.72:
            return None
        p = (0.60, 0.30, 0.10) if support <= 2 else (0.25, 0.60, 0.15)
        return str(rng.choice(("support", "billing", "other_bad"), p=p))
    if nps <= 8:
        return "neutral" if rng.random() < 0.5 else None
    if rng.random() > 0.6:
        return None
    draw = rng.random()  # a promoter rarely mentions support or billing, and then kindly
    return "praise" if draw < 0.97 else ("kind_support" if draw < 0.985 else "kind_billing")


KIND_WORDS = {"kind_support": "Support helped us quickly when we asked.",
              "kind_billing": "Billing question was sorted out fast."}


def _comment(rng: np.random.Generator, lang: str, nps: int, support: int) -> str:
    kind = _comment_kind(rng, nps, support)
    if kind is None:
        return ""
    if kind in KIND_WORDS:
        return KIND_WORDS[kind]
    text_lang = _comment_lang(rng, lang)
    text = _pick(rng, COMMENTS[(text_lang, kind)])
    if kind in ("support", "billing", "other_bad") and rng.random() < 0.35:
        text += " " + _pick(rng, EXTRA[text_lang])
    return text


def _survey_dates(rng: np.random.Generator, a: Account) -> list[tuple[int, str]]:
    rate = {"SMB": 0.55, "Mid-Market": 1.0, "Enterprise": 2.2}[a.segment]
    found = []
    for wave in SURVEY_WAVES:
        for _ in range(int(rng.poisson(rate))):
            day = wave.toordinal() + int(rng.integers(0, 21))
            if a.start <= day <= min(a.last_active(), AS_OF.toordinal()):
                found.append((day, "Quarterly NPS"))
    if a.start >= HISTORY_START.toordinal() and rng.random() < 0.5:
        day = a.start + int(rng.integers(30, 60))
        if day <= min(a.last_active(), AS_OF.toordinal()):
            found.append((day, "Post-onboarding"))
    return sorted(found)


def _survey(rng: np.random.Generator, a: Account, day: int) -> dict[str, object]:
    mood = a.health + rng.normal(0.0, 0.5) - 0.5 * (a.end is not None and a.end - day < 120)
    ratings = {}
    for name, (mean, _) in RATINGS.items():
        shift = -0.4 * (a.churned or a.at_risk) if name == "rating_support" else 0.0
        ratings[name] = int(np.clip(round(mean + 0.6 * mood + shift + rng.normal(0.0, 0.75)), 1, 5))
    effect = sum(beta * (ratings[n] - mean) for n, (mean, beta) in RATINGS.items())
    raw = NPS_INTERCEPT + effect + rng.normal(0.0, 1.1)
    nps = int(np.clip(round(raw), 0, 10))
    csat = int(np.clip(round(1.0 + 0.4 * nps + rng.normal(0.0, 0.6)), 1, 5))
    ces = int(np.clip(round(1.5 + 0.9 * ratings["rating_ease_of_use"] + rng.normal(0.0, 0.8)), 1, 7))
    return {"nps": nps, "csat": csat, "ces": ces, "ratings": ratings,
            "comment": _comment(rng, a.lang, nps, ratings["rating_support"])}


def survey_rows(rng: np.random.Generator, accounts: list[Account]) -> list[list[object]]:
    silent = {a.account_id for a in accounts if rng.random() < 0.18}  # accounts that never answer
    answers = []
    for a in accounts:
        if a.account_id in silent:
            continue
        for day, touchpoint in _survey_dates(rng, a):
            answers.append((day, a.account_id, touchpoint, _survey(rng, a, day)))
    answers.sort(key=lambda r: (r[0], r[1]))
    messy = rng.choice(len(answers), size=4, replace=False)  # 3 blank NPS answers and one "N/A"
    header = ["response_id", "account_id", "date", "touchpoint", "nps", "csat", "ces", "comment", *RATINGS]
    rows: list[list[object]] = [header]
    for i, (day, account_id, touchpoint, s) in enumerate(answers):
        nps: object = s["nps"]
        if i in messy[:3]:
            nps = ""
        elif i == messy[3]:
            nps = "N/A"
        rows.append([f"RSP-{i + 1:05d}", account_id, _d(day), touchpoint, nps, s["csat"], s["ces"],
                     s["comment"], *s["ratings"].values()])  # type: ignore[attr-defined]
    return rows


# ----------------------------------------------------------------------------------------------
# Orders (add-on purchases) and deals (pipeline)


# (product, unit price, most units in one order)
ADDONS = (("Extra seats (10-pack)", 150.0, 5), ("Premium support (annual)", 1200.0, 1),
          ("Training session", 400.0, 3), ("API add-on", 250.0, 2), ("Storage 100 GB", 60.0, 4),
          ("SSO add-on", 300.0, 1))
STAGES = ("Prospecting", "Qualification", "Proposal", "Negotiation")


def order_rows(rng: np.random.Generator, accounts: list[Account]) -> list[list[object]]:
    orders = []
    for a in accounts:
        if rng.random() > 0.30 + 0.12 * (a.health > 0) + 0.15 * (a.segment != "SMB"):
            continue
        count = 1 + int(rng.poisson(1.2 if a.health > 0 else 0.4))
        for day in rng.integers(a.first_active(), a.last_active() + 1, size=count):
            product, price, max_qty = ADDONS[int(rng.integers(len(ADDONS)))]
            qty = int(rng.integers(1, max_qty + 1))
            orders.append((int(day), a.account_id, product, qty, price * qty))
    orders.sort()
    rows: list[list[object]] = [["order_id", "account_id", "date", "amount", "product", "quantity"]]
    for i, (day, account_id, product, qty, amount) in enumerate(orders, start=1):
        rows.append([f"ORD-{i:05d}", account_id, _d(day), f"{amount:.2f}", product, qty])
    return rows


def _deal(rng: np.random.Generator, owner: str, account_id: str, created: int, win: float,
          product: str, amount: float) -> tuple[object, ...]:
    duration = int(np.clip(rng.lognormal(np.log(45), 0.6), 7, 200))
    won = rng.random() < win
    reached = 3 if won else int(rng.choice(4, p=(0.35, 0.30, 0.20, 0.15)))
    close = created + duration
    if close <= AS_OF.toordinal():
        stage, close_text = ("Won" if won else "Lost"), _d(close)
    else:
        elapsed = (AS_OF.toordinal() - created) / duration
        stage, close_text = STAGES[min(reached, int(4 * elapsed))], ""
    return (created, account_id, owner, product, stage, close_text, round(amount, -1))


def deal_rows(rng: np.random.Generator, accounts: list[Account]) -> list[list[object]]:
    deals = []
    for a in accounts:
        last = min(a.last_active() - 30, AS_OF.toordinal() - 3)
        for _ in range(int(rng.poisson({"SMB": 0.5, "Mid-Market": 0.9, "Enterprise": 1.5}[a.segment]))):
            if last <= a.first_active():
                break
            created = int(rng.integers(a.first_active(), last))
            product = str(rng.choice(("Extra seats", "Premium support", "Pro", "Enterprise", "Training")))
            amount = rng.lognormal(np.log(0.25 * 12 * a.revenue + 500), 0.5)
            win = 0.2 if a.churned else 0.5
            deals.append(_deal(rng, a.owner, a.account_id, created, win, product, amount))
    for _ in range(320):  # new prospects: no account yet
        recent = rng.random() < 0.4  # the pipeline has grown: many prospects are recent
        created = int(rng.integers(AS_OF.toordinal() - 150 if recent else HISTORY_START.toordinal(),
                                   AS_OF.toordinal() - 2))
        plan = str(rng.choice(PLANS, p=(0.45, 0.40, 0.15)))
        amount = rng.lognormal(np.log({"Basic": 3000, "Pro": 12000, "Enterprise": 60000}[plan]), 0.45)
        deals.append(_deal(rng, _pick(rng, REPS), "", created, 0.28, plan, amount))
    deals.sort(key=lambda d: (d[0], d[1], d[2]))
    rows: list[list[object]] = [["deal_id", "account_id", "owner", "product", "stage", "created_date",
                                 "close_date", "amount"]]
    for i, (created, account_id, owner, product, stage, close, amount) in enumerate(deals, start=1):
        rows.append([f"DEAL-{i:04d}", account_id, owner, product, stage, _d(int(created)), close,
                     f"{amount:.0f}"])
    return rows


# ----------------------------------------------------------------------------------------------
# Writing


def _d(ordinal: int | None) -> str:
    return date.fromordinal(ordinal).isoformat() if ordinal else ""


def _ts(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _write(path: Path, rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def write_demo(out_dir: Path, seed: int = SEED) -> dict[str, int]:
    """Write the six demo CSV files into ``out_dir`` and return their data row counts.

    >>> counts = write_demo(Path("/tmp/demo"))  # doctest: +SKIP
    >>> counts["accounts.csv"]  # doctest: +SKIP
    500
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(FILES))]
    accounts = make_accounts(streams[0])
    tables = {
        "accounts.csv": account_rows(accounts),
        "usage.csv": usage_rows(streams[1], accounts),
        "tickets.csv": ticket_rows(streams[2], accounts),
        "surveys.csv": survey_rows(streams[3], accounts),
        "orders.csv": order_rows(streams[4], accounts),
        "deals.csv": deal_rows(streams[5], accounts),
    }
    for name, rows in tables.items():
        _write(out_dir / name, rows)
    return {name: len(rows) - 1 for name, rows in tables.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="directory to write the CSV files into (default: next to this script)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    counts = write_demo(args.out, args.seed)
    print(", ".join(f"{name}: {n} rows" for name, n in counts.items()))


if __name__ == "__main__":
    main()
