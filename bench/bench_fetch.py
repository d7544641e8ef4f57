"""Fetch with no way through: how long ``impact fetch`` takes to give up (≤ 10 s).

With a tiny timeout against the real ONS host the run must stop at its first request
with one :class:`~impact.places.fetch.FetchError` line, whatever the network does (no
route, no DNS, refused, too slow).  This reaches the network as far as a DNS lookup and
a connection attempt; nothing is downloaded and nothing is kept.  Prints only; the
message and that nothing is written are tested in ``tests/test_fetch.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.common import Row, print_table, timed

TARGET_S = 10.0
TIMEOUT_S = 0.0001


def give_up(dest: Path) -> str:
    """The first line ``fetch_council`` fails with (or a note that it did not fail)."""
    from impact.places.fetch import FetchError, fetch_council

    try:
        fetch_council("E07000120", dest, timeout=TIMEOUT_S)
    except FetchError as exc:
        return str(exc)
    return "did not fail: the host answered within the tiny timeout"


def run() -> list[Row]:
    import impact.places.fetch  # noqa: F401  (imports are not what is measured)

    with tempfile.TemporaryDirectory() as tmp:
        t, message = timed(lambda: give_up(Path(tmp) / "ref"))
    return [
        Row(
            f"fetch: unreachable host gives up (timeout {TIMEOUT_S * 1000:g} ms)",
            t,
            "s",
            target=TARGET_S,
            note=message.split(";")[0][:120],
        )
    ]


if __name__ == "__main__":
    print_table(run())
