"""Where suppliers trade: premises lists read by meaning and linked to the council's suppliers.

A registered office says where a company is registered, not where it works, and the field
counts a supplier as local when it is *based or has a branch* in the area (CLES).  Councils
publish business-rates (NNDR) ratepayer lists, the CQC its care locations and the Charity
Commission its charities' contact addresses: each row an organisation and a place.  This
module reads any of them in any column order and spelling — the header vocabulary and value
profiles of :mod:`impact.ingest` with a premises vocabulary (:data:`PHRASES`: "Ratepayer",
"Occupier", "Account Name", "Liable Party", "Provider" …), a postcode found inside the
address when there is no postcode column — and links each row to the council's suppliers:

1. by Companies House number, then charity number, where the list gives one;
2. by the exact normalised name (:func:`impact.ingest.names.normalise_names`) of the
   occupier, then of the premises itself (a care home paid under its own name).

Individuals and placeholders ("THE ACCOUNT HOLDER", a blank ratepayer, "Mr J Smith") are
set aside and never matched.  Every row is accounted for: rows in = linked + unlinked + set
aside, each set-aside row with its reason (:class:`Accounting`).

A supplier may then have several places (:func:`supplier_places`): its main place (what
:func:`impact.places.locate.locate` and the officers found) and each of its premises, with
basis and source.  A supplier with no place takes its premises as its main place
(:func:`with_premises`): the one in the council's area with the largest rateable value, else
the largest anywhere.  Spend attributed across several premises is shared by rateable value
where the list gives it, else equally (``weight``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from impact.core.atomic import atomic_write_bytes, locked
from impact.core.values import (
    POSTCODE_COMPACT_RE,
    clean_charity_numbers,
    clean_company_numbers,
    normalise_postcodes,
    parse_amounts,
)
from impact.ingest.names import REDACTED, normalise_names, split_trading_as
from impact.ingest.profile import FITS, ColumnProfile, profile_columns, sample_rows
from impact.ingest.tables import UnreadableFile, read_parts
from impact.ingest.vocabulary import Vocabulary
from impact.places.geocode import geocode_postcodes
from impact.places.reference import Reference

#: Roles a premises list's column can play, and the phrases each is known by (generic words
#: of the NNDR, CQC and Charity Commission exports; no council's own header).
PHRASES: dict[str, tuple[tuple[str, float], ...]] = {
    "occupier": (
        ("ratepayer", 1.0), ("rate payer", 1.0), ("ratepayer name", 1.0), ("occupier", 1.0),
        ("occupier name", 1.0), ("account name", 1.0), ("account holder", 0.95),
        ("liable party", 1.0), ("liable party name", 1.0), ("liable person", 0.95),
        ("supplier", 0.95), ("supplier name", 0.95), ("charity name", 1.0),
        ("organisation name", 0.9), ("company name", 0.9), ("business name", 0.95),
        ("trading name", 0.9), ("tenant", 0.9), ("operator", 0.9), ("name", 0.7),
    ),
    "premises_name": (
        ("name", 0.8), ("home name", 1.0), ("location name", 1.0), ("property name", 1.0),
        ("site name", 1.0), ("premises name", 1.0), ("establishment name", 1.0),
    ),
    "address": (
        ("address", 1.0), ("property address", 1.0), ("premises address", 1.0),
        ("full address", 1.0), ("contact address", 1.0), ("charity contact address", 1.0),
        ("location address", 1.0), ("site address", 1.0), ("address line", 0.9),
        ("supply address", 1.0),
    ),
    "postcode": (
        ("postcode", 1.0), ("post code", 1.0), ("contact postcode", 1.0),
        ("charity contact postcode", 1.0), ("property postcode", 1.0), ("postal code", 1.0),
        ("premises postcode", 1.0), ("location postcode", 1.0),
    ),
    "company_number": (
        ("company number", 1.0), ("company registered number", 1.0),
        ("charity company registered number", 0.95), ("companies house number", 1.0),
    ),
    "charity_number": (("charity number", 1.0), ("registered charity number", 1.0)),
    "rateable_value": (
        ("rateable value", 1.0), ("rv", 0.9), ("current rateable value", 1.0),
        ("rateable", 0.9),
    ),
    "use": (
        ("voa description", 1.0), ("description", 0.8), ("property description", 1.0),
        ("primary description", 1.0), ("use", 0.8), ("use class", 1.0), ("type", 0.7),
        ("property type", 0.9), ("service type", 0.8),
    ),
    "reference": (
        ("property reference", 1.0), ("property reference number", 1.0), ("reference", 0.8),
        ("reference number", 0.8), ("ba reference", 1.0), ("cqc id", 1.0),
        ("location id", 1.0), ("uprn", 1.0), ("account number", 0.85),
    ),
    "lat": (("latitude", 1.0), ("lat", 1.0)),
    "long": (("longitude", 1.0), ("lon", 1.0), ("long", 1.0), ("lng", 1.0)),
    # absorbing: recognised, not kept (an "Occupied" flag is no occupier)
    "other": (
        ("occupied", 1.0), ("empty", 1.0), ("vacant", 1.0), ("telephone", 1.0),
        ("phone", 1.0), ("website", 1.0), ("email", 1.0), ("date", 0.9),
        ("start date", 1.0), ("relief", 1.0), ("exempt", 1.0), ("web", 0.9),
        ("area name", 1.0), ("area code", 1.0), ("local authority", 1.0), ("district", 0.9),
        ("ward", 0.9),
    ),
}
VOCABULARY = Vocabulary(PHRASES)
ROLES = tuple(PHRASES)
#: Roles that take one column each (``other`` takes any number).
KEPT = tuple(r for r in ROLES if r != "other")
HEADER_MIN = 0.45
MIN_SCORE = 0.3
#: Canonical premises columns, in order.
PREMISES_COLUMNS = ("source", "kind", "row", "occupier", "premises_name", "address",
                    "postcode", "company_number", "charity_number", "rateable_value", "use",
                    "reference", "occupier_norm", "premises_norm", "set_aside")

#: Names that stand for nobody in particular: placeholders billing systems print for
#: individuals, and words for "no one" (after :func:`normalise_names`: no leading THE).
_PLACEHOLDER = re.compile(
    r"^(?:(?:THE\s+)?(?:ACCOUNT\s*HOLDERS?|OCCUPIERS?|OWNERS?|RATEPAYERS?|LIABLE\s+PART(?:Y|IES)|"
    r"TENANTS?|PROPRIETORS?|OCCUPANTS?|RESIDENTS?|HOUSEHOLDERS?|LANDLORDS?|PERSON\s+LIABLE)"
    r"|UNKNOWN|NOT\s+KNOWN|VACANT|EMPTY|NONE|N\s*A|NIL|TBC|PRIVATE|REDACTED|WITHHELD)$"
)
#: A person by their title ("MR J SMITH", "MRS A JONES AND MR B JONES") — unless the name
#: goes on to say it is an organisation ("DR D CHIN & PARTNERS", "MR SWEETS LIMITED").
_PERSON = re.compile(r"^(?:MR|MRS|MS|MISS|DR|SIR|MESSRS|MX)\b")
_ORGANISATION = re.compile(
    r"\b(?:LTD|LIMITED|PLC|LLP|CIC|PARTNERS|PARTNERSHIP|FUND|TRUST|SURGERY|PRACTICE|GROUP|"
    r"ASSOCIATES|SERVICES|CHARITY|FOUNDATION|CENTRE|CLINIC|SONS)\b")
_POSTCODE_INSIDE = re.compile(
    r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b", re.I)


class PremisesError(ValueError):
    """A file that is not a premises list; the message is one line for the user."""


# ------------------------------------------------------------------------- reading


@dataclass
class PremisesList:
    """One premises file in canonical columns (:data:`PREMISES_COLUMNS`), every row kept.

    ``set_aside`` holds the reason a row cannot be linked (NA: usable); ``columns_used``
    says which header fed each role, with its evidence.
    """

    source: str
    kind: str
    rows: pd.DataFrame
    columns_used: dict[str, str]
    evidence: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def usable(self) -> pd.DataFrame:
        return self.rows[self.rows["set_aside"].isna()]


def read_premises(path: str | Path, source: str | None = None) -> PremisesList:
    """Read a business-rates list, care directory or charity extract (any layout)."""
    path = Path(path)
    return premises_from_cells(first_grid(path, PremisesError), source or path.name)


def first_grid(path: Path, error: type[ValueError]) -> pd.DataFrame:
    """The first table of a CSV or XLSX as a grid of strings (header not yet found);
    ``error`` with a one-line reason when none can be read."""
    try:
        parts = [p for p in read_parts(path) if p.table is not None]
    except UnreadableFile as exc:
        raise error(f"{path.name}: {exc}") from None
    if not parts:
        raise error(f"{path.name}: no table could be read")
    return parts[0].table.cells


def header_row(cells: pd.DataFrame, vocabulary: Vocabulary, wanted: list[set[str]],
               clearly: float = 0.7, scan: int = 30) -> int | None:
    """The first row whose cells clearly name (score ≥ ``clearly``) a role of each set in
    ``wanted`` (a title above the header is skipped)."""
    for i in range(min(scan, len(cells))):
        named = set()
        for cell in cells.iloc[i].tolist():
            text = str(cell).strip()
            if text and len(text) <= 80:
                named |= {r for r, (s, _) in vocabulary.scores(text).items() if s >= clearly}
        if all(roles & named for roles in wanted):
            return i
    return None


def premises_from_cells(cells: pd.DataFrame, source: str) -> PremisesList:
    """A :class:`PremisesList` from a grid of strings (header row found by meaning)."""
    top = _header_row(cells)
    if top is None:
        raise PremisesError(f"{source}: no header naming an organisation and a place "
                            "(ratepayer, occupier, provider, charity name … and an address "
                            "or postcode)")
    headers = [str(h).strip() for h in cells.iloc[top].tolist()]
    body = cells.iloc[top + 1:].reset_index(drop=True)
    body = body[~(body.astype("string").fillna("").apply(lambda c: c.str.strip()) == "").all(
        axis=1)].reset_index(drop=True)
    used, evidence = map_premises_columns(headers, body)
    if "occupier" not in used and "premises_name" in used:
        used["occupier"] = used.pop("premises_name")
        evidence["occupier"] = (evidence.pop("premises_name")
                                + "; the only name column, so the organisation's name")
    if "occupier" not in used or not ({"postcode", "address"} & set(used)):
        raise PremisesError(f"{source}: not a premises list: found "
                            f"{', '.join(f'{r}={headers[i]!r}' for r, i in used.items())}")
    rows = _canonical(body, used, source, top)
    kind = premises_kind(rows, used)
    rows["kind"] = kind
    named = {r: headers[i] for r, i in used.items()}
    return PremisesList(source, kind, rows, named, evidence)


def _header_row(cells: pd.DataFrame) -> int | None:
    """The first row naming a name role and a place role clearly."""
    return header_row(cells, VOCABULARY, [{"occupier", "premises_name"},
                                          {"postcode", "address"}])


def map_premises_columns(headers: list[str], body: pd.DataFrame
                         ) -> tuple[dict[str, int], dict[str, str]]:
    """Role → column position, from headers and values together as one assignment (the
    way :func:`impact.ingest.columns.map_columns` reads a spend file), with the evidence."""
    from scipy.optimize import linear_sum_assignment

    profiles = profile_columns(body)
    extra = _place_shapes(body)
    n = len(headers)
    score = np.zeros((n, len(ROLES)))
    for i, h in enumerate(headers):
        named = VOCABULARY.scores(h) if h else {}
        for c, role in enumerate(ROLES):
            fit = _fit(role, profiles.get(i, ColumnProfile()), extra.get(i, {}))
            hs = named.get(role, (0.0, ""))[0]
            score[i, c] = hs * (0.3 + 0.7 * fit) if hs >= HEADER_MIN else _by_values(role, fit)
    other = ROLES.index("other")
    keep = [c for c in range(len(ROLES)) if c != other]
    matrix = np.hstack([score[:, keep]] + [score[:, [other]]] * n)
    roles = [ROLES[c] for c in keep] + ["other"] * n
    gain = np.where(matrix >= MIN_SCORE, matrix, 0.0) ** 3
    rows, cols = linear_sum_assignment(gain, maximize=True)
    used, evidence = {}, {}
    for r, c in zip(rows, cols, strict=True):
        if gain[r, c] > 0 and roles[c] != "other":
            used[roles[c]] = int(r)
            evidence[roles[c]] = f"header {headers[r]!r}, score {matrix[r, c]:.2f}"
    return used, evidence


def _place_shapes(body: pd.DataFrame) -> dict[int, dict[str, float]]:
    """Per column, shares of sampled values that are a postcode, hold one inside, or read
    as a latitude or longitude in Great Britain."""
    sample = sample_rows(body).astype("string").fillna("").apply(lambda c: c.str.strip())
    out = {}
    for pos in sample.columns:
        col = sample[pos][sample[pos] != ""]
        if col.empty:
            out[pos] = {}
            continue
        num = pd.to_numeric(col, errors="coerce").astype("float64")
        out[pos] = {
            "postcode": float(normalise_postcodes(col).notna().mean()),
            "inside": float(col.str.upper().str.contains(POSTCODE_COMPACT_RE.replace(
                "[0-9][A-Z]{2}", r"\s*[0-9][A-Z]{2}"), regex=True).mean()),
            "lat": float(num.between(49.5, 61).mean()),
            "long": float((num.between(-8.7, 2) & (num.round(0) != num)).mean()),
        }
    return out


def _fit(role: str, p: ColumnProfile, shapes: dict[str, float]) -> float:
    """How well a column's values fit a premises role (0 contradict .. 1 exactly)."""
    if p.empty:
        return 0.0 if role in ("occupier", "postcode") else 0.2
    if role in ("occupier", "premises_name"):
        varied = min(1.0, p.distinct / max(1.0, 0.25 * p.filled))  # not an area's name
        return FITS["supplier_name"](p) * (1 - shapes.get("postcode", 0.0)) * varied
    if role == "address":
        return p.wordy * max(shapes.get("inside", 0.0), 1 - shapes.get("postcode", 0.0)) * (
            1 - p.date)
    if role == "postcode":
        return shapes.get("postcode", 0.0)
    if role in ("lat", "long"):
        return shapes.get(role, 0.0)
    return {"company_number": p.company, "charity_number": p.charity,
            "rateable_value": FITS["amount"](p), "use": FITS["description"](p),
            "reference": FITS["transaction_id"](p), "other": 0.6}[role]


def _by_values(role: str, fit: float) -> float:
    """A role found by its values alone (a header nobody foresaw): postcodes only."""
    return 0.5 * fit if role == "postcode" and fit >= 0.9 else 0.0


def _canonical(body: pd.DataFrame, used: dict[str, int], source: str, top: int
               ) -> pd.DataFrame:
    """Canonical rows (every input row, in order), names normalised, reasons set."""
    blank = pd.Series(pd.NA, index=body.index, dtype="string")

    def get(role: str) -> pd.Series:
        if role not in used:
            return blank
        return body[used[role]].astype("string").str.strip().replace("", pd.NA)

    address = get("address")
    postcode = normalise_postcodes(get("postcode"))
    postcode = postcode.fillna(postcodes_in(address))
    rows = pd.DataFrame({
        "source": source, "kind": "", "row": np.arange(len(body)) + top + 2,
        "occupier": get("occupier"), "premises_name": get("premises_name"),
        "address": address, "postcode": postcode,
        "company_number": clean_company_numbers(get("company_number")),
        "charity_number": clean_charity_numbers(get("charity_number")),
        "rateable_value": parse_amounts(get("rateable_value").fillna("")).astype("Float64"),
        "use": get("use"), "reference": get("reference"),
    })
    rows["occupier_norm"] = normalise_names(rows["occupier"])
    rows["premises_norm"] = normalise_names(rows["premises_name"])
    rows["set_aside"] = set_aside_reasons(rows)
    return rows[list(PREMISES_COLUMNS)]


def postcodes_in(text: pd.Series) -> pd.Series:
    """The UK postcode written inside free text ("1 High St, Leeds LS1 4AB"), normalised;
    NA where none reads (a list or vendor master with no postcode column)."""
    inside = text.astype("string").str.upper().str.extract(_POSTCODE_INSIDE, expand=True)
    return normalise_postcodes((inside[0] + inside[1]).astype("string"))


def set_aside_reasons(rows: pd.DataFrame) -> pd.Series:
    """Why a row cannot be linked (NA: it can): no name, a placeholder or an individual
    (never matched to anyone), or no UK postcode to place it."""
    norm = rows["occupier_norm"].astype("string")
    raw = rows["occupier"].astype("string").str.upper().str.strip()
    reason = pd.Series(pd.NA, index=rows.index, dtype="string")
    reason = reason.mask(norm.isna(), "no organisation named (blank: usually an individual)")
    holder = norm.str.fullmatch(_PLACEHOLDER.pattern).fillna(False) | norm.eq(REDACTED).fillna(
        False)
    reason = reason.mask(reason.isna() & holder,
                         "a placeholder, not an organisation (individuals are not named)")
    person = (raw.str.contains(_PERSON.pattern, regex=True)
              & ~raw.str.contains(_ORGANISATION.pattern, regex=True)).fillna(False)
    reason = reason.mask(reason.isna() & person, "an individual (a personal title)")
    return reason.mask(reason.isna() & rows["postcode"].isna(), "no UK postcode in the row")


def premises_kind(rows: pd.DataFrame, used: dict[str, int]) -> str:
    """What the list is, by its columns and values: business rates, care locations,
    charities' addresses or premises."""
    if "rateable_value" in used:
        return "business rates"
    if "charity_number" in used:
        return "charity's address"
    words = rows["use"].astype("string").str.lower().str.contains(r"care|nursing|residential",
                                                                     regex=True)
    return "care location" if words.fillna(False).mean() >= 0.5 else "premises"


# ------------------------------------------------------------------------- linking

LINK_METHODS = ("company_number", "charity_number", "name", "trading_name", "premises_name",
                "probable")
#: Bases at which a supplier's postcode says where it trades (the council's own record, an
#: officer's, another body's register): only these are compared with a premises' postcode
#: in a probable link — a registered office elsewhere says nothing about a branch here.
TRADING_BASES = ("council_register", "manual", "shared_register")


def link(premises: pd.DataFrame, suppliers: pd.DataFrame) -> pd.DataFrame:
    """Links of usable premises rows to suppliers: ``premises`` row position, supplier key,
    method (:data:`LINK_METHODS`, the first that links a row wins: numbers, the occupier's
    name, the name it trades as, the premises' own name); a chain's many premises each
    link, and a name held by several suppliers links to each."""
    use = premises["set_aside"].isna().to_numpy()
    todo = use.copy()
    found = []
    named = _nameable(suppliers)
    keys = {
        "company_number": (suppliers["company_number"], "company_number"),
        "charity_number": (clean_charity_numbers(suppliers["charity_number"]
                                                 if "charity_number" in suppliers else
                                                 pd.Series(pd.NA, index=suppliers.index)),
                           "charity_number"),
        "name": (_supplier_names(suppliers, named), "occupier_norm"),
        "trading_name": (_supplier_names(suppliers, named), "trading_norm"),
        "premises_name": (_supplier_names(suppliers, named), "premises_norm"),
    }
    premises = premises.assign(trading_norm=_trading_names(premises))
    for method, (left, column) in keys.items():
        hit = _join(premises[column], todo, left, suppliers["supplier_key"])
        if len(hit):
            hit["method"] = method
            found.append(hit)
            todo[hit["premises"].unique()] = False
    if not found:
        return pd.DataFrame({"premises": pd.Series(dtype="int64"),
                             "supplier_key": pd.Series(dtype="string"),
                             "method": pd.Series(dtype="string")})
    return pd.concat(found, ignore_index=True).drop_duplicates(["premises", "supplier_key"])


def probable_links(premises: pd.DataFrame, suppliers: pd.DataFrame, todo: np.ndarray,
                   council_lads: list[str]) -> pd.DataFrame:
    """Links the project's calibrated name model places (:func:`impact.places.linkage.
    place_links`: evidence of at least ``PLACE_BITS`` bits, clear of the next supplier by
    the ambiguity rule) and the premises' postcode confirms — the supplier's own trading
    postcode (:data:`TRADING_BASES`) is the premises' (:func:`_postcode_confirmed`):
    premises rows ``todo`` (usable,
    linked by no number or exact name) to suppliers unplaced or placed outside the area.
    Placeholders and individuals are never compared: set-aside rows stay out, and so do
    redacted payees and persons."""
    from impact.places.linkage import place_links

    rows = np.flatnonzero(todo & premises["set_aside"].isna().to_numpy(bool))
    names = premises["occupier_norm"].astype("string").iloc[rows]
    ok = (names.str.len() >= 3).fillna(False).to_numpy(bool)
    rows = rows[ok]
    located = suppliers.get("is_located", pd.Series(False, index=suppliers.index))
    inside = suppliers.get("lad_code", pd.Series(pd.NA, index=suppliers.index)).astype(
        "string").isin(council_lads).fillna(False)
    basis = suppliers.get("place_basis", pd.Series(pd.NA, index=suppliers.index)).astype(
        "string")
    cand = np.flatnonzero(_nameable(suppliers) & ~(located.fillna(False).astype(bool)
                                                  & inside).to_numpy(bool)
                          & ~basis.eq("national").fillna(False).to_numpy(bool)
                          & suppliers["supplier_name_norm"].notna().to_numpy(bool))
    if not len(rows) or not len(cand):
        return _no_links()
    left = pd.DataFrame({"key": rows.astype(str), "name_norm": names.iloc[ok].to_numpy(),
                         "postcode": premises["postcode"].astype("string").iloc[rows]
                         .to_numpy()})
    trading = basis.isin(TRADING_BASES).fillna(False)
    pcs = suppliers.get("postcode", pd.Series(pd.NA, index=suppliers.index)).astype("string")
    right = pd.DataFrame({"key": cand.astype(str),
                          "name_norm": suppliers["supplier_name_norm"].iloc[cand].to_numpy(),
                          "postcode": pcs.where(trading).iloc[cand].to_numpy(),
                          "entity": suppliers["supplier_key"].astype("string").iloc[cand]
                          .to_numpy()})
    # the calibrated model as it stands (fixed m and u): fitted on these pairs EM flattens
    # every name level to one weight (Wakefield's list: every best link at 10.3 bits), off
    # the scale PLACE_BITS was chosen on; and sampling u costs more than the linking
    ranked, _ = place_links(left, right, fixed_m=True)
    hit = _postcode_confirmed(ranked[ranked["placed"]], left, right)
    return pd.DataFrame({"premises": hit["left_key"].astype("int64").to_numpy(),
                         "supplier_key": right.set_index("key")["entity"].reindex(
                             hit["right_key"].astype(str)).to_numpy(),
                         "method": "probable"})


def _postcode_confirmed(hits: pd.DataFrame, left: pd.DataFrame, right: pd.DataFrame
                        ) -> pd.DataFrame:
    """The name model's links whose premises' postcode is the supplier's own trading
    postcode.  On names alone its links from two councils' rates lists and Trafford's care
    homes and charities were right 60–87 % of the time (hand-checked, 72 links: a letter
    apart — "EURO CAR PARTS" / "Euro Car Parks" —, one name inside another, neighbouring
    bodies), far below the 98 % a place needs; those stay unlinked."""
    pc_left = left.set_index("key")["postcode"].reindex(hits["left_key"].astype(str))
    pc_right = right.set_index("key")["postcode"].reindex(hits["right_key"].astype(str))
    def bare(pcs: pd.Series) -> pd.Series:
        return pcs.astype("string").str.replace(" ", "").str.upper().reset_index(drop=True)

    same = bare(pc_left).eq(bare(pc_right)).fillna(False).to_numpy(bool)
    return hits[same]


def _no_links() -> pd.DataFrame:
    return pd.DataFrame({"premises": pd.Series(dtype="int64"),
                         "supplier_key": pd.Series(dtype="string"),
                         "method": pd.Series(dtype="string")})


def _trading_names(premises: pd.DataFrame) -> pd.Series:
    """The name an occupier trades as ("B AND M RETAIL LTD T/A GLYNWEBB" → GLYNWEBB), where
    it differs from the name already tried."""
    trading = split_trading_as(premises["occupier"].astype("string"))["trading_name"]
    return trading.where(trading != premises["occupier_norm"])


def _nameable(suppliers: pd.DataFrame) -> np.ndarray:
    """Suppliers a name may link to: named, not a redacted payee or an individual."""
    red = suppliers["is_redacted"].fillna(False).astype(bool) if "is_redacted" in suppliers \
        else pd.Series(False, index=suppliers.index)
    cls = suppliers.get("supplier_class", pd.Series("", index=suppliers.index))
    person = cls.astype("string").eq("individual_redacted").fillna(False)
    return (~red & ~person).to_numpy(bool)


def _supplier_names(suppliers: pd.DataFrame, named: np.ndarray) -> pd.DataFrame:
    """Every normalised name a named supplier is known by (its name, each spelling the
    council printed, and the name of the register entry that placed it), one row each,
    for an exact join."""
    frames = [pd.DataFrame({"at": np.flatnonzero(named),
                            "name": suppliers["supplier_name_norm"].to_numpy()[named]})]
    pos = pd.Series(np.arange(len(suppliers)), index=suppliers.index)
    for column in ("name_variants", "matched_name"):  # printed spellings; register's name
        if column not in suppliers:
            continue
        keep = named & (_exactly_matched(suppliers) if column == "matched_name" else True)
        v = suppliers[column].astype("string")[keep].str.split(" | ", regex=False)
        v = v.explode().dropna()
        frames.append(pd.DataFrame({"at": pos[v.index].to_numpy(),
                                    "name": normalise_names(v.astype("string")).to_numpy()}))
    out = pd.concat(frames, ignore_index=True).dropna()
    out = out[out["name"].astype(str).str.len() >= 3]
    return out.drop_duplicates()


#: Methods whose ``matched_name`` is the supplier's own name in a register (not a probable
#: link, not an area named in the payee's name).
EXACT_METHODS = ("register_id", "register_name", "gazetteer", "company_number",
                 "charity_number", "reference_name", "manual")


def _exactly_matched(suppliers: pd.DataFrame) -> np.ndarray:
    method = suppliers.get("resolution_method", pd.Series(pd.NA, index=suppliers.index))
    return method.astype("string").isin(EXACT_METHODS).fillna(False).to_numpy(bool)


def _join(values: pd.Series, todo: np.ndarray, left: pd.Series | pd.DataFrame,
          keys: pd.Series) -> pd.DataFrame:
    """Premises positions (still to link) whose ``values`` equal a supplier's key."""
    if isinstance(left, pd.DataFrame):
        names = left
    else:
        names = pd.DataFrame({"at": np.arange(len(left)), "name": left.to_numpy()}).dropna()
    right = pd.DataFrame({"premises": np.flatnonzero(todo),
                          "name": values.to_numpy()[todo]}).dropna()
    if right.empty or names.empty:
        return pd.DataFrame(columns=["premises", "supplier_key"])
    names = names.astype({"name": "string"})
    hit = right.astype({"name": "string"}).merge(names, on="name")
    return pd.DataFrame({"premises": hit["premises"].to_numpy(dtype="int64"),
                         "supplier_key": keys.to_numpy()[hit["at"].to_numpy(dtype="int64")]})


# ------------------------------------------------------------------------- accounting


@dataclass(frozen=True)
class Accounting:
    """Every row of a premises list accounted for: rows in = linked + unlinked + set aside.

    ``set_aside`` counts rows by reason (a linked row whose postcode the directory does not
    know is set aside too, since it places nobody).
    """

    source: str
    kind: str
    rows: int
    linked: int
    unlinked: int
    set_aside: dict[str, int]
    suppliers: int
    #: of the linked rows, those the name model linked (method ``probable``): a link
    #: that may be wrong, so every surface says how many
    probable: int = 0

    @property
    def adds_up(self) -> bool:
        return self.rows == self.linked + self.unlinked + sum(self.set_aside.values())

    def as_dict(self) -> dict:
        return {"source": self.source, "kind": self.kind, "rows": self.rows,
                "linked": self.linked, "unlinked": self.unlinked,
                "set_aside": dict(self.set_aside), "suppliers": self.suppliers,
                "probable": self.probable}


def accounting(premises: pd.DataFrame, links: pd.DataFrame, placed: pd.Series
               ) -> list[Accounting]:
    """Per source file: rows in, linked (and placed), unlinked, set aside by reason.

    ``placed``: per premises row, whether its postcode was found in the directory.
    """
    out = []
    linked = np.zeros(len(premises), bool)
    linked[links["premises"].to_numpy(dtype="int64")] = True
    reason = premises["set_aside"].astype("string").copy()
    lost = linked & ~placed.to_numpy(bool)
    reason[lost] = "linked, but the postcode is not in the postcode directory"
    linked &= ~lost
    for src, idx in premises.groupby("source", sort=False).indices.items():
        r = reason.iloc[idx]
        mine = links[links["premises"].isin(idx[linked[idx]])]
        probable = mine.loc[mine["method"].astype("string").eq("probable").fillna(False)
                            .to_numpy(bool), "premises"].nunique()  # a row has one method
        out.append(Accounting(
            str(src), str(premises["kind"].iloc[idx[0]]), len(idx), int(linked[idx].sum()),
            int((~linked[idx] & r.isna().to_numpy()).sum()),
            {str(k): int(v) for k, v in r.value_counts().items()},
            int(mine["supplier_key"].nunique()), int(probable)))
    return out


# ------------------------------------------------------------------------- places

#: Columns of the supplier × place table (:func:`supplier_places`).
PLACE_COLUMNS = ("supplier_key", "is_main", "place_basis", "source", "kind", "method",
                 "occupier", "address", "postcode", "lat", "long", "lsoa21_code",
                 "ward_code", "ward_name", "lad_code", "lad_name", "region_code",
                 "region_name", "area_lad_codes", "rateable_value", "weight")
_GEO = ("lat", "long", "lsoa21_code", "ward_code", "ward_name", "lad_code", "lad_name",
        "region_code", "region_name")


def premises_places(premises: pd.DataFrame, links: pd.DataFrame,
                    reference: Reference | None, geocoder=geocode_postcodes
                    ) -> tuple[pd.DataFrame, pd.Series]:
    """One row per linked premises and supplier (basis ``premises``), geocoded; and per
    premises row whether its postcode was found (only linked rows are looked up)."""
    found = pd.Series(False, index=premises.index)
    if links.empty:
        return pd.DataFrame(columns=list(PLACE_COLUMNS)), found
    rows = premises.iloc[links["premises"].to_numpy(dtype="int64")].reset_index(drop=True)
    geo = geocoder(rows["postcode"], reference).reset_index(drop=True)
    ok = (geo["lat"].notna() & geo["long"].notna()).to_numpy(bool)
    found.iloc[links["premises"].to_numpy(dtype="int64")[ok]] = True
    out = pd.DataFrame({
        "supplier_key": links["supplier_key"].astype("string").to_numpy(), "is_main": False,
        "place_basis": "premises", "source": rows["source"], "kind": rows["kind"],
        "method": links["method"].to_numpy(), "occupier": rows["occupier"],
        "address": rows["address"], "postcode": rows["postcode"],
        **{c: geo[c].to_numpy() for c in _GEO}, "area_lad_codes": pd.NA,
        "rateable_value": rows["rateable_value"].to_numpy(),
    })
    out = out[ok].reset_index(drop=True)
    return _weighted(out), found


def _weighted(places: pd.DataFrame) -> pd.DataFrame:
    """Each supplier's premises weighted for £ attribution: by rateable value where every
    one of them has one, else equally."""
    rv = pd.to_numeric(places["rateable_value"], errors="coerce")
    key = places["supplier_key"]
    n = key.map(key.value_counts())
    total = rv.groupby(key).transform("sum")
    all_rv = rv.notna().groupby(key).transform("all") & (total > 0)
    places["weight"] = np.where(all_rv, rv / total.where(total > 0), 1.0 / n)
    return places


def supplier_places(suppliers: pd.DataFrame, premises: pd.DataFrame) -> pd.DataFrame:
    """The supplier × place table: each supplier's main place (``is_main``, its basis as
    located) and each of its premises."""
    placed = suppliers[suppliers["is_located"].fillna(False).astype(bool)]
    main = pd.DataFrame({
        "supplier_key": placed["supplier_key"].astype("string"), "is_main": True,
        "place_basis": placed.get("place_basis"), "source": placed.get("resolution_source"),
        "kind": "main place", "method": placed.get("resolution_method"),
        "occupier": placed.get("matched_name"), "address": pd.NA,
        "postcode": placed.get("postcode"),
        **{c: placed.get(c) for c in _GEO},
        "area_lad_codes": placed.get("area_lad_codes"), "rateable_value": np.nan,
        "weight": 1.0,
    })
    frames = [f for f in (main, premises) if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(PLACE_COLUMNS))
    out = pd.concat(frames, ignore_index=True)[list(PLACE_COLUMNS)]
    for c in ("supplier_key", "place_basis", "source", "kind", "method", "occupier",
              "address", "postcode", "lsoa21_code", "ward_code", "ward_name", "lad_code",
              "lad_name", "region_code", "region_name", "area_lad_codes"):
        out[c] = out[c].astype("string")
    for c in ("lat", "long", "rateable_value", "weight"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    out["is_main"] = out["is_main"].astype(bool)
    return out


def main_premises(places: pd.DataFrame, council_lads: list[str]) -> pd.DataFrame:
    """Per supplier, the premises that becomes its main place when it has none: the one in
    the council's area with the largest rateable value, else the largest anywhere."""
    if places.empty:
        return places
    p = places.assign(_in=places["lad_code"].isin(council_lads).astype(int),
                      _rv=pd.to_numeric(places["rateable_value"], errors="coerce").fillna(-1))
    p = p.sort_values(["_in", "_rv"], ascending=False, kind="stable")
    return p.drop_duplicates("supplier_key").drop(columns=["_in", "_rv"])


#: Suppliers whose place premises may replace: none, or only a place named in their name.
REPLACEABLE = ("none", "name_hint")


@dataclass
class Applied:
    """What linking a council's premises did: the suppliers (those without a place now at
    their main premises), every premises place, each list's accounting."""

    suppliers: pd.DataFrame
    places: pd.DataFrame
    accounting: list[Accounting]
    placed_suppliers: int = 0


def apply_premises(suppliers: pd.DataFrame, premises: pd.DataFrame,
                   reference: Reference | None, council_lads: list[str],
                   imd: pd.Series | None = None, geocoder=geocode_postcodes) -> Applied:
    """Link ``premises`` to ``suppliers``, place the linked rows, and give each supplier
    with no place (or only a place in its name) its main premises (:func:`main_premises`)
    as its main place, basis ``premises``.  ``imd``: LSOA 2021 → IoD decile."""
    premises = premises.reset_index(drop=True)
    links = link(premises, suppliers)
    todo = np.ones(len(premises), bool)
    todo[links["premises"].to_numpy(dtype="int64")] = False
    links = pd.concat([links, probable_links(premises, suppliers, todo, council_lads)],
                      ignore_index=True)
    places, found = premises_places(premises, links, reference, geocoder)
    acc = accounting(premises, links, found)
    method = suppliers["resolution_method"].astype("string")
    open_ = method.isin(REPLACEABLE).fillna(True) & ~suppliers["place_basis"].astype(
        "string").eq("national").fillna(False)
    best = main_premises(places, council_lads).set_index("supplier_key")
    take = open_ & suppliers["supplier_key"].isin(best.index)
    if not take.any():
        return Applied(suppliers, places, acc)
    out = suppliers.copy()
    at = out.index[take]
    row = best.loc[out.loc[at, "supplier_key"].to_numpy()]
    for c in (*_GEO, "postcode"):
        if c in out:
            out.loc[at, c] = pd.Series(row[c].to_numpy(), index=at).astype(out[c].dtype)
    text = {"resolution_method": "premises", "place_basis": "premises",
            "geocode_status": "located", "area_lad_codes": pd.NA}
    for c, v in text.items():
        if c in out:
            out.loc[at, c] = v
    out.loc[at, "resolution_source"] = (row["kind"] + " list " + row["source"]).to_numpy()
    out.loc[at, "matched_name"] = row["occupier"].to_numpy()
    out.loc[at, "geocode_reason"] = ("at its premises (" + row["kind"] + ")").to_numpy()
    out.loc[at, "is_located"] = True
    if "imd_decile" in out and imd is not None:
        out.loc[at, "imd_decile"] = out.loc[at, "lsoa21_code"].map(imd).astype(
            out["imd_decile"].dtype)
    return Applied(out, places, acc, int(take.sum()))


# ------------------------------------------------------------------------- the store


def read_store(path: Path) -> pd.DataFrame:
    """The premises rows kept for a council (empty when none were added)."""
    if not path.is_file():
        return empty_premises()
    return pd.read_parquet(path)


def empty_premises() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="string") for c in PREMISES_COLUMNS})


def add_to_store(path: Path, lists: list[PremisesList]) -> pd.DataFrame:
    """Keep ``lists`` in the council's premises store (a file added again replaces its own
    rows), atomically under the store's lock; the whole store as now kept."""
    import io

    with locked(path):
        kept = read_store(path)
        names = {pl.source for pl in lists}
        kept = kept[~kept["source"].isin(names)]
        frames = [f for f in [kept, *[pl.rows for pl in lists]] if len(f)]
        out = pd.concat(frames, ignore_index=True) if frames else empty_premises()
        out = out[list(PREMISES_COLUMNS)].reset_index(drop=True)
        for c in PREMISES_COLUMNS:
            if c not in ("row", "rateable_value"):
                out[c] = out[c].astype("string")
        out["row"] = pd.to_numeric(out["row"]).astype("int64")
        out["rateable_value"] = pd.to_numeric(out["rateable_value"]).astype("Float64")
        buf = io.BytesIO()
        out.to_parquet(buf, index=False)
        atomic_write_bytes(path, buf.getvalue())
    return out
