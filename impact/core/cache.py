"""Caches, in one place: file fingerprints, cache keys, in-process memo tables and the
disk store of heavy results.

Three kinds of cache serve the project.  Files derived from inputs (ingested transactions,
located suppliers, boundaries as GeoParquet) are named by a :func:`key` over the inputs'
:func:`fingerprint`: a changed input gets a new name, so a stale file is never read.
Tables held in memory for the life of a process (a 2.7M-row postcode index) live in a
:class:`Memo`, and :func:`clear_all` empties every one of them (tests, or after the
reference data changed).  Heavy results computed from a dataset and its settings (the
re-spend model's Monte Carlo, the areas' clusters and hot spots, the districts around a
council) are kept in a :class:`DiskStore`: computed once, read by every session and every
process after, named by a key over the dataset, the settings, :data:`RESULTS_VERSION` and
the code that computed them (:func:`code_version`), so a change to any of them is a miss,
never a stale answer.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import threading
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Generic, TypeVar

from impact.core.atomic import atomic_write_bytes

#: Bumped whenever a cached output changes meaning, so every old cache file is ignored.
CACHE_VERSION = "2"
#: Bumped whenever the stored results' format changes (see :class:`DiskStore`).
RESULTS_VERSION = "1"

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MEMOS: list[Memo] = []


def fingerprint(paths: Iterable[Path | str | None]) -> list[str]:
    """``path:size:mtime`` for each file ("-" for None, ``path:missing`` when absent).

    Size and modification time stand for the content: cheap to read, and any save changes
    them.  Paths are resolved so two spellings of one file agree.
    """
    out = []
    for p in paths:
        if p is None:
            out.append("-")
            continue
        p = Path(p)
        if p.is_file():
            st = p.stat()
            out.append(f"{p.resolve()}:{st.st_size}:{st.st_mtime_ns}")
        else:
            out.append(f"{p}:missing")
    return out


def key(*parts: object, length: int = 16) -> str:
    """A short stable hash of ``parts`` (with :data:`CACHE_VERSION`), for file names."""
    raw = "|".join(str(p) for p in (CACHE_VERSION, *parts))
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:length]


class Memo(Generic[K, V]):
    """A named in-process table of computed values, emptied by :func:`clear_all`.

    ``max_entries`` bounds it (least recently used first out), for values as large as a
    council's figures under many filters.
    """

    def __init__(self, name: str, max_entries: int | None = None) -> None:
        self.name = name
        self.max_entries = max_entries
        self._values: dict[K, V] = {}
        _MEMOS.append(self)

    def once(self, k: K, compute: Callable[[], V]) -> V:
        """The value for ``k``, computed once per process (until cleared or evicted)."""
        # most recently used goes last
        value = self._values.pop(k) if k in self._values else compute()
        self._values[k] = value
        while self.max_entries is not None and len(self._values) > self.max_entries:
            self._values.pop(next(iter(self._values)))
        return value

    def __getitem__(self, k: K) -> V:
        return self._values[k]

    def __setitem__(self, k: K, value: V) -> None:
        self._values[k] = value

    def __contains__(self, k: object) -> bool:
        return k in self._values

    def __len__(self) -> int:
        return len(self._values)

    def clear(self) -> None:
        self._values.clear()


def clear_all() -> None:
    """Empty every in-process memo table."""
    for memo in _MEMOS:
        memo.clear()


_CODE: dict[str, str] = {}


def code_version(*packages: str) -> str:
    """A hash of the project's source (every ``impact/**/*.py``, by content; or only the
    named subpackages, e.g. ``"places"``), once per process: a stored result computed by
    other code is never read back.

    Content, not modification times, so copies of one release share their results and a
    checkout that only touched times does not throw them away.
    """
    name = "/".join(packages) or "impact"
    if name not in _CODE:
        root = Path(__file__).resolve().parents[1]
        digest = hashlib.sha1()
        for folder in [root / p for p in packages] or [root]:
            for path in sorted(folder.rglob("*.py")):
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
        _CODE[name] = digest.hexdigest()[:16]
    return _CODE[name]


class DiskStore(Generic[V]):
    """Heavy results kept on disk as ``<folder>/<name>-<key>.pkl``, shared by every session
    and process that opens the same dataset; :meth:`once` reads one or computes and keeps it.

    The key is :func:`key` over the caller's ``parts`` (what names the dataset and every
    setting the result depends on), :data:`RESULTS_VERSION` and :func:`code_version`.
    Files are written atomically (:func:`impact.core.atomic.atomic_write_bytes`), so a reader
    in another process sees a whole file or none; an unreadable one is computed again; a
    disk that cannot be written costs the next process a recomputation, never an error.
    At most ``max_files`` are kept per folder (the least recently written go first).

    Why pickle: the results are the project's own objects (frames, dataclasses) written by
    the project into its own workspace folder, read only from there.
    """

    def __init__(self, name: str, max_files: int = 64) -> None:
        self.name = name
        self.max_files = max_files
        self.computed = 0  # how many results this process computed (tests read it)
        self.read = 0  # how many it read from disk
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def path(self, folder: Path, parts: Iterable[object]) -> Path:
        """Where the result for ``parts`` is kept under ``folder``."""
        k = key(RESULTS_VERSION, code_version(), self.name, *parts, length=20)
        return Path(folder) / f"{self.name}-{k}.pkl"

    def once(self, folder: Path, parts: Iterable[object], compute: Callable[[], V]) -> V:
        """The result for ``parts``: read from ``folder`` if kept, else computed and kept.

        Sessions of one process asking at once wait for one computation, not one each.
        """
        path = self.path(folder, parts)
        found, value = self._load(path)
        if found:
            return value
        with self._guard:
            lock = self._locks.setdefault(str(path), threading.Lock())
        with lock:
            found, value = self._load(path)
            if found:
                return value
            value = compute()
            self.computed += 1
            self._keep(path, value)
        return value

    def _load(self, path: Path) -> tuple[bool, V | None]:
        if not path.is_file():
            return False, None
        try:
            with path.open("rb") as fh:
                value = pickle.load(fh)
        except Exception as exc:  # any damaged file is recomputed, never fatal
            log.warning("stored result %s unreadable (%s): computing it again", path, exc)
            return False, None
        self.read += 1
        return True, value

    def _keep(self, path: Path, value: V) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            self._prune(path.parent)
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
            log.warning("could not keep %s (%s): the next process computes it again", path,
                        exc)

    def _prune(self, folder: Path) -> None:
        """Keep the newest :attr:`max_files` of this store's files in ``folder``."""
        files = list(folder.glob(f"{self.name}-*.pkl"))
        if len(files) <= self.max_files:
            return
        times = {}
        for p in files:
            with contextlib.suppress(OSError):  # another process pruned it first
                times[p] = p.stat().st_mtime_ns
        for old in sorted(times, key=times.__getitem__)[: max(0, len(times) - self.max_files)]:
            with contextlib.suppress(OSError):
                os.remove(old)
