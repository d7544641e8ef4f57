"""What a column's values say it is: shares of dates, money, names, codes and flags.

Headers are half the evidence; the values are the other half.  A column headed ``Pay
Date`` whose values are dates, a ``Supplier ID`` column full of company names, a
``Gross`` beside a ``Net`` (both money), a ``Body`` column holding one council's name on
every row: each is read from a sample of the column's values (spread through the file,
not just its top), summarised as shares, and turned into how well the values fit each
role (0 = they contradict it, 1 = they are exactly what the role holds, 0.5 = they say
nothing either way, e.g. an empty optional column).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from impact.core.values import (
    CARD_WORDS,
    DATE_SHAPE,
    NO_WORDS,
    YES_WORDS,
    parse_amounts,
    reads_as_date,
)
from impact.ingest.names import has_legal_form

#: Values that mean "nothing here" in a published file.
NULL_WORDS = frozenset({"", "n/a", "na", "nil", "none", "null", "-", "#n/a", "--", "tbc", "."})
SAMPLE_ROWS = 300

_MONEY_SHAPE = re.compile(
    r"^\(?\s*-?\s*(?:£|GBP)?\s*-?[\d,. \u00a0]*\d[\d,. \u00a0]*\)?\s*(?:-|CR)?$", re.I
)
_CODE = re.compile(r"^(?=.*\d)(?!(?:.*\s){4})[\w\-/.:# ]{1,40}$")
_DIGITS = re.compile(r"^\d+$")
_PENCE = re.compile(r"\.\d\d\)?(?:-|\s*CR)?$", re.I)
_WORDY = re.compile(r"[A-Za-z]{3,}")
_YYYYMM = re.compile(r"^(?:19|20)\d\d-?(?:0[1-9]|1[0-2])$")
_COMPANY = re.compile(r"^(?:\d{6,8}|[A-Za-z]{2}\d{6})(?:\.0+)?$")
_CHARITY = re.compile(r"^\d{6,7}(?:-\d{1,2})?$")
_VAT = re.compile(r"^(?:GB)?\s?\d{3}\s?\d{4}\s?\d{2}(?:\s?\d{3})?$", re.I)
_LINK = re.compile(r"^https?://", re.I)
_CAP_REV = re.compile(r"^(?:c|r|cap|rev|capital|revenue)$", re.I)
_CARD_ONLY = frozenset(CARD_WORDS - YES_WORDS - {"c"})
_FLAG_WORDS = YES_WORDS | NO_WORDS | CARD_WORDS


@dataclass(frozen=True)
class ColumnProfile:
    """Shares (0..1) of a column's sampled non-empty values that look like each kind."""

    rows: int = 0  # sampled rows
    filled: int = 0  # values among them (not empty, not a "nothing" word like N/A)
    written: int = 0  # cells with any text at all, "N/A" included
    distinct: int = 0
    date: float = 0.0
    money: float = 0.0
    pence: float = 0.0
    digits: float = 0.0  # whole numbers written as digits only
    long_digits: float = 0.0  # digit strings of 6+ characters (ids, not amounts)
    code: float = 0.0  # one token holding a digit: V0012, 57720420PTSI, 2006-00001
    wordy: float = 0.0  # holds a word of 3+ letters
    legal: float = 0.0  # names with a legal form (LTD, PLC, LLP…)
    yyyymm: float = 0.0
    card: float = 0.0  # card-scheme words (GPC, P-Card)
    flags: float = 0.0  # yes/no words
    cap_rev: float = 0.0
    company: float = 0.0
    charity: float = 0.0
    vat: float = 0.0
    link: float = 0.0
    example: str = ""

    @property
    def empty(self) -> bool:
        return self.filled == 0

    @property
    def constant(self) -> bool:
        return self.filled >= 5 and self.distinct <= 2


def sample_rows(body: pd.DataFrame, n: int = SAMPLE_ROWS) -> pd.DataFrame:
    """Up to ``n`` rows spread evenly through ``body`` (the top of a file can mislead:
    card payments sorted first, a month's first day all credits)."""
    if len(body) <= n:
        return body
    return body.iloc[np.linspace(0, len(body) - 1, n).astype(int)]


def profile_columns(body: pd.DataFrame) -> dict[int, ColumnProfile]:
    """Each column's :class:`ColumnProfile`, from one sample of ``body``'s rows."""
    sample = sample_rows(body)
    columns, written = {}, {}
    for pos in sample.columns:
        texts = [str(v).strip() for v in sample[pos].tolist()]
        columns[pos] = Counter(t for t in texts if t.lower() not in NULL_WORDS)
        written[pos] = sum(bool(t) for t in texts)
    money = _money_by_value(columns)
    return {
        pos: replace(_profile(counts, len(sample), money), written=written[pos])
        for pos, counts in columns.items()
    }


def _money_by_value(columns: dict[int, Counter]) -> dict[str, bool]:
    """Which distinct values read as money.  Plain numbers are settled by ``float``; the
    rest (``£1,234``, ``(45.00)``, ``12.50-``…) by one :func:`parse_amounts` call, so
    money means exactly what the row-by-row parse will accept."""
    out: dict[str, bool] = {}
    rest = []
    for v in {v for c in columns.values() for v in c}:
        if not _MONEY_SHAPE.match(v):
            out[v] = False
            continue
        try:
            out[v] = "_" not in v and math.isfinite(float(v.replace(",", "")))
        except ValueError:
            rest.append(v)
    if rest:
        parsed = parse_amounts(pd.Series(rest, dtype="string"))
        out.update(zip(rest, parsed.notna().tolist(), strict=True))
    return out


def _profile(counts: Counter, rows: int, money: dict[str, bool]) -> ColumnProfile:
    filled = sum(counts.values())
    if not filled:
        return ColumnProfile(rows=rows)
    values = list(counts)
    weights = np.fromiter(counts.values(), dtype=float) / filled

    def share(test) -> float:
        return float(np.dot(weights, [bool(test(v)) for v in values]))

    return ColumnProfile(
        rows=rows,
        filled=filled,
        distinct=len(values),
        date=_date_share(values, weights),
        money=share(money.get),
        pence=share(_PENCE.search),
        digits=share(_DIGITS.match),
        long_digits=share(lambda v: len(v) >= 6 and v.isdigit()),
        code=share(_is_code),
        wordy=share(_WORDY.search),
        legal=float(np.dot(weights, has_legal_form(values))),
        yyyymm=share(_YYYYMM.match),
        card=share(lambda v: v.lower() in _CARD_ONLY),
        flags=share(lambda v: v.lower() in _FLAG_WORDS),
        cap_rev=share(_CAP_REV.match),
        company=share(_COMPANY.match),
        charity=share(_CHARITY.match),
        vat=share(_VAT.match),
        link=share(_LINK.match),
        example=max(counts, key=counts.__getitem__)[:40],
    )


def _is_code(v: str) -> bool:
    """A reference or code: holds a digit, at most three spaces, mostly not letters
    (``46281108_1``, ``1038986 - 2``, ``PCARD 9514``, ``CRINV0008145``)."""
    return bool(_CODE.match(v)) and sum(ch.isalpha() for ch in v) <= 0.6 * len(v)


def _date_share(values: list[str], weights: np.ndarray) -> float:
    """Share of values reading as dates, from their shape and up to 40 of them read in
    full; bare five-digit numbers (Excel serials, but also plain amounts) count only when
    nearly every value is one."""
    shaped = np.array([bool(DATE_SHAPE.match(v)) for v in values], dtype=bool)
    serial = np.array([len(v) == 5 and v.isdigit() for v in values], dtype=bool)
    if float(np.dot(weights, serial)) < 0.9:
        shaped &= ~serial
    shape_share = float(np.dot(weights, shaped))
    if shape_share < 0.3:
        return 0.0
    checked = [v for v, ok in zip(values, shaped, strict=True) if ok][:40]
    return shape_share * sum(map(reads_as_date, checked)) / len(checked)


# --------------------------------------------------------------------- fit to each role


def _amount_fit(p: ColumnProfile) -> float:
    """Money, not ids (6+ digit whole numbers), not dates or year-month codes."""
    return p.money * (1 - p.long_digits) * (1 - p.date) * (1 - p.yyyymm)


def _text_fit(p: ColumnProfile) -> float:
    """Labels and free text (words fit better than bare codes): anything but dates, money
    with pence, or the flags of another role."""
    other = max(p.date, p.pence, p.cap_rev * 0.7, p.flags * 0.7, p.link)
    return max(0.0, 1 - other) * (0.6 + 0.4 * p.wordy)


def _name_fit(p: ColumnProfile) -> float:
    """Names of people and organisations: words, varied, not codes or money."""
    if p.constant and p.distinct == 1:
        return 0.1
    words = p.wordy * (1 - p.date) * (1 - p.money * (1 - p.wordy))
    return words * (0.75 + 0.25 * min(1.0, 3 * p.legal)) * (1 - 0.5 * p.flags)


def _id_fit(p: ColumnProfile) -> float:
    """References and codes: a token holding digits; neither dates nor money with pence."""
    return max(p.code, p.digits) * (1 - p.date) * (1 - 0.7 * p.pence)


def _body_fit(p: ColumnProfile) -> float:
    return 1.0 if p.constant else 0.15


FITS = {
    "date": lambda p: p.date,
    "period": lambda p: max(p.yyyymm, 0.8 * p.date),
    "amount_net": _amount_fit,
    "amount": _amount_fit,
    "amount_gross": _amount_fit,
    "vat_amount": _amount_fit,
    "irrecoverable_vat": _amount_fit,
    "supplier_name": _name_fit,
    "supplier_id": _id_fit,
    "transaction_id": _id_fit,
    "company_number": lambda p: p.company,
    "charity_number": lambda p: p.charity,
    "vat_number": lambda p: p.vat,
    "directorate": _text_fit,
    "service_area": _text_fit,
    "expense_type": _text_fit,
    "description": _text_fit,
    "is_card": lambda p: max(p.flags, p.card),
    "cap_rev": lambda p: p.cap_rev,
    "body": _body_fit,
    "supplier_type": lambda p: 0.8 if p.distinct <= 12 else 0.3,
    "line_number": lambda p: p.digits * (1 - p.long_digits),
    "link": lambda p: p.link,
}
#: Roles whose column may stay empty in a file (an unused optional column): an empty
#: column fits them neutrally.  The others need values.
OPTIONAL_WHEN_EMPTY = frozenset(FITS) - {"date", "amount_net", "amount", "amount_gross",
                                          "supplier_name", "supplier_id"}


#: The fit of an empty column to a role it may leave empty: it can be mapped (the header
#: names it), but a column with values fitting the role beats it.
EMPTY_FIT = 0.2


def value_fit(p: ColumnProfile, role: str) -> float:
    """How well ``p``'s values fit ``role``: 0 (contradict) .. 1 (exactly what it holds)."""
    if p.empty:
        return EMPTY_FIT if role in OPTIONAL_WHEN_EMPTY else 0.0
    return round(float(FITS[role](p)), 3)


def value_only_fit(p: ColumnProfile, role: str) -> float:
    """Evidence strong enough to name a column's role by its values alone (0 when not):
    dates, money with pence, supplier names with legal forms, card-scheme words,
    capital/revenue words, year-month periods."""
    if p.empty or p.filled < 2:
        return 0.0
    if role == "date":
        return p.date if p.date >= 0.9 else 0.0
    if role == "amount":
        fit = _amount_fit(p)
        return fit if fit >= 0.95 and p.pence >= 0.5 and p.filled >= 0.8 * p.rows else 0.0
    if role == "supplier_name":
        return _name_fit(p) if p.legal >= 0.2 and p.distinct >= 2 else 0.0
    if role == "is_card":
        return p.card if p.card >= 0.9 else 0.0
    if role == "cap_rev":
        words = p.cap_rev * (1 - p.digits)
        return words if words >= 0.95 and p.distinct <= 4 and len(p.example) > 1 else 0.0
    if role == "period":
        return p.yyyymm if p.yyyymm >= 0.95 else 0.0
    return 0.0


def agreement(a: pd.Series, b: pd.Series) -> float:
    """Share of rows where two columns hold the same text (an alternative column that
    repeats the chosen one's values makes the choice moot)."""
    if not len(a):
        return 1.0
    return float((a.str.strip().to_numpy() == b.str.strip().to_numpy()).mean())
