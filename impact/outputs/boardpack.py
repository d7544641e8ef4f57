"""The board pack: a short PDF (A4, 2–6 pages) and an XLSX of the same figures.

Members read a board pack on paper, so every figure here is one the app shows, computed
by the same functions (:mod:`impact.analysis.metrics`,
:func:`impact.analysis.multiplier.run_model`, :func:`impact.analysis.leftbehind.analyse_areas`,
:mod:`impact.analysis.charter`), with its coverage and caveats beside it, the filters in
force, and the sources and Open Government Licence attributions.  Maps are static images
(matplotlib + geopandas) in colour-blind-safe palettes with legends.  The synthetic demo is
labelled on every page.

PDF text from files (supplier and ward names) is XML-escaped before it reaches reportlab's
paragraph markup (:mod:`impact.outputs.pdf`); every XLSX cell goes through
:func:`impact.outputs.exports.neutralise`.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import pandas as pd

from impact.analysis import metrics, trends
from impact.analysis.filters import Filters, apply
from impact.outputs import charts, maps
from impact.outputs.exports import neutralise
from impact.outputs.pdf import BOUNDARY_ATTRIBUTION, OGL, SOURCES, SYNTHETIC_LABEL, PdfDocument
from impact.places import worklist
from impact.places.councils import official_name


@dataclass
class PackData:
    """Everything the PDF and XLSX show, computed once.

    ``council`` is the official name (local-authority register); ``trend`` the local share
    by quarter (:func:`impact.analysis.trends.quarterly`) judged against ``target``;
    ``bands`` where the money goes (:func:`impact.outputs.charts.band_spend`); ``placing``
    the fewest suppliers to place to reach 80 % of influenceable spend.
    """

    council: str
    is_demo: bool
    filters: Filters
    generated: str
    headline: dict[str, metrics.Figure]
    pound: str
    wards: object  # GeoDataFrame: council wards with spend and left-behind columns
    lm3: dict | None
    lm3_how: str
    opportunities: pd.DataFrame
    charter: object  # impact.charter.CharterResult
    coverage: dict
    caveats: list[str] = field(default_factory=list)
    period: str = ""
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)
    target: trends.Target = field(default_factory=lambda: trends.Target(None, "no target set"))
    bands: pd.DataFrame = field(default_factory=pd.DataFrame)
    placing: worklist.Target | None = None
    ward_basis: metrics.WardBasis | None = None

    @property
    def status(self) -> tuple[str, str]:
        """The latest quarter's RAG status against the target, and its sentence."""
        return trends.latest_status(self.trend, self.target)


def pack_filename(council: str, generated: str, kind: str = "board-pack",
                  ext: str = "pdf") -> str:
    """``<council-slug>-<kind>-<YYYY-MM-DD>.<ext>``: "manchester-city-council-board-pack-
    2026-11-28.pdf" — a name that sorts by council and date in anyone's downloads."""
    slug = re.sub(r"[^a-z0-9]+", "-", str(council).lower()).strip("-") or "council"
    return f"{slug}-{kind}-{generated}.{ext}"


def pack_data(ws: object, filters: Filters | None = None, *, permutations: int = 99,
              lm3_draws: int = 300, attributes: str | os.PathLike[str] | None = None,
              target: float | None = None) -> PackData:
    """The pack's figures for a :class:`impact.workspace.Workspace` and filters;
    ``target``: the council's local-share target (0–1), else the first quarter's level."""
    from impact.analysis.charter import charter_for_workspace

    f = filters or Filters()
    tx = apply(ws.transactions, f)
    if tx.empty:
        raise ValueError(f"no payments match the filters ({f.describe()})")
    council = official_name(ws.reference(), ws.source.council)
    head = metrics.headline(tx, ws.council_lads, ws.region_codes, ws.council_lad_names)
    pound = metrics.pound_sentence(head["local"], head["regional"], head["deprived"], council)
    caveats: list[str] = [metrics.REGISTERED_OFFICE_CAVEAT, metrics.BOUNDS_TEXT]
    wards = _wards_with_spend(ws, tx)
    lm3, lm3_how = _lm3_figures(ws, tx, lm3_draws, caveats)
    opp = _left_behind_figures(ws, wards, permutations, caveats)
    charter = charter_for_workspace(ws, tx, attributes)
    caveats.extend(charter.notes)
    caveats.extend(ws.warnings)
    trend = trends.quarterly(tx, ws.council_lads, ws.region_codes)
    return PackData(
        council=council, is_demo=ws.is_demo, filters=f,
        generated=dt.date.today().isoformat(), headline=head, pound=pound, wards=wards,
        lm3=lm3, lm3_how=lm3_how, opportunities=opp, charter=charter,
        coverage=_coverage_figures(ws, tx, head, charter),
        caveats=[c for c in dict.fromkeys(caveats) if c], period=metrics.period_text(tx),
        trend=trend, target=trends.target_for(trend, target), bands=charts.band_spend(tx),
        placing=worklist.coverage_target(ws.suppliers), ward_basis=metrics.ward_basis(tx),
    )


def _wards_with_spend(ws: object, tx: pd.DataFrame) -> object:
    """The council's wards with the spend with suppliers based in each."""
    wards = ws.wards.copy()
    if len(wards):
        sbw = metrics.spend_by_ward(tx, wards)
        keep = [c for c in sbw.columns if c not in ("name", "population")]
        wards = wards.merge(sbw[keep], on="code", how="left")
    return wards


def _lm3_figures(ws: object, tx: pd.DataFrame, lm3_draws: int,
                 caveats: list[str]) -> tuple[dict | None, str]:
    """``(LM3 summary or None, how calculated)``; why not computed goes to ``caveats``."""
    lm3, lm3_how = None, "LM3 not computed: the council's district is unknown."
    try:
        from impact.analysis.multiplier import ModelSettings, run_model

        sub = ws.suppliers[ws.suppliers["supplier_key"].isin(tx["supplier_key"])]
        res = run_model((tx, sub, ws.council_lads), ModelSettings(n_draws=lm3_draws))
        lm3, lm3_how = res.model.summary(), res.how_calculated
    except ValueError as exc:
        caveats.append(f"LM3 not computed: {exc}")
    return lm3, lm3_how


def _left_behind_figures(ws: object, wards: object, permutations: int,
                         caveats: list[str]) -> pd.DataFrame:
    """The top opportunities; adds ``left_behind`` and ``opportunity_score`` to ``wards``
    and the rule, warnings or why it failed to ``caveats`` (the pack is made regardless)."""
    opp = pd.DataFrame()
    try:
        from impact.analysis.leftbehind import AreaInputs, AreaSettings, analyse_areas
        from impact.places.reference import resolve_reference

        if ws.council_lads and len(wards):
            ref = resolve_reference(ws.source.reference)
            ar = analyse_areas(
                AreaInputs(ref, tuple(ws.council_lads), None, "ward", ws.suppliers),
                AreaSettings(permutations=permutations),
            )
            t = ar.table.set_index("code")
            wards["left_behind"] = wards["code"].map(t["left_behind"]).astype("boolean")
            wards["opportunity_score"] = pd.to_numeric(
                wards["code"].map(t["opportunity_score"]), errors="coerce")
            opp = ar.ranking.head(6)[["rank", "code", "name", "score", "reason"]].copy()
            opp["left_behind"] = opp["name"].map(
                ar.table.drop_duplicates("name").set_index("name")["left_behind"])
            caveats.append(ar.rule.describe())
            caveats.extend(ar.warnings)
    except Exception as exc:  # the pack must still be produced; say what is missing
        caveats.append(f"Left-behind analysis not available: {type(exc).__name__}: "
                       f"{str(exc).splitlines()[0] if str(exc) else ''}")
    return opp


def _coverage_figures(ws: object, tx: pd.DataFrame, head: dict[str, metrics.Figure],
                      charter: object) -> dict[str, str]:
    """What the figures rest on: rows read and shown, shares of spend with each input."""
    q = ws.quality
    return {
        "Payments in the files": f"{len(ws.transactions):,}",
        "Payments shown (filters applied)": f"{len(tx):,}",
        "Spend files read": str(q.get("files_read", "?")),
        "Rows rejected at ingest": f"{len(ws.rejected):,}",
        "Spend whose supplier could be placed": metrics.pct(head["local"].coverage),
        "Spend with an IoD decile for the supplier's area": metrics.pct(
            head["deprived"].coverage),
        "Spend with charter evidence": metrics.pct(
            charter.coverage["share_spend_with_attributes"]),
        "Charter spend with a Companies House status": metrics.pct(
            charter.coverage["spend_with_companies_house_status"]
            / charter.coverage["spend_total"] if charter.coverage["spend_total"] else None),
    }


# ------------------------------------------------------------------------------- maps

#: The opportunity score on the left-behind map (0–100, darker = more opportunity).
OPPORTUNITY = maps.MapMetric("opportunity_score", "Opportunity score (0–100)", "score",
                             note="Higher = where more local spend would matter most.")


def map_images(data: PackData) -> dict[str, bytes]:
    """The spend map and the left-behind map as PNG bytes (empty when no ward boundaries):
    the app's classes and legend, ward names on the map."""
    w = data.wards
    if w is None or not len(w):
        return {}
    return {
        "spend": charts.map_png(w, maps.METRICS["spend_per_resident"],
                                "Spend with suppliers based in each ward, per resident"),
        "left_behind": charts.map_png(w, OPPORTUNITY, "Opportunity and left-behind wards",
                                      outline="left_behind"),
    }


def summary_images(data: PackData) -> dict[str, bytes]:
    """Page 1's three charts: local share by quarter, where the money goes, LM3."""
    return {"trend": charts.trend_png(data.trend, data.target, data.status[0]),
            "areas": charts.areas_png(data.bands, data.council),
            "lm3": charts.lm3_png(data.lm3)}


# ------------------------------------------------------------------------------- PDF


def _fig_row(fig: metrics.Figure) -> list[str]:
    cov = metrics.pct(fig.coverage) if fig.coverage is not None else "all"
    rng = fig.bounds_text or "—"
    return [fig.label, fig.text, cov, rng]


def pdf_bytes(data: PackData, images: dict[str, bytes] | None = None) -> bytes:
    """The board pack PDF: page 1 an executive summary (four figures with coverage, three
    charts, three findings, recommended actions); then the maps, opportunities and
    charter; then a technical appendix (figures in full, methods, coverage, caveats,
    sources)."""
    from reportlab.platypus import PageBreak

    images = {**map_images(data), **summary_images(data)} if images is None else images
    doc = PdfDocument(f"{data.council}: local economic impact",
                      f"board pack, {data.generated}", data.is_demo)
    return doc.build([
        *_pdf_summary(doc, data, images), PageBreak(),
        *_pdf_maps(doc, images), PageBreak(),
        *_pdf_opportunities(doc, data.opportunities), *_pdf_charter(doc, data.charter),
        *_pdf_appendix(doc, data),
    ])


def _share_tile(fig: metrics.Figure) -> tuple[str, str, str]:
    """(value, range, what it rests on) of a place-dependent share: the point with its
    range, or — below :data:`metrics.MIN_COVERAGE` — the range as the figure itself."""
    cov = f"rests on the {metrics.pct(fig.coverage)} of spend placed"
    if fig.value is None:
        return metrics.NOT_ENOUGH_DATA, "", cov
    rng = f"{metrics.pct(fig.lower)} to {metrics.pct(fig.upper)}"
    if (fig.coverage or 0.0) < metrics.MIN_COVERAGE:
        return rng, f"{fig.text} of placed spend; {metrics.NOT_ENOUGH_DATA} for one figure", cov
    return fig.text, f"range {rng}", cov


def headline_tiles(data: PackData) -> list[tuple[str, str, str, str]]:
    """The four headline figures as (label, value, range, coverage) for page 1."""
    h, m = data.headline, data.lm3
    tiles = [("Total spend", h["total"].text, data.period,
              f"{h['total'].inputs.get('payments', 0):,} payments")]
    tiles.append(("Local share (suppliers in the area)", *_share_tile(h["local"])))
    tiles.append(("To suppliers in the most deprived 20% of areas",
                  *_share_tile(h["deprived"])))
    if m:
        p50 = m.get("lm3_p50") or m["lm3"]
        r1 = float(m.get("r1") or 0.0)
        cov = 1.0 - float(m.get("unlocated_gbp") or 0.0) / r1 if r1 > 0 else None
        tiles.append(("Local multiplier (LM3)", f"£{p50:.2f} per £1",
                      f"P10–P90 £{m['lm3_p10']:.2f}–£{m['lm3_p90']:.2f}",
                      f"rests on the {metrics.pct(cov)} of traced spend placed"))
    else:
        tiles.append(("Local multiplier (LM3)", "not computed", "", "see the appendix"))
    return tiles


def findings(data: PackData) -> list[str]:
    """Three plain-English findings: the local share and its trend, the places left
    behind, and what the figures rest on."""
    first = f"{_local_sentence(data.headline['local'])} {data.status[1]}"
    lb = data.wards.get("left_behind") if data.wards is not None else None
    n_lb = int(lb.fillna(False).astype(bool).sum()) if lb is not None else 0
    names = ", ".join(str(n) for n in data.opportunities["name"].head(3)) if len(
        data.opportunities) else ""
    second = (f"{n_lb} of {len(data.wards):,} wards are left behind: deprived, and barely "
              "reached by the council's placed spend." if lb is not None else
              f"{data.headline['deprived'].text} of placed spend went to suppliers in the "
              "most deprived 20% of neighbourhoods in England.")
    if lb is not None and data.ward_basis is not None and not data.ward_basis.enough:
        second += (f" Only {metrics.pct(data.ward_basis.coverage)} of spend is placed at ward "
                   "level, so some of these may be reached by spend we cannot yet place.")
    if names:
        second += f" More local spend would matter most in {names}."
    return [first, second, _coverage_finding(data)]


def _local_sentence(local: metrics.Figure) -> str:
    """The local share in words; below :data:`metrics.MIN_COVERAGE` what is known, not one
    figure ("we can trace where 27p of every £1 went; of that …")."""
    if local.value is None:
        return "The council's district is unknown, so no local share."
    placed = round(100 * (local.coverage or 0.0))
    if (local.coverage or 0.0) < metrics.MIN_COVERAGE:
        return (f"We can trace where {placed}p of every £1 went; of that, "
                f"{round(100 * local.value)}p went to suppliers based in the council's area. "
                f"Of all spend, between {metrics.pct(local.lower)} and "
                f"{metrics.pct(local.upper)} stayed local: not enough data for one figure.")
    return (f"We could place {placed}% of spend. Of every £1 placed, "
            f"{round(100 * local.value)}p went to suppliers based in the council's area "
            f"({metrics.pct(local.lower)} to {metrics.pct(local.upper)} of all spend).")


def _coverage_finding(data: PackData) -> str:
    t = data.placing
    if t is None or t.share_now is None:
        return "No influenceable spend to place: the figures rest on payments to public bodies."
    text = (f"We know where the suppliers are for {metrics.pct(t.share_now)} of the spend the "
            "council can influence (public bodies left out).")
    if t.met:
        return text + " The figures rest on most of the spend."
    if t.reachable:
        return text + (f" Placing the {len(t.keys):,} largest unplaced suppliers would take "
                       f"it to {metrics.pct(t.target)}, and narrow every range above.")
    return text + (f" Placing every named supplier would reach {metrics.pct(t.share_if_all)}; "
                   "the rest is redacted or unnamed.")


def actions(data: PackData) -> list[str]:
    """Recommended actions that follow from :func:`findings`."""
    status, tgt, out = data.status[0], data.target, []
    if not tgt.set_by_council:
        out.append("Agree a local-share target for the council"
                   + (f" (this pack compared against {tgt.source.split(',')[0]}, "
                      f"{metrics.pct(tgt.share)})." if tgt.share is not None else "."))
    elif status == trends.RED:
        out.append(f"Agree how to lift the local share to its {metrics.pct(tgt.share)} target: "
                   "start with the spend categories the market engagement brief names.")
    elif status == trends.AMBER:
        out.append("Place more suppliers to settle whether the local-share target is met: "
                   "the unplaced spend decides it.")
    else:
        out.append(f"Keep the {metrics.pct(tgt.share)} local-share target under review.")
    names = ", ".join(str(n) for n in data.opportunities["name"].head(3)) if len(
        data.opportunities) else "the most deprived areas"
    out.append(f"Use the market engagement brief in coming procurements to ask bidders for "
               f"social value in {names}.")
    t = data.placing
    if t is not None and t.keys and not t.met:
        out.append(f"Ask finance to confirm where the {len(t.keys):,} largest unplaced "
                   "suppliers are based (the supplier template on the Suppliers page).")
    else:
        out.append(f"Follow up the {len(data.charter.flags):,} supplier charter flags at "
                   "contract reviews, largest spend first.")
    return out


def _tiles_table(doc: PdfDocument, data: PackData):
    from reportlab.lib import colors
    from reportlab.lib.units import cm
    from reportlab.platypus import Table, TableStyle

    cells = [[[doc.p(label, "small"), doc.p(value, "big"), doc.p(rng, "small"),
               doc.p(cov, "small")] for label, value, rng, cov in headline_tiles(data)]]
    t = Table(cells, colWidths=[4.5 * cm] * 4)
    t.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f1f5f9")),
        ("LINEBEFORE", (1, 0), (-1, -1), 3, colors.white),
        ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return t


def _pdf_summary(doc: PdfDocument, data: PackData, images: dict[str, bytes]) -> list:
    """Page 1: what a board member reads in two minutes."""
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, Spacer, Table

    st: list = [doc.p(f"{data.council}: where the council's money goes", "h1"),
                doc.p(f"Executive summary · payments {data.period} · filters in force: "
                      f"{data.filters.describe()} · generated {data.generated}", "small")]
    if data.is_demo:
        st.append(doc.p("A synthetic demo borough generated by Impact Explorer: no real "
                        "council, supplier or place is depicted.", "small"))
    st += [Spacer(1, 6), _tiles_table(doc, data), Spacer(1, 8)]
    pics = [Image(io.BytesIO(images[k]), width=5.9 * cm, height=4.6 * cm, kind="proportional")
            for k in ("trend", "areas", "lm3") if k in images]
    if pics:
        st.append(Table([pics], colWidths=[6.1 * cm] * len(pics)))
    st.append(doc.p("Shaded: the range of the local share. " + trends.RAG_RULE,
                    "small"))
    st.append(doc.p("What the board should know", "h2"))
    st += [doc.p(f"{i}. {text}") for i, text in enumerate(findings(data), 1)]
    st.append(doc.p("Recommended actions", "h2"))
    st += [doc.p(f"• {text}") for text in actions(data)]
    st.append(doc.p("Maps, priority wards and the supplier charter follow; methods, "
                    "formulae, coverage and sources are in the technical appendix.", "small"))
    return st


MAP_CAPTIONS = {
    "spend": "£ received by suppliers based in each ward, per resident (natural-break classes, "
             "viridis: darker = more £). Suppliers are placed at their register postcode. "
             "Hatched: not enough spend is placed to say a ward received nothing.",
    "left_behind": "Opportunity score by ward (darker = where more local spend would matter "
                   "most); left-behind wards outlined in orange.",
}


def _pdf_maps(doc: PdfDocument, images: dict[str, bytes]) -> list:
    """The spend and left-behind maps with captions: stacked for a wide council, side by
    side for a tall one (so neither floats small on the page)."""
    from reportlab.lib.units import cm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image, KeepTogether, Spacer, Table, TableStyle

    st: list = [doc.p("Where the spend lands, and the wards left behind", "h2")]
    keys = [k for k in MAP_CAPTIONS if k in images]
    if not keys:
        return [*st, doc.p("No ward boundaries for this council: maps omitted.", "small")]
    w, h = ImageReader(io.BytesIO(images[keys[0]])).getSize()
    tall = len(keys) == 2 and h > w  # charts.is_tall: each map's legend is under it
    size = (8.7 * cm, 20 * cm) if tall else (17.5 * cm, 11 * cm)
    cells = [[Image(io.BytesIO(images[k]), width=size[0], height=size[1], kind="proportional"),
              doc.p(MAP_CAPTIONS[k], "small"), Spacer(1, 6)] for k in keys]
    if tall:
        t = Table([cells], colWidths=[9 * cm, 9 * cm])
        t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        st.append(t)
    else:
        st += [KeepTogether(c) for c in cells]
    st.append(doc.p(BOUNDARY_ATTRIBUTION, "small"))
    return st


def _pdf_appendix(doc: PdfDocument, data: PackData) -> list:
    """The technical appendix: every headline figure with coverage, range and how; the
    local share by quarter; LM3's method; data coverage, caveats and sources."""
    from reportlab.lib.units import cm
    from reportlab.platypus import CondPageBreak

    h = data.headline
    rows = [["Figure", "Value", "Coverage (share of £ usable)", "Range (bounds)"]]
    rows += [_fig_row(h[k]) for k in ("total", "local", "regional", "deprived", "sme", "vcse")]
    st: list = [CondPageBreak(6 * cm), doc.p("Technical appendix", "h1"),
                doc.p("A. Headline figures in full", "h2"),
                doc.table(rows, [6.2 * cm, 3 * cm, 4 * cm, 3.8 * cm]), doc.p(data.pound),
                doc.p("How: " + h["local"].how, "small"), *_pdf_trend(doc, data),
                *_pdf_lm3(doc, data)]
    return [*st, *_pdf_coverage(doc, data), *_pdf_sources(doc)]


def _pdf_trend(doc: PdfDocument, data: PackData) -> list:
    from reportlab.lib.units import cm

    if data.trend.empty:
        return []
    rows = [["Quarter", "Local share", "Range", "Spend placed", "Status"]]
    for r in data.trend.itertuples():
        lo, up = float(r.local_share_lower), float(r.local_share_upper)
        rows.append([str(r.period), metrics.pct(r.local_share) if pd.notna(r.local_share)
                     else metrics.NOT_ENOUGH_DATA, f"{metrics.pct(lo)}–{metrics.pct(up)}",
                     metrics.pct(r.placed_share),
                     trends.rag(lo, up, data.target.share).upper()])
    return [doc.p("B. Local share by quarter", "h2"),
            doc.table(rows, [3 * cm, 3.2 * cm, 3.6 * cm, 3.2 * cm, 4 * cm]),
            doc.p(f"Target: {metrics.pct(data.target.share)} ({data.target.source}). "
                  + trends.RAG_RULE, "small")]


def _pdf_lm3(doc: PdfDocument, data: PackData) -> list:
    """The local multiplier with its band and method, or why it was not computed."""
    if not data.lm3:
        return [doc.p("C. Local multiplier (LM3)", "h2"), doc.p(data.lm3_how, "small")]
    m = data.lm3
    p50 = m.get("lm3_p50") or m["lm3"]
    return [doc.p("C. Local multiplier (LM3)", "h2"),
            doc.p(f"LM3 = {p50:.2f} (P10–P90 {m['lm3_p10']:.2f}–{m['lm3_p90']:.2f}; bounds "
                  f"{m['lm3_lower']:.2f}–{m['lm3_upper']:.2f})"),
            doc.p(f"Every £1 of influenceable spend traced (R1 {metrics.money(m['r1'])}) "
                  f"generated about £{p50:.2f} for the local economy: "
                  f"{metrics.money(m['r2'])} was received by local suppliers (round 2) and "
                  f"{metrics.money(m['r3'])} re-spent locally by them (round 3). "
                  f"Shown: {m['shown']}.", "small"),
            doc.p(data.lm3_how.replace("\n", " "), "small")]


def _pdf_opportunities(doc: PdfDocument, opportunities: pd.DataFrame) -> list:
    """The top opportunities table (nothing when there are none)."""
    from reportlab.lib.units import cm

    if not len(opportunities):
        return []
    rows = [["#", "Ward", "Score", "Left behind", "Why"]]
    for r in opportunities.itertuples():
        rows.append([str(r.rank), str(r.name), f"{r.score:.0f}",
                     "yes" if r.left_behind is True else "no", str(r.reason)])
    return [doc.p("Top opportunities: where more local spend would matter most", "h2"),
            doc.table(rows, [0.7 * cm, 3.0 * cm, 1.4 * cm, 1.9 * cm, 10.0 * cm])]


def _pdf_charter(doc: PdfDocument, ch: object) -> list:
    """The charter roll-up by share of spend, its evidence coverage and the flags."""
    from reportlab.lib.units import cm

    st: list = [doc.p("Supplier ethics charter: share of spend by evidence", "h2")]
    rows = [["Charter point", "Meets it", "Does not", "Unknown", "Test"]]
    for r in ch.rollup.itertuples():
        rows.append([r.charter_point, metrics.pct(r.share_yes), metrics.pct(r.share_no),
                     metrics.pct(r.share_unknown), r.test])
    st.append(doc.table(rows, [3.6 * cm, 1.9 * cm, 1.9 * cm, 1.9 * cm, 7.7 * cm]))
    cov = ch.coverage
    st.append(doc.p(
        f"Evidence held for {cov['suppliers_with_attributes']:,} of {cov['suppliers']:,} "
        f"suppliers, covering {metrics.pct(cov['share_spend_with_attributes'])} of spend. "
        "“Unknown” means the council holds no evidence, not that the supplier failed.",
        "small"))
    if len(ch.flags):
        st.append(doc.p("Flags to act on (largest spend first)", "h2"))
        rows = [["Supplier", "Flag", "Why it matters"]]
        for r in ch.flags.head(8).itertuples():
            rows.append([str(r.supplier), str(r.flag), str(r.explanation)])
        st.append(doc.table(rows, [4.2 * cm, 3.4 * cm, 9.4 * cm]))
        if len(ch.flags) > 8:
            st.append(doc.p(f"{len(ch.flags) - 8} more flag(s) in the XLSX.", "small"))
    return st


def _pdf_coverage(doc: PdfDocument, data: PackData) -> list:
    """The data coverage table and the caveats."""
    from reportlab.lib.units import cm

    st: list = [doc.p("D. Data coverage", "h2"),
                doc.table([["Measure", "Value"], *[[k, v] for k, v in data.coverage.items()]],
                          [10 * cm, 7 * cm]),
                doc.p("E. Caveats", "h2")]
    st += [doc.p("• " + c, "small") for c in data.caveats[:14]]
    return st


def _pdf_sources(doc: PdfDocument) -> list:
    """Sources and the Open Government Licence attributions."""
    from reportlab.platypus import Spacer

    st: list = [doc.p("F. Sources and attributions", "h2")]
    st += [doc.p(f"<b>{escape(name)}</b>: {escape(src)}", "small", raw=True)
           for name, src in SOURCES]
    return [*st, Spacer(1, 4), doc.p(OGL, "small"), doc.p(BOUNDARY_ATTRIBUTION, "small")]


# ------------------------------------------------------------------------------- XLSX


def xlsx_sheets(data: PackData) -> dict[str, pd.DataFrame]:
    """The workbook's sheets as frames (before neutralising)."""
    label = SYNTHETIC_LABEL if data.is_demo else ""
    about = pd.DataFrame({"item": ["Council", "Payments", "Filters in force", "Generated",
                                   "Dataset", "Licence"],
                          "value": [data.council, data.period, data.filters.describe(),
                                    data.generated, label or "published spend files", OGL]})
    head = pd.DataFrame([{
        "figure": f.label, "value": f.value, "text": f.text, "coverage": f.coverage,
        "lower_bound": f.lower, "upper_bound": f.upper, "how_calculated": f.how,
    } for f in data.headline.values()])
    lm3 = pd.DataFrame({"measure": list(data.lm3), "value": [str(v) if isinstance(v, dict)
                                                             else v for v in data.lm3.values()]}
                       ) if data.lm3 else pd.DataFrame({"measure": ["lm3"], "value": [None]})
    ch = data.charter
    score_cols = ["supplier", "department", "spend", "share",
                  *[c for k in ("good_jobs", "transparency", "good_business", "local_impact",
                                "carbon", "training", "standards") for c in (k, f"{k}_evidence")],
                  "flags"]
    sheets = {
        "About": about,
        "Headline": head,
        "LM3": lm3,
        "Opportunities": data.opportunities,
        "Charter roll-up": ch.rollup.drop(columns=["point"]),
        "Charter by department": ch.by_department,
        "Charter suppliers": ch.scores[score_cols],
        "Flags": ch.flags.drop(columns=["supplier_key"]),
        "Coverage": pd.DataFrame({"measure": list(data.coverage),
                                  "value": list(data.coverage.values())}),
        "Caveats and sources": pd.DataFrame({
            "note": [*data.caveats, *[f"{a}: {b}" for a, b in SOURCES], OGL,
                     BOUNDARY_ATTRIBUTION]}),
    }
    if label:
        sheets = {k: v.assign(dataset=label) if len(v.columns) else v for k, v in
                  sheets.items()}
    return sheets


def xlsx_bytes(data: PackData) -> bytes:
    """The workbook: every cell neutralised (no cell may start a formula)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        for name, df in xlsx_sheets(data).items():
            out = neutralise(pd.DataFrame(df).reset_index(drop=True))
            for c in out.columns:
                if isinstance(out[c].dtype, pd.DatetimeTZDtype):
                    out[c] = out[c].dt.tz_localize(None)
            out.to_excel(xl, sheet_name=name[:31], index=False)
            ws = xl.sheets[name[:31]]
            for i, col in enumerate(out.columns, start=1):
                width = min(60, max(10, len(str(col)) + 2))
                ws.column_dimensions[ws.cell(1, i).column_letter].width = width
    return buf.getvalue()


def board_pack(ws: object, filters: Filters | None = None, **kwargs) -> tuple[bytes, bytes]:
    """``(pdf, xlsx)`` bytes for a workspace and filters."""
    data = pack_data(ws, filters, **kwargs)
    return pdf_bytes(data), xlsx_bytes(data)
