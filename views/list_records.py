"""A big list's page read as plain records instead of model objects.

The ORM makes an object for each order on a page and for its customer, offering and service,
with identity map and attribute state: a sixth of the orders page's time, for 25 rows
(bench/lists.py). A list that says which columns it shows (`list_page_columns`) and which
columns name each related object it shows (`list_record_relations`) is read instead as one
statement of those columns, and each row becomes a record: an object with the same
attributes, whose related objects have their model's own `__str__`. The page then shows
exactly what it showed from the models (tests/test_list_pages.py compares them cell by
cell); everything else — details, edits, actions, exports — still reads the models.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import and_, inspect
from sqlalchemy.orm import aliased


class Record:
    """A row of a list page: its model's listed columns as attributes."""


@cache
def _related_class(model) -> type:
    """A stand-in of `model` that names itself as `model` does."""
    return type(f"{model.__name__}Record", (Record,), {"__str__": model.__str__})


class RecordReader:
    """How a list reads its page as records: made once a view, used on every page.

    `select(query)` selects the listed `columns` of `model` and, for each `path` of
    `relations` ("offering", "offering.service"), its columns, outer-joined through an alias
    of its own so no join of the query's filters or search is repeated; `make(row)` turns a
    result row into a Record. The aliases and join conditions are made here, once: made for
    each page, they cost more than the models they replace.
    """

    def __init__(self, model, columns, relations: dict[str, tuple]):
        self.own = [column.key for column in columns]
        self.entities = list(columns)
        self.joins = []  # (alias, on clause), in join order
        # `make`'s plan, a step a related record: its slice of the row (start, stop), its
        # columns, its class, its parent's place among the records made before it (0: the
        # row's own) and the parent's attribute that holds it.
        self.steps = []
        aliases, places = {"": model}, {"": 0}
        for path, related_columns in relations.items():
            parent_path, _, attribute = path.rpartition(".")
            parent = aliases[parent_path]
            relationship = inspect(parent).mapper.relationships[attribute]
            target_model = relationship.mapper.class_
            target = aliases[path] = aliased(target_model)
            on = and_(
                *(
                    getattr(parent, _key(relationship.parent, local))
                    == getattr(target, _key(relationship.mapper, remote))
                    for local, remote in relationship.local_remote_pairs
                )
            )
            self.joins.append((target, on))
            key = inspect(target_model).primary_key[0].key
            keys = [key, *(c.key for c in related_columns if c.key != key)]
            start = len(self.entities)
            self.entities += [getattr(target, k) for k in keys]
            stop, cls = len(self.entities), _related_class(target_model)
            self.steps.append((start, stop, keys, cls, places[parent_path], attribute))
            places[path] = len(places)

    def select(self, query):
        for target, on in self.joins:
            query = query.outerjoin(target, on)
        return query.with_entities(*self.entities)

    def make(self, row) -> Record:
        record = Record()
        record.__dict__ = dict(zip(self.own, row, strict=False))  # the row's own columns
        made = [record]
        for start, stop, keys, cls, parent_place, attribute in self.steps:
            parent, related = made[parent_place], None
            if parent is not None:  # else its parent is empty, and so is it
                if row[start] is not None:  # its key: it is there
                    related = cls()
                    related.__dict__ = dict(zip(keys, row[start:stop], strict=True))
                setattr(parent, attribute, related)
            made.append(related)
        return record


def _key(mapper, column) -> str:
    """The attribute name of `column` on `mapper`'s class."""
    return mapper.get_property_by_column(column).key
