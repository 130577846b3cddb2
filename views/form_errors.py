"""Every error of a form at once, for the summary at the top of the page (the GOV.UK pattern):
each names its field and links to it."""

from __future__ import annotations

from typing import NamedTuple

from wtforms import FieldList, FormField


class FormError(NamedTuple):
    field_id: str
    label: str
    message: str


def form_errors(form) -> list[FormError]:
    """The form's errors in the order of its fields, rows of a table field included."""
    found: list[FormError] = []
    for field in form or ():
        if field.type == "CSRFTokenField":
            continue
        _collect(field, field.label.text, found)
    return found


def _collect(field, label: str, found: list[FormError]) -> None:
    if isinstance(field, FieldList):
        for error in field.errors:
            if isinstance(error, str):
                found.append(FormError(field.id, label, error))
        for entry in field.entries:
            _collect(entry, label, found)
        return
    if isinstance(field, FormField):
        for sub in field.form:
            _collect(sub, f"{label}: {sub.label.text}", found)
        return
    for error in field.errors:
        if isinstance(error, str):
            found.append(FormError(field.id, label, error))
