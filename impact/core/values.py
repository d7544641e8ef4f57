"""Vectorised parsing of the values councils publish: money, dates, periods, flags.

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


def by_unique(fn: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
    """Apply a column parser to the distinct values only, then spread the results back.

    Spend columns repeat values heavily (a year has ~250 payment dates), so this turns
    string work proportional to rows into work proportional to distinct values.
    """

    @functools.wraps(fn)
    def wrapper(values: pd.Series) -> pd.Series:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        parsed = fn(pd.Series(uniques, dtype="object"))
        taken = (
            parsed.take(np.where(codes < 0, 0, codes))
            if len(parsed)
            else parsed.reindex(range(len(codes)))
        )
        out = pd.Series(taken.to_numpy(), index=values.index, dtype=parsed.dtype)
        return out.mask(codes < 0) if (codes < 0).any() else out

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


_TRUE = {"y", "yes", "true", "1", "gpc", "pcard", "p-card", "card", "purchase card", "c"}


def parse_flags(values: pd.Series) -> pd.Series:
    """Yes/No-style flags → boolean (NA where empty)."""
    s = values.astype("string").str.strip().str.lower()
    out = s.isin(_TRUE).astype("boolean")
    return out.mask(s.isna() | (s == ""))


def parse_cap_rev(values: pd.Series) -> pd.Series:
    """Capital/revenue markers (``Capital``, ``R``, ``Revenue``) → 'capital'/'revenue'."""
    s = values.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="string")
    out = out.mask(s.str.match(r"^(c\b|cap)", na=False), "capital")
    out = out.mask(s.str.match(r"^(r\b|rev)", na=False), "revenue")
    return out


def clean_company_numbers(values: pd.Series) -> pd.Series:
    """Companies House numbers, upper-case and zero-padded to 8 characters (NA where not one)."""
    s = values.astype("string").str.strip().str.upper().str.replace(r"[\s.]", "", regex=True)
    s = s.str.replace(r"\.0$", "", regex=True)
    digits = s.str.fullmatch(r"\d{1,8}", na=False)
    prefixed = s.str.fullmatch(r"[A-Z]{2}\d{1,6}", na=False)
    out = s.where(~digits, s.str.zfill(8))
    pre = s.str.slice(0, 2) + s.str.slice(2).str.zfill(6)
    out = out.where(~prefixed, pre)
    return out.where(digits | prefixed).astype("string")
