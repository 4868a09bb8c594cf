"""The type of values that travel as JSON: task arguments, event payloads."""

from collections.abc import Mapping, Sequence

JSON = str | int | float | bool | None | Sequence["JSON"] | Mapping[str, "JSON"]
