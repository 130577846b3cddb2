"""Back office: the invoicing basis of a month, on a page and as CSV and Excel files
(adminapp/services/invoicing_basis.py says the rule)."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, make_response, request, stream_with_context
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from adminapp.errors import InvalidInput
from adminapp.labels import label
from adminapp.services.invoicing_basis import (
    Month,
    bases,
    basis,
    customer_totals,
    grand_totals,
)
from models.base import utcnow

from ..base import StaffAccess

# The files' columns: heading, and the value of a line of a customer.
COLUMNS = (
    (_l("Customer"), lambda c, line: c.name),
    (_l("Organisation number"), lambda c, line: c.org_number),
    (_l("Invoice reference"), lambda c, line: line.invoice["invoice_reference"]),
    (_l("Invoice address"), lambda c, line: line.invoice["invoice_address_line"]),
    (_l("Postal code"), lambda c, line: line.invoice["invoice_postal_code"]),
    (_l("City"), lambda c, line: line.invoice["invoice_city"]),
    (_l("Invoice email"), lambda c, line: line.invoice["invoice_email"]),
    (_l("Peppol address"), lambda c, line: line.invoice["peppol_id"]),
    (_l("Order"), lambda c, line: line.order_id),
    (_l("Service"), lambda c, line: line.service),
    (_l("Offering"), lambda c, line: line.offering),
    (_l("Delivered"), lambda c, line: line.delivered_on),
    (_l("Start-up fee"), lambda c, line: line.startup_fee),
    (_l("Recurring fee"), lambda c, line: line.recurring_fee),
    (_l("Per"), lambda c, line: label(line.period)),
    (_l("Days in use"), lambda c, line: line.days_in_use),
    (_l("Days in the month"), lambda c, line: line.days_in_month),
    (_l("Recurring fee this month"), lambda c, line: line.recurring_amount),
    (_l("Total"), lambda c, line: line.total),
    (_l("Currency"), lambda c, line: line.currency),
)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])


def _month() -> Month:
    """The month asked for; without one, last month (what is invoiced now)."""
    raw = request.args.get("month")
    if not raw:
        today = utcnow().date()
        return Month(today.year, today.month).previous()
    return Month.parse(raw)


class InvoicingView(StaffAccess, BaseView):
    @expose("/")
    def index(self):
        try:
            month = _month()
        except InvalidInput as exc:
            return self.render(
                "staff/invoicing.html", error=str(exc), month=None, raw=request.args.get("month")
            )
        customers = customer_totals(month, _zone())
        chosen = request.args.get("customer", type=int)
        shown = None
        if chosen is not None and chosen <= 2**31:
            shown = next(iter(basis(month, _zone(), customer_id=chosen)), None)
        return self.render(
            "staff/invoicing.html",
            error=None,
            month=month,
            raw=str(month),
            customers=customers,
            totals=grand_totals(customers),
            shown=shown,
        )

    @expose("/basis.csv")
    def csv_file(self):
        month = self._month_or_400()
        zone = _zone()

        # Written customer by customer as it is read (services/invoicing_basis.py `bases`):
        # a big vendor's month is tens of megabytes, never held at once.
        def chunks():
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\r\n")
            out.write("\ufeff")  # a byte-order mark: Excel then reads the file as UTF-8
            writer.writerow([str(heading) for heading, _value in COLUMNS])
            for customer in bases(month, zone):
                for line in customer.lines:
                    writer.writerow([_csv_value(value(customer, line)) for _h, value in COLUMNS])
                yield out.getvalue().encode("utf-8")
                out.seek(0)
                out.truncate()
            if out.tell():  # no customer: the headings alone
                yield out.getvalue().encode("utf-8")

        return self._file(stream_with_context(chunks()), month, "csv", "text/csv; charset=utf-8")

    @expose("/basis.xlsx")
    def xlsx_file(self):
        month = self._month_or_400()
        return self._file(
            _workbook(month, _zone()),
            month,
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    def _month_or_400(self) -> Month:
        try:
            return _month()
        except InvalidInput as exc:
            abort(make_response(str(exc), 400, {"Content-Type": "text/plain; charset=utf-8"}))

    @staticmethod
    def _file(body, month: Month, extension: str, mimetype: str) -> Response:
        name = f"kundportal-invoicing-{month}.{extension}"
        return Response(
            body,
            mimetype=mimetype,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


def _csv_value(value) -> str:
    """Plain, machine-readable values: 1234.50, 2026-11-16 (a program or a spreadsheet's
    import reads them whatever its language)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _workbook(month: Month, zone: ZoneInfo) -> bytes:
    """Two sheets, customers' totals (grouped, as the page shows them) and orders (customer
    by customer, as read), written row by row (openpyxl's write-only mode: a month of a big
    vendor is a hundred thousand rows)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)

    def row(sheet, values, *, heading=False):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if heading:
                cell.font = bold
            elif hasattr(value, "as_tuple"):  # Decimal: a number with two decimals
                cell.number_format = "#,##0.00"
            elif hasattr(value, "isoformat"):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)

    summary = book.create_sheet(_("Customers")[:31])
    summary.freeze_panes = "A2"
    row(
        summary,
        [
            _("Customer"),
            _("Organisation number"),
            _("Currency"),
            _("Start-up fees"),
            _("Recurring fees"),
            _("Total"),
        ],
        heading=True,
    )
    for customer in customer_totals(month, zone):
        for currency, sums in customer.totals().items():
            row(
                summary,
                [
                    customer.name,
                    customer.org_number,
                    currency,
                    sums["startup"],
                    sums["recurring"],
                    sums["total"],
                ],
            )
    lines = book.create_sheet(_("Orders")[:31])
    lines.freeze_panes = "A2"
    row(lines, [str(heading) for heading, _value in COLUMNS], heading=True)
    for customer in bases(month, zone):
        for line in customer.lines:
            row(lines, [value(customer, line) for _h, value in COLUMNS])
    book.properties.title = _("Invoicing basis %(month)s", month=str(month))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
