"""PDF building blocks shared by the board pack and the market brief.

One A4 house style (reportlab): a Unicode font for names from files, paragraph and table
styles, a header and footer on every page, and the synthetic demo's label on every page of
a demo document.  Also the attributions and sources both documents print.

Text from files (supplier and ward names) is XML-escaped before it reaches reportlab's
paragraph markup unless the caller says it is already markup (``raw=True``).
"""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

OGL = "Contains public sector information licensed under the Open Government Licence v3.0."
BOUNDARY_ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right 2025."
)
SOURCES = (
    ("Council spend over £500", "the council's published transparency spend files"),
    ("Indices of Deprivation 2025 and 2019", "Ministry of Housing, Communities and Local "
     "Government (OGL v3.0)"),
    ("Ward, LSOA and district boundaries and lookups", "Office for National Statistics "
     "Open Geography Portal (OGL v3.0); contains OS data © Crown copyright and database right"),
    ("Census 2021 population", "Office for National Statistics (OGL v3.0)"),
    ("Postcode locations", "ONS National Statistics Postcode Lookup (OGL v3.0); contains "
     "Royal Mail data © Royal Mail copyright and database right"),
    ("Company status", "Companies House (OGL v3.0), where a reference register carries it"),
    ("Re-spend priors", "nef (New Economics Foundation), The Money Trail (2002) and "
     "Northumberland LM3 study (2005)"),
)
SYNTHETIC_LABEL = "SYNTHETIC DEMO — no real council, supplier or place is depicted"


def fonts() -> tuple[str, str]:
    """``(regular, bold)``: a Unicode TrueType font (DejaVu, shipped with matplotlib) for
    names from files, else reportlab's standard fonts (Latin-1 only)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVu" in pdfmetrics.getRegisteredFontNames():
        return "DejaVu", "DejaVu-Bold"
    import matplotlib

    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    try:
        pdfmetrics.registerFont(TTFont("DejaVu", str(ttf / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(ttf / "DejaVuSans-Bold.ttf")))
    except Exception:  # no TTF available: the standard fonts (Latin-1 only)
        return "Helvetica", "Helvetica-Bold"
    return "DejaVu", "DejaVu-Bold"


class PdfDocument:
    """An A4 document in the house style: make paragraphs and tables, then :meth:`build`."""

    def __init__(self, title: str, subtitle: str, synthetic: bool) -> None:
        from reportlab.lib import colors
        from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet

        self.font, self.bold = fonts()
        ss = getSampleStyleSheet()
        base = ParagraphStyle("b", parent=ss["BodyText"], fontName=self.font, fontSize=9.5,
                              leading=12.5)
        self.s = {
            "body": base,
            "small": ParagraphStyle("s", parent=base, fontSize=7.5, leading=9.5,
                                    textColor=colors.HexColor("#333333")),
            "h1": ParagraphStyle("h1", parent=base, fontName=self.bold, fontSize=17,
                                 leading=21, spaceAfter=4),
            "h2": ParagraphStyle("h2", parent=base, fontName=self.bold, fontSize=12.5,
                                 leading=16, spaceBefore=8, spaceAfter=4,
                                 textColor=colors.HexColor("#1f3b57")),
            "cell": ParagraphStyle("c", parent=base, fontSize=8, leading=10),
            "cellb": ParagraphStyle("cb", parent=base, fontName=self.bold, fontSize=8,
                                    leading=10),
            "big": ParagraphStyle("big", parent=base, fontName=self.bold, fontSize=15,
                                  leading=18),
        }
        self.title, self.subtitle, self.synthetic = title, subtitle, synthetic

    def p(self, text: str, style: str = "body", raw: bool = False):
        """A paragraph; ``text`` is escaped unless ``raw`` (already reportlab markup)."""
        from reportlab.platypus import Paragraph

        return Paragraph(text if raw else escape(str(text)), self.s[style])

    def table(self, rows: list[list[object]], widths: list[float], header: bool = True):
        """A gridded table; string cells become paragraphs (bold in the header row)."""
        from reportlab.lib import colors
        from reportlab.platypus import Table, TableStyle

        cells = [[c if not isinstance(c, str) else self.p(c, "cellb" if header and i == 0
                                                           else "cell")
                  for c in r] for i, r in enumerate(rows)]
        t = Table(cells, colWidths=widths, repeatRows=1 if header else 0)
        style = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")))
        t.setStyle(TableStyle(style))
        return t

    def _page(self, canvas, doc) -> None:
        from reportlab.lib import colors
        from reportlab.lib.pagesizes import A4

        w, h = A4
        canvas.saveState()
        canvas.setFont(self.font, 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(40, h - 28, f"{self.title} — {self.subtitle}")
        canvas.drawRightString(w - 40, 22, f"Page {doc.page}")
        canvas.drawString(40, 22, "Impact Explorer · public data under the Open Government "
                          "Licence v3.0 (see Sources)")
        if self.synthetic:
            canvas.setFillColor(colors.HexColor("#b00020"))
            canvas.setFont(self.bold, 9)
            canvas.drawCentredString(w / 2, h - 42, SYNTHETIC_LABEL)
            canvas.drawCentredString(w / 2, 34, SYNTHETIC_LABEL)
        canvas.restoreState()

    def build(self, story: list) -> bytes:
        """The PDF of ``story`` (reportlab flowables) with the page furniture."""
        from reportlab.lib.pagesizes import A4
        from reportlab.platypus import SimpleDocTemplate

        buf = io.BytesIO()
        doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=40, rightMargin=40,
                                topMargin=54, bottomMargin=50, title=self.title,
                                author="Impact Explorer", subject=self.subtitle)
        doc.build(story, onFirstPage=self._page, onLaterPages=self._page)
        return buf.getvalue()
