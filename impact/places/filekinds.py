"""Which of the council's own lists a file is: a premises list or a vendor master.

Both are tables of organisations with addresses, so each reader alone would take the
other's file: a vendor master read as premises would count the council's remittance
addresses as branches, and a rates list read as a vendor master would place suppliers at
shops they merely occupy as the council's own record.  Each reader's column roles decide
(:func:`impact.places.premises.map_premises_columns`, :func:`impact.places.vendors.
map_vendor_columns`), never a file name: a file handed to the wrong door is refused with
the right one named, and nothing is kept.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from impact.places import premises, vendors
from impact.places.premises import PremisesError, PremisesList, first_grid, premises_from_cells
from impact.places.vendors import VendorError, VendorMaster, vendors_from_cells

#: Roles only a premises list has: its valuation, use class or care type, coordinates.
PREMISES_ONLY = frozenset({"rateable_value", "use", "lat", "long"})
#: Roles only a vendor master has: the finance system's supplier number, where to pay.
VENDOR_ONLY = frozenset({"supplier_id", "remit_address", "remit_postcode"})
#: What each refusal says (the file's name first).
LOOKS_LIKE_VENDORS = ("this looks like a vendor master (supplier IDs and addresses), not a "
                      "premises list: use `impact vendors add` (or the Data page's vendor "
                      "master upload); nothing was added")
LOOKS_LIKE_PREMISES = ("this looks like a premises list ({kind}: no supplier IDs or "
                       "remittance addresses), not a vendor master: use `impact premises "
                       "add` (or the Data page's premises upload); nothing was added")


def _body(cells: pd.DataFrame, top: int) -> tuple[list[str], pd.DataFrame]:
    headers = [str(h).strip() for h in cells.iloc[top].tolist()]
    return headers, cells.iloc[top + 1:].reset_index(drop=True)


def premises_roles(cells: pd.DataFrame) -> set[str]:
    """The roles the premises reader finds in a grid (empty: no premises header)."""
    top = premises._header_row(cells)
    if top is None:
        return set()
    return set(premises.map_premises_columns(*_body(cells, top))[0])


def vendor_roles(cells: pd.DataFrame) -> set[str]:
    """The roles the vendor-master reader finds in a grid (empty: no vendor header)."""
    top = vendors._header_row(cells)
    if top is None:
        return set()
    return set(vendors.map_vendor_columns(*_body(cells, top)))


def is_vendor_master(cells: pd.DataFrame) -> bool:
    """A supplier number or a remittance address, and nothing only premises have."""
    return bool(VENDOR_ONLY & vendor_roles(cells)) and not (PREMISES_ONLY
                                                             & premises_roles(cells))


def premises_kind_of(cells: pd.DataFrame) -> str | None:
    """What premises list a grid is when it is plainly one — a rateable value, a place's
    coordinates, or charity numbers without a supplier number — and has no remittance
    address (a vendor master's mark); else None."""
    found, theirs = premises_roles(cells), vendor_roles(cells)
    if theirs & {"remit_address", "remit_postcode"}:
        return None
    if "rateable_value" in found:
        return "a business-rates list"
    if {"lat", "long"} <= found:
        return "care homes or other located premises"
    if "charity_number" in found and "supplier_id" not in theirs:
        return "a charity extract"
    return None


def read_premises_list(path: str | Path) -> PremisesList:
    """A premises list (:func:`impact.places.premises.read_premises`), refused with the
    right door named when the file is a vendor master."""
    path = Path(path)
    cells = first_grid(path, PremisesError)
    if is_vendor_master(cells):
        raise PremisesError(f"{path.name}: {LOOKS_LIKE_VENDORS}")
    return premises_from_cells(cells, path.name)


def read_vendor_list(path: str | Path) -> VendorMaster:
    """A vendor master (:func:`impact.places.vendors.read_vendor_master`), refused with
    the right door named when the file is a premises list."""
    path = Path(path)
    cells = first_grid(path, VendorError)
    kind = premises_kind_of(cells)
    if kind:
        raise VendorError(f"{path.name}: {LOOKS_LIKE_PREMISES.format(kind=kind)}")
    return vendors_from_cells(cells, path.name)
