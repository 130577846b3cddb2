"""Keyset pagination for the big lists: page 2,000 costs what page 1 costs.

OFFSET makes the database walk every row before the page it shows. A keyset page instead
starts after (or, going back, before) the last row the reader saw, by the list's sort column
and the id: `WHERE (created_at, id) < (:seen_at, :seen_id) ORDER BY created_at DESC, id DESC
LIMIT 25`, which an index answers directly. The position is in the URL — `after` or
`before`, a token of the row's sort value and id, and `page`, the page's number, for the
reader — so a page can be bookmarked, reloaded and shared. A token that does not decode is
ignored (the list starts from its `page` by OFFSET, as before).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime


def encode(values: tuple) -> str:
    """A URL-safe token of a row's sort value and id."""
    kinds = "".join("d" if isinstance(v, datetime) else "v" for v in values)
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps([kinds, plain], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str | None, size: int = 2) -> tuple | None:
    """The values of a token made by `encode`, or None for anything else."""
    if not token or len(token) > 400:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        kinds, plain = json.loads(raw)
        if not isinstance(kinds, str) or len(kinds) != size or len(plain) != size:
            return None
        values = []
        for kind, value in zip(kinds, plain, strict=True):
            if kind == "d":
                values.append(datetime.fromisoformat(value))
            elif kind == "v" and isinstance(value, int | str | float) and value is not True:
                values.append(value)
            else:
                return None
        return tuple(values)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None
