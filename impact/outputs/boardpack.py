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
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import pandas as pd

from impact.analysis import trends
from impact.analysis.filters import Filters
from impact.analysis.measures import GBP, NOT_ENOUGH_DATA, Figure, Measures, money, pct
from impact.analysis.sentences import local_sentence, pound_sentence, ways_table
from impact.outputs import charts, labels, maps
from impact.outputs.exports import sheets_to_xlsx_bytes
from impact.outputs.pdf import BOUNDARY_ATTRIBUTION, OGL, SOURCES, SYNTHETIC_LABEL, PdfDocument
from impact.outputs.probity import ProbitySection, section_flowables
from impact.places import worklist


@dataclass
class PackData:
    """Everything the PDF and XLSX show, given by the front (:mod:`impact.reports`).

    ``measures`` are the council's figures under the filters (with the local multiplier),
    the same objects every page shows; ``trend`` the quarters
    (:func:`impact.analysis.trends.quarterly`) judged against the council's ``target``;
    ``wards`` the wards with their £ and left-behind columns; ``bands`` where the money
    goes (:func:`impact.outputs.charts.band_spend`); ``placing`` the fewest suppliers to
    place to reach 80 % of influenceable spend.
    """

    council: str
    is_demo: bool
    filters: Filters
    measures: Measures
    lm3_how: str
    wards: object  # GeoDataFrame: council wards with spend and left-behind columns
    opportunities: pd.DataFrame
    charter: object  # impact.analysis.charter.CharterResult
    coverage: dict[str, str]
    caveats: list[str] = field(default_factory=list)
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)
    target: trends.Target = field(default_factory=lambda: trends.Target(None))
    bands: pd.DataFrame = field(default_factory=pd.DataFrame)
    placing: worklist.Target | None = None
    generated: str = field(default_factory=lambda: dt.date.today().isoformat())
    #: The payment checks and what changed this year (over all the council's payments).
    probity: ProbitySection | None = None

    @property
    def period(self) -> str:
        return self.measures.period.text

    @property
    def headline(self) -> dict[str, Figure]:
        return self.measures.figures()

    @property
    def pound(self) -> str:
        return pound_sentence(self.measures)

    @property
    def status(self) -> tuple[str, str]:
        """The latest judged quarter's status against the target, and its sentence."""
        return trends.latest_status(self.trend, self.target)


def pack_filename(council: str, generated: str, kind: str = "board-pack",
                  ext: str = "pdf") -> str:
    """``<council-slug>-<kind>-<YYYY-MM-DD>.<ext>``: "manchester-city-council-board-pack-
    2026-11-28.pdf" — a name that sorts by council and date in anyone's downloads."""
    slug = re.sub(r"[^a-z0-9]+", "-", str(council).lower()).strip("-") or "council"
    return f"{slug}-{kind}-{generated}.{ext}"


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
            "lm3": charts.lm3_png(data.measures.lm3)}


# ------------------------------------------------------------------------------- PDF


def _fig_row(fig: Figure) -> list[str]:
    """A figure in the appendix: label, value as shown, what it rests on, its range."""
    cov = pct(fig.coverage.share) + " of " + fig.coverage.kind.words if fig.coverage else (
        "every payment")
    return [fig.label, fig.text, cov, fig.range_text or "—"]


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
        *(section_flowables(doc, data.probity) if data.probity is not None else []),
        *_pdf_appendix(doc, data),
    ])


def _tile(fig: Figure | None, label: str) -> tuple[str, str, str, str]:
    """(label, value, the line under it, what it rests on) of one headline figure: the
    figure as every page shows it ("not enough data" with where it lies, below the gate)."""
    if fig is None:
        return label, "not computed", "", "see the appendix"
    rests = fig.rests_on.replace("Based on", "Rests on", 1) if fig.rests_on else ""
    return label, fig.text, fig.detail, rests


def headline_tiles(data: PackData) -> list[tuple[str, str, str, str]]:
    """The four headline figures as (label, value, detail, coverage) for page 1."""
    m = data.measures
    lm3 = _tile(m.lm3, "Local multiplier (LM3)")
    if m.lm3 is not None and m.lm3.shown is not None:
        lm3 = (lm3[0], f"£{m.lm3.text} per £1", f"P10–P90 £{m.lm3.fmt(m.lm3.band[0])}–"
               f"£{m.lm3.fmt(m.lm3.band[1])}; range £{m.lm3.fmt(m.lm3.lower)}–"
               f"£{m.lm3.fmt(m.lm3.upper)}", lm3[3])
    return [("Total spend", m.total.text, data.period, f"{m.payments:,} payments"),
            _tile(m.local, "Local share (suppliers in the area)"),
            _tile(m.deprived, "To suppliers in the most deprived 20% of areas"), lm3]


def findings(data: PackData) -> list[str]:
    """Three plain-English findings: the local share and its trend, the places left
    behind, and what the figures rest on."""
    first = f"{local_sentence(data.measures)} {data.status[1]}"
    return [first, _left_behind_finding(data), _coverage_finding(data)]


def _left_behind_finding(data: PackData) -> str:
    """The wards left behind (only where enough is placed to say so) and where more local
    spend would matter most."""
    m, w = data.measures, data.wards
    lb = w.get("left_behind") if w is not None else None
    names = ", ".join(str(n) for n in data.opportunities["name"].head(3)) if len(
        data.opportunities) else ""
    if lb is None:
        text = (f"{m.deprived.text.capitalize()} of placed spend went to suppliers in the "
                "most deprived 20% of neighbourhoods in England." if m.deprived.shown
                is not None else "Where the spend reaches the most deprived neighbourhoods: "
                f"{NOT_ENOUGH_DATA}.")
    elif not m.ward.enough:
        text = (f"Only {pct(m.ward.share)} of spend is placed at ward level: too little to "
                "say which wards the council's spend misses, so no ward is called left "
                "behind yet.")
    else:
        n_lb = int(lb.fillna(False).astype(bool).sum())
        text = (f"{n_lb} of {len(w):,} wards are left behind: deprived, and barely reached "
                "by the council's placed spend.")
    return text + (f" By deprivation and local suppliers nearby, more local spend would "
                   f"matter most in {names}." if names else "")


def _coverage_finding(data: PackData) -> str:
    t = data.placing
    if t is None or t.share_now is None:
        return "No influenceable spend to place: the figures rest on payments to public bodies."
    text = (f"We know where the suppliers are for {pct(t.share_now)} of the spend the "
            "council can influence (payments to public bodies left out).")
    if t.met:
        return text + " The figures rest on most of the spend."
    if t.reachable:
        return text + (f" Placing the {len(t.keys):,} largest unplaced suppliers would take "
                       f"it to {pct(t.target)}, and narrow every range above.")
    return text + (f" Placing every named supplier would reach {pct(t.share_if_all)}; "
                   "the rest is redacted or unnamed.")


def actions(data: PackData) -> list[str]:
    """Recommended actions that follow from :func:`findings`."""
    status, tgt, out = data.status[0], data.target, []
    if not tgt.set:
        out.append("Agree a local-share target for the council, so the quarters can be "
                   "judged against it.")
    elif status == trends.RED:
        out.append(f"Agree how to lift the local share to its {pct(tgt.share)} target: "
                   "start with the spend categories the market engagement brief names.")
    elif status in (trends.AMBER, trends.NOT_JUDGED):
        out.append("Place more suppliers to settle whether the local-share target is met: "
                   "the unplaced spend decides it.")
    else:
        out.append(f"Keep the {pct(tgt.share)} local-share target under review.")
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

    noun = data.measures.area.noun.removeprefix("the ")
    st: list = [doc.p(f"{data.council}: where the {noun}'s money goes", "h1"),
                doc.p(f"Executive summary · payments {data.period} · filters in force: "
                      f"{data.measures.filters} · generated {data.generated}", "small")]
    if data.is_demo:
        st.append(doc.p("A synthetic demo borough generated by Impact Explorer: no real "
                        "council, supplier or place is depicted.", "small"))
    st += [Spacer(1, 6), _tiles_table(doc, data), Spacer(1, 8)]
    pics = [Image(io.BytesIO(images[k]), width=5.9 * cm, height=4.6 * cm, kind="proportional")
            for k in ("trend", "areas", "lm3") if k in images]
    if pics:
        st.append(Table([pics], colWidths=[6.1 * cm] * len(pics)))
    st.append(doc.p("Shaded: the range of the local share. " + trends.RAG_RULE + " "
                    + data.measures.area.local_definition, "small"))
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

    rows = [["Figure", "Value", "What it rests on", "Range"]]
    rows += [_fig_row(f) for f in data.headline.values()]
    local = data.measures.local
    st: list = [CondPageBreak(6 * cm), doc.p("Technical appendix", "h1"),
                doc.p("A. Headline figures in full", "h2"),
                doc.p(data.measures.area.local_definition, "small"),
                doc.table(rows, [5.2 * cm, 2.6 * cm, 6.4 * cm, 2.8 * cm]), doc.p(data.pound),
                doc.p("How: " + (local.how or local.missing), "small"),
                *_pdf_ways(doc, data), *_pdf_trend(doc, data), *_pdf_lm3(doc, data)]
    return [*st, *_pdf_coverage(doc, data), *_pdf_sources(doc)]


def _pdf_ways(doc: PdfDocument, data: PackData) -> list:
    """Which way the headline counts local, and the other ways beside it."""
    from reportlab.lib.units import cm

    from impact.analysis.sentences import WAYS_COLUMNS, headline_way, ways_rows

    m = data.measures
    if not m.ways:
        return []
    rows = [list(WAYS_COLUMNS), *[list(r) for r in ways_rows(m)]]
    return [doc.p("Ways of counting local", "h2"), doc.p(headline_way(m), "small"),
            doc.table(rows, [6.2 * cm, 2.6 * cm, 2.8 * cm, 5.4 * cm])]


def _pdf_trend(doc: PdfDocument, data: PackData) -> list:
    from reportlab.lib.units import cm

    if data.trend.empty:
        return []
    rows = [["Quarter", "Payments", "Local share", "Range", "Spend placed", "Status"]]
    status = trends.statuses(data.trend, data.target)
    for r, st in zip(data.trend.itertuples(), status, strict=True):
        rows.append([trends.quarter_words(str(r.period_start)), f"{int(r.payments):,}",
                     pct(r.local_share) if pd.notna(r.local_share) else NOT_ENOUGH_DATA,
                     f"{pct(r.local_share_lower)}–{pct(r.local_share_upper)}",
                     pct(r.placed_share), st.upper() if st in trends.RAG_COLOURS else st])
    target = (f"Target: {data.target.words}." if data.target.set else
              "No target is set: no quarter has a colour against a target.")
    return [doc.p("B. Local share by quarter", "h2"),
            doc.table(rows, [2.9 * cm, 2.1 * cm, 2.6 * cm, 2.9 * cm, 2.5 * cm, 4 * cm]),
            doc.p(f"{target} " + trends.RAG_RULE, "small")]


def _pdf_lm3(doc: PdfDocument, data: PackData) -> list:
    """The local multiplier with its band and method, or why it was not computed."""
    head = doc.p("C. Local multiplier (LM3)", "h2")
    f = data.measures.lm3
    if f is None or f.value is None:
        return [head, doc.p(data.lm3_how or (f.missing if f else ""), "small")]
    r = f.inputs
    first = (f"LM3 = {f.text} (P10–P90 {f.band_text}; {f.range_text} from every unplaced £ "
             "leaving the area to every unplaced £ staying)" if f.shown is not None else
             f"LM3: {NOT_ENOUGH_DATA} (between {f.fmt(f.lower)} and {f.fmt(f.upper)}).")
    return [head, doc.p(first), doc.p(f.rests_on + ".", "small"),
            doc.p(f"Round 1 (spend traced) {money(r['r1'])}; round 2 (received by local "
                  f"suppliers, unplaced £ local like placed £) {money(r['r2'])}; round 3 "
                  f"(re-spent locally by them) {money(r['r3'])}, at the central re-spend "
                  "assumptions.", "small"),
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
        rows.append([r.charter_point, pct(r.share_yes), pct(r.share_no),
                     pct(r.share_unknown), r.test])
    st.append(doc.table(rows, [3.6 * cm, 1.9 * cm, 1.9 * cm, 1.9 * cm, 7.7 * cm]))
    cov = ch.coverage
    st.append(doc.p(
        f"Evidence held for {cov['suppliers_with_attributes']:,} of {cov['suppliers']:,} "
        f"suppliers, covering {pct(cov['share_spend_with_attributes'])} of spend. "
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
    """The workbook's sheets as frames, in the library's names (the workbook is written in
    words: :func:`impact.outputs.exports.sheets_to_xlsx_bytes`)."""
    label = SYNTHETIC_LABEL if data.is_demo else ""
    about = pd.DataFrame({"item": ["Council", "Payments", "Filters in force", "Generated",
                                   "Local means", "Dataset", "Licence"],
                          "value": [data.council, data.period, data.measures.filters,
                                    data.generated, data.measures.area.local_definition,
                                    label or "published spend files", OGL]})
    head = headline_sheet(data.measures).rename(columns={"coverage": "rests_on_share"})
    lm3 = lm3_sheet(data.measures.lm3)
    ch = data.charter
    score_cols = ["supplier", "department", "spend", "share",
                  *[c for k in ("good_jobs", "transparency", "good_business", "local_impact",
                                "carbon", "training", "standards") for c in (k, f"{k}_evidence")],
                  "flags"]
    sheets = {
        "About": about,
        "Headline": head,
        "Ways of counting local": ways_table(data.measures).rename(columns={
            "value": "local_share", "lower_bound": "local_share_lower",
            "upper_bound": "local_share_upper"}),
        "LM3": lm3,
        "Opportunities": data.opportunities.rename(columns={"code": "ward_code",
                                                            "name": "ward"}),
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


def lm3_sheet(f: Figure | None) -> pd.DataFrame:
    """The multiplier's rounds: each £ as shown and as its number, with its unit (so the
    workbook shows each number as £), then the local area; or why there is no multiplier."""
    if f is None or f.value is None:
        return pd.DataFrame({"measure": ["LM3"],
                             "shown": [f.missing if f else "not computed"]})
    pounds = {k: v for k, v in f.inputs.items() if isinstance(v, int | float)}
    rows = [{"measure": labels.column(k), "shown": money(v), "value": v, "unit": GBP}
            for k, v in pounds.items()]
    rows += [{"measure": labels.column(k), "shown": str(v), "value": None, "unit": None}
             for k, v in f.inputs.items() if k not in pounds]
    return pd.DataFrame(rows)


def headline_sheet(m: Measures) -> pd.DataFrame:
    """Every headline figure as the screens show it: the figure (or "not enough data"),
    the number behind it only where it may be stated (each with its unit, so a spreadsheet
    shows £ as £, shares as % and the multiplier as a ratio), its range, what it rests on."""
    return pd.DataFrame([{
        "figure": f.label, "shown": f.text, "value": f.shown, "unit": f.unit,
        "range": f.range_text,
        "lower_bound": f.lower, "upper_bound": f.upper,
        "rests_on": f.rests_on or "every payment",
        "coverage": None if f.coverage is None else f.coverage.share,
        "how_calculated": f.how or f.missing,
    } for f in m.figures().values()])


def xlsx_bytes(data: PackData) -> bytes:
    """The workbook: every cell neutralised (no cell may start a formula)."""
    return sheets_to_xlsx_bytes(xlsx_sheets(data))
