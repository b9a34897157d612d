"""FAQ candidates: questions customers keep asking, grouped by wording similarity, with a trend."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from itertools import pairwise

import numpy as np
import pandas as pd

from cs_logic.metrics.textnorm import STOP_WORDS, fold, tokens, words

# Words a question opens with, per language (folded when matched). Two-word openers are joined.
QUESTION_STARTS = frozenset(fold(w) for w in """
how what why can could where when who which whom whose is are am was were do does did will would should
shall may might have has any
como qual quais quando onde posso pode podem quem quanto quantos existe tem
چطور چگونه چرا کی کجا آیا چه چی چند کدام
как почему где когда можно что зачем сколько какой какая какие кто ли
як чаму дзе калі можна што навошта колькі які якая хто
""".split())
QUESTION_PAIRS = frozenset(fold(p) for p in ("por que", "por quê", "para que", "o que", "is there", "are there"))
WINDOW_DAYS = 90
_PAIR_BUDGET = 4_000_000  # cells / expansions per block: bounds memory whatever the corpus
_DENSE_FEATURES = 256  # at most this many of the commonest features are multiplied densely
_DENSE_MIN_DF = 32


def is_question(text: object) -> bool:
    """Whether a text reads as a question: it ends with ? (or ؟) or opens with a question word.

    >>> is_question("Posso trocar o produto"), is_question("Thanks!"), is_question("چرا دیر رسید")
    (True, False, True)
    """
    raw = str(text or "").strip()
    if raw.endswith(("?", "؟")):
        return True
    first = words(raw)[:2]
    return bool(first) and (first[0] in QUESTION_STARTS or " ".join(first) in QUESTION_PAIRS)


def normalise_question(text: object) -> str:
    """A question's content words, folded, stop words dropped (all words when nothing else is left).

    >>> normalise_question("How do I reset my password?")
    'reset password'
    """
    toks = tokens(text)
    kept = [t for t in toks if t not in STOP_WORDS]
    return " ".join(kept or toks)


def _features(key: str) -> Counter[str]:
    toks = key.split()
    padded = f" {key} "
    return Counter([*("w" + t for t in toks), *(f"w{a} {b}" for a, b in pairwise(toks)),
                    *("c" + padded[i:i + 3] for i in range(len(padded) - 2))])


def tfidf(keys: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sparse TF-IDF rows of ``keys`` as (doc, feature, weight) arrays, sorted by doc.

    Word uni+bigrams and character 3-grams are weighted tf x (ln((1+N)/(1+df)) + 1) and each family
    normalised to length sqrt(1/2), so a dot product = (cosine of words + cosine of characters) / 2.

    >>> d, f, w = tfidf(["reset password", "reset password"]); round(float((w * w).sum()), 6)
    2.0
    """
    counts = [_features(k) for k in keys]
    doc_a = np.repeat(np.arange(len(keys), dtype=np.int64), [len(c) for c in counts])
    terms = [t for c in counts for t in c]
    tf = np.fromiter((v for c in counts for v in c.values()), dtype=float, count=len(terms))
    codes, vocab = pd.factorize(pd.Series(terms, dtype=object))
    feat_a = np.asarray(codes, dtype=np.int64)
    df = np.bincount(feat_a, minlength=len(vocab))
    w = tf * (np.log((1 + len(keys)) / (1 + df[feat_a])) + 1.0)
    family = np.array([t.startswith("c") for t in vocab], dtype=np.int64)[feat_a] if len(vocab) else feat_a
    slot = doc_a * 2 + family
    norms = np.sqrt(np.bincount(slot, weights=w * w, minlength=2 * len(keys)))
    w = w / np.where(norms[slot] > 0, norms[slot], 1.0) * math.sqrt(0.5)
    return doc_a, feat_a, w


def similar_pairs(doc: np.ndarray, feat: np.ndarray, w: np.ndarray, n_docs: int,
                  threshold: float) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(i, j, cosine) for every pair of distinct rows with cosine >= threshold, block by block.

    Rare features go through an inverted index (work = sum of df^2 over them); the few hundred most
    common ones, which would dominate that sum, through a dense matrix product. Each block's
    memory stays under a fixed budget whatever the corpus.

    >>> d, f, w = tfidf(["reset password", "reset password now", "cancel plan"])
    >>> [(int(i), int(j)) for a, b, _ in similar_pairs(d, f, w, 3, 0.5) for i, j in zip(a, b)]
    [(0, 1), (1, 0)]
    """
    if n_docs == 0 or len(feat) == 0:
        return
    df = np.bincount(feat)
    cap = max(_DENSE_MIN_DF, int(np.sort(df)[::-1][min(_DENSE_FEATURES, len(df) - 1)]))
    dense_ids = np.flatnonzero(df > cap)
    dense = np.zeros((n_docs, len(dense_ids)), dtype=np.float32)
    is_dense = df[feat] > cap
    dense[doc[is_dense], np.searchsorted(dense_ids, feat[is_dense])] = w[is_dense]
    doc, feat, w = doc[~is_dense], feat[~is_dense], w[~is_dense]
    order = np.argsort(feat, kind="stable")
    post_doc, post_w = doc[order], w[order]
    ptr = np.searchsorted(feat[order], np.arange(len(df) + 1))
    row_ptr = np.searchsorted(doc, np.arange(n_docs + 1))
    cost = np.bincount(doc, weights=np.diff(ptr)[feat], minlength=n_docs)
    start = 0
    while start < n_docs:
        stop = start + 1
        spent = cost[start]
        while stop < n_docs and (stop - start + 1) * n_docs <= _PAIR_BUDGET and spent + cost[stop] <= _PAIR_BUDGET:
            spent += cost[stop]
            stop += 1
        sims = _sparse_block(doc, feat, w, row_ptr, ptr, post_doc, post_w, start, stop, n_docs)
        if dense.shape[1]:
            sims += (dense[start:stop] @ dense.T).ravel()
        hit = np.nonzero(sims >= threshold - 1e-6)[0]
        i, j = hit // n_docs + start, hit % n_docs
        keep = i != j
        yield i[keep], j[keep], sims[hit][keep]
        start = stop


def _sparse_block(doc: np.ndarray, feat: np.ndarray, w: np.ndarray, row_ptr: np.ndarray, ptr: np.ndarray,
                  post_doc: np.ndarray, post_w: np.ndarray, start: int, stop: int, n_docs: int) -> np.ndarray:
    s, e = row_ptr[start], row_ptr[stop]
    q_doc, q_feat, q_w = doc[s:e] - start, feat[s:e], w[s:e]
    lens = ptr[q_feat + 1] - ptr[q_feat]
    rep = np.repeat(np.arange(len(q_feat)), lens)
    offsets = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
    pidx = ptr[q_feat][rep] + offsets
    return np.bincount(q_doc[rep] * n_docs + post_doc[pidx], weights=q_w[rep] * post_w[pidx],
                       minlength=(stop - start) * n_docs)


def leader_groups(keys: list[str], weights: list[int], threshold: float) -> np.ndarray:
    """Group id (the leader's position) of each key: leader clustering, most frequent keys first.

    A key not yet grouped leads a new group and takes every ungrouped key at least ``threshold``
    similar to it, so every member is close to its leader (no chaining).

    >>> leader_groups(["reset password", "reset password now", "cancel plan"], [5, 1, 2], 0.5).tolist()
    [0, 0, 2]
    """
    neighbours: dict[int, list[int]] = {}
    for rows, cols, _ in similar_pairs(*tfidf(keys), len(keys), threshold):
        for a, b in zip(rows.tolist(), cols.tolist()):
            neighbours.setdefault(a, []).append(b)
    group = np.full(len(keys), -1, dtype=np.int64)
    for k in sorted(range(len(keys)), key=lambda k: (-weights[k], keys[k])):
        if group[k] >= 0:
            continue
        group[k] = k
        for j in neighbours.get(k, []):
            if group[j] < 0:
                group[j] = k
    return group


def faq_candidates(texts: pd.Series, dates: pd.Series | None = None, min_count: int = 3,
                   threshold: float = 0.5, questions_only: bool = True,
                   as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Questions asked again and again, grouped by similar wording.

    Parameters
    ----------
    texts : comments or ticket subjects; with ``questions_only`` only question-like texts count
        (:func:`is_question`); ``False`` takes every text (ticket subjects).
    dates : aligned with ``texts``; gives the trend: questions in the 90 days up to ``as_of``
        (default: the latest date) against the 90 days before.
    threshold : cosine similarity (TF-IDF, see :func:`tfidf`) a wording needs to its group's leader.

    Returns one row per group of at least ``min_count`` texts: label (the most common normalised
    wording), count, share (of the texts considered), examples (3 most common original wordings),
    last_90, prior_90, change (None without dates), rows (index labels of its texts, an array).

    >>> s = pd.Series(["How do I reset my password?", "how to reset password?", "Where is my order?"])
    >>> faq_candidates(s, min_count=1)[["label", "count"]].values.tolist()
    [['reset password', 2], ['order', 1]]
    """
    texts = texts.dropna().astype(str)
    texts = texts[texts.str.strip().ne("")]
    # Each distinct wording is read once: 5M ticket subjects hold a few thousand, and a Python string per text
    # held 400 MB at size L for the same answer.
    codes, distinct = pd.factorize(texts)
    if questions_only:
        asked = np.array([is_question(t) for t in distinct], dtype=bool)[codes]
        texts, codes = texts[asked], codes[asked]
    normal = np.full(len(distinct), "", dtype=object)
    for i in np.unique(codes).tolist():
        normal[i] = normalise_question(distinct[i])
    norm = pd.Series(normal[codes], index=texts.index, dtype=object)
    norm = norm[norm.ne("")]
    cols = ["label", "count", "share", "examples", "last_90", "prior_90", "change", "rows"]
    if norm.empty:
        return pd.DataFrame(columns=cols)
    counts = norm.value_counts()
    keys = counts.index.tolist()
    leader = leader_groups(keys, counts.tolist(), threshold)
    group_of = pd.Series(np.array(keys, dtype=object)[leader], index=keys)
    label = norm.map(group_of)
    when = pd.to_datetime(dates.reindex(norm.index), errors="coerce") if dates is not None else None
    end = pd.Timestamp(as_of) if as_of is not None else (when.max() if when is not None else None)
    sizes = label.value_counts()
    label = label[label.isin(sizes.index[sizes >= min_count])]
    rows = []
    for name, members in label.groupby(label, sort=False):
        wordings = texts.loc[members.index].str.strip().value_counts()
        last = prior = None
        if when is not None and end is not None and not pd.isna(end):
            age = (end - when.loc[members.index]).dt.days
            last, prior = int(((age >= 0) & (age < WINDOW_DAYS)).sum()), int(((age >= WINDOW_DAYS) & (age < 2 * WINDOW_DAYS)).sum())
        rows.append((name, len(members), len(members) / len(norm), wordings.index[:3].tolist(), last, prior,
                     None if last is None or prior is None else last - prior, members.index.to_numpy()))
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["count", "label"], ascending=[False, True], ignore_index=True)


def mark_covered(groups: pd.DataFrame, faq_list: list[str], threshold: float = 0.5) -> pd.DataFrame:
    """``groups`` with covered (bool), covered_by (the closest FAQ entry) and coverage (its cosine).

    A group is covered when an entry of the uploaded FAQ is at least ``threshold`` similar to the
    group's label (both normalised as in :func:`normalise_question`).

    >>> g = pd.DataFrame({"label": ["reset password", "order late"]})
    >>> mark_covered(g, ["How can I reset my password?"])["covered"].tolist()
    [True, False]
    """
    out = groups.copy()
    faq = [q for q in faq_list if normalise_question(q)]
    labels = [str(v) for v in out["label"]] if "label" in out.columns else []
    best = np.zeros(len(labels))
    best_by: list[str | None] = [None] * len(labels)
    if labels and faq:
        keys = labels + [normalise_question(q) for q in faq]
        for i, j, sim in similar_pairs(*tfidf(keys), len(keys), threshold):
            for a, b, s in zip(i.tolist(), j.tolist(), sim.tolist()):
                if a < len(labels) <= b and s > best[a]:
                    best[a], best_by[a] = s, faq[b - len(labels)]
    out["covered"] = [b is not None for b in best_by]
    out["covered_by"] = pd.Series(best_by, index=out.index, dtype=object)
    out["coverage"] = best
    return out
