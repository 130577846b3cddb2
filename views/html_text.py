"""Text made safe for HTML, as `markupsafe.escape` makes it, a tenth of the cost.

`escape` returns a `Markup`, whose making and formatting into a row's string cost a
microsecond and a half a cell: a tenth of the orders page for its 250 cells (bench/lists.py).
The rows are joined as plain strings, so they need only the escaped text: MarkupSafe's own
escaping function, which `escape` calls inside. tests/test_list_pages.py holds both to the
same output.
"""

from __future__ import annotations

try:  # MarkupSafe's C escaping, the one `escape` uses, else its pure-Python one
    from markupsafe._speedups import _escape_inner
except ImportError:  # pragma: no cover - a MarkupSafe built without its C extension
    from markupsafe._native import _escape_inner


def html_text(value) -> str:
    """`str(markupsafe.escape(value))`: HTML (anything with `__html__`) kept, the rest
    escaped."""
    if type(value) is str:
        return _escape_inner(value)
    to_html = getattr(value, "__html__", None)
    if to_html is not None:
        return to_html()
    return _escape_inner(str(value))
