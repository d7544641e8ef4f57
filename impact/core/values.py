"""Vectorised parsing of the values people publish: money, dates, periods, flags, numbers,
company numbers and postcodes.  One home for each, used by every reader.

Transparency Code files write the same thing many ways (``"2,100.00"``, ``£1,234``,
``(45.00)``, ``03/04/25``, ``01-Mar-22``, Excel serials, ``202101``).  Each parser
works on a whole column at once and returns NA where a value cannot be read, so the
caller can reject that row with a reason instead of guessing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_MONTH_WORDS = {
    **_MONTHS,
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "june": 6,
    "july": 7,
    "august": 8,
    "sept": 9,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}


def apply_distinct(values: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``fn`` applied to the distinct non-null values of ``values`` only, spread back.

    Spend columns repeat values heavily (a year has ~250 payment dates, a supplier's
    postcode is on every one of its payments), so this turns string work proportional to
    rows into work proportional to distinct values.  NA stays NA; the index is kept.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = fn(pd.Series(uniques, dtype="object"))
    if parsed.dtype == bool:
        parsed = parsed.astype("boolean")
    taken = parsed.array.take(codes, allow_fill=True)
    return pd.Series(taken, index=values.index, dtype=parsed.dtype, name=values.name)


def map_distinct(values: pd.Series, fn: Callable[[str], object], dtype: str) -> pd.Series:
    """A scalar ``fn(str)`` applied once per distinct non-null value (:func:`apply_distinct`)."""
    return apply_distinct(
        values, lambda u: pd.Series(pd.array([fn(str(v)) for v in u], dtype=dtype), dtype=dtype)
    )


def by_unique(fn: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
    """Decorator: make a column parser run on distinct values only (:func:`apply_distinct`)."""

    @functools.wraps(fn)
    def wrapper(values: pd.Series, *args: object, **kwargs: object) -> pd.Series:
        return apply_distinct(values, lambda u: fn(u, *args, **kwargs))

    return wrapper


@by_unique
def parse_amounts(values: pd.Series) -> pd.Series:
    """Money strings → float £; NA where not a number.

    Handles ``£``/``GBP``, thousands separators, spaces, bracket negatives ``(12.50)``,
    trailing minus ``12.50-`` and ``CR`` suffixes (credits).
    """
    fast = pd.to_numeric(values, errors="coerce")
    if fast.notna().all():
        return _finite(fast)
    s = values.astype("string").str.strip()
    commas = pd.to_numeric(s.str.replace(",", "", regex=False), errors="coerce")
    if commas.notna().all():
        return _finite(commas)
    neg = s.str.match(r"^\(.*\)$", na=False) | s.str.contains(
        r"(?:-|CR)\s*$", case=False, regex=True, na=False
    )
    cleaned = s.str.replace(r"(?i)gbp|cr\s*$|[£\s,()\u00a0]|(?<=\d)-$", "", regex=True)
    num = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    num = num.where(~(neg & (num > 0)), -num)
    return _finite(num)


def _finite(num: pd.Series) -> pd.Series:
    """float64 with ``inf``/``-Infinity``/``1e999`` as NA: no payment is infinite."""
    out = num.astype("float64")
    return out.where(np.isfinite(out.to_numpy()))


# Formats tried per column, most specific first.  UK publishers write day first.
_DATE_FORMATS: tuple[str, ...] = (
    "%d/%m/%Y",
    "%d/%m/%y",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d-%b-%y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y/%m/%d",
    "%d/%m/%y %H:%M",
    "%Y%m%d",
)

# Excel serial day numbers for 1990..2060.
_EXCEL_MIN, _EXCEL_MAX = 32874, 58441
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _formats_for(sample: list[str]) -> list[str]:
    """The formats that read at least one of ``sample``, in preference order (cheap probe).

    Trying every format on a whole column costs one pandas call each; probing a few
    distinct values with ``strptime`` first keeps that to the one or two formats in use.
    When the probe finds nothing the full list is returned, so rare formats still parse.
    """
    import datetime as dt

    hits = []
    sample = sample[:12]
    for fmt in _DATE_FORMATS:
        for value in sample:
            try:
                dt.datetime.strptime(value, fmt)
            except ValueError:
                continue
            hits.append(fmt)
            break
    return hits or list(_DATE_FORMATS)


@by_unique
def parse_dates(values: pd.Series) -> pd.Series:
    """Date strings → datetime64; NaT where unreadable.

    Each format is applied to the values still unparsed, so a column mixing
    ``dd/mm/yyyy`` and ``dd/mm/yy`` (as Hyndburn's do) reads fully.  Excel serials
    (e.g. ``44652``) are accepted when the whole value is an integer in a plausible range.
    """
    s = values.astype("string").str.strip()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    todo = s.notna() & (s != "")
    tried: set[str] = set()
    while todo.any():
        # Probe the values still unread: a column may switch format part-way through.
        formats = [f for f in _formats_for(s[todo].head(50).tolist()) if f not in tried]
        if not formats:
            break
        for fmt in formats:
            tried.add(fmt)
            parsed = pd.to_datetime(s[todo], format=fmt, errors="coerce")
            ok = parsed.notna()
            if ok.any():
                out.loc[ok[ok].index] = parsed[ok].astype("datetime64[ns]")
                todo.loc[ok[ok].index] = False
    if todo.any():
        num = pd.to_numeric(s[todo], errors="coerce")
        serial = num[(num >= _EXCEL_MIN) & (num <= _EXCEL_MAX) & (num == np.floor(num))]
        if len(serial):
            out.loc[serial.index] = _EXCEL_EPOCH + pd.to_timedelta(serial.astype("int64"), unit="D")
    # Years far outside publication range are misreads (e.g. 00:00:00 as a date).
    bad = out.notna() & ((out.dt.year < 1990) | (out.dt.year > 2100))
    return out.mask(bad)


#: The shapes a date is written in (a cheap filter before ``strptime``): d/m/y with any
#: separator and an optional time, a month name, eight digits (yyyymmdd), or an Excel serial.
DATE_SHAPE = re.compile(
    r"^(\d{1,4}[-/. ]\d{1,2}[-/. ]\d{2,4}|\d{1,2}[-/ ][A-Za-z]{3,9}[-/ ]\d{2,4}"
    r"|(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
    r"([ T]\d{1,2}:\d\d(:\d\d(\.\d+)?)?)?$|^\d{5}(\.0+)?$"
)


def reads_as_date(text: str) -> bool:
    """Whether one value reads as a date the way :func:`parse_dates` would read it (the
    same formats, Excel serials, years 1990-2100): a scalar check for judging what a
    column holds from a few values, where a vectorised call per column costs more."""
    import datetime as dt

    text = text.strip()
    if not DATE_SHAPE.match(text):
        return False
    if text.replace(".0", "").isdigit() and len(text.split(".")[0]) == 5:
        return _EXCEL_MIN <= float(text) <= _EXCEL_MAX
    for fmt in _DATE_FORMATS:
        try:
            year = dt.datetime.strptime(text, fmt).year
        except ValueError:
            continue
        return 1990 <= year <= 2100
    return False


#: Words that mark a payment made by purchase card when they stand in a reference or a
#: type column ("PCARD 9514", "GPC", "P-Card"): generic card-scheme words.
CARD_MARKER = r"(?i)\b(?:p[- ]?card|gpc|purchase[- ]card|procurement[- ]card)\b"


def card_markers(values: pd.Series) -> pd.Series:
    """True where a text value names a purchase-card payment (:data:`CARD_MARKER`);
    NA where empty (so it can fill in where no card column says otherwise).  One Arrow
    regex pass: references are mostly distinct, so there is nothing to share."""
    arr = pa.array(values.astype("string").array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    hit = pc.match_substring_regex(arr, CARD_MARKER.removeprefix("(?i)"), ignore_case=True)
    empty = pc.or_(pc.is_null(arr), pc.equal(pc.utf8_trim_whitespace(arr), ""))
    out = pd.arrays.BooleanArray(
        hit.fill_null(False).to_numpy(zero_copy_only=False),
        empty.fill_null(True).to_numpy(zero_copy_only=False),
    )
    return pd.Series(out, index=values.index, name=values.name)


def parse_amounts_column(values: pd.Series) -> pd.Series:
    """:func:`parse_amounts` for a whole column at once: when every value is a plain
    number (thousands separators aside) Arrow's cast reads it in one pass, with the same
    result; any other value sends the column through :func:`parse_amounts`."""
    arr = pa.array(values.astype("string").array)
    try:
        num = pc.cast(pc.replace_substring(arr, ",", ""), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return parse_amounts(values)
    out = pd.Series(num.to_numpy(zero_copy_only=False), index=values.index, name=values.name)
    if not np.isfinite(out.dropna().to_numpy()).all():
        return parse_amounts(values)
    return out


def month_labels(dates: pd.Series) -> pd.Series:
    """Dates → "YYYY-MM" strings (NA for NaT), formatting each distinct date once."""
    codes, uniques = pd.factorize(dates, use_na_sentinel=True)
    labels = pd.array([*list(pd.DatetimeIndex(uniques).strftime("%Y-%m")), pd.NA], dtype="string")
    return pd.Series(labels.take(np.where(codes < 0, len(uniques), codes)), index=dates.index)


def parse_yyyymm(values: pd.Series) -> pd.Series:
    """``202104`` / ``2021-04`` / ``Apr-21`` period codes → "YYYY-MM" strings (NA otherwise)."""
    s = values.astype("string").str.strip()
    m = s.str.extract(r"^(?P<y>(?:19|20)\d\d)-?(?P<m>0[1-9]|1[0-2])$")
    out = (m["y"] + "-" + m["m"]).astype("string")
    return out


def period_from_name(name: str) -> tuple[str, str] | None:
    """The period a file covers, read from its name or title: ("YYYY-MM", "YYYY-MM") or None.

    Understands ``apr-jun-2014``, ``January-25``, ``Jan2021``, ``1701`` (yymm),
    ``2021-04``, ``2021-Q4``, ``Mar-22`` — the patterns councils use for file names.
    """
    low = name.lower()
    month_alt = "|".join(sorted(_MONTH_WORDS, key=len, reverse=True))
    rng = re.search(rf"\b({month_alt})[-_ ]+({month_alt})[-_ ]+((?:19|20)?\d\d)\b", low)
    if rng:
        y = _year(rng.group(3))
        m1, m2 = _MONTH_WORDS[rng.group(1)], _MONTH_WORDS[rng.group(2)]
        y1 = y - 1 if m1 > m2 else y
        return f"{y1:04d}-{m1:02d}", f"{y:04d}-{m2:02d}"
    one = re.search(rf"(?<![a-z])({month_alt})[-_ ]*((?:19|20)?\d\d)(?!\d)", low)
    if one:
        y, m = _year(one.group(2)), _MONTH_WORDS[one.group(1)]
        return f"{y:04d}-{m:02d}", f"{y:04d}-{m:02d}"
    iso = re.search(r"((?:19|20)\d\d)[-_](0[1-9]|1[0-2])(?!\d)", low)
    if iso:
        p = f"{iso.group(1)}-{iso.group(2)}"
        return p, p
    q = re.search(r"((?:19|20)\d\d)[-_ ]?q([1-4])", low)
    if q:
        y, n = int(q.group(1)), int(q.group(2))
        start = 3 * (n - 1) + 1
        return f"{y:04d}-{start:02d}", f"{y:04d}-{start + 2:02d}"
    yymm = re.search(r"(?<!\d)(\d\d)(0[1-9]|1[0-2])(?!\d)", low)
    if yymm:
        p = f"20{yymm.group(1)}-{yymm.group(2)}"
        return p, p
    return None


def _year(text: str) -> int:
    y = int(text)
    return y + 2000 if y < 100 else y


#: Words that mean yes / no in registers, attribute files and flags columns.
YES_WORDS = frozenset({"y", "yes", "true", "t", "1", "accredited", "published", "in place"})
NO_WORDS = frozenset({"n", "no", "false", "f", "0", "not", "not accredited", "none"})
#: Words that mark a purchase-card payment in a card-flag column ("C" as in "Card": a
#: column of C/blank is how some finance systems export it).
CARD_WORDS = frozenset(
    {"y", "yes", "true", "1", "gpc", "pcard", "p-card", "card", "purchase card", "c"}
)


@by_unique
def parse_yes_no(values: pd.Series) -> pd.Series:
    """Yes/no answers → nullable boolean; NA where empty or neither (e.g. "unknown").

    A whole-value match first ("in place", "not accredited"), then the first word
    ("Yes - micro business" → yes, "Not an SME" → no).
    """
    s = values.astype("string").str.strip().str.lower()
    first = s.str.extract(r"^([a-z0-9]+)(?:[\s,;:-]|$)", expand=False)  # not "n/a"
    yes = s.isin(YES_WORDS) | (~s.isin(NO_WORDS) & first.isin(YES_WORDS))
    no = s.isin(NO_WORDS) | (~s.isin(YES_WORDS) & first.isin(NO_WORDS))
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[yes.fillna(False).to_numpy(bool)] = True
    out[no.fillna(False).to_numpy(bool)] = False
    return out


def parse_card_flags(values: pd.Series) -> pd.Series:
    """Card-payment markers (``GPC``, ``P-Card``, ``Y``, ``C``) → boolean; NA where empty."""
    s = values.astype("string").str.strip().str.lower()
    out = s.isin(CARD_WORDS).astype("boolean")
    return out.mask(s.isna() | (s == ""))


@by_unique
def parse_numbers(values: pd.Series, percent: bool = False) -> pd.Series:
    """Numbers as people type them → float: ``"29,199"``, ``" 1 296 "``, ``£1,500``.

    With ``percent``, ``"40%"`` reads as 0.4 (a share); without, a ``%`` value is NA.
    """
    s = values.astype("string").str.strip().str.replace(r"[£,\s\u00a0]", "", regex=True)
    pct = s.str.endswith("%").fillna(False).to_numpy(bool)
    num = pd.to_numeric(s.str.rstrip("%").astype(object), errors="coerce").astype("float64")
    num = num.where(~pct, num / 100) if percent else num.where(~pct)
    return _finite(num)


def parse_shares(values: pd.Series) -> pd.Series:
    """Shares written as ``40%``, ``0.4`` or ``40`` → 0.4 (values over 1 are percentages)."""
    num = parse_numbers(values, percent=True)
    return num.where(num <= 1, num / 100)


def parse_cap_rev(values: pd.Series) -> pd.Series:
    """Capital/revenue markers (``Capital``, ``R``, ``Revenue``) → 'capital'/'revenue'."""
    s = values.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="string")
    out = out.mask(s.str.match(r"^(c\b|cap)", na=False), "capital")
    out = out.mask(s.str.match(r"^(r\b|rev)", na=False), "revenue")
    return out


@by_unique
def clean_company_numbers(values: pd.Series) -> pd.Series:
    """Companies House numbers as the register writes them; NA where not one.

    Eight characters: digits zero-padded (``1234567`` and a spreadsheet's ``1234567.0`` →
    ``01234567``), or a two-letter prefix and six digits (``SC1234`` → ``SC001234``).
    """
    s = values.astype("string").str.strip().str.upper()
    s = s.str.replace(r"\.0+$", "", regex=True).str.replace(r"[\s.\-/]", "", regex=True)
    digits = s.str.fullmatch(r"\d{1,8}", na=False)
    prefixed = s.str.fullmatch(r"[A-Z]{2}\d{1,6}", na=False)
    out = s.where(~digits, s.str.zfill(8))
    out = out.where(~prefixed, s.str.slice(0, 2) + s.str.slice(2).str.zfill(6))
    return out.where(digits | prefixed).astype("string")


def clean_charity_numbers(values: pd.Series) -> pd.Series:
    """Charity Commission (England and Wales) numbers as the register keys them; NA where
    not one.

    Six or seven digits without leading zeros; a linked (subsidiary) charity's suffix
    (``1234567-1``) and a spreadsheet's ``.0`` are dropped, since the register extract
    places the main charity.
    """
    s = values.astype("string").str.strip().str.replace(r"\.0+$", "", regex=True)
    digits = s.str.extract(r"^(?:CC|RCN)?\s*0*(\d{5,7})(?:\s*-\s*\d{1,2})?$", expand=False)
    return digits.astype("string")


#: Compact (no space) UK postcode: outward A9, A99, AA9, AA99, A9A, AA9A; inward 9AA.
POSTCODE_COMPACT_RE = r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}"


def normalise_postcodes(s: pd.Series) -> pd.Series:
    """Upper-case, strip, respace to ``OUTWARD INWARD``; NA where not a UK postcode.

    Works on the distinct values only (Arrow dictionary encoding and regex kernels), so a
    column of 100k repeated supplier postcodes costs what its few thousand values cost.
    """
    arr = pa.array(s.astype("string").array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if len(arr) == 0:
        return pd.Series(pd.NA, index=s.index, dtype="string", name=s.name)
    enc = pc.dictionary_encode(arr)
    compact = pc.replace_substring_regex(pc.utf8_upper(enc.dictionary), r"[\s\v\x{85}\p{Z}]+", "")
    ok = pc.match_substring_regex(compact, f"^{POSTCODE_COMPACT_RE}$")
    spaced = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(compact, 0, -3),
        pc.utf8_slice_codeunits(compact, -3),
        pa.scalar(" ", compact.type),
    )
    values = pc.if_else(ok, spaced, pa.scalar(None, spaced.type)).take(enc.indices)
    return pd.Series(pd.array(values, dtype="string"), index=s.index, name=s.name)
