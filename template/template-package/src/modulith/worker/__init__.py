"""The background worker behind one function, `enqueue(function, *args)`.

Domains enqueue their own `tasks` through it, and durable events are delivered
through it. Arguments must be JSON values (ids, not model instances): the task may run
later, in another process, after the data changed. Only the project's own tasks can
be enqueued: functions defined in a domain's `tasks` module, and event delivery.

The MODULITH_WORKER setting picks the adapter: "django-q2" (`modulith.worker.django_q`),
"celery" (`modulith.worker.celery`) or "none" (`modulith.worker.inline`: the function
runs at once, in the calling process; call `enqueue` from `transaction.on_commit`).
"""

import importlib
from collections.abc import Callable, Sequence
from typing import Protocol, cast

from django.conf import settings

from modulith.domains import APPS_PACKAGE, discover_domains, project_root
from modulith.json import JSON
from modulith.telemetry import running_task

Task = Callable[..., object]

EVENT_TASKS = {"modulith.events.delivery.deliver_publications"}
ADAPTERS = {
    "django-q2": "modulith.worker.django_q",
    "celery": "modulith.worker.celery",
    "none": "modulith.worker.inline",
}


class Adapter(Protocol):
    def submit(self, path: str, args: Sequence[JSON]) -> None: ...


def resolve_task(path: str) -> Task | None:
    """The task at this dotted path, if it is one of the project's own; else None.

    The worker resolves each queued path through here, so a message naming any other
    importable function (`os.system`, say) is refused rather than run.
    """
    module_name, _, name = path.rpartition(".")
    package, _, domain = module_name.removesuffix(".tasks").partition(".")
    is_domain_task = (
        module_name.endswith(".tasks")
        and package == APPS_PACKAGE
        and domain in discover_domains(project_root())
    )
    if path not in EVENT_TASKS and not is_domain_task:
        return None
    function = getattr(importlib.import_module(module_name), name, None)
    if not callable(function) or getattr(function, "__module__", None) != module_name:
        return None  # imported into the module, not defined there
    return function  # type: ignore[no-any-return]


def task_path(function: Task) -> str:
    path = f"{function.__module__}.{function.__qualname__}"
    if resolve_task(path) is not function:
        raise ValueError(
            f"{path} is not a task: the worker runs only functions defined in a "
            "domain's tasks module (apps/<domain>/tasks.py)."
        )
    return path


def run(path: str, *args: JSON) -> None:
    """The worker's side of `enqueue`: run the project's task at `path`, and nothing else."""
    function = resolve_task(path)
    if function is None:
        raise LookupError(f"refusing to run {path}: not one of the project's tasks")
    with running_task(path):
        function(*args)


def adapter() -> Adapter:
    """The adapter module of the configured worker."""
    name = getattr(settings, "MODULITH_WORKER", "none")
    if name not in ADAPTERS:
        choices = ", ".join(map(repr, ADAPTERS))
        raise LookupError(f"MODULITH_WORKER is {name!r}: use one of {choices}")
    return cast(Adapter, importlib.import_module(ADAPTERS[name]))


def enqueue(function: Task, *args: JSON) -> None:
    """Run `function(*args)` in the background worker (at once, without one)."""
    adapter().submit(task_path(function), args)


def waiting(function: Task) -> list[list[JSON]] | None:
    """The arguments of `function`'s tasks that wait in the queue, not yet taken by a
    worker; None when the queue cannot be read this way."""
    read = getattr(adapter(), "waiting", None)
    if read is None:
        return None
    return cast(list[list[JSON]] | None, read(task_path(function)))
