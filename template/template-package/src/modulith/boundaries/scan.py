"""Read every module of the project's packages, reusing what the last run read.

Parsing thousands of files costs seconds; most runs change a handful. The cache keeps
each file's facts with its size, modification time and a hash of its contents. A file
whose size and time are unchanged is not read again, unless it changed so close to
the last run that its time cannot tell (git's "racy" files); one whose time changed
but whose contents did not (a checkout, a restored CI cache) is read but not parsed.
The cache is dropped whole when the reading code or the Python version changes.
"""

import hashlib
import marshal
import os
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from modulith.boundaries.source import ROOT_PACKAGES, ModuleFacts, module_name, read_module

CACHE_FILE = ".boundaries_cache"
RACY_NS = 2_000_000_000  # a file changed this close before the last run is hashed again
PARALLEL_FROM = 500  # files to parse before starting a process per core pays off

Entry = tuple[int, int, bytes, tuple[Any, ...]]  # mtime, size, content hash, ModuleFacts


class Module(NamedTuple):
    """One module of the project: its name, its file (relative to the project) and facts."""

    name: str
    file: str
    facts: ModuleFacts


def scan(root: Path, use_cache: bool = True) -> dict[str, Module]:
    """Every module under the root packages (`apps`, `core`, `config`), by module name.

    Raises SyntaxError, with the file's relative path, for a file Python cannot parse.
    """
    cache_path = root / CACHE_FILE
    version = cache_version()
    saved_at, cached = load_cache(cache_path, version) if use_cache else (0, {})
    started_at = time.time_ns()
    entries: dict[str, Entry] = {}
    stale: list[tuple[str, int, int, Entry | None]] = []
    for file, stat in python_files(str(root)):
        mtime, size = stat.st_mtime_ns, stat.st_size
        entry = cached.get(file)
        if entry is None or entry[:2] != (mtime, size) or mtime >= saved_at - RACY_NS:
            stale.append((file, mtime, size, entry))
        else:
            entries[file] = entry
    entries.update(zip((file for file, *_ in stale), read_all(root, stale), strict=True))
    if use_cache and (stale or entries.keys() != cached.keys()):
        save_cache(cache_path, version, started_at, entries)
    modules = {}
    for file, entry in entries.items():
        name = module_name(file)[0]
        modules[name] = Module(name, file, ModuleFacts(*entry[3]))
    return modules


def read_all(root: Path, stale: list[tuple[str, int, int, Entry | None]]) -> Iterator[Entry]:
    """Fresh entries for these files; many (a first run) are parsed on every core."""
    workers = os.cpu_count() or 1
    if len(stale) < PARALLEL_FROM or workers == 1:
        return map(partial(read, root), stale)
    from concurrent.futures import ProcessPoolExecutor  # costs 50 ms to import: only here

    with ProcessPoolExecutor(workers) as pool:
        chunk = len(stale) // (4 * workers) + 1
        return iter(list(pool.map(partial(read, root), stale, chunksize=chunk)))


def read(root: Path, item: tuple[str, int, int, Entry | None]) -> Entry:
    """A fresh cache entry; the facts are parsed again only if the contents changed."""
    file, mtime, size, old = item
    source = (root / file).read_bytes()
    digest = hashlib.blake2b(source, digest_size=16).digest()
    if old is not None and old[2] == digest:
        return mtime, size, digest, old[3]
    try:
        facts = read_module(source, *module_name(file))
    except SyntaxError as error:
        error.filename = file
        raise
    return mtime, size, digest, tuple(facts)


def python_files(root: str) -> list[tuple[str, os.stat_result]]:
    """(path relative to `root`, stat) of every `.py` file in the root packages."""
    found = []
    directories = sorted(ROOT_PACKAGES)
    while directories:
        directory = directories.pop()
        try:
            entries = os.scandir(os.path.join(root, directory))
        except FileNotFoundError:
            continue  # a project without `config`, say
        with entries:
            for entry in entries:
                name = entry.name
                if name.endswith(".py") and entry.is_file():
                    found.append((f"{directory}/{name}", entry.stat()))
                elif entry.is_dir() and not name.startswith((".", "__")):
                    directories.append(f"{directory}/{name}")
    return found


def cache_version() -> bytes:
    """Changes whenever the code that reads files, or Python itself, changes."""
    reader = Path(__file__).with_name("source.py").read_bytes()
    return hashlib.sha256(reader + sys.version.encode()).digest()


def load_cache(path: Path, version: bytes) -> tuple[int, dict[str, Entry]]:
    """(when the cache was written, its entries); nothing when it cannot be used."""
    try:
        # The cache is this command's own file in the project: whoever can write it
        # can write the project's code, so reading it trusts nothing new.
        stored_version, saved_at, entries = marshal.loads(path.read_bytes())  # noqa: S302
    except (OSError, EOFError, ValueError, TypeError):
        return 0, {}  # absent, unreadable or from another Python: read every file again
    return (saved_at, entries) if stored_version == version else (0, {})


def save_cache(path: Path, version: bytes, saved_at: int, entries: dict[str, Entry]) -> None:
    """Write atomically; a read-only checkout simply runs without a cache."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        temporary.write_bytes(marshal.dumps((version, saved_at, entries)))
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
