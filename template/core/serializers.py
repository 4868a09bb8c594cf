"""Serializers whose validation and OpenAPI schema say the same thing.

DRF's CharField turns numbers into strings (`{"name": 0}` is saved as "0") and trims
whitespace before checking the length, so the schema drf-spectacular derives from it
accepts less and refuses more than the API does. Here text fields accept JSON strings
only, as sent, and their schema pattern states the rest: no NUL character (which
PostgreSQL cannot store) and, unless blank is allowed, one visible character.
"""

import copy
from datetime import datetime
from itertools import repeat
from operator import is_, itemgetter
from types import NoneType
from typing import Any, ClassVar, NamedTuple, TypeVar

from django.core.validators import RegexValidator
from django.db import models
from rest_framework import serializers
from rest_framework.settings import api_settings

_M = TypeVar("_M", bound=models.Model)

# What counts as blank, spelled out: `\s` means different sets in Python's `re` (which
# adds the separators U+001C to U+001F and U+0085) and in the ECMA-262 regular
# expressions of OpenAPI clients, so a pattern with `\s` accepts in the schema what the
# server refuses. These escapes mean the same characters in both, and the one pattern
# string below is both the server's check and the schema's `pattern`.
BLANK_CHARACTERS = (
    r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
NOT_BLANK = RegexValidator(
    rf"\A[^\x00]*[^{BLANK_CHARACTERS}\x00][^\x00]*\Z",
    "Enter text with at least one visible character.",
)
NO_NUL = RegexValidator(r"\A[^\x00]*\Z", "Null characters are not allowed.")


class StrictCharField(serializers.CharField):
    """Text exactly as sent: a JSON string, never a number, not trimmed."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["trim_whitespace"] = False
        super().__init__(**kwargs)
        self.validators.append(NO_NUL if self.allow_blank else NOT_BLANK)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictModelSerializer(serializers.ModelSerializer[_M]):
    """A ModelSerializer whose text fields are StrictCharFields, and whose fields are
    built from the model once per class."""

    _built_fields: ClassVar[dict[str, serializers.Field[Any, Any, Any, Any]] | None] = None

    serializer_field_mapping = {  # noqa: RUF012  (overrides DRF's class attribute)
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        """The fields built from the model once per class, copied for each serializer.

        DRF builds them afresh for every serializer made (introspecting the model and
        its validators each time) and copies declared fields instead; these copies are
        made the same way. A serializer whose fields depend on the request or its
        context overrides this method.
        """
        cls = type(self)
        built = cls.__dict__.get("_built_fields")  # this class's own, not a parent's
        if built is None:
            built = cls._built_fields = super().get_fields()
        return copy.deepcopy(built)


class Column(NamedTuple):
    """A field of a page's rows: its name, its source and the type it renders as is."""

    name: str
    source: str
    unchanged: type | None


class RowListSerializer(serializers.ListSerializer):  # type: ignore[type-arg]
    """Renders a page of rows (dicts from `QuerySet.values()`) a column at a time.

    DRF renders each item through the child serializer, which for every item walks its
    fields again and finds each value through its generic lookup (attributes, keys,
    callables, dotted paths). A row holds each field's value under the field's source,
    so here each field renders its whole column, and the rows are put back together
    from the columns. A value the field would return unchanged (an int for an
    IntegerField, text for a CharField) is not passed through it; None stays None, as
    in DRF. Half the work of DRF's way for a page of 50 rows; written here because no
    maintained library does this for DRF serializers. Anything but rows of plain
    sources (a model instance, a `Data` snapshot) is rendered as DRF does.

    The columns (each field's name, source and the type it renders as it is) are read
    from the child's fields once per serializer class and settings when its fields are
    the same for every serializer (StrictModelSerializer's): a page whose values all
    render as they are then needs no copy of the fields, which costs more than the
    rendering. Columns and rows are walked by the builtins, not in Python.
    """

    child: serializers.Serializer[Any]
    _columns: ClassVar[dict[tuple[Any, ...], tuple[Column, ...]]] = {}

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        rows = list(data.all() if isinstance(data, models.manager.BaseManager) else data)
        columns = self.columns()
        if not columns or not all(map(isinstance, rows, repeat(dict))):
            return super().to_representation(rows)
        names = [column.name for column in columns]
        read = [list(map(itemgetter(column.source), rows)) for column in columns]
        rendered = list(map(self.render, columns, read))
        if (
            all(map(is_, rendered, read))
            and names == [column.source for column in columns]
            and all(map(names.__eq__, map(list, rows)))
        ):
            return list(map(dict, rows))  # each row as it is: its keys are the fields, in order
        return list(map(dict, map(zip, repeat(names), zip(*rendered, strict=True))))

    def columns(self) -> tuple[Column, ...]:
        """The columns to render, none if a field reads anything but one key of a row."""
        child = type(self.child)
        key = (child, api_settings.DATETIME_FORMAT, api_settings.COERCE_BIGINT_TO_STRING)
        known = self._columns.get(key)
        if known is not None:
            return known
        fields = [
            (name, field) for name, field in self.child.fields.items() if not field.write_only
        ]
        columns = (
            ()
            if any(len(field.source_attrs) != 1 for _, field in fields)
            else tuple(
                Column(name, field.source_attrs[0], unchanged_type(field)) for name, field in fields
            )
        )
        if child.get_fields is StrictModelSerializer.get_fields:  # the same for every serializer
            self._columns[key] = columns
        return columns

    def render(self, column: Column, values: list[Any]) -> list[Any]:
        """The column's values, through its field unless each is returned unchanged."""
        if column.unchanged is not None and set(map(type, values)) <= {column.unchanged, NoneType}:
            return values
        return render_column(self.child.fields[column.name], values)


# Renderings that return a value of this type as it is: `int(value)`, `str(value)`.
UNCHANGED_TYPES: dict[Any, type] = {
    serializers.IntegerField.to_representation: int,
    serializers.CharField.to_representation: str,
    serializers.FloatField.to_representation: float,
}


def unchanged_type(field: serializers.Field[Any, Any, Any, Any]) -> type | None:
    """The type of the values the field renders as they are, if any."""
    render = type(field).to_representation
    if render is serializers.DateTimeField.to_representation:
        # Handed to the renderer as they are with DATETIME_FORMAT = None (the settings).
        output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
        return datetime if output_format is None else None
    if render is serializers.BigIntegerField.to_representation:
        # Rendered as text instead with COERCE_BIGINT_TO_STRING.
        coerced = getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
        return None if coerced else int
    return UNCHANGED_TYPES.get(render)


def render_column(field: serializers.Field[Any, Any, Any, Any], values: list[Any]) -> list[Any]:
    """The field's rendering of each value, None for None."""
    unchanged = unchanged_type(field)
    if unchanged is not None and all(type(value) is unchanged or value is None for value in values):
        return values
    render = field.to_representation
    return [None if value is None else render(value) for value in values]
