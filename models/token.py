"""Single-use, expiring tokens for emailed links. Only a hash of each token is stored."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, str_enum, utcnow


class TokenPurpose(enum.StrEnum):
    SET_PASSWORD = "set_password"  # invitation: choose a first password
    RESET_PASSWORD = "reset_password"
    CONFIRM_EMAIL = "confirm_email"
    SIGN_AGREEMENT = "sign_agreement"
    ATTEST_ORDER = "attest_order"


class LinkToken(Base):
    __tablename__ = "link_token"
    __table_args__ = (
        Index("ix_link_token_user_id_purpose", "user_id", "purpose"),
        Index("ix_link_token_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the token, hex: the token itself is only ever in the email.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[TokenPurpose] = mapped_column(str_enum(TokenPurpose))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    object_type: Mapped[str] = mapped_column(String(50), default="")
    object_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
