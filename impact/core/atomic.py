"""Atomic, locked writes of small files the app saves (registers, priors, scenarios).

One place for the idea: write to a temporary file in the same folder, ``fsync`` it, then
``os.replace`` it over the target, so a reader (or a crash) only ever sees the old file or
the new one, never half of one.  Writers that read-modify-write a file (adding a row to the
council's register) hold :func:`locked` around the whole cycle, so two sessions saving at
once do not lose each other's rows.  The lock is ``fcntl.flock`` on the *folder* holding the
file: the target itself is replaced, so it cannot carry the lock, and a sidecar lock file
would be left beside the council's own files (and cannot be deleted safely while others may
wait on it).  One lock per folder is coarse, but these saves take milliseconds.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

try:  # POSIX; elsewhere writes stay atomic but are not serialised between processes
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_held = threading.local()


def lock_target(path: str | os.PathLike[str]) -> Path:
    """What is locked for ``path``: its folder (created if missing), resolved."""
    folder = Path(path).resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def locked(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (across threads and processes) while in the block.

    Re-entrant within one thread, so a locked read-modify-write can call
    :func:`atomic_write_bytes` (which locks too) without deadlocking itself.
    """
    folder = lock_target(path)
    key = str(folder)
    held: set[str] = _held.__dict__.setdefault("paths", set())
    if key in held:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Replace ``path`` with ``data`` atomically (temp file + fsync + ``os.replace``).

    On any failure the temporary file is removed and the old file is left as it was.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with locked(p):
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            if p.exists():  # keep the target's permissions (mkstemp makes 0600)
                os.chmod(tmp, p.stat().st_mode & 0o777)
            else:
                os.chmod(tmp, 0o644)
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(p.parent)
    return p


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """:func:`atomic_write_bytes` for text (no newline translation: ``\\n`` stays ``\\n``)."""
    return atomic_write_bytes(path, text.encode(encoding))


def append_csv_lines(path: str | os.PathLike[str], columns: list[str] | tuple[str, ...],
                     lines: list[dict]) -> None:
    """Append ``lines`` to a CSV trail (its header first when the file is new or empty),
    flushed to disk.  An append never rewrites what is there, so a trail keeps every change;
    callers hold :func:`locked` when several sessions may append at once."""
    p = Path(path)
    new = not p.exists() or p.stat().st_size == 0
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    if new:
        writer.writeheader()
    writer.writerows(lines)
    with p.open("a", encoding="utf-8", newline="") as fh:
        fh.write(buf.getvalue())
        fh.flush()


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every filesystem allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
