"""Strong authentication: challenges (SMS one-time code or BankID), the SMS log, and staff
two-factor recovery codes."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Transitions, UTCDateTime, str_enum, utcnow
from .encryption import Encrypted, EncryptedJSON


class ChallengeMethod(enum.StrEnum):
    SMS = "sms"
    BANKID = "bankid"


class ChallengeStatus(enum.StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"  # proven; waiting for the page that asked to use it
    USED = "used"  # what it approved was done
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


_C = ChallengeStatus
CHALLENGE_TRANSITIONS: Transitions[ChallengeStatus] = {
    _C.PENDING: frozenset({_C.COMPLETED, _C.FAILED, _C.CANCELLED, _C.EXPIRED}),
    _C.COMPLETED: frozenset({_C.USED}),
    _C.USED: frozenset(),
    _C.FAILED: frozenset(),
    _C.CANCELLED: frozenset(),
    _C.EXPIRED: frozenset(),
}


class AuthChallenge(Base):
    """One attempt to prove who approves `text`, bound to a subject and a purpose.

    The subject is a user, or (for a signatory who is not a portal user) a name, phone and
    personal number taken from the customer application.
    """

    __tablename__ = "auth_challenge"
    __table_args__ = (
        Index("ix_auth_challenge_purpose", "purpose", "object_id"),
        Index("ix_auth_challenge_phone_created_at", "phone", "created_at"),
    )
    TRANSITIONS: ClassVar[Transitions[ChallengeStatus]] = CHALLENGE_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    # The id the browser sees: random, so challenge URLs cannot be guessed.
    public_id: Mapped[str] = mapped_column(
        String(36), unique=True, default=lambda: str(uuid.uuid4())
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    subject_name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(50))  # e.g. attest_order, sign_agreement
    object_id: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)  # exactly what the person approves
    text_sha256: Mapped[str] = mapped_column(String(64))
    method: Mapped[ChallengeMethod] = mapped_column(str_enum(ChallengeMethod))
    status: Mapped[ChallengeStatus] = mapped_column(
        str_enum(ChallengeStatus), default=ChallengeStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failure: Mapped[str] = mapped_column(String(200), default="")
    # SMS
    phone: Mapped[str] = mapped_column(String(32), default="")
    code_hash: Mapped[str] = mapped_column(String(64), default="")
    wrong_tries: Mapped[int] = mapped_column(Integer, default=0)
    sends: Mapped[int] = mapped_column(Integer, default=0)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # BankID
    personal_number: Mapped[str] = mapped_column(Encrypted, default="")  # required signer
    order_ref: Mapped[str] = mapped_column(String(64), default="")
    auto_start_token: Mapped[str] = mapped_column(String(64), default="")
    qr_start_token: Mapped[str] = mapped_column(String(64), default="")
    qr_start_secret: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_collect_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hint_code: Mapped[str] = mapped_column(String(50), default="")
    # What proves it: BankID's completionData, or the masked phone number and time.
    evidence: Mapped[dict] = mapped_column(EncryptedJSON, default=dict)


class SmsMessage(Base):
    """The SMS log. The text is kept only from the console and test gateways (development),
    so the back office can show one-time codes in the demo; real gateways keep no codes."""

    __tablename__ = "sms_message"
    __table_args__ = (Index("ix_sms_message_to_created_at", "to", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    to: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    gateway: Mapped[str] = mapped_column(String(20))
    provider_id: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")


class RecoveryCode(Base):
    """A single-use recovery code for staff two-factor login; only its hash is stored."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
