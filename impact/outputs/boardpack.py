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
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from impact.analysis import metrics
from impact.analysis.filters import Filters, apply
from impact.outputs.exports import neutralise
from impact.outputs.pdf import BOUNDARY_ATTRIBUTION, OGL, SOURCES, SYNTHETIC_LABEL, PdfDocument

# Okabe–Ito: left-behind outline; viridis / cividis for sequential values.
LEFT_BEHIND_COLOUR = "#D55E00"


@dataclass
class PackData:
    """Everything the PDF and XLSX show, computed once."""

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


def pack_data(ws: object, filters: Filters | None = None, *, permutations: int = 99,
              lm3_draws: int = 300, attributes: str | os.PathLike[str] | None = None
              ) -> PackData:
    """The pack's figures for a :class:`impact.workspace.Workspace` and filters."""
    from impact.analysis.charter import charter_for_workspace

    f = filters or Filters()
    tx = apply(ws.transactions, f)
    if tx.empty:
        raise ValueError(f"no payments match the filters ({f.describe()})")
    head = metrics.headline(tx, ws.council_lads, ws.region_codes, ws.council_lad_names)
    pound = metrics.pound_sentence(head["local"], head["regional"], head["deprived"],
                                   ws.source.council)
    caveats: list[str] = [metrics.REGISTERED_OFFICE_CAVEAT, metrics.BOUNDS_TEXT]
    wards = _wards_with_spend(ws, tx)
    lm3, lm3_how = _lm3_figures(ws, tx, lm3_draws, caveats)
    opp = _left_behind_figures(ws, wards, permutations, caveats)
    charter = charter_for_workspace(ws, tx, attributes)
    caveats.extend(charter.notes)
    caveats.extend(ws.warnings)
    return PackData(
        council=ws.source.council, is_demo=ws.is_demo, filters=f,
        generated=dt.date.today().isoformat(), headline=head, pound=pound, wards=wards,
        lm3=lm3, lm3_how=lm3_how, opportunities=opp, charter=charter,
        coverage=_coverage_figures(ws, tx, head, charter),
        caveats=[c for c in dict.fromkeys(caveats) if c], period=metrics.period_text(tx),
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


def _map_png(wards: object, column: str, title: str, cmap: str, legend_title: str,
             outline: str | None = None, money: bool = False) -> bytes:
    """A ward choropleth as PNG bytes: quantile classes, a legend, no-data in grey."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    fig, ax = plt.subplots(figsize=(6.2, 5.0), dpi=150)
    vals = pd.to_numeric(wards[column], errors="coerce") if column in wards else pd.Series(
        np.nan, index=wards.index)
    handles = []
    known = vals.notna()
    if known.any():
        edges = np.unique(np.nanquantile(vals[known], np.linspace(0, 1, 6)))
        if len(edges) < 2:
            edges = np.array([vals[known].min(), vals[known].max() + 1e-9])
        cls = np.clip(np.searchsorted(edges, vals[known], side="right") - 1, 0,
                      len(edges) - 2)
        colours = matplotlib.colormaps[cmap](np.linspace(0.05, 0.95, len(edges) - 1))
        wards[known].plot(ax=ax, color=colours[cls], edgecolor="white", linewidth=0.4)
        for i in range(len(edges) - 1):
            lo, hi = edges[i], edges[i + 1]
            label = (f"£{lo:,.0f} – £{hi:,.0f}" if money else f"{lo:,.0f} – {hi:,.0f}")
            handles.append(Patch(facecolor=colours[i], edgecolor="#777", label=label))
    if (~known).any():
        wards[~known].plot(ax=ax, color="#d9d9d9", edgecolor="white", linewidth=0.4)
        handles.append(Patch(facecolor="#d9d9d9", edgecolor="#777", label="no data"))
    if outline and outline in wards:
        lb = wards[wards[outline].fillna(False).astype(bool)]
        if len(lb):
            lb.boundary.plot(ax=ax, color=LEFT_BEHIND_COLOUR, linewidth=2.2)
            handles.append(Patch(facecolor="none", edgecolor=LEFT_BEHIND_COLOUR, linewidth=2,
                                 label="left behind"))
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=11)
    ax.legend(handles=handles, title=legend_title, loc="upper left",
              bbox_to_anchor=(1.0, 1.0), fontsize=7, title_fontsize=8, frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def map_images(data: PackData) -> dict[str, bytes]:
    """The spend map and the left-behind map as PNG bytes (empty when no ward boundaries)."""
    w = data.wards
    if w is None or not len(w):
        return {}
    return {
        "spend": _map_png(w, "spend_per_resident", "Spend with suppliers based in each ward",
                          "viridis_r", "£ per resident", money=True),
        "left_behind": _map_png(w, "opportunity_score", "Opportunity and left-behind wards",
                                "cividis_r", "Opportunity score (0–100)", outline="left_behind"),
    }


# ------------------------------------------------------------------------------- PDF


def _fig_row(fig: metrics.Figure) -> list[str]:
    cov = metrics.pct(fig.coverage) if fig.coverage is not None else "all"
    rng = fig.bounds_text or "—"
    return [fig.label, fig.text, cov, rng]


def pdf_bytes(data: PackData, images: dict[str, bytes] | None = None) -> bytes:
    """The board pack PDF: headline and LM3, maps, then opportunities, charter, coverage,
    caveats and sources."""
    from reportlab.platypus import PageBreak

    images = map_images(data) if images is None else images
    doc = PdfDocument(f"{data.council}: local economic impact",
                      f"board pack, {data.generated}", data.is_demo)
    return doc.build([
        *_pdf_headline(doc, data), *_pdf_lm3(doc, data), PageBreak(),
        *_pdf_maps(doc, images), PageBreak(),
        *_pdf_opportunities(doc, data.opportunities), *_pdf_charter(doc, data.charter),
        *_pdf_coverage(doc, data), *_pdf_sources(doc),
    ])


def _pdf_headline(doc: PdfDocument, data: PackData) -> list:
    """Title, period and filters, then the headline figures with coverage and bounds."""
    from reportlab.lib.units import cm
    from reportlab.platypus import Spacer

    h = data.headline
    st: list = [
        doc.p(f"{data.council}: where the council's money goes", "h1"),
        doc.p(f"Board pack · payments {data.period} · filters in force: "
              f"{data.filters.describe()} · generated {data.generated}", "small"),
    ]
    if data.is_demo:
        st.append(doc.p("This pack describes a synthetic demo borough generated by Impact "
                        "Explorer. No real council, supplier or place is depicted.", "body"))
    st += [Spacer(1, 6), doc.p("Headline figures", "h2")]
    rows = [["Figure", "Value", "Coverage (share of £ usable)", "Range (bounds)"]]
    rows += [_fig_row(h[k]) for k in ("total", "local", "regional", "deprived", "sme", "vcse")]
    st.append(doc.table(rows, [6.2 * cm, 3 * cm, 4 * cm, 3.8 * cm]))
    st += [Spacer(1, 6), doc.p(data.pound), Spacer(1, 4)]
    st.append(doc.p("How: " + h["local"].how, "small"))
    return st


def _pdf_lm3(doc: PdfDocument, data: PackData) -> list:
    """The local multiplier with its band, or why it was not computed."""
    if not data.lm3:
        return [doc.p(data.lm3_how, "small")]
    m = data.lm3
    return [doc.p("Local multiplier (LM3)", "h2"),
            doc.p(f"LM3 = {m['lm3']:.2f} (band {m['lm3_lower']:.2f}–{m['lm3_upper']:.2f}; "
                  f"P10–P90 {m['lm3_p10']:.2f}–{m['lm3_p90']:.2f})", "big"),
            doc.p(f"Every £1 of influenceable spend traced (R1 {metrics.money(m['r1'])}) "
                  f"generated about £{m['lm3']:.2f} for the local economy: "
                  f"{metrics.money(m['r2'])} was received by local suppliers (round 2) and "
                  f"{metrics.money(m['r3'])} re-spent locally by them (round 3). "
                  f"Shown: {m['shown']}."),
            doc.p(data.lm3_how.replace("\n", " "), "small")]


def _pdf_maps(doc: PdfDocument, images: dict[str, bytes]) -> list:
    """The spend and left-behind maps with captions and the boundary attribution."""
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, KeepTogether, Spacer

    st: list = [doc.p("Maps", "h2")]
    for key, caption in (("spend", "Spend with suppliers based in each ward, per resident "
                          "(viridis; darker = more £). Suppliers are placed at their "
                          "register postcode."),
                         ("left_behind", "Opportunity score by ward (cividis; darker = higher "
                          "score) with left-behind wards outlined in orange.")):
        if key in images:
            img = Image(io.BytesIO(images[key]), width=15 * cm, height=10.2 * cm,
                        kind="proportional")
            st.append(KeepTogether([img, doc.p(caption, "small"), Spacer(1, 6)]))
    if not images:
        st.append(doc.p("No ward boundaries for this council: maps omitted.", "small"))
    st.append(doc.p(BOUNDARY_ATTRIBUTION, "small"))
    return st


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

    st: list = [doc.p("Data coverage", "h2"),
                doc.table([["Measure", "Value"], *[[k, v] for k, v in data.coverage.items()]],
                          [10 * cm, 7 * cm]),
                doc.p("Caveats", "h2")]
    st += [doc.p("• " + c, "small") for c in data.caveats[:14]]
    return st


def _pdf_sources(doc: PdfDocument) -> list:
    """Sources and the Open Government Licence attributions."""
    from reportlab.platypus import Spacer

    st: list = [doc.p("Sources and attributions", "h2")]
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
