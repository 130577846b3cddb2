"""Documents to download: a customer's agreement as a PDF, with the same content as its
printable page (the text signed, then the signature and the provider's evidence).

The fonts are embedded (DejaVu Serif, shipped in `adminapp/fonts/`): PDF's built-in fonts
know only Latin-1, and a signatory's name may be in any alphabet.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from models import Agreement

from .services.agreement_texts import document_text, signature_rows

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVuSerif"
TEXT_SIZE = 10.5
LINE = 5.2  # mm per line of body text
WARNING_RED = (170, 0, 0)


class _Document(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4", unit="mm")
        self.footer_text = footer_text
        self.add_font(FAMILY, "", FONTS / "DejaVuSerif.ttf")
        self.add_font(FAMILY, "B", FONTS / "DejaVuSerif-Bold.ttf")
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(auto=True, margin=20)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FAMILY, size=8)
        self.set_text_color(90, 90, 90)
        page = _("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}")
        self.cell(0, 5, f"{self.footer_text} · {page}", align="C")
        self.set_text_color(0, 0, 0)


def agreement_attachment(agreement: Agreement, extension: str) -> str:
    """The Content-Disposition of the agreement saved as a file."""
    name = f"agreement-{agreement.customer.org_number}-{agreement.id}.{extension}"
    return f'attachment; filename="{name}"'


def agreement_pdf(agreement: Agreement) -> bytes:
    """The agreement as an A4 PDF."""
    title = _("Customer agreement of %(name)s", name=agreement.customer.name)
    pdf = _Document(footer_text=title)
    pdf.set_title(title)
    pdf.set_creator("Kundportal")
    pdf.add_page()

    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    if not agreement.is_signed:
        pdf.set_text_color(*WARNING_RED)
        pdf.set_draw_color(*WARNING_RED)
        pdf.set_font(FAMILY, "B", TEXT_SIZE)
        pdf.multi_cell(
            0,
            LINE,
            _(
                "Not signed yet: this is the text awaiting the signature of %(name)s.",
                name=agreement.signatory_name,
            ),
            border=1,
            padding=2,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_text_color(0, 0, 0)
        pdf.set_draw_color(0, 0, 0)
        pdf.ln(4)

    text = document_text(agreement)
    if text:
        pdf.set_font(FAMILY, size=TEXT_SIZE)
        pdf.multi_cell(
            0,
            LINE,
            text.rstrip("\n"),
            border=1,
            padding=3,
            align="L",  # as the signatory read it: lines broken, not stretched
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    rows = signature_rows(agreement)
    if rows:
        pdf.ln(6)
        pdf.set_font(FAMILY, "B", 13)
        pdf.cell(0, 8, _("Signature"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, size=9.5)
        # Wrapping by character: a SHA-256 or an order reference has no spaces to break at.
        with pdf.table(
            width=pdf.epw,
            col_widths=(52, 118),
            first_row_as_headings=False,
            wrapmode=WrapMode.CHAR,
            borders_layout="HORIZONTAL_LINES",
            line_height=5,
            padding=1.2,
        ) as table:
            for label, value in rows:
                row = table.row()
                pdf.set_font(FAMILY, "B", 9.5)
                row.cell(label)
                pdf.set_font(FAMILY, size=9.5)
                row.cell(value or "–")
    return bytes(pdf.output())
