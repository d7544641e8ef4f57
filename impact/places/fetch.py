"""Fetch official boundaries and IoD files for one council, when a network is there.

Optional and on request only (``impact fetch LAD_CODE --dest DIR``): the offline reference
folder never needs it.  For one local authority district it downloads

* the LSOA 2021 → ward 2024 → LAD 2024 best-fit lookup rows of that LAD (which also says
  which wards and LSOAs to ask for: the boundary layers carry no LAD code),
* the ward boundaries and the LSOA 2021 boundaries of those codes (GeoJSON in WGS84 from
  the ONS Open Geography Portal, stored as GeoParquet: GeoJSON is 15-25x slower to read),
* the national IoD 2025 File 7 CSV (MHCLG),

into ``dest`` laid out so :class:`impact.places.reference.Reference` finds each by role (use one
folder per council: a role resolves to one boundary file).  Files
already present are kept (cached) unless ``force``.  Every request has a timeout; the first
one that cannot reach its host stops the run with a one-line :class:`FetchError`.

:func:`fetch_register` downloads one of the free national bulk registers
(``impact fetch companies-house|charities|schools``) for :mod:`impact.places.bulk` to build:
Companies House's BasicCompanyData (the newest ``BasicCompanyDataAsOneFile`` zip named on
its download page), the Charity Commission's register extract (tab-separated text, zipped)
and DfE Get Information About Schools' all-establishments CSV (published daily, named by
date: the newest of the last week).  They are streamed to disk, never held in memory.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

# --- Sources --------------------------------------------------------------------------------
# ONS Open Geography Portal (geoportal.statistics.gov.uk) ArcGIS REST FeatureServer layers,
# each queried with ``where``/``outFields``/``outSR=4326``/``f=geojson`` and paged by
# ``resultOffset`` (2000 records per page at most):
#   LSOA21_WD24_LAD24_EW_LU — "LSOA (2021) to Electoral Ward (2024) to LAD (2024) Best Fit
#     Lookup in EW" (fields LSOA21CD, LSOA21NM, WD24CD, WD24NM, LAD24CD, LAD24NM);
#   Wards_May_2024_Boundaries_UK_BGC — ward boundaries, generalised 20 m (WD24CD, WD24NM);
#   Lower_layer_Super_Output_Areas_December_2021_Boundaries_EW_BSC_V4 — the same LSOA 2021
#     super-generalised boundaries as geography/lsoa_dec2021_ew_bsc_v4.geojson (LSOA21CD).
# MHCLG, "English indices of deprivation 2025" release page
#   (https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025), File 7:
#   all ranks, scores, deciles and population denominators per LSOA 2021, CSV.
ONS_ARCGIS = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services"
LOOKUP_URL = f"{ONS_ARCGIS}/LSOA21_WD24_LAD24_EW_LU/FeatureServer/0/query"
WARDS_URL = f"{ONS_ARCGIS}/Wards_May_2024_Boundaries_UK_BGC/FeatureServer/0/query"
LSOA_URL = (
    f"{ONS_ARCGIS}/Lower_layer_Super_Output_Areas_December_2021_Boundaries_EW_BSC_V4"
    "/FeatureServer/0/query"
)
IOD2025_FILE7_URL = (
    "https://assets.publishing.service.gov.uk/media/691ded56d140bbbaa59a2a7d/"
    "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv"
)
PAGE_SIZE = 2000
USER_AGENT = "impact-explorer (local economic impact explorer; fetch on request)"
# ---------------------------------------------------------------------------------------------

_LAD_RE = re.compile(r"^[EWSN]\d{8}$")
_CODES_PER_QUERY = 400  # keeps each POSTed IN (...) clause well inside server limits


class FetchError(RuntimeError):
    """A download failed; the message is one line and says what to do."""


@dataclass
class FetchResult:
    """What :func:`fetch_council` left in ``dest``.

    Attributes
    ----------
    files : role (as in :data:`impact.places.reference.ROLES`) → file path.
    downloaded : roles fetched in this call.
    cached : roles already present and kept.
    notes : anything the caller should know (e.g. IoD covers England only).
    """

    lad_code: str
    dest: Path
    files: dict[str, Path] = field(default_factory=dict)
    downloaded: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def output_paths(lad_code: str, dest: Path) -> dict[str, Path]:
    """Where each fetched file goes: names match the reference roles' glob patterns and
    differ from every file in the shared reference folder (the LAD code is in the name)."""
    lad = lad_code.upper()
    return {
        "lookup_lsoa21_ward_lad": dest / "geography" / f"lookup_lsoa21_ward24_lad24_{lad}.csv",
        "ward_boundaries": dest / "geography" / f"wards_may2024_bgc_{lad}.parquet",
        "lsoa21_boundaries": dest / "geography" / f"lsoa_2021_bsc_{lad}.parquet",
        "imd2025_lsoa21": dest / "imd" / "imd2025_lsoa21_scores_mhclg_file7.csv",
    }


def fetch_council(
    lad_code: str, dest: Path, timeout: float = 20, *, force: bool = False
) -> FetchResult:
    """Download ward and LSOA 2021 boundaries, the lookup and IoD 2025 File 7 for one LAD.

    Raises :class:`FetchError` (one line) when a host cannot be reached, answers with an
    error, or returns nothing for ``lad_code``; ``ValueError`` for a malformed code.
    """
    lad = lad_code.strip().upper()
    if not _LAD_RE.match(lad):
        raise ValueError(f"{lad_code!r} is not a LAD code (like E07000120)")
    dest = Path(dest)
    result = FetchResult(lad_code=lad, dest=dest, files=dict(output_paths(lad, dest)))
    if not lad.startswith(("E", "W")):
        raise FetchError(f"{lad}: the LSOA 2021 lookup covers England and Wales only")
    run = _Run(lad, timeout, force, result)
    _fetch_lookup(run)
    lsoas, wards = _codes_from_lookup(result.files["lookup_lsoa21_ward_lad"])
    _fetch_boundaries(run, _Layer("ward_boundaries", WARDS_URL, "WD24CD", "WD24NM"), wards)
    _fetch_boundaries(run, _Layer("lsoa21_boundaries", LSOA_URL, "LSOA21CD", "LSOA21NM"), lsoas)
    _fetch_iod(run)
    if lad.startswith("W"):
        result.notes.append("IoD 2025 covers England only: Welsh LSOAs have no IoD scores")
    return result


@dataclass(frozen=True)
class _Run:
    """One :func:`fetch_council` call: what every download step needs, and its result."""

    lad: str
    timeout: float
    force: bool
    result: FetchResult  # filled in step by step

    def needs(self, role: str) -> bool:
        """Whether to download ``role``: forced, or not on disk yet (else noted as cached)."""
        if self.force or not self.result.files[role].is_file():
            return True
        self.result.cached.append(role)
        return False


@dataclass(frozen=True)
class _Layer:
    """An ONS boundary layer: where it is and which fields hold the code and the name."""

    role: str
    url: str
    code_field: str
    name_field: str


def _fetch_lookup(run: _Run) -> None:
    """The lookup rows of the LAD: they also say which wards and LSOAs to ask for, as the
    boundary layers carry no LAD code."""
    role = "lookup_lsoa21_ward_lad"
    if not run.needs(role):
        return
    rows = _query(
        LOOKUP_URL,
        f"LAD24CD = '{run.lad}'",
        "LSOA21CD,LSOA21NM,WD24CD,WD24NM,LAD24CD,LAD24NM",
        run.timeout,
        geometry=False,
    )
    if not rows:
        raise FetchError(f"{run.lad}: no LSOAs in the ONS LSOA 2021 → ward 2024 lookup")
    _write_lookup(rows, run.result.files[role])
    run.result.downloaded.append(role)


def _fetch_boundaries(run: _Run, layer: _Layer, codes: list[str]) -> None:
    """The polygons of ``codes`` from ``layer``, asked for in chunks the server accepts;
    codes without a boundary (another vintage) are noted, not fatal."""
    if not run.needs(layer.role):
        return
    features: list[dict] = []
    for start in range(0, len(codes), _CODES_PER_QUERY):
        chunk = codes[start : start + _CODES_PER_QUERY]
        quoted = ", ".join("'" + c + "'" for c in chunk)
        where = f"{layer.code_field} IN ({quoted})"
        fields = f"{layer.code_field},{layer.name_field}"
        features += _query(layer.url, where, fields, run.timeout, geometry=True)
    got = {str((f.get("properties") or {}).get(layer.code_field)) for f in features}
    if not features:
        raise FetchError(f"{run.lad}: {layer.url.split('/services/')[1]} returned no {layer.role}")
    missing = sorted(set(codes) - got)
    if missing:
        run.result.notes.append(
            f"{layer.role}: {len(missing)} of {len(codes)} codes have no boundary "
            f"(e.g. {missing[0]}); another vintage?"
        )
    _write_geoparquet(features, run.result.files[layer.role])
    run.result.downloaded.append(layer.role)


def _fetch_iod(run: _Run) -> None:
    """The national IoD 2025 File 7, refused when the download is not File 7 (a moved
    address answers with a web page)."""
    role = "imd2025_lsoa21"
    if not run.needs(role):
        return
    body = _get(IOD2025_FILE7_URL, None, run.timeout)
    if not _looks_like_file7(body):
        raise FetchError(
            "the IoD 2025 File 7 download does not look like File 7 "
            "(no 'LSOA code (2021)' column); has the gov.uk address changed?"
        )
    _write_bytes(body, run.result.files[role])
    run.result.downloaded.append(role)


def _looks_like_file7(body: bytes) -> bool:
    """Whether the first bytes, decoded as every CSV is, name File 7's LSOA code column."""
    from impact.ingest.tables import UnreadableFile, decode

    try:
        head, _, _ = decode(body[:2000])
    except UnreadableFile:
        return False
    return "LSOA code (2021)" in head


# ----------------------------------------------------------------------------- requests


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc


def _get(url: str, data: dict[str, str] | None, timeout: float) -> bytes:
    """GET (or POST ``data`` form-encoded) ``url``; every failure becomes one FetchError."""
    body = urllib.parse.urlencode(data).encode("ascii") if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        raise FetchError(
            f"{_host(url)} answered HTTP {exc.code} ({_one_line(exc.reason)})"
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(
            f"no network: could not reach {_host(url)} ({_one_line(reason)}); "
            "the offline reference folder still works"
        ) from None


def _one_line(value: object) -> str:
    text = " ".join(str(value).split())
    return text or type(value).__name__


def _query(url: str, where: str, fields: str, timeout: float, *, geometry: bool) -> list[dict]:
    """All features matching ``where`` from an ArcGIS FeatureServer layer, page by page."""
    features: list[dict] = []
    offset = 0
    while True:
        params = {
            "where": where,
            "outFields": fields,
            "returnGeometry": "true" if geometry else "false",
            "outSR": "4326",
            "f": "geojson",
            "resultOffset": str(offset),
            "resultRecordCount": str(PAGE_SIZE),
        }
        raw = _get(url, params, timeout)
        try:
            page = json.loads(raw)
        except ValueError:
            raise FetchError(f"{_host(url)} did not return JSON for {where[:60]}") from None
        if "error" in page:
            err = page["error"]
            msg = err.get("message", err) if isinstance(err, dict) else err
            raise FetchError(f"{_host(url)} refused the query: {_one_line(msg)}")
        batch = page.get("features") or []
        features += batch
        exceeded = page.get("exceededTransferLimit") or (page.get("properties") or {}).get(
            "exceededTransferLimit"
        )
        if not exceeded or not batch:
            return features
        offset += len(batch)


# ------------------------------------------------------------------------------- registers

#: The official bulk registers: where each is published (licences in the README).
CH_PAGE = "https://download.companieshouse.gov.uk/en_output.html"
CH_FILE_RE = re.compile(r"BasicCompanyDataAsOneFile-\d{4}-\d{2}-\d{2}\.zip")
CHARITY_URL = ("https://ccewuksprdoneregsadata1.blob.core.windows.net/data/txt/"
               "publicextract.charity.zip")
GIAS_URL = ("https://ea-edubase-api-prod.azurewebsites.net/edubase/downloads/public/"
            "edubasealldata{day}.csv")
#: ``impact fetch`` names → :data:`impact.places.bulk.LAYOUTS` kinds.
REGISTER_KINDS = {"companies-house": "companies_house", "charities": "charities",
                  "schools": "schools"}


def fetch_register(name: str, dest: Path, timeout: float = 60.0, force: bool = False) -> Path:
    """Download register ``name`` (a key of :data:`REGISTER_KINDS`) into
    ``dest/registers/downloads``; a file already there is kept unless ``force``."""
    folder = Path(dest) / "registers" / "downloads"
    urls = _register_urls(name, timeout)
    for url in urls:
        path = folder / url.rsplit("/", 1)[1]
        if path.is_file() and not force:
            return path
        try:
            _download(url, path, timeout)
            return path
        except _NotThere:
            continue
    raise FetchError(f"{name}: {_host(urls[0])} has no such file now "
                     f"({urls[-1].rsplit('/', 1)[1]}{' and newer' if len(urls) > 1 else ''})")


class _NotThere(FetchError):
    """HTTP 404: try the next candidate URL."""


def _register_urls(name: str, timeout: float) -> list[str]:
    if name == "companies-house":
        page = _get(CH_PAGE, None, timeout).decode("utf-8", "replace")
        found = sorted(set(CH_FILE_RE.findall(page)), reverse=True)
        if not found:
            raise FetchError(f"{_host(CH_PAGE)}: no BasicCompanyDataAsOneFile zip on its page")
        return [CH_PAGE.rsplit("/", 1)[0] + "/" + found[0]]
    if name == "charities":
        return [CHARITY_URL]
    if name == "schools":
        today = date.today()
        return [GIAS_URL.format(day=(today - timedelta(days=i)).strftime("%Y%m%d"))
                for i in range(8)]
    raise ValueError(f"unknown register {name!r} (one of {', '.join(REGISTER_KINDS)})")


def _download(url: str, path: Path, timeout: float) -> None:
    """Stream ``url`` to ``path`` (written whole or not at all)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, tmp.open("wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
        tmp.replace(path)
    except urllib.error.HTTPError as exc:
        kind = _NotThere if exc.code == 404 else FetchError
        raise kind(f"{_host(url)} answered HTTP {exc.code} ({_one_line(exc.reason)})") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise FetchError(
            f"no network: could not download from {_host(url)} "
            f"({_one_line(getattr(exc, 'reason', exc))}); use --from FILE for a file you have"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)


# ------------------------------------------------------------------------------- writing


def _write_bytes(body: bytes, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(body)
    tmp.replace(path)  # a half-written file is never taken for a cached one


def _write_lookup(rows: list[dict], path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame([r.get("properties") or r.get("attributes") or {} for r in rows])
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    _write_bytes(buf.getvalue().encode("utf-8"), path)


def _codes_from_lookup(path: Path) -> tuple[list[str], list[str]]:
    from impact.ingest.tables import read_csv

    frame = read_csv(path, keep_default_na=True)
    cols = {c.upper(): c for c in frame.columns}
    if "LSOA21CD" not in cols or "WD24CD" not in cols:
        raise FetchError(f"{path.name}: lookup lacks LSOA21CD/WD24CD; fetch again with --force")
    # only well-formed ONS codes go into a query's IN (...) list
    ok = re.compile(r"^[EW]\d{8}$")
    lsoas = sorted(c for c in frame[cols["LSOA21CD"]].dropna().unique() if ok.match(c))
    wards = sorted(c for c in frame[cols["WD24CD"]].dropna().unique() if ok.match(c))
    return lsoas, wards


def _write_geoparquet(features: list[dict], path: Path) -> None:
    import geopandas as gpd

    gdf = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    gdf.to_parquet(tmp, index=False)
    tmp.replace(path)
