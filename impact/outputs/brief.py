"""The market engagement brief: the council's local social value priorities for bidders.

Bidders write better social value offers when they know *where* help is needed, *what*
those places lack and *how* offers will be judged.  This brief is built from the same
left-behind and opportunity analysis as the board pack (:mod:`impact.outputs.boardpack`),
in plain words: priority areas and the Indices of Deprivation domains where they fall
furthest behind, spend categories where little goes to local suppliers, and the supplier
charter (:mod:`impact.analysis.charter`).  All wording a council may want to change is in
:data:`DEFAULT_TEXT` (``string.Template`` placeholders ``$council``, ``$period``,
``$weight``, ``$branding``) and can be overridden per call.  Output: Markdown (pastes into
a Word document) and a PDF in the board pack's house style (:mod:`impact.outputs.pdf`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from string import Template

import pandas as pd

from impact.analysis import metrics
from impact.analysis.charter import POINT_TESTS, POINTS
from impact.analysis.measures import NOT_ENOUGH_DATA, money, pct
from impact.outputs import charts
from impact.outputs.boardpack import OPPORTUNITY, PackData, pack_filename
from impact.outputs.pdf import OGL, SOURCES, SYNTHETIC_LABEL, PdfDocument

#: IoD domains in plain words: what a place lacks when it ranks low on the domain.
DOMAIN_WORDS: dict[str, str] = {
    "income": "low household incomes",
    "employment": "people out of work or unable to work",
    "education": "low skills, qualifications and training",
    "health": "poor health and disability",
    "crime": "high levels of crime",
    "housing": "barriers to housing and local services",
    "environment": "poor quality homes and surroundings",
}

PRIORITY_HEAD = "Priority areas and what they lack"

DEFAULT_TEXT: dict[str, str] = {
    "title": "$council: local social value priorities",
    "intro": (
        "$council wants more of its spending to benefit the people and places that need it "
        "most. This brief tells bidders where that need is greatest, what those places lack "
        "and how social value offers will be judged. It is based on the council's published "
        "spend for $period, the English Indices of Deprivation 2025 and the council's "
        "supplier charter."
    ),
    "areas_intro": (
        "These wards combine high need with little of the council's spending reaching "
        "suppliers based there. Offers that create jobs, training or supply-chain "
        "opportunities for their residents will score well."
    ),
    "areas_intro_need": (
        "These wards have the greatest need and few suppliers nearby. (Too little of the "
        "council's spend is yet traced to a ward to say how much of it reaches them.) Offers "
        "that create jobs, training or supply-chain opportunities for their residents will "
        "score well."
    ),
    "gaps_intro": (
        "In these spend categories little of the council's money goes to suppliers based "
        "in its area. Offers that subcontract to, or build the capacity of, local "
        "businesses and voluntary organisations in these categories are welcome."
    ),
    "charter_intro": "The council expects its suppliers to work towards its charter:",
    "judging": (
        "Social value will carry $weight % of the quality score. Offers are judged on what "
        "is specific, measurable and delivered locally: commitments tied to the priority "
        "areas and charter points above, with numbers and dates, score higher than general "
        "statements. Commitments become contract terms and are monitored at contract "
        "reviews; delivery is reported back to the council's members."
    ),
    "branding": "$branding",
}


@dataclass
class Brief:
    """The brief as Markdown and as sections for the PDF."""

    title: str
    markdown: str
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    synthetic: bool = False
    council: str = ""
    priority_areas: pd.DataFrame = field(default_factory=pd.DataFrame)
    gaps: pd.DataFrame = field(default_factory=pd.DataFrame)
    generated: str = ""
    #: The priority wards on a map (PNG), shown under their section in the PDF.
    map_png: bytes | None = None

    @property
    def filename(self) -> str:
        """``<council-slug>-market-brief-<YYYY-MM-DD>.pdf``."""
        return pack_filename(self.council, self.generated, "market-brief")


def lacks(ward: pd.Series, n: int = 2) -> list[str]:
    """The ``n`` IoD domains in which a ward ranks most deprived, in plain words."""
    ranks = {d: pd.to_numeric(ward.get(f"{d}_rank"), errors="coerce") for d in DOMAIN_WORDS}
    ranks = {d: r for d, r in ranks.items() if pd.notna(r)}
    return [DOMAIN_WORDS[d] for d in sorted(ranks, key=ranks.get)[:n]]


def local_gaps(tx: pd.DataFrame, by: str = "expense_type", n: int = 5,
               min_share: float = 0.01) -> pd.DataFrame:
    """Spend categories (≥ ``min_share`` of spend) with the lowest local share of placed £."""
    if by not in tx or tx[by].isna().all():
        by = "service_area" if "service_area" in tx and tx["service_area"].notna().any() \
            else "directorate"
    if "supplier_class" in tx:  # public bodies (recharges, precepts) are not a market
        tx = tx[tx["supplier_class"].ne("public_body").fillna(True).to_numpy()]
    g = metrics.local_share_by(tx, by=by)
    total = g["spend"].sum()
    g = g[(g["spend"] >= min_share * total) & g["enough"]]
    g = g.sort_values(["local_share", "spend"], ascending=[True, False]).head(n)
    return g.rename(columns={by: "category"}).reset_index(drop=True)


def market_brief(
    data: PackData,
    tx: pd.DataFrame,
    *,
    text: dict[str, str] | None = None,
    branding: str = "",
    social_value_weight: float = 20,
    n_areas: int = 5,
    n_categories: int = 5,
) -> Brief:
    """The brief from the board pack's figures and the filtered payments ``tx``;
    ``text`` overrides any of :data:`DEFAULT_TEXT`."""
    words = {**DEFAULT_TEXT, **(text or {})}
    values = {"council": data.council, "period": data.period,
              "weight": f"{social_value_weight:g}", "branding": branding}

    def t(key: str) -> str:
        return Template(words[key]).safe_substitute(values)

    areas = priority_areas(data, n_areas)
    gaps = local_gaps(tx, n=n_categories)
    sections = _sections(t, data.is_demo, areas, gaps, data.measures.ward.enough)
    title = t("title")
    md = _markdown(title, sections, t("branding") if branding else None)
    return Brief(title=title, markdown=md, sections=sections, synthetic=data.is_demo,
                 council=data.council, priority_areas=areas, gaps=gaps,
                 generated=data.generated, map_png=priority_map(data, areas))


def priority_map(data: PackData, areas: pd.DataFrame) -> bytes | None:
    """The wards by opportunity score with the priority wards outlined and every ward
    named (None without ward boundaries or priority areas)."""
    w = data.wards
    if w is None or not len(w) or not len(areas) or OPPORTUNITY.column not in w:
        return None
    w = w.assign(priority=w["name"].isin(set(areas["ward"])))
    return charts.map_png(w, OPPORTUNITY, "Priority wards (outlined)", outline="priority",
                          outline_label="priority ward")


def priority_areas(data: PackData, n: int = 5) -> pd.DataFrame:
    """The pack's top ``n`` opportunities with population and what each ward lacks."""
    w = data.wards
    wards = (w.drop(columns="geometry", errors="ignore").set_index("code")
             if w is not None and len(w) else pd.DataFrame())
    rows = []
    for r in data.opportunities.head(n).itertuples():
        w = wards.loc[r.code] if r.code in wards.index else pd.Series(dtype=object)
        pop = pd.to_numeric(w.get("population"), errors="coerce")
        rows.append({"ward": r.name, "score": round(float(r.score)),
                     "population": None if pd.isna(pop) else int(pop),
                     "lacks": ", ".join(lacks(w)) or "deprivation domains not available",
                     "left_behind": bool(r.left_behind is True)})
    return pd.DataFrame(rows)


def _sections(t: Callable[[str], str], synthetic: bool, areas: pd.DataFrame,
              gaps: pd.DataFrame, reach_known: bool = True) -> list[tuple[str, list[str]]]:
    """``(heading, paragraphs)`` in order; ``t`` fills a :data:`DEFAULT_TEXT` wording."""
    sections: list[tuple[str, list[str]]] = [("", [t("intro")])]
    if synthetic:
        sections[0][1].insert(0, SYNTHETIC_LABEL + ".")
    if len(areas):
        items = [t("areas_intro" if reach_known else "areas_intro_need")] + [
            f"**{a.ward}**{' (left behind)' if a.left_behind else ''}: "
            f"{a.lacks}" + (f"; {a.population:,} residents" if a.population else "") + "."
            for a in areas.itertuples()]
        sections.append((PRIORITY_HEAD, items))
    if len(gaps):
        items = [t("gaps_intro")] + [gap_text(g) for g in gaps.itertuples()]
        sections.append(("Where local suppliers are missing", items))
    sections.append(("The supplier charter", [t("charter_intro")] + [
        f"**{POINTS[k]}**: {POINT_TESTS[k]}." for k in POINTS]))
    sections.append(("How bids will be judged", [t("judging")]))
    notes = [f"{a}: {b}." for a, b in SOURCES[:4]] + [OGL]
    if synthetic:
        notes.insert(0, SYNTHETIC_LABEL + ".")
    sections.append(("Sources", notes))
    return sections


def gap_text(g) -> str:
    """One category: £, local share of the placed part with what it rests on, or "not
    enough data" when too little of it is placed."""
    head = f"**{g.category}**: {money(g.spend)} spent"
    if not bool(g.enough):
        return (f"{head}; {NOT_ENOUGH_DATA} on local suppliers (we could place only "
                f"{pct(g.coverage)} of it).")
    return (f"{head}; {pct(g.local_share)} of the part we could place "
            f"({pct(g.coverage)} of it) went to suppliers based in the council's area.")


def _is_bullet(head: str, i: int) -> bool:
    """Paragraphs after a section's first are bullets (except the judging text)."""
    return bool(head) and i > 0 and head != "How bids will be judged"


def _markdown(title: str, sections: list[tuple[str, list[str]]],
              branding: str | None) -> str:
    md = [f"# {_md(title)}", ""]
    if branding is not None:
        md += [f"*{_md(branding)}*", ""]
    for head, paras in sections:
        if head:
            md += [f"## {head}", ""]
        for i, p in enumerate(paras):
            md.append(("- " if _is_bullet(head, i) else "") + _md(p, keep_bold=True))
            md.append("")
        md.append("")
    return "\n".join(md).replace("\n\n\n", "\n\n")


def _md(text: str, keep_bold: bool = False) -> str:
    """Inert Markdown: names from files cannot add links, images or HTML."""
    out = (str(text).replace("\\", "\\\\").replace("<", "&lt;").replace("[", "\\[")
           .replace("]", "\\]").replace("`", "\\`"))
    return out if keep_bold else out.replace("*", "\\*")


def brief_pdf(brief: Brief, branding: str = "") -> bytes:
    """The brief as a PDF (the board pack's page furniture and fonts)."""
    import io
    import re
    from xml.sax.saxutils import escape

    from reportlab.lib.units import cm
    from reportlab.platypus import Image

    doc = PdfDocument(brief.title, "market engagement brief", brief.synthetic)
    story = [doc.p(brief.title, "h1")]
    if branding:
        story.append(doc.p(branding, "small"))

    def rich(s: str) -> str:  # **bold** → <b>, everything else escaped
        return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escape(s))

    for head, paras in brief.sections:
        if head:
            story.append(doc.p(head, "h2"))
        if head == PRIORITY_HEAD and brief.map_png:
            story.append(Image(io.BytesIO(brief.map_png), width=16 * cm, height=8.6 * cm,
                               kind="proportional"))
        for i, p in enumerate(paras):
            story.append(doc.p(("• " if _is_bullet(head, i) else "") + rich(p),
                               "small" if head == "Sources" else "body", raw=True))
    return doc.build(story)
