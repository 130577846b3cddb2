"""Back office: the delivery queue (the Swedish seed's step 6). Attested orders wait here;
staff send the instructions for access, then mark the order completed."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from wtforms import TextAreaField

from adminapp.auth import current_actor
from adminapp.services import delivery
from models import Offering, Order, OrderStatus

from ..base import StaffModelView

QUEUE = (OrderStatus.ATTESTED, OrderStatus.IN_DELIVERY)


class InstructionsForm(FlaskForm):
    instructions = TextAreaField(_l("Instructions for access"), render_kw={"rows": 12})


class DeliveryView(StaffModelView):
    can_create = False
    can_edit = False
    can_delete = False
    details_template = "staff/delivery_details.html"
    column_list = (
        "id",
        "customer",
        "offering",
        "orderer_name",
        "status",
        "submitted_at",
        "instructions_sent_at",
    )
    column_labels = {
        "orderer_name": _l("Orderer"),
        "submitted_at": _l("Submitted"),
        "instructions_sent_at": _l("Instructions sent"),
        "customer.name": _l("Customer"),
    }
    column_filters = ("status", "customer.name")
    column_sortable_list = ("id", "submitted_at")
    column_default_sort = ("submitted_at", False)  # oldest first: first come, first served
    list_loader_options = (
        selectinload(Order.customer),
        selectinload(Order.offering).selectinload(Offering.service),
    )

    def scope(self, query):
        return query.filter(Order.status.in_(QUEUE))

    def render(self, template, **kwargs):
        if template == self.details_template and "model" in kwargs:
            order = kwargs["model"]
            kwargs.setdefault(
                "form",
                InstructionsForm(
                    data={
                        "instructions": order.delivery_instructions
                        or delivery.instructions_draft(order)
                    }
                ),
            )
        return super().render(template, **kwargs)

    @expose("/instructions/", methods=("POST",))
    def instructions_view(self):
        order = self.get_one(request.args.get("id"))
        return_url = get_redirect_target() or self.get_url(".index_view")
        if order is None:
            flash(_("No such order in the delivery queue."), "error")
            return redirect(return_url)
        form = InstructionsForm()
        if form.validate_on_submit() and self.call_service(
            form,
            lambda: delivery.send_instructions(
                order, form.instructions.data, actor=current_actor()
            ),
        ):
            flash(_("The instructions for order %(id)s are sent.", id=order.id), "success")
            return redirect(url_for(".details_view", id=order.id, url=return_url))
        # Refused: the order's page again, with what was typed and why it was refused.
        return self.render(
            self.details_template,
            model=order,
            details_columns=self._details_columns,
            get_value=self.get_detail_value,
            return_url=return_url,
            form=form,
        )

    @expose("/complete/", methods=("POST",))
    def complete_view(self):
        return self.run_on_one(
            delivery.complete,
            done_message=lambda order: _("Order %(id)s is completed.", id=order.id),
        )

    @action("complete", _l("Mark completed"), _l("Mark the selected orders completed?"))
    def action_complete(self, ids):
        self.run_action(
            ids,
            delivery.complete,
            done_message=lambda n: ngettext(
                "%(num)d order completed.", "%(num)d orders completed.", n
            ),
        )
