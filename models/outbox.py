"""The email outbox: every email the portal sends, written in the transaction that causes it."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import ClassVar

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Transitions, UTCDateTime, str_enum, utcnow


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its first or next attempt
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # gave up after the last attempt; staff may retry


OUTBOX_TRANSITIONS: Transitions[OutboxStatus] = {
    OutboxStatus.QUEUED: frozenset({OutboxStatus.SENT, OutboxStatus.FAILED}),
    OutboxStatus.SENT: frozenset(),
    OutboxStatus.FAILED: frozenset({OutboxStatus.QUEUED}),  # staff retry it
}


class OutboxMessage(Base):
    """One email, rendered when queued, in the recipient's locale."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        # The worker's query: due messages of a status, oldest first.
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_message_recipient_created_at", "recipient", "created_at"),
    )
    TRANSITIONS: ClassVar[Transitions[OutboxStatus]] = OUTBOX_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    template: Mapped[str] = mapped_column(String(100))
    locale: Mapped[str] = mapped_column(String(10), default="en")
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # Link tokens inside the bodies; scrubbed from the stored copy once sent, where configured.
    secrets: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus), default=OutboxStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"
