"""The worker runs the project's own tasks, and nothing else a message may name."""

import pytest

from modulith.events.delivery import deliver_publications
from modulith.worker import resolve_task, task_path


def test_the_worker_resolves_only_the_projects_tasks() -> None:
    assert resolve_task("modulith.events.delivery.deliver_publications") is deliver_publications
    for path in ("os.system", "subprocess.run", "modulith.events.delivery.sweep", "builtins.eval"):
        assert resolve_task(path) is None, path


def test_enqueueing_any_other_function_is_refused() -> None:
    with pytest.raises(ValueError, match="is not a task"):
        task_path(print)
