"""A regional body's spend files, made here because the shared data holds none (issue 24).

The Greater London Authority pays mostly other public bodies and spells them as finance
systems do ("L B SOUTHWARK", "LB HOUNSLOW", "MOPAC"); one payee has two vendor IDs
("PEABODY TRUST"), one ID is written with and without leading zeros ("014031"/"14031"),
and the department is in the Transparency Code's own column ("Directorate / Service Where
Expenditure Incurred").  Twelve monthly files, April 2024 to March 2025; the figures are
invented, the bodies and their spellings real.
"""

from __future__ import annotations

import csv
from pathlib import Path

COUNCIL = "Greater London Authority"
HEADER = ["Vendor ID", "Vendor Name", "Directorate / Service Where Expenditure Incurred",
          "Expenditure Category", "Clearing Date", "Amount"]
#: (vendor ID by month → ID, payee as published, directorate, category, £ a month)
PAYEES: list[tuple[str, str, str, str, float]] = [
    ("300101", "L B SOUTHWARK", "Housing and Land", "Grants to local authorities", 6_130_000.0),
    ("300102", "LB HOUNSLOW", "Housing and Land", "Grants to local authorities", 1_250_000.0),
    ("300103", "LB NEWHAM", "Housing and Land", "Grants to local authorities", 1_100_000.0),
    ("300104", "LB CAMDEN", "Good Growth", "Grants to local authorities", 650_000.0),
    ("300105", "LONDON BOROUGH OF ENFIELD", "Good Growth", "Grants to local authorities",
     420_000.0),
    ("300106", "RB KINGSTON", "Communities and Skills", "Grants to local authorities",
     210_000.0),
    ("300107", "MOPAC", "Resources", "Contributions to functional bodies", 1_960_000.0),
    ("300108", "London Fire Commissioner", "Resources", "Contributions to functional bodies",
     880_000.0),
    ("300109", "TfL", "Resources", "Contributions to functional bodies", 3_400_000.0),
    ("300110", "Guys & St Thomas NHS FT", "Communities and Skills", "Health programmes",
     95_000.0),
    ("300111", "HM Revenue & Customs", "Resources", "Tax and national insurance", 720_000.0),
    ("300112", "PEABODY TRUST", "Housing and Land", "Affordable housing grant", 4_300_000.0),
    ("300113", "PEABODY TRUST", "Housing and Land", "Affordable housing grant", 4_450_000.0),
    ("014031", "MACE LIMITED", "Good Growth", "Construction", 520_000.0),
    ("300115", "CAPITA BUSINESS SERVICES LTD", "Resources", "IT services", 180_000.0),
    ("300116", "Greater London Volunteering", "Communities and Skills", "Grants", 35_000.0),
    ("300117", "J SMITH", "Communities and Skills", "Grants", 900.0),
    ("300118", "REDACTED - PERSONAL DATA", "Communities and Skills", "Grants", 2_400.0),
]


def _vendor_id(vendor: str, month: int) -> str:
    """The finance system drops the leading zero from some months' exports."""
    return vendor.lstrip("0") if vendor.startswith("0") and month % 2 else vendor


def write_regional_body(folder: Path) -> Path:
    """Twelve monthly spend files of the regional body under ``folder``; the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(12):
        year, month = (2024, 4 + k) if k < 9 else (2025, k - 8)
        path = folder / f"gla-expenditure-{year}-{month:02d}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(HEADER)
            for i, (vendor, name, unit, category, monthly) in enumerate(PAYEES):
                amount = round(monthly * (1 + 0.03 * ((k + i) % 5 - 2)), 2)
                day = 3 + (i * 7 + k) % 24
                out.writerow([_vendor_id(vendor, k), name, unit, category,
                              f"{day:02d}/{month:02d}/{year}", f"{amount:.2f}"])
    return folder
