"""Input-output cross-check: the ONS Type I output multiplier of the council's suppliers.

Why a cross-check and not a substitute: LM3 and Type I answer different questions (see
:func:`why_lm3_differs`).  Suppliers' SIC codes map to the 105 industries of the ONS UK
Input-Output Analytical Tables 2020 (industry by industry); spend-weighted, that gives the
national supply-chain output per £.  Regionalising needs regional employment by
industry (BRES), which is not available here: with no table the national figure is shown
un-regionalised and says so.  The Flegg location quotient (FLQ) is implemented for when a
regional employment table is supplied.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

_SECTIONS = (
    ("A", 1, 3),
    ("B", 5, 9),
    ("C", 10, 33),
    ("D", 35, 35),
    ("E", 36, 39),
    ("F", 41, 43),
    ("G", 45, 47),
    ("H", 49, 53),
    ("I", 55, 56),
    ("J", 58, 63),
    ("K", 64, 66),
    ("L", 68, 68),
    ("M", 69, 75),
    ("N", 77, 82),
    ("O", 84, 84),
    ("P", 85, 85),
    ("Q", 86, 88),
    ("R", 90, 93),
    ("S", 94, 96),
    ("T", 97, 98),
    ("U", 99, 99),
)
DIVISION_SECTION = {f"{d:02d}": s for s, a, b in _SECTIONS for d in range(a, b + 1)}


def section_for_division(division: object) -> object:
    """SIC 2007 section letter for a 2-digit division ("86" → "Q"); NA when unknown."""
    if division is None or division is pd.NA or not isinstance(division, str):
        return pd.NA
    return DIVISION_SECTION.get(division, pd.NA)


def load_type1(path: str | os.PathLike[str], column: str = "Output") -> pd.DataFrame:
    """The ONS Type I multipliers CSV: ``io_code``, ``industry``, ``multiplier`` (numeric;
    ``.``/``..`` become NA)."""
    raw = pd.read_csv(path, dtype="string")
    if "SIC" not in raw or column not in raw:
        raise ValueError(f"{path}: expected columns SIC and {column!r} (ONS IOAT Multipliers)")
    return pd.DataFrame(
        {
            "io_code": raw["SIC"].str.strip(),
            "industry": raw.get("Industry", raw["SIC"]),
            "multiplier": pd.to_numeric(raw[column].str.strip(), errors="coerce"),
        }
    )


def _expand(token: str) -> tuple[str, list[str] | None]:
    """One IOAT code token → (division, SIC prefixes it covers, or None for 'the rest')."""
    t = token.strip().upper().replace(" ", "")
    m = re.fullmatch(r"([A-U])(\d{2})\.(\d)-(\d)", t)  # K65.1-2
    if m:
        return m[2], [m[2] + str(i) for i in range(int(m[3]), int(m[4]) + 1)]
    m = re.fullmatch(r"([A-U])(\d{2})\.(\d)", t)  # K65.3
    if m:
        return m[2], [m[2] + m[3]]
    m = re.fullmatch(r"([A-U])(\d+)T(\d+)", t)  # C241T243, C1101T1106
    if m:
        a, b = m[2], m[3]
        return a[:2], [str(i) for i in range(int(a), int(b) + 1)]
    m = re.fullmatch(r"([A-U])(\d+)_(\d+)", t)  # C102_3, D352_3
    if m:
        a = m[2]
        return a[:2], [a, a[: -len(m[3])] + m[3]]
    m = re.fullmatch(r"([A-U])(\d{2})(\d*)", t)  # A01, C101, L683, C1107
    if m:
        return m[2], [m[2] + m[3]] if m[3] else [m[2]]
    m = re.fullmatch(r"([A-U])(\d{2})\w*", t)  # C20A, C23OTHER, L68BXL683: rest of division
    if m:
        return m[2], None
    raise ValueError(f"unrecognised IOAT industry code {token!r}")


def _from_name(division: str, industry: str) -> list[str] | None:
    """SIC classes named at the end of an industry label (``... - 23.1-4/7-9``)."""
    m = re.search(r"-\s*(\d{2})\.([\d/\-]+)\s*$", industry or "")
    if not m or m[1] != division:
        return None
    out: list[str] = []
    for part in m[2].split("/"):
        a, _, b = part.partition("-")
        out += [division + str(i).zfill(len(a)) for i in range(int(a), int(b or a) + 1)]
    return out


def industry_prefixes(io_codes: pd.Series, industries: pd.Series | None = None) -> pd.DataFrame:
    """Each IOAT code's SIC prefixes: ``io_code``, ``division``, ``prefix`` (NA = the rest).

    Handles grouped codes (``B06 & B07``, ``F41, F42  & F43``, ``K65.1-2 & K65.3``) and
    classes listed in the industry label (``C20A`` "... - 20.11/13/15").  ``L68A``
    (owner-occupiers' imputed rent) is left out: no supplier sells it.
    """
    rows = []
    names = industries.astype(str).tolist() if industries is not None else [""] * len(io_codes)
    for code, name in zip(io_codes.astype(str), names, strict=True):
        if code.strip().upper() == "L68A":
            continue
        for tok in re.split(r"[&,]", code):
            if tok.strip():
                div, pre = _expand(tok)
                pre = pre or _from_name(div, name)
                for p in pre or [None]:
                    rows.append((code, div, p))
    return pd.DataFrame(rows, columns=["io_code", "division", "prefix"])


def map_sic_to_io(sic: pd.Series, table: pd.DataFrame) -> pd.Series:
    """IOAT code for each supplier's first SIC code (NA when none maps).

    The longest matching prefix wins (``86101`` → ``Q86``; ``10110`` → ``C101``); a code in
    a division split into named groups plus a remainder (``20``, ``23``, ``25``…) falls to
    the remainder row; a code matching no named group of its division (not a valid SIC
    class) takes the division's first industry; a bare section letter maps to none (NA).
    """
    pre = industry_prefixes(table["io_code"], table.get("industry"))
    first = sic.astype("string").str.extract(r"(\d{4,5})", expand=False)
    code = first.str.zfill(5)
    out = pd.Series(pd.NA, index=sic.index, dtype="string")
    named = pre.dropna(subset=["prefix"]).copy()
    named["len"] = named["prefix"].str.len()
    for n in sorted(named["len"].unique(), reverse=True):  # at most 4 prefix lengths
        m = named[named["len"] == n].drop_duplicates("prefix").set_index("prefix")["io_code"]
        out = out.fillna(code.str[:n].map(m))
    rest = pre[pre["prefix"].isna()].drop_duplicates("division").set_index("division")["io_code"]
    out = out.fillna(code.str[:2].map(rest))
    first = pre.drop_duplicates("division").set_index("division")["io_code"]
    return out.fillna(code.str[:2].map(first))


@dataclass
class IOCrossCheck:
    """Spend-weighted Type I output multiplier of the suppliers with a SIC code.

    Attributes
    ----------
    multiplier : spend-weighted national Type I output multiplier (NaN when nothing maps).
    regionalised : True only when a regional employment table was given and used.
    spend_covered_gbp, spend_total_gbp : spend with a mapped SIC code, and all spend.
    by_industry : spend and multiplier per IOAT industry.
    how_calculated : plain-English method and caveats.
    """

    multiplier: float
    regionalised: bool
    spend_covered_gbp: float
    spend_total_gbp: float
    by_industry: pd.DataFrame
    how_calculated: str


def crosscheck(
    suppliers: pd.DataFrame,
    table: pd.DataFrame,
    regional_multipliers: pd.Series | None = None,
) -> IOCrossCheck:
    """Spend-weighted Type I output multiplier (``suppliers`` needs ``spend``, ``sic``).

    ``regional_multipliers`` (io_code → multiplier, e.g. from :func:`regional_type1`)
    replaces the national figures when given.
    """
    spend = pd.to_numeric(suppliers["spend"], errors="coerce").fillna(0.0)
    io = map_sic_to_io(
        suppliers["sic"] if "sic" in suppliers else pd.Series(pd.NA, index=suppliers.index), table
    )
    mult = table.drop_duplicates("io_code").set_index("io_code")["multiplier"]
    regional = regional_multipliers is not None
    if regional:
        mult = regional_multipliers.reindex(mult.index).fillna(mult)
    m = io.map(mult).astype("float64")
    ok = m.notna() & (spend > 0)
    total, covered = float(spend.sum()), float(spend[ok].sum())
    value = float((spend[ok] * m[ok]).sum() / covered) if covered > 0 else float("nan")
    by = (
        pd.DataFrame({"io_code": io[ok], "spend": spend[ok], "multiplier": m[ok]})
        .groupby("io_code")
        .agg(spend=("spend", "sum"), multiplier=("multiplier", "first"))
        .join(table.drop_duplicates("io_code").set_index("io_code")["industry"])
        .sort_values("spend", ascending=False)
        .reset_index()
    )
    share = covered / total if total > 0 else 0.0
    how = (
        f"Spend-weighted ONS Type I output multiplier (UK IOAT 2020, industry by industry) of "
        f"the suppliers with a SIC code: {share:.0%} of spend. SIC codes map to the 105 IOAT "
        "industries by the longest matching code. "
        + (
            "Regionalised with the Flegg location quotient from the regional employment given."
            if regional
            else "Shown UN-REGIONALISED: regional employment by industry (BRES) is not available, "
            "so this is the national figure; a regional Type I would be lower (less of the "
            "supply chain is inside the area)."
        )
        + " "
        + why_lm3_differs()
    )
    return IOCrossCheck(value, regional, covered, total, by, how)


def for_model(by_supplier: pd.DataFrame, suppliers: pd.DataFrame,
              table: pd.DataFrame) -> IOCrossCheck:
    """The cross-check weighted by each supplier's round-1 £ in the re-spend model
    (``by_supplier``: :attr:`impact.analysis.multiplier.LM3Model.by_supplier_`), so it sits
    beside the LM3 on the same spend wherever it is shown."""
    spend = by_supplier[["supplier_key", "r1"]].rename(columns={"r1": "spend"})
    sic = (suppliers[["supplier_key", "sic"]].drop_duplicates("supplier_key") if "sic" in
           suppliers else suppliers[["supplier_key"]].assign(sic=pd.NA))
    return crosscheck(spend.merge(sic, on="supplier_key", how="left"), table)


def why_lm3_differs() -> str:
    """Why LM3 and the Type I multiplier give different numbers."""
    return (
        "LM3 and Type I answer different questions. LM3 follows money: of £1 the council "
        "spends, how much is received and re-spent inside the local area over three rounds, "
        "measured by survey (or priors), so it ranges from 1 to 3 and falls when spend goes "
        "to suppliers elsewhere. The Type I output multiplier follows production: £1 of "
        "final demand for an industry's output causes how much output across the whole UK "
        "supply chain (direct + indirect, from the national input-output tables), so it is "
        "at least 1 whether or not any supplier is local, counts output rather than income, "
        "and ignores households' spending of wages (that would be Type II)."
    )


# --- Flegg location quotient -------------------------------------------------------------


def flegg_lambda(regional_total: float, national_total: float, delta: float = 0.3) -> float:
    """λ = [log2(1 + regional employment / national employment)]^δ (Flegg & Webber 1997)."""
    if not (0 < regional_total <= national_total):
        raise ValueError("need 0 < regional employment ≤ national employment")
    if not 0 <= delta < 1:
        raise ValueError("δ must be within [0, 1)")
    return float(np.log2(1 + regional_total / national_total) ** delta)


def flq_matrix(
    regional_emp: np.ndarray, national_emp: np.ndarray, delta: float = 0.3
) -> np.ndarray:
    """FLQ_ij = CILQ_ij × λ (off-diagonal), SLQ_i × λ on the diagonal (Flegg & Webber 2000).

    SLQ_i = (RE_i / RE) / (NE_i / NE); CILQ_ij = SLQ_i / SLQ_j (row i supplies column j).
    """
    re_, ne = np.asarray(regional_emp, dtype="float64"), np.asarray(national_emp, dtype="float64")
    if re_.shape != ne.shape or (ne <= 0).any() or (re_ < 0).any():
        raise ValueError("employment vectors must match in length, national > 0, regional ≥ 0")
    slq = (re_ / re_.sum()) / (ne / ne.sum())
    lam = flegg_lambda(re_.sum(), ne.sum(), delta)
    with np.errstate(divide="ignore", invalid="ignore"):
        cilq = np.where(slq[None, :] > 0, slq[:, None] / slq[None, :], 0.0)
    out = cilq * lam
    np.fill_diagonal(out, slq * lam)
    return out


def regional_type1(
    a: np.ndarray, regional_emp: np.ndarray, national_emp: np.ndarray, delta: float = 0.3
) -> np.ndarray:
    """Regional Type I output multipliers: column sums of (I − R)⁻¹, r = a × min(FLQ, 1)."""
    a = np.asarray(a, dtype="float64")
    r = a * np.minimum(flq_matrix(regional_emp, national_emp, delta), 1.0)
    return np.linalg.inv(np.eye(len(a)) - r).sum(axis=0)
