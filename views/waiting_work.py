"""The work that waits, as the home pages' table shows it (templates/partials/waiting_work.html)."""

from __future__ import annotations

from flask_babel import format_timedelta

from models.base import utcnow


def waiting_rows(queues, words) -> list[dict]:
    """The queues as the home pages' table shows them: words, count, age, link."""
    now = utcnow()
    rows = []
    for queue in queues:
        label, address = words[queue.key]
        waited = queue.waited(now)
        rows.append(
            {
                "key": queue.key,
                "label": label,
                "count": queue.count,
                "waited": format_timedelta(waited, threshold=0.9) if waited else "",
                "url": address(),
            }
        )
    return rows
