"""Find reference data (boundaries, IoD, lookups, population, postcodes) by role.

One setting points at a folder: ``--reference DIR`` or ``IMPACT_REFERENCE_DIR``
(:mod:`impact.core.settings`).
Inside it each role is found by a glob pattern, so the public ``shared/data`` folder
works exactly as it is and the demo borough can ship its own, differently named files.
A ``reference.json`` in the folder (``{"role": "relative/path"}``) overrides any pattern.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from impact.core.settings import REFERENCE_DIR, demo_dir, settings

#: role → (glob patterns tried in order, what the file holds).  The README documents this.
ROLES: dict[str, tuple[tuple[str, ...], str]] = {
    "imd2025_lsoa21": (
        (
            "imd/*imd2025*lsoa21*scores*.csv*",
            "imd/*IoD2025*File_7*.csv*",
            "imd/*imd2025*lsoa*.csv*",
        ),
        "IoD 2025 scores, ranks and deciles per LSOA 2021",
    ),
    "imd2025_lad_summary": (
        ("imd/*imd2025*lad*summary*.csv*",),
        "IoD 2025 local authority district summaries (MHCLG)",
    ),
    "imd2019_lsoa11_file2": (
        ("imd/*imd2019*lsoa11*File_2*.csv*", "imd/*IoD2019*Domains*.csv*"),
        "IoD 2019 domain ranks and deciles per LSOA 2011 (File 2)",
    ),
    "imd2019_lsoa11_file1": (
        ("imd/*imd2019*lsoa11*File_1*.csv*",),
        "IoD 2019 IMD rank and decile per LSOA 2011 (File 1)",
    ),
    "lsoa21_boundaries": (
        (
            "geography/*lsoa*2021*.parquet",
            "geography/*lsoa*2021*.gpkg",
            "geography/*lsoa*2021*.geojson",
        ),
        "LSOA 2021 boundaries",
    ),
    "ward_boundaries": (
        ("geography/wards_*.parquet", "geography/wards_*.gpkg", "geography/wards_*.geojson"),
        "Electoral ward boundaries (newest vintage first by name)",
    ),
    "lad_boundaries": (
        ("geography/lad_*.parquet", "geography/lad_*.gpkg", "geography/lad_*.geojson"),
        "Local authority district boundaries",
    ),
    "lookup_lsoa21_ward_lad": (
        ("geography/lookup_lsoa21_ward*_lad*.csv*",),
        "LSOA 2021 → ward → LAD best-fit lookup",
    ),
    "lookup_lsoa11_lsoa21": (
        ("geography/lookup_lsoa11_lsoa21*.csv*",),
        "LSOA 2011 → LSOA 2021 lookup with change codes",
    ),
    "lookup_lad_region": (
        ("geography/lookup_lad*_region*.csv*",),
        "LAD → region lookup",
    ),
    "population_lsoa21": (
        ("geography/population*lsoa21*.csv*",),
        "Census 2021 usual residents per LSOA 2021",
    ),
    "postcodes": (
        ("geography/postcode*.csv*", "geography/postcode*.parquet"),
        "Postcode → lat/long (and optionally LSOA 2021) table",
    ),
    "supplier_registers": (
        ("suppliers/*.csv",),
        "Reference supplier registers (name/company number → postcode)",
    ),
    "local_authorities": (
        ("organisations/*local_authorities*.csv*", "organisations/*uk_la*.csv*"),
        "Local authorities with GSS codes, type, county, combined authority, alternative "
        "names (mySociety)",
    ),
    "local_authority_names": (
        ("organisations/*la*name*registry*.csv", "organisations/*local*authorit*names*.csv"),
        "Local-authority name variants → register code (mySociety)",
    ),
    "local_authority_register": (
        ("organisations/*register*local-authority*.csv",),
        "GOV.UK local-authority register (official names, types, dates)",
    ),
    "government_organisations": (
        ("organisations/*government-organisation*.csv", "organisations/*government*org*.csv"),
        "GOV.UK government-organisation register (departments, agencies, public bodies)",
    ),
    "academy_trusts": (
        ("organisations/*academy*trust*.csv",),
        "Academy trusts with company numbers",
    ),
    "universities": (
        ("organisations/*universit*.csv",),
        "Universities with their charity or other identifiers",
    ),
    "housing_providers": (
        ("organisations/*rsp*.csv", "organisations/*housing*provider*.csv"),
        "Registered social housing providers with company or charity numbers",
    ),
    "charity_companies": (
        ("organisations/*charity-company*.csv",),
        "Charities that are also companies: charity and company identifiers with the name",
    ),
    "mutual_societies": (
        ("organisations/*mutual*.csv",),
        "Mutual societies (co-operative and community benefit) with identifiers and name",
    ),
    "companies_house": (
        ("registers/companies_house_*.parquet",),
        "Companies House BasicCompanyData, built by `impact fetch companies-house` "
        "(registered offices, status, SIC codes)",
    ),
    "charity_register": (
        ("registers/charities_*.parquet",),
        "Charity Commission register extract, built by `impact fetch charities` "
        "(registered contact addresses, status)",
    ),
    "schools": (
        ("registers/schools_*.parquet",),
        "DfE Get Information About Schools establishments, built by `impact fetch schools` "
        "(school sites, status)",
    ),
    "nhs_trusts": (
        ("suppliers/*nhs*trust*.csv", "organisations/*nhs*trust*.csv", "suppliers/*etr*.csv"),
        "NHS trusts with their headquarters postcode (NHS Digital ODS)",
    ),
    "employer_addresses": (
        ("suppliers/*pay_gap*.csv", "suppliers/*employer*address*.csv"),
        "Employers' addresses with postcodes (postal counties and towns are read from them)",
    ),
    "io_multipliers": (
        ("economics/*type1_multipliers*.csv",),
        "ONS input-output Type I multipliers by industry",
    ),
    "lm3_published": (
        ("lm3/*lm3*.csv",),
        "Published LM3 and local-spend figures",
    ),
}


class ReferenceError(LookupError):
    """A reference file a computation needs is not in the reference folder."""


@dataclass(frozen=True)
class Reference:
    """A reference folder and the files found in it for each role."""

    root: Path

    def find_all(self, role: str) -> list[Path]:
        """Every file for ``role`` (sorted newest-name-first), or [] when none."""
        if role not in ROLES:
            raise KeyError(f"unknown reference role {role!r}")
        manifest = self.root / "reference.json"
        if manifest.is_file():
            entries = json.loads(manifest.read_text(encoding="utf-8"))
            if role in entries:
                value = entries[role]
                values = value if isinstance(value, list) else [value]
                return [self.root / v for v in values if (self.root / v).exists()]
        for pattern in ROLES[role][0]:
            hits = sorted(self.root.glob(pattern), reverse=True)
            if hits:
                return hits
        return []

    def find(self, role: str) -> Path | None:
        """The first file for ``role``, or None."""
        hits = self.find_all(role)
        return hits[0] if hits else None

    def require(self, role: str) -> Path:
        """The file for ``role``; a one-line error naming the role and pattern when missing."""
        path = self.find(role)
        if path is None:
            patterns = " or ".join(ROLES[role][0])
            raise ReferenceError(
                f"no {ROLES[role][1]} in {self.root} (looked for {patterns}); "
                f"set --reference or {REFERENCE_DIR}"
            )
        return path

    def available(self) -> dict[str, Path | None]:
        """Role → file found (None where missing), for status displays."""
        return {role: self.find(role) for role in ROLES}


def resolve_reference(path: str | os.PathLike[str] | None = None) -> Reference:
    """The reference folder: explicit path, else ``IMPACT_REFERENCE_DIR``, else the demo's own."""
    if path is None:
        path = settings().reference_dir or demo_dir() / "reference"
    root = Path(path).expanduser()
    if not root.is_dir():
        raise ReferenceError(f"reference folder {root} does not exist")
    return Reference(root)
