"""Back office: customer applications (approve, reject), agreements and agreement texts."""

from __future__ import annotations

from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from flask_admin.model.fields import AjaxSelectField
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from adminapp.i18n import LANGUAGE_NAMES
from adminapp.providers.personal_number import mask_personal_number
from adminapp.services.agreement_texts import (
    add_text_version,
    document,
    evidence_summary,
    signed_text_verifies,
)
from adminapp.services.agreements import record_paper_agreement, resend_signing_link
from adminapp.services.onboarding import (
    CONTACT_FIELDS,
    ORGANISATION_FIELDS,
    approve_application,
    reject_application,
    update_application,
)
from adminapp.validation import format_org_number
from models import Agreement

from ..agreement_documents import document_response, pdf_response
from ..base import StaffModelView
from .customers import CustomerSelect, customer_ajax_loader


def _org_number(view, context, model, name):
    return format_org_number(model.country, model.org_number)


def _masked(view, context, model, name):
    value = getattr(model, name)
    return mask_personal_number(value) if value else ""


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("Emailed to the administrator contact of each application."),
        render_kw={"rows": 5},
    )


class CustomerApplicationView(StaffModelView):
    """Applications for customership; approve or reject them, one or several at once."""

    can_create = False
    can_delete = False
    details_template = "staff/application_details.html"
    column_list = ("created_at", "name", "org_number", "country", "admin_name", "status")
    column_labels = {
        "created_at": _l("Received"),
        "name": _l("Organisation"),
        "org_number": _l("Organisation number"),
        "postal_code": _l("Postal code"),
        "address_line": _l("Postal address"),
        "invoice_reference": _l("Invoice reference"),
        "admin_name": _l("Administrator"),
        "admin_email": _l("Administrator's email"),
        "admin_phone": _l("Administrator's phone"),
        "signatory_name": _l("Signatory"),
        "signatory_email": _l("Signatory's email"),
        "signatory_phone": _l("Signatory's phone"),
        "signatory_personal_number": _l("Signatory's personal number"),
        "contract_name": _l("Contract contact"),
        "contract_email": _l("Contract contact's email"),
        "contract_phone": _l("Contract contact's phone"),
        "applicant_email": _l("Applicant's email"),
        "decided_at": _l("Decided"),
        "decided_by": _l("Decided by"),
        "rejection_reason": _l("Reason for rejection"),
    }
    column_searchable_list = ("name", "org_number")
    column_filters = ("status", "country", "created_at")
    column_sortable_list = ("created_at", "name")
    column_default_sort = ("created_at", True)
    column_formatters = {
        "org_number": _org_number,
        "signatory_personal_number": _masked,
    }
    # Contacts in the order admin, signatory, contract contact, each name/email/phone.
    column_details_list = (
        "status",
        "created_at",
        *ORGANISATION_FIELDS,
        *CONTACT_FIELDS,
        "signatory_personal_number",
        "applicant_email",
        "decided_at",
        "decided_by",
        "rejection_reason",
        "customer",
    )
    column_export_list = (
        "created_at",
        "status",
        "name",
        "country",
        "org_number",
        "admin_name",
        "admin_email",
        "decided_at",
    )
    # Staff may correct a submitted application (say, an administrator email already in use).
    # The personal number stays out of the form: it is shown masked only.
    form_columns = (*ORGANISATION_FIELDS, *CONTACT_FIELDS, "applicant_email")

    def update_with(self, form, model, actor):
        # The service checks every field (each wrong one gets its message on the form) and
        # records the change with personal numbers scrubbed.
        values = self.form_values(form)
        values["country"] = str(values["country"] or "")
        update_application(model, actor=actor, **values)

    @action(
        "approve",
        _l("Approve"),
        _l(
            "Approve the selected applications? Each creates a customer and emails its "
            "administrator, signatory and contract contact."
        ),
    )
    def action_approve(self, ids):
        self.run_action(
            ids,
            approve_application,
            done_message=lambda n: ngettext(
                "%(num)d application approved: the customer is created and the emails are sent.",
                "%(num)d applications approved: the customers are created and the emails are sent.",
                n,
            ),
        )

    @action("reject", _l("Reject…"))
    def action_reject(self, ids):
        numbers = ",".join(i for i in ids if str(i).isdigit())
        return redirect(self.get_url(".reject_view", ids=numbers, url=get_redirect_target()))

    @expose("/reject/", methods=("GET", "POST"))
    def reject_view(self):
        """Ask for the reason, then reject every chosen application with it."""
        return_url = get_redirect_target() or self.get_url(".index_view")
        ids = [i for i in request.values.get("ids", "").split(",") if i.isdigit()]
        applications = self.get_action_query(ids).all()
        if not applications:
            flash(_("Choose the applications to reject."), "warning")
            return redirect(return_url)
        form = RejectForm()
        if form.validate_on_submit():
            reason = form.reason.data

            def reject(application, *, actor):
                reject_application(application, reason=reason, actor=actor)

            self.run_action(
                ids,
                reject,
                done_message=lambda n: ngettext(
                    "%(num)d application rejected; the administrator contact is emailed.",
                    "%(num)d applications rejected; the administrator contacts are emailed.",
                    n,
                ),
            )
            return redirect(return_url)
        return self.render(
            "staff/application_reject.html",
            form=form,
            applications=applications,
            ids=",".join(ids),
            return_url=return_url,
        )


def paper_agreement_form(customer_loader) -> type[FlaskForm]:
    """The form that records an agreement signed on paper; customers are looked up by ajax."""

    class PaperAgreementForm(FlaskForm):
        customer = AjaxSelectField(
            customer_loader, _l("Customer"), validators=[DataRequired()], widget=CustomerSelect()
        )
        signed_by = StringField(
            _l("Signed by"),
            validators=[DataRequired(), Length(max=200)],
            description=_l("The name of who signed for the customer."),
        )
        signed_on = DateField(_l("Signed on"), validators=[InputRequired()])
        # No description: Flask-Admin's form template reads `widget.input_type`, which a
        # textarea lacks (an error under the tests' StrictUndefined); the page says what the
        # note is for.
        paper_note = TextAreaField(_l("Note"), validators=[Length(max=2000)])

    return PaperAgreementForm


class AgreementView(StaffModelView):
    """Every customer's agreement: awaiting signature, or signed (and then read-only).

    "Create" records an agreement an existing customer signed on paper.
    """

    can_edit = False
    can_delete = False
    create_template = "staff/agreement_paper.html"
    details_template = "staff/agreement_details.html"
    column_list = ("customer", "status", "text", "method", "signer_name", "signed_at")
    column_labels = {
        "text": _l("Text version"),
        "signatory_name": _l("Signatory"),
        "signatory_email": _l("Signatory's email"),
        "signatory_phone": _l("Signatory's phone"),
        "created_at": _l("Created"),
        "signer_name": _l("Signed by"),
        "signed_at": _l("Signed"),
        "signer_personal_number": _l("Signer's personal number"),
        "signatory_personal_number": _l("Signatory's personal number"),
        "signed_text_sha256": _l("SHA-256 of the signed text"),
        "recorded_by": _l("Recorded by"),
        "paper_note": _l("Note"),
    }
    column_filters = ("status", "method", "customer.name", "signed_at")
    column_sortable_list = ("signed_at",)
    column_default_sort = ("id", True)
    column_formatters = {
        "signer_personal_number": _masked,
        "signatory_personal_number": _masked,
        "text": lambda v, c, m, n: f"v{m.text.version}" if m.text else _("paper"),
    }
    column_details_list = (
        "customer",
        "status",
        "text",
        "application",
        "signatory_name",
        "signatory_email",
        "signatory_phone",
        "signatory_personal_number",
        "method",
        "signer_name",
        "signer_personal_number",
        "signed_at",
        "signed_text_sha256",
        "recorded_by",
        "paper_note",
        "created_at",
    )
    column_export_list = ("customer", "status", "text", "method", "signer_name", "signed_at")
    list_loader_options = (selectinload(Agreement.customer), selectinload(Agreement.text))
    form_ajax_refs = {"customer": customer_ajax_loader()}

    def get_create_form(self):
        return paper_agreement_form(self._form_ajax_refs["customer"])

    def create_with(self, form, actor):
        return record_paper_agreement(
            form.customer.data,
            signed_by=form.signed_by.data,
            signed_on=form.signed_on.data,
            note=form.paper_note.data,
            actor=actor,
        )

    def saved_message(self, model, operation):
        if operation == "create":
            return _("The agreement of %(name)s is recorded as signed.", name=model.customer.name)
        return super().saved_message(model, operation)

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            model = kwargs["model"]
            kwargs.update(
                evidence=evidence_summary(model),
                verified=signed_text_verifies(model),
                unsigned_text=document(model) if not model.is_signed and model.text else "",
            )
        return super().render(template, **kwargs)

    def _requested_agreement(self) -> Agreement | None:
        """The agreement of `?id=`, if this user may see it; else None, with a message."""
        agreement = self.get_one(request.args.get("id"))
        if agreement is None:
            flash(_("No such agreement."), "error")
        return agreement

    @expose("/document/")
    def document_view(self):
        """The agreement as a printable page; `?download=1` saves it as a file."""
        agreement = self._requested_agreement()
        if agreement is None:
            return redirect(self.get_url(".index_view"))
        return document_response(agreement)

    @expose("/pdf/")
    def pdf_view(self):
        """The agreement as a PDF file to keep or send."""
        agreement = self._requested_agreement()
        if agreement is None:
            return redirect(self.get_url(".index_view"))
        return pdf_response(agreement)

    @action(
        "resend",
        _l("Send signing link again"),
        _l("Email the signatories a new link? Their older links stop working."),
    )
    def action_resend(self, ids):
        self.run_action(
            ids,
            resend_signing_link,
            done_message=lambda n: ngettext(
                "%(num)d signing link sent.", "%(num)d signing links sent.", n
            ),
        )


def _pre(text: str) -> Markup:
    return Markup('<pre class="kp-pre-wrap">{}</pre>').format(text)


class AgreementTextView(StaffModelView):
    """Versions of the agreement text. A new text is a new version; versions never change,
    so every agreement keeps the text it was made with."""

    can_edit = False
    can_delete = False
    column_list = ("version", "title", "created_at")
    column_labels = {"created_at": _l("Added")}
    column_sortable_list = ("version",)
    column_default_sort = ("version", True)
    column_details_list = ("version", "title", "body", "translations", "created_at")
    column_formatters_detail = {
        "body": lambda v, c, m, n: _pre(m.body),
        "translations": lambda v, c, m, n: Markup("").join(
            Markup("<h3 class='h6' lang='{}'>{}: {}</h3>{}").format(
                language, LANGUAGE_NAMES[language], text["title"], _pre(text["body"])
            )
            for language, text in sorted((m.translations or {}).items())
        ),
    }
    column_labels = {
        "created_at": _l("Added"),
        "title": _l("Title (English)"),
        "body": _l("Text (English)"),
        "translations": _l("In the customers' languages"),
    }
    form_columns = ("title", "body", "title_sv", "body_sv", "title_nb", "body_nb")
    form_extra_fields = {
        **{
            f"title_{language}": StringField(
                _l("Title in %(language)s", language=LANGUAGE_NAMES[language]),
                render_kw={"lang": language},
            )
            for language in ("sv", "nb")
        },
        **{
            f"body_{language}": TextAreaField(
                _l("Text in %(language)s", language=LANGUAGE_NAMES[language]),
                description=_l("Leave empty to have customers of this language sign in English."),
                render_kw={"lang": language, "rows": 12},
            )
            for language in ("sv", "nb")
        },
    }
    form_widget_args = {"body": {"rows": 20}}

    def create_with(self, form, actor):
        return add_text_version(
            title=form.title.data,
            body=form.body.data,
            translations={
                language: {
                    "title": form[f"title_{language}"].data,
                    "body": form[f"body_{language}"].data,
                }
                for language in ("sv", "nb")
            },
            actor=actor,
        )
