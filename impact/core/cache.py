"""Caches, in one place: file fingerprints, cache keys and in-process memo tables.

Two kinds of cache serve the project.  Files derived from inputs (ingested transactions,
located suppliers, boundaries as GeoParquet) are named by a :func:`key` over the inputs'
:func:`fingerprint`: a changed input gets a new name, so a stale file is never read.
Tables held in memory for the life of a process (a 2.7M-row postcode index) live in a
:class:`Memo`, and :func:`clear_all` empties every one of them (tests, or after the
reference data changed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Generic, TypeVar

#: Bumped whenever a cached output changes meaning, so every old cache file is ignored.
CACHE_VERSION = "2"

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
