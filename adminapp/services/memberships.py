"""Memberships: a person's users in several customers, and the one they act for now.

A person logs in once and acts for one organisation at a time: the session holds one `User`
row (one membership), so every tenant scope, which reads `User.customer_id`, follows the
chosen organisation and never the union. Choosing another organisation logs the person in as
their other row; the last choice is where the next login lands.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager

from models import AuditAction, Customer, User, db

from ..errors import NotAllowed
from .audit import Actor, record
from .guards import ensure_not_switched


def is_eid_method(method: str | None) -> bool:
    """Whether a login `method` (as `accounts.record_login` names it) proved the person with
    an e-ID: BankID, or an OpenID provider such as Freja eID or ID-porten."""
    return bool(method) and (method == "bankid" or method.startswith("oidc:"))


def memberships(user: User) -> list[User]:
    """The rows of `user`'s person that may log in, the organisation's name first: what the
    organisation menu offers. A staff member, or a row without a person, has only itself."""
    if user.person_id is None or user.is_staff:
        return [user]
    rows = db.session.scalars(
        select(User)
        .outerjoin(Customer, Customer.id == User.customer_id)
        .where(User.person_id == user.person_id, User.shares_email.is_(False))
        .options(contains_eager(User.customer))
        .order_by(Customer.name, User.id)
    ).all()
    return [row for row in rows if row.may_log_in]


def allows(user: User, method: str | None) -> bool:
    """A password login does not reach a customer that logs in with e-ID only."""
    return not (user.customer is not None and user.customer.eid_only) or is_eid_method(method)


def entry(candidates: Iterable[User]) -> User | None:
    """Where a login lands among `candidates` (rows of one person that the login may reach):
    the organisation chosen last, else the first."""
    candidates = list(candidates)
    if not candidates:
        return None
    person = candidates[0].person
    chosen = person.chosen_user_id if person is not None else None
    return next((row for row in candidates if row.id == chosen), candidates[0])


def remember(user: User) -> None:
    """`user`'s organisation is where the person's next login lands."""
    if user.person is not None and not user.is_staff:
        user.person.chosen_user_id = user.id


def choose(user: User, target_id: int, *, method: str | None, actor: Actor) -> User:
    """The person acting as `user` acts for the organisation of their row `target_id` from
    now on; the caller logs that row in. Refused for a row that is not theirs (a guessed id),
    one that may not log in, a customer on e-ID only after a password login, and while
    switched to someone else."""
    ensure_not_switched(actor)
    target = db.session.get(User, target_id) if isinstance(target_id, int) else None
    if target is None or target not in memberships(user):
        raise NotAllowed(_("You are not a member of that organisation."))
    if not allows(target, method):
        raise NotAllowed(
            _(
                "%(customer)s logs in with e-ID only. Log out, and log in with BankID to "
                "work for it.",
                customer=target.customer.name,
            )
        )
    if target.id != user.id:
        remember(target)
        record(
            AuditAction.CHOOSE_ORGANISATION,
            actor=Actor(user=target),
            obj=target,
            changes={
                "from": user.customer.name if user.customer else "",
                "to": target.customer.name,
            },
        )
    return target


def end_sessions(user: User) -> None:
    """Log out every session of `user`'s person, whichever organisation it acts for: each of
    their rows' session epoch moves on (never back, so no old cookie comes to life)."""
    if user.person_id is None:
        user.session_epoch = (user.session_epoch or 0) + 1
        return
    db.session.execute(
        update(User)
        .where(User.person_id == user.person_id)
        .values(session_epoch=User.session_epoch + 1)
        .execution_options(synchronize_session="fetch")
    )
