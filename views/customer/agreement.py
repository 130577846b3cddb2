"""Portal: the customer's agreement, for its admins and its contact person to read, print
and keep as a PDF. Nothing here changes anything."""

from __future__ import annotations

from flask import abort
from flask_admin import BaseView, expose
from flask_login import current_user
from sqlalchemy import select

from models import Agreement, RoleName, db

from ..agreement_documents import document_response, pdf_response
from ..base import CustomerAccess


class PortalAgreementView(CustomerAccess, BaseView):
    required_roles = frozenset({RoleName.ADMIN, RoleName.CONTACT})

    def _agreements(self) -> list[Agreement]:
        return list(
            db.session.scalars(
                select(Agreement)
                .where(Agreement.customer_id == current_user.customer_id)
                .order_by(Agreement.created_at.desc(), Agreement.id.desc())
            )
        )

    def _agreement(self, agreement_id: int) -> Agreement:
        """The customer's own agreement `agreement_id`: another customer's is not found."""
        agreement = db.session.get(Agreement, agreement_id)
        if agreement is None or agreement.customer_id != current_user.customer_id:
            abort(404)
        return agreement

    @expose("/")
    def index(self):
        return self.render("portal/agreement.html", agreements=self._agreements())

    @expose("/<int:agreement_id>/document")
    def document(self, agreement_id: int):
        return document_response(self._agreement(agreement_id))

    @expose("/<int:agreement_id>/pdf")
    def pdf(self, agreement_id: int):
        return pdf_response(self._agreement(agreement_id))
