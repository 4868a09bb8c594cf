"""No worker: each task runs at once, in the calling process."""

from collections.abc import Sequence

from modulith import worker
from modulith.json import JSON


def submit(path: str, args: Sequence[JSON]) -> None:
    worker.run(path, *args)
