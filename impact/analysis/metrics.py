"""The explorer's figures, each with the text that says how it was calculated.

Every function takes transactions already joined to places
(:class:`impact.workspace.Workspace` ``.transactions``) and already filtered
(:func:`impact.filters.apply`).  Figures that depend on where suppliers are come with their
*coverage* (the share of £ whose supplier could be placed, or is a national body) and two
bounds: the lower bound counts every unplaced £ as not local, the upper bound as local.
The point estimate assumes unplaced spend is distributed like placed spend — the bounds
show how much that matters.  Spend with **national** bodies (HMRC, government departments:
``location_band == "national"``) is known, and is no place's local spend: it counts as
neither local nor unplaced, so it sits in every share's denominator and never in a bound's
unknown part.

Spend basis for shares: positive payments (credits and refunds excluded), as in
:func:`impact.locate.coverage`.  Totals are net (credits subtracted) as published.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from impact.core.values import parse_yes_no

REGISTERED_OFFICE_CAVEAT = (
    "Suppliers are placed at the postcode of their register entry — often a registered or "
    "head office — so spend with national firms counts where their head office is. This "
    "overstates head-office cities and understates places where the work is done."
)
BOUNDS_TEXT = (
    "Lower bound: every unplaced £ assumed to go elsewhere. Upper bound: every unplaced £ "
    "assumed to stay. The central figure assumes unplaced spend is like placed spend."
)
#: Below this share of spend placed (or known to be national) a local figure is "not enough
#: data".  A share's lower and upper bounds are (1 − coverage) apart and its point estimate
#: assumes unplaced spend is like placed spend: under 50 % coverage most of the £ behind the
#: figure is that assumption, so a ward showing £0 is as likely a data gap as a fact.  One
#: threshold for every page, the comparison table and the board pack.
MIN_COVERAGE = 0.5
#: What a page shows instead of a withheld figure (never £0).
NOT_ENOUGH_DATA = "not enough data"
NATIONAL_TEXT = (
    "{amount} went to national bodies (government departments and agencies such as HMRC): "
    "known, and no place's local spend, so counted as leaving the area and never as unplaced."
)


#: Below this coverage a share (or LM3) is "not enough data": a share's lower and upper
#: bounds are (1 − coverage) apart and the point estimate assumes unplaced spend is like
#: placed spend, so under 50 % coverage most of the £ behind the figure is that assumption.
MIN_COVERAGE = 0.5
#: What a page, chart or export shows instead of a figure below :data:`MIN_COVERAGE`.
NOT_ENOUGH_DATA = "not enough data"


@dataclass(frozen=True)
class Figure:
    """One number on screen, with what it means and how it was calculated.

    ``value`` is a share (0–1) or £; ``text`` is the formatted value; ``how`` the method in
    plain English; ``inputs`` the amounts it was computed from; ``coverage`` the share of £
    the figure could use (None when all); ``lower``/``upper`` bounds for shares that
    depend on supplier locations.
    """

    key: str
    label: str
    value: float | None
    text: str
    how: str
    inputs: dict[str, object] = field(default_factory=dict)
    coverage: float | None = None
    lower: float | None = None
    upper: float | None = None
    caveats: tuple[str, ...] = ()

    @property
    def bounds_text(self) -> str:
        if self.lower is None or self.upper is None:
            return ""
        return f"{pct(self.lower)}–{pct(self.upper)}"


def money(x: float | None) -> str:
    """£ with thousands separators; £m above a million; a minus sign before the £
    ("−£540", as style guides write it, never "£-540")."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "—"
    size = abs(float(x))
    text = f"£{size / 1e6:,.1f}m" if size >= 1e6 else f"£{size:,.0f}"
    return ("\u2212" + text) if x < 0 and text not in ("£0", "£0.0m") else text


def pct(x: float | None, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "—"
    return f"{100 * x:.{digits}f}%"


def _positive_amounts(tx: pd.DataFrame) -> pd.Series:
    """Each payment's £, credits and unreadable amounts as 0 (money spent, not net)."""
    return pd.to_numeric(tx["amount"], errors="coerce").fillna(0.0).clip(lower=0.0)


def _ratio(a: float, b: float) -> float | None:
    return a / b if b > 0 else None


@dataclass(frozen=True)
class _Known:
    """The £ a place-dependent share rests on: all positive spend, the part placed, and the
    part paid to national bodies (known, never local)."""

    total: float
    placed: float
    national: float

    @classmethod
    def of(cls, tx: pd.DataFrame, pos: pd.Series, placed: np.ndarray) -> _Known:
        national = _national(tx)
        return cls(float(pos.sum()), float(pos[placed & ~national].sum()),
                   float(pos[national].sum()))

    @property
    def known(self) -> float:
        return self.placed + self.national

    def share(self, inside: float) -> tuple[float | None, float | None, float | None]:
        """(point, lower, upper) for ``inside`` £: the point over what is known; the bounds
        with the unknown £ all elsewhere or all inside."""
        return (
            _ratio(inside, self.known),
            _ratio(inside, self.total),
            _ratio(inside + self.total - self.known, self.total),
        )

    def national_text(self) -> str:
        return " " + NATIONAL_TEXT.format(amount=money(self.national)) if self.national else ""


def _national(tx: pd.DataFrame) -> np.ndarray:
    """True for payments to national bodies (``location_band == "national"``)."""
    if "location_band" not in tx:
        return np.zeros(len(tx), dtype=bool)
    return tx["location_band"].astype("string").eq("national").fillna(False).to_numpy(bool)


def period_text(tx: pd.DataFrame) -> str:
    """ "Apr 2024 to Mar 2025 (12 months)" from the ``period`` column."""
    months = sorted(tx["period"].dropna().astype(str).str.slice(0, 7).unique())
    months = [m for m in months if len(m) == 7 and m[4] == "-"]
    if not months:
        return "no dated payments"
    a, b = pd.Period(months[0], "M"), pd.Period(months[-1], "M")
    n = (b - a).n + 1
    return f"{a.strftime('%b %Y')} to {b.strftime('%b %Y')} ({n} month{'s' * (n != 1)})"


def total_spend(tx: pd.DataFrame) -> Figure:
    """Net spend in the payments shown, and the period they cover."""
    amt = pd.to_numeric(tx["amount"], errors="coerce").fillna(0.0)
    total, credits = float(amt.sum()), float(amt[amt < 0].sum())
    period = period_text(tx)
    return Figure(
        key="total",
        label="Total spend",
        value=total,
        text=money(total),
        how=(
            f"Sum of {len(tx):,} payments in the published spend files, {period}, net of "
            f"{money(-credits)} of credits and refunds. Amounts are as published (usually "
            "excluding VAT); payments below the council's publication threshold (often £500) "
            "are not in the files."
        ),
        inputs={
            "payments": len(tx),
            "net_total": round(total, 2),
            "credits": round(credits, 2),
            "period": period,
        },
    )


def _band_share(
    tx: pd.DataFrame,
    bands: tuple[str, ...],
    key: str,
    label: str,
    where: str,
    unavailable: str | None,
) -> Figure:
    pos = _positive_amounts(tx)
    k = _Known.of(tx, pos, tx["is_located"].to_numpy(bool))
    inside = float(pos[tx["location_band"].isin(bands).to_numpy()].sum())
    cov = _ratio(k.known, k.total)
    if unavailable:
        return Figure(
            key=key,
            label=label,
            value=None,
            text="—",
            how=unavailable,
            coverage=cov,
            inputs={"total_spend": round(k.total, 2)},
        )
    value, lower, upper = k.share(inside)
    how = (
        f"£ paid to suppliers whose postcode is {where} ({money(inside)}), divided by the £ "
        f"paid to suppliers we could place or know to be national ({money(k.known)}). "
        f"{pct(cov)} of the {money(k.total)} of payments (positive amounts) went to suppliers "
        f"we could place or to national bodies.{k.national_text()} " + BOUNDS_TEXT
    )
    return Figure(
        key=key,
        label=label,
        value=value,
        text=pct(value),
        how=how,
        inputs={
            "spend_inside": round(inside, 2),
            "spend_located": round(k.placed, 2),
            "spend_national": round(k.national, 2),
            "spend_total": round(k.total, 2),
        },
        coverage=cov,
        lower=lower,
        upper=upper,
        caveats=(REGISTERED_OFFICE_CAVEAT,),
    )


def local_share(tx: pd.DataFrame, council_lads: list[str], council_names: list[str] = ()) -> Figure:
    """Share of placed spend going to suppliers inside the council's district(s)."""
    name = ", ".join(council_names) or ", ".join(council_lads) or "the council"
    return _band_share(
        tx,
        ("council",),
        "local",
        "Local share",
        f"inside {name}",
        None if council_lads else "The council's district code is unknown, so no local share.",
    )


def regional_share(tx: pd.DataFrame, region_codes: list[str], region_name: str = "") -> Figure:
    """Share of placed spend going to suppliers in the council's region (council included)."""
    where = (
        f"in the council's region{f' ({region_name})' if region_name else ''}, "
        "the council's own area included"
    )
    return _band_share(
        tx,
        ("council", "region"),
        "regional",
        "Regional share",
        where,
        None if region_codes else "No district → region lookup: no regional share.",
    )


def national_share(tx: pd.DataFrame, region_codes: list[str]) -> Figure:
    """Share of placed spend going to suppliers outside the council's region.

    The "national" band: placed, but neither in the council's area nor its region, so
    local + rest of region + national = 100 % of placed spend.
    """
    return _band_share(
        tx,
        ("elsewhere",),
        "national",
        "Outside the region",
        "outside the council's region (elsewhere in England and Wales)",
        None if region_codes else "No district → region lookup: no share outside the region.",
    )


def deprived_share(tx: pd.DataFrame) -> Figure:
    """Share of spend to suppliers based in the 20 % most deprived LSOAs of England."""
    pos = _positive_amounts(tx)
    dec = (
        pd.to_numeric(tx["imd_decile"], errors="coerce")
        if "imd_decile" in tx
        else pd.Series(np.nan, index=tx.index)
    )
    k = _Known.of(tx, pos, dec.notna().to_numpy())
    dep_amt = float(pos[(dec <= 2).fillna(False).to_numpy(bool)].sum())
    cov = _ratio(k.known, k.total)
    value, lower, upper = k.share(dep_amt)
    return Figure(
        key="deprived",
        label="To suppliers in the most deprived 20% of areas",
        value=value,
        text=pct(value),
        how=(
            f"£ paid to suppliers whose postcode lies in an LSOA in IoD 2025 deciles 1–2 "
            f"(the most deprived 20 % of neighbourhoods in England; {money(dep_amt)}), divided "
            f"by the £ paid to suppliers whose LSOA is known or that are national bodies "
            f"({money(k.known)}, {pct(cov)} of spend). Suppliers outside England, placed at "
            f"a whole district, or not placed have no decile.{k.national_text()} "
            + BOUNDS_TEXT
        ),
        inputs={
            "spend_deciles_1_2": round(dep_amt, 2),
            "spend_with_decile": round(k.placed, 2),
            "spend_national": round(k.national, 2),
            "spend_total": round(k.total, 2),
        },
        coverage=cov,
        lower=lower,
        upper=upper,
        caveats=(REGISTERED_OFFICE_CAVEAT,),
    )


def _yes_no(tx: pd.DataFrame, column: str) -> pd.Series:
    """A register's yes/no column (SME, VCSE) as a nullable boolean; all NA when absent."""
    if column not in tx:
        return pd.Series(pd.NA, index=tx.index, dtype="boolean")
    return parse_yes_no(tx[column])


def sme_share(tx: pd.DataFrame) -> Figure:
    """Share of spend with SMEs, among suppliers whose register entry says SME or not."""
    pos = _positive_amounts(tx)
    total = float(pos.sum())
    flag = _yes_no(tx, "sme")
    known = flag.notna().to_numpy()
    yes = flag.fillna(False).to_numpy(bool)
    known_amt, sme_amt = float(pos[known].sum()), float(pos[yes].sum())
    value = _ratio(sme_amt, known_amt)
    cov = _ratio(known_amt, total)
    return Figure(
        key="sme",
        label="SME share (where known)",
        value=value,
        text=pct(value),
        how=(
            f"£ paid to suppliers marked SME in the council's supplier register "
            f"({money(sme_amt)}) divided by £ paid to suppliers whose SME status is recorded "
            f"({money(known_amt)}, {pct(cov)} of spend). Unknown status is left out, "
            "not guessed."
        ),
        inputs={"spend_sme": round(sme_amt, 2), "spend_known": round(known_amt, 2)},
        coverage=cov,
    )


def vcse_share(tx: pd.DataFrame) -> Figure:
    """Share of spend with voluntary, community and social enterprise suppliers."""
    pos = _positive_amounts(tx)
    total = float(pos.sum())
    flag = _yes_no(tx, "vcse")
    is_v = (flag.fillna(False) | (tx["supplier_class"] == "vcse").fillna(False)).to_numpy(bool)
    known = (flag.notna() | (tx["supplier_class"] != "unknown").fillna(False)).to_numpy(bool)
    known_amt, v_amt = float(pos[known].sum()), float(pos[is_v].sum())
    value = _ratio(v_amt, known_amt)
    return Figure(
        key="vcse",
        label="VCSE share (where known)",
        value=value,
        text=pct(value),
        how=(
            f"£ paid to suppliers marked VCSE in the register or classed as charities / "
            f"community organisations from their names and charity numbers ({money(v_amt)}), "
            f"divided by £ paid to suppliers whose type is known ({money(known_amt)})."
        ),
        inputs={"spend_vcse": round(v_amt, 2), "spend_known": round(known_amt, 2)},
        coverage=_ratio(known_amt, total),
    )


def concentration(tx: pd.DataFrame, n: int = 10) -> tuple[Figure, Figure]:
    """How concentrated spend is: the top ``n`` suppliers' share, and the HHI.

    Over positive payments to named suppliers (redacted payees are not one supplier, so
    they are left out; ``coverage`` is the named share of spend).  HHI is the sum of squared
    percentage shares of every supplier, 0–10,000 (10,000 = one supplier), as competition
    authorities use it.
    """
    pos = _positive_amounts(tx)
    named = ~tx["is_redacted"].fillna(False).astype(bool).to_numpy() if "is_redacted" in tx \
        else np.ones(len(tx), bool)
    total, named_amt = float(pos.sum()), float(pos[named].sum())
    by = pos[named].groupby(tx["supplier_key"][named].to_numpy()).sum()
    shares = (by / named_amt).sort_values(ascending=False) if named_amt > 0 else by.iloc[0:0]
    cov = _ratio(named_amt, total)
    top = float(shares.head(n).sum()) if len(shares) else None
    hhi = float((100 * shares).pow(2).sum()) if len(shares) else None
    base = {"spend_named": round(named_amt, 2), "spend_total": round(total, 2),
            "suppliers": len(shares)}
    return (
        Figure(key="top10", label=f"Top {n} suppliers' share", value=top, text=pct(top),
               how=(f"£ paid to the {n} suppliers paid most, divided by £ paid to named "
                    f"suppliers ({money(named_amt)}; redacted payees left out)."),
               inputs=base, coverage=cov),
        Figure(key="hhi", label="Concentration (HHI)", value=hhi,
               text="—" if hhi is None else f"{hhi:,.0f}",
               how=("Sum over suppliers of the square of each one's percentage share of £ "
                    "paid to named suppliers: 0–10,000, higher = more concentrated."),
               inputs=base, coverage=cov),
    )


def headline(
    tx: pd.DataFrame,
    council_lads: list[str],
    region_codes: list[str],
    council_names: list[str] = (),
) -> dict[str, Figure]:
    """The Overview figures, keyed by :attr:`Figure.key`."""
    figs = [
        total_spend(tx),
        local_share(tx, council_lads, council_names),
        regional_share(tx, region_codes),
        deprived_share(tx),
        sme_share(tx),
        vcse_share(tx),
    ]
    return {f.key: f for f in figs}


def pound_sentence(local: Figure, regional: Figure, deprived: Figure, council: str) -> str:
    """ "Of every £1 …" in plain English, with the coverage that qualifies it."""
    if local.value is None:
        return (
            "We cannot yet say how much of each £1 stays local: the council's district "
            "is not known."
        )
    lp = round(100 * local.value)
    national = float(local.inputs.get("spend_national") or 0.0)
    placed = "we could place or know to be national bodies" if national else "we could place"
    parts = [
        f"Of every £1 {council} paid to suppliers {placed}, {lp}p went to "
        "suppliers based in the council's own area"
    ]
    if regional.value is not None:
        rp = max(round(100 * regional.value) - lp, 0)
        parts.append(
            f", {rp}p to suppliers elsewhere in the region and "
            f"{max(100 - lp - rp, 0)}p further afield"
        )
    text = "".join(parts) + "."
    if deprived.value is not None:
        text += (
            f" {round(100 * deprived.value)}p went to suppliers in the most deprived "
            "20% of neighbourhoods in England."
        )
    if national:
        text += (
            f" We could place suppliers, or know them to be national bodies, for "
            f"{pct(local.coverage)} of the spend."
        )
    else:
        text += f" We could place suppliers for {pct(local.coverage)} of the spend."
    return text


def supplier_summary(tx: pd.DataFrame) -> pd.DataFrame:
    """One row per supplier in ``tx``: name, class, place, spend (positive), payments."""
    if tx.empty:
        return pd.DataFrame(
            columns=[
                "supplier_key",
                "supplier",
                "class",
                "where",
                "ward",
                "district",
                "imd_decile",
                "postcode",
                "spend",
                "payments",
                "share",
            ]
        )
    pos = _positive_amounts(tx)
    t = tx.assign(_pos=pos)
    g = t.groupby("supplier_key", sort=False, observed=True)
    # The name published most often for each supplier (vectorised: no per-group lambda).
    names = (t.groupby(["supplier_key", "supplier_name"], observed=True).size()
             .sort_values(ascending=False, kind="stable").reset_index()
             .drop_duplicates("supplier_key").set_index("supplier_key")["supplier_name"])
    out = g.agg(
        **{"class": ("supplier_class", "first")},
        where=("location_band", "first"),
        ward=("ward_name", "first"),
        district=("lad_name", "first"),
        imd_decile=("imd_decile", "first"),
        postcode=("postcode", "first"),
        spend=("_pos", "sum"),
        payments=("amount", "size"),
    ).reset_index()
    out.insert(1, "supplier", out["supplier_key"].map(names).fillna("(no name)").astype("string"))
    total = float(pos.sum())
    out["share"] = out["spend"] / total if total > 0 else np.nan
    out["where"] = out["where"].astype("string")
    return out.sort_values("spend", ascending=False, kind="stable").reset_index(drop=True)


def top_suppliers(tx: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` suppliers paid most (positive payments) in ``tx``."""
    return supplier_summary(tx).head(n)


@dataclass(frozen=True)
class WardBasis:
    """What every ward's £ figure rests on: the council's positive spend, the part whose ward
    is known (placed at a postcode, in a ward or outside the council, or a national body) and
    the part placed in the council's area at no ward (a public body's whole district).

    The unknown £ (unplaced, or in the council at no ward) could be in any ward, so a ward's
    £ runs from what is placed there to that plus all the unknown £.
    """

    total: float
    known: float
    district_only: float
    district_only_suppliers: int

    @property
    def coverage(self) -> float | None:
        return _ratio(self.known, self.total)

    @property
    def unknown(self) -> float:
        return max(self.total - self.known, 0.0)

    @property
    def enough(self) -> bool:
        """Whether a ward with no placed spend can be said to receive none (else "not enough
        data"): at least :data:`MIN_COVERAGE` of spend is known at ward level."""
        return (self.coverage or 0.0) >= MIN_COVERAGE


def ward_basis(tx: pd.DataFrame) -> WardBasis:
    """:class:`WardBasis` of the payments ``tx``."""
    pos = _positive_amounts(tx)
    council = tx["location_band"].eq("council").fillna(False).to_numpy(bool)
    no_ward = tx["ward_code"].isna().to_numpy(bool) if "ward_code" in tx else np.ones(
        len(tx), bool)
    district_only = council & no_ward
    known = (tx["is_located"].to_numpy(bool) | _national(tx)) & ~district_only
    keys = tx["supplier_key"][district_only] if "supplier_key" in tx else pd.Series([])
    return WardBasis(float(pos.sum()), float(pos[known].sum()),
                     float(pos[district_only].sum()), int(keys.nunique()))


#: ``status`` of a ward's £ in :func:`spend_by_ward`.
WARD_PLACED, WARD_NONE = "placed", "none placed"


def spend_by_ward(tx: pd.DataFrame, wards: pd.DataFrame) -> pd.DataFrame:
    """Per council ward: £ received by suppliers based there, £ per resident, supplier count.

    Only suppliers placed inside the council's area count.  ``status`` says what a ward's £
    rests on: ``placed`` (some placed spend: ``spend`` is a floor, ``spend_upper`` adds
    every £ whose ward is unknown), ``none placed`` (none, with enough coverage to say so) or
    :data:`NOT_ENOUGH_DATA` (none, but under :data:`MIN_COVERAGE` of spend is known at ward
    level: £0 would be a data gap shown as a fact).  ``coverage`` is that share.
    """
    base = pd.DataFrame(
        {"code": wards["code"].astype("string"), "name": wards["name"].astype("string")}
    )
    base["population"] = wards["population"].to_numpy() if "population" in wards else np.nan
    pos = _positive_amounts(tx)
    local = tx["location_band"].eq("council").to_numpy(bool)
    t = pd.DataFrame(
        {
            "code": tx["ward_code"].astype("string")[local],
            "spend": pos[local],
            "supplier_key": tx["supplier_key"][local],
        }
    )
    agg = (
        t.groupby("code")
        .agg(
            spend=("spend", "sum"),
            local_suppliers=("supplier_key", "nunique"),
            payments=("spend", "size"),
        )
        .reset_index()
    )
    out = base.merge(agg, on="code", how="left")
    out[["spend", "local_suppliers", "payments"]] = out[
        ["spend", "local_suppliers", "payments"]
    ].fillna(0)
    out["local_suppliers"] = out["local_suppliers"].astype(int)
    out["payments"] = out["payments"].astype(int)
    pop = pd.to_numeric(out["population"], errors="coerce")
    out["spend_per_resident"] = (out["spend"] / pop).where(pop > 0)
    basis = ward_basis(tx)
    out["spend_upper"] = out["spend"] + basis.unknown
    out["coverage"] = basis.coverage
    out["status"] = np.where(out["spend"] > 0, WARD_PLACED,
                             WARD_NONE if basis.enough else NOT_ENOUGH_DATA)
    return out


SPEND_BY_WARD_HOW = (
    "£ received: positive payments to suppliers whose postcode lies in the ward (suppliers "
    "outside the council's area are not shown on the ward map). £ per resident divides by "
    "Census 2021 usual residents. Local suppliers: distinct suppliers placed in the ward "
    "that were paid in the selected payments. A ward's £ is a floor: spend whose supplier "
    "is not placed, or is placed only at a whole district, could be in any ward. Where less "
    f"than {MIN_COVERAGE:.0%} of spend is placed at ward level, a ward with no placed spend "
    "shows 'not enough data', not £0. " + REGISTERED_OFFICE_CAVEAT
)


def ward_panel(tx: pd.DataFrame, wards: pd.DataFrame, code: str, n: int = 8) -> dict:
    """What the map shows for one clicked ward: IoD profile, spend received, top suppliers."""
    row = wards.loc[wards["code"] == code]
    if row.empty:
        raise KeyError(f"ward {code} is not one of the council's wards")
    r = row.iloc[0]
    in_ward = tx[
        (tx["ward_code"] == code).fillna(False).to_numpy(bool)
        & tx["location_band"].eq("council").to_numpy(bool)
    ]
    profile = {
        k: r[k]
        for k in (
            "population",
            "imd_score",
            "imd_rank",
            "worst_decile",
            "share_lsoa_decile1_2",
            "share_pop_decile1_2",
            "n_lsoa",
            "imd2019_rank",
        )
        if k in r.index
    }
    domains = {
        k.removesuffix("_rank"): r[k]
        for k in r.index
        if k.endswith("_rank") and k not in ("imd_rank", "imd2019_rank")
    }
    return {
        "code": code,
        "name": str(r["name"]),
        "profile": profile,
        "domain_ranks": domains,
        "spend": float(_positive_amounts(in_ward).sum()),
        "payments": len(in_ward),
        "suppliers": supplier_summary(in_ward).head(n),
    }


def _month(tx: pd.DataFrame) -> pd.Series:
    m = tx["period"].astype("string").str.slice(0, 7)
    return m.where(m.str.match(r"^\d{4}-\d{2}$").fillna(False))


def department_months(tx: pd.DataFrame, by: str = "directorate") -> pd.DataFrame:
    """Net £ by ``by`` (rows, largest first) × month (columns)."""
    t = pd.DataFrame(
        {
            "group": tx[by].astype("string").fillna("(not given)"),
            "month": _month(tx),
            "amount": pd.to_numeric(tx["amount"], errors="coerce"),
        }
    )
    t = t.dropna(subset=["month"])
    if t.empty:
        return pd.DataFrame()
    p = t.pivot_table(
        index="group", columns="month", values="amount", aggfunc="sum", fill_value=0.0
    )
    return p.loc[p.sum(axis=1).sort_values(ascending=False).index]


def robust_z(x: pd.Series) -> pd.Series:
    """Robust z-score: 0.6745 (x − median) / MAD (Iglewicz & Hoaglin).

    When more than half the changes are equal the MAD is 0; then the mean absolute deviation
    is used, (x − median) / (1.2533 × meanAD), as IBM SPSS does; 0 when all are equal.
    """
    med = x.median()
    dev = (x - med).abs()
    mad = dev.median()
    if np.isfinite(mad) and mad > 0:
        return 0.6745 * (x - med) / mad
    mean_ad = dev.mean()
    if not np.isfinite(mean_ad) or mean_ad == 0:
        return pd.Series(0.0, index=x.index)
    return (x - med) / (1.253314 * mean_ad)


def monthly_variance(
    tx: pd.DataFrame, by: str = "directorate", threshold: float = 3.5
) -> pd.DataFrame:
    """Per group and month: £, change on previous month and on the same month a year before,
    the robust z-score of the month-on-month change within the group, and an outlier flag
    (|z| > ``threshold``)."""
    p = department_months(tx, by)
    if p.empty:
        return pd.DataFrame(
            columns=[
                "group",
                "month",
                "amount",
                "change_prev_month",
                "change_last_year",
                "robust_z",
                "outlier",
            ]
        )
    months = pd.period_range(p.columns.min(), p.columns.max(), freq="M").strftime("%Y-%m")
    p = p.reindex(columns=months, fill_value=0.0)
    long = p.stack().rename("amount").reset_index()
    long.columns = ["group", "month", "amount"]
    long = long.sort_values(["group", "month"]).reset_index(drop=True)
    long["change_prev_month"] = long.groupby("group")["amount"].diff()
    long["change_last_year"] = long.groupby("group")["amount"].diff(12)
    long["robust_z"] = long.groupby("group")["change_prev_month"].transform(
        lambda s: robust_z(s.dropna()).reindex(s.index)
    )
    long["outlier"] = long["robust_z"].abs() > threshold
    return long


VARIANCE_HOW = (
    "Month-on-month change is this month's net £ minus the previous month's for the same "
    "group; same-month-last-year compares with twelve months before (blank when the files "
    "do not go back that far). A change is flagged as an outlier when its robust z-score — "
    "0.6745 × (change − median change) / median absolute deviation, within the group — is "
    "above 3.5 in size. Large one-off payments (capital works, annual contracts) are often "
    "the reason; a flag is a prompt to look, not an error."
)


def compare_periods(tx: pd.DataFrame, months: list[str], by: str = "directorate") -> pd.DataFrame:
    """Per group: £ in ``months``, in the same number of months just before, and in the same
    months a year earlier, with the changes.  ``tx`` must not be period-filtered."""
    if not months:
        return pd.DataFrame()
    cur = pd.PeriodIndex(sorted(months), freq="M")
    n = (cur.max() - cur.min()).n + 1
    prev = pd.period_range(cur.min() - n, cur.min() - 1, freq="M").strftime("%Y-%m")
    last = (cur - 12).strftime("%Y-%m")
    t = pd.DataFrame(
        {
            "group": tx[by].astype("string").fillna("(not given)"),
            "month": _month(tx),
            "amount": pd.to_numeric(tx["amount"], errors="coerce"),
        }
    )
    have = set(t["month"].dropna())

    def total(ms) -> pd.Series:
        return t[t["month"].isin(list(ms))].groupby("group")["amount"].sum()

    out = pd.DataFrame(
        {"current": total(cur.strftime("%Y-%m")), "previous": total(prev), "last_year": total(last)}
    ).fillna(0.0)
    if not set(prev) <= have:
        out["previous"] = np.nan  # the files do not cover the previous period
    if not set(last) <= have:
        out["last_year"] = np.nan
    out["change_vs_previous"] = out["current"] - out["previous"]
    out["change_vs_last_year"] = out["current"] - out["last_year"]
    out["pct_vs_previous"] = (out["change_vs_previous"] / out["previous"].abs()).where(
        out["previous"].abs() > 0
    )
    out["pct_vs_last_year"] = (out["change_vs_last_year"] / out["last_year"].abs()).where(
        out["last_year"].abs() > 0
    )
    out = out.sort_values("current", ascending=False)
    out.index.name = by
    return out.reset_index()


def local_share_by(tx: pd.DataFrame, by: str = "directorate") -> pd.DataFrame:
    """Per group: spend, coverage, local share of placed spend and its bounds (national
    bodies' spend counts as known and not local, as in :func:`local_share`)."""
    pos = _positive_amounts(tx)
    national = _national(tx)
    t = pd.DataFrame(
        {
            "group": tx[by].astype("string").fillna("(not given)"),
            "spend": pos,
            "located": pos.where(tx["is_located"].to_numpy(bool) | national, 0.0),
            "local": pos.where(tx["location_band"].eq("council").to_numpy(bool), 0.0),
        }
    )
    g = t.groupby("group").sum()
    g["coverage"] = (g["located"] / g["spend"]).where(g["spend"] > 0)
    g["local_share"] = (g["local"] / g["located"]).where(g["located"] > 0)
    g["lower"] = (g["local"] / g["spend"]).where(g["spend"] > 0)
    g["upper"] = ((g["local"] + g["spend"] - g["located"]) / g["spend"]).where(g["spend"] > 0)
    g = g.sort_values("spend", ascending=False)
    g.index.name = by
    return g.reset_index()


#: The order of the place bases in :func:`local_by_basis` (strongest evidence first).
BASIS_ORDER = ("council_register", "manual", "public_body", "registered_office", "name_hint")


def local_by_basis(tx: pd.DataFrame) -> pd.DataFrame:
    """Where the £ went, by what each supplier's place stands for (``place_basis``).

    One row per basis of placed spend (council register, officer, public body's area,
    registered office, name hint) with its £, share of all £, £ inside the council's area
    and local share; then national bodies and unplaced spend as their own rows (known to be
    no place's local spend, and unknown).  Shares of all positive £, so the ``share``
    column sums to 1.  Why: a local share resting on registered offices (often a head
    office far from the work) reads differently from one resting on the council's own
    trading addresses.
    """
    pos = _positive_amounts(tx)
    total = float(pos.sum())
    national = _national(tx)
    placed = tx["is_located"].to_numpy(bool) & ~national
    recorded = (tx["place_basis"].astype("string").fillna("not recorded").to_numpy(object)
                if "place_basis" in tx else np.full(len(tx), "not recorded", dtype=object))
    basis = np.where(national, "national", np.where(placed, recorded, "not placed"))
    local = pos.where(tx["location_band"].eq("council").to_numpy(bool), 0.0)
    g = pd.DataFrame({"basis": basis, "spend": pos.to_numpy(), "local": local.to_numpy()}
                     ).groupby("basis").sum()
    order = [b for b in (*BASIS_ORDER, *sorted(set(g.index) - {*BASIS_ORDER, "national",
                                                                 "not placed"}),
                         "national", "not placed") if b in g.index]
    g = g.loc[order]
    g["share"] = g["spend"] / total if total > 0 else np.nan
    g["local_share"] = (g["local"] / g["spend"]).where(g["spend"] > 0)
    g.loc[g.index.isin(["national", "not placed"]), "local_share"] = np.nan
    return g.reset_index()


LOCAL_BY_BASIS_HOW = (
    "Each supplier we could place carries what its place stands for: a trading address in the "
    "council's own supplier register, a place an officer gave, a public body's area or site, a "
    "registered office from a national register (often a head office, not where the work is "
    "done), or a place named in the payee's name (low confidence). For each, the £ paid and the "
    "share of it going to suppliers inside the council's area. National bodies (government "
    "departments and agencies) are known and no place's local spend; unplaced spend is shown "
    "as its own band, not guessed."
)


