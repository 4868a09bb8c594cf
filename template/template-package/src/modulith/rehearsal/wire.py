"""A service call's arguments, result and errors as JSON, by the function's type hints.

The converter is the events' (cattrs with its JSON preset, Decimal and UUID as exact
text), so a service's interface travels as an event's payload does: dataclasses,
dates, enums and the like are rebuilt as their annotated types on the other side.
"""

import inspect
import typing
from collections.abc import Callable
from types import ModuleType
from typing import Any

from modulith.events.publishing import converter
from modulith.json import JSON


def hints(function: Callable[..., Any]) -> dict[str, Any]:
    return typing.get_type_hints(function)


def arguments_to_json(
    function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, JSON]:
    """The call's arguments by parameter name, each unstructured as its annotation says."""
    bound = inspect.signature(function).bind(*args, **kwargs)
    types = hints(function)
    return {
        name: converter.unstructure(value, unstructure_as=types.get(name, Any))
        for name, value in bound.arguments.items()
    }


def arguments_from_json(function: Callable[..., Any], arguments: dict[str, JSON]) -> dict[str, Any]:
    types = hints(function)
    return {
        name: converter.structure(value, types.get(name, Any)) for name, value in arguments.items()
    }


def result_to_json(function: Callable[..., Any], result: Any) -> JSON:
    returns = hints(function).get("return", Any)
    unstructured: JSON = converter.unstructure(result, unstructure_as=returns)
    return unstructured


def result_from_json(function: Callable[..., Any], result: JSON) -> Any:
    returns = hints(function).get("return", Any)
    return None if returns is type(None) else converter.structure(result, returns)


def error_to_json(error: Exception) -> dict[str, JSON]:
    return {"error": type(error).__qualname__, "args": converter.unstructure(list(error.args))}


def error_from_json(services: ModuleType, error: dict[str, JSON]) -> Exception | None:
    """The callee's own exception rebuilt, if `services` defines one by that name."""
    error_type = getattr(services, str(error.get("error")), None)
    if not (isinstance(error_type, type) and issubclass(error_type, Exception)):
        return None
    args = error.get("args")
    return error_type(*(args if isinstance(args, list) else ()))
