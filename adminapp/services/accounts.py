"""Accounts: creating staff, checking passwords at login, setting passwords."""

from __future__ import annotations

from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from models import (
    AuditAction,
    AuthChallenge,
    ChallengeMethod,
    CreatedVia,
    OutboxMessage,
    TokenPurpose,
    User,
    UserStatus,
    db,
    utcnow,
)

from .. import metrics, passwords
from ..errors import InvalidInput, NotAllowed
from ..i18n import LOCALES
from . import memberships, notifications, personal_data, strong_auth, tokens
from .audit import Actor, record
from .guards import ensure_not_switched
from .states import move

PASSWORD_LINKS = (TokenPurpose.SET_PASSWORD, TokenPurpose.RESET_PASSWORD)


def normalise_email(raw: str) -> str:
    """The email as stored: syntax-checked, lower-cased. Raises InvalidInput."""
    try:
        result = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(_("Enter a valid email address."), field="email") from exc
    return result.normalized.lower()


def login_users_by_email(email: str) -> list[User]:
    """The rows of the person who logs in with `email`: one per membership, or one staff
    account (shared-email orderers have no login of their own)."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.email == (email or "").strip().lower(), User.shares_email.is_(False))
            .order_by(User.id)
        )
    )


def login_user_by_email(email: str) -> User | None:
    """Where a password login with `email` lands: the person's organisation chosen last that
    may log in with a password, else their first; None when there is none."""
    rows = login_users_by_email(email)
    return memberships.entry(u for u in rows if u.may_log_in and not eid_only(u))


def email_taken(email: str) -> bool:
    return bool(login_users_by_email(email))


def authenticate(email: str, password: str) -> User | None:
    """The user these credentials log in, or None: the caller says only "wrong email or password".

    Costs one hash check whether or not the email exists. A person in several organisations
    lands in the one they chose last (`memberships.entry`), never in one on e-ID only.
    """
    user = login_user_by_email(email or "")
    if user is None:
        passwords.verify_password(None, password)
        metrics.count_login("password", "failed")
        return None
    if not passwords.verify_password(user.password_hash, password):
        metrics.count_login("password", "failed")
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def eid_only(user: User) -> bool:
    """The user's customer has its users log in with e-ID only: no password is any use."""
    return bool(user.customer is not None and user.customer.eid_only)


def _refuse_password_if_eid_only(user: User) -> None:
    if eid_only(user):
        raise NotAllowed(
            _("Your organisation logs in with e-ID only: use BankID, no password is needed.")
        )


def warn_of_login_attempts(email: str, *, minutes: int) -> None:
    """Logins to `email` are paused after repeated wrong passwords: its user is told, once
    an hour at most (an attacker's every further try must not flood their inbox)."""
    metrics.count_login("password", "paused")
    user = memberships.entry(u for u in login_users_by_email(email) if u.may_log_in)
    if user is None:
        return
    hour_ago = utcnow() - timedelta(hours=1)
    told = db.session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.recipient == user.email,
            OutboxMessage.template == "login_attempts",
            OutboxMessage.created_at >= hour_ago,
        )
    )
    if told is None:
        notifications.login_attempts(user, minutes=minutes)
        record(AuditAction.LOGIN_PAUSED, actor=Actor.for_system("login"), obj=user)


def record_login(user: User, *, actor: Actor, method: str = "password") -> None:
    """The login, with how the person proved who they are (password, totp, recovery, bankid)."""
    user.last_login_at = utcnow()
    memberships.remember(user)
    record(AuditAction.LOGIN, actor=actor, obj=user, changes={"method": method})
    metrics.count_login(method, "success")


def start_bankid_login(*, end_user_ip: str) -> AuthChallenge:
    """A BankID identification for the login page: whoever completes it is looked up by the
    personal number BankID returns (nobody is named beforehand)."""
    return strong_auth.start(
        purpose=strong_auth.LOGIN_PURPOSE,
        object_id=None,
        text=_("Log in to Kundportal"),
        method=ChallengeMethod.BANKID,
        end_user_ip=end_user_ip,
    )


def finish_bankid_login(public_id: str) -> User:
    """The user whose personal number BankID confirmed; the challenge is used up. Refused
    (NotAllowed, with what to do next) when no user, or no user who may log in, has it."""
    challenge = strong_auth.completed(
        public_id, purpose=strong_auth.LOGIN_PURPOSE, object_id=None, user=None
    )
    personal_number = strong_auth.confirmed_personal_number(challenge)
    strong_auth.use(challenge)
    user = user_for_personal_number(personal_number, eid_name="BankID")
    record_login(user, actor=Actor(user=user), method="bankid")
    return user


def user_for_personal_number(personal_number: str, *, eid_name: str) -> User:
    """The user an e-ID (`eid_name`: "BankID", "Freja eID", …) login with this personal
    number lands in: of the one person who has it, the organisation chosen last. Refused
    (NotAllowed, saying what to do next) when nobody, several people, or nobody who may log
    in has it."""
    users = personal_data.users_with_personal_number(personal_number)
    if not users:
        raise NotAllowed(
            _(
                "No user in Kundportal has your personal number. Ask your administrator to add "
                "it to your account, then log in with %(eid)s again.",
                eid=eid_name,
            )
        )
    if len({u.person_id or -u.id for u in users}) > 1:
        raise NotAllowed(
            _(
                "Your personal number belongs to more than one account. Log in with your email "
                "address and password, or ask your administrator."
            )
        )
    user = memberships.entry(u for u in users if u.may_log_in and not u.shares_email)
    if user is None:
        raise NotAllowed(_("Your account cannot log in at the moment. Ask your administrator."))
    return user


def log_out(*, actor: Actor) -> None:
    """End the session on the server too: the person's session epoch moves on, so a copy of
    the old cookie is logged out (and so is every other session of theirs). While switched,
    the person is the one really acting: their switched session ends, not the target's."""
    person = actor.real_user or actor.user
    if person is not None:
        memberships.end_sessions(person)
    record(AuditAction.LOGOUT, actor=actor, obj=actor.user)


def check_password(user: User, password: str) -> None:
    """Raise InvalidInput when the policy refuses `password` for `user`."""
    problems = passwords.password_problems(password, email=user.email, name=user.name)
    if problems:
        raise InvalidInput(" ".join(problems), field="password")


def set_password(user: User, password: str, *, actor: Actor) -> None:
    """Give `user` a new password (their person's, in every organisation) and end all their
    other sessions."""
    check_password(user, password)
    user.password_hash = passwords.hash_password(password)
    memberships.end_sessions(user)
    record(AuditAction.SET_PASSWORD, actor=actor, obj=user, changes={"password_hash": "changed"})


def create_staff(email: str, name: str, password: str, *, actor: Actor) -> User:
    """A staff user who can log in to the back office at once."""
    email = normalise_email(email)
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Enter a name."), field="name")
    if email_taken(email):
        raise InvalidInput(_("A user with this email already exists."), field="email")
    user = User(
        email=email,
        name=name,
        is_staff=True,
        status=UserStatus.ACTIVE,
        created_via=CreatedVia.CLI if actor.system == "cli" else CreatedVia.STAFF,
        approved_at=utcnow(),
    )
    check_password(user, password)
    user.password_hash = passwords.hash_password(password)
    db.session.add(user)
    record(AuditAction.CREATE, actor=actor, obj=user, changes={"email": email, "is_staff": True})
    return user


def invite(user: User, *, actor: Actor) -> None:
    """Email `user` a link to choose a password; older invitation links die."""
    if user.status != UserStatus.INVITED:
        raise NotAllowed(_("%(name)s has already set a password.", name=user.name))
    tokens.revoke(user, TokenPurpose.SET_PASSWORD)
    token = tokens.issue(TokenPurpose.SET_PASSWORD, user=user)
    invited_by = actor.user.name if actor.user else ""
    notifications.invitation(user, token, invited_by=invited_by)
    record(AuditAction.INVITE, actor=actor, obj=user, changes={"email": user.email})


def request_password_reset(email: str, *, actor: Actor) -> None:
    """Email a reset link if `email` belongs to a user who may log in; otherwise nothing.

    The caller answers the same either way, so the form tells nobody which emails exist.
    An invited user who lost the invitation gets a new one instead.
    """
    user = login_user_by_email(email or "")
    if user is None:
        # Never logged in: a new invitation. Deactivated, or e-ID only: nothing to reset.
        invited = [u for u in login_users_by_email(email) if u.status == UserStatus.INVITED]
        if invited:
            invite(invited[0], actor=actor)
        return
    tokens.revoke(user, TokenPurpose.RESET_PASSWORD)
    token = tokens.issue(TokenPurpose.RESET_PASSWORD, user=user)
    notifications.password_reset(user, token)
    record(AuditAction.REQUEST_PASSWORD_RESET, actor=actor, obj=user)


def user_for_password_link(raw: str, purpose: TokenPurpose) -> User:
    """The user an unused, unexpired password link belongs to; TokenInvalid otherwise."""
    token = tokens.check(raw, purpose)
    user = db.session.get(User, token.user_id) if token.user_id else None
    if user is None or user.status == UserStatus.DISABLED:
        raise tokens.TokenInvalid("unknown")
    return user


def set_password_with_link(raw: str, purpose: TokenPurpose, password: str) -> User:
    """Use a set-password or reset link: the policy is checked before the link is used up.

    Every other password link of the user dies and every other session is logged out.
    """
    user = user_for_password_link(raw, purpose)
    _refuse_password_if_eid_only(user)
    check_password(user, password)
    tokens.use(raw, purpose)
    tokens.revoke(user, *PASSWORD_LINKS)
    actor = Actor(user=user)
    set_password(user, password, actor=actor)
    if user.status == UserStatus.INVITED:
        move(user, UserStatus.ACTIVE, actor=actor, action=AuditAction.ACTIVATE)
    else:
        notifications.password_changed(user)
    return user


# The invitation's alternative to a password: BankID proves who the invited person is.
INVITATION_PURPOSE = "invitation"


def start_invitation_bankid(raw: str, *, end_user_ip: str) -> AuthChallenge:
    """The invited user verifies with BankID instead of choosing a password (the link stays
    unused until it is done)."""
    user = user_for_password_link(raw, TokenPurpose.SET_PASSWORD)
    return strong_auth.start(
        purpose=INVITATION_PURPOSE,
        object_id=user.id,
        text=_("Verify your Kundportal account, %(name)s", name=user.name),
        method=ChallengeMethod.BANKID,
        end_user_ip=end_user_ip,
    )


def finish_invitation_bankid(raw: str, public_id: str) -> User:
    """BankID confirmed who followed the invitation: their personal number is taken from
    BankID's answer (never typed), the link is used up and the account is active. Refused
    when another account already has that personal number."""
    user = user_for_password_link(raw, TokenPurpose.SET_PASSWORD)
    challenge = strong_auth.completed(
        public_id, purpose=INVITATION_PURPOSE, object_id=user.id, user=None
    )
    personal_number = strong_auth.confirmed_personal_number(challenge)
    strong_auth.use(challenge)
    return verify_invitation(raw, personal_number, method="bankid")


def ensure_personal_number_free(personal_number: str, user: User) -> None:
    """Refuse (NotAllowed) an e-ID's personal number that another account already has: one
    number finds one account."""
    owners = [
        u
        for u in personal_data.users_with_personal_number(personal_number)
        if u != user and (u.person_id is None or u.person_id != user.person_id)
    ]
    if owners:
        raise NotAllowed(
            _(
                "Your personal number already belongs to another account in Kundportal. Log in "
                "to that account, or ask your administrator."
            )
        )


def verify_invitation(raw: str, personal_number: str, *, method: str) -> User:
    """The invited user proved with e-ID (`method`: "bankid", "oidc:<provider>") that they
    hold `personal_number`, which the e-ID vouched for: it becomes theirs, the link is used up
    and the account is active. Refused when another account already has that number."""
    user = user_for_password_link(raw, TokenPurpose.SET_PASSWORD)
    ensure_personal_number_free(personal_number, user)
    tokens.use(raw, TokenPurpose.SET_PASSWORD)
    tokens.revoke(user, *PASSWORD_LINKS)
    actor = Actor(user=user)
    user.personal_number = personal_number
    if user.status == UserStatus.INVITED:
        move(
            user,
            UserStatus.ACTIVE,
            actor=actor,
            action=AuditAction.ACTIVATE,
            changes={"verified_with": method},
        )
    record_login(user, actor=actor, method=method)
    return user


def change_own_password(user: User, current: str, new: str, *, actor: Actor) -> None:
    """A logged-in user changes their password; the current one must be given."""
    ensure_not_switched(actor)
    _refuse_password_if_eid_only(user)
    if not passwords.verify_password(user.password_hash, current):
        raise InvalidInput(_("Your current password is not right."), field="current")
    set_password(user, new, actor=actor)
    tokens.revoke(user, *PASSWORD_LINKS)
    notifications.password_changed(user)


def verify_identity(challenge_id: str, *, purpose: str, actor: Actor) -> AuthChallenge:
    """The acting user tried out their SMS code or BankID (My account): the completed
    challenge is used up and the try recorded."""
    ensure_not_switched(actor)
    user = actor.user
    challenge = strong_auth.completed(challenge_id, purpose=purpose, object_id=user.id, user=user)
    strong_auth.use(challenge)
    record(
        AuditAction.VERIFY_IDENTITY,
        actor=actor,
        obj=user,
        changes={"method": challenge.method.value},
    )
    return challenge


def choose_language(user: User, language: str, *, actor: Actor) -> None:
    """The user's language: pages, emails and text messages come in it."""
    if language not in LOCALES:
        raise InvalidInput(_("Choose one of the portal's languages."), field="language")
    if user.locale != language:
        old, user.locale = user.locale, language
        record(AuditAction.UPDATE, actor=actor, obj=user, changes={"locale": [old, language]})
