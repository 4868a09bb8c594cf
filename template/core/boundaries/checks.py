"""Rule 5 (model-relations) as a Django system check, run by `manage.py check`.

Import checkers cannot see `ForeignKey("inventory.Item")` or a signal connected with
`sender="inventory.Item"`: both name a model by string. Django resolves them, so the
check reads the resolved models from the app registry.
"""

import inspect
import re
import weakref
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from django.apps import AppConfig, apps
from django.core.checks import CheckMessage, Error
from django.db import models
from django.db.models import signals

from core.boundaries.rules import domain_of
from core.domains import BASE_DIR, Declaration, declaration_of

MODEL_SIGNALS = (
    signals.pre_init,
    signals.post_init,
    signals.pre_save,
    signals.post_save,
    signals.pre_delete,
    signals.post_delete,
    signals.m2m_changed,
)


def check_model_relations(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """Relation fields and signal receivers that reach another domain's models undeclared."""
    domains = {
        config.label: config
        for config in apps.get_app_configs()
        if domain_of(config.name) is not None
    }
    return [*relation_errors(domains), *signal_errors(domains)]


def undeclared_reach(source: str, target: str, domains: dict[str, AppConfig]) -> Declaration | None:
    """The source domain's declaration when reaching `target`'s models breaks the rule."""
    if source == target or source not in domains or target not in domains:
        return None
    declaration = declaration_of(source, type(domains[source]))
    return None if target in declaration.model_relations_to else declaration


def relation_errors(domains: dict[str, AppConfig]) -> Iterator[Error]:
    for label, config in domains.items():
        for model in config.get_models():
            for field in (*model._meta.local_fields, *model._meta.local_many_to_many):
                target = field.related_model if field.is_relation else None
                if target is None or isinstance(target, str):
                    continue  # not a relation, or unresolved (Django's own checks report it)
                target_label = target._meta.app_label
                declaration = undeclared_reach(label, target_label, domains)
                if declaration is None:
                    continue
                yield Error(
                    f"{field_location(model, field.name)}: [model-relations] "
                    f"{model._meta.label}.{field.name} is a {type(field).__name__} from "
                    f"'{label}' to {target._meta.label}, a model private to '{target_label}'.",
                    hint=f"keep {target_label}'s ids instead of a relation (e.g. "
                    f"{field.name}_id = models.BigIntegerField()) and read them through "
                    f"apps.{target_label}.services; or, to tie the two schemas on purpose, add "
                    f"'{target_label}' to model_relations_to in {declaration.config_class} "
                    f"({declaration.config_file}).",
                    obj=field,
                    id="boundaries.E001",
                )


def signal_errors(domains: dict[str, AppConfig]) -> Iterator[Error]:
    models_by_id = {id(model): model for model in apps.get_models()}
    for signal in MODEL_SIGNALS:
        for (_, sender_id), stored, *_ in signal.receivers:
            receiver = stored() if isinstance(stored, weakref.ReferenceType) else stored
            sender = models_by_id.get(sender_id)
            if receiver is None or sender is None:
                continue
            source = domain_of(receiver.__module__)
            target_label = sender._meta.app_label
            declaration = undeclared_reach(source or "", target_label, domains)
            if declaration is None:
                continue
            yield Error(
                f"{code_location(receiver)}: [model-relations] {receiver.__qualname__} in "
                f"'{source}' receives {signal_name(signal)} of {sender._meta.label}, a model "
                f"private to '{target_label}'.",
                hint=f"have '{target_label}' publish an event from apps.{target_label}.events "
                f"and subscribe to it; or, to tie the two on purpose, add '{target_label}' to "
                f"model_relations_to in {declaration.config_class} "
                f"({declaration.config_file}).",
                obj=receiver.__qualname__,
                id="boundaries.E002",
            )


def signal_name(signal: signals.ModelSignal) -> str:
    return next(name for name in dir(signals) if getattr(signals, name) is signal)


def field_location(model: type[models.Model], field_name: str) -> str:
    """`apps/orders/models.py:12`, the line that defines the field (else the class)."""
    lines, start = inspect.getsourcelines(model)
    pattern = re.compile(rf"^\s+{re.escape(field_name)}\s*[:=]")
    offset = next((i for i, line in enumerate(lines) if pattern.match(line)), 0)
    return f"{relative(inspect.getsourcefile(model))}:{start + offset}"


def code_location(function: Callable[..., object]) -> str:
    """`apps/orders/handlers.py:8`, where the function (or its first decorator) starts."""
    function = inspect.unwrap(function)
    return f"{relative(inspect.getsourcefile(function))}:{inspect.getsourcelines(function)[1]}"


def relative(file: str | None) -> str:
    path = Path(file or "?").resolve()
    return str(path.relative_to(BASE_DIR)) if path.is_relative_to(BASE_DIR) else str(path)
