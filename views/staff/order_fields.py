"""The extra fields an offering's order asks for, edited as rows of a table — never as JSON.

Each row is a field: its label, a key (made from the label when left empty), a type, whether
it is required, and for a choice its options, one per line. Empty rows are ignored and a row
can be removed; three empty rows wait for new fields (save, and three more appear). It works
without JavaScript. `adminapp.services.catalog.check_order_fields` checks the rows.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.utils import unset_value

from adminapp.services.catalog import FIELD_TYPES

BLANK_ROWS = 3

TYPE_LABELS = {
    "text": _l("Text"),
    "number": _l("Number"),
    "date": _l("Date"),
    "choice": _l("Choice from a list"),
}


class OrderFieldRow(Form):
    """One field of the order form. A plain Form: the page's CSRF token covers it."""

    label = StringField(_l("Label"))
    name = StringField(_l("Key"))
    type = SelectField(
        _l("Type"), choices=[(kind, TYPE_LABELS[kind]) for kind in FIELD_TYPES], default="text"
    )
    required = BooleanField(_l("Required"))
    choices = TextAreaField(_l("Choices, one per line"), render_kw={"rows": 2})
    remove = BooleanField(_l("Remove"))


COLUMNS = ("label", "name", "type", "required", "choices", "remove")


class OrderFieldsTable:
    """Renders the rows as a table: a visible heading per column, and each control labelled
    with its column and row ("Label, field 2") for screen readers."""

    input_type = "table"  # Flask-Admin's form template reads it

    def __call__(self, field, **kwargs) -> Markup:
        rows = list(field)
        head = Markup("").join(
            Markup('<th scope="col">{}</th>').format(rows[0].form[name].label.text)
            for name in COLUMNS
        )
        body = Markup("").join(self._row(row, number) for number, row in enumerate(rows, 1))
        return Markup(
            '<div class="table-responsive"><table class="table table-sm order-fields">'
            "<thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>"
        ).format(head, body)

    @staticmethod
    def _row(row, number: int) -> Markup:
        cells = []
        for name in COLUMNS:
            control = row.form[name]
            label = _("%(column)s, field %(n)d", column=control.label.text, n=number)
            css = "" if control.type == "BooleanField" else "form-control form-control-sm"
            errors = Markup("").join(
                Markup('<div class="text-danger small" id="{}-error">{}</div>').format(
                    control.id, error
                )
                for error in control.errors
            )
            attributes = {"class_": css} if css else {}
            if control.errors:
                attributes["aria-describedby"] = f"{control.id}-error"
                attributes["aria-invalid"] = "true"
            cells.append(
                Markup('<td><label class="sr-only" for="{}">{}</label>{}{}</td>').format(
                    control.id, label, control(**attributes), errors
                )
            )
        return Markup("<tr>{}</tr>").format(Markup("").join(cells))


class OrderFieldsField(FieldList):
    """The offering's `order_fields` as rows; its data is the list of rows as typed."""

    widget = OrderFieldsTable()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(FormField(OrderFieldRow), label, validators, **kwargs)

    def process(self, formdata, data=unset_value, extra_filters=None):
        if isinstance(data, list):  # stored fields: their options as lines
            data = [{**spec, "choices": "\n".join(spec.get("choices", []))} for spec in data]
        super().process(formdata, data)
        submitted = formdata is not None and any(k.startswith(f"{self.name}-") for k in formdata)
        if not submitted:
            for _blank in range(BLANK_ROWS):
                self.append_entry()
        # The form's label names the table's first control: a label must label a control.
        self.id = f"{self.name}-0-label"
