"""The audit trail: who did what to which object, and who was really acting."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    """One recorded change. Rows are only ever inserted.

    Actors are kept as id plus a label rather than as foreign keys alone, so the trail still
    names who acted after that user is deleted.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_customer_id_created_at", "customer_id", "created_at"),
        Index("ix_audit_event_object", "object_type", "object_id"),
        Index("ix_audit_event_action_created_at", "action", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(String(300), default="")
    # Set only when the actor was switched to (or logged in as) by someone else.
    real_actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    real_actor_label: Mapped[str] = mapped_column(String(300), default="")
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(50))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} #{self.object_id}"
