"""Read every Python file of the project, reusing what the last run read.

Parsing thousands of files costs seconds; most runs change a handful. The cache keeps
each file's facts under a hash of its contents: every file is read and hashed on every
run (cheap next to parsing), so a rewrite that keeps the size and restores the
modification time never serves a stale verdict, and a checkout or a restored CI cache
that only touches the times parses nothing. The cache is dropped whole when the reading
code or the Python version changes.

Which files: everything in `apps/`, `core/` and `config/`, the project's top-level
`.py` files, and every other top-level folder, a package or not (model.py says who
owns each). Hidden folders, `__pycache__`, `node_modules`, virtual
environments (a folder with a `pyvenv.cfg`) and the template's package
(`template-package/`) are not read. A file that cannot be read or parsed, and a
folder that cannot be listed or links back into itself or outside the project, become
findings, never a traceback.
"""

import gc
import hashlib
import marshal
import os
import select
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache, cached_property
from pathlib import Path
from typing import Any, NamedTuple

from modulith.boundaries.source import (
    ROOT_PACKAGES,
    ModuleFacts,
    module_name,
    read_module,
    unparsable,
)

CACHE_FILE = ".boundaries_cache"
PARALLEL_FROM = 300  # files to parse before a process per core pays for its start
BATCH = 16  # files a reading process takes at a time: small, so all finish together
READ_SIZE = 1 << 16  # bytes asked for at a time: most files come in one read
MAX_BATCHES = 256  # their numbers, a byte each, fit in the smallest pipe POSIX allows
PACKAGE_FOLDER = "template-package"  # the template's package: owned by it, not read
NOT_READ = frozenset({PACKAGE_FOLDER, "__pycache__", "node_modules"})  # folders left out
# The code whose output the cache keeps: a change to any of it drops the cache whole.
READING_CODE = (
    "source.py",
    "names.py",
    "scan.py",
    "model.py",
    "rules.py",
    "cli.py",
    "../domains.py",
)

Entry = tuple[bytes, tuple[Any, ...]]  # content hash, ModuleFacts
Problem = tuple[str, int, str]  # (file or folder, line, what went wrong)


def nothing() -> None:
    """What `scan_project` runs while others read, unless told otherwise."""


class Module(NamedTuple):
    """One module of the project: its name, its file (relative to the project) and facts."""

    name: str
    file: str
    facts: ModuleFacts


class Scan:
    """Every file of the project as read: its facts by file, what could not be walked
    or read, and the key naming this exact source (every file's path and content hash).

    `verdict` is what an earlier run with the same reading code concluded from the
    same key, or None: it can never be stale, since any change of content changes the key.
    """

    def __init__(
        self, root: Path, entries: dict[str, Entry], problems: list[Problem], verdict: Any
    ) -> None:
        self.root, self.entries, self.problems, self.verdict = root, entries, problems, verdict
        digests = [(file, entry[0]) for file, entry in entries.items()]
        self.key = hashlib.blake2b(marshal.dumps((digests, problems)), digest_size=16).digest()

    @cached_property
    def modules(self) -> dict[str, Module]:
        """Every module read, by module name."""
        found = {}
        for file, entry in self.entries.items():
            name = module_name(file)[0]
            found[name] = Module(name, file, ModuleFacts._make(entry[1]))
        return found

    def save(self, verdict: Any = None) -> None:
        """Keep the facts (and what was concluded from them) for the next run: written
        atomically; a read-only checkout simply runs without a cache."""
        path = self.root / CACHE_FILE
        temporary = path.with_name(f"{path.name}.{os.getpid()}")
        stored = (cache_version(), self.entries, self.key, verdict)
        try:
            temporary.write_bytes(marshal.dumps(stored))
            os.replace(temporary, path)
        except OSError:
            temporary.unlink(missing_ok=True)


def scan(root: Path, use_cache: bool = True) -> dict[str, Module]:
    """Every module read, by module name (problems of the walk left out: see scan_project)."""
    return scan_project(root, use_cache).modules


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run without the cyclic garbage collector: reading builds no cycles, and the
    collector would otherwise walk every fact kept so far, again and again (a sixth of
    a cold run's time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def scan_project(
    root: Path, use_cache: bool = True, save: bool = True, meanwhile: Callable[[], None] = nothing
) -> Scan:
    """Every module of the project, read through the cache unless told otherwise; with
    `save`, what was read is cached for the next run (else the caller saves the scan).
    `meanwhile` runs here while other processes read, when they do."""
    with collector_paused():
        cached, key, verdict = load_stored(root / CACHE_FILE) if use_cache else ({}, b"", None)
        files, problems = python_files(str(root))
        entries: dict[str, Entry] = {}
        stale: list[tuple[str, bytes]] = []  # (file, content hash) of files to parse
        if not cached:  # nothing to compare with: each file is read once, where it is parsed
            stale = [(file, b"") for file in files]
            files = []
        for file in files:
            try:
                source = read_bytes(os.path.join(root, file))
            except OSError as error:
                problems.append((file, 1, f"cannot be read: {error.strerror or error}"))
                continue
            digest = hashlib.blake2b(source, digest_size=16).digest()
            entry = cached.get(file)
            if entry is not None and entry[0] == digest:
                entries[file] = entry
            else:
                stale.append((file, digest))
        for (file, _), entry in zip(stale, read_all(str(root), stale, meanwhile), strict=True):
            if entry[0]:
                entries[file] = entry
            else:
                problems.append((file, 1, entry[1][0]))
        if stale:
            entries = dict(sorted(entries.items()))  # the key must not depend on the order read
        found = Scan(root, entries, problems, None)
        if found.key == key:
            found.verdict = verdict
        elif use_cache and save:
            found.save()
        return found


def read_all(
    root: str, stale: list[tuple[str, bytes]], meanwhile: Callable[[], None] = nothing
) -> list[Entry]:
    """Fresh entries for these files. Many (a first run) are shared out among the
    cores: this process and a forked child per other core take small batches of files
    in turn until none is left, so a process the machine holds back takes fewer
    batches. The batches are handed out as their numbers, a byte each, in a pipe that
    every process reads a byte at a time. Each child sends every batch's entries,
    marshalled, through a pipe of its own as soon as they are read, and this process
    takes them in between its own batches: when the reading ends, little is left to
    take. Forking by hand, rather than through concurrent.futures or multiprocessing,
    costs neither their 50 ms of imports nor pickling; where there is no fork
    (Windows) or threads run (fork would copy their locks), everything is read here.
    Once the children run, this process runs `meanwhile` before it reads."""
    workers = min(os.cpu_count() or 1, len(stale) // PARALLEL_FROM + 1)
    threads = sys.modules.get("threading")
    if workers == 1 or not hasattr(os, "fork") or (threads and threads.active_count() > 1):
        return [read_file(root, item) for item in stale]
    size = max(BATCH, len(stale) // MAX_BATCHES + 1)
    batches = [stale[start : start + size] for start in range(0, len(stale), size)]
    numbers, handing_out = os.pipe()
    os.write(handing_out, bytes(range(len(batches))))
    os.close(handing_out)  # an empty pipe then reads as its end: no batch left
    children = dict(fork_reader(root, batches, numbers) for _ in range(workers - 1))
    meanwhile()
    read: dict[int, list[Entry]] = {}
    pipes = list(children.values())
    for number in taken(numbers):
        read[number] = [read_file(root, item) for item in batches[number]]
        receive(pipes, read, wait=False)
    os.close(numbers)
    receive(pipes, read, wait=True)
    for pid in children:
        os.waitpid(pid, 0)
    # A batch a failed child took is read here.
    return [
        entry
        for number, batch in enumerate(batches)
        for entry in read.get(number) or [read_file(root, item) for item in batch]
    ]


def taken(numbers: int) -> Iterator[int]:
    """The numbers of the batches this process takes from the pipe of batch numbers."""
    while number := os.read(numbers, 1):
        yield number[0]


def receive(pipes: list[int], read: dict[int, list[Entry]], wait: bool) -> None:
    """Take the batches the children have sent, into `read`: those already in their
    pipes, or with `wait`, every one until each child has closed its pipe (a child
    that failed sends nothing more, and its batch is read again)."""
    while pipes:
        ready = select.select(pipes, [], [], None if wait else 0)[0]
        if not ready:
            return
        for pipe in ready:
            batch = received(read_frame(pipe))
            if batch is None:
                pipes.remove(pipe)
                os.close(pipe)
            else:
                read[batch[0]] = batch[1]


def received(frame: bytes) -> tuple[int, list[Entry]] | None:
    """(number, entries) of a batch a child sent; None at its end or if it broke off."""
    if not frame:
        return None
    try:
        number, entries = marshal.loads(frame)  # noqa: S302 (our own child's output)
    except (EOFError, ValueError, TypeError):
        return None
    return number, entries


def read_frame(pipe: int) -> bytes:
    """One frame a child sent (its length, 4 bytes, then its bytes), or b"" at the end."""
    head = read_exactly(pipe, 4)
    return read_exactly(pipe, int.from_bytes(head, "little")) if len(head) == 4 else b""


def read_exactly(pipe: int, size: int) -> bytes:
    parts, left = [], size
    while left and (part := os.read(pipe, min(left, READ_SIZE))):
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def fork_reader(root: str, batches: list[list[tuple[str, bytes]]], numbers: int) -> tuple[int, int]:
    """(pid, read end of its pipe) of a child that reads the batches it takes and sends
    each one's number and entries, marshalled, down the pipe."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid:
        os.close(writer)
        return pid, reader
    try:  # the child: nothing but its batches, then leave at once (no clean-up to run)
        os.close(reader)
        with os.fdopen(writer, "wb") as out:
            for number in taken(numbers):
                frame = marshal.dumps((number, [read_file(root, item) for item in batches[number]]))
                out.write(len(frame).to_bytes(4, "little") + frame)
                out.flush()
    finally:
        os._exit(0)


def read_file(root: str, item: tuple[str, bytes]) -> Entry:
    """A fresh cache entry: the facts, or the reason Python cannot parse the file; for a
    file that cannot be read, an empty hash and the reason."""
    file, digest = item
    try:
        source = read_bytes(os.path.join(root, file))
    except OSError as error:
        return b"", (f"cannot be read: {error.strerror or error}",)
    digest = digest or hashlib.blake2b(source, digest_size=16).digest()
    try:
        facts = read_module(source, *module_name(file))
    except SyntaxError as error:
        facts = unparsable(error.lineno or 1, error.msg)
    except (ValueError, RecursionError, MemoryError) as error:  # NUL bytes, deep nesting
        facts = unparsable(1, str(error) or type(error).__name__)
    return digest, tuple(facts)


def read_bytes(path: str) -> bytes:
    """The file's contents, read straight from its descriptor: no file object and no
    buffer, which cost more than the reading on a project's small files."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        parts = []
        while part := os.read(descriptor, READ_SIZE):
            parts.append(part)
        return b"".join(parts)
    finally:
        os.close(descriptor)


def python_files(root: str) -> tuple[list[str], list[tuple[str, int, str]]]:
    """(paths relative to `root` of every `.py` file to read, problems of the walk)."""
    found: list[str] = []
    problems: list[tuple[str, int, str]] = []
    # (folder, its inode): a folder's own entry names its inode, so only a linked
    # folder costs a stat, to find where it leads (see `visited`).
    directories: list[tuple[str, int | None]] = []
    try:
        device = os.stat(root).st_dev
        top = list(os.scandir(root))
    except OSError as error:
        return [], [(".", 1, f"cannot be listed: {error.strerror or error}")]
    for entry in top:
        name = entry.name
        if name.endswith(".py") and is_file(entry):
            found.append(name)
        elif name in ROOT_PACKAGES or (
            not name.startswith(".")
            and name not in NOT_READ
            and is_dir(entry)
            and not os.path.exists(os.path.join(entry.path, "pyvenv.cfg"))
        ):
            directories.append((name, inode(entry)))
    # Folders read, by (device, inode): a link back to one would loop. A folder's
    # inode comes from its entry, with the project's device (a folder mounted inside
    # the project is read once more at most, through a link to it).
    visited: set[tuple[int, int]] = set()
    while directories:
        directory, number = directories.pop()
        path = os.path.join(root, directory)
        try:
            if number is None:
                status = os.stat(path)
                key = (status.st_dev, status.st_ino)
            else:
                key = (device, number)
            entries = os.scandir(path)
        except FileNotFoundError:
            continue  # a project without `config`, say
        except OSError as error:
            problems.append((directory, 1, f"cannot be listed: {error.strerror or error}"))
            continue
        if key in visited:
            problems.append((directory, 1, "links back to a folder read already (a loop)"))
            entries.close()
            continue
        visited.add(key)
        with entries:
            try:  # listing goes on as it is read: it too may fail half-way
                for entry in entries:
                    name = entry.name
                    if name.endswith(".py") and is_file(entry):
                        found.append(f"{directory}/{name}")
                    elif is_dir(entry) and not name.startswith(".") and name not in NOT_READ:
                        if entry.is_symlink() and outside(entry.path, root):
                            problems.append(
                                (f"{directory}/{name}", 1, "links to a folder outside the project")
                            )
                            continue
                        directories.append((f"{directory}/{name}", inode(entry)))
            except OSError as error:
                problems.append((directory, 1, f"cannot be listed: {error.strerror or error}"))
    return sorted(found), problems


def inode(entry: os.DirEntry[str]) -> int | None:
    """A folder's inode as its entry gives it; None for a link (or where the entry
    cannot tell), whose target a stat must find."""
    try:
        return None if entry.is_symlink() else entry.inode() or None
    except OSError:
        return None


def outside(path: str, root: str) -> bool:
    """Whether a linked folder lies outside the project (`/`, say: not walked)."""
    real, top = os.path.realpath(path), os.path.realpath(root)
    return os.path.commonpath([real, top]) != top


def is_file(entry: os.DirEntry[str]) -> bool:
    """A file, or a link to none (a dangling link is read, and reported as unreadable)."""
    try:
        return entry.is_file() or (entry.is_symlink() and not os.path.exists(entry.path))
    except OSError:
        return False


def is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


@cache
def cache_version() -> bytes:
    """Changes whenever the code that reads files and judges them, or Python, changes."""
    here = Path(__file__).parent
    code = b"".join((here / name).read_bytes() for name in READING_CODE)
    return hashlib.blake2b(code + sys.version.encode(), digest_size=16).digest()


def load_stored(path: Path) -> tuple[dict[str, Entry], bytes, Any]:
    """(cached entries, the key of the source they were read from, the verdict kept
    with them); nothing when the cache cannot be used."""
    try:
        # The cache is this command's own file in the project: whoever can write it
        # can write the project's code, so reading it trusts nothing new.
        version, entries, key, verdict = marshal.loads(path.read_bytes())  # noqa: S302
    except (OSError, EOFError, ValueError, TypeError):
        return {}, b"", None  # absent, unreadable or from another Python: read every file
    if version != cache_version() or not isinstance(entries, dict):
        return {}, b"", None
    return entries, key, verdict


def load_cache(path: Path, version: bytes) -> dict[str, Entry]:
    """The cached entries, if they were read by this version of the reading code."""
    return load_stored(path)[0] if version == cache_version() else {}
