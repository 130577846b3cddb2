"""The control page at GET /sim/: open orders with Approve and Cancel buttons, for the demo."""

from __future__ import annotations

from html import escape

from .orders import FAIL_HINT_CODES, PENDING, SimOrder

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1b1b1b; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; }
td { vertical-align: top; }
form { display: inline; }
button { margin-right: .3rem; }
.text { white-space: pre-wrap; max-width: 30rem; }
"""


def _row(order: SimOrder) -> str:
    ref = escape(order.order_ref)
    text = escape(order.user_visible_data or "")
    failures = "".join(
        f'<option value="{code}">{code}</option>'
        for code in FAIL_HINT_CODES
        if code != "userCancel"
    )
    return (
        "<tr>"
        f"<td><code>{ref}</code></td>"
        f"<td>{escape(order.kind)}</td>"
        f"<td>{escape(order.person.name)}</td>"
        f"<td>{escape(order.hint_code or 'not collected yet')}</td>"
        f'<td class="text">{text}</td>'
        "<td>"
        f'<form method="post" action="/sim/orders/{ref}/approve">'
        '<button type="submit">Approve</button></form>'
        f'<form method="post" action="/sim/orders/{ref}/fail">'
        '<input type="hidden" name="hintCode" value="userCancel">'
        '<button type="submit">Cancel</button></form>'
        f'<form method="post" action="/sim/orders/{ref}/fail">'
        f'<select name="hintCode" aria-label="Failure">{failures}</select>'
        '<button type="submit">Fail</button></form>'
        "</td></tr>"
    )


def render_page(orders: list[SimOrder], *, api_url: str, auto_approve: bool) -> str:
    """The whole page, every value escaped."""
    open_orders = [o for o in orders if o.status == PENDING and not o.gone]
    rows = "".join(_row(o) for o in open_orders) or (
        '<tr><td colspan="6">No open orders. Start one from the portal.</td></tr>'
    )
    mode = "auto-approve" if auto_approve else "manual: approve each order here"
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="refresh" content="3">'
        "<title>BankID simulator</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<h1>BankID simulator</h1>"
        f"<p>RP API: <code>{escape(api_url)}</code> &middot; mode: {escape(mode)}</p>"
        "<table><thead><tr><th>orderRef</th><th>kind</th><th>person</th><th>hint</th>"
        "<th>text shown</th><th>the phone</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></body></html>\n"
    )
