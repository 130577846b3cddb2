"""Writing a form's values onto a record, for the services that own the record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def assign(obj, values: Mapping, *, allowed: Iterable[str]) -> None:
    """Set `values` on `obj`, text stripped. A key outside `allowed` is a programming error
    (a view offering a field the service does not own), not bad input: TypeError."""
    allowed = set(allowed)
    unknown = set(values) - allowed
    if unknown:
        raise TypeError(f"{type(obj).__name__} does not take {sorted(unknown)} here")
    for key, value in values.items():
        setattr(obj, key, value.strip() if isinstance(value, str) else value)
