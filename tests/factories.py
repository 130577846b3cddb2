"""Plain factories for every model. Call them inside an app context; they add and flush."""

from __future__ import annotations

import itertools
from decimal import Decimal

from sqlalchemy import select

from adminapp import passwords
from adminapp.validation import luhn_valid
from models import (
    CareUnit,
    Country,
    CreatedVia,
    Customer,
    CustomerStatus,
    Offering,
    Order,
    OrderCareUnit,
    OrderStatus,
    Role,
    RoleName,
    Service,
    User,
    UserStatus,
    db,
    utcnow,
)

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def _se_org_number(n: int) -> str:
    """A valid Swedish organisation number (Luhn check digit), different for each n."""
    base = f"55{n:07d}"
    return next(base + str(d) for d in range(10) if luhn_valid(base + str(d)))


def _flush(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def role(name: RoleName) -> Role:
    return db.session.scalar(select(Role).where(Role.name == name))


def customer(name: str | None = None, *, status=CustomerStatus.ACTIVE, **kw) -> Customer:
    n = next(_seq)
    kw.setdefault("country", Country.SE)
    kw.setdefault("org_number", _se_org_number(n))
    # English unless a test says otherwise: the suite reads English; the Swedish and
    # Norwegian journeys set their customers' language.
    kw.setdefault("language", "en")
    return _flush(Customer(name=name or f"Customer {n}", status=status, **kw))


def user(
    *,
    customer: Customer | None = None,
    roles=(),
    staff: bool = False,
    email: str | None = None,
    name: str | None = None,
    password: str | None = PASSWORD,
    status=UserStatus.ACTIVE,
    **kw,
) -> User:
    n = next(_seq)
    approved = status not in (UserStatus.UNCONFIRMED, UserStatus.PENDING_APPROVAL)
    kw.setdefault("created_via", CreatedVia.STAFF)
    return _flush(
        User(
            email=email or f"user{n}@example.com",
            name=name or f"User {n}",
            is_staff=staff,
            customer=customer,
            roles=[role(r) for r in roles],
            password_hash=passwords.hash_password(password) if password else None,
            status=status,
            approved_at=utcnow() if approved else None,
            **kw,
        )
    )


def staff(**kw) -> User:
    return user(staff=True, **kw)


def service(name: str | None = None, **kw) -> Service:
    return _flush(Service(name=name or f"Service {next(_seq)}", **kw))


def offering(*, service_: Service | None = None, name: str | None = None, **kw) -> Offering:
    kw.setdefault("startup_fee", Decimal("1000.00"))
    kw.setdefault("recurring_fee", Decimal("100.00"))
    kw.setdefault("terms_text", "Terms.")
    return _flush(
        Offering(service=service_ or service(), name=name or f"Offering {next(_seq)}", **kw)
    )


def care_unit(*, customer_: Customer, hsa_id: str | None = None, name: str | None = None):
    n = next(_seq)
    return _flush(
        CareUnit(
            customer=customer_, hsa_id=hsa_id or f"SE5566778899-{n:04d}", name=name or f"Unit {n}"
        )
    )


def order(
    *,
    orderer: User,
    offering_: Offering | None = None,
    status: OrderStatus = OrderStatus.DRAFT,
    care_units=(),
    **kw,
) -> Order:
    offering_ = offering_ or offering()
    kw.setdefault("startup_fee", offering_.startup_fee)
    kw.setdefault("recurring_fee", offering_.recurring_fee)
    return _flush(
        Order(
            customer=orderer.customer,
            orderer=orderer,
            orderer_name=orderer.name,
            orderer_email=orderer.email,
            offering=offering_,
            status=status,
            care_units=[
                OrderCareUnit(care_unit=cu, hsa_id=cu.hsa_id, name=cu.name) for cu in care_units
            ],
            **kw,
        )
    )


def application(**kw):
    """A submitted customer application with valid details; `kw` overrides any column."""
    from models import CustomerApplication

    n = next(_seq)
    values = {
        "name": f"Applicant Clinic {n}",
        "country": Country.SE,
        "org_number": _se_org_number(n),
        "address_line": "Storgatan 1",
        "postal_code": "111 22",
        "city": "Stockholm",
        "invoice_reference": f"REF-{n}",
        "admin_name": "Alma Admin",
        "admin_email": f"alma{n}@clinic.example.com",
        "admin_phone": "+46701110001",
        "signatory_name": "Sigrid Signatory",
        "signatory_email": f"sigrid{n}@clinic.example.com",
        "signatory_phone": "+46701110002",
        "contract_name": "Conny Contact",
        "contract_email": f"conny{n}@clinic.example.com",
        "contract_phone": "+46701110003",
        "applicant_email": f"applicant{n}@clinic.example.com",
        **kw,
    }
    return _flush(CustomerApplication(**values))


def agreement(*, customer_: Customer, status=None, **kw):
    """A customer's agreement, awaiting signature unless `status` says otherwise."""
    from models import Agreement, AgreementStatus

    return _flush(
        Agreement(customer=customer_, status=status or AgreementStatus.AWAITING_SIGNATURE, **kw)
    )


def challenge(*, user: User | None = None, status=None, **kw):
    """A strong-authentication challenge (SMS code) approving a short text."""
    from datetime import timedelta

    from models import AuthChallenge, ChallengeMethod, ChallengeStatus

    kw.setdefault("purpose", "test")
    kw.setdefault("text", "Approve the test.")
    return _flush(
        AuthChallenge(
            user_id=user.id if user else None,
            subject_name=user.name if user else "Someone",
            object_id=None,
            text_sha256="0" * 64,
            method=ChallengeMethod.SMS,
            status=status or ChallengeStatus.PENDING,
            expires_at=utcnow() + timedelta(minutes=5),
            **kw,
        )
    )


def outbox_message(*, status=None, **kw):
    from models import OutboxMessage, OutboxStatus

    n = next(_seq)
    kw.setdefault("recipient", f"someone{n}@example.com")
    return _flush(
        OutboxMessage(
            template="test",
            subject=f"Test {n}",
            body_text="Hello.",
            body_html="<p>Hello.</p>",
            status=status or OutboxStatus.QUEUED,
            **kw,
        )
    )
