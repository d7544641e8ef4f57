"""The measures layer: every headline figure computed once, with what it rests on.

A board member who finds two numbers for one thing stops trusting all of them, so each
headline figure — total and period, the share of spend placed, the local, regional and
deprived-area shares, the SME and VCSE shares, £ to public bodies, concentration, £ per
resident and the local multiplier — is a :class:`Figure` built here and nowhere else.  A
figure carries its value, the **coverage** it rests on (one definition per kind, named
in words: :class:`CoverageKind`), its **range** (what the unplaced part could change),
whether it is **enough** to state (one gate, :data:`MIN_COVERAGE`, with one rounding
rule, :func:`whole_percent`) and the words that say it.  Every page, the board pack, the
brief, the exports and the command line show these objects; none recomputes or rewords
a figure.

Conventions shared by every figure:

* shares are of **positive** payments (money spent; credits and refunds are left out),
  totals are **net** as published;
* a place-dependent share's point estimate assumes the unplaced spend is like the placed
  spend; its range runs from "every unplaced £ elsewhere" to "every unplaced £ inside";
* spend with **national** bodies (HMRC, government departments) is known and is no place's
  local spend: it counts as placed and never as local;
* below :data:`MIN_COVERAGE` (as shown, to the whole percent) a figure is "not enough
  data" everywhere, and its range is shown instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from impact.core.values import parse_yes_no

#: The one gate: below this share of the £ a figure rests on (to the whole percent, as
#: shown) it is "not enough data".  A share's bounds are (1 − coverage) apart and its
#: point estimate assumes the unplaced £ is like the placed £, so under half placed most of
#: the figure is that assumption.
MIN_COVERAGE = 0.5
#: What every surface shows instead of a withheld figure (never £0, never a lone number).
NOT_ENOUGH_DATA = "not enough data"
#: What every surface shows when a figure cannot be computed at all (its reason beside it).
NOT_AVAILABLE = "not available"

SHARE, GBP, MULTIPLIER, INDEX = "share", "gbp", "multiplier", "index"

REGISTERED_OFFICE_CAVEAT = (
    "A supplier is placed at the best address known for it: the council's own record or an "
    "officer's entry first, else a public body's area, else the registered office from a "
    "national register (often a head office, so spend with national firms counts where their "
    "head office is)."
)
RANGE_WORDS = ("Range: from every unplaced £ going elsewhere to every unplaced £ staying. "
               "The figure itself assumes unplaced spend is like placed spend.")


# ------------------------------------------------------------------- rounding and the gate


def whole_percent(share: float | None, digits: int = 0) -> float | None:
    """``share`` as a percent rounded half up to ``digits`` places (49.5 % → 50 %).

    The one rounding rule for what is shown and for the gate, so a figure shown as "50%"
    is never called too little.  Binary noise (0.495 is 0.49499999…) is rounded away first.
    """
    if share is None or not math.isfinite(float(share)):
        return None
    scale = 10 ** digits
    return math.floor(round(100 * float(share) * scale, 6) + 0.5) / scale


def enough(coverage: float | None) -> bool:
    """Whether a figure resting on ``coverage`` of its £ may be stated (the one gate)."""
    shown = whole_percent(coverage)
    return shown is not None and shown >= 100 * MIN_COVERAGE


def pct(share: float | None, digits: int = 0) -> str:
    """ "38%" (half up, :func:`whole_percent`); "—" when unknown."""
    shown = whole_percent(share, digits)
    if shown is None:
        return "—"
    return f"{shown:.{digits}f}%".replace("-", "\u2212")


def money(x: float | None) -> str:
    """£ with thousands separators; £m above a million; a minus sign before the £
    ("−£540", as style guides write it, never "£-540")."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "—"
    size = abs(float(x))
    text = f"£{size / 1e6:,.1f}m" if size >= 1e6 else f"£{size:,.0f}"
    return ("\u2212" + text) if x < 0 and text not in ("£0", "£0.0m") else text


def pence(share: float | None) -> str:
    """A share of £1 in whole pence ("43p"), rounded like :func:`pct`."""
    shown = whole_percent(share)
    return "—" if shown is None else f"{shown:.0f}p"


def multiplier(x: float | None) -> str:
    """ "1.45": two decimals, half up like every figure (so £1.45 is 100p + 30p + 15p)."""
    shown = whole_percent(x)
    return "—" if shown is None else f"{shown / 100:.2f}"


_FORMAT = {SHARE: pct, GBP: money, MULTIPLIER: multiplier,
           INDEX: lambda v: "—" if v is None else f"{v:,.0f}"}


# ------------------------------------------------------------------------------ coverage


@dataclass(frozen=True)
class CoverageKind:
    """One definition of coverage: which £ count as known for a kind of figure.

    ``words`` completes "the 38% of …", so every caption says what its percent is of.
    """

    key: str
    words: str


PLACED = CoverageKind("placed", "spend whose supplier we could place or know to be a "
                                "national body")
NEIGHBOURHOOD = CoverageKind("neighbourhood", "spend whose supplier's neighbourhood (LSOA) "
                                              "we know, or paid to national bodies")
WARD = CoverageKind("ward", "spend whose supplier we could place at a ward, or know to be "
                            "outside the council's area")
SIZE = CoverageKind("size", "spend whose supplier's size (SME or larger) is recorded")
TYPE = CoverageKind("type", "spend whose supplier's type (company, charity, public body …) "
                            "we know")
NAMED = CoverageKind("named", "spend with named suppliers (redacted payees left out)")
OFFICE = CoverageKind("office", "spend whose supplier's registered office (or, for a "
                                "public body, its own area) we know, or paid to national bodies")
ROUND_ONE = CoverageKind("round_one", "round-1 spend (payments and any pay bill) whose "
                                      "recipient we could place or know to be national")


@dataclass(frozen=True)
class Coverage:
    """The £ a figure rests on: ``known`` of ``total`` under one :class:`CoverageKind`."""

    kind: CoverageKind
    known: float
    total: float

    @property
    def share(self) -> float | None:
        return self.known / self.total if self.total > 0 else None

    @property
    def enough(self) -> bool:
        return enough(self.share)

    @property
    def unknown(self) -> float:
        return max(self.total - self.known, 0.0)

    @property
    def words(self) -> str:
        """ "the 38% of spend whose supplier we could place or know to be a national body"."""
        return f"the {pct(self.share)} of {self.kind.words}"

    @property
    def caption(self) -> str:
        return f"Based on {self.words}"


# -------------------------------------------------------------------------------- figure


@dataclass(frozen=True)
class Figure:
    """One headline figure as every surface shows it.

    Attributes
    ----------
    value : the point estimate (a share 0–1, £, LM3 or index), None when it cannot be
        computed (``missing`` says why).  Read :attr:`shown`, not ``value``: it is None
        below the gate.
    coverage : what it rests on (None: every payment, as a total does).
    lower, upper : its range — what the unplaced £ could make it.
    band : P10–P90 of a modelled figure (LM3), beside the range.
    hint : what would fill a figure that is not enough data.
    """

    key: str
    label: str
    value: float | None
    unit: str = SHARE
    how: str = ""
    inputs: Mapping[str, object] = field(default_factory=dict)
    coverage: Coverage | None = None
    lower: float | None = None
    upper: float | None = None
    band: tuple[float, float] | None = None
    caveats: tuple[str, ...] = ()
    missing: str = ""
    hint: str = ""

    @property
    def enough(self) -> bool:
        return self.coverage is None or self.coverage.enough

    @property
    def shown(self) -> float | None:
        """The value every surface states: None when missing or below the gate."""
        return self.value if self.value is not None and self.enough else None

    def fmt(self, x: float | None) -> str:
        return _FORMAT[self.unit](x)

    @property
    def text(self) -> str:
        """The figure as shown: "30%", "not enough data" or "not available"."""
        if self.shown is not None:
            return self.fmt(self.shown)
        return NOT_AVAILABLE if self.missing else NOT_ENOUGH_DATA

    @property
    def range_text(self) -> str:
        """ "13%–70%" (empty without a range)."""
        if self.lower is None or self.upper is None:
            return ""
        return f"{self.fmt(self.lower)}–{self.fmt(self.upper)}"

    @property
    def band_text(self) -> str:
        return f"{self.fmt(self.band[0])}–{self.fmt(self.band[1])}" if self.band else ""

    @property
    def rests_on(self) -> str:
        """ "Based on the 38% of spend whose supplier we could place …" (empty for totals)."""
        return self.coverage.caption if self.coverage is not None else ""

    @property
    def detail(self) -> str:
        """The line under the figure: its range, or — withheld — where it lies, or why
        it is missing."""
        if self.missing:
            return self.missing
        if self.shown is not None:
            return f"range {self.range_text}" if self.range_text else ""
        if self.range_text:
            return f"between {self.fmt(self.lower)} and {self.fmt(self.upper)}"
        return self.hint

    @property
    def summary(self) -> str:
        """ "30% (range 25%–35%)" or "not enough data (between 13% and 70%)"."""
        return f"{self.text} ({self.detail})" if self.detail else self.text


# ------------------------------------------------------------------------------- council

_COMPASS = {"North", "South", "East", "West"}


@dataclass(frozen=True)
class CouncilArea:
    """What the measures need to know of the body whose spend it is.

    ``noun`` is how sentences name it ("the council", "the authority"); ``lads`` are the
    districts its area covers (local = a supplier placed inside them).
    """

    name: str
    lads: tuple[str, ...] = ()
    lad_names: tuple[str, ...] = ()
    region_codes: tuple[str, ...] = ()
    region_names: tuple[str, ...] = ()
    population: float | None = None
    noun: str = "the council"
    #: the combined authority or county its districts belong to, and its districts
    wider_name: str = ""
    wider_lads: tuple[str, ...] = ()

    @property
    def area_words(self) -> str:
        """ "Gateshead" / "Leeds, Bradford and Calderdale" / "the council's area"."""
        names = list(self.lad_names)
        if not names:
            return f"{self.noun}'s area"
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    @property
    def region_words(self) -> str:
        """ "the North East", "London": a region named by a compass point takes "the"."""
        names = [("the " + n if n.split(" ")[0] in _COMPASS else n) for n in self.region_names]
        return " and ".join(names) or "the region"

    @property
    def local_definition(self) -> str:
        """What "local" means, said wherever a local figure is."""
        return (f"Local means a supplier placed inside {self.area_words}: at the address "
                f"{self.noun} or an officer holds for it, a public body's own area, or "
                "else its registered office.")


# -------------------------------------------------------------------------------- period

#: A month holding less than this share of the median month's spend is probably
#: incomplete (a second file not published): flagged, and left out of rates.
THIN_MONTH_SHARE = 0.2
#: A quarter or year is judged (a point, a RAG status) only with this many payments …
MIN_PERIOD_PAYMENTS = 30
JUDGED_RULE = (
    "A quarter or year is judged only when every month in it is published and complete, "
    f"it holds at least {MIN_PERIOD_PAYMENTS} payments, and at least "
    f"{MIN_COVERAGE:.0%} of its spend is placed; otherwise it is 'not enough data'."
)


def _month_word(m: str) -> str:
    return pd.Period(m, "M").strftime("%b %Y")


@dataclass(frozen=True)
class Period:
    """The months a set of payments covers, as published.

    ``months`` are the reporting months with payments (each payment in the month of the
    file it was published in: :mod:`impact.ingest.periods`); ``missing`` the months
    between the first and last with none; ``thin`` the months probably incomplete
    (under :data:`THIN_MONTH_SHARE` of the median month's £); ``outside_file`` the payments
    dated outside their file's months (kept, reported in the file's month).
    """

    months: tuple[str, ...]
    missing: tuple[str, ...] = ()
    thin: tuple[str, ...] = ()
    outside_file: int = 0
    undated: int = 0

    @classmethod
    def of(cls, tx: pd.DataFrame) -> Period:
        """The period of ``tx`` (thin months judged on these payments)."""
        month = _months(tx)
        pos = positive_amounts(tx)
        by_month = pos.groupby(month.to_numpy()).sum() if month.notna().any() else pd.Series()
        months = tuple(sorted(str(m) for m in by_month.index))
        outside = int(tx["dated_outside_file"].fillna(False).sum()) if (
            "dated_outside_file" in tx) else 0
        return cls(months, _gaps(months), _thin(by_month), outside, int(month.isna().sum()))

    def within(self, tx: pd.DataFrame) -> Period:
        """This publication's facts (thin months are judged on all payments, never on a
        filtered few) restricted to the months ``tx`` holds."""
        own = Period.of(tx)
        return Period(own.months, own.missing, tuple(m for m in self.thin if m in own.months),
                      own.outside_file, own.undated)

    @property
    def first(self) -> str | None:
        return self.months[0] if self.months else None

    @property
    def last(self) -> str | None:
        return self.months[-1] if self.months else None

    @property
    def span(self) -> int:
        """Months from the first to the last, inclusive."""
        if not self.months:
            return 0
        return (pd.Period(self.last, "M") - pd.Period(self.first, "M")).n + 1

    @property
    def complete_months(self) -> tuple[str, ...]:
        return tuple(m for m in self.months if m not in self.thin)

    @property
    def text(self) -> str:
        """ "Apr 2021 to Mar 2022 (12 months)", with what is missing or incomplete."""
        if not self.months:
            return "no dated payments"
        n = len(self.months)
        head = f"{_month_word(self.first)} to {_month_word(self.last)}"
        count = (f"{n} month{'s' * (n != 1)}" if not self.missing else
                 f"{n} of {self.span} months published")
        if self.thin:
            count += "; " + ", ".join(_month_word(m) for m in self.thin) + (
                " probably incomplete")
        return f"{head} ({count})"


def _months(tx: pd.DataFrame) -> pd.Series:
    m = tx["period"].astype("string").str.slice(0, 7)
    return m.where(m.str.fullmatch(r"\d{4}-\d{2}").fillna(False))


def _gaps(months: tuple[str, ...]) -> tuple[str, ...]:
    if len(months) < 2:
        return ()
    full = pd.period_range(months[0], months[-1], freq="M").strftime("%Y-%m")
    return tuple(m for m in full if m not in set(months))


def _thin(by_month: pd.Series) -> tuple[str, ...]:
    """Months under :data:`THIN_MONTH_SHARE` of the median month's £ (three months or more
    are needed to know what a month usually holds)."""
    if len(by_month) < 3:
        return ()
    median = float(by_month.median())
    return tuple(sorted(str(m) for m, v in by_month.items() if v < THIN_MONTH_SHARE * median))


# ----------------------------------------------------------------------------- the shares


def positive_amounts(tx: pd.DataFrame) -> pd.Series:
    """Each payment's £, credits and unreadable amounts as 0 (money spent, not net)."""
    return pd.to_numeric(tx["amount"], errors="coerce").fillna(0.0).clip(lower=0.0)


def national(tx: pd.DataFrame) -> np.ndarray:
    """True for payments to national bodies (``location_band == "national"``)."""
    if "location_band" not in tx:
        return np.zeros(len(tx), dtype=bool)
    return tx["location_band"].astype("string").eq("national").fillna(False).to_numpy(bool)


def _band(tx: pd.DataFrame, *bands: str) -> np.ndarray:
    return tx["location_band"].isin(bands).fillna(False).to_numpy(bool)


def _ratio(a: float, b: float) -> float | None:
    return a / b if b > 0 else None


def _place_share(tx: pd.DataFrame, inside: np.ndarray, known_mask: np.ndarray,
                 kind: CoverageKind) -> tuple[Coverage, float, tuple]:
    """(coverage, £ inside, (point, lower, upper)) of a place-dependent share: the point
    over the known £, the bounds with the unknown £ all elsewhere or all inside."""
    pos = positive_amounts(tx)
    total, inside_gbp = float(pos.sum()), float(pos[inside].sum())
    cov = Coverage(kind, float(pos[known_mask].sum()), total)
    return cov, inside_gbp, (_ratio(inside_gbp, cov.known), _ratio(inside_gbp, total),
                             _ratio(inside_gbp + cov.unknown, total))


def placed_mask(tx: pd.DataFrame) -> np.ndarray:
    """Payments whose supplier is placed or is a national body (:data:`PLACED`)."""
    return tx["is_located"].fillna(False).to_numpy(bool) | national(tx)


def _share_figure(tx: pd.DataFrame, key: str, label: str, inside: np.ndarray,
                  where: str, known: np.ndarray | None = None,
                  kind: CoverageKind = PLACED) -> Figure:
    known = placed_mask(tx) if known is None else known
    cov, inside_gbp, (point, lower, upper) = _place_share(tx, inside, known, kind)
    how = (f"£ paid to suppliers {where} ({money(inside_gbp)}) divided by the £ of "
           f"{kind.words} ({money(cov.known)}, {pct(cov.share)} of the {money(cov.total)} "
           f"of payments). " + RANGE_WORDS)
    return Figure(key, label, point, SHARE, how,
                  {"spend_inside": round(inside_gbp, 2), "spend_known": round(cov.known, 2),
                   "spend_total": round(cov.total, 2)},
                  cov, lower, upper, caveats=(REGISTERED_OFFICE_CAVEAT,),
                  hint="Place more suppliers (the Suppliers page) to narrow the range.")


def total_figure(tx: pd.DataFrame, period: Period) -> Figure:
    """Net spend in the payments, with the period they cover."""
    amt = pd.to_numeric(tx["amount"], errors="coerce").fillna(0.0)
    total, credits = float(amt.sum()), float(amt[amt < 0].sum())
    how = (f"Sum of {len(tx):,} payments in the published spend files, {period.text}, net "
           f"of {money(-credits)} of credits and refunds. Amounts are as published (usually "
           "excluding VAT); payments below the council's publication threshold (often £500) "
           "are not in the files.")
    if period.outside_file:
        how += (f" {period.outside_file:,} payments dated outside the months of their file "
                "are counted in their file's month.")
    return Figure("total", "Total spend", total, GBP, how,
                  {"payments": len(tx), "net_total": round(total, 2),
                   "credits": round(credits, 2), "period": period.text})


def placed_figure(tx: pd.DataFrame) -> Figure:
    """The share of spend whose supplier is placed (or national): what local figures rest on."""
    pos = positive_amounts(tx)
    known = placed_mask(tx)
    cov = Coverage(PLACED, float(pos[known].sum()), float(pos.sum()))
    nat = float(pos[national(tx)].sum())
    how = (f"{money(cov.known)} of {money(cov.total)} of payments (positive amounts) went to "
           f"suppliers we could place ({money(cov.known - nat)}) or to national bodies "
           f"({money(nat)}: government departments and agencies, known and no place's local "
           "spend).")
    return Figure("placed", "Spend placed", cov.share, SHARE, how,
                  {"spend_placed": round(cov.known - nat, 2), "spend_national": round(nat, 2),
                   "spend_total": round(cov.total, 2)})


def local_figure(tx: pd.DataFrame, area: CouncilArea) -> Figure:
    """Share of placed spend going to suppliers inside the council's area."""
    if not area.lads:
        return Figure("local", "Local share", None, missing=(
            f"The districts of {area.noun}'s area are unknown, so there is no local share "
            "(give its district code on the Data page)."))
    fig = _share_figure(tx, "local", "Local share", _band(tx, "council"),
                        f"placed inside {area.area_words}")
    return _with_caveat(fig, area.local_definition)


def regional_figure(tx: pd.DataFrame, area: CouncilArea) -> Figure:
    """Share of placed spend going to suppliers in the region, the council's area included."""
    if not area.region_codes:
        return Figure("regional", "Regional share", None,
                      missing="No district → region lookup, so there is no regional share.")
    return _share_figure(tx, "regional", "Regional share", _band(tx, "council", "region"),
                         f"in {area.region_words}, {area.noun}'s area included")


def outside_figure(tx: pd.DataFrame, area: CouncilArea) -> Figure:
    """Share of placed spend going outside the region: local + rest of region + outside
    = 100 % of the known £ (national bodies are outside)."""
    if not area.region_codes:
        return Figure("outside", "Outside the region", None,
                      missing="No district → region lookup, so no share outside the region.")
    return _share_figure(tx, "outside", "Outside the region",
                         _band(tx, "elsewhere", "national"),
                         f"outside {area.region_words}, national bodies included")


def deprived_figure(tx: pd.DataFrame) -> Figure:
    """Share of spend to suppliers based in the 20 % most deprived LSOAs of England."""
    dec = (pd.to_numeric(tx["imd_decile"], errors="coerce") if "imd_decile" in tx
           else pd.Series(np.nan, index=tx.index))
    known = dec.notna().to_numpy() | national(tx)
    return _share_figure(tx, "deprived", "To suppliers in the most deprived 20% of areas",
                         (dec <= 2).fillna(False).to_numpy(bool),
                         "whose postcode lies in the most deprived 20% of neighbourhoods in "
                         "England (IoD 2025 deciles 1–2)", known, NEIGHBOURHOOD)


def _yes_no(tx: pd.DataFrame, column: str) -> pd.Series:
    if column not in tx:
        return pd.Series(pd.NA, index=tx.index, dtype="boolean")
    return parse_yes_no(tx[column])


def sme_figure(tx: pd.DataFrame) -> Figure:
    """Share of spend with SMEs, among suppliers whose size is recorded."""
    flag = _yes_no(tx, "sme")
    pos = positive_amounts(tx)
    cov = Coverage(SIZE, float(pos[flag.notna().to_numpy()].sum()), float(pos.sum()))
    yes = float(pos[flag.fillna(False).to_numpy(bool)].sum())
    how = (f"£ paid to suppliers recorded as SMEs ({money(yes)}) divided by the £ of "
           f"{SIZE.words} ({money(cov.known)}). A size that is not recorded is left out, "
           "never guessed.")
    return Figure("sme", "SME share", _ratio(yes, cov.known), SHARE, how,
                  {"spend_sme": round(yes, 2), "spend_known": round(cov.known, 2)}, cov,
                  hint="Record suppliers' size: an SME column in the council's supplier "
                       "register or vendor master (Data page).")


def vcse_figure(tx: pd.DataFrame) -> Figure:
    """Share of spend with voluntary, community and social enterprise suppliers."""
    flag = _yes_no(tx, "vcse")
    cls = tx["supplier_class"].astype("string")
    pos = positive_amounts(tx)
    is_v = (flag.fillna(False) | cls.eq("vcse").fillna(False)).to_numpy(bool)
    known = (flag.notna() | cls.ne("unknown").fillna(False)).to_numpy(bool)
    cov = Coverage(TYPE, float(pos[known].sum()), float(pos.sum()))
    v = float(pos[is_v].sum())
    how = (f"£ paid to suppliers marked VCSE in a register or classed as charities and "
           f"community organisations ({money(v)}) divided by the £ of {TYPE.words} "
           f"({money(cov.known)}).")
    return Figure("vcse", "VCSE share", _ratio(v, cov.known), SHARE, how,
                  {"spend_vcse": round(v, 2), "spend_known": round(cov.known, 2)}, cov,
                  hint="Place or classify more suppliers (the Suppliers page).")


def public_bodies_figure(tx: pd.DataFrame) -> Figure:
    """£ paid to other public bodies (councils, NHS, police, government): spend the council
    rarely chooses where to place, left out when the influenceable switch is on."""
    pos = positive_amounts(tx)
    mask = tx["supplier_class"].astype("string").eq("public_body").fillna(False).to_numpy()
    gbp = float(pos[mask].sum())
    total = float(pos.sum())
    how = (f"Positive payments to suppliers classed as public bodies ({money(gbp)}, "
           f"{pct(_ratio(gbp, total))} of payments): councils, NHS bodies, police, "
           "government departments and agencies.")
    return Figure("public_bodies", "Paid to public bodies", gbp, GBP, how,
                  {"spend_public_bodies": round(gbp, 2), "spend_total": round(total, 2),
                   "share_of_spend": _ratio(gbp, total)})


def concentration_figures(tx: pd.DataFrame, n: int = 10) -> tuple[Figure, Figure]:
    """The top ``n`` suppliers' share and the HHI (0–10,000), over named suppliers."""
    pos = positive_amounts(tx)
    named = (~tx["is_redacted"].fillna(False).astype(bool).to_numpy() if "is_redacted" in tx
             else np.ones(len(tx), bool))
    cov = Coverage(NAMED, float(pos[named].sum()), float(pos.sum()))
    by = pos[named].groupby(tx["supplier_key"][named].to_numpy()).sum()
    shares = (by / cov.known).sort_values(ascending=False) if cov.known > 0 else by.iloc[0:0]
    top = float(shares.head(n).sum()) if len(shares) else None
    hhi = float((100 * shares).pow(2).sum()) if len(shares) else None
    base = {"spend_named": round(cov.known, 2), "suppliers": len(shares)}
    return (Figure("top10", f"Top {n} suppliers' share", top, SHARE,
                   f"£ paid to the {n} suppliers paid most divided by £ paid to named "
                   f"suppliers ({money(cov.known)}).", base, cov),
            Figure("hhi", "Concentration index (HHI, 0–10,000)", hhi, INDEX,
                   "Sum over suppliers of the square of each one's percentage share of £ "
                   "paid to named suppliers: 0–10,000, higher = more concentrated.", base,
                   cov))


def per_resident_figure(tx: pd.DataFrame, period: Period, area: CouncilArea) -> Figure:
    """Net £ per resident a year, from the complete months (a month probably incomplete
    would look like a council that spends less)."""
    label = "Spend per resident a year"
    if not area.population:
        return Figure("per_resident", label, None, GBP,
                      missing="The area's population is unknown.")
    months = period.complete_months
    if len(months) < 3:
        return Figure("per_resident", label, None, GBP, missing=(
            "Fewer than three complete months are published, too few for a yearly rate."))
    amount = pd.to_numeric(tx["amount"], errors="coerce").fillna(0.0)
    gbp = float(amount[_months(tx).isin(months).to_numpy()].sum())
    value = gbp / len(months) * 12 / area.population
    left_out = [m for m in period.months if m not in months]
    how = (f"Net £ in the {len(months)} complete months ({money(gbp)}) ÷ {len(months)} × 12 "
           f"÷ {area.population:,.0f} residents (Census 2021).")
    if left_out:
        how += (" Left out as probably incomplete: "
                + ", ".join(_month_word(m) for m in left_out) + ".")
    return Figure("per_resident", label, value, GBP, how,
                  {"spend_complete_months": round(gbp, 2), "months": len(months),
                   "residents": area.population})


def _with_caveat(fig: Figure, text: str) -> Figure:
    return replace(fig, caveats=(text, *fig.caveats))


# ------------------------------------------------------------- ways of counting local

#: CLES counts a council's top suppliers by spend (300 in its Manchester studies).
TOP_SUPPLIERS = 300
#: Bases at which a supplier's registered office (or a public body's own seat) is known.
OFFICE_BASES = ("registered_office", "public_body", "school_site")
#: The way the headline local share counts (every surface's "Local share").
HEADLINE_WAY = "local"


def way_labels(area: CouncilArea, n: int = TOP_SUPPLIERS) -> dict[str, str]:
    """The words of each way of counting local, by its figure's key: one home, so the
    Overview, the board pack and the compare table's downloads name each way alike."""
    wider = area.wider_name or "the combined authority or county"
    return {
        "local_branched": f"Based or branched in {area.area_words} (CLES)",
        HEADLINE_WAY: f"Main address in {area.area_words} (the headline)",
        "local_office": f"Registered office in {area.area_words}",
        "local_wider": f"Based or branched in {wider}",
        "local_region": f"In {area.region_words} (Tussell: the buyer's NUTS1 region)",
        "local_top300": f"Top {n} suppliers: based or branched in {area.area_words} (CLES)",
    }


def local_ways(tx: pd.DataFrame, area: CouncilArea, places: pd.DataFrame | None
               ) -> tuple[Figure, ...]:
    """"Local" counted the ways the field counts it, side by side, each with its coverage
    and range: based or branched in the area (CLES: the main place or any premises), the
    main address (the headline), the registered office, based or branched in the combined
    authority or county, in the region (Tussell: NUTS1), and CLES's top 300 suppliers.

    ``places``: the supplier × place table (:func:`impact.places.premises.
    supplier_places`); without it a supplier's only place is its main place.
    """
    if not area.lads:
        return ()
    places = _places_or_main(tx, places)
    labels = way_labels(area)
    headline = replace(local_figure(tx, area), label=labels[HEADLINE_WAY])
    region = regional_figure(tx, area)
    region = replace(region, key="local_region", label=labels["local_region"], caveats=(
        "Tussell's index counts a supplier registered in the buyer's region; here its "
        "best-known address (main place) decides.", *region.caveats))
    return (branched_figure(tx, area, places), headline, office_figure(tx, area),
            wider_figure(tx, area, places), region, top_figure(tx, area, places))


def _places_or_main(tx: pd.DataFrame, places: pd.DataFrame | None) -> pd.DataFrame:
    """The supplier × place table, or each supplier's main place when there is none."""
    if places is not None and len(places):
        return places
    cols = ["supplier_key", "lad_code", "area_lad_codes"]
    main = tx.loc[tx["is_located"].fillna(False).to_numpy(bool),
                  [c for c in cols if c in tx]].drop_duplicates("supplier_key")
    return main.reindex(columns=cols)


def _keys_within(places: pd.DataFrame, lads: tuple[str, ...]) -> pd.Index:
    """Suppliers with any place (main or premises) inside ``lads``."""
    from impact.places.localarea import area_within

    inside = places["lad_code"].astype("string").isin(lads).fillna(False).to_numpy(bool)
    inside = inside | area_within(places, lads)
    return pd.Index(places.loc[inside, "supplier_key"].astype("string").unique())


def _branched_share(tx: pd.DataFrame, places: pd.DataFrame, lads: tuple[str, ...], key: str,
                    label: str, where: str) -> Figure:
    """The share of spend with suppliers that have any place inside ``lads``, resting on
    the spend whose supplier has any place (or is a national body)."""
    keys = tx["supplier_key"].astype("string")
    inside = keys.isin(_keys_within(places, lads)).fillna(False).to_numpy(bool)
    known = placed_mask(tx) | keys.isin(places["supplier_key"].astype("string")).fillna(
        False).to_numpy(bool)
    return _share_figure(tx, key, label, inside, where, known)


def branched_figure(tx: pd.DataFrame, area: CouncilArea, places: pd.DataFrame) -> Figure:
    """CLES's definition: based or with a branch (any premises) in the council's area."""
    fig = _branched_share(tx, places, area.lads, "local_branched",
                          way_labels(area)["local_branched"],
                          f"based or with premises in {area.area_words}")
    return replace(fig, how=fig.how + (
        " A supplier with any premises in the area counts whole, as CLES counts it. Its main "
        "place (the one point the maps show) is its own address when it has one, else its "
        "premises in the area with the largest rateable value; the supplier × place table "
        "shares its £ across its premises by rateable value where the list gives one, else "
        "equally."), caveats=(
        "CLES counts a supplier as local when it is based or has a branch in the area: here "
        "its main place or any of its premises from the premises lists added (business "
        "rates, care locations, charities' addresses).",))


def office_figure(tx: pd.DataFrame, area: CouncilArea) -> Figure:
    """Registered office (a public body's own area or site) in the council's area, resting
    on the spend whose supplier was placed at its registered office or is a public body."""
    basis = _column(tx, "place_basis")
    known = basis.isin(OFFICE_BASES).fillna(False).to_numpy(bool) | national(tx)
    fig = _share_figure(tx, "local_office", way_labels(area)["local_office"],
                        known & _band(tx, "council"),
                        f"registered (or, for public bodies, seated) in {area.area_words}",
                        known, OFFICE)
    return replace(fig, caveats=(
        "A supplier placed from the council's own record, an officer or its premises has no "
        "known registered office here: its spend widens the range.",))


def wider_figure(tx: pd.DataFrame, area: CouncilArea, places: pd.DataFrame) -> Figure:
    """Based or branched in the combined authority or county the council belongs to."""
    if not area.wider_lads:
        return Figure("local_wider", way_labels(area)["local_wider"],
                      None, missing="The council belongs to no combined authority or county "
                                    "the reference data knows.")
    return _branched_share(tx, places, area.wider_lads, "local_wider",
                           way_labels(area)["local_wider"],
                           f"based or with premises in {area.wider_name}")


def top_figure(tx: pd.DataFrame, area: CouncilArea, places: pd.DataFrame,
               n: int = TOP_SUPPLIERS) -> Figure:
    """CLES's restriction: based or branched, among the ``n`` suppliers paid most."""
    top = top_suppliers(tx, n)
    sub = tx[tx["supplier_key"].isin(top).to_numpy()]
    fig = _branched_share(sub, places, area.lads, "local_top300",
                          way_labels(area, n)["local_top300"],
                          f"among the {n} paid most, based or with premises in "
                          f"{area.area_words}")
    share = _ratio(float(positive_amounts(sub).sum()), float(positive_amounts(tx).sum()))
    return replace(fig, inputs={**fig.inputs, **_public_in_top(sub, area, places)},
                   how=fig.how + f" The top {n} suppliers hold {pct(share)} of all "
                   "payments.", caveats=(f"CLES's studies count only the {n} suppliers paid "
                                         "most; the rest of the spend is left out.",))


def top_suppliers(tx: pd.DataFrame, n: int = TOP_SUPPLIERS) -> pd.Index:
    """The ``n`` named suppliers paid most (positive payments), most first."""
    named = ~tx["is_redacted"].fillna(False).astype(bool) if "is_redacted" in tx else \
        pd.Series(True, index=tx.index)
    by = positive_amounts(tx)[named].groupby(tx["supplier_key"][named].to_numpy()).sum()
    return by.sort_values(ascending=False, kind="stable").head(n).index


def _public_in_top(sub: pd.DataFrame, area: CouncilArea, places: pd.DataFrame
                   ) -> dict[str, float]:
    """The top suppliers' £ with other public bodies: all of it, the part whose body is
    known (placed or national) and the part inside the area — so a reconciliation can
    say what leaving them out, as a study may, would change."""
    pos = positive_amounts(sub)
    public = _column(sub, "supplier_class").eq("public_body").fillna(False).to_numpy(bool)
    keys = sub["supplier_key"].astype("string")
    known = placed_mask(sub) | keys.isin(places["supplier_key"].astype("string")).fillna(
        False).to_numpy(bool)
    inside = keys.isin(_keys_within(places, area.lads)).fillna(False).to_numpy(bool)
    return {"public_spend": round(float(pos[public].sum()), 2),
            "public_known": round(float(pos[public & known].sum()), 2),
            "public_inside": round(float(pos[public & inside].sum()), 2)}


def _column(tx: pd.DataFrame, name: str) -> pd.Series:
    return tx[name].astype("string") if name in tx else pd.Series(pd.NA, index=tx.index,
                                                                   dtype="string")


# ---------------------------------------------------------------------------- ward level


@dataclass(frozen=True)
class WardBasis:
    """What every ward's £ rests on: all positive spend, the part whose ward is known
    (placed in a ward, or placed outside the council, or national) and the part placed in
    the council's area at no ward (a public body's whole district).

    The unknown £ could be in any ward, so a ward's £ runs from what is placed there to
    that plus all of the unknown £.
    """

    coverage: Coverage
    district_only: float
    district_only_suppliers: int

    @property
    def share(self) -> float | None:
        return self.coverage.share

    @property
    def enough(self) -> bool:
        return self.coverage.enough

    @property
    def unknown(self) -> float:
        return self.coverage.unknown

    @property
    def total(self) -> float:
        return self.coverage.total


def ward_basis(tx: pd.DataFrame) -> WardBasis:
    """:class:`WardBasis` of the payments ``tx``."""
    pos = positive_amounts(tx)
    council = _band(tx, "council")
    no_ward = (tx["ward_code"].isna().to_numpy(bool) if "ward_code" in tx
               else np.ones(len(tx), bool))
    district_only = council & no_ward
    known = placed_mask(tx) & ~district_only
    keys = tx["supplier_key"][district_only] if "supplier_key" in tx else pd.Series([])
    return WardBasis(Coverage(WARD, float(pos[known].sum()), float(pos.sum())),
                     float(pos[district_only].sum()), int(keys.nunique()))


# ---------------------------------------------------------------------------- the bundle


@dataclass(frozen=True)
class Measures:
    """Every headline figure of one set of payments (a council, its filters, a period).

    ``filters`` says in words which payments ("all payments", "public bodies excluded");
    ``lm3`` is set by :func:`with_lm3` (the re-spend model runs apart: it needs the
    council's saved assumptions).
    """

    area: CouncilArea
    period: Period
    filters: str
    total: Figure
    placed: Figure
    local: Figure
    regional: Figure
    outside: Figure
    deprived: Figure
    sme: Figure
    vcse: Figure
    public_bodies: Figure
    top10: Figure
    hhi: Figure
    per_resident: Figure
    ward: WardBasis
    payments: int = 0
    lm3: Figure | None = None
    #: "local" counted several ways, side by side (:func:`local_ways`)
    ways: tuple[Figure, ...] = ()

    def figures(self) -> dict[str, Figure]:
        """Every figure by key, in reading order (LM3 last when computed)."""
        figs = [self.total, self.placed, self.local, self.regional, self.outside,
                self.deprived, self.sme, self.vcse, self.public_bodies, self.top10, self.hhi,
                self.per_resident]
        return {f.key: f for f in [*figs, *([self.lm3] if self.lm3 is not None else [])]}


def measure(tx: pd.DataFrame, area: CouncilArea, *, publication: Period | None = None,
            filters: str = "all payments", places: pd.DataFrame | None = None) -> Measures:
    """Every headline figure of the payments ``tx`` (already filtered).

    ``publication``: the period of *all* the council's payments, so a filtered view never
    calls a month incomplete because one department spent little in it.
    """
    period = publication.within(tx) if publication is not None else Period.of(tx)
    top10, hhi = concentration_figures(tx)
    return Measures(
        area=area, period=period, filters=filters, total=total_figure(tx, period),
        placed=placed_figure(tx), local=local_figure(tx, area),
        regional=regional_figure(tx, area), outside=outside_figure(tx, area),
        deprived=deprived_figure(tx), sme=sme_figure(tx), vcse=vcse_figure(tx),
        public_bodies=public_bodies_figure(tx), top10=top10, hhi=hhi,
        per_resident=per_resident_figure(tx, period, area), ward=ward_basis(tx),
        payments=len(tx), ways=local_ways(tx, area, places))


def with_lm3(m: Measures, lm3: Figure | None) -> Measures:
    return replace(m, lm3=lm3)


def judged(m: Measures, months_in_period: int | None) -> bool:
    """Whether a quarter's or year's figures are judged (:data:`JUDGED_RULE`): every one of
    its ``months_in_period`` published and complete, enough payments, enough placed."""
    p = m.period
    return (bool(months_in_period) and len(p.complete_months) >= months_in_period
            and m.payments >= MIN_PERIOD_PAYMENTS and m.placed.value is not None
            and enough(m.placed.value))


# ---------------------------------------------------------------------- the local multiplier

#: Monte Carlo draws and seed of the one LM3 every surface shows (the figure is stable to
#: about ±0.005 at 1,000 draws; a run takes a quarter of a second on a large council).
LM3_DRAWS = 1000
LM3_SEED = 20050307


def lm3_figure(result: object, area_words: str = "the local area") -> Figure:
    """The local multiplier from a fitted :class:`impact.analysis.multiplier.ModelResult`:
    the P50 (unplaced £ like placed £), its P10–P90 band and the range the unplaced £
    allows, resting on the round-1 £ placed."""
    m = result.model
    label = "Local multiplier (LM3)"
    if not m.r1_ > 0:
        return Figure("lm3", label, None, MULTIPLIER, missing="No positive spend to trace.")
    h = m.headline_
    cov = Coverage(ROUND_ONE, float(m.r1_ - m.unlocated_gbp_), float(m.r1_))
    return Figure(
        "lm3", label, float(h.lm3), MULTIPLIER, result.how_calculated,
        {"r1": round(float(m.r1_), 2), "r2": round(float(m.r2_), 2),
         "r3": round(float(m.r3_), 2), "unplaced": round(float(m.unlocated_gbp_), 2),
         "local_area": area_words},
        cov, float(h.lm3_lower), float(h.lm3_upper), (float(h.lm3_p10), float(h.lm3_p90)),
        hint="Place more suppliers (the Suppliers page) to narrow the range.")
