"""Fetching one council's boundaries and IoD file: offline failure, writing and caching.

No test here touches the network except those marked ``network`` (excluded by default and
never run in CI): the rest use a fake ``urlopen`` that fails or answers canned bytes.  How
long a run without a network takes to give up is measured by ``python -m bench --only
fetch``, not asserted here.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import NoReturn

import pytest

from impact.places import fetch
from impact.places.boundaries import load_boundaries, read_lsoa_lookup
from impact.places.deprivation import load_imd2025
from impact.places.fetch import FetchError, fetch_council, output_paths
from impact.places.reference import Reference
from tests._shared import missing, shared_data_dir

LAD = "E07000999"
LSOAS = {"E01000001": "E05000001", "E01000002": "E05000001", "E01000003": "E05000002"}
WARD_NAMES = {"E05000001": "West", "E05000002": "East"}


def _square(x: float) -> dict:
    ring = [[x, 50], [x + 1, 50], [x + 1, 51], [x, 51], [x, 50]]
    return {"type": "Polygon", "coordinates": [ring]}


def _collection(features: list[dict], more: bool = False) -> bytes:
    out: dict = {"type": "FeatureCollection", "features": features}
    if more:
        out["properties"] = {"exceededTransferLimit": True}
    return json.dumps(out).encode()


FILE7 = (
    "\ufeffLSOA code (2021),LSOA name (2021),Index of Multiple Deprivation (IMD) Score,"
    "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived),"
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)\n"
    'E01000001,Test 001A,30.5,"1,234",1\n'
    "E01000002,Test 001B,10.1,20000,6\n"
    "E01000003,Test 002A,5.0,30000,9\n"
).encode("utf-8")


class FakeServer:
    """Stands in for ``urllib.request.urlopen``: canned answers per URL, and a request log."""

    def __init__(self, file7: bytes = FILE7, lookup_rows: dict[str, str] = LSOAS) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.file7 = file7
        self.lookup_rows = lookup_rows

    def __call__(self, request, timeout: float):
        assert timeout > 0
        url = request.full_url
        params = dict(urllib.parse.parse_qsl(request.data.decode())) if request.data else {}
        self.calls.append((url, params))
        if url == fetch.IOD2025_FILE7_URL:
            body = self.file7
        elif url == fetch.LOOKUP_URL:
            assert params["where"] == f"LAD24CD = '{LAD}'" and params["f"] == "geojson"
            body = _collection([
                {"type": "Feature", "geometry": None, "properties": {
                    "LSOA21CD": lsoa, "LSOA21NM": f"Test {lsoa[-3:]}", "WD24CD": ward,
                    "WD24NM": WARD_NAMES[ward], "LAD24CD": LAD, "LAD24NM": "Testshire"}}
                for lsoa, ward in self.lookup_rows.items()
            ])
        elif url == fetch.WARDS_URL:
            # two pages: the first says more records exist, as ArcGIS does past its limit
            assert params["outSR"] == "4326"
            offset = int(params["resultOffset"])
            ward = sorted(WARD_NAMES)[offset]
            body = _collection(
                [{"type": "Feature", "geometry": _square(offset),
                  "properties": {"WD24CD": ward, "WD24NM": WARD_NAMES[ward]}}],
                more=offset == 0,
            )
        elif url == fetch.LSOA_URL:
            assert "E01000001" in params["where"]
            body = _collection([
                {"type": "Feature", "geometry": _square(i),
                 "properties": {"LSOA21CD": code, "LSOA21NM": f"Test {code[-3:]}"}}
                for i, code in enumerate(sorted(LSOAS))
            ])
        else:
            raise AssertionError(f"unexpected URL {url}")
        return _Response(body)


class _Response:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def read(self) -> bytes:
        return self.body

    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    fake = FakeServer()
    monkeypatch.setattr(fetch.urllib.request, "urlopen", fake)
    return fake


def _no_network(request: object, timeout: float) -> NoReturn:
    reason = OSError("[Errno -3] Temporary failure\nin name resolution")
    raise fetch.urllib.error.URLError(reason)


def test_unreachable_host_is_one_clear_line_and_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(fetch.urllib.request, "urlopen", _no_network)
    with pytest.raises(FetchError) as exc:
        fetch_council("E07000120", tmp_path / "ref")
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith("no network: could not reach services1.arcgis.com")
    assert "Temporary failure in name resolution" in msg
    assert msg.endswith("the offline reference folder still works")
    assert not any(p.is_file() for p in output_paths("E07000120", tmp_path / "ref").values())


@pytest.mark.network
def test_real_socket_with_a_tiny_timeout_is_the_same_clear_line(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"^no network: could not reach services1\.arcgis\.com"):
        fetch_council("E07000120", tmp_path / "ref", timeout=0.0001)
    assert not any(p.is_file() for p in output_paths("E07000120", tmp_path / "ref").values())


@pytest.mark.network  # a DNS lookup, even for a name that cannot resolve
def test_unresolvable_host_is_the_same_clear_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(fetch, "LOOKUP_URL", "http://fetch-test.invalid/query")
    with pytest.raises(FetchError, match=r"^no network: could not reach fetch-test\.invalid"):
        fetch_council("E07000120", tmp_path, timeout=2)


def test_writes_reference_layout_then_uses_the_cache(tmp_path: Path, server: FakeServer) -> None:
    dest = tmp_path / "ref"
    res = fetch_council(LAD.lower(), dest, timeout=5)
    assert res.lad_code == LAD
    assert sorted(res.downloaded) == sorted(output_paths(LAD, dest)) and res.cached == []
    # paging: the ward layer was asked twice (offset 0, then 1)
    ward_offsets = [p["resultOffset"] for u, p in server.calls if u == fetch.WARDS_URL]
    assert ward_offsets == ["0", "1"]

    ref = Reference(dest)
    for role, path in res.files.items():
        assert ref.find(role) == path, role
    wards = load_boundaries(ref.require("ward_boundaries"), use_cache=False)
    assert sorted(wards["code"]) == sorted(WARD_NAMES)
    assert set(wards["name"]) == set(WARD_NAMES.values())
    lsoas = load_boundaries(ref.require("lsoa21_boundaries"), use_cache=False)
    assert sorted(lsoas["code"]) == sorted(LSOAS) and lsoas.crs.to_epsg() == 4326
    lookup = read_lsoa_lookup(ref.require("lookup_lsoa21_ward_lad"))
    assert dict(zip(lookup["lsoa21_code"], lookup["ward_code"], strict=True)) == LSOAS
    imd = load_imd2025(ref.require("imd2025_lsoa21"))
    assert imd.set_index("lsoa21_code").loc["E01000001", "imd_rank"] == 1234

    n_calls = len(server.calls)
    again = fetch_council(LAD, dest, timeout=5)
    assert len(server.calls) == n_calls  # nothing fetched: every file was cached
    assert again.downloaded == [] and sorted(again.cached) == sorted(res.files)

    forced = fetch_council(LAD, dest, timeout=5, force=True)
    assert sorted(forced.downloaded) == sorted(res.files) and len(server.calls) > n_calls


def test_bad_answers_are_one_line_errors(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(fetch.urllib.request, "urlopen", FakeServer(lookup_rows={}))
    with pytest.raises(FetchError, match="no LSOAs"):
        fetch_council(LAD, tmp_path / "a")

    monkeypatch.setattr(fetch.urllib.request, "urlopen", FakeServer(file7=b"<html>moved</html>"))
    with pytest.raises(FetchError, match="does not look like File 7"):
        fetch_council(LAD, tmp_path / "b")
    assert not (tmp_path / "b" / "imd").exists() or not any((tmp_path / "b" / "imd").iterdir())

    def refusing(request, timeout):
        return _Response(b'{"error": {"code": 400, "message": "Invalid\\nquery"}}')

    monkeypatch.setattr(fetch.urllib.request, "urlopen", refusing)
    with pytest.raises(FetchError) as exc:
        fetch_council(LAD, tmp_path / "c")
    assert str(exc.value) == "services1.arcgis.com refused the query: Invalid query"

    def http_500(request, timeout):
        raise fetch.urllib.error.HTTPError(request.full_url, 500, "Server Error", None, None)

    monkeypatch.setattr(fetch.urllib.request, "urlopen", http_500)
    with pytest.raises(FetchError, match=r"^services1\.arcgis\.com answered HTTP 500"):
        fetch_council(LAD, tmp_path / "d")

    with pytest.raises(ValueError, match="not a LAD code"):
        fetch_council("Hyndburn", tmp_path / "e")


@pytest.mark.shared
def test_fetched_names_do_not_collide_with_the_shared_folder() -> None:
    root = shared_data_dir()
    if not (root / "geography").is_dir():
        missing(f"shared data not found at {root}")
    for path in output_paths("E07000120", root).values():
        assert not path.exists(), path


@pytest.mark.network
def test_real_fetch_of_hyndburn(tmp_path: Path) -> None:
    res = fetch_council("E07000120", tmp_path, timeout=60)
    wards = load_boundaries(res.files["ward_boundaries"], use_cache=False)
    lsoas = load_boundaries(res.files["lsoa21_boundaries"], use_cache=False)
    assert len(wards) >= 10 and wards["code"].str.startswith("E05").all()
    assert len(lsoas) >= 40 and lsoas["code"].str.startswith("E01").all()
    assert load_imd2025(res.files["imd2025_lsoa21"])["lsoa21_code"].nunique() > 30_000


def test_file7_check_decodes_like_every_csv() -> None:
    """The File 7 check reads the download's head as every CSV is read: a UTF-16 or
    Windows-1252 File 7 passes, a web page or binary answer does not."""
    text = FILE7.decode("utf-8").lstrip("\ufeff")
    assert fetch._looks_like_file7(FILE7)
    assert fetch._looks_like_file7(text.encode("utf-16"))
    assert fetch._looks_like_file7(text.encode("cp1252"))
    assert not fetch._looks_like_file7(b"<html>moved</html>")
    assert not fetch._looks_like_file7(b"\x00\x01\x02" * 700)
