"""The ``impact`` command line itself: help without the heavy libraries, exit codes,
options that take several values, help texts without real places."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from impact.cli import cli, main

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "numpy", "geopandas", "shapely", "splink", "duckdb", "sklearn")


def _imported(args: list[str]) -> set[str]:
    """Every module imported by ``python -X importtime -m impact.cli ARGS`` (``impact.cli``
    itself runs as ``__main__``, so any ``impact.*`` listed was imported by it)."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "impact.cli", *args],
                       capture_output=True, text=True, cwd=ROOT, check=False)
    assert r.returncode == 0 and "Usage: impact" in r.stdout, r.stderr[-2000:]
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("import time:")]
    return {ln.rsplit("|", 1)[1].strip() for ln in lines[1:]}  # the first is the header


@pytest.mark.parametrize("args", [["--help"], ["lm3", "--help"], ["board-pack", "-h"]])
def test_help_imports_nothing_heavy(args: list[str]) -> None:
    mods = _imported(args)
    assert "click" in mods  # the output was read
    heavy = sorted(m for m in mods if m.split(".")[0] in HEAVY)
    assert not heavy, f"impact {' '.join(args)} imports {heavy[:10]}"
    assert "impact" in mods and not [m for m in mods if m.startswith("impact.")]


def test_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "board-pack" in capsys.readouterr().out
    assert main([]) == 2  # no command: usage
    assert main(["no-such-command"]) == 2
    assert main(["ingest", "x.csv"]) == 2  # --council and --out are required
    assert "--council" in capsys.readouterr().err
    assert main(["lm3", "d", "--local", "A", "--radius-km", "3"]) == 2
    assert "cannot be used with --local" in capsys.readouterr().err


def test_console_script_exits_with_the_code() -> None:
    # what the installed ``impact`` script does: sys.exit(main())
    script = "import sys; from impact.cli import main; sys.exit(main())"
    r = subprocess.run([sys.executable, "-c", script, "lm3", "/nonexistent"],
                       capture_output=True, text=True, cwd=ROOT, check=False)
    assert r.returncode == 2 and "impact lm3:" in r.stderr and "does not exist" in r.stderr


def _params(command: str, args: list[str]) -> dict:
    return cli.commands[command].make_context(command, args).params


def test_options_take_several_values_after_one_flag() -> None:
    assert _params("lm3", ["d", "--local", "A", "B", "--json"])["local"] == ("A", "B")
    assert _params("lm3", ["d", "--local", "A", "--local", "B"])["local"] == ("A", "B")
    p = _params("areas", ["d", "--scope", "A", "B", "--council-lad", "A", "--out", "o.csv"])
    assert p["scope"] == ("A", "B") and p["council_lad"] == ("A",)
    p = _params("locate", ["d", "--register", "a.csv", "b.csv", "--reference", "r"])
    assert p["register"] == (Path("a.csv"), Path("b.csv")) and p["reference"] == Path("r")
    assert _params("locate", ["d", "--register", "--no-reference-registers"])["register"] == ()
    assert _params("locate", ["d"])["register"] == ()
    with pytest.raises(click.UsageError):
        _params("lm3", ["d", "--local", "--json"])  # --local needs at least one code
    with pytest.raises(click.UsageError):
        _params("lm3", ["--local", "A", "d"])  # as before: the values run on to the end
    dep = _params("board-pack", ["demo", "--out", "p.pdf", "--department", "A",
                                 "--department", "B"])["department"]
    assert dep == ("A", "B")  # repeatable, one value each


def test_help_texts_name_no_real_council_or_district(capsys) -> None:
    for name in cli.commands:
        assert main([name, "--help"]) == 0
    text = capsys.readouterr().out
    assert not re.search(r"\b[EW]0\d{7}\b", text)  # no real LAD codes
    assert "Anytown" in text  # the example council is invented
