"""The portal lists' own row buttons, after each row's icons (SecureModelView.row_extras).

Built like views/list_rows.py: the words and addresses once a page, a few joins a row. Each
state change is a button sending one of the page's forms (templates/portal/row_actions.html);
"Attest" is a link, since attesting needs BankID or a code on its own page.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from models import OrderStatus, RoleName, UserStatus

from ..list_rows import address_maker


def orderer_buttons() -> Callable[[object], Markup]:
    """Approve (an orderer awaiting it) and Switch to (anyone who may log in but oneself)."""
    approve, switch = escape(_("Approve")), escape(_("Switch to"))
    switch_url = address_maker("switch.switch_to", user_id=None)
    me = current_user.id
    may_switch_to = (UserStatus.ACTIVE, UserStatus.PENDING_APPROVAL)

    def buttons(row) -> Markup:
        name = escape(row.name)
        parts = ['<div class="mt-1">']
        if row.status == UserStatus.PENDING_APPROVAL:
            parts.append(
                f'<button type="submit" form="row-approve" name="id" value="{row.id}" '
                f'class="btn btn-sm btn-success">{approve}<span class="sr-only"> {name}</span>'
                "</button>"
            )
        if row.status in may_switch_to and row.id != me:
            parts.append(
                f'<button type="submit" form="row-switch" formaction="{switch_url(row.id)}" '
                f'class="btn btn-sm btn-primary">{switch}<span class="sr-only"> {name}</span>'
                "</button>"
            )
        parts.append("</div>")
        return Markup("".join(parts))

    return buttons


def attest_button() -> Callable[[object], Markup] | None:
    """Attest, on an order awaiting attestation, for the customer's attestants; None for others."""
    if RoleName.ATTESTANT not in current_user.role_names:
        return None
    attest = escape(_("Attest"))
    attest_url = address_maker("portal_attest.show", order_id=None)

    def button(row) -> Markup:
        if row.status != OrderStatus.AWAITING_ATTESTATION:
            return Markup("")
        which = escape(_("order %(id)s", id=row.id))
        return Markup(
            f'<a class="btn btn-sm btn-primary mt-1" href="{attest_url(row.id)}">{attest}'
            f'<span class="sr-only"> {which}</span></a>'
        )

    return button
