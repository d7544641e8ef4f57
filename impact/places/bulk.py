"""The official bulk registers, built into compact tables that suppliers are matched against.

Three national registers are free to download and say where an organisation is:

* **Companies House** "Free Company Data Product" (``BasicCompanyData-YYYY-MM-01-partN_M.zip``
  or ``BasicCompanyDataAsOneFile-YYYY-MM-01.zip``): one CSV row per live company, every
  field quoted, headers as published (``CompanyName``, `` CompanyNumber``,
  ``RegAddress.PostCode``, ``CompanyCategory``, ``CompanyStatus``, ``DissolutionDate``,
  ``IncorporationDate`` (dd/mm/yyyy), ``SICCode.SicText_1`` … ``_4`` ("70229 - text"),
  ``PreviousName_1.CompanyName`` … ``_10``): the **registered office**;
* the **Charity Commission** register extract (``publicextract.charity.zip``, the
  tab-separated text or the JSON form): ``registered_charity_number``,
  ``linked_charity_number`` (0 for a main charity), ``charity_name``,
  ``charity_registration_status``, ``date_of_registration``, ``date_of_removal``,
  ``charity_contact_postcode``, ``charity_company_registration_number``: the charity's
  **registered (contact) address**;
* DfE **Get Information About Schools** (``edubasealldataYYYYMMDD.csv``, Windows-1252):
  ``URN``, ``EstablishmentName``, ``TypeOfEstablishment (name)``,
  ``EstablishmentStatus (name)``, ``OpenDate``/``CloseDate`` (dd-mm-yyyy), ``Postcode``,
  ``LA (code)``, ``DistrictAdministrative (code)`` (the GSS district): the school's **site**.

:func:`build_table` streams any of them (plain, or zipped as published) in record batches
— never the whole file in memory — and writes one compact Parquet table per register into
the reference folder (``registers/<kind>_<snapshot>.parquet``, found by role, see
:data:`impact.places.reference.ROLES`) with the same columns for all three
(:data:`TABLE_SCHEMA`): the register's id, name, normalised name
(:func:`impact.ingest.names.normalise_names`, the key every register is joined on),
registered postcode (:func:`impact.core.values.normalise_postcodes`), status, category,
SIC codes, the company number (:func:`impact.core.values.clean_company_numbers`), the
school's district, opening and closing dates, and ``block`` (the first word of the
normalised name: the key that bounds fuzzy candidates, see :mod:`.bulk_lookup`).  A
company's previous names are rows of their own (``name_kind`` ``previous``), since
councils' vendor masters keep old names.  Every row read is used or set aside with a reason
(rows in = rows used + rows set aside); the counts and sources are kept in the table's
metadata.
"""

from __future__ import annotations

import codecs
import io
import json
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from impact.core.values import clean_charity_numbers, clean_company_numbers, normalise_postcodes
from impact.ingest.names import normalise_names
from impact.ingest.tables import UnreadableFile, decode

# --- The official layouts ---------------------------------------------------------------------
#: Companies House BasicCompanyData header, cell for cell as published (some cells start with
#: a space).
CH_HEADER: tuple[str, ...] = tuple((
    "CompanyName, CompanyNumber,RegAddress.CareOf,RegAddress.POBox,RegAddress.AddressLine1,"
    " RegAddress.AddressLine2,RegAddress.PostTown,RegAddress.County,RegAddress.Country,"
    "RegAddress.PostCode,CompanyCategory,CompanyStatus,CountryOfOrigin,DissolutionDate,"
    "IncorporationDate,Accounts.AccountRefDay,Accounts.AccountRefMonth,Accounts.NextDueDate,"
    "Accounts.LastMadeUpDate,Accounts.AccountCategory,Returns.NextDueDate,"
    "Returns.LastMadeUpDate,Mortgages.NumMortCharges,Mortgages.NumMortOutstanding,"
    "Mortgages.NumMortPartSatisfied,Mortgages.NumMortSatisfied,SICCode.SicText_1,"
    "SICCode.SicText_2,SICCode.SicText_3,SICCode.SicText_4,LimitedPartnerships.NumGenPartners,"
    "LimitedPartnerships.NumLimPartners,URI,PreviousName_1.CONDATE, PreviousName_1.CompanyName,"
    " PreviousName_2.CONDATE, PreviousName_2.CompanyName,"
    + ",".join(f"PreviousName_{i}.CONDATE, PreviousName_{i}.CompanyName" for i in range(3, 11))
    + ",ConfStmtNextDueDate, ConfStmtLastMadeUpDate"
).split(","))
#: Charity Commission register extract, table ``charity`` (text and JSON forms).
CHARITY_COLUMNS: tuple[str, ...] = (
    "date_of_extract", "organisation_number", "registered_charity_number",
    "linked_charity_number", "charity_name", "charity_type", "charity_registration_status",
    "date_of_registration", "date_of_removal", "charity_reporting_status",
    "latest_acc_fin_period_start_date", "latest_acc_fin_period_end_date", "latest_income",
    "latest_expenditure", "charity_contact_address1", "charity_contact_address2",
    "charity_contact_address3", "charity_contact_address4", "charity_contact_address5",
    "charity_contact_postcode", "charity_contact_phone", "charity_contact_email",
    "charity_contact_web", "charity_company_registration_number", "charity_insolvent",
    "charity_in_administration", "charity_previously_excepted", "charity_is_cdf_or_cuf",
    "charity_is_cio", "cio_is_dissolved", "date_cio_dissolution_notice", "charity_activities",
    "charity_gift_aid", "charity_has_land",
)
#: DfE Get Information About Schools, all establishments (``edubasealldata``), the columns
#: up to the address and the geography ones a council's schools are told apart by.
GIAS_COLUMNS: tuple[str, ...] = (
    "URN", "LA (code)", "LA (name)", "EstablishmentNumber", "EstablishmentName",
    "TypeOfEstablishment (code)", "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (code)", "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (code)", "EstablishmentStatus (name)",
    "ReasonEstablishmentOpened (code)", "ReasonEstablishmentOpened (name)", "OpenDate",
    "ReasonEstablishmentClosed (code)", "ReasonEstablishmentClosed (name)", "CloseDate",
    "PhaseOfEducation (code)", "PhaseOfEducation (name)", "StatutoryLowAge",
    "StatutoryHighAge", "Trusts (code)", "Trusts (name)", "UKPRN", "Street", "Locality",
    "Address3", "Town", "County (name)", "Postcode", "SchoolWebsite", "TelephoneNum",
    "GOR (code)", "GOR (name)", "DistrictAdministrative (code)",
    "DistrictAdministrative (name)", "AdministrativeWard (code)",
    "AdministrativeWard (name)", "Easting", "Northing",
)


@dataclass(frozen=True)
class Layout:
    """One official register: its fields (canonical → published header), how it is
    written, and what its places stand for.

    ``date_format`` reads ``opened``/``closed`` (None: ISO dates, time of day ignored);
    ``role`` is the reference role its compact table is found by; ``basis`` the
    ``place_basis`` of a supplier placed from it (:data:`impact.places.locate.PLACE_BASES`).
    """

    kind: str
    role: str
    title: str
    id_label: str
    fields: dict[str, str]
    basis: str
    date_format: str | None
    delimiter: str = ","
    quoted: bool = True
    previous_names: tuple[str, ...] = ()

    @property
    def file_stem(self) -> str:
        return self.kind


COMPANIES_HOUSE = Layout(
    kind="companies_house", role="companies_house", title="Companies House",
    id_label="company number",
    fields={"id": "CompanyNumber", "name": "CompanyName", "postcode": "RegAddress.PostCode",
            "town": "RegAddress.PostTown", "status": "CompanyStatus",
            "category": "CompanyCategory", "opened": "IncorporationDate",
            "closed": "DissolutionDate",
            **{f"sic_{i}": f"SICCode.SicText_{i}" for i in range(1, 5)}},
    previous_names=tuple(f"PreviousName_{i}.CompanyName" for i in range(1, 11)),
    basis="registered_office", date_format="%d/%m/%Y",
)
CHARITIES = Layout(
    kind="charities", role="charity_register", title="Charity Commission register",
    id_label="charity number",
    fields={"id": "registered_charity_number", "linked": "linked_charity_number",
            "name": "charity_name", "postcode": "charity_contact_postcode",
            "status": "charity_registration_status", "category": "charity_type",
            "opened": "date_of_registration", "closed": "date_of_removal",
            "company_number": "charity_company_registration_number",
            "extract_date": "date_of_extract"},
    basis="registered_office", date_format=None, delimiter="\t", quoted=False,
)
SCHOOLS = Layout(
    kind="schools", role="schools", title="Get Information About Schools",
    id_label="URN",
    fields={"id": "URN", "name": "EstablishmentName", "postcode": "Postcode", "town": "Town",
            "status": "EstablishmentStatus (name)", "category": "TypeOfEstablishment (name)",
            "opened": "OpenDate", "closed": "CloseDate",
            "lad_code": "DistrictAdministrative (code)"},
    basis="school_site", date_format="%d-%m-%Y",
)
LAYOUTS: dict[str, Layout] = {x.kind: x for x in (COMPANIES_HOUSE, CHARITIES, SCHOOLS)}
#: What every layout must carry for its table to be worth building.
REQUIRED = ("id", "name", "postcode", "status")

#: The compact table: the same columns for every register.
TABLE_SCHEMA = pa.schema([
    ("id", pa.string()), ("name", pa.string()), ("name_norm", pa.string()),
    ("name_kind", pa.string()), ("postcode", pa.string()), ("town", pa.string()),
    ("status", pa.string()), ("category", pa.string()), ("sic_codes", pa.string()),
    ("company_number", pa.string()), ("lad_code", pa.string()), ("opened", pa.date32()),
    ("closed", pa.date32()), ("block", pa.string()),
])
#: Parquet key-value metadata key holding the build summary (:class:`BuildReport`).
META_KEY = b"impact.places.bulk"
_BLOCK_BYTES = 16 << 20  # CSV bytes per record batch: ~50k Companies House rows
_ROW_GROUP = 256_000
#: Rows per row group of the sorted table: a name lookup reads one or two of them.
_SORTED_GROUP = 50_000
_SORT_MEMORY = "1GB"


class BulkError(ValueError):
    """A file that is not the register it is given as; the message is one line."""


@dataclass
class BuildReport:
    """What :func:`build_table` read and wrote: every row in is used or set aside."""

    kind: str
    title: str
    path: str
    sources: list[str]
    snapshot: str
    rows_in: int = 0
    rows_used: int = 0
    set_aside: dict[str, int] = field(default_factory=dict)
    previous_names: int = 0
    no_postcode: int = 0
    seconds: float = 0.0

    def add_aside(self, reason: str, n: int) -> None:
        if n:
            self.set_aside[reason] = self.set_aside.get(reason, 0) + int(n)

    def line(self) -> str:
        """One line for the command line."""
        aside = sum(self.set_aside.values())
        return (f"{self.title} ({self.snapshot}): {self.rows_in:,} rows in = "
                f"{self.rows_used:,} used + {aside:,} set aside; "
                f"{self.previous_names:,} previous names; {self.no_postcode:,} without a "
                f"usable postcode; {self.seconds:.0f} s → {self.path}")


# --- Building ----------------------------------------------------------------------------------


def build_table(kind: str, sources: list[Path], reference_dir: Path) -> BuildReport:
    """Build the compact table of register ``kind`` from its official files ``sources``
    (CSV/TXT/JSON, or the zips they are published in) into ``reference_dir``; the file is
    written whole or not at all."""
    layout = LAYOUTS[kind]
    t0 = time.perf_counter()
    paths = [Path(p) for p in sources]
    missing = [p for p in paths if not p.is_file()]
    if missing or not paths:
        raise BulkError(f"{missing[0] if missing else 'no file'}: not found")
    report = BuildReport(kind, layout.title, "", [p.name for p in paths], _snapshot(paths))
    out = Path(reference_dir) / "registers" / f"{layout.file_stem}_{report.snapshot}.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    try:
        with pq.ParquetWriter(part, TABLE_SCHEMA, compression="snappy") as writer:
            for raw in _raw_batches(layout, paths, report):
                writer.write_table(_compact(layout, raw, report), row_group_size=_ROW_GROUP)
        if report.rows_used == 0:
            raise BulkError(f"{report.sources[0]}: no usable {layout.title} rows")
        report.path = str(out)
        report.seconds = round(time.perf_counter() - t0, 2)
        _write_sorted(part, out, report)
        report.seconds = round(time.perf_counter() - t0, 2)
    finally:
        part.unlink(missing_ok=True)
    return report


def _write_sorted(part: Path, out: Path, report: BuildReport) -> None:
    """``part`` rewritten to ``out`` sorted by block and normalised name, so a lookup by
    name reads only the row groups whose name range holds it (the table's index); DuckDB
    sorts out of core within a memory limit.  Written whole or not at all."""
    import duckdb

    meta = json.dumps(asdict(report)).replace("'", "''")
    tmp = out.with_name(out.name + ".sorting")
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit='{_SORT_MEMORY}'")
        con.execute(f"SET temp_directory='{_sql_text(str(out.parent / '.duckdb_tmp'))}'")
        con.execute("SET preserve_insertion_order=false")
        con.execute(
            f"COPY (SELECT * FROM read_parquet('{_sql_text(str(part))}') "
            f"ORDER BY block, name_norm, id) TO '{_sql_text(str(tmp))}' "
            f"(FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE {_SORTED_GROUP}, "
            f"KV_METADATA {{'{META_KEY.decode()}': '{meta}'}})")
        tmp.replace(out)
    finally:
        con.close()
        tmp.unlink(missing_ok=True)
        shutil.rmtree(out.parent / ".duckdb_tmp", ignore_errors=True)


def _sql_text(value: str) -> str:
    return value.replace("'", "''")


def read_report(path: Path) -> dict:
    """The build summary kept in a compact table's metadata ({} when absent)."""
    meta = pq.read_metadata(path).metadata or {}
    return json.loads(meta[META_KEY]) if META_KEY in meta else {}


def _snapshot(paths: list[Path]) -> str:
    """The snapshot date the official file names carry (Companies House ``2026-01-01``,
    GIAS ``20260115``), else the newest file's modification date."""
    for p in paths:
        m = re.search(r"(20\d\d)-?([01]\d)-?([0-3]\d)", p.name)
        if m:
            return "-".join(m.groups())
    newest = max(p.stat().st_mtime for p in paths)
    return date.fromtimestamp(newest).isoformat()


def _compact(layout: Layout, raw: pa.Table, report: BuildReport) -> pa.Table:
    """One batch of official columns (text) → rows of :data:`TABLE_SCHEMA`, with the rows
    set aside counted in ``report``."""
    n = raw.num_rows
    report.rows_in += n
    text = {c: pc.utf8_trim_whitespace(raw.column(c)) for c in raw.column_names}
    keep = _usable(layout, text, report)
    text = {c: v.filter(keep) for c, v in text.items()}
    report.rows_used += len(text["id"])
    table = _current_rows(layout, text)
    report.no_postcode += table.column("postcode").null_count
    extra = _previous_name_rows(layout, text, table)
    report.previous_names += extra.num_rows
    return pa.concat_tables([table, extra]) if extra.num_rows else table


def _usable(layout: Layout, text: dict[str, pa.ChunkedArray], report: BuildReport) -> pa.Array:
    """Rows worth keeping: an id that reads, a name; a charity's own row (not a linked one)."""
    ids = _clean_ids(layout, text["id"])
    text["id"] = ids
    no_id = pc.is_null(ids)
    no_name = pc.and_(pc.invert(no_id), pc.equal(text["name"], ""))
    report.add_aside(f"no {layout.id_label} that reads", pc.sum(no_id).as_py() or 0)
    report.add_aside("no name", pc.sum(no_name).as_py() or 0)
    keep = pc.invert(pc.or_(no_id, no_name))
    if "linked" in text:
        linked = pc.and_(keep, pc.invert(pc.is_in(text["linked"], pa.array(["", "0"]))))
        report.add_aside("a linked charity (its main charity is kept)",
                         pc.sum(linked).as_py() or 0)
        keep = pc.and_(keep, pc.invert(linked))
    return keep.combine_chunks() if isinstance(keep, pa.ChunkedArray) else keep


#: A company number already as the register writes it: :func:`clean_company_numbers` leaves
#: it unchanged, so only the others go through it (Companies House's own file is all such).
_CANONICAL_COMPANY = r"^(?:[0-9]{8}|[A-Z]{2}[0-9]{6})$"


def _clean_ids(layout: Layout, ids: pa.ChunkedArray) -> pa.Array:
    if layout is CHARITIES:
        return _as_arrow(clean_charity_numbers(_as_series(ids)))
    if layout is SCHOOLS:
        return pc.if_else(pc.match_substring_regex(ids, r"^[0-9]{5,7}$"), ids, None)
    return _company_numbers(ids)


def _company_numbers(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """:func:`clean_company_numbers` of ``values``, skipped when all are canonical."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pc.all(pc.match_substring_regex(values, _CANONICAL_COMPANY)).as_py() is not False:
        return values
    return _as_arrow(clean_company_numbers(_as_series(values)))


def _current_rows(layout: Layout, text: dict[str, pa.Array]) -> pa.Table:
    """The compact row of each register row, under its current name."""
    n = len(text["id"])
    blank = pa.nulls(n, pa.string())
    name_norm = _as_arrow(normalise_names(_as_series(text["name"])))
    columns = {
        "id": text["id"], "name": text["name"], "name_norm": name_norm,
        "name_kind": pa.array(["current"] * n, pa.string()),
        "postcode": _as_arrow(normalise_postcodes(_as_series(text["postcode"]))),
        "town": _blank_null(text.get("town", blank)),
        "status": _blank_null(text["status"]),
        "category": _blank_null(text.get("category", blank)),
        "sic_codes": _sic_codes(text) if "sic_1" in text else blank,
        "company_number": _company_number(layout, text, blank),
        "lad_code": _blank_null(text.get("lad_code", blank)),
        "opened": _dates(text.get("opened", blank), layout.date_format),
        "closed": _dates(text.get("closed", blank), layout.date_format),
        "block": _first_words(name_norm),
    }
    return pa.table(columns, schema=TABLE_SCHEMA)


def _company_number(layout: Layout, text: dict[str, pa.Array], blank: pa.Array) -> pa.Array:
    if layout is COMPANIES_HOUSE:
        return text["id"]
    if "company_number" not in text:
        return blank
    return _company_numbers(_blank_null(text["company_number"]).fill_null(""))


def _previous_name_rows(layout: Layout, text: dict[str, pa.Array], current: pa.Table) -> pa.Table:
    """A row per previous name (the company's facts under that name)."""
    frames = []
    for i, _ in enumerate(layout.previous_names, start=1):
        col = text.get(f"previous_{i}")
        if col is None:
            continue
        has = pc.not_equal(col, "")
        if not pc.any(has).as_py():
            continue
        rows = current.filter(has)
        names = col.filter(has)
        norm = _as_arrow(normalise_names(_as_series(names)))
        rows = rows.set_column(1, "name", names).set_column(2, "name_norm", norm)
        rows = rows.set_column(3, "name_kind", pa.array(["previous"] * rows.num_rows))
        frames.append(rows.set_column(13, "block", _first_words(norm)))
    return pa.concat_tables(frames) if frames else current.slice(0, 0)


def _sic_codes(text: dict[str, pa.Array]) -> pa.Array:
    """The SIC codes of ``SicText_1`` … ``_4`` ("70229 - Management consultancy …"), joined
    with ``;`` (null when none)."""
    codes = [pc.struct_field(pc.extract_regex(text[f"sic_{i}"], r"^(?P<c>\d{4,5})\b"), [0])
             for i in range(1, 5) if f"sic_{i}" in text]
    # Blanks joined and trimmed: ``null_handling="skip"`` drops all-null rows (pyarrow 2x).
    joined = pc.binary_join_element_wise(*[c.fill_null("") for c in codes], ";")
    joined = pc.utf8_trim(pc.replace_substring_regex(joined, ";+", ";"), ";")
    return _blank_null(joined)


def _dates(values: pa.Array, fmt: str | None) -> pa.Array:
    """Dates in the register's own format (ISO when ``fmt`` is None); null where none."""
    if fmt is None:
        values = pc.utf8_slice_codeunits(values, 0, 10)
        fmt = "%Y-%m-%d"
    parsed = pc.strptime(values, format=fmt, unit="s", error_is_null=True)
    return pc.cast(parsed, pa.date32())


def _first_words(names: pa.Array) -> pa.Array:
    words = pc.split_pattern(names, " ", max_splits=1)
    return pc.list_element(words.fill_null(pa.scalar([""], words.type)), 0)


def _blank_null(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, ""), None, values)


def _as_series(values: pa.Array | pa.ChunkedArray) -> pd.Series:
    with pd.option_context("mode.string_storage", "pyarrow"):
        return pd.Series(values.to_pandas(types_mapper=pd.ArrowDtype)).astype("string")


def _as_arrow(values: pd.Series) -> pa.Array:
    arr = pa.array(values.array, pa.string()) if len(values) else pa.array([], pa.string())
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


# --- Reading the official files ----------------------------------------------------------------


def _raw_batches(layout: Layout, paths: list[Path], report: BuildReport) -> Iterator[pa.Table]:
    """Record batches of the layout's official columns (text, '' for blanks), file after
    file and zip member after member; a file of another layout is refused by name."""
    for path in paths:
        for name, opener in _members(path):
            if name.lower().endswith(".json"):
                yield from _json_batches(layout, name, opener)
            else:
                yield from _csv_batches(layout, name, opener, report)


Opener = Callable[[], IO[bytes]]


def _members(path: Path) -> Iterator[tuple[str, Opener]]:
    """(name, opener) of each data file: the file itself, or each CSV/TXT/JSON in a zip."""
    if not zipfile.is_zipfile(path):
        yield path.name, lambda: path.open("rb")
        return
    with zipfile.ZipFile(path) as zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()
                 and i.filename.lower().endswith((".csv", ".txt", ".json"))]
    if not names:
        raise BulkError(f"{path.name}: no CSV, TXT or JSON file inside the zip")
    for name in names:
        yield f"{path.name}:{name}", _zip_opener(path, name)


def _zip_opener(path: Path, name: str) -> Opener:
    def open_member() -> IO[bytes]:
        zf = zipfile.ZipFile(path)
        return _ClosingMember(zf, zf.open(name))

    return open_member


class _ClosingMember(io.RawIOBase):
    """A zip member's stream that closes its archive with it."""

    def __init__(self, archive: zipfile.ZipFile, member: IO[bytes]) -> None:
        self._archive, self._member = archive, member

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:
        data = self._member.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._member.close()
        self._archive.close()
        super().close()


@dataclass(frozen=True)
class _Head:
    """A text file's header, and how its bytes are to be read."""

    cells: list[str]
    encoding: str
    columns: dict[str, int]  # canonical field → column position


def _read_head(layout: Layout, name: str, opener: Opener) -> _Head:
    """The header row, decoded as every CSV is (:func:`decode`), matched to the layout."""
    with opener() as fh:
        sample = fh.read(1 << 20)
    try:
        text, encoding, _ = decode(sample)
    except UnreadableFile as exc:
        raise BulkError(f"{name}: {exc}") from None
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    cells = [c.strip().strip('"').strip() for c in first.split(layout.delimiter)]
    where = {c.casefold(): i for i, c in enumerate(cells)}
    columns = {f: where[h.casefold()] for f, h in _wanted(layout).items() if h.casefold() in where}
    missing = [layout.fields[f] for f in REQUIRED if f not in columns]
    if missing:
        raise BulkError(
            f"{name}: not the {layout.title} layout (no {', '.join(missing)} column); "
            f"headers found: {', '.join(cells[:8])}{' …' if len(cells) > 8 else ''}")
    return _Head(cells, encoding, columns)


def _wanted(layout: Layout) -> dict[str, str]:
    prev = {f"previous_{i}": h for i, h in enumerate(layout.previous_names, start=1)}
    return {**layout.fields, **prev}


def _csv_batches(layout: Layout, name: str, opener: Opener,
                 report: BuildReport) -> Iterator[pa.Table]:
    """A CSV or tab-separated text file in record batches; rows the parser cannot split
    into the header's columns are set aside and counted."""
    head = _read_head(layout, name, opener)
    positions = [f"c{i}" for i in range(len(head.cells))]
    bad = [0]

    def skip(_row: object) -> str:
        bad[0] += 1
        return "skip"

    with opener() as raw:
        stream = raw if head.encoding in ("utf-8", "utf-8-sig") else _Recoded(raw, head.encoding)
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(column_names=positions, skip_rows=1,
                                           block_size=_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(
                delimiter=layout.delimiter, quote_char='"' if layout.quoted else False,
                newlines_in_values=layout.quoted, invalid_row_handler=skip),
            convert_options=pacsv.ConvertOptions(
                include_columns=[f"c{i}" for i in head.columns.values()],
                column_types={f"c{i}": pa.string() for i in head.columns.values()},
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
        fields = {f"c{i}": f for f, i in head.columns.items()}
        for batch in reader:
            yield pa.Table.from_batches([batch]).rename_columns(
                [fields[c] for c in batch.schema.names])
    report.add_aside("a row the parser could not split into the header's columns", bad[0])


class _Recoded(io.RawIOBase):
    """A byte stream in another encoding, read as UTF-8 (undecodable bytes replaced), so
    Arrow's CSV reader reads Windows-1252 files as it reads UTF-8 ones."""

    def __init__(self, raw: IO[bytes], encoding: str) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(encoding.split("+")[0])(errors="replace")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:
        while len(self._pending) < len(buffer):
            chunk = self._raw.read(1 << 20)
            self._pending += self._decoder.decode(chunk, final=not chunk).encode("utf-8")
            if not chunk:
                break
        n = min(len(buffer), len(self._pending))
        buffer[:n], self._pending = self._pending[:n], self._pending[n:]
        return n


def _json_batches(layout: Layout, name: str, opener: Opener) -> Iterator[pa.Table]:
    """The register's JSON form (one array of objects, as the Charity Commission publishes
    it), read by DuckDB in record batches after copying a zipped file out to disk."""
    import duckdb

    wanted = _wanted(layout)
    with _on_disk(name, opener) as path:
        con = duckdb.connect()
        try:
            columns = ", ".join(f"'{h}': 'VARCHAR'" for h in wanted.values())
            select = ", ".join(f'coalesce(CAST("{h}" AS VARCHAR), \'\') AS "{f}"'
                               for f, h in wanted.items())
            query = (f"SELECT {select} FROM read_json(?, format='array', "
                     f"columns={{{columns}}})")
            try:
                reader = con.sql(query, params=[str(path)]).to_arrow_reader(50_000)
            except duckdb.Error as exc:
                raise BulkError(f"{name}: not the {layout.title} JSON ({_first_line(exc)})"
                                ) from None
            for batch in reader:
                yield pa.Table.from_batches([batch])
        finally:
            con.close()


@contextmanager
def _on_disk(name: str, opener: Opener) -> Iterator[Path]:
    """A path to the file's bytes: the file itself, or a zip member copied to a temporary
    file (removed after)."""
    if ":" not in name:
        with opener() as fh:
            yield Path(fh.name)
        return
    with tempfile.TemporaryDirectory(prefix="impact-bulk-") as tmp:
        path = Path(tmp) / Path(name.split(":", 1)[1]).name
        with opener() as src, path.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        yield path


def _first_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160]
