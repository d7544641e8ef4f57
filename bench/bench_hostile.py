"""Hostile files through ``impact ingest`` (issue 23): each refused, or its bad row set
aside, in ≤ 1 s and ≤ 300 MB, beside pandas reading the same file in the same run.

The cases, with what they cost before this work (the issue's figures):

* a CSV of 100,000 columns: refused after 58.7 s and 744 MB;
* 200 kB of random bytes named ``spend.csv``: refused, quoting 100 bytes of the garbage as
  its "first line" and counting 1,555 "rows rejected";
* one 50 MB cell: accepted as a 50-million-character supplier name (9.9 s, 713 MB);
* a zip bomb (0.6 s) and an empty file: kept quick.

Each figure is taken in a fresh process that imports what ingest uses before the clock
starts (as ``bench_ingest`` does) and then runs the command line on the file
(``impact ingest FILE --quiet``, outputs written): the time of that call and the process's
own peak RSS, imports included (the "imports only" row is that floor).  The peer is
``pandas.read_csv(FILE)`` with its defaults, in its own process: its time to a frame or to
its exception, and its peak RSS.  The files are made once into the temp folder.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

from bench.bench_ingest import WARM_IMPORTS
from bench.common import Row, print_table, run_child

TARGET_S = 1.0
TARGET_MB = 300.0

#: Our side: the command line on one file, after the imports.
OURS_CODE = WARM_IMPORTS + """
import contextlib, io, json, resource, tempfile, time
import impact.outputs.labels
from impact.cli import main
said = io.StringIO()
with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(said), \\
        contextlib.redirect_stderr(said):
    t0 = time.perf_counter()
    if {path!r}:
        code = main(['ingest', {path!r}, '--council', 'Bench', '--out', out, '--quiet'])
    s = time.perf_counter() - t0
print(json.dumps({{'s': s, 'rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  'said': said.getvalue().strip().splitlines()}}))
"""

#: The peer: pandas' reader with its defaults, to a frame or to its exception.
PANDAS_CODE = """
import json, resource, time
import pandas as pd
t0 = time.perf_counter()
try:
    df = pd.read_csv({path!r})
    outcome = f'read {{df.shape[0]:,}} rows × {{df.shape[1]:,}} columns'
except Exception as exc:
    outcome = f'raised {{type(exc).__name__}}'
print(json.dumps({{'s': time.perf_counter() - t0, 'outcome': outcome,
                  'rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def _wide(path: Path, columns: int = 100_000) -> None:
    names = ["Supplier Name", "Payment Date", "Amount"] + [f"c{i}" for i in range(columns - 3)]
    row = ["ACME LTD", "01/04/2024", "700.00"] + ["x"] * (columns - 3)
    path.write_text("\n".join(",".join(r) for r in (names, row, row)) + "\n")


def _random(path: Path) -> None:
    import numpy as np

    path.write_bytes(np.random.default_rng(23).bytes(200_000))


def _one_huge_cell(path: Path) -> None:
    path.write_bytes(b"Supplier Name,Payment Date,Amount\n" + b"A" * 50_000_000
                     + b",01/04/2024,700.00\nACME LTD,01/04/2024,12.00\n")


def _zip_bomb(path: Path, mb: int = 64) -> None:
    """A workbook-shaped zip whose one sheet is ``mb`` MB of zeros (≈1000× compression)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(mb):
                fh.write(b"0" * (1024 * 1024))


#: name, file, how it is made, whether pandas' CSV reader is a fair peer.
CASES = (
    ("a CSV of 100,000 columns", "wide-spend.csv", _wide, True),
    ("200 kB of random bytes named spend.csv", "random/spend.csv", _random, True),
    ("one 50 MB cell", "huge-cell-spend.csv", _one_huge_cell, True),
    ("a zip bomb (64 MB of zeros in a 64 kB workbook)", "bomb.xlsx", _zip_bomb, False),
    ("an empty file", "empty.csv", lambda p: p.write_bytes(b""), False),
)


def hostile_file(name: str, make) -> Path:
    """A case's file, made once into the temp folder and reused after."""
    path = Path(tempfile.gettempdir()) / "impact-bench" / "hostile" / name
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        make(part)
        os.replace(part, path)
    return path


def _case_rows(label: str, path: Path, peer: bool) -> list[Row]:
    ours = json.loads(run_child(OURS_CODE.format(path=str(path)))[2])
    them = json.loads(run_child(PANDAS_CODE.format(path=str(path)))[2]) if peer else None
    said = "; ".join(ours["said"])[:240]
    versus = f"; pandas.read_csv {them['outcome']} in {them['s']:.2f} s" if them else ""
    return [
        Row(f"hostile: {label}", ours["s"], "s", target=TARGET_S,
            peer=them and them["s"], peer_name="pandas.read_csv",
            note=f"ingest said: {said}{versus}"),
        Row(f"hostile: {label}, peak RSS", ours["rss"], "MB", target=TARGET_MB,
            peer=them and them["rss"], peer_name="pandas.read_csv",
            note="whole process, imports included"),
    ]


def run() -> list[Row]:
    floor = json.loads(run_child(OURS_CODE.format(path=""))[2])
    rows = [Row("hostile: imports only, peak RSS", floor["rss"], "MB",
                note="the floor under every row below: Python, pandas, pyarrow, scipy, "
                "rapidfuzz, calamine and the project imported")]
    for label, name, make, peer in CASES:
        rows += _case_rows(label, hostile_file(name, make), peer)
    return rows


if __name__ == "__main__":
    print_table(run())
