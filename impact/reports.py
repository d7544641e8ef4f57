"""What the pages, the board pack, the brief and the command line take from a council.

The analyses and outputs take explicit inputs — frames, figures, geometry — never a
workspace.  This front module builds those inputs from a loaded
:class:`impact.workspace.Workspace`, once per dataset and filters, so the Left behind page
and the board pack read the same areas, the Board pack page and the PDF the same charter,
and every one of them the same measures (:meth:`impact.workspace.Workspace.measures`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace

import geopandas as gpd
import pandas as pd

from impact.analysis import charter as ch
from impact.analysis import metrics, trends
from impact.analysis.changes import latest_pair
from impact.analysis.filters import Filters, apply
from impact.analysis.leftbehind import AreaInputs, AreaSettings, AreasResult, analyse_areas
from impact.analysis.measures import RANGE_WORDS, REGISTERED_OFFICE_CAVEAT, pct
from impact.analysis.verdicts import read_history, verdicts_path
from impact.core import cache
from impact.outputs import charts
from impact.outputs.boardpack import PackData
from impact.outputs.brief import Brief, market_brief
from impact.outputs.probity import ProbitySection, board_section
from impact.places import worklist
from impact.workspace import Workspace

#: The areas analysis (clusters, hot spots and their permutation tests, the ranking) per
#: dataset, filters and settings: computed once, read by every session and process after.
_AREAS: cache.DiskStore = cache.DiskStore("areas")
#: The charter scorecard per dataset and filters, with the council's own evidence.
_CHARTERS: cache.DiskStore = cache.DiskStore("charter", max_files=16)
_DEPARTMENTS: cache.DiskStore = cache.DiskStore("departments", max_files=32)

#: The groupings the Departments page offers, in its order (the first with data is shown).
DEPARTMENT_GROUPS = {"directorate": "Directorate", "service_area": "Service area",
                     "expense_type": "Expense type"}
log = logging.getLogger(__name__)

Attributes = str | os.PathLike[str] | bytes | None


def supplier_spend(ws: Workspace, filters: Filters) -> pd.DataFrame:
    """The council's suppliers with ``spend`` = their positive payments under ``filters``."""
    return metrics.supplier_spend(ws.suppliers, apply(ws.transactions, filters))


def areas(ws: Workspace, filters: Filters, unit: str = "ward",
          settings: AreaSettings | None = None, *, scope: tuple[str, ...] | None = None,
          imd: str = "2025") -> AreasResult:
    """Clusters, hot spots, the left-behind rule and the ranking of the council's areas,
    on the spend the filters select; "reach" is known only when the measures say enough is
    placed at ward level.  ``scope``: the districts whose areas are compared (the council's
    own by default).  Raises ValueError without districts or reference data."""
    settings = settings or AreaSettings()
    parts = (filters, unit, repr(settings), scope, imd)
    return ws.stored(_AREAS, parts, lambda: _areas(ws, filters, unit, settings, scope, imd))


def prepare_results(ws: Workspace) -> None:
    """Compute and keep on disk the heavy results a page's first visit reads, on all the
    council's payments: the re-spend model, the areas (wards, default settings), the
    districts around its maps and every district's name, the payment checks and the charter
    scorecard.

    ``impact locate`` runs it after preparing a council, and the app in the background once
    a council's first page is drawn, so no visitor waits for them on another page.
    """
    f = Filters()
    ws.neighbours()
    ws.district_names()
    ws.model(f)
    ws.payment_checks()
    charter(ws, f)
    groups = department_groups(ws.transactions)
    department_tables(ws, f, next(iter(groups)), payment_months(ws)[-3:])
    try:
        areas(ws, f)
    except (ValueError, KeyError, FileNotFoundError) as exc:  # the page says why, itself
        log.info("areas not prepared for %s: %s", ws.name, exc)


def department_groups(tx: pd.DataFrame) -> dict[str, str]:
    """The groupings of :data:`DEPARTMENT_GROUPS` the payments ``tx`` carry (directorate when
    none does)."""
    return {k: v for k, v in DEPARTMENT_GROUPS.items() if k in tx and tx[k].notna().any()
            } or {"directorate": DEPARTMENT_GROUPS["directorate"]}


def payment_months(ws: Workspace) -> list[str]:
    """Every month the council's payments fall in ("2024-04"), in order."""
    return sorted(m for m in ws.transactions["period"].dropna().astype(str).str.slice(0, 7)
                  .unique() if len(m) == 7)


def department_tables(ws: Workspace, filters: Filters, by: str, months: list[str]
                      ) -> tuple[pd.DataFrame, ...]:
    """The Departments page's four tables (month pivot, month-on-month variance, the
    period ``months`` against the one before and a year before, local share by group) of
    the payments the filters select, grouped ``by``: kept on disk per dataset, filters,
    grouping and months (≈ 2 s on a 210,000-row council), prepared for the page's first
    view by :func:`prepare_results`."""
    def compute() -> tuple[pd.DataFrame, ...]:
        tx = apply(ws.transactions, filters)
        no_period = apply(ws.transactions, replace(filters, period_from=None, period_to=None))
        return (metrics.department_months(tx, by), metrics.monthly_variance(tx, by),
                metrics.compare_periods(no_period, list(months), by),
                metrics.local_share_by(tx, by))

    return ws.stored(_DEPARTMENTS, (filters, by, tuple(months)), compute)


def _areas(ws: Workspace, filters: Filters, unit: str, settings: AreaSettings,
           scope: tuple[str, ...] | None, imd: str) -> AreasResult:
    ref = ws.reference()
    if ref is None or not ws.council_lads:
        raise ValueError("the council's districts or the reference data are not known")
    inputs = AreaInputs(ref, tuple(ws.council_lads), scope, unit, supplier_spend(ws, filters),
                        imd, reach_known=ws.measures(filters, lm3=False).ward.enough)
    return analyse_areas(inputs, settings)


def charter(ws: Workspace, filters: Filters, attributes: Attributes = None
            ) -> ch.CharterResult:
    """The supplier charter scorecard of the payments the filters select: evidence from
    ``attributes`` if given, else the council's saved file, else (the demo only) the
    demo's synthetic evidence; Companies House status from the reference registers.

    Without ``attributes`` it is kept per dataset and filters (:data:`_CHARTERS`), keyed
    on the council's saved evidence and its officers' verdicts too."""
    if attributes is None:
        council = ws.source.council
        saved = cache.fingerprint([ch.attributes_path(council), verdicts_path(council)])
        return ws.stored(_CHARTERS, (filters, *saved), lambda: _charter(ws, filters, None))
    return _charter(ws, filters, attributes)


def _charter(ws: Workspace, filters: Filters, attributes: Attributes) -> ch.CharterResult:
    attrs = None
    if attributes is not None:
        attrs = ch.read_attributes(attributes)
    elif ch.attributes_path(ws.source.council).is_file():
        attrs = ch.read_attributes(ch.attributes_path(ws.source.council))
    elif ws.is_demo:
        attrs = ch.read_attributes(ch.demo_attributes(ws.suppliers),
                                   name="the demo's synthetic supplier evidence")
        attrs.synthetic = True
    status = ch.companies_house_status(ws.reference(), ws.suppliers)
    return ch.scorecard(apply(ws.transactions, filters), ws.suppliers, attrs, status,
                        ws.supplier_findings())


def wards_with_spend(ws: Workspace, filters: Filters) -> gpd.GeoDataFrame:
    """The council's wards with the £ of suppliers placed in each (and its status)."""
    wards = ws.wards.copy()
    if len(wards):
        sbw = metrics.spend_by_ward(apply(ws.transactions, filters), wards)
        keep = [c for c in sbw.columns if c not in ("name", "population")]
        wards = wards.merge(sbw[keep], on="code", how="left")
    return wards


def target(ws: Workspace, share: float | None = None) -> trends.Target:
    """The local-share target: ``share`` when given (a command's ``--target``), else the
    one the council saved, else none."""
    if share is not None:
        return trends.target_of(share, "given for this pack")
    return trends.load_target(ws.source.council)


def pack_data(ws: Workspace, filters: Filters | None = None, *,
              target_share: float | None = None,
              attributes: Attributes = None) -> PackData:
    """Everything the board pack shows, from the same measures as every page."""
    f = filters or Filters()
    m = ws.measures(f)
    if not m.payments:
        raise ValueError(f"no payments match the filters ({f.describe()})")
    wards = wards_with_spend(ws, f)
    caveats = [REGISTERED_OFFICE_CAVEAT, RANGE_WORDS]
    opportunities = _left_behind(ws, f, wards, caveats)
    card = charter(ws, f, attributes)
    caveats += [*card.notes, *ws.warnings]
    model = ws.model(f)
    return PackData(
        council=ws.name, is_demo=ws.is_demo, filters=f, measures=m,
        lm3_how=model.how_calculated if model is not None else "", wards=wards,
        opportunities=opportunities, charter=card,
        coverage=_coverage_table(ws, m, card), caveats=[c for c in dict.fromkeys(caveats) if c],
        trend=trends.quarterly(apply(ws.transactions, f), ws.area),
        target=target(ws, target_share), bands=charts.band_spend(apply(ws.transactions, f)),
        placing=worklist.coverage_target(ws.suppliers), probity=probity(ws))


def probity(ws: Workspace) -> ProbitySection:
    """The payment checks over all the council's payments, the verdicts its officers saved,
    and what changed between its last two financial years (when it has two)."""
    pair = latest_pair(ws.transactions)
    return board_section(ws.payment_checks(), read_history(ws.source.council),
                         ws.changes(*pair) if pair else None)


def _left_behind(ws: Workspace, f: Filters, wards: gpd.GeoDataFrame,
                 caveats: list[str]) -> pd.DataFrame:
    """The top opportunities; adds ``left_behind`` and ``opportunity_score`` to ``wards``
    and the rule and its notes to ``caveats`` (the pack is made without it, said so)."""
    if not len(wards):
        return pd.DataFrame()
    try:
        ar = areas(ws, f)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        caveats.append(f"Left-behind analysis not available: {exc}")
        return pd.DataFrame()
    t = ar.table.set_index("code")
    wards["left_behind"] = wards["code"].map(t["left_behind"]).astype("boolean")
    wards["opportunity_score"] = pd.to_numeric(wards["code"].map(t["opportunity_score"]),
                                               errors="coerce")
    opp = ar.ranking.head(6)[["rank", "code", "name", "score", "reason"]].copy()
    opp["left_behind"] = opp["code"].map(t["left_behind"])
    caveats += [ar.rule.describe(), *ar.warnings]
    return opp


def _coverage_table(ws: Workspace, m, card: ch.CharterResult) -> dict[str, str]:
    """What the figures rest on, in words: rows read and shown, the £ behind each kind."""
    q, cov = ws.quality, card.coverage
    ch_status = (cov["spend_with_companies_house_status"] / cov["spend_total"]
                 if cov["spend_total"] else None)
    return {
        "Payments in the files": f"{len(ws.transactions):,}",
        "Payments shown (filters applied)": f"{m.payments:,}",
        "Spend files read": str(q.get("files_read", "?")),
        "Rows rejected at ingest": f"{len(ws.rejected):,}",
        "Payments dated outside their file's months (counted in the file's month)":
            f"{m.period.outside_file:,}",
        "Spend whose supplier we could place or know to be a national body":
            pct(m.placed.value),
        "Spend whose supplier's neighbourhood we know": pct(m.deprived.coverage.share),
        "Spend placed at ward level": pct(m.ward.share),
        "Spend with charter evidence": pct(cov["share_spend_with_attributes"]),
        "Charter spend with a Companies House status": pct(ch_status),
    }


def brief(ws: Workspace, data: PackData) -> Brief:
    """The market engagement brief from the pack's figures and the same payments."""
    return market_brief(data, apply(ws.transactions, data.filters))
