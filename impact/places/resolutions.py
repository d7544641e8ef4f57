"""The officer's own knowledge of where suppliers are: checked, saved with an audit trail,
and applied over what :func:`impact.places.locate.locate` found.

Typed and imported supplier locations are the main route to good coverage, so they must be

* **checked** before anything is saved: a postcode must be in the postcode directory
  (:func:`impact.places.geocode.geocode_postcodes`; terminated ones are placed at their last
  location and flagged, Scottish and Northern Irish ones placed but flagged as outside
  England) and a company number well formed (:func:`impact.core.values.clean_company_numbers`);
  otherwise a one-line refusal, and nothing is written;
* **permanent and attributable**: rows go to the council's register (:mod:`.registers`) and
  one line per change to an audit file beside it (who or what, when, what it replaced);
* **cheap to apply**: :func:`apply_register` re-places only the suppliers the register
  names, so saving one postcode costs one postcode, not a new run of ``locate``.  The same
  function applies the whole register when a workspace loads, so a save and a reload give
  the same figures.

A supplier placed from a row the app wrote (``source`` in :data:`APP_SOURCES`) has
``resolution_method`` ``"manual"``; other rows of the council's register (added by hand in a
spreadsheet) place like any council register (``register_id`` / ``register_name``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from impact.core import cache
from impact.core.atomic import append_csv_lines, locked
from impact.core.values import clean_company_numbers, normalise_postcodes
from impact.ingest.names import normalise_names
from impact.ingest.tables import read_csv
from impact.places.bulk_lookup import bulk_tables, read_rows
from impact.places.councils import supplier_deprivation
from impact.places.geocode import geocode_postcodes
from impact.places.locate import GEO_COLUMNS, nameable, reference_register_paths
from impact.places.reference import Reference
from impact.places.registers import RegisterRow, read_register, save_rows, unchanged

#: Register ``source`` values written by the app → how the audit trail says it.
APP_SOURCES = {
    "manual": "typed in the app",
    "import": "imported from a filled-in template",
    "suggestion": "suggested match accepted",
}
MANUAL = "manual"
#: Columns of the audit file, one line per change.
AUDIT_COLUMNS = (
    "when",
    "who",
    "how",
    "supplier_id",
    "supplier_name",
    "postcode",
    "company_number",
    "previous_postcode",
    "previous_company_number",
    "previously_placed_by",
    "placed_at",
    "flags",
    "note",
)
#: Supplier columns a register row sets (besides the geocoder's answers).
_ROW_COLUMNS = ("postcode", "company_number", "sme", "vcse", "sic")
#: Every supplier column :func:`apply_register` may change.
APPLIED_COLUMNS = (
    *_ROW_COLUMNS,
    "resolution_method",
    "resolution_source",
    "matched_name",
    "resolution_probability",
    "place_basis",
    "area_lad_codes",
    *GEO_COLUMNS,
    "geocode_status",
    "geocode_reason",
    "is_located",
    "imd_decile",
)

Geocoder = Callable[[pd.Series, Reference | None], pd.DataFrame]


def audit_path(register: str | Path) -> Path:
    """The audit file kept beside a council register (``<register>.audit.csv``)."""
    register = Path(register)
    return register.with_name(f"{register.stem}.audit.csv")


# ----------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class Checked:
    """A row that passed the checks: what is saved, where it places the supplier, and what
    the officer should know (a terminated postcode, a place outside England ...)."""

    row: RegisterRow
    place: str
    flags: tuple[str, ...] = ()


@dataclass
class CheckResult:
    """Rows that may be saved, and the refused ones by input position with a reason.

    ``frame`` holds every input row as :func:`rows_frame` gives it and ``answers`` the
    geocoder's answer per normalised postcode, so saving and applying the accepted rows
    reuse them instead of normalising and geocoding again.
    """

    accepted: dict[int, Checked] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)
    #: accepted rows that give what the register already holds: not saved again
    unchanged: dict[int, Checked] = field(default_factory=dict)
    frame: pd.DataFrame | None = None
    answers: pd.DataFrame | None = None

    def accepted_frame(self) -> pd.DataFrame:
        """The accepted rows as :func:`rows_frame` gives them, in input order."""
        return self.frame.iloc[sorted(self.accepted)] if self.frame is not None else rows_frame([])


def check_rows(
    rows: list[RegisterRow],
    reference: Reference | None,
    suppliers: pd.DataFrame | None = None,
    geocoder: Geocoder = geocode_postcodes,
) -> CheckResult:
    """Check every row (one geocoder call for all their postcodes); see the module doc.

    A company number given without a postcode is looked up in the reference registers:
    found, the supplier is placed at the registered office (flagged); not found, the number
    is saved and the supplier stays unplaced (flagged), since only a postcode places it.
    With ``suppliers``, a row that names none of them (by vendor number or name) is refused.
    """
    result = _checked_rows(rows, reference, geocoder)
    if suppliers is not None and result.accepted:
        positions = sorted(result.accepted)
        named = set(matched(suppliers, result.accepted_frame()).dropna().astype(int))
        for k, i in enumerate(positions):
            if k not in named:
                del result.accepted[i]
                result.refused[i] = ("no supplier in these payments has this supplier id or "
                                     "name (redacted names cannot be placed)")
    return result


def set_aside_unchanged(checks: CheckResult, register: Path) -> None:
    """Accepted rows that give what the council's register holds already (importing the
    same file twice) move to ``checks.unchanged``: not saved, not audited."""
    positions = sorted(checks.accepted)
    same = unchanged(register, [checks.accepted[i].row for i in positions])
    for i, noop in zip(positions, same, strict=True):
        if noop:
            checks.unchanged[i] = checks.accepted.pop(i)


def _checked_rows(rows: list[RegisterRow], reference: Reference | None, geocoder: Geocoder
                  ) -> CheckResult:
    """The checks that need no supplier table (see :func:`check_rows`)."""
    frame = rows_frame(rows)
    pcs = frame["postcode"].fillna(_company_postcodes(frame, reference))
    geo = geocoder(pcs, reference) if pcs.notna().any() else None
    answers = None if geo is None else geo[pcs.notna().to_numpy()].drop_duplicates("postcode")
    result = CheckResult(frame=frame, answers=answers)
    for i, row in enumerate(rows):
        pc, co = _text(frame["postcode"].iloc[i]), _text(frame["company_number"].iloc[i])
        reason = _refusal(row, pc, co)
        if reason is None and pc is not None:
            reason = _postcode_refusal(pc, geo.iloc[i])
        if reason is not None:
            result.refused[i] = reason
            continue
        clean = RegisterRow(row.supplier_name.strip(), _blank(row.supplier_id), pc, co,
                            row.note, row.source)
        found = pd.notna(pcs.iloc[i]) and geo.iloc[i]["status"] not in ("not_found", "malformed")
        result.accepted[i] = _checked(clean, geo.iloc[i] if found else None)
    return result


def _checked(row: RegisterRow, answer: pd.Series | None) -> Checked:
    """Where an accepted row places its supplier (``answer``: the geocoder's, if any)."""
    if answer is None:
        return Checked(row, "not placed", (
            f"no register gives company {row.company_number} an address: saved, but the "
            "supplier stays unplaced until a postcode is given",))
    place, flags = _described(answer)
    if row.postcode is None:
        flags = ("placed at the company's registered office, which may not be where the "
                 "work is done", *flags)
    return Checked(row, place, flags)


def _text(value: object) -> str | None:
    return None if pd.isna(value) else str(value)


def _blank(value: str | None) -> str | None:
    return None if value is None or not str(value).strip() else str(value).strip()


def _refusal(row: RegisterRow, pc: str | None, co: str | None) -> str | None:
    """Why a row cannot be saved before any lookup (None: it may be)."""
    given_pc, given_co = _blank(row.postcode), _blank(row.company_number)
    if not str(row.supplier_name or "").strip() and not _blank(row.supplier_id):
        return "a supplier name or id is needed"
    if given_pc is None and given_co is None:
        return "a postcode or a Companies House number is needed"
    if given_pc is not None and pc is None:
        return f"'{given_pc[:40]}' is not a UK postcode"
    if given_co is not None and co is None:
        return (f"'{given_co[:40]}' is not a Companies House number (8 digits, or 2 letters "
                "and 6 digits)")
    return None


def _postcode_refusal(pc: str, answer: pd.Series) -> str | None:
    """A postcode the directory does not place is refused with the geocoder's reason."""
    if answer["status"] in ("not_found", "malformed"):
        return f"{pc}: {answer['reason']}"
    return None


def _described(answer: pd.Series) -> tuple[str, tuple[str, ...]]:
    """Where a geocoded postcode is, in words, and its flags."""
    flags = []
    if answer["status"] == "located_terminated":
        flags.append("terminated postcode: placed at its last location")
    lad = answer["lad_code"]
    if answer["status"] == "outside_england_wales":
        flags.append(str(answer["reason"]))
    elif pd.notna(lad) and not str(lad).startswith("E"):
        flags.append(f"in {answer['lad_name']}: outside England, so no English deprivation")
    parts = [answer[c] for c in ("ward_name", "lad_name") if pd.notna(answer[c])]
    if not parts:
        outside = answer["status"] == "outside_england_wales"
        parts = ["outside England and Wales" if outside else "no ward found for it"]
    return f"{answer['postcode']} ({', '.join(str(p) for p in parts)})", tuple(flags)


# ----------------------------------------------------------------------------- saving


@dataclass(frozen=True)
class Author:
    """Who or what makes a change, for the audit trail."""

    who: str
    how: str  # e.g. "typed in the app", "imported from vendor-master.csv"


def save_checked(
    register: Path, checks: CheckResult, author: Author, before: pd.DataFrame | None = None
) -> None:
    """Write the accepted rows to the council's register and one audit line each, under one
    lock.

    ``before`` (suppliers as now placed, with ``supplier_id``/``supplier_name_norm``,
    ``postcode``, ``resolution_method``) supplies "previous value" and "previously placed
    by"; without it the register's own previous cells are recorded.
    """
    checked = [checks.accepted[i] for i in sorted(checks.accepted)]
    if not checked:
        return
    with locked(register):
        previous = save_rows(register, [c.row for c in checked])
        placed = _previous_places(before, checks.accepted_frame())
        lines = [
            _audit_line(c, p, q, author)
            for c, p, q in zip(checked, previous, placed, strict=True)
        ]
        _append_audit(audit_path(register), lines)


def _previous_places(before: pd.DataFrame | None, rows: pd.DataFrame) -> list[tuple]:
    """Per row, the postcode and method its supplier was placed by before ('' when new)."""
    out = [("", "")] * len(rows)
    if before is None:
        return out
    pos = matched(before, rows).dropna()
    for i, at in pos.groupby(pos.to_numpy()).head(1).items():
        out[int(at)] = (_text(before.at[i, "postcode"]) or "",
                        str(before.at[i, "resolution_method"]))
    return out


def _audit_line(c: Checked, previous: dict, placed: tuple, author: Author) -> dict:
    return {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "who": author.who,
        "how": author.how,
        "supplier_id": c.row.supplier_id or "",
        "supplier_name": c.row.supplier_name,
        "postcode": c.row.postcode or "",
        "company_number": c.row.company_number or "",
        "previous_postcode": placed[0] or previous["postcode"],
        "previous_company_number": previous["company_number"],
        "previously_placed_by": placed[1],
        "placed_at": c.place,
        "flags": "; ".join(c.flags),
        "note": c.row.note or "",
    }


def _append_audit(path: Path, lines: list[dict]) -> None:
    """Append lines to the audit CSV (header first when new), flushed to disk."""
    append_csv_lines(path, AUDIT_COLUMNS, lines)


def read_audit(register: str | Path) -> pd.DataFrame:
    """The audit trail beside ``register``, newest first (empty when there is none)."""
    path = audit_path(register)
    if not path.is_file():
        return pd.DataFrame(columns=list(AUDIT_COLUMNS))
    df = read_csv(path, dtype=str, keep_default_na=False)
    return df.iloc[::-1].reset_index(drop=True)


# ----------------------------------------------------------------------------- applying


def register_frame(register: str | Path | None) -> pd.DataFrame:
    """The council register's usable rows in canonical columns (empty when absent).

    A row without a ``source`` (added by hand in a spreadsheet, or copied from another
    register) reads as the file's, so it places like any council register, not as manual.
    """
    if register is None or not Path(register).is_file():
        return rows_frame([])
    return read_register(register).frame


def rows_frame(rows: list[RegisterRow]) -> pd.DataFrame:
    """Register rows as :func:`read_register` would give them (for matching in memory)."""
    df = pd.DataFrame(
        {
            "supplier_id": pd.Series([r.supplier_id for r in rows], dtype="string")
            .str.strip()
            .replace("", pd.NA),
            "supplier_name": pd.Series([r.supplier_name for r in rows], dtype="string"),
            "postcode": normalise_postcodes(pd.Series([r.postcode for r in rows], dtype="string")),
            "company_number": clean_company_numbers(
                pd.Series([r.company_number for r in rows], dtype="string")
            ),
            "source": pd.Series([r.source for r in rows], dtype="string"),
        }
    )
    for c in ("sme", "vcse", "sic"):
        df[c] = pd.Series(pd.NA, index=df.index, dtype="string")
    df["supplier_name_norm"] = normalise_names(df["supplier_name"])
    return df


def matched(suppliers: pd.DataFrame, register: pd.DataFrame) -> pd.Series:
    """Per supplier, the position of the register row that places it (NA: none).

    As :func:`impact.places.locate.locate` matches a council register: the vendor number
    first, then the normalised name for named suppliers; the first row of a key wins.
    """
    out = pd.Series(pd.NA, index=suppliers.index, dtype="Int64")
    if register.empty:
        return out
    pos = pd.Series(np.arange(len(register)), index=register.index)
    for column, named_only in (("supplier_id", False), ("supplier_name_norm", True)):
        keys = register[column]
        first = pos[keys.notna().to_numpy()].groupby(keys.dropna().to_numpy()).first()
        todo = out.isna().to_numpy() & (nameable(suppliers) if named_only else True)
        hit = suppliers[column].map(first).astype("Int64")
        out = out.mask(todo & hit.notna().to_numpy(), hit)
    return out


@dataclass(frozen=True)
class ApplyContext:
    """What applying a register needs besides the rows: the reference data and a geocoder."""

    reference: Reference | None
    register_name: str
    geocoder: Geocoder = geocode_postcodes
    known: pd.DataFrame | None = None  # geocoder answers already at hand (CheckResult.answers)


def apply_register(
    suppliers: pd.DataFrame, register: pd.DataFrame, ctx: ApplyContext
) -> tuple[pd.DataFrame, np.ndarray]:
    """``suppliers`` with the register's rows applied, and a mask of the rows it changed.

    Only the matched suppliers are touched: their postcodes (a company number without a
    postcode is looked up in the reference registers) are geocoded, their place columns
    replaced and their IoD decile looked up.  A company number no register knows is
    recorded and leaves the supplier where it was.
    """
    pos = matched(suppliers, register)
    hit = pos.notna().to_numpy()
    if not hit.any():
        return suppliers, hit
    out = suppliers.copy()
    rows = register.iloc[pos[hit].to_numpy(dtype=int)].reset_index(drop=True)
    office = rows["postcode"].isna().to_numpy()
    rows["postcode"] = rows["postcode"].fillna(_company_postcodes(rows, ctx.reference))
    ids = suppliers.loc[hit, "supplier_id"].astype("string").reset_index(drop=True)
    by_id = (ids == rows["supplier_id"]).fillna(False).to_numpy(dtype=bool)
    _set_row_columns(out, hit, rows, by_id, ctx.register_name)
    _set_basis(out, hit, rows, office)
    placing = np.flatnonzero(hit)[rows["postcode"].notna().to_numpy()]
    _place(out, placing, ctx)
    return out, hit


def _set_row_columns(
    out: pd.DataFrame, hit: np.ndarray, rows: pd.DataFrame, by_id: np.ndarray, source: str
) -> None:
    """What the rows say (their cells where filled) and how the suppliers were resolved."""
    idx = out.index[hit]
    for c in _ROW_COLUMNS:
        if c in out:
            given = pd.Series(rows[c].to_numpy(), index=idx, dtype="string")
            _put(out, idx, c, given.fillna(out.loc[idx, c].astype("string")))
    places = rows["postcode"].notna().to_numpy()
    app = rows["source"].isin(list(APP_SOURCES)).to_numpy()
    method = np.where(app, MANUAL, np.where(by_id, "register_id", "register_name"))
    p = idx[places]
    _put(out, p, "resolution_method", method[places])
    _put(out, p, "resolution_source", np.full(len(p), source, dtype=object))
    _put(out, p, "matched_name", rows.loc[places, "supplier_name"])
    _put(out, p, "resolution_probability", np.ones(len(p)))


def _set_basis(out: pd.DataFrame, hit: np.ndarray, rows: pd.DataFrame,
               office: np.ndarray) -> None:
    """What the new places stand for: a postcode the officer gave is ``manual`` (a local
    branch overrides a registered office or an area), a spreadsheet row's a
    ``council_register`` trading address, one found from a company number the
    ``registered_office``; an area no longer applies."""
    places = rows["postcode"].notna().to_numpy()
    app = rows["source"].isin(list(APP_SOURCES)).to_numpy()
    basis = np.where(office, "registered_office", np.where(app, "manual", "council_register"))
    p = out.index[hit][places]
    if "place_basis" in out:
        _put(out, p, "place_basis", basis[places])
    if "area_lad_codes" in out:
        _put(out, p, "area_lad_codes", pd.NA)


def _place(out: pd.DataFrame, positions: np.ndarray, ctx: ApplyContext) -> None:
    """Geocode the suppliers at ``positions`` and set their place (and IoD decile)."""
    if not len(positions):
        return
    idx = out.index[positions]
    geo = _geocoded(out.loc[idx, "postcode"], ctx)
    for c in GEO_COLUMNS:
        _put(out, idx, c, geo[c])
    for c, g in (("postcode", "postcode"), ("geocode_status", "status"),
                 ("geocode_reason", "reason")):
        _put(out, idx, c, geo[g])
    _put(out, idx, "is_located", geo["lat"].notna() & geo["long"].notna())
    if "imd_decile" in out:
        deciles = imd_deciles(ctx.reference)
        lsoa = out.loc[idx, "lsoa21_code"]
        _put(out, idx, "imd_decile", lsoa.map(deciles) if deciles is not None else pd.NA)


def _geocoded(postcodes: pd.Series, ctx: ApplyContext) -> pd.DataFrame:
    """The geocoder's answers for ``postcodes``, reusing ``ctx.known`` when it has them all."""
    known = ctx.known
    norm = normalise_postcodes(postcodes)
    if known is None or not norm.isin(known["postcode"]).all():
        return ctx.geocoder(postcodes, ctx.reference)
    return known.set_index("postcode").loc[norm.to_numpy()].reset_index().set_axis(postcodes.index)


def _put(out: pd.DataFrame, idx: pd.Index, column: str, values: object) -> None:
    """Write ``values`` into ``out[column]`` at ``idx`` in the column's own dtype (a
    patched frame must equal one built whole, dtypes included)."""
    if isinstance(values, pd.Series):
        values = values.to_numpy()
    new = pd.Series(values, index=idx)
    out.loc[idx, column] = new.astype(out[column].dtype) if column in out else new


_IMD: cache.Memo[str, pd.Series | None] = cache.Memo("resolutions-imd")
_COMPANIES: cache.Memo[str, pd.Series] = cache.Memo("resolutions-companies")


def imd_deciles(reference: Reference | None) -> pd.Series | None:
    """LSOA 2021 → IoD 2025 decile (read once per reference file)."""
    if reference is None:
        return None
    path = reference.find("imd2025_lsoa21")

    def read() -> pd.Series | None:
        imd = supplier_deprivation(reference, [])
        return None if imd is None else imd.set_index("lsoa21_code")["imd_decile"]

    return _IMD.once(cache.key(*cache.fingerprint([path])), read)


def _company_postcodes(rows: pd.DataFrame, reference: Reference | None) -> pd.Series:
    """The registered postcode of each row's company number in the reference registers."""
    if reference is None or rows["company_number"].isna().all():
        return pd.Series(pd.NA, index=rows.index, dtype="string")
    paths = reference_register_paths(reference)

    def read() -> pd.Series:
        frames = [read_register(p).frame for p in paths]
        reg = pd.concat(frames, ignore_index=True) if frames else rows_frame([])
        reg = reg[reg["company_number"].notna() & reg["postcode"].notna()]
        return reg.drop_duplicates("company_number").set_index("company_number")["postcode"]

    known = _COMPANIES.once(cache.key(*cache.fingerprint(paths)), read)
    found = rows["company_number"].map(known).astype("string")
    return found.fillna(_bulk_postcodes(rows["company_number"][found.isna()], reference))


def _bulk_postcodes(numbers: pd.Series, reference: Reference) -> pd.Series:
    """Registered-office postcodes of company numbers in the Companies House bulk table."""
    table = next((t for t in bulk_tables(reference) if t.layout.role == "companies_house"), None)
    if table is None or numbers.dropna().empty:
        return pd.Series(pd.NA, index=numbers.index, dtype="string")
    rows = read_rows(table, "id", numbers)
    rows = rows[(rows["name_kind"] == "current") & rows["postcode"].notna()]
    return numbers.map(rows.drop_duplicates("id").set_index("id")["postcode"]).astype("string")


def company_place(number: str, reference: Reference | None) -> str | None:
    """The registered postcode the reference registers give a company number, or None."""
    rows = pd.DataFrame({"company_number": pd.Series([number], dtype="string")})
    found = _company_postcodes(rows, reference).iloc[0]
    return None if pd.isna(found) else str(found)
