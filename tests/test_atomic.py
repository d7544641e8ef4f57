"""Atomic writes: a crash mid-write leaves the old file; concurrent savers lose nothing."""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from pathlib import Path

import pandas as pd
import pytest

from impact.analysis.priors import default_priors, load_priors, save_priors
from impact.analysis.scenarios import Scenario, load_scenarios, save_scenarios
from impact.core import atomic
from impact.core.atomic import atomic_write_bytes, atomic_write_text, lock_target, locked
from impact.places.registers import read_register, save_resolution


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_write_replaces_content_and_keeps_mode(tmp_path: Path) -> None:
    p = tmp_path / "sub" / "a.txt"
    atomic_write_text(p, "one\n")
    assert p.read_text() == "one\n"
    os.chmod(p, 0o640)
    atomic_write_bytes(p, b"two")
    assert p.read_bytes() == b"two"
    assert p.stat().st_mode & 0o777 == 0o640
    assert _leftovers(p.parent) == []


def test_crash_in_replace_keeps_old_file(tmp_path: Path, monkeypatch) -> None:
    p = tmp_path / "a.txt"
    atomic_write_text(p, "old")

    def boom(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(OSError, match="disk on fire"):
        atomic_write_text(p, "new")
    assert p.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_crash_mid_write_keeps_old_file(tmp_path: Path, monkeypatch) -> None:
    p = tmp_path / "a.txt"
    atomic_write_text(p, "old")
    real_fsync = os.fsync

    def boom(fd):
        raise KeyboardInterrupt  # a BaseException, as a Ctrl-C between write and rename

    monkeypatch.setattr(atomic.os, "fsync", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(p, "new" * 1000)
    monkeypatch.setattr(atomic.os, "fsync", real_fsync)
    assert p.read_text() == "old"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("which", ["register", "priors", "scenarios"])
def test_savers_keep_old_file_on_crash(tmp_path: Path, monkeypatch, which: str) -> None:
    """The three savers go through the one helper: a failed rename leaves the old file."""
    path = tmp_path / {"register": "reg.csv", "priors": "p.csv", "scenarios": "s.json"}[which]
    scen = Scenario(name="a", share=0.1, category_column="directorate",
                    category_values=("Adults",))

    def save(n: int) -> None:
        if which == "register":
            save_resolution(path, f"Acme {n} Ltd", postcode="BB5 1AA")
        elif which == "priors":
            save_priors(path, default_priors())
        else:
            save_scenarios(path, [scen])

    save(1)
    before = path.read_bytes()
    monkeypatch.setattr(atomic.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("x")))
    with pytest.raises(OSError):
        save(2)
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []
    monkeypatch.undo()
    # and the file still reads back with the module's own reader
    if which == "register":
        assert len(read_register(path).frame) == 1
    elif which == "priors":
        assert len(load_priors(path)) == len(default_priors())
    else:
        assert [s.name for s in load_scenarios(path)] == ["a"]


def test_lock_is_reentrant_in_one_thread(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    with locked(p), locked(p):
        atomic_write_text(p, "x")  # takes the same lock again: must not deadlock
    assert p.read_text() == "x"
    assert lock_target(p) == tmp_path.resolve()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.txt"]  # no lock files left


def test_lock_excludes_other_threads(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    order: list[str] = []
    entered = threading.Event()

    def other() -> None:
        entered.set()
        with locked(p):
            order.append("other")

    with locked(p):
        t = threading.Thread(target=other)
        t.start()
        entered.wait()
        t.join(0.3)
        assert t.is_alive()  # blocked on the lock
        order.append("first")
    t.join(5)
    assert order == ["first", "other"]


def test_concurrent_threads_keep_every_resolution(tmp_path: Path) -> None:
    reg = tmp_path / "register.csv"
    names = [f"Thread Supplier {i:02d} Ltd" for i in range(24)]
    errors: list[BaseException] = []

    def add(chunk: list[str]) -> None:
        try:
            for n in chunk:
                save_resolution(reg, n, postcode="BB5 1AA")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(names[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    df = pd.read_csv(reg, dtype=str)
    assert sorted(df["supplier_name"]) == sorted(names)


def _process_writer(reg: str, start: int, n: int) -> None:
    for i in range(start, start + n):
        save_resolution(reg, f"Process Supplier {i:02d} Ltd", postcode="BB5 1AA")


def test_concurrent_processes_keep_every_resolution(tmp_path: Path) -> None:
    reg = tmp_path / "register.csv"
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_process_writer, args=(str(reg), k * 6, 6)) for k in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    df = pd.read_csv(reg, dtype=str)
    assert sorted(df["supplier_name"]) == [f"Process Supplier {i:02d} Ltd" for i in range(18)]
    assert len(read_register(reg).frame) == 18
    assert _leftovers(tmp_path) == []
