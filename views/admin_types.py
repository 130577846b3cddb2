"""Flask-Admin support for our column types: UTC timestamps shown and filtered in local time."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from enum import Enum
from zoneinfo import ZoneInfo

from flask import current_app
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import widgets as admin_widgets
from flask_admin.model import filters, typefmt
from flask_admin.model.form import converts
from wtforms import widgets as wtforms_widgets

from adminapp.i18n import datetime_writer, local_datetime, money, money_writer, number
from adminapp.labels import label, lazy_label

# Flask-Admin's form template reads `widget.input_type` of every field with an error; its
# Select2 widgets (relations, enums) and WTForms' textarea and select have none: an error under
# StrictUndefined and an empty class otherwise. Name the kind of input they are.
admin_widgets.Select2Widget.input_type = "select"
admin_widgets.Select2TagsWidget.input_type = "text"
wtforms_widgets.TextArea.input_type = "textarea"
wtforms_widgets.Select.input_type = "select"


def _local_to_utc(value: datetime) -> datetime:
    """A time typed in the display time zone, as the UTC the database stores."""
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    return value.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))


class _LocalTimeFilter:
    def clean(self, value):
        cleaned = super().clean(value)
        if isinstance(cleaned, list):
            return [_local_to_utc(v) for v in cleaned]
        # The "empty" filter's value is "1" or "0", not a time.
        return _local_to_utc(cleaned) if isinstance(cleaned, datetime) else cleaned


def _local(cls):
    return type(f"Local{cls.__name__}", (_LocalTimeFilter, cls), {})


class _EnumEqual(sqla_filters.EnumEqualFilter):
    """Our enums are stored by value: match by value, and ignore a value that is no member
    (Flask-Admin's looks members up by name and answers 500 to anything else)."""

    def clean(self, value):
        if self.enum_class is None:
            return super().clean(value)
        return self.enum_class(value)  # ValueError: the filter is dropped


class _EnumNotEqual(sqla_filters.EnumFilterNotEqual):
    clean = _EnumEqual.clean


class _EnumInList(sqla_filters.EnumFilterInList):
    def clean(self, value):
        values = [v.strip() for v in value.split(",") if v.strip()]
        return [self.enum_class(v) for v in values] if self.enum_class else values


class _EnumNotInList(sqla_filters.EnumFilterNotInList):
    clean = _EnumInList.clean


# The largest integer the databases store (BIGINT); a larger one in a URL is no id of ours, and
# SQLite would raise OverflowError binding it.
MAX_INT = 2**63 - 1


def bounded_int(value) -> int:
    """`value` as an int the database can take; ValueError otherwise."""
    number = int(value)
    if not -MAX_INT <= number <= MAX_INT:
        raise ValueError("out of range")
    return number


class _Bounded:
    """Number filters refuse what no column holds: ids past BIGINT, infinities, NaN. Refused
    values are flashed as invalid (Flask-Admin's `validate`), never sent to the database."""

    def clean(self, value):
        cleaned = super().clean(value)
        for value in cleaned if isinstance(cleaned, list) else [cleaned]:
            if isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
                raise ValueError("out of range")
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError("not a finite number")
        return cleaned


def _bounded(cls):
    return type(f"Bounded{cls.__name__}", (_Bounded, cls), {})


IntEqualFilter = _bounded(sqla_filters.IntEqualFilter)


class FilterConverter(sqla_filters.FilterConverter):
    """Adds filters for UTCDateTime columns (typed in local time, compared in UTC) and enum
    filters that match stored values."""

    enum = (
        _EnumEqual,
        _EnumNotEqual,
        sqla_filters.EnumFilterEmpty,
        _EnumInList,
        _EnumNotInList,
    )

    int_filters = tuple(_bounded(cls) for cls in sqla_filters.FilterConverter.int_filters)
    float_filters = tuple(_bounded(cls) for cls in sqla_filters.FilterConverter.float_filters)

    utc_datetime_filters = tuple(
        _local(cls) for cls in sqla_filters.FilterConverter.datetime_filters
    )

    @filters.convert("enum")
    def conv_enum(self, column, name, options=None, **kwargs):
        # Flask-Admin offers the stored values ("awaiting_attestation") as the choices' words:
        # the reader's words instead. It reads the options once, when the view is made, and
        # turns them into text for each page: lazy words, so each reader gets their language.
        enum_class = getattr(column.type, "enum_class", None)
        if not options and enum_class is not None:

            def options():
                return [(member.value, lazy_label(member)) for member in enum_class]

        return super().conv_enum(column, name, options, **kwargs)

    @filters.convert("utcdatetime")
    def conv_utc_datetime(self, column, name, **kwargs):
        return [f(column, name, **kwargs) for f in self.utc_datetime_filters]


class ModelConverter(AdminModelConverter):
    @converts("UTCDateTime")
    def convert_utc_datetime(self, field_args, **extra):
        return self.convert_datetime(field_args=field_args, **extra)


# A formatter's `for_page()` gives the same formatter with the request's locale looked up
# once: a list page binds it for its rows (views/list_rows.py).


def _datetime_formatter(view, value, name):
    return local_datetime(value, "short")


def _datetime_for_page():
    write = datetime_writer("short")
    return lambda view, value, name: write(value)


_datetime_formatter.for_page = _datetime_for_page


def _enum_formatter(view, value, name):
    return label(value)


def _enum_for_page():
    words: dict = {}  # each member's words, translated once a page

    def write(view, value, name):
        if value not in words:
            words[value] = label(value)
        return words[value]

    return write


_enum_formatter.for_page = _enum_for_page


def _enum_value(view, value, name):
    return value.value  # exports keep the stable value, for whoever processes the file


def _decimal_formatter(view, value, name):
    return number(value)  # as the reader writes numbers: 25 000,00 in Swedish


LIST_FORMATTERS = dict(typefmt.BASE_FORMATTERS)
LIST_FORMATTERS.update(
    {datetime: _datetime_formatter, Enum: _enum_formatter, Decimal: _decimal_formatter}
)

EXPORT_FORMATTERS = dict(typefmt.EXPORT_FORMATTERS)
EXPORT_FORMATTERS.update(
    {
        datetime: lambda view, value, name: value.isoformat(),
        Enum: _enum_value,
        Decimal: lambda view, value, name: str(value),
    }
)

DETAIL_FORMATTERS = dict(typefmt.DETAIL_FORMATTERS)
DETAIL_FORMATTERS.update(LIST_FORMATTERS)


def money_column(view, context, model, name):
    """A fee column shown with its row's currency, as the reader writes money."""
    return money(getattr(model, name), model.currency)


def _money_for_page():
    write = money_writer()
    return lambda view, context, model, name: write(getattr(model, name), model.currency)


money_column.for_page = _money_for_page
