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

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from impact.core.values import (
    CARD_WORDS,
    DATE_SHAPE,
    NO_WORDS,
    YES_WORDS,
    parse_amounts,
    reads_as_date,
)
from impact.ingest.names import LEGAL_FORM_PATTERN
from impact.ingest.tables import arrow_strings

#: Values that mean "nothing here" in a published file.
NULL_WORDS = ("", "n/a", "na", "nil", "none", "null", "-", "#n/a", "--", "tbc", ".")
SAMPLE_ROWS = 200

#: The value shapes looked for, as RE2 patterns (pyarrow runs them over a whole sample).
SHAPES = {
    "digits": r"^\d+$",
    "long_digits": r"^\d{6,}$",
    "pence": r"(?i)\.\d\d\)?(-|\s*CR)?$",
    "wordy": r"[A-Za-z]{3,}",
    "yyyymm": r"^(19|20)\d\d-?(0[1-9]|1[0-2])$",
    "company": r"^(\d{6,8}|[A-Za-z]{2}\d{6})(\.0+)?$",
    "charity": r"^\d{6,7}(-\d{1,2})?$",
    "vat": r"(?i)^(GB)?\s?\d{3}\s?\d{4}\s?\d{2}(\s?\d{3})?$",
    "link": r"(?i)^https?://",
    "cap_rev": r"(?i)^(c|r|cap|rev|capital|revenue)$",
    "legal": LEGAL_FORM_PATTERN,
}
_MONEY_SHAPE = "(?i)^\\(?\\s*-?\\s*(£|GBP)?\\s*-?[\\d,. \u00a0]*\\d[\\d,. \u00a0]*\\)?\\s*(-|CR)?$"
_CARD_ONLY = sorted(CARD_WORDS - YES_WORDS - {"c"})
_FLAG_WORDS = sorted(YES_WORDS | NO_WORDS | CARD_WORDS)


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
    code: float = 0.0  # a reference holding digits: V0012, 46281108_1, PCARD 9514
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


def _sample_positions(length: int, n: int = SAMPLE_ROWS) -> np.ndarray:
    """Up to ``n`` row positions spread evenly through a table (the top of a file can
    mislead: card payments sorted first, a month's first day all credits)."""
    if length <= n:
        return np.arange(length)
    return np.linspace(0, length - 1, n).astype(np.int64)


def sample_rows(body: pd.DataFrame, n: int = SAMPLE_ROWS) -> pd.DataFrame:
    """The rows :func:`profile_columns` samples, as a frame."""
    return body.take(_sample_positions(len(body), n))


@dataclass(frozen=True)
class _Stacked:
    """Every sampled cell of every column in one Arrow array (blanks and "N/A" dropped),
    with the column each came from.  Shape tests run once per *distinct* value (the
    dictionary), one vectorised call each, and are spread back to the cells."""

    values: pa.Array  # distinct values
    index: np.ndarray  # per kept cell: its value in ``values``
    column: np.ndarray  # per kept cell: its column's index in ``positions``
    positions: list
    rows: int
    written: np.ndarray  # per column: cells with any text

    @classmethod
    def of(cls, body: pd.DataFrame) -> _Stacked:
        positions = list(body.columns)
        rows = _sample_positions(len(body))
        if not positions or not len(rows):
            empty = np.zeros(0, dtype=np.int64)
            return cls(pa.array([], pa.large_string()), empty, empty, positions, len(rows),
                       np.zeros(len(positions), dtype=np.int64))
        take = pa.array(rows)
        cells = pa.chunked_array(
            [c for p in positions for c in arrow_strings(body[p]).take(take).chunks]
        ).combine_chunks()
        enc = pc.dictionary_encode(pc.utf8_trim_whitespace(cells))
        values = enc.dictionary
        index = enc.indices.to_numpy(zero_copy_only=False)
        column = np.repeat(np.arange(len(positions)), len(rows))
        blank = pc.equal(values, "").to_numpy(zero_copy_only=False)[index]
        written = np.bincount(column[~blank], minlength=len(positions))
        null = pc.is_in(pc.utf8_lower(values), pa.array(NULL_WORDS)).to_numpy(
            zero_copy_only=False)
        keep = ~null[index]
        return cls(values, index[keep], column[keep], positions, len(rows), written)

    def share(self, mask: np.ndarray, filled: np.ndarray) -> np.ndarray:
        """Per column, the share of its kept cells whose value ``mask`` marks."""
        return self.share_cells(mask[self.index], filled)

    def share_cells(self, cells: np.ndarray, filled: np.ndarray) -> np.ndarray:
        """Per column, the share of its kept cells that ``cells`` marks."""
        hits = np.bincount(self.column, weights=cells.astype(float),
                           minlength=len(self.positions))
        return np.divide(hits, filled, out=np.zeros(len(filled)), where=filled > 0)

    def matches(self, pattern: str) -> np.ndarray:
        return pc.match_substring_regex(self.values, pattern).to_numpy(zero_copy_only=False)

    def within(self, words: list[str]) -> np.ndarray:
        return pc.is_in(pc.utf8_lower(self.values), pa.array(words)).to_numpy(
            zero_copy_only=False)

    def count(self, pattern: str) -> np.ndarray:
        return pc.count_substring_regex(self.values, pattern).to_numpy(zero_copy_only=False)


def profile_columns(body: pd.DataFrame) -> dict:
    """Each column's :class:`ColumnProfile`, from one sample of ``body``'s rows."""
    stacked = _Stacked.of(body)
    n = len(stacked.positions)
    filled = np.bincount(stacked.column, minlength=n).astype(float)
    shares = {name: stacked.share(stacked.matches(p), filled) for name, p in SHAPES.items()}
    shares["code"] = stacked.share(_code_mask(stacked), filled)
    shares["money"] = stacked.share(_money_mask(stacked), filled)
    shares["card"] = stacked.share(stacked.within(_CARD_ONLY), filled)
    shares["flags"] = stacked.share(stacked.within(_FLAG_WORDS), filled)
    shares["date"] = _date_shares(stacked, filled)
    distinct, examples = _distinct_and_examples(stacked)
    return {
        pos: ColumnProfile(
            rows=stacked.rows, filled=int(filled[i]), written=int(stacked.written[i]),
            distinct=int(distinct[i]), example=examples.get(i, ""),
            **{k: round(float(v[i]), 4) for k, v in shares.items()},
        )
        for i, pos in enumerate(stacked.positions)
    }


def _code_mask(s: _Stacked) -> np.ndarray:
    """A reference or code: holds a digit, at most three spaces, at most 40 characters,
    mostly not letters (``46281108_1``, ``1038986 - 2``, ``PCARD 9514``, ``CRINV0008145``)."""
    length = pc.utf8_length(s.values).to_numpy(zero_copy_only=False)
    letters = s.count("[A-Za-z]")
    spaces = s.count(" ")
    return s.matches(r"\d") & (spaces <= 3) & (length <= 40) & (letters <= 0.6 * length)


_PLAIN_NUMBER = r"^-?\d+(\.\d+)?$"


def _money_mask(s: _Stacked) -> np.ndarray:
    """Values reading as money exactly as :func:`parse_amounts` reads them: plain numbers
    (thousands separators aside) at once, the other money-shaped values (``£1,234``,
    ``(45.00)``, ``12.50-``) by one :func:`parse_amounts` call."""
    plain = pc.match_substring_regex(pc.replace_substring(s.values, ",", ""), _PLAIN_NUMBER)
    out = plain.to_numpy(zero_copy_only=False).copy()
    other = s.matches(_MONEY_SHAPE) & ~out
    if other.any():
        values = pd.Series(s.values.filter(pa.array(other)).to_pylist(), dtype="string")
        out[other] = parse_amounts(values).notna().to_numpy()
    return out


def _date_shares(s: _Stacked, filled: np.ndarray) -> np.ndarray:
    """Per column: the share of values shaped like dates, times the share of up to 40 of
    them that read as dates in full.  Bare five-digit numbers (Excel serials, but also
    plain amounts) count only in a column of nearly nothing else."""
    shaped = s.matches(DATE_SHAPE.pattern)
    serial = s.matches(r"^\d{5}(\.0+)?$")
    serial_cols = s.share(serial, filled) >= 0.9
    cell_shaped = shaped[s.index] & ~(serial[s.index] & ~serial_cols[s.column])
    share = s.share_cells(cell_shaped, filled)
    for i in np.flatnonzero(share >= 0.3):
        ids = np.unique(s.index[cell_shaped & (s.column == i)])[:40]
        checked = s.values.take(pa.array(ids)).to_pylist()
        share[i] *= sum(map(reads_as_date, checked)) / len(checked)
    share[share < 0.3] = 0.0
    return share


def _distinct_and_examples(s: _Stacked) -> tuple[np.ndarray, dict[int, str]]:
    """Per column: distinct values, and its most common value (for the evidence text)."""
    n = len(s.positions)
    width = max(len(s.values), 1)
    pairs, counts = np.unique(s.column.astype(np.int64) * width + s.index, return_counts=True)
    cols = pairs // width
    distinct = np.bincount(cols, minlength=n)
    examples = {}
    for col in np.unique(cols):
        mine = cols == col
        best = pairs[mine][np.argmax(counts[mine])] % width
        examples[int(col)] = str(s.values[int(best)])[:40]
    return distinct, examples


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
