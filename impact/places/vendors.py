"""The council's own vendor master: its finance system's supplier records, read by meaning.

Every finance system exports its supplier (vendor, creditor) file under its own headers:
Oracle ``VENDOR_NUMBER, VENDOR_NAME, ADDRESS_LINE1..3, CITY, POSTAL_CODE``; SAP ``Vendor,
Name 1, Street, Postal Code, City``; Unit4/Agresso ``Supplier ID, Supplier Name, Address,
Post Code``; a contracts register ``Supplier Company Name, Supplier Postcode, SME
Supplier?``.  The headers are read with the spend files' vocabulary
(:class:`impact.ingest.vocabulary.Vocabulary`: "vendor", "creditor" and "payee" are all
"supplier"; "No" is "number") and the values confirm them (a "Vendor" column of codes is
the supplier number, of words the name).  Several address-line columns are joined; the
postcode is its own column or found inside the address (as premises lists are read:
:func:`impact.places.premises.postcodes_in`).

A remittance (payment) address is where the supplier wants its money sent, not where it
works: the trading/ordering address is used, the remittance address only when a row has no
other, and each row says which (``address_basis``).

The rows become the council's own register (:data:`impact.places.registers.TEMPLATE_COLUMNS`
plus the address), kept per council (:func:`impact.sources.vendor_store`), so
:func:`impact.places.locate.locate` joins them on the spend files' supplier ID first (IDs
compared without leading zeros: :func:`impact.ingest.payees.bare_ids`) and then on the
normalised name, before any registered office: place basis "council's own records".

Every row is accounted for: rows in = used + set aside, each with its reason
(:meth:`VendorMaster.accounting`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from impact.core.atomic import atomic_write_bytes, locked
from impact.core.values import (
    clean_charity_numbers,
    clean_company_numbers,
    normalise_postcodes,
    parse_yes_no,
)
from impact.ingest.names import normalise_names
from impact.ingest.payees import bare_ids
from impact.ingest.profile import ColumnProfile, profile_columns
from impact.ingest.vocabulary import Vocabulary
from impact.places.premises import first_grid, header_row, postcodes_in

#: Roles a vendor master's column can play and the phrases each is known by (generic
#: finance-system words; no council's own header).  ``address`` and ``remit_address``
#: take every column that names them (address lines, town, county).
PHRASES: dict[str, tuple[tuple[str, float], ...]] = {
    "supplier_id": (
        ("supplier id", 1.0), ("supplier number", 1.0), ("supplier code", 1.0),
        ("supplier reference", 1.0), ("supplier account", 0.95),
        ("supplier account number", 1.0), ("account number", 0.8), ("supplier", 0.6),
        ("supplier site code", 0.8), ("id", 0.6),
    ),
    "name": (
        ("supplier name", 1.0), ("name", 0.9), ("name 1", 1.0), ("company name", 1.0),
        ("supplier company name", 1.0), ("organisation name", 1.0), ("trading name", 0.9),
        ("business name", 1.0), ("supplier", 0.6), ("legal name", 0.95),
    ),
    "address": (
        ("address", 1.0), ("address line", 1.0), ("street", 1.0), ("address 1", 1.0),
        ("city", 0.9), ("town", 0.9), ("county", 0.85), ("locality", 0.9),
        ("district", 0.8), ("house number", 0.9), ("building", 0.85),
        ("trading address", 1.0), ("ordering address", 1.0), ("order address", 1.0),
        ("supplier address", 1.0), ("site address", 1.0), ("purchasing address", 1.0),
        ("town city", 0.9), ("region", 0.7), ("state", 0.6),
    ),
    "postcode": (
        ("postcode", 1.0), ("post code", 1.0), ("postal code", 1.0), ("zip", 0.9),
        ("zip code", 0.9), ("supplier postcode", 1.0), ("trading postcode", 1.0),
        ("ordering postcode", 1.0), ("address postcode", 1.0),
    ),
    "remit_address": (
        ("remittance address", 1.0), ("remit address", 1.0), ("remit to address", 1.0),
        ("payment address", 1.0), ("remittance address line", 1.0), ("remit street", 1.0),
        ("remittance city", 1.0), ("remit city", 1.0), ("remittance town", 1.0),
        ("pay site address", 0.95),
    ),
    "remit_postcode": (
        ("remittance postcode", 1.0), ("remit postcode", 1.0), ("remit to postcode", 1.0),
        ("payment postcode", 1.0), ("remittance post code", 1.0),
        ("remit postal code", 1.0),
    ),
    "company_number": (
        ("company number", 1.0), ("company registration number", 1.0),
        ("registered company number", 1.0), ("companies house number", 1.0),
        ("company reg number", 1.0),
    ),
    "charity_number": (("charity number", 1.0), ("registered charity number", 1.0)),
    "sme": (("sme", 1.0), ("sme supplier", 1.0), ("is sme", 1.0), ("sme flag", 1.0),
            ("small medium enterprise", 1.0)),
    "vcse": (("vcse", 1.0), ("vcse supplier", 1.0), ("is vcse", 1.0),
             ("voluntary community social enterprise", 1.0), ("third sector", 0.9)),
    # absorbing: recognised, not kept
    "other": (
        ("directorate", 1.0), ("directorate name", 1.0), ("department", 1.0),
        ("purchasing body", 1.0), ("contract title", 1.0), ("contract description", 1.0),
        ("contract reference", 1.0), ("description", 0.9), ("telephone", 1.0),
        ("phone", 1.0), ("email", 1.0), ("fax", 1.0), ("website", 1.0), ("country", 1.0),
        ("vat number", 1.0), ("vat registration number", 1.0), ("bank", 1.0),
        ("sort code", 1.0), ("status", 0.9), ("date", 0.9), ("value", 0.9),
        ("annual value", 1.0), ("contact name", 1.0), ("contact", 0.9),
        ("classification", 0.9), ("process used", 1.0), ("visibility", 1.0),
        ("supplier type", 1.0), ("supplier site", 0.9), ("payment terms", 1.0),
    ),
}
VOCABULARY = Vocabulary(PHRASES)
#: Roles that take one column each; the address roles take several.
SINGLE = ("supplier_id", "name", "postcode", "remit_postcode", "company_number",
          "charity_number", "sme", "vcse")
LINES = ("address", "remit_address")
PLACE_ROLES = frozenset({*LINES, "postcode", "remit_postcode"})
HEADER_MIN = 0.5
#: Canonical vendor-master columns (the register's template columns first).
VENDOR_COLUMNS = ("supplier_id", "supplier_name", "postcode", "company_number", "sme",
                  "vcse", "source", "note", "charity_number", "address", "address_basis",
                  "file", "row", "set_aside")
#: What a register row read from a vendor master says its source is (the council's own
#: record, not typed by an officer: place basis ``council_register``).
SOURCE = "vendor master"


class VendorError(ValueError):
    """A file that is not a vendor master; the message is one line for the user."""


@dataclass
class VendorMaster:
    """One vendor master in canonical columns (:data:`VENDOR_COLUMNS`), every row kept;
    ``set_aside`` says why a row is not used (NA: used)."""

    file: str
    rows: pd.DataFrame
    columns_used: dict[str, str]

    @property
    def used(self) -> pd.DataFrame:
        return self.rows[self.rows["set_aside"].isna()]

    def accounting(self) -> dict:
        """Rows in = used + set aside (by reason), and which address placed the used rows."""
        reasons = self.rows["set_aside"].dropna().value_counts()
        basis = self.used["address_basis"].value_counts()
        return {"file": self.file, "rows": len(self.rows), "used": len(self.used),
                "set_aside": {str(k): int(v) for k, v in reasons.items()},
                "address_basis": {str(k): int(v) for k, v in basis.items()},
                "columns_used": dict(self.columns_used)}


def read_vendor_master(path: str | Path, file: str | None = None) -> VendorMaster:
    """Read a finance system's supplier export (CSV or XLSX, any layout)."""
    path = Path(path)
    return vendors_from_cells(first_grid(path, VendorError), file or path.name)


def vendors_from_cells(cells: pd.DataFrame, file: str) -> VendorMaster:
    """A :class:`VendorMaster` from a grid of strings (header row found by meaning)."""
    top = _header_row(cells)
    if top is None:
        raise VendorError(f"{file}: no header naming a supplier (number or name) and a "
                          "place (address or postcode)")
    headers = [str(h).strip() for h in cells.iloc[top].tolist()]
    body = cells.iloc[top + 1:].reset_index(drop=True)
    used = map_vendor_columns(headers, body)
    if not ({"supplier_id", "name"} & set(used)) or not (PLACE_ROLES & set(used)):
        raise VendorError(f"{file}: not a vendor master: found "
                          f"{', '.join(f'{r}={_named(headers, c)!r}' for r, c in used.items())}")
    rows = _canonical(body, used, file, top)
    return VendorMaster(file, rows, {r: _named(headers, c) for r, c in used.items()})


def _named(headers: list[str], cols: int | list[int]) -> str:
    return " + ".join(headers[c] for c in cols) if isinstance(cols, list) else headers[cols]


def _header_row(cells: pd.DataFrame) -> int | None:
    """The first row naming a supplier and a place clearly."""
    return header_row(cells, VOCABULARY, [{"supplier_id", "name"}, set(PLACE_ROLES)], 0.6)


def map_vendor_columns(headers: list[str], body: pd.DataFrame) -> dict[str, int | list[int]]:
    """Role → column (address roles: columns, in file order), headers confirmed by values."""
    profiles = profile_columns(body)
    best: dict[str, tuple[float, int]] = {}
    lines: dict[str, list[int]] = {r: [] for r in LINES}
    for i, h in enumerate(headers):
        named = VOCABULARY.scores(h) if h else {}
        scored = {r: s * (0.3 + 0.7 * _fit(r, profiles.get(i, ColumnProfile())))
                  for r, (s, _) in named.items() if s >= HEADER_MIN}
        if not scored:
            continue
        role = max(scored, key=scored.get)
        if role in LINES:
            lines[role].append(i)
        elif role in SINGLE and scored[role] > best.get(role, (0.0, -1))[0]:
            best[role] = (scored[role], i)
    used: dict[str, int | list[int]] = {r: c for r, (_, c) in best.items()}
    used.update({r: c for r, c in lines.items() if c})
    return used


def _fit(role: str, p: ColumnProfile) -> float:
    """How well a column's values fit a role (0 contradict .. 1 exactly): a "Vendor" of
    codes is the number, of words the name."""
    if p.empty:
        return 0.2
    if role == "supplier_id":
        return max(p.digits, p.code) * (1 - p.legal)
    if role == "name":
        return p.wordy * (1 - max(p.digits, p.code) * (1 - p.wordy))
    if role in ("sme", "vcse"):
        return p.flags
    if role == "company_number":
        return max(p.company, p.digits)
    return 0.6


def _canonical(body: pd.DataFrame, used: dict[str, int | list[int]], file: str, top: int
               ) -> pd.DataFrame:
    """Every input row in canonical columns: the trading address where it gives a
    postcode, else the remittance address; reasons for the rows not used."""
    blank = pd.Series(pd.NA, index=body.index, dtype="string")

    def get(role: str) -> pd.Series:
        cols = used.get(role)
        if cols is None:
            return blank
        cols = cols if isinstance(cols, list) else [cols]
        text = [body[c].astype("string").str.strip().fillna("") for c in cols]
        joined = text[0].str.cat(text[1:], sep=", ") if len(text) > 1 else text[0]
        joined = joined.str.replace(r"(?:,\s*){2,}", ", ", regex=True).str.strip(", ")
        return joined.replace("", pd.NA).astype("string")

    trading, remit = get("address"), get("remit_address")
    pc_trading = normalise_postcodes(get("postcode")).fillna(postcodes_in(trading))
    pc_remit = normalise_postcodes(get("remit_postcode")).fillna(postcodes_in(remit))
    own = pc_trading.notna()
    sme, vcse = parse_yes_no(get("sme")), parse_yes_no(get("vcse"))
    rows = pd.DataFrame({
        "supplier_id": get("supplier_id"), "supplier_name": get("name"),
        "postcode": pc_trading.fillna(pc_remit),
        "company_number": clean_company_numbers(get("company_number")),
        "sme": sme.map({True: "Y", False: "N"}).astype("string"),
        "vcse": vcse.map({True: "Y", False: "N"}).astype("string"),
        "source": SOURCE, "note": pd.NA,
        "charity_number": clean_charity_numbers(get("charity_number")),
        "address": trading.where(own, remit),
        "address_basis": pd.Series(np.where(own, "trading", np.where(
            pc_remit.notna(), "remittance", pd.NA)), index=body.index, dtype="string"),
        "file": file, "row": np.arange(len(body)) + top + 2,
    })
    rows["note"] = (file + ": " + rows["address_basis"] + " address").astype("string")
    rows["set_aside"] = _reasons(rows, get("postcode").notna() | get("remit_postcode").notna())
    return rows[list(VENDOR_COLUMNS)]


def _reasons(rows: pd.DataFrame, postcode_written: pd.Series) -> pd.Series:
    """Why a row is not used (NA: used): blank, no number or name, no postcode that reads,
    or a repeat of an earlier row's supplier (number, else name: the first with a
    postcode is kept)."""
    reason = pd.Series(pd.NA, index=rows.index, dtype="string")
    ids = bare_ids(rows["supplier_id"])
    names = normalise_names(rows["supplier_name"])
    reason[ids.isna() & names.isna()] = "no supplier number or name"
    no_pc = reason.isna() & rows["postcode"].isna()
    reason[no_pc & postcode_written] = "postcode not recognised"
    reason[no_pc & ~postcode_written] = "no postcode (trading or remittance)"
    key = ids.fillna("name:" + names.fillna(""))
    ok = reason.isna()
    repeat = ok & key.where(ok).duplicated(keep="first") & key.notna()
    reason[repeat] = "same supplier as an earlier row (the first is used)"
    return reason


def placed_by(suppliers: pd.DataFrame, store: Path) -> dict[str, int]:
    """How many suppliers the vendor master ``store`` placed, by how they were joined
    (``register_id``: the spend files' supplier number; ``register_charity``: the charity
    number; ``register_name``: the name)."""
    src = suppliers.get("resolution_source", pd.Series(pd.NA, index=suppliers.index))
    mine = src.astype("string").eq(store.name).fillna(False)
    method = suppliers.loc[mine, "resolution_method"].astype("string")
    return {str(k): int(v) for k, v in method.value_counts().items()}


def store_summary(store: Path, suppliers: pd.DataFrame) -> list[dict]:
    """Per vendor master kept for a council: rows kept, at which address, and the
    suppliers it placed by number and by name (the whole store: one register)."""
    kept = read_store(store)
    if kept.empty:
        return []
    placed = placed_by(suppliers, store)
    out = []
    for file, rows in kept.groupby("file", sort=False):
        basis = rows["address_basis"].value_counts()
        out.append({"file": str(file), "rows_kept": len(rows),
                    "trading": int(basis.get("trading", 0)),
                    "remittance": int(basis.get("remittance", 0))})
    out[0] |= {"placed_by_number": placed.get("register_id", 0),
               "placed_by_charity": placed.get("register_charity", 0),
               "placed_by_name": placed.get("register_name", 0)}
    return out


# ------------------------------------------------------------------------- the store


def read_store(path: Path) -> pd.DataFrame:
    """The vendor-master rows kept for a council (empty when none was added)."""
    if not path.is_file():
        return _empty()
    return pd.read_csv(path, dtype="string", keep_default_na=False).replace("", pd.NA)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="string") for c in VENDOR_COLUMNS})


def add_to_store(path: Path, masters: list[VendorMaster]) -> pd.DataFrame:
    """Keep the used rows of ``masters`` as the council's register of its own records (a
    file added again replaces its own rows), atomically under the store's lock.

    The store is a register CSV (:func:`impact.places.registers.read_register` reads it
    as it reads any council register), so every load and ``impact locate`` apply it."""
    with locked(path):
        kept = read_store(path)
        kept = kept[~kept["file"].isin({m.file for m in masters})]
        frames = [f for f in [kept, *[m.used.astype("string") for m in masters]] if len(f)]
        out = pd.concat(frames, ignore_index=True) if frames else _empty()
        out = out[list(VENDOR_COLUMNS[:-1])]
        buf = io.BytesIO()
        out.to_csv(buf, index=False)
        atomic_write_bytes(path, buf.getvalue())
    return out
