"""Back office: Reports — orders per service per month, how long orders wait, and how
applications become customers (adminapp/services/reports.py), each a chart with its table
beside it and a CSV export."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app
from flask_admin import BaseView, expose
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from adminapp.i18n import one_decimal, whole_number
from adminapp.services import reports

from ..base import StaffAccess
from ..charts import colour, grouped_bars, stacked_bars

WAITS = {
    "sent_to_attested": _l("Sent to attested"),
    "attested_to_delivered": _l("Attested to delivered"),
}
FUNNEL = {
    "sent": _l("Applications sent"),
    "approved": _l("Approved"),
    "signed": _l("Agreement signed"),
    "first_order": _l("First order sent"),
}


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])


def _figures():
    """Each report's months, headings and rows: what the chart, the table and the file show."""
    zone = _zone()
    months = reports.last_months(zone)
    month_names = [format_date(m.first_day, "LLLL y") for m in months]
    per_service, waits = reports.month_figures(zone, months)
    funnel = reports.application_funnel(zone, months)
    return {
        "months": months,
        "short_months": [format_date(m.first_day, "LLL") for m in months],
        "orders": {
            "headings": [_("Month"), *(s.name for s in per_service), _("All services")],
            "rows": [
                [name, *(s.values[i] for s in per_service), sum(s.values[i] for s in per_service)]
                for i, name in enumerate(month_names)
            ],
            "series": per_service,
        },
        "waits": {
            "headings": [_("Month"), *(str(WAITS[s.name]) for s in waits)],
            "rows": [[name, *(s.values[i] for s in waits)] for i, name in enumerate(month_names)],
            "series": waits,
        },
        "funnel": {
            "headings": [_("Step"), _("Applications")],
            "rows": [[str(FUNNEL[step]), count] for step, count in funnel],
        },
    }


class ReportsView(StaffAccess, BaseView):
    @expose("/")
    def index(self):
        figures = _figures()
        short = figures["short_months"]
        orders, waits, funnel = figures["orders"], figures["waits"], figures["funnel"]
        charts = {
            "orders": stacked_bars(
                _("Orders sent per month, by service"),
                short,
                [s.values for s in orders["series"]],
                whole_number,
            ),
            "waits": grouped_bars(
                _("Median hours from sent to attested, and from attested to delivered"),
                short,
                [s.values for s in waits["series"]],
                one_decimal,
            ),
            "funnel": grouped_bars(
                _("Applications of the last 12 months, and how far they got"),
                [row[0] for row in funnel["rows"]],
                [[row[1] for row in funnel["rows"]]],
                whole_number,
            ),
        }
        legends = {
            "orders": [(s.name, colour(i)) for i, s in enumerate(orders["series"])],
            "waits": [(WAITS[s.name], colour(i)) for i, s in enumerate(waits["series"])],
        }
        return self.render("staff/reports.html", figures=figures, charts=charts, legends=legends)

    @expose("/<any(orders, waits, funnel):report>.csv")
    def csv_file(self, report: str):
        table = _figures().get(report)
        if table is None:
            abort(404)
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(table["headings"])
        writer.writerows(["" if v is None else v for v in row] for row in table["rows"])
        return Response(
            out.getvalue().encode("utf-8"),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="kundportal-{report}.csv"'},
        )
