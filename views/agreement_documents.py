"""The agreement as a printable page and as a PDF, for the back office and for the customer's
admins and contact person alike."""

from __future__ import annotations

from flask import make_response, render_template, request

from adminapp.documents import agreement_attachment, agreement_pdf
from adminapp.services.agreement_texts import document_text, signature_rows
from models import Agreement


def document_response(agreement: Agreement):
    """The printable page; `?download=1` saves it as a file."""
    response = make_response(
        render_template(
            "documents/agreement.html",
            agreement=agreement,
            rows=signature_rows(agreement),
            text=document_text(agreement),
        )
    )
    if request.args.get("download"):
        response.headers["Content-Disposition"] = agreement_attachment(agreement, "html")
    return response


def pdf_response(agreement: Agreement):
    """The PDF, to keep or send."""
    response = make_response(agreement_pdf(agreement))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = agreement_attachment(agreement, "pdf")
    return response
