"""Supplier registers: any table that says where a supplier is (name/id → postcode).

No spend file says where a supplier is, and public registers place only a minority of
spend by value, so a council's own knowledge has to be easy to add: any CSV with a
supplier-name (or supplier-id) column and a postcode column is accepted, whatever its
header spelling, encoding or BOM.  Headers are matched case-, space- and
punctuation-insensitively against synonym lists (:data:`SYNONYMS`).

The council's own register (written by :func:`save_resolution`, editable in Excel) uses
this template header::

    supplier_id,supplier_name,postcode,company_number,sme,vcse,source,note

``supplier_id`` is the council's vendor number (optional; matched before names),
``company_number`` the Companies House number (optional; a vendor master's
``charity_number`` is read too), ``sme``/``vcse`` Y/N flags,
``source`` where the fact came from (``manual`` when saved from the app), ``note`` free text.

Rules applied by :func:`read_register`, reported rather than silent:

* extra name rows: ``aliases`` (`` | ``-separated, Lancashire taxonomy), ``CurrentName``
  (gender-pay-gap), ``aliases_or_code`` (combined table; bare ODS codes skipped);
* rows with neither name nor id are rejected; rows without a usable postcode are kept
  only when they carry a company number (a company-number join can still use them);
* duplicate normalised names: the row with a usable postcode wins, then the first in
  file order (the register's own order is taken as its priority); the others go to
  ``rejected`` with reason ``duplicate name``; names seen with different postcodes are
  counted in ``conflicts``;
* Companies House "BasicCompanyData" bulk files (headers `` CompanyNumber``,
  ``RegAddress.PostCode``…) are read column-wise with pyarrow, so a 2.5 GB file costs
  only the few columns used.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from impact.core.atomic import atomic_write_text, locked
from impact.core.values import clean_charity_numbers, clean_company_numbers, normalise_postcodes
from impact.ingest.columns import norm_header
from impact.ingest.names import normalise_names
from impact.ingest.tables import decode, read_csv

#: Canonical register columns, in order.
REGISTER_COLUMNS = (
    "supplier_id",
    "supplier_name",
    "supplier_name_norm",
    "postcode",
    "company_number",
    "sme",
    "vcse",
    "sic",
    "source",
    "source_row",
    "charity_number",
)
#: Header of a council register created by :func:`save_resolution`.
TEMPLATE_COLUMNS = (
    "supplier_id",
    "supplier_name",
    "postcode",
    "company_number",
    "sme",
    "vcse",
    "source",
    "note",
)

#: canonical field → normalised headers (letters/digits, lower case), most specific first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "supplier_name": (
        "suppliername",
        "suppliercanonical",
        "suppliercompanyname",
        "supplierbeneficiaryname",
        "employername",
        "organisationname",
        "organizationname",
        "companyname",
        "vendorname",
        "payeename",
        "beneficiaryname",
        "creditorname",
        "tradingname",
        "supplier",
        "name",
        "orgname",
        "organisation",
    ),
    "supplier_id": (
        "supplierid",
        "vendorid",
        "suppliernumber",
        "vendornumber",
        "suppliercode",
        "vendorcode",
        "supplierref",
        "supplierreference",
        "creditorid",
        "creditornumber",
        "vendorno",
        "supplierno",
    ),
    "postcode": (
        "postcode",
        "supplierpostcode",
        "regpostcode",
        "regaddresspostcode",
        "registeredpostcode",
        "postalcode",
        "pcode",
        "zip",
        "addresspostcode",
        "supplieraddresspostcode",
    ),
    "charity_number": (
        "charitynumber",
        "registeredcharitynumber",
        "charityno",
        "charityregistrationnumber",
        "charityregno",
    ),
    "company_number": (
        "companynumber",
        "chcompanynumber",
        "companyno",
        "companyregistrationnumber",
        "supplierregisteredcompanynumber",
        "registeredcompanynumber",
        "companieshousenumber",
        "crn",
        "companyregno",
    ),
    "sme": ("smesupplier", "sme", "issme", "smeflag"),
    "vcse": (
        "vcse",
        "vcsesupplier",
        "voluntarycommunityandsocialenterprisesupplier",
        "isvcse",
    ),
    "sic": ("sic", "siccode", "siccodes", "chsiccodes", "siccodesictext1", "sictext1"),
    "source": ("source",),
    "aliases": ("aliases", "aliasesorcode", "currentname", "othernames", "alsoknownas"),
}
_BOM_JUNK = re.compile(r"^(\ufeff|ï»¿|\xef\xbb\xbf)+")
_ODS_CODE = re.compile(r"^[A-Z0-9]{3,6}$")
_BIG_FILE = 200 * 1024**2


class RegisterError(ValueError):
    """A register that cannot be used; the message is one line for the user."""


@dataclass
class Register:
    """A supplier register in canonical columns, and how it was read.

    Attributes
    ----------
    frame : one row per usable name/id, columns :data:`REGISTER_COLUMNS`.
    columns_used : canonical field → source header it came from.
    rejected : rows not used, with ``source_row``, ``supplier_name``, ``reason``.
    conflicts : normalised names seen with more than one postcode (first kept).
    no_postcode_kept : rows kept without a postcode because they carry a company number.
    """

    frame: pd.DataFrame
    columns_used: dict[str, str]
    rejected: pd.DataFrame
    path: Path | None = None
    encoding: str = ""
    conflicts: int = 0
    no_postcode_kept: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """Counts for reports and the app."""
        return {
            "path": str(self.path) if self.path else None,
            "rows": len(self.frame),
            "rejected": len(self.rejected),
            "rejected_by_reason": self.rejected["reason"].value_counts().to_dict(),
            "conflicts": self.conflicts,
            "no_postcode_kept": self.no_postcode_kept,
            "columns_used": self.columns_used,
            "encoding": self.encoding,
        }


def match_columns(headers: list[str]) -> dict[str, str]:
    """Canonical field → header, by :data:`SYNONYMS`; one-line error when unusable."""
    normed = [norm_header(h) for h in headers]
    used: dict[str, str] = {}
    taken: set[int] = set()
    for fld, synonyms in SYNONYMS.items():
        for syn in synonyms:
            hits = [i for i, h in enumerate(normed) if h == syn and i not in taken]
            if len(hits) > 1:
                raise RegisterError(
                    f"cannot tell which column is the {fld}: {len(hits)} columns headed "
                    f"{headers[hits[0]]!r}; headers found: {', '.join(map(str, headers))}"
                )
            if hits:
                used[fld] = headers[hits[0]]
                taken.add(hits[0])
                break
    if ("supplier_name" not in used and "supplier_id" not in used) or "postcode" not in used:
        missing = "postcode column" if "postcode" not in used else "supplier name or id column"
        raise RegisterError(
            f"not a supplier register: no {missing}; headers found: "
            f"{', '.join(str(h).strip() for h in headers)}"
        )
    return used


def _read_header(path: Path) -> tuple[list[str], str]:
    with path.open("rb") as fh:
        sample = fh.read(1_000_000)
    if not sample.strip():
        raise RegisterError(f"{path.name}: empty file")
    text, encoding, _ = decode(sample)
    first = next(csv.reader(io.StringIO(text)), [])
    if first:
        first[0] = _BOM_JUNK.sub("", first[0])
    return first, encoding


def _read_columns(path: Path, headers: list[str], wanted: list[str], encoding: str) -> pd.DataFrame:
    """The ``wanted`` columns as strings ('' for blanks), reading only those columns.

    Registers are decoded by :func:`impact.ingest.tables.read_csv` like every other CSV;
    a very large file (a Companies House bulk file runs to gigabytes) is read column-wise
    by pyarrow instead, in the ``encoding`` that :func:`decode` found for its first bytes.
    """
    if path.stat().st_size <= _BIG_FILE:
        df = read_csv(
            path,
            dtype=str,
            header=0,
            names=headers,
            usecols=range(len(headers)),
            on_bad_lines="warn",
            index_col=False,
        )
        df.columns = headers
        return df[wanted]
    enc = "utf8" if encoding.startswith("utf-8") else encoding
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(
            encoding=enc, column_names=headers, skip_rows=1, block_size=64 << 20
        ),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            include_columns=wanted,
            column_types=dict.fromkeys(wanted, pa.string()),
            strings_can_be_null=False,
        ),
    )
    return table.to_pandas(types_mapper=lambda t: pd.StringDtype() if t == pa.string() else None)


@dataclass(frozen=True)
class _Origin:
    """Where a register's rows came from, as its :class:`Register` reports it."""

    path: Path | None
    encoding: str
    source: str  # the ``source`` of rows whose own source column is blank


def read_register(path: str | os.PathLike[str], source: str | None = None) -> Register:
    """Read any supplier register CSV into canonical columns (see module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise RegisterError(f"register {path} does not exist")
    headers, encoding = _read_header(path)
    used = match_columns(headers)
    cols = list(dict.fromkeys(used.values()))
    raw = _read_columns(path, headers, cols, encoding)
    raw = raw.astype("string").fillna("")
    return _build(raw, used, _Origin(path, encoding, source or path.stem))


def register_from_frame(df: pd.DataFrame, source: str = "frame") -> Register:
    """A :class:`Register` from an in-memory table (same header rules)."""
    headers = [str(c) for c in df.columns]
    used = match_columns(headers)
    raw = df.copy()
    raw.columns = headers
    raw = raw[list(dict.fromkeys(used.values()))].astype("string").fillna("")
    return _build(raw, used, _Origin(None, "", source))


def _build(raw: pd.DataFrame, used: dict[str, str], origin: _Origin) -> Register:
    """Canonical rows (aliases as extra rows), then the rules of the module docstring:
    unusable rows and duplicate names are rejected with a reason, never dropped silently
    (identical alias rows excepted)."""
    rows = _canonical_rows(raw, used, origin.source)
    reason = _unusable(rows)
    silent, conflicts = _reject_duplicate_names(rows, reason)
    ok = reason.isna()
    ok.loc[silent] = False
    frame = rows.loc[ok].sort_index()
    rejected = rows.loc[
        reason.notna() & ~rows["alias"], ["source_row", "supplier_name", "postcode_raw"]
    ].copy()
    rejected["reason"] = reason[rejected.index]
    frame = frame[list(REGISTER_COLUMNS)].reset_index(drop=True)
    return Register(
        frame=frame,
        columns_used={k: v for k, v in used.items()},
        rejected=rejected.reset_index(drop=True),
        path=origin.path,
        encoding=origin.encoding,
        conflicts=conflicts,
        no_postcode_kept=int((frame["postcode"].isna()).sum()),
    )


def _canonical_rows(raw: pd.DataFrame, used: dict[str, str], source: str) -> pd.DataFrame:
    """One row per register row in canonical columns, plus one per alias; names and
    postcodes normalised, blanks NA, ``source_row`` the file line (header is line 1)."""
    n = len(raw)
    get = {f: raw[h].str.strip() for f, h in used.items()}
    blank = pd.Series("", index=raw.index, dtype="string")
    base = pd.DataFrame(
        {
            "supplier_id": get.get("supplier_id", blank),
            "supplier_name": get.get("supplier_name", blank),
            "postcode_raw": get.get("postcode", blank),
            "company_number": clean_company_numbers(get.get("company_number", blank)),
            "charity_number": clean_charity_numbers(get.get("charity_number", blank)),
            "sme": get.get("sme", blank),
            "vcse": get.get("vcse", blank),
            "sic": get.get("sic", blank),
            "source": get["source"].where(get["source"] != "", source)
            if "source" in get
            else pd.Series(source, index=raw.index, dtype="string"),
            "source_row": pd.RangeIndex(2, n + 2),
            "alias": False,
        }
    )
    frames = [base] if "aliases" not in get else [base, _alias_rows(base, get["aliases"])]
    rows = pd.concat(frames, ignore_index=True)
    rows = rows.replace({"": pd.NA})
    rows["supplier_name_norm"] = normalise_names(rows["supplier_name"])
    rows["postcode"] = normalise_postcodes(rows["postcode_raw"])
    for c in ("supplier_id", "supplier_name", "sme", "vcse", "sic", "source"):
        rows[c] = rows[c].astype("string")
    return rows


def _alias_rows(base: pd.DataFrame, aliases: pd.Series) -> pd.DataFrame:
    """A copy of its row for each `` | ``-separated alias; bare ODS codes are not names."""
    al = aliases.str.split(r"\s*\|\s*", regex=True).explode()
    al = al[al.notna() & (al.str.strip() != "")]
    al = al[~al.str.fullmatch(_ODS_CODE.pattern, na=False)]
    extra = base.loc[al.index].copy()
    extra["supplier_name"] = al.str.strip().to_numpy()
    extra["alias"] = True
    return extra


def _unusable(rows: pd.DataFrame) -> pd.Series:
    """Why a row cannot be used (NA: usable): no name or id; no postcode that reads and
    no company number that a company-number join could still use."""
    reason = pd.Series(pd.NA, index=rows.index, dtype="string")
    no_key = rows["supplier_name_norm"].isna() & rows["supplier_id"].isna()
    reason = reason.mask(no_key, "no supplier name or id")
    no_pc = rows["postcode"].isna()
    bad_pc = no_pc & rows["postcode_raw"].notna()
    reason = reason.mask(
        reason.isna() & no_pc & rows["company_number"].isna(),
        "no usable postcode or company number",
    )
    bad_label = bad_pc & (reason == "no usable postcode or company number").fillna(False)
    return reason.mask(bad_label, "postcode not recognised")


def _reject_duplicate_names(rows: pd.DataFrame, reason: pd.Series) -> tuple[pd.Index, int]:
    """Mark duplicate names in ``reason``: the row with a usable postcode wins, then file
    order.  Returns the identical alias rows to drop without a word, and how many names
    were seen with different postcodes (conflicts)."""
    keep = rows[reason.isna()].copy()
    keep["_pc"] = keep["postcode"].isna()
    keep = keep.sort_values(["_pc"], kind="stable")
    named = keep["supplier_name_norm"].notna()
    pcs = keep.loc[named].groupby("supplier_name_norm")["postcode"].nunique()
    conflicts = int((pcs > 1).sum())
    dup = named & keep.duplicated(["supplier_name_norm", "supplier_id"], keep="first")
    # Identical alias rows (same name, same postcode) are not worth reporting as rejects.
    same = dup & keep.duplicated(["supplier_name_norm", "supplier_id", "postcode"], keep="first")
    reason.loc[keep.index[dup & ~same]] = "duplicate name (kept the first with a postcode)"
    reason.loc[keep.index[same & ~keep["alias"]]] = "duplicate row"
    return keep.index[same & keep["alias"]], conflicts


@dataclass(frozen=True)
class RegisterRow:
    """One supplier's place as the council's register records it (see :data:`TEMPLATE_COLUMNS`).

    ``source`` says where the fact came from: ``manual`` (typed in the app), ``import``
    (a filled-in template), ``suggestion`` (a suggested match accepted) or any text.
    """

    supplier_name: str
    supplier_id: str | None = None
    postcode: str | None = None
    company_number: str | None = None
    note: str | None = None
    source: str = "manual"


def save_resolution(
    register_path: str | os.PathLike[str],
    supplier_name: str,
    postcode: str | None = None,
    company_number: str | None = None,
    supplier_id: str | None = None,
    note: str | None = None,
) -> Path:
    """Add or update one supplier in the council's register CSV, atomically
    (:func:`save_rows` with one typed row)."""
    row = RegisterRow(supplier_name, supplier_id, postcode, company_number, note)
    save_rows(register_path, [row])
    return Path(register_path)


def save_rows(register_path: str | os.PathLike[str], rows: list[RegisterRow]) -> list[dict]:
    """Add or update suppliers in the council's register CSV, atomically; return each row's
    previous ``postcode`` and ``company_number`` ('' where there was none).

    Every row is checked first (:func:`_checked_place`): one bad row saves nothing.  A row
    is found by ``supplier_id`` when given, else by normalised name; the file is created
    with the template header (:data:`TEMPLATE_COLUMNS`) when missing.  The whole
    read-modify-write holds the register's lock and the file is replaced atomically
    (:mod:`impact.core.atomic`), so a crash never leaves a half-written register and two
    sessions saving at once keep both rows.
    """
    path = Path(register_path)
    values = [_row_values(r) for r in rows]
    with locked(path):  # read-modify-write: concurrent savers must not lose rows
        df = _council_register(path)
        previous = []
        for r, row in zip(rows, values, strict=True):
            hit = _rows_of(df, r.supplier_name, r.supplier_id)
            i = hit[hit].index[0] if hit.any() else len(df)
            old = df.loc[i] if hit.any() else None
            previous.append(
                {k: "" if old is None else str(old[k]) for k in ("postcode", "company_number")}
            )
            if old is None:
                df.loc[i] = ""
            for k, v in row.items():
                df.loc[i, k] = v
        atomic_write_text(path, df.fillna("").to_csv(index=False, lineterminator="\n"))
    return previous


def unchanged(register_path: str | os.PathLike[str], rows: list[RegisterRow]) -> list[bool]:
    """Per row, True when the council's register already holds exactly what it gives (the
    same postcode and company number for that supplier): saving it would change nothing,
    so it is neither saved again nor written to the audit trail."""
    path = Path(register_path)
    if not path.exists():
        return [False] * len(rows)
    df = _council_register(path).fillna("")
    out = []
    for row in rows:
        hit = _rows_of(df, row.supplier_name, row.supplier_id)
        if not hit.any():
            out.append(False)
            continue
        old = df.loc[hit[hit].index[0]]
        given = {k: v for k, v in _row_values(row).items() if k in ("postcode", "company_number")}
        out.append(bool(given) and all(str(old[k]).strip() == v for k, v in given.items()))
    return out


def _row_values(row: RegisterRow) -> dict[str, str]:
    """The template cells one row sets (blank inputs leave the register's cells alone)."""
    pc, co = _checked_place(row.supplier_name, row.postcode, row.company_number, row.supplier_id)
    out = {"supplier_name": row.supplier_name.strip(), "source": row.source}
    for k, v in (("supplier_id", row.supplier_id), ("postcode", pc), ("company_number", co),
                 ("note", row.note)):
        if v not in (None, ""):
            out[k] = str(v).strip()
    return out


def _checked_place(
    supplier_name: str,
    postcode: str | None,
    company_number: str | None,
    supplier_id: str | None,
) -> tuple[str | None, str | None]:
    """The normalised postcode and company number to save; a one-line error when either
    does not read, or when there is no name or id, or nothing that places the supplier."""
    pc = None
    if postcode not in (None, ""):
        pc = normalise_postcodes(pd.Series([postcode], dtype="string")).iloc[0]
        if pd.isna(pc):
            raise RegisterError(f"{postcode!r} is not a UK postcode")
    co = None
    if company_number not in (None, ""):
        co = clean_company_numbers(pd.Series([company_number], dtype="string")).iloc[0]
        if pd.isna(co):
            raise RegisterError(f"{company_number!r} is not a Companies House number")
    if not str(supplier_name or "").strip() and not supplier_id:
        raise RegisterError("a supplier name or id is needed")
    if pc is None and co is None:
        raise RegisterError("a postcode or a company number is needed")
    return pc, co


def _council_register(path: Path) -> pd.DataFrame:
    """The council's register as text cells with every template column (an empty one
    with the template header when the file does not exist yet)."""
    if path.exists():
        df = read_csv(path, dtype=str)
        df.columns = [_BOM_JUNK.sub("", c) for c in df.columns]
    else:
        df = pd.DataFrame(columns=list(TEMPLATE_COLUMNS))
    for c in TEMPLATE_COLUMNS:
        if c not in df.columns:
            df[c] = ""
    return df


def _rows_of(df: pd.DataFrame, supplier_name: str, supplier_id: str | None) -> pd.Series:
    """Rows that are this supplier: by id when given, else by normalised name among the
    rows without an id."""
    if supplier_id:
        return df["supplier_id"].astype(str).str.strip() == str(supplier_id).strip()
    norm = normalise_names(pd.Series([supplier_name])).iloc[0]
    hit = (normalise_names(df["supplier_name"].astype("string")) == norm).fillna(False)
    return hit & (df["supplier_id"].astype(str).str.strip() == "")
