"""Links to a back-office list filtered on a column, as Flask-Admin spells them (`flt0_<n>`,
n being the filter's place in the view's filters): found from the view, never written by hand,
so adding a filter to a view cannot break a link to another."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from flask import current_app, url_for

from adminapp.formats import in_zone


def filtered_list(
    endpoint: str, column: str, value: str, *, since: datetime | None = None, **args
) -> str:
    """The list of the view at `endpoint` with `column` equal to `value` and, with `since`,
    only what was created after it."""
    args[f"flt0_{_index(endpoint, column, 'Equal')}"] = value
    if since is not None:
        local = in_zone(since, current_app.config["DISPLAY_TIMEZONE"])
        args[f"flt1_{_index(endpoint, 'created_at', 'Greater')}"] = local.strftime(
            "%Y-%m-%d %H:%M:%S"
        )
    return url_for(f"{endpoint}.index_view", **args)


@cache
def _index(endpoint: str, column: str, operation: str) -> int:
    """Where the view's filter of `operation` ("Equal", "Greater") on `column` is."""
    for index, flt in enumerate(_view(endpoint)._filters or ()):
        kind = type(flt).__name__
        if _column_key(flt) == column and operation in kind and "Not" not in kind:
            return index
    raise LookupError(f"the view {endpoint} has no {operation} filter on {column}")


def _view(endpoint: str):
    for admin in current_app.extensions["admin"]:
        for view in admin._views:
            if view.endpoint == endpoint:
                return view
    raise LookupError(f"no view {endpoint}")


def _column_key(flt) -> str | None:
    column = getattr(flt, "column", None)
    return getattr(column, "key", None) or getattr(column, "name", None)
