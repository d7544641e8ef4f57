"""Payment checks an auditor would act on: each a small named rule with its parameters as
data and its false-positive filters built in.

Checks that cry wolf are worse than none, so every finding carries its confidence (high,
medium or low, each level with its stated rule), the £ at stake, the rows behind it (the
file and row number each payment was published at) and why it is not a false alarm.

The rules (together, in the order a page lists them:
:func:`impact.analysis.findings.default_rules`):

* :class:`Duplicates` — the same supplier paid the same amount on the same or near dates,
  or the same reference paid twice; never a row published in two files (ingest sets those
  aside, and the rule applies the same test,
  :func:`impact.ingest.transactions.transaction_codes`, to what it is given), lines of one
  payment, two payees under one name, a credit that reverses it, instalments of a stated
  schedule, a routine amount or a batch at one rate, or bills the descriptions tell apart;
* :class:`Splits` — purchases split around the council's quotation and tender thresholds;
* :class:`Dissolved` — payments to companies dissolved, in liquidation or struck off at the
  payment date (only where a register gives a status; none is shown when none is known);
* :class:`YearEnd`, :class:`Digits`, :class:`RoundSums`, :class:`Concentration` — patterns
  by department or service (:mod:`impact.analysis.patterns`), each with its test and base
  rate.

Functions take the canonical transactions (joined to suppliers where that is known: the
``supplier_class`` and ``supplier_key`` columns) and explicit inputs, never a workspace.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache, partial
from typing import ClassVar, Protocol

import numpy as np
import pandas as pd

from impact.ingest.schema import supplier_keys

HIGH, MEDIUM, LOW = "high", "medium", "low"
CONFIDENCES = (HIGH, MEDIUM, LOW)
#: The columns of a findings table, in order (``rows``: positions in the transactions given).
FINDING_COLUMNS = ("finding_id", "check", "check_title", "confidence", "confidence_rule",
                   "amount", "supplier", "department", "period", "date_from", "date_to",
                   "n_rows", "what", "evidence", "row_refs", "rows")
#: A finding names at most this many rows in ``row_refs`` (the page opens all of them).
ROW_REFS_SHOWN = 40
_NO_DAY = np.iinfo(np.int64).min
#: What a payment's expense type or description says when it is not an order placed with a
#: supplier: transfers (grants, precepts, levies, rates, tax, benefits, pensions, refunds,
#: school budgets), metered supplies billed site by site (electricity, gas, water) and a
#: person's care or place, commissioned person by person (residential and nursing care, home
#: care, supported living, placements, fostering, direct payments, individual support,
#: school fees and recoupment for a pupil, bed and breakfast or temporary accommodation for
#: a household) and compensation for a claim.  Such payments are not purchases a
#: procurement threshold applies to.
NOT_ORDERS = (r"\bGRANTS?\b|PRECEPT|\bLEV(?:Y|IES)\b|\bRATES\b|\bNNDR\b|\bTAX\b|"
              r"SUBSID|BENEFIT|PENSION|REFUND|\bDSG\b|DEDICATED SCHOOLS|ELECTRICITY|\bGAS\b|"
              r"\bWATER\b|UTILIT|RESIDENTIAL\s*(?:HOME|CARE|NURSING|PLACE)|NURSING\s*(?:HOME|CARE)|"
              r"HOME\s*CARE|DOMICILIARY|SUPPORTED\s*LIVING|CARE\s*PACKAGE|PLACEMENT|FOSTER|"
              r"DIRECT\s*PAYMENT|INDIVIDUALI[SZ]ED|SCHOOL\s*FEES|RECOUPMENT|"
              r"BED\s*(?:AND|&)\s*BREAKFAST|TEMPORARY\s*ACCOMMODATION|COMPENSATION")
#: A description that states an instalment of a schedule: "2 of 4", "instalment", "stage
#: payment", "monthly" … (upper case: descriptions are compared in capitals); not a date's
#: "07/23" nor an "installation".
INSTALMENT = (r"(?<![/.\d])\b\d{1,2}\s*(?:OF|/)\s*\d{1,2}\b(?!\s*[/.]\d)|INSTALL?MENT|"
              r"STAGE\s*PAYMENT|INTERIM\s*PAYMENT|"
              r"\bMONTHLY\b|\bQUARTERLY\b|\bWEEKLY\b|\bANNUAL\b|\bPHASE\s*\d")


# ----------------------------------------------------------------------------- payments


@dataclass(frozen=True)
class Payments:
    """The columns every rule reads, prepared once: text as integer codes (-1 when blank),
    dates as whole days, £ as whole pence.  ``tx`` is the input with a fresh 0…n-1 index:
    a finding's ``rows`` are positions in it."""

    tx: pd.DataFrame
    supplier: np.ndarray  # normalised payee name
    key: np.ndarray  # the supplier: vendor number where published, else the name
    vendor: np.ndarray
    company: np.ndarray
    pence: np.ndarray
    day: np.ndarray  # days since 1970; _NO_DAY when undated
    ref: np.ndarray
    desc: np.ndarray
    desc_has_digit: np.ndarray
    instalment: np.ndarray  # the description states an instalment or a schedule
    dept: np.ndarray
    dept_names: np.ndarray
    coding: np.ndarray  # department, service area and expense type together
    file: np.ndarray
    other_payee: np.ndarray  # withheld, redacted or a person: many payees under one name
    not_order: np.ndarray  # a transfer or a metered bill, not an order (NOT_ORDERS)
    public: np.ndarray  # another public body (no purchase, no procurement threshold)

    @property
    def dated(self) -> np.ndarray:
        return self.day != _NO_DAY


def _codes(values: pd.Series) -> np.ndarray:
    """An integer code per distinct non-blank text (-1 for blank or missing).  Canonical
    text is already trimmed, blank read as missing (:mod:`impact.ingest.transactions`); a
    stray empty string still reads as blank."""
    return _distinct(values)[0]


def _distinct(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(code per row, -1 for blank or missing; the distinct values, as text): one
    factorisation, so text work runs once per distinct value, not per row."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    text = pd.Series(uniques, dtype="string")
    codes = codes.astype(np.int64)
    empty = np.flatnonzero(text.eq("").fillna(False).to_numpy(bool))
    if len(empty):
        codes[codes == empty[0]] = -1
    return codes, text


def _per_row(codes: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """A flag per distinct value spread to the rows (False where blank)."""
    return np.r_[flags.astype(bool), False][codes]


def _plain_text(values: pd.Series) -> pd.Series:
    """Text compared as people read it: case and runs of spaces ignored."""
    return values.astype("string").str.upper().str.replace(r"\s+", " ", regex=True)


def combined(parts: Sequence[np.ndarray]) -> np.ndarray:
    """One code per distinct combination of integer codes (each ≥ -1): ingest's rule
    (:func:`impact.ingest.transactions.combined_codes`)."""
    from impact.ingest.transactions import combined_codes

    return combined_codes([np.asarray(x, dtype=np.int64) for x in parts])


def department_column(tx: pd.DataFrame) -> pd.Series:
    """The department a payment is booked to: its directorate, else its service area (a
    council's files may publish one in some years and the other in others); "(not given)"
    when neither is."""
    out = None
    for col in ("directorate", "service_area"):
        if col in tx:
            given = tx[col].astype("string")
            out = given if out is None else out.fillna(given)
    if out is None:
        return pd.Series("(not given)", index=tx.index, dtype="string")
    return out.fillna("(not given)") if out.hasnans else out


def category_column(tx: pd.DataFrame) -> pd.Series:
    """What a payment bought: its expense type, else its service area, else its department."""
    for col in ("expense_type", "service_area"):
        if col in tx and tx[col].notna().any():
            return tx[col].astype("string").fillna("(not given)")
    return department_column(tx)


def prepare(tx: pd.DataFrame) -> Payments:
    """:class:`Payments` from canonical transactions (``supplier_key`` and
    ``supplier_class`` used where present: a workspace's joined transactions; a canonical
    column that is absent reads as not published)."""
    t = tx.reset_index(drop=True)
    col = partial(_column, t)
    key = t["supplier_key"] if "supplier_key" in t else supplier_keys(t.assign(
        supplier_id=col("supplier_id")))
    dates = pd.to_datetime(t["date"], errors="coerce")
    day = np.where(dates.notna(), dates.to_numpy("datetime64[D]").astype(np.int64), _NO_DAY)
    cls = col("supplier_class")
    dept_codes, dept_names = pd.factorize(department_column(t))
    raw, described = _distinct(col("description"))
    plain = _plain_text(described)
    desc = np.r_[pd.factorize(plain)[0], -1][raw]
    expense, expenses = _distinct(col("expense_type"))
    return Payments(
        tx=t,
        supplier=_codes(t["supplier_name_norm"]),
        key=_codes(key),
        vendor=_codes(col("supplier_id")),
        company=_codes(col("company_number")),
        pence=np.round(pd.to_numeric(t["amount"], errors="coerce").fillna(0.0).to_numpy()
                       * 100).astype(np.int64),
        day=day.astype(np.int64),
        ref=_codes(col("transaction_id")),
        desc=np.where(raw >= 0, desc, -1),
        desc_has_digit=_per_row(raw, _matches(plain, r"\d")),
        instalment=_per_row(raw, _matches(plain, INSTALMENT)),
        dept=dept_codes.astype(np.int64),
        dept_names=np.asarray(dept_names, dtype=object),
        coding=combined([dept_codes, _codes(col("service_area")), expense]),
        file=_codes(t["source_file"]),
        other_payee=(col("is_redacted").fillna(False).to_numpy(bool)
                     | cls.eq("individual_redacted").fillna(False).to_numpy(bool)),
        public=cls.eq("public_body").fillna(False).to_numpy(bool),
        not_order=(_per_row(expense, _matches(_plain_text(expenses), NOT_ORDERS))
                   | _per_row(raw, _matches(plain, NOT_ORDERS))),
    )


def _matches(text: pd.Series, pattern: str) -> np.ndarray:
    """Where text matches ``pattern`` (False where missing)."""
    return text.str.contains(pattern, regex=True).fillna(False).to_numpy(bool)


def _column(t: pd.DataFrame, name: str) -> pd.Series:
    """A column of ``t``, or an all-missing one when the frame has none (not published)."""
    if name in t:
        return t[name]
    return pd.Series(pd.NA, index=t.index, dtype="boolean" if name.startswith("is_")
                     else "string")


# ----------------------------------------------------------------------------- findings


@dataclass
class RuleResult:
    """What one rule found: its findings, counts a reader needs (candidates, what each
    filter removed), a table where the rule has one (per department …) and notes."""

    findings: pd.DataFrame
    stats: dict = field(default_factory=dict)
    table: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Found:
    """Findings of one rule before they are written out: one entry per finding."""

    rows: list[np.ndarray]
    confidence: list[str]
    amount: list[float]
    what: list[str]
    evidence: list[str]
    ids: list[str] | None = None  # stable keys (default: the rows' file and row numbers)


class Rule(Protocol):
    key: str
    title: str
    rule: str
    confidence: dict[str, str]
    filters: dict[str, str]

    def find(self, p: Payments, context: CheckContext) -> RuleResult: ...


@dataclass(frozen=True)
class CheckContext:
    """Inputs some rules need besides the payments: Companies House statuses per supplier
    (:func:`company_statuses`; None when no register gives one)."""

    statuses: pd.DataFrame | None = None


def parameters(rule: object) -> dict[str, object]:
    """A rule's parameters as data: its dataclass fields and their values."""
    return {f.name: getattr(rule, f.name) for f in fields(rule)}  # type: ignore[arg-type]


def findings_frame(rule: Rule, p: Payments, found: Found) -> pd.DataFrame:
    """The findings of ``rule`` as a table (:data:`FINDING_COLUMNS`)."""
    if not found.rows:
        return empty_findings()
    rows = [np.sort(np.asarray(r, dtype=np.int64)) for r in found.rows]
    out = pd.DataFrame({
        "check": rule.key,
        "check_title": rule.title,
        "confidence": found.confidence,
        "confidence_rule": [rule.confidence[c] for c in found.confidence],
        "amount": np.round(found.amount, 2),
        "n_rows": [len(r) for r in rows],
        "what": found.what,
        "evidence": found.evidence,
        "rows": rows,
    })
    out = out.join(_described(p, rows))
    named = rows if found.ids is None else [r[:ROW_REFS_SHOWN] for r in rows]
    refs = _row_refs(p.tx, np.concatenate(named))
    out["row_refs"] = [_refs_text(refs, r) for r in rows]
    keys = found.ids or ["|".join(sorted(refs[int(i)] for i in r)) for r in rows]
    out["finding_id"] = [finding_id(rule.key, k) for k in keys]
    return out[list(FINDING_COLUMNS)]


def _described(p: Payments, rows: list[np.ndarray]) -> pd.DataFrame:
    """Per finding: its supplier and department (the one name, or "12 suppliers"), first and
    last payment date and the period in words — one grouping of integer codes over all
    findings' rows, names looked up for the first row only."""
    at = np.concatenate(rows)
    top, bottom = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    f = pd.DataFrame({"f": np.repeat(np.arange(len(rows)), [len(r) for r in rows]),
                      "supplier": p.supplier[at], "department": p.dept[at],
                      "low": np.where(p.dated[at], p.day[at], top),
                      "high": np.where(p.dated[at], p.day[at], bottom)})
    g = f.groupby("f", sort=True)
    first = np.array([r[0] for r in rows])
    out = pd.DataFrame({"date_from": _dates(g["low"].min().to_numpy()),
                        "date_to": _dates(g["high"].max().to_numpy())})
    names = {"supplier": p.tx["supplier_name"].iloc[first].astype("string").to_numpy(object),
             "department": p.dept_names[p.dept[first]]}
    for col, many in (("supplier", "suppliers"), ("department", "departments")):
        n = g[col].nunique().to_numpy()
        out[col] = np.where(n <= 1, pd.Series(names[col]).fillna("").to_numpy(dtype=object),
                            [f"{k} {many}" for k in n])
    out["period"] = [_period_text(a, b) for a, b in zip(out["date_from"], out["date_to"],
                                                       strict=True)]
    return out


def _dates(days: np.ndarray) -> pd.Series:
    """Whole days since 1970 as dates (NaT for the undated markers)."""
    undated = (days == np.iinfo(np.int64).max) | (days == np.iinfo(np.int64).min)
    return pd.Series(pd.to_datetime(np.where(undated, 0, days), unit="D")).mask(undated)


def empty_findings() -> pd.DataFrame:
    """A findings table with no rows."""
    return pd.DataFrame({c: pd.Series(dtype="float64" if c == "amount" else "object")
                         for c in FINDING_COLUMNS})


def finding_id(check: str, key: str) -> str:
    """A finding's stable id: the check and a hash of what identifies it (its rows' files and
    row numbers, or its department and period), so a verdict finds it in a later session."""
    return f"{check}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"


def _row_refs(t: pd.DataFrame, needed: np.ndarray) -> dict[int, str]:
    """"<file> row <n>" for the rows ``needed`` (positions in ``t``)."""
    at = np.unique(needed)
    files = t["source_file"].iloc[at].astype("string").fillna("(no file)").to_numpy(object)
    lines = t["source_row"].to_numpy()[at]
    return {int(i): f"{f} row {n}" for i, f, n in zip(at, files, lines, strict=True)}


def _refs_text(refs: dict[int, str], rows: np.ndarray) -> str:
    shown = "; ".join(refs[int(i)] for i in np.sort(rows)[:ROW_REFS_SHOWN])
    more = len(rows) - ROW_REFS_SHOWN
    return shown + (f"; and {more:,} more" if more > 0 else "")


def _period_text(a: object, b: object) -> str:
    if pd.isna(a):
        return "undated"
    a, b = pd.Timestamp(a), pd.Timestamp(b)
    if a == b:
        return a.strftime("%-d %b %Y")
    if (a.year, a.month) == (b.year, b.month):
        return f"{a.day}–{b.strftime('%-d %b %Y')}"
    return f"{a.strftime('%-d %b %Y')} to {b.strftime('%-d %b %Y')}"


def money(pence_or_pounds: float) -> str:
    """£ to the penny under £1,000, whole pounds above (evidence text)."""
    v = float(pence_or_pounds)
    return f"£{v:,.2f}" if abs(v) < 1000 else f"£{v:,.0f}"


@lru_cache(maxsize=8192)
def day_text(day: int) -> str:
    """A day (days since 1970) in words; cached: findings name the same days again and again."""
    return pd.Timestamp(int(day), unit="D").strftime("%-d %b %Y")


# ----------------------------------------------------------------------------- pairs


def neighbour_pairs(order: np.ndarray, same: Sequence[np.ndarray], day: np.ndarray,
                    max_days: int) -> tuple[np.ndarray, np.ndarray]:
    """(earlier, later) positions of consecutive rows in ``order`` that agree on every
    code in ``same`` and are at most ``max_days`` apart: each payment and the one before it
    of the same kind."""
    a, b = order[:-1], order[1:]
    keep = (day[b] - day[a]) <= max_days
    for codes in same:
        keep &= codes[a] == codes[b]
    return a[keep], b[keep]


def components(a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    """The connected groups of rows the pairs (a, b) join (each with two or more rows):
    labels spread along the pairs to the smallest in each group, with pointer jumping."""
    if not len(a):
        return []
    nodes, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    ia, ib = inverse[: len(a)], inverse[len(a):]
    label = np.arange(len(nodes))
    while True:
        low = np.minimum(label[ia], label[ib])
        new = label.copy()
        np.minimum.at(new, ia, low)
        np.minimum.at(new, ib, low)
        new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    order = np.argsort(label, kind="stable")
    cuts = np.flatnonzero(np.diff(label[order])) + 1
    return [nodes[g] for g in np.split(order, cuts)]


def _repeated(codes: np.ndarray) -> np.ndarray:
    """Where a code (≥ 0; -1 for blank) is on more than one row."""
    known = codes >= 0
    times = np.bincount(codes[known], minlength=1)
    return known & (times[np.where(known, codes, 0)] > 1)


def _counted(codes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(how many of the first ``n`` rows have each code, the codes): counts a later row
    looks up by its code."""
    return np.bincount(codes[:n], minlength=int(codes.max(initial=-1)) + 1), codes


def month_numbers(day: np.ndarray) -> np.ndarray:
    """Whole days since 1970 (dated payments only) → months since 1970, through a table of
    the days' range (dates span a few years: a lookup, not a calendar conversion each)."""
    if not len(day):
        return np.zeros(0, dtype=np.int64)
    low = int(day.min())
    table = np.arange(low, int(day.max()) + 1).astype("datetime64[D]")
    return table.astype("datetime64[M]").astype(np.int64)[day - low]


def _by_day_within(group: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The order of rows sorted by group, then by day: one sort of one integer key."""
    if not len(group):
        return np.zeros(0, dtype=np.int64)
    span = int(day.max() - day.min()) + 1
    return np.argsort(group * span + (day - day.min()), kind="stable")


def best_per_group(groups: list[np.ndarray], a: np.ndarray, levels: np.ndarray, n: int
                   ) -> list[str]:
    """The highest confidence among the pairs of each group (pairs named by row ``a``)."""
    gid = np.full(n, -1, dtype=np.int64)
    for i, rows in enumerate(groups):
        gid[rows] = i
    rank = np.select([levels == HIGH, levels == MEDIUM], [0, 1], 2)
    best = pd.Series(rank).groupby(gid[a]).min()
    return [CONFIDENCES[int(best.get(i, 2))] for i in range(len(groups))]


def window_starts(group: np.ndarray, day: np.ndarray, days: int) -> np.ndarray:
    """For rows sorted by (group, day): the first position of each row's group within
    ``days`` before it (a sliding window, in one search)."""
    span = int(day.max() - day.min()) + days + 2 if len(day) else 1
    composite = group.astype(np.int64) * span + (day - (day.min() if len(day) else 0))
    return np.searchsorted(composite, composite - days, side="left")


def first_filter(masks: dict[str, np.ndarray], n: int) -> tuple[np.ndarray, dict[str, int]]:
    """Which candidates survive a list of named false-positive filters applied in order, and
    how many each filter removed (a candidate is counted under the first that removes it)."""
    alive = np.ones(n, dtype=bool)
    removed = {}
    for name, mask in masks.items():
        hit = alive & mask
        removed[name] = int(hit.sum())
        alive &= ~mask
    return alive, removed



# ----------------------------------------------------------------------------- duplicates


@dataclass(frozen=True)
class Duplicates:
    """Possible duplicate payments: the same supplier paid the same amount (to the penny)
    within ``window_days``, or the same reference and amount paid twice within
    ``reference_days``.  One finding per group of payments the pairs join; £ at stake is
    every payment after the first."""

    window_days: int = 14
    reference_days: int = 366
    credit_days: int = 90
    schedule_size: int = 3
    schedule_share: float = 0.6
    routine_months: int = 3
    batch_size: int = 3
    repeat_share: float = 0.2
    repeat_min_payments: int = 10
    repeat_amounts: int = 2
    round_pounds: int = 100

    key = "duplicate"
    title = "Possible duplicate payment"
    rule = ("The same supplier paid the same amount, to the penny, on the same or near dates "
            "(within the window), or the same reference and amount paid twice.")
    confidence: ClassVar[dict[str, str]] = {
        HIGH: "the same reference (invoice or transaction number) paid on two dates",
        MEDIUM: "the same supplier, amount and budget coding on near dates, described alike "
                "or not described, and not a round amount",
        LOW: "a round amount, or coded to different budgets, or described differently",
    }
    filters: ClassVar[dict[str, str]] = {
        "published_twice": "one payment published in two files (the ingest rule: same date, "
                           "supplier, amount and reference)",
        "one_payment": "lines of one payment (same reference, same date, same file)",
        "two_payees": "two payees under one name (different vendor or company numbers, or "
                      "a withheld or personal payee)",
        "reversed": "a credit of the same amount to the supplier within the credit window",
        "instalments": "instalments of a stated schedule: a description says so ('2 of 4', "
                       "'instalment', 'stage payment', 'monthly')",
        "schedule": "a series of three or more payments of the amount, one a date, the pair "
                    "as far apart as the series' usual gap (weekly timesheets, monthly rent)",
        "routine": "an amount the supplier is paid in several months, no more often than "
                   "usual that month",
        "batch": "a batch at one rate (the amount paid several times on one date)",
        "equal_amounts_usual": "a supplier paid at standard rates (at least the repeat "
                               "share of its payments share an amount with another, over "
                               "several amounts), unless the reference is the same",
        "described_apart": "descriptions that name different bills (they differ and carry "
                           "dates or numbers)",
    }

    def find(self, p: Payments, context: CheckContext) -> RuleResult:
        a, b = self._candidates(p)
        masks = self._filters(p, a, b)
        alive, removed = first_filter(masks, len(a))
        a, b = a[alive], b[alive]
        conf = self._pair_confidence(p, a, b)
        found = self._grouped(p, a, b, conf)
        stats = {"candidate_pairs": len(alive), "removed_by_filter": removed,
                 "pairs_kept": int(alive.sum())}
        return RuleResult(findings_frame(self, p, found), stats)

    def _candidates(self, p: Payments) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (earlier, later): the same supplier and amount within the window, and the
        same supplier, reference and amount within ``reference_days``."""
        ok = np.flatnonzero((p.pence > 0) & p.dated & (p.supplier >= 0))
        by_amount = ok[_by_day_within(combined([p.supplier[ok], p.pence[ok]]), p.day[ok])]
        a1, b1 = neighbour_pairs(by_amount, [p.supplier, p.pence], p.day, self.window_days)
        refd = ok[_repeated(p.ref[ok])]  # a reference paid once has no pair
        group = combined([p.supplier[refd], p.ref[refd], p.pence[refd]])
        by_ref = refd[_by_day_within(group, p.day[refd])]
        a2, b2 = neighbour_pairs(by_ref, [p.supplier, p.ref, p.pence], p.day,
                                 self.reference_days)
        pairs = np.unique(np.stack([np.concatenate([a1, a2]), np.concatenate([b1, b2])]),
                          axis=1)
        return pairs[0], pairs[1]

    def _filters(self, p: Payments, a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
        from impact.ingest.transactions import transaction_codes

        same_day = p.day[a] == p.day[b]
        same_ref = (p.ref[a] == p.ref[b]) & (p.ref[a] >= 0)
        involved = np.unique(np.concatenate([a, b]))
        said = ["transaction_id", "supplier_name_norm", "date", "period", "amount"]
        codes = transaction_codes(p.tx[said].iloc[involved])  # the pairs' rows alone: cheap
        ca, cb = (codes[np.searchsorted(involved, x)] for x in (a, b))
        differ = lambda x: (x[a] >= 0) & (x[b] >= 0) & (x[a] != x[b])  # noqa: E731
        paired = np.zeros(int(p.supplier.max(initial=0)) + 2, dtype=bool)
        paired[p.supplier[b]] = True
        mine = paired[p.supplier]  # the pairs' suppliers' rows
        amount = (p.supplier << 40) + (p.pence & ((1 << 40) - 1))
        same = np.zeros(len(mine), dtype=bool)  # … paid the pairs' amounts
        same[np.flatnonzero(mine)] = np.isin(amount[mine], amount[b])
        routine, batch = self._usual(p, a, b, same)
        on_schedule = self._on_schedule(p, a, b, same)
        return {
            "published_twice": (ca == cb) & (ca >= 0) & (p.file[a] != p.file[b]),
            "one_payment": same_ref & same_day & (p.file[a] == p.file[b]),
            "two_payees": differ(p.vendor) | differ(p.company) | p.other_payee[a]
                          | p.other_payee[b],
            "reversed": self._reversed(p, a, b),
            "instalments": p.instalment[a] | p.instalment[b],
            "schedule": on_schedule & ~same_ref,
            "routine": routine & ~same_ref,
            "batch": batch & ~same_ref,
            "equal_amounts_usual": self._repeats(p, mine)[p.supplier[b]] & ~same_ref,
            "described_apart": differ(p.desc) & p.desc_has_digit[a] & p.desc_has_digit[b],
        }

    def _reversed(self, p: Payments, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """A credit of the pair's amount to the same supplier from ``credit_days`` before
        the first payment to ``credit_days`` after the second."""
        credit = np.flatnonzero((p.pence < 0) & p.dated & (p.supplier >= 0))
        if not len(credit) or not len(a):
            return np.zeros(len(a), dtype=bool)
        group = combined([np.concatenate([p.supplier[credit], p.supplier[a]]),
                          np.concatenate([-p.pence[credit], p.pence[a]])])
        gc, gp = group[: len(credit)], group[len(credit):]
        base, span = p.day[credit].min() - 4 * self.credit_days, 1 << 20
        keys = np.sort(gc * span + (p.day[credit] - base))
        lo = np.searchsorted(keys, gp * span + (p.day[a] - self.credit_days - base))
        hi = np.searchsorted(keys, gp * span + (p.day[b] + self.credit_days - base),
                             side="right")
        return hi > lo

    def _usual(self, p: Payments, a: np.ndarray, b: np.ndarray, mine: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """(routine, batch) per pair: the supplier is paid this amount in at least
        ``routine_months`` months and no more often in the later payment's month than its
        median month; or it was paid this amount ``batch_size`` times on that date."""
        ok = np.flatnonzero((p.pence > 0) & p.dated & (p.supplier >= 0) & mine)
        at = np.concatenate([ok, b])  # the pairs' rows are among ``ok``: found in its counts
        sc = combined([p.supplier[at], p.pence[at]])
        per_month, month = _counted(combined([sc, month_numbers(p.day[at])]), len(ok))
        per_day, day = _counted(combined([sc, p.day[at]]), len(ok))
        of = np.zeros(len(per_month), dtype=np.int64)
        of[month] = sc
        kept = per_month > 0
        usual = pd.Series(per_month[kept]).groupby(of[kept]).agg(["size", "median"])
        sc_b = sc[len(ok):]
        months, median = (usual[c].reindex(sc_b).to_numpy() for c in ("size", "median"))
        routine = (months >= self.routine_months) & (per_month[month[len(ok):]] <= median)
        return routine, per_day[day[len(ok):]] >= self.batch_size

    def _repeats(self, p: Payments, mine: np.ndarray) -> np.ndarray:
        """Per supplier code: it is paid at standard rates — at least ``repeat_share`` of its
        ``repeat_min_payments`` or more payments share an amount with another, over at
        least ``repeat_amounts`` different amounts (one repeated amount is an instalment,
        which the schedule filter judges)."""
        ok = np.flatnonzero((p.pence > 0) & (p.supplier >= 0) & mine)
        s = p.supplier[ok]
        amount = combined([s, p.pence[ok]])
        times = np.bincount(amount)
        repeat = times[amount] > 1
        n = int(p.supplier.max(initial=0)) + 2
        size = np.bincount(s, minlength=n)
        repeats = np.bincount(s, weights=repeat, minlength=n)
        supplier_of = np.zeros(len(times), dtype=np.int64)
        supplier_of[amount] = s  # one supplier per (supplier, amount) code
        rates = np.bincount(supplier_of, weights=times > 1, minlength=n)
        return ((repeats >= self.repeat_share * np.maximum(size, 1)) & (size > 0)
                & (size >= self.repeat_min_payments) & (rates >= self.repeat_amounts))

    def _on_schedule(self, p: Payments, a: np.ndarray, b: np.ndarray, mine: np.ndarray
                     ) -> np.ndarray:
        """Per pair: on schedule — in a series (``schedule_size`` or more payments of one
        amount to the supplier, one a date) and at least ``schedule_share`` of the series'
        median gap apart (an instalment); a pair closer than that is an extra payment."""
        ok = np.flatnonzero((p.pence > 0) & p.dated & (p.supplier >= 0) & mine)
        at = np.concatenate([ok, b])
        sc = combined([p.supplier[at], p.pence[at]])
        per_date, date = _counted(combined([sc, p.day[at]]), len(ok))
        first = np.unique(date[: len(ok)], return_index=True)[1]  # one row per (sc, date)
        f = pd.DataFrame({"s": sc[first], "d": p.day[at][first], "k": per_date[date[first]]})
        f = f.sort_values(["s", "d"], kind="stable")
        f["gap"] = f["d"].diff().where(f["s"].eq(f["s"].shift()))
        series = f.groupby("s").agg(n=("k", "sum"), median_gap=("gap", "median"),
                                    per_date=("k", "median"))
        q = series.reindex(sc[len(ok):])
        in_series = ((q["n"] >= self.schedule_size) & (q["per_date"] == 1)).to_numpy()
        gap_ab = p.day[b] - p.day[a]
        return in_series & (gap_ab >= self.schedule_share * q["median_gap"].to_numpy()) & (
            gap_ab > 0)

    def _pair_confidence(self, p: Payments, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """high / medium / low per kept pair (:attr:`confidence` states the rules)."""
        high = (p.ref[a] == p.ref[b]) & (p.ref[a] >= 0) & (p.day[a] != p.day[b])
        described_apart = (p.desc[a] >= 0) & (p.desc[b] >= 0) & (p.desc[a] != p.desc[b])
        round_sum = p.pence[b] % (self.round_pounds * 100) == 0
        low = round_sum | (p.coding[a] != p.coding[b]) | described_apart
        return np.select([high, low], [HIGH, LOW], default=MEDIUM)

    def _grouped(self, p: Payments, a: np.ndarray, b: np.ndarray, conf: np.ndarray) -> Found:
        """One finding per group of payments the kept pairs join, with its evidence."""
        groups = components(a, b)
        best = best_per_group(groups, a, conf, len(p.pence))
        out = Found([], [], [], [], [])
        for rows, level in zip(groups, best, strict=True):
            pounds = p.pence[rows] / 100
            out.rows.append(rows)
            out.confidence.append(level)
            out.amount.append(float(pounds.sum() - pounds.max()))
            out.what.append(self._what(p, rows))
            out.evidence.append(self._evidence(p, rows))
        return out

    def _what(self, p: Payments, rows: np.ndarray) -> str:
        days = np.sort(p.day[rows])
        gap = int(days[-1] - days[0])
        when = (f"on {day_text(days[0])}" if gap == 0
                else f"between {day_text(days[0])} and {day_text(days[-1])} ({gap} days)")
        return (f"{len(rows)} payments of {money(p.pence[rows][0] / 100)} to the same "
                f"supplier {when}")

    def _evidence(self, p: Payments, rows: np.ndarray) -> str:
        """Why this is not a false alarm: what the rows share, and the filters it passed."""
        said = []
        refs = p.ref[rows]
        if (refs >= 0).all() and len(set(refs)) == 1:
            said.append(f"the same reference ({p.tx['transaction_id'].iloc[rows[0]]})")
        elif (refs >= 0).all():
            said.append("different references (two invoices for one amount, or one invoice "
                        "entered twice)")
        else:
            said.append("no reference published to tell them apart")
        said.append("the same budget coding" if len(set(p.coding[rows])) == 1
                    else "coded to different budgets")
        if (p.desc[rows] >= 0).all():
            said.append("the same description" if len(set(p.desc[rows])) == 1
                        else "different descriptions")
        files = len(set(p.file[rows]))
        said.append("in one file" if files == 1 else f"in {files} files, not copies of one "
                    "published line")
        return ("Shares " + ", ".join(said) + ". Not lines of one payment, not two payees "
                f"under one name, no credit of this amount within {self.credit_days} days, "
                "not a routine amount or a batch at one rate for this supplier.")


# ----------------------------------------------------------------------------- splits


@dataclass(frozen=True)
class _Purchases:
    """Payments that may be purchases, as units: the lines and part payments of one
    invoice (same supplier, budget coding and reference) added up, dated by the first;
    units sorted by supplier and coding, then date.  ``rows`` the payments of every unit,
    ``start`` the offset of each unit's rows in it; ``desc`` the first line's description
    code; ``group`` the supplier and coding, ``span`` each group's active span in days (at
    least a year) and ``usual`` its £ per day over it."""

    key: np.ndarray
    coding: np.ndarray
    group: np.ndarray
    span: np.ndarray
    day: np.ndarray
    pence: np.ndarray
    desc: np.ndarray
    digit: np.ndarray
    usual: np.ndarray
    rows: np.ndarray
    start: np.ndarray
    removed: dict[str, int]

    def rows_of(self, units: np.ndarray) -> np.ndarray:
        return np.concatenate([self.rows[self.start[u]:self.start[u + 1]] for u in units])


@dataclass(frozen=True)
class _Windows:
    """Candidate windows of units (positions ``first``…``last`` in ``cand``, which lists the
    parts sorted by supplier and coding, then date), with what each holds."""

    cand: np.ndarray
    first: np.ndarray
    last: np.ndarray
    total: np.ndarray  # pence
    near: np.ndarray  # how many parts just under the threshold

    @property
    def size(self) -> np.ndarray:
        return self.last - self.first + 1

    def units(self, i: int) -> np.ndarray:
        return self.cand[self.first[i]:self.last[i] + 1]

    def take(self, keep: np.ndarray) -> _Windows:
        return _Windows(self.cand, self.first[keep], self.last[keep], self.total[keep],
                        self.near[keep])


@dataclass(frozen=True)
class Splits:
    """Purchases split around a threshold: two or more payments to one supplier with one
    budget coding (department, service and expense type) less than ``window_days`` apart,
    each under a quotation or tender threshold (and at least ``min_part`` of it) and
    together over it, more of them just under the threshold than the supplier's own rhythm
    makes likely anywhere in its active span.  Thresholds are tried from the highest; a
    payment is in one finding at most."""

    thresholds: tuple[float, ...] = (5000.0, 25000.0, 100000.0)
    window_days: int = 14
    min_part: float = 0.25
    just_under: float = 0.2
    alpha: float = 0.001
    alpha_low: float = 0.01
    prior_payments: float = 10.0
    rhythm_factor: float = 2.0
    credit_days: int = 90

    key = "split"
    title = "Purchase split around a threshold"
    rule = ("Two or more payments to one supplier with one budget coding (department, "
            "service, expense type) within the window, "
            "each under a quotation or tender threshold (and at least a quarter of it), "
            "together over it.")
    confidence: ClassVar[dict[str, str]] = {
        HIGH: "every payment just under the threshold (the just-under band), and the "
              "supplier's own rhythm with this coding would put that many just-under "
              "payments in one window anywhere in its active span less than once in 1,000 "
              "times (Poisson, over every window of the span)",
        MEDIUM: "two or more payments just under the threshold, as unlikely as for high",
        LOW: "two or more just under the threshold, less likely than once in 100 times",
    }
    filters: ClassVar[dict[str, str]] = {
        "published_twice": "a payment published in two files is counted once (the ingest "
                           "rule: same date, supplier, amount and reference)",
        "reversed": "a payment reversed by a credit of the same amount to the supplier "
                    "within the credit window is not a purchase",
        "instalments": "instalments of a stated schedule: a description says so ('2 of 4', "
                       "'instalment', 'stage payment', 'monthly')",
        "one_invoice": "lines and part payments of one invoice are added up first (same "
                       "supplier, coding and reference): an invoice over the threshold "
                       "is not a split",
        "not_purchases": "payments to other public bodies and to people (withheld names), "
                         "transfers (grants, precepts, rates, tax, benefits, refunds), "
                         "metered bills (electricity, gas, water), a person's care or "
                         "place (residential, home care, supported living, placements, "
                         "school fees, bed and breakfast) and compensation are not orders",
        "small_parts": "payments under the minimum part of the threshold are other, small "
                       "purchases",
        "usual_rhythm": "no more £ in the window than the supplier's usual rhythm with that "
                        "coding (its £ spread evenly over its active span of at least a "
                        "year, times the rhythm factor): weekly invoices are not a split",
        "different_purchases": "payments described differently, or naming different bills "
                               "(descriptions with different dates or numbers), where the "
                               "council publishes descriptions",
        "same_amount": "the same amount paid again (the duplicate check's finding, not a "
                       "split)",
        "no_sign": "no sign of cutting an order to fit under the threshold: fewer than two "
                   "payments just under it, or no less likely than once in 100 times from "
                   "the supplier's own rhythm",
    }

    def find(self, p: Payments, context: CheckContext) -> RuleResult:
        units = self._purchases(p)
        taken = np.zeros(len(units.pence), dtype=bool)
        found = Found([], [], [], [], [])
        stats: dict = {"lines_merged_into_payments": units.removed.pop("one_invoice"),
                       "lines_not_purchases": units.removed.pop("not_purchases"),
                       "lines_removed": units.removed, "by_threshold": {}}
        for limit in sorted(self.thresholds, reverse=True):
            w, counts = self._clusters(units, limit, taken)
            levels = self._levels(units, w, limit)
            apart = _windows_described_apart(units, w)
            same = _one_amount(units.pence[w.cand], w.first, w.last)
            drop = {"different_purchases": apart, "same_amount": same & ~apart,
                    "no_sign": (levels == "") & ~apart & ~same}
            counts.update({k: int(v.sum()) for k, v in drop.items()})
            keep = np.flatnonzero(~apart & ~same & (levels != ""))
            counts["findings"] = len(keep)
            for i in keep:
                cluster = w.units(i)
                taken[cluster] = True
                self._add(found, units, cluster, limit, str(levels[i]))
            stats["by_threshold"][f"{limit:,.0f}"] = counts
        stats["findings"] = len(found.rows)
        return RuleResult(findings_frame(self, p, found), stats)

    def _purchases(self, p: Payments) -> _Purchases:
        """The units (:class:`_Purchases`) from the payments that are orders, after the
        filters for lines published twice, reversed payments and stated instalments."""
        base = (p.pence > 0) & p.dated & (p.key >= 0)
        purchase = base & ~p.public & ~p.other_payee & ~p.not_order
        copies = _published_twice(p, np.flatnonzero(purchase))
        reversed_ = _reversed_by_credit(p, np.flatnonzero(purchase & ~copies),
                                        self.credit_days)
        instalment = purchase & ~copies & ~reversed_ & p.instalment
        ok = np.flatnonzero(purchase & ~copies & ~reversed_ & ~instalment)
        rows, start, group = _units(p, ok)
        first = rows[start]
        pence = np.add.reduceat(p.pence[rows], start) if len(rows) else np.zeros(0, np.int64)
        n = int(group.max(initial=-1)) + 1
        low, high = np.full(n, np.iinfo(np.int64).max), np.full(n, np.iinfo(np.int64).min)
        np.minimum.at(low, group, p.day[first])
        np.maximum.at(high, group, p.day[first])
        span = np.maximum(high - low + 1, 365)
        usual = (np.bincount(group, weights=pence, minlength=n) / span)[group]
        removed = {"published_twice": int(copies.sum()), "reversed": int(reversed_.sum()),
                   "instalments": int(instalment.sum()),
                   "one_invoice": len(rows) - len(first),
                   "not_purchases": int((base & ~purchase).sum())}
        return _Purchases(p.key[first], p.coding[first], group, span, p.day[first], pence,
                          p.desc[first], p.desc_has_digit[first], usual, rows,
                          np.r_[start, len(rows)], removed)

    def _clusters(self, u: _Purchases, limit: float, taken: np.ndarray
                  ) -> tuple[_Windows, dict]:
        """Windows of parts (units under ``limit`` and at least ``min_part`` of it, not yet
        taken) that add up to more than ``limit``, after the rhythm filter, largest £ first
        and none sharing a part; and the counts behind them."""
        under = (u.pence < limit * 100) & ~taken
        part = under & (u.pence >= self.min_part * limit * 100)
        counts = {"payments_under": int(under.sum()), "small_parts": int((under & ~part).sum())}
        cand = np.flatnonzero(part)  # already by supplier and coding, then date
        none = np.zeros(0, dtype=np.int64)
        if len(cand) < 2:
            counts.update(windows_over=0, usual_rhythm=0, windows_kept=0)
            return _Windows(cand, none, none, none, none), counts
        j = window_starts(u.group[cand], u.day[cand], self.window_days - 1)
        cum = np.r_[0, np.cumsum(u.pence[cand])]
        i = np.arange(len(cand))
        count, total = i - j + 1, cum[i + 1] - cum[j]
        over = (count >= 2) & (total > limit * 100)
        usual = total <= u.usual[cand] * self.window_days * self.rhythm_factor
        ends = _largest_windows(j, total, np.flatnonzero(over & ~usual))
        near = np.r_[0, np.cumsum(self._near(u.pence[cand], limit))]
        counts.update(windows_over=int(over.sum()), usual_rhythm=int((over & usual).sum()),
                      windows_kept=len(ends))
        return _Windows(cand, j[ends], ends, total[ends], near[ends + 1] - near[j[ends]]), counts

    def _near(self, pence: np.ndarray, limit: float) -> np.ndarray:
        """Payments just under ``limit`` (within the just-under band)."""
        return (pence >= (1 - self.just_under) * limit * 100) & (pence < limit * 100)

    def chances(self, u: _Purchases, w: _Windows, limit: float) -> np.ndarray:
        """Per window: how likely the supplier's own rhythm puts this many payments just
        under the threshold in some window of its active span — P(N ≥ n) for one window, N
        Poisson with mean (its other payments per day × the window × its share of them just
        under, that share shrunk towards the council's by ``prior_payments`` payments, and
        the council's towards the just-under band's share of the parts' range), times the
        windows in the span (at most 1)."""
        from scipy.special import pdtrc

        near = self._near(u.pence, limit).astype(np.int64)
        part = (u.pence < limit * 100) & (u.pence >= self.min_part * limit * 100)
        band = self.just_under / (1 - self.min_part)  # the band's share of the parts' range
        council = float((near.sum() + band * self.prior_payments)
                        / (part.sum() + self.prior_payments))
        n_group = np.bincount(u.group, minlength=len(u.span))
        near_group = np.bincount(u.group, weights=near, minlength=len(u.span))
        g, n = u.group[w.cand[w.first]], w.near
        others, others_near = n_group[g] - w.size, near_group[g] - n
        share = (others_near + council * self.prior_payments) / (others + self.prior_payments)
        mean = (others + 1) / u.span[g] * self.window_days * share
        one = np.where(n >= 2, pdtrc(np.maximum(n - 1, 0), mean), 1.0)
        return np.minimum(one * np.maximum(u.span[g] / self.window_days, 1.0), 1.0)

    def _levels(self, u: _Purchases, w: _Windows, limit: float) -> np.ndarray:
        """high / medium / low per window (:attr:`confidence`), "" for no sign of
        splitting: the supplier's own rhythm would make such a burst somewhere in its span
        less likely than ``alpha`` (high when every part is just under, else medium), else
        than ``alpha_low`` (low)."""
        chance = self.chances(u, w, limit)
        all_near = w.near == w.size
        return np.select([(chance <= self.alpha) & all_near, chance <= self.alpha,
                          chance <= self.alpha_low], [HIGH, MEDIUM, LOW], "")

    def _add(self, found: Found, u: _Purchases, cluster: np.ndarray, limit: float,
             level: str) -> None:
        pounds = u.pence[cluster] / 100
        near = int(self._near(u.pence[cluster], limit).sum())
        desc = u.desc[cluster]
        alike = bool((desc >= 0).all() and len(set(desc)) < len(desc))
        found.rows.append(u.rows_of(cluster))
        found.confidence.append(level)
        found.amount.append(float(pounds.sum()))
        days = np.sort(u.day[cluster])
        span = (f"on {day_text(days[0])}" if days[0] == days[-1]
                else f"between {day_text(days[0])} and {day_text(days[-1])}")
        found.what.append(f"{len(cluster)} payments {span}, each under the {money(limit)} "
                          f"threshold, together {money(pounds.sum())}")
        found.evidence.append(
            f"Largest payment {money(pounds.max())}; {near} within {self.just_under:.0%} "
            "under the threshold"
            + ("; payments described alike" if alike else "")
            + ". Lines and part payments sharing a reference were added up first (not one "
            "invoice); no line published twice, reversed by a credit or stated as an "
            "instalment; not a public body or a person; more £ in "
            f"{self.window_days} days than the supplier's usual rhythm with this coding.")


def _units(p: Payments, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The payments ``ok`` as units (lines of one invoice: same supplier, coding and
    reference; a payment without a reference alone), sorted by supplier and coding, then
    the unit's first date, each unit's lines by date: (rows, the offset of each unit in
    them, each unit's supplier-and-coding code)."""
    if not len(ok):
        return ok, ok, ok
    group = combined([p.key[ok], p.coding[ok]])
    ref = p.ref[ok]
    alone = int(ref.max(initial=0)) + 1 + np.arange(len(ok))
    unit = combined([group, np.where(ref >= 0, ref, alone)])
    day = p.day[ok] - p.day[ok].min()
    first_day = np.full(int(unit.max()) + 1, np.iinfo(np.int64).max)
    np.minimum.at(first_day, unit, day)
    order = sort_order([group, first_day[unit], unit, day])
    unit = unit[order]
    start = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]])
    return ok[order], start, group[order][start]


def sort_order(keys: Sequence[np.ndarray]) -> np.ndarray:
    """The order sorting rows by ``keys`` (integer codes ≥ 0, the first key first): one
    stable sort of the keys packed into one integer where they fit, else a lexsort."""
    packed, size = np.zeros(len(keys[0]), dtype=np.int64), 1
    for k in keys:
        width = int(k.max(initial=0)) + 1
        size *= width
        if size >= 1 << 62:
            return np.lexsort(list(keys)[::-1])
        packed = packed * width + k
    return np.argsort(packed, kind="stable")


def _published_twice(p: Payments, rows: np.ndarray) -> np.ndarray:
    """Per payment: a copy of one of ``rows`` published in an earlier-read file (the ingest
    rule, :func:`impact.ingest.transactions.transaction_codes`: same reference, supplier,
    date and amount in another file); the first file's line is kept."""
    out = np.zeros(len(p.pence), dtype=bool)
    rows = rows[(p.ref[rows] < 0) | _repeated(p.ref[rows])]  # a reference read once: no copy
    if not len(rows):
        return out
    code = combined([p.supplier[rows], p.ref[rows], p.day[rows], p.pence[rows]])
    first_file = np.full(int(code.max()) + 1, np.iinfo(np.int64).max)
    np.minimum.at(first_file, code, p.file[rows])
    out[rows] = p.file[rows] != first_file[code]
    return out


def _reversed_by_credit(p: Payments, rows: np.ndarray, days: int) -> np.ndarray:
    """Per payment: one of ``rows`` cancelled by a credit of its amount to the same supplier
    up to ``days`` after it (each credit cancels the latest such payment before it)."""
    out = np.zeros(len(p.pence), dtype=bool)
    credit = np.flatnonzero((p.pence < 0) & p.dated & (p.key >= 0))
    rows = rows[np.isin(p.pence[rows], -p.pence[credit])]  # amounts some credit reverses
    if not len(credit) or not len(rows):
        return out
    group = combined([np.concatenate([p.key[rows], p.key[credit]]),
                      np.concatenate([p.pence[rows], -p.pence[credit]])])
    span = int(max(p.day[rows].max(), p.day[credit].max()) - min(
        p.day[rows].min(), p.day[credit].min())) + 1
    low = min(p.day[rows].min(), p.day[credit].min())
    at = group[: len(rows)] * span + (p.day[rows] - low)
    order = np.argsort(at, kind="stable")
    paid = at[order]
    gc = group[len(rows):]
    i = np.searchsorted(paid, gc * span + (p.day[credit] - low), side="right") - 1
    ok = i >= 0
    hit = order[i[ok]]
    ok[ok] = (group[hit] == gc[ok]) & (p.day[credit][ok] - p.day[rows][hit] <= days)
    out[rows[order[i[ok]]]] = True
    return out


def _one_amount(pence: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Per window [first, last] of ``pence``: every amount the same."""
    changes = np.r_[0, np.cumsum(pence[1:] != pence[:-1])]
    return changes[last] == changes[first]


def _windows_described_apart(u: _Purchases, w: _Windows) -> np.ndarray:
    """Per window: its payments are different purchases (:func:`_described_apart`); only
    windows whose every payment is described are looked at one by one."""
    blank = np.r_[0, np.cumsum(u.desc[w.cand] < 0)]
    out = np.zeros(len(w.first), dtype=bool)
    for i in np.flatnonzero(blank[w.last + 1] == blank[w.first]):
        out[i] = _described_apart(u.desc[w.units(i)], u.digit[w.units(i)])
    return out


def _described_apart(desc: np.ndarray, has_digit: np.ndarray) -> bool:
    """Every payment described, and each differently or two or more naming different
    bills (descriptions with dates or numbers): different purchases."""
    if not (desc >= 0).all():
        return False
    return len(set(desc)) == len(desc) or len(set(desc[has_digit])) >= 2


def _largest_windows(start: np.ndarray, total: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The last positions of windows [start[i], i] taken largest £ first, each only when
    none of its parts is in a window already taken."""
    if not len(ends):
        return ends
    used = np.zeros(int(ends.max()) + 1, dtype=bool)
    out = []
    for i in ends[np.argsort(-total[ends], kind="stable")]:
        if not used[start[i]:i + 1].any():
            used[start[i]:i + 1] = True
            out.append(i)
    return np.asarray(out, dtype=np.int64)


# ----------------------------------------------------------------------------- dissolved

#: The columns of a statuses table (:func:`company_statuses`).
STATUS_COLUMNS = ("supplier_key", "status", "status_date", "matched_by", "source")


@dataclass(frozen=True)
class Dissolved:
    """Payments to companies dissolved, in liquidation or struck off at the payment date,
    from the Companies House status a register gives for the supplier (none shown where
    no status is known).  One finding per supplier: its payments on or after the date the
    company closed (every payment when the register gives no date)."""

    closed_words: tuple[str, ...] = ("dissolved", "liquidation", "receivership",
                                     "administration", "insolvency", "converted-closed",
                                     "removed", "struck off", "strike off")

    key = "dissolved"
    title = "Paid after the company closed"
    rule = ("A payment to a supplier whose Companies House status is dissolved, in "
            "liquidation, in administration or struck off, on or after the date it closed.")
    confidence: ClassVar[dict[str, str]] = {
        HIGH: "the register gives the closing date and the supplier was matched by its "
              "company number",
        MEDIUM: "the register gives the closing date; the supplier was matched by its exact "
                "name",
        LOW: "closed now, but the register gives no date, so whether it was closed when "
             "paid is not known",
    }
    filters: ClassVar[dict[str, str]] = {
        "no_status": "suppliers without a status in any register are not judged",
        "paid_before": "payments before the closing date",
    }

    def find(self, p: Payments, context: CheckContext) -> RuleResult:
        st = context.statuses
        if st is None or st.empty:
            return RuleResult(empty_findings(), {"suppliers_with_status": 0},
                              notes=["No register gives a Companies House status for these "
                                     "suppliers, so this check could not be made."])
        closed = st[st["status"].astype("string").str.lower().str.contains(
            "|".join(self.closed_words), regex=True).fillna(False)]
        key = (p.tx["supplier_key"] if "supplier_key" in p.tx else supplier_keys(p.tx))
        closed = closed.astype({"supplier_key": "string"}).drop_duplicates("supplier_key")
        cand = _rows_of(p, key, set(closed["supplier_key"]))
        hit = key.iloc[cand].astype("string").to_frame("supplier_key").merge(
            closed, on="supplier_key", how="left")
        when = pd.to_datetime(hit["status_date"], errors="coerce")
        paid = pd.to_datetime(p.tx["date"].iloc[cand], errors="coerce").to_numpy()
        after = (when.isna() | (paid >= when.to_numpy())).to_numpy(bool)
        found = self._found(p, cand, hit, after & (p.pence[cand] != 0), when)
        stats = {"suppliers_with_status": int(st["supplier_key"].nunique()),
                 "suppliers_closed": len(closed),
                 "payments_before_closing": int((~after).sum())}
        return RuleResult(findings_frame(self, p, found), stats)

    def _found(self, p: Payments, cand: np.ndarray, hit: pd.DataFrame, after: np.ndarray,
               when: pd.Series) -> Found:
        """One finding per supplier: its payments (``cand`` rows, ``hit`` their statuses)
        on or after the closing date."""
        at = np.flatnonzero(after)
        found = Found([], [], [], [], [], ids=[])
        said = hit[["status", "source", "matched_by"]].astype("string").fillna("").to_numpy(
            dtype=object)
        closed = when.to_numpy()
        for supplier, idx in pd.Series(at).groupby(hit["supplier_key"].to_numpy()[at]):
            i = idx.to_numpy()
            status, source, matched_by = said[i[0]]
            first = {"status": status, "source": source, "matched_by": matched_by}
            dated = not pd.isna(closed[i[0]])
            by_number = matched_by == "company number"
            r = cand[i]
            found.rows.append(r)
            found.confidence.append(HIGH if dated and by_number else MEDIUM if dated else LOW)
            found.amount.append(float(p.pence[r].sum() / 100))
            since = f" since {pd.Timestamp(closed[i[0]]):%-d %b %Y}" if dated else ""
            found.what.append(f"{len(r)} payments to a company {first['status']}{since}")
            found.evidence.append(
                f"Status '{first['status']}' from {first['source']}, matched by "
                f"{first['matched_by']}; "
                + ("every payment listed is on or after the closing date."
                   if dated else "the register gives no closing date."))
            found.ids.append(str(supplier))
        return found


def _rows_of(p: Payments, key: pd.Series, wanted: set) -> np.ndarray:
    """The rows whose supplier key is in ``wanted``: each distinct key looked up once
    where the keys are the ones :func:`prepare` coded, else row by row."""
    if "supplier_key" not in p.tx or not (p.key >= 0).any():
        return np.flatnonzero(key.astype("string").isin(wanted).fillna(False).to_numpy(bool))
    known = np.flatnonzero(p.key >= 0)
    first = np.full(int(p.key.max()) + 1, len(p.key))
    np.minimum.at(first, p.key[known], known)
    closed = key.iloc[first].astype("string").isin(wanted).fillna(False).to_numpy(bool)
    return known[closed[p.key[known]]]


def company_statuses(reference: object, suppliers: pd.DataFrame) -> pd.DataFrame:
    """Companies House status per supplier (:data:`STATUS_COLUMNS`): what the charter
    reads (:func:`impact.analysis.charter.companies_house_status`: the national register
    ``locate`` matched exactly, then reference registers that carry a status), with the date
    the company closed where the register gives it (the Companies House table's dissolution
    date, a reference register's date of cessation) and how the supplier was matched."""
    from impact.analysis.charter import companies_house_status

    ch = companies_house_status(reference, suppliers)
    if ch.empty:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in STATUS_COLUMNS})
    sup = suppliers.drop_duplicates("supplier_key").set_index("supplier_key")
    method = ch["supplier_key"].map(sup["resolution_method"]).astype("string")
    has_number = ch["supplier_key"].map(sup["company_number"]).notna()
    by_number = method.eq("company_number").fillna(False) | (
        has_number & ~ch["ch_source"].astype("string").str.startswith("Companies House")
        .fillna(False))
    closed = _closing_dates(reference, ch["supplier_key"].map(sup["company_number"]))
    return pd.DataFrame({
        "supplier_key": ch["supplier_key"].astype("string"),
        "status": ch["ch_status"].astype("string"),
        "status_date": pd.to_datetime(ch["ch_date_of_cessation"], errors="coerce")
        .fillna(closed),
        "matched_by": np.where(by_number, "company number", "exact name"),
        "source": ch["ch_source"].astype("string"),
    })


def _closing_dates(reference: object, numbers: pd.Series) -> pd.Series:
    """The Companies House table's closing (dissolution) date for each company number, where
    ``impact fetch companies-house`` built one into the reference folder."""
    from impact.places.bulk import COMPANIES_HOUSE
    from impact.places.bulk_lookup import bulk_tables, read_rows

    out = pd.Series(pd.NaT, index=numbers.index, dtype="datetime64[ns]")
    tables = [t for t in bulk_tables(reference) if t.layout.role == COMPANIES_HOUSE.role]
    if not tables or numbers.notna().sum() == 0:
        return out
    rows = read_rows(tables[0], "company_number", numbers.dropna())
    dates = rows.drop_duplicates("company_number").set_index("company_number")["closed"]
    return out.fillna(pd.to_datetime(numbers.map(dates), errors="coerce"))
