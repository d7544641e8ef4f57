"""Synthetic national registers in the official layouts: Companies House BasicCompanyData,
the Charity Commission register extract and DfE Get Information About Schools.

For tests (a few rows, some given exactly) and for the benchmark (a 5M-row Companies House
register, deterministic from its seed).  Nothing here depicts a real company, charity or
school: names come from a fixed fictional vocabulary and numbers from a range chosen by the
caller; postcodes have the right shape only.  The writers produce files as the registers
publish them — Companies House's header cell for cell, every field quoted; the charity
extract tab-separated (or JSON); GIAS in Windows-1252 — so the code that reads them meets
the real layouts, not a simplification.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from impact.places.bulk import CH_HEADER, CHARITY_COLUMNS, GIAS_COLUMNS

_WORDS = np.array(
    ["ACME", "NORTHGATE", "SOUTHFIELD", "WESTBROOK", "EASTLEIGH", "PENNINE", "BRIGHT", "OAKLEY",
     "ORCHARD", "MOORSIDE", "VALLEY", "RIVERSIDE", "STONEBRIDGE", "IRONWORKS", "GREENWAY",
     "BLUEBELL", "REDWOOD", "HILLCREST", "FIELDHOUSE", "CASTLEGATE", "ABBEYFIELD", "MILLBROOK",
     "PARKSIDE", "ROYALTON", "CROWNHILL", "STARLING", "ALPHA", "DELTA", "OMEGA", "APEX", "SUMMIT",
     "PIONEER", "UNITED", "PREMIER", "HERITAGE", "EVERGREEN", "KESTREL", "HERON", "MERIDIAN",
     "BEACON", "CEDAR", "WILLOW", "ASHFORD", "LINDEN", "MAPLE", "BIRCH", "ROWAN", "HAWTHORN",
     "ELDER", "HAZEL"])
_TRADES = np.array(
    ["BUILDING", "PLUMBING", "ELECTRICAL", "CARE", "CLEANING", "SECURITY", "CATERING", "TRANSPORT",
     "LOGISTICS", "CONSULTING", "SURVEYORS", "ROOFING", "JOINERY", "LANDSCAPES", "RECRUITMENT",
     "SOLUTIONS", "SYSTEMS", "SUPPLIES", "ENGINEERING", "DENTAL", "PRINTING", "MEDIA", "DESIGN",
     "TRAINING", "FOODS", "TECHNOLOGY", "PROPERTY"])
_ENDINGS = np.array(["SERVICES", "GROUP", "HOLDINGS", "UK", "CONTRACTORS", "PARTNERS", "",
                     "", "", ""])
_FORMS = np.array(["LIMITED", "LIMITED", "LIMITED", "LTD", "PLC", "LLP",
                   "COMMUNITY INTEREST COMPANY"])
_CATEGORY = {"LIMITED": "Private Limited Company", "LTD": "Private Limited Company",
             "PLC": "Public Limited Company", "LLP": "Limited Liability Partnership",
             "COMMUNITY INTEREST COMPANY": "Community Interest Company"}
_STATUSES = (("Active", 0.90), ("Active - Proposal to Strike off", 0.04),
             ("Liquidation", 0.03), ("In Administration", 0.01),
             ("Voluntary Arrangement", 0.01), ("Dissolved", 0.01))
_AREAS = np.array(["B", "BB", "BD", "BL", "BS", "CA", "CH", "CV", "DE", "DN", "HD", "HX", "L",
                   "LA", "LE", "LS", "M", "NE", "NG", "OL", "PR", "S", "SK", "ST", "TS", "WA",
                   "WF", "WN", "WV", "YO"])
_SIC = np.array(["41201 - Construction of commercial buildings",
                 "43220 - Plumbing, heat and air-conditioning installation",
                 "70229 - Management consultancy activities other than financial management",
                 "81210 - General cleaning of buildings", "87300 - Residential care activities "
                 "for the elderly and disabled", "62020 - Information technology consultancy "
                 "activities", "56290 - Other food services", "99999 - Dormant Company"])
_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
#: Rows written per chunk: a 5M-row register never sits in memory whole.
CHUNK = 250_000


def postcodes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Postcodes of the right shape ("HX3 7QB"), not real ones."""
    area = _AREAS[rng.integers(0, len(_AREAS), n)]
    district = rng.integers(1, 30, n).astype(str)
    sector = rng.integers(0, 10, n).astype(str)
    unit = _LETTERS[rng.integers(0, len(_LETTERS), n)].astype(object) + \
        _LETTERS[rng.integers(0, len(_LETTERS), n)]
    return (area.astype(object) + district + " " + sector + unit).astype(str)


_SYLLABLES = np.array(
    ["AL", "AR", "BEL", "BRO", "CAR", "DEN", "DOR", "EL", "FEN", "GAL", "HAR", "KEL", "LAN", "LEX",
     "MAR", "MER", "NOR", "OAK", "PEN", "QUIN", "RAD", "ROS", "SAL", "SEV", "TAR", "TOR", "VAL",
     "VEN", "WEL", "WIN", "YAR", "ZEN"])
#: A register-sized vocabulary (~33k made-up words): a real register's names share few
#: words, so blocking on a name's first words must be measured against as many.
_MADE_UP = np.array([a + b + c for a in _SYLLABLES for b in _SYLLABLES
                     for c in ("", "TON", "WAY", "FORD", "LEY", "WICK", "MOOR", "SIDE", "BY",
                               "FIELD", "GATE", "HURST", "STONE", "BURN", "DALE", "CROFT",
                               "WORTH", "HAM", "MERE", "COMBE", "STOW", "HOLM", "THORPE",
                               "BRIDGE", "CASTER", "MOUTH", "LOW", "HOPE", "STEAD", "WOOD",
                               "WELL", "SHAW")])


def _name_words(rng: np.random.Generator, n: int) -> np.ndarray:
    """Words of names: the plain fictional ones a fifth of the time, else made-up ones."""
    plain = rng.random(n) < 0.2
    return np.where(plain, _WORDS[rng.integers(0, len(_WORDS), n)],
                    _MADE_UP[rng.integers(0, len(_MADE_UP), n)]).astype(object)


def company_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Company-like names: word, word or number, trade, ending, legal form."""
    w1 = _name_words(rng, n)
    w2 = np.where(rng.random(n) < 0.6, _name_words(rng, n),
                  rng.integers(1, 9999, n).astype(str)).astype(object)
    trade = _TRADES[rng.integers(0, len(_TRADES), n)].astype(object)
    ending = _ENDINGS[rng.integers(0, len(_ENDINGS), n)].astype(object)
    form = _FORMS[rng.integers(0, len(_FORMS), n)].astype(object)
    body = w1 + " " + w2 + " " + trade + " " + ending
    return np.char.replace((body + " " + form).astype(str), "  ", " ")


def _dates(rng: np.random.Generator, n: int, start: int = 1950, end: int = 2025) -> np.ndarray:
    days = rng.integers(0, (end - start) * 365, n)
    when = np.datetime64(f"{start}-01-01") + days.astype("timedelta64[D]")
    return pd.to_datetime(when).strftime("%d/%m/%Y").to_numpy(dtype=str)


def companies_house_chunk(start: int, n: int, seed: int) -> pd.DataFrame:
    """Rows ``start`` … ``start + n - 1`` of the synthetic register, from a generator
    seeded by (``seed``, ``start``): a register's chunk can be made again alone
    (``start`` a multiple of :data:`CHUNK`, ``n`` = :data:`CHUNK`).  The official columns a
    reader uses, named as published (stripped)."""
    rng = np.random.default_rng([seed, start])
    names = company_names(rng, n)
    form = pd.Series(names).str.extract(r"(LIMITED|LTD|PLC|LLP|COMMUNITY INTEREST COMPANY)$")[0]
    status = rng.choice([s for s, _ in _STATUSES], n, p=[p for _, p in _STATUSES])
    previous = np.where(rng.random(n) < 0.12, company_names(rng, n), "")
    sic2 = np.where(rng.random(n) < 0.3, _SIC[rng.integers(0, len(_SIC), n)], "")
    return pd.DataFrame({
        "CompanyName": names,
        "CompanyNumber": np.char.zfill((np.arange(start, start + n) + 1_000_000).astype(str), 8),
        "RegAddress.AddressLine1": (rng.integers(1, 300, n).astype(str).astype(object)
                                    + " HIGH STREET").astype(str),
        "RegAddress.PostTown": _WORDS[rng.integers(0, len(_WORDS), n)],
        "RegAddress.PostCode": postcodes(rng, n),
        "CompanyCategory": form.map(_CATEGORY).to_numpy(dtype=str),
        "CompanyStatus": status,
        "CountryOfOrigin": "United Kingdom",
        "DissolutionDate": np.where(status == "Dissolved", _dates(rng, n, 2020, 2025), ""),
        "IncorporationDate": _dates(rng, n),
        "SICCode.SicText_1": _SIC[rng.integers(0, len(_SIC), n)],
        "SICCode.SicText_2": sic2,
        "URI": np.char.add("http://business.data.gov.uk/id/company/",
                           np.char.zfill((np.arange(start, start + n) + 1_000_000).astype(str), 8)),
        "PreviousName_1.CONDATE": np.where(previous != "", _dates(rng, n, 2000, 2024), ""),
        "PreviousName_1.CompanyName": previous,
    })


def write_companies_house(frames: Iterator[pd.DataFrame] | pd.DataFrame, path: Path) -> Path:
    """Write rows (official column names, stripped; missing columns blank) as Companies
    House publishes them: its header cell for cell, every field quoted, UTF-8; zipped
    when ``path`` ends in ``.zip`` (the member named as the zip, ``.csv``)."""
    parts = [frames] if isinstance(frames, pd.DataFrame) else frames
    header = [c.strip() for c in CH_HEADER]
    with _target(path, ".csv") as fh:
        fh.write((",".join(CH_HEADER) + "\r\n").encode("utf-8"))
        for frame in parts:
            full = frame.reindex(columns=header, fill_value="").fillna("").astype(str)
            table = pa.Table.from_pandas(full, preserve_index=False)
            options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid",
                                         eol="\r\n")
            pacsv.write_csv(table, fh, write_options=options)
    return path


def companies_house_register(path: Path, n: int, seed: int = 2024) -> Path:
    """A synthetic register of ``n`` companies at ``path`` (CSV or zip), written chunk by
    chunk."""
    chunks = (companies_house_chunk(s, min(CHUNK, n - s), seed) for s in range(0, n, CHUNK))
    return write_companies_house(chunks, path)


def write_charity_extract(frame: pd.DataFrame, path: Path, form: str = "txt") -> Path:
    """Rows (official ``charity`` columns; missing ones blank) as the Charity Commission
    extract: tab-separated text with a header, or a JSON array of objects (UTF-8 with a
    byte-order mark, as published); zipped when ``path`` ends in ``.zip``."""
    full = frame.reindex(columns=list(CHARITY_COLUMNS), fill_value="").fillna("").astype(str)
    member = ".json" if form == "json" else ".txt"
    with _target(path, member) as fh:
        if form == "json":
            records = full.to_dict(orient="records")
            for r in records:  # numbers are numbers in the JSON form
                for k in ("organisation_number", "registered_charity_number",
                          "linked_charity_number"):
                    r[k] = int(r[k]) if str(r[k]).isdigit() else None
            fh.write(b"\xef\xbb\xbf" + json.dumps(records).encode("utf-8"))
        else:
            fh.write(full.to_csv(sep="\t", index=False, lineterminator="\r\n",
                                 quoting=csv.QUOTE_NONE).encode("utf-8"))
    return path


def write_gias(frame: pd.DataFrame, path: Path) -> Path:
    """Rows (official GIAS columns; missing ones blank) as ``edubasealldata…csv``: comma
    separated, quoted where needed, Windows-1252."""
    full = frame.reindex(columns=list(GIAS_COLUMNS), fill_value="").fillna("").astype(str)
    with _target(path, ".csv") as fh:
        fh.write(full.to_csv(index=False, lineterminator="\r\n").encode("cp1252"))
    return path


class _target:
    """A binary file to write: ``path`` itself, or one member of a zip at ``path``."""

    def __init__(self, path: Path, member_suffix: str) -> None:
        self.path, self.suffix = Path(path), member_suffix

    def __enter__(self) -> io.BufferedIOBase:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.suffix.lower() != ".zip":
            self._fh = self.path.open("wb")
            return self._fh
        self._zip = zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._fh = self._zip.open(self.path.stem + self.suffix, "w", force_zip64=True)
        return self._fh

    def __exit__(self, *exc: object) -> None:
        self._fh.close()
        if self.path.suffix.lower() == ".zip":
            self._zip.close()
