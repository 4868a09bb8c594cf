"""Relations between models as a Django system check, run by `manage.py check`.

`check_boundaries` reads relation fields and signal receivers from the source; this
check reads them from the loaded app registry instead, so it also sees relations that
code builds at start-up. It applies the same two rules: model-relations (a domain's
models reach another domain's models only where `model_relations_to` allows it) and
core-neutral (core's models and receivers reach no domain's models); and it reports an
unmanaged model whose table is another domain's, and a model whose `Meta.app_label`
files it under another domain than its code's (public-interface).
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

from modulith.boundaries.names import domain_of
from modulith.domains import declaration_of, project_root

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
    return [
        *relation_errors(domains),
        *signal_errors(domains),
        *table_errors(domains),
        *label_errors(domains),
    ]


def broken_rule(source: str, target: str, domains: dict[str, AppConfig]) -> str | None:
    """The rule broken when code of `source` (an app label, or "core") reaches the
    models of `target`; None when that is allowed, or no domain is reached."""
    if source == target or target not in domains:
        return None
    if source == "core":
        return "core-neutral"
    if source not in domains:
        return None
    declaration = declaration_of(source, type(domains[source]), project_root())
    return None if target in declaration.model_relations_to else "model-relations"


def allow(source: str, target: str, domains: dict[str, AppConfig]) -> str:
    """The end of a hint: how to allow the reach, or why it cannot be allowed."""
    if source == "core":
        return f"or move it into apps/{target}/: core is shared by every domain."
    declaration = declaration_of(source, type(domains[source]), project_root())
    return (
        f"or, to tie the two on purpose, add '{target}' to model_relations_to in "
        f"{declaration.config_class} ({declaration.config_file})."
    )


def relation_errors(domains: dict[str, AppConfig]) -> Iterator[Error]:
    for config in (apps.get_app_config("core"), *domains.values()):
        source = config.label
        for model in config.get_models():
            for field in (*model._meta.local_fields, *model._meta.local_many_to_many):
                target = field.related_model if field.is_relation else None
                if target is None or isinstance(target, str):
                    continue  # not a relation, or unresolved (Django's own checks report it)
                target_label = target._meta.app_label
                rule = broken_rule(source, target_label, domains)
                if rule is None:
                    continue
                read = f" and read them through apps.{target_label}.services"
                read = "" if source == "core" else read
                yield Error(
                    f"{field_location(model, field.name)}: [{rule}] "
                    f"{model._meta.label}.{field.name} is a {type(field).__name__} from "
                    f"'{source}' to {target._meta.label}, a model private to '{target_label}'.",
                    hint=f"keep {target_label}'s ids instead of a relation (e.g. "
                    f"{field.name}_id = models.BigIntegerField()){read}; "
                    + allow(source, target_label, domains),
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
            module = receiver.__module__
            source = domain_of(module) or module.partition(".")[0]
            target_label = sender._meta.app_label
            rule = broken_rule(source, target_label, domains)
            if rule is None:
                continue
            yield Error(
                f"{code_location(receiver)}: [{rule}] {receiver.__qualname__} in "
                f"'{source}' receives {signal_name(signal)} of {sender._meta.label}, a model "
                f"private to '{target_label}'.",
                hint=f"have '{target_label}' publish an event from apps.{target_label}.events "
                "and subscribe to it; " + allow(source, target_label, domains),
                obj=receiver.__qualname__,
                id="boundaries.E002",
            )


def table_errors(domains: dict[str, AppConfig]) -> Iterator[Error]:
    """An unmanaged model whose table is another domain's: the same rows, by another door."""
    owners = {
        table_name(model): model
        for config in domains.values()
        for model in config.get_models()
        if model._meta.managed
    }
    for config in (apps.get_app_config("core"), *domains.values()):
        for model in config.get_models():
            owner = owners.get(table_name(model))
            if model._meta.managed or owner is None:
                continue
            source, target = config.label, owner._meta.app_label
            if source == target or target not in domains:
                continue
            yield Error(
                f"{code_location(model)}: [public-interface] {model._meta.label} is an "
                f"unmanaged model on the table {owner._meta.db_table} of {owner._meta.label}, "
                f"a model private to '{target}'.",
                hint=f"read {target}'s data through apps.{target}.services instead.",
                obj=model,
                id="boundaries.E003",
            )


def table_name(model: type[models.Model]) -> str:
    """The model's table, unquoted (`'"inventory_item"'` is the table inventory_item)."""
    return model._meta.db_table.replace('"', "").replace("`", "").lower()


def label_errors(domains: dict[str, AppConfig]) -> Iterator[Error]:
    """A model whose Meta.app_label files it under a domain other than its code's."""
    by_domain = {domain_of(config.name): label for label, config in domains.items()}
    for model in apps.get_models():
        module = model.__module__
        source = by_domain.get(domain_of(module)) or module.partition(".")[0]
        target = model._meta.app_label
        if source in {target, "config"} or target not in domains:
            continue
        if source not in domains and source != "core":
            continue
        yield Error(
            f"{code_location(model)}: [public-interface] {model._meta.label} is defined in "
            f"'{source}' ({module}) but declares Meta.app_label = '{target}', which files it "
            f"under '{target}', whose models are private to it.",
            hint=f"drop the app_label, or move the model into apps/{target}/ if it is {target}'s.",
            obj=model,
            id="boundaries.E004",
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
    path, root = Path(file or "?").resolve(), project_root().resolve()
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
