"""Read every Python file of the project, reusing what the last run read.

Parsing thousands of files costs seconds; most runs change a handful. The cache keeps
each file's facts under a hash of its contents: every file is read and hashed on every
run (cheap next to parsing), so a rewrite that keeps the size and restores the
modification time never serves a stale verdict, and a checkout or a restored CI cache
that only touches the times parses nothing. The cache is dropped whole when the reading
code or the Python version changes.

Which files: everything in `apps/`, `core/` and `config/`, the project's top-level
`.py` files, and every other top-level package (which then owns nothing: model.py
reports it). Hidden folders, `__pycache__`, virtual environments and the template's
package (`template-package/`) are not read. A file that cannot be read or parsed, and a
folder that links back into itself, become findings, never a traceback.
"""

import hashlib
import marshal
import os
import sys
from collections.abc import Iterator
from functools import partial
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
PARALLEL_FROM = 500  # files to parse before starting a process per core pays off
PACKAGE_FOLDER = "template-package"  # the template's package: owned by it, not read

Entry = tuple[bytes, tuple[Any, ...]]  # content hash, ModuleFacts


class Module(NamedTuple):
    """One module of the project: its name, its file (relative to the project) and facts."""

    name: str
    file: str
    facts: ModuleFacts


class Scan(NamedTuple):
    modules: dict[str, Module]
    problems: list[tuple[str, int, str]]  # (file or folder, line, what went wrong)


def scan(root: Path, use_cache: bool = True) -> dict[str, Module]:
    """Every module read, by module name (problems of the walk left out: see scan_project)."""
    return scan_project(root, use_cache).modules


def scan_project(root: Path, use_cache: bool = True) -> Scan:
    """Every module of the project, by module name, and what could not be walked."""
    cache_path = root / CACHE_FILE
    version = cache_version()
    cached = load_cache(cache_path, version) if use_cache else {}
    files, problems = python_files(str(root))
    entries: dict[str, Entry] = {}
    stale: list[tuple[str, bytes]] = []  # (file, content hash) of files to parse
    if not cached:  # nothing to compare with: each file is read once, where it is parsed
        stale = [(file, b"") for file in files]
        files = []
    for file in files:
        try:
            with open(os.path.join(root, file), "rb") as handle:
                source = handle.read()
        except OSError as error:
            problems.append((file, 1, f"cannot be read: {error.strerror or error}"))
            continue
        digest = hashlib.blake2b(source, digest_size=16).digest()
        entry = cached.get(file)
        if entry is not None and entry[0] == digest:
            entries[file] = entry
        else:
            stale.append((file, digest))
    for (file, _), entry in zip(stale, read_all(str(root), stale), strict=True):
        if entry[0]:
            entries[file] = entry
        else:
            problems.append((file, 1, entry[1][0]))
    if use_cache and (stale or entries.keys() != cached.keys()):
        save_cache(cache_path, version, entries)
    modules = {}
    for file, entry in entries.items():
        name = module_name(file)[0]
        modules[name] = Module(name, file, ModuleFacts(*entry[1]))
    return Scan(modules, problems)


def read_all(root: str, stale: list[tuple[str, bytes]]) -> Iterator[Entry]:
    """Fresh entries for these files; many (a first run) are parsed on every core, each
    process reading the files it parses: only names go out, and the facts come back
    marshalled (much cheaper than pickled)."""
    workers = os.cpu_count() or 1
    if len(stale) < PARALLEL_FROM or workers == 1:
        return map(partial(read_file, root), stale)
    from concurrent.futures import ProcessPoolExecutor  # costs 50 ms to import: only here

    size = len(stale) // (2 * workers) + 1
    chunks = [stale[start : start + size] for start in range(0, len(stale), size)]
    with ProcessPoolExecutor(workers) as pool:
        parts = list(pool.map(partial(read_chunk, root), chunks))
    return (entry for part in parts for entry in marshal.loads(part))  # noqa: S302


def read_chunk(root: str, chunk: list[tuple[str, bytes]]) -> bytes:
    """The entries of these files, marshalled (in a worker process)."""
    return marshal.dumps([read_file(root, item) for item in chunk])


def read_file(root: str, item: tuple[str, bytes]) -> Entry:
    """A fresh cache entry: the facts, or the reason Python cannot parse the file; for a
    file that cannot be read, an empty hash and the reason."""
    file, digest = item
    try:
        with open(os.path.join(root, file), "rb") as handle:
            source = handle.read()
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


def python_files(root: str) -> tuple[list[str], list[tuple[str, int, str]]]:
    """(paths relative to `root` of every `.py` file to read, problems of the walk)."""
    found: list[str] = []
    problems: list[tuple[str, int, str]] = []
    directories: list[str] = []
    try:
        top = list(os.scandir(root))
    except OSError as error:
        return [], [(".", 1, f"cannot be listed: {error.strerror or error}")]
    for entry in top:
        name = entry.name
        if name.endswith(".py") and is_file(entry):
            found.append(name)
        elif name in ROOT_PACKAGES or (
            not name.startswith(".")
            and name != PACKAGE_FOLDER
            and is_dir(entry)
            and os.path.isfile(os.path.join(entry.path, "__init__.py"))
        ):
            directories.append(name)
    visited: set[tuple[int, int]] = set()
    while directories:
        directory = directories.pop()
        path = os.path.join(root, directory)
        try:
            status = os.stat(path)
            entries = os.scandir(path)
        except FileNotFoundError:
            continue  # a project without `config`, say
        except OSError as error:
            problems.append((directory, 1, f"cannot be listed: {error.strerror or error}"))
            continue
        key = (status.st_dev, status.st_ino)
        if key in visited:
            problems.append((directory, 1, "links back to a folder read already (a loop)"))
            entries.close()
            continue
        visited.add(key)
        with entries:
            for entry in entries:
                name = entry.name
                if name.endswith(".py") and is_file(entry):
                    found.append(f"{directory}/{name}")
                elif is_dir(entry) and not name.startswith(".") and name != "__pycache__":
                    directories.append(f"{directory}/{name}")
    return sorted(found), problems


def is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def cache_version() -> bytes:
    """Changes whenever the code that reads files, or Python itself, changes."""
    reader = Path(__file__).with_name("source.py").read_bytes()
    return hashlib.sha256(reader + sys.version.encode()).digest()


def load_cache(path: Path, version: bytes) -> dict[str, Entry]:
    """The cached entries; nothing when the cache cannot be used."""
    try:
        # The cache is this command's own file in the project: whoever can write it
        # can write the project's code, so reading it trusts nothing new.
        stored_version, entries = marshal.loads(path.read_bytes())  # noqa: S302
    except (OSError, EOFError, ValueError, TypeError):
        return {}  # absent, unreadable or from another Python: read every file again
    return entries if stored_version == version and isinstance(entries, dict) else {}


def save_cache(path: Path, version: bytes, entries: dict[str, Entry]) -> None:
    """Write atomically; a read-only checkout simply runs without a cache."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        temporary.write_bytes(marshal.dumps((version, entries)))
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
