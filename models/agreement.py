"""Onboarding: customer applications, agreement text versions, and each customer's agreement."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, Transitions, UTCDateTime, str_enum, utcnow
from .customer import Country
from .encryption import Encrypted, EncryptedJSON

if TYPE_CHECKING:
    from .customer import Customer
    from .user import User


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


APPLICATION_TRANSITIONS: Transitions[ApplicationStatus] = {
    ApplicationStatus.SUBMITTED: frozenset(
        {ApplicationStatus.APPROVED, ApplicationStatus.REJECTED}
    ),
    ApplicationStatus.APPROVED: frozenset(),
    ApplicationStatus.REJECTED: frozenset(),
}


class AgreementStatus(enum.StrEnum):
    AWAITING_SIGNATURE = "awaiting_signature"
    SIGNED = "signed"  # read-only from then on


AGREEMENT_TRANSITIONS: Transitions[AgreementStatus] = {
    AgreementStatus.AWAITING_SIGNATURE: frozenset({AgreementStatus.SIGNED}),
    AgreementStatus.SIGNED: frozenset(),
}


class SignatureMethod(enum.StrEnum):
    BANKID = "bankid"
    SMS = "sms"
    PAPER = "paper"  # an existing customer's agreement, signed outside the portal


# The three contacts of an application, by the prefix of their columns.
CONTACT_ROLES = ("admin", "signatory", "contract")


class CustomerApplication(TimestampMixin, Base):
    """A prospective customer's request to become a customer (the seed's «kundansökan»)."""

    __tablename__ = "customer_application"
    __table_args__ = (
        Index("ix_customer_application_status_created_at", "status", "created_at"),
        Index("ix_customer_application_created_at", "created_at"),
        Index("ix_customer_application_name", "name"),
        # One application per organisation waits for review at a time.
        Index(
            "uq_customer_application_pending_org_number",
            "country",
            "org_number",
            unique=True,
            sqlite_where=text("status = 'submitted'"),
            postgresql_where=text("status = 'submitted'"),
        ),
    )
    TRANSITIONS: ClassVar[Transitions[ApplicationStatus]] = APPLICATION_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[ApplicationStatus] = mapped_column(
        str_enum(ApplicationStatus), default=ApplicationStatus.SUBMITTED
    )
    # The organisation, as the customer will be created.
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[Country] = mapped_column(str_enum(Country, 2), default=Country.SE)
    org_number: Mapped[str] = mapped_column(String(20))  # digits only
    address_line: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    invoice_reference: Mapped[str] = mapped_column(String(100), default="")
    # The administrator: becomes the customer's first admin user.
    admin_name: Mapped[str] = mapped_column(String(200))
    admin_email: Mapped[str] = mapped_column(String(254))
    admin_phone: Mapped[str] = mapped_column(String(32))  # E.164
    # The signatory («företrädare/firmatecknare»): signs the agreement; not a portal user.
    signatory_name: Mapped[str] = mapped_column(String(200))
    signatory_email: Mapped[str] = mapped_column(String(254))
    signatory_phone: Mapped[str] = mapped_column(String(32))
    # Optional; when given, a BankID signature must come from this person. Shown masked.
    signatory_personal_number: Mapped[str | None] = mapped_column(Encrypted)
    # The contract contact («kontaktperson för avtalet»): told about the agreement.
    contract_name: Mapped[str] = mapped_column(String(200))
    contract_email: Mapped[str] = mapped_column(String(254))
    contract_phone: Mapped[str] = mapped_column(String(32))
    # Who filled in the form: gets the receipt.
    applicant_email: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(10), default="en")
    # The decision.
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )

    decided_by: Mapped[User | None] = relationship()
    customer: Mapped[Customer | None] = relationship()

    def __str__(self) -> str:
        return f"{self.name} ({self.org_number})"


class AgreementText(Base):
    """One version of the customer agreement's text. Versions are only ever added."""

    __tablename__ = "agreement_text"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # English
    # The same text in the customers' languages: {"sv": {"title", "body"}, "nb": {...}}. A
    # customer signs in its language, or in English where the version has none.
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Agreement(TimestampMixin, Base):
    """A customer's agreement: awaiting its signatory's signature, then signed and read-only.

    `signed_text` is exactly what was signed (the text version with the customer's details),
    `signed_text_sha256` its SHA-256, so anyone can check the record against the text.
    """

    __tablename__ = "agreement"
    __table_args__ = (
        Index("ix_agreement_status_created_at", "status", "created_at"),
        Index("ix_agreement_signed_at", "signed_at"),
        # A customer has one agreement: approving twice or recording paper twice cannot add one.
        Index("uq_agreement_customer_id", "customer_id", unique=True),
    )
    TRANSITIONS: ClassVar[Transitions[AgreementStatus]] = AGREEMENT_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="RESTRICT"))
    # The text version to sign; none for an agreement signed on paper outside the portal.
    text_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreement_text.id", ondelete="RESTRICT"), index=True
    )
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_application.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[AgreementStatus] = mapped_column(
        str_enum(AgreementStatus), default=AgreementStatus.AWAITING_SIGNATURE
    )
    # Who is to sign, from the application.
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    signatory_email: Mapped[str] = mapped_column(String(254), default="")
    signatory_phone: Mapped[str] = mapped_column(String(32), default="")
    signatory_personal_number: Mapped[str | None] = mapped_column(Encrypted)
    # The signature.
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    method: Mapped[SignatureMethod | None] = mapped_column(str_enum(SignatureMethod))
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    signer_personal_number: Mapped[str | None] = mapped_column(Encrypted)  # BankID only
    signed_text: Mapped[str] = mapped_column(Text, default="")
    signed_text_sha256: Mapped[str] = mapped_column(String(64), default="")
    # The provider's proof: BankID's completionData, or the SMS challenge's masked phone + time.
    evidence: Mapped[dict] = mapped_column(EncryptedJSON, default=dict)
    challenge_id: Mapped[int | None] = mapped_column(
        ForeignKey("auth_challenge.id", ondelete="SET NULL"), index=True
    )
    # Paper: the staff member who recorded it, and where the paper is.
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    paper_note: Mapped[str] = mapped_column(Text, default="")

    customer: Mapped[Customer] = relationship()
    text: Mapped[AgreementText | None] = relationship()
    application: Mapped[CustomerApplication | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    @property
    def is_signed(self) -> bool:
        return self.status == AgreementStatus.SIGNED

    def __str__(self) -> str:
        version = f" v{self.text.version}" if self.text is not None else ""
        return f"Agreement{version} – {self.customer.name if self.customer else ''}"
