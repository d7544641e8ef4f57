"""Upload limits: refuse files too big, too long, zip bombs and files that lie about their type.

Every spend file, from the command line or the app's upload form, is read by
:func:`impact.ingest.tables.read_parts`, which calls these checks first, so both share
them.  The checks look only at the file's size, its first bytes and (for workbooks and zip
archives of spend files) the zip's central directory — nothing is decompressed before it is
judged safe, and each file inside an archive is checked again as a file.

Limits come from settings (environment variables read on each call, so a deployment can
change them without code): ``IMPACT_MAX_FILE_MB`` (default 200, Streamlit's own upload limit),
``IMPACT_MAX_ROWS`` (5,000,000), ``IMPACT_MAX_UNZIPPED_MB`` (2,000: what a workbook may
expand to) and ``IMPACT_MAX_ZIP_RATIO`` (100: real workbooks compress 5-20×, bombs 1,000×+).
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from impact.core.settings import settings

MB = 1024**2


class UploadRefused(ValueError):
    """A file refused before reading; the message is one line for the user."""


@dataclass(frozen=True)
class Limits:
    """Ceilings applied to one uploaded file."""

    max_file_bytes: int = 200 * MB
    max_rows: int = 5_000_000
    max_unzipped_bytes: int = 2000 * MB
    max_zip_ratio: float = 100.0
    #: The ratio test applies only past this expanded size (tiny workbooks compress well).
    ratio_floor_bytes: int = 10 * MB
    max_zip_entries: int = 10_000

    @classmethod
    def from_env(cls) -> Limits:
        """Defaults, overridden by ``IMPACT_MAX_*`` settings where set."""
        d, raw = cls(), settings().limits
        return cls(
            max_file_bytes=int(_number(raw, "IMPACT_MAX_FILE_MB", d.max_file_bytes / MB) * MB),
            max_rows=int(_number(raw, "IMPACT_MAX_ROWS", d.max_rows)),
            max_unzipped_bytes=int(
                _number(raw, "IMPACT_MAX_UNZIPPED_MB", d.max_unzipped_bytes / MB) * MB
            ),
            max_zip_ratio=_number(raw, "IMPACT_MAX_ZIP_RATIO", d.max_zip_ratio),
        )


def _number(settings_: Mapping[str, str], name: str, default: float) -> float:
    raw = settings_.get(name)
    if raw is None:
        return default
    try:
        value = float(raw.replace(",", "").replace("_", ""))
    except ValueError:
        raise UploadRefused(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise UploadRefused(f"{name} must be positive, not {raw!r}")
    return value


def check_size(size: int, limits: Limits) -> None:
    """Refuse a file over the size limit."""
    if size > limits.max_file_bytes:
        raise UploadRefused(
            f"file is {size / MB:,.0f} MB, over the {limits.max_file_bytes / MB:,.0f} MB limit "
            "(IMPACT_MAX_FILE_MB)"
        )


def check_rows(rows: int, limits: Limits) -> None:
    """Refuse a table with more rows than the limit."""
    if rows > limits.max_rows:
        raise UploadRefused(
            f"file has {rows:,} rows, over the {limits.max_rows:,}-row limit (IMPACT_MAX_ROWS); "
            "split it by month or year"
        )


#: Signatures of formats that are never spend tables, with a name for the message.
_FOREIGN_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"PAR1", "a Parquet file"),
    (b"SQLite format 3", "an SQLite database"),
    (b"{\\rtf", "an RTF document"),
)
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def sniff_kind(head: bytes) -> str:
    """``"zip"``, ``"ole"`` (old .xls) or ``"text"`` from a file's first bytes.

    Raises :class:`UploadRefused` naming the format when it is a known non-table format.
    """
    if head.startswith(ZIP_MAGIC) or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    for magic, what in _FOREIGN_MAGIC:
        if head.startswith(magic):
            raise UploadRefused(f"file is {what}, not a CSV or spreadsheet")
    return "text"


#: Members of a zip that make it a workbook (Excel) or an OpenDocument spreadsheet.
WORKBOOK_PARTS = frozenset({"xl/workbook.xml", "xl/workbook.bin", "content.xml"})


def zip_entries(source: Path | BinaryIO, limits: Limits, what: str = "workbook"
                ) -> list[zipfile.ZipInfo]:
    """A zip's entries, read from its central directory only (nothing is decompressed),
    once judged safe: at most ``max_zip_entries`` parts, declared sizes summing under
    ``max_unzipped_bytes`` and (past ``ratio_floor_bytes``) under ``max_zip_ratio`` × the
    compressed size.  ``what`` names the file in messages ("workbook", "archive").

    Decompressing a member later never yields more than its declared size (the zip
    reader stops there and checks the CRC), so these checks bound the memory used.
    """
    try:
        with zipfile.ZipFile(source) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        prefix = "could not read spreadsheet" if what == "workbook" else "could not read archive"
        raise UploadRefused(f"{prefix}: damaged zip ({exc})") from None
    if len(infos) > limits.max_zip_entries:
        raise UploadRefused(
            f"{what} holds {len(infos):,} parts, over the {limits.max_zip_entries:,} limit"
        )
    expanded = sum(i.file_size for i in infos)
    packed = max(sum(i.compress_size for i in infos), 1)
    if expanded > limits.max_unzipped_bytes:
        raise UploadRefused(
            f"{what} would expand to {expanded / MB:,.0f} MB, over the "
            f"{limits.max_unzipped_bytes / MB:,.0f} MB limit (IMPACT_MAX_UNZIPPED_MB)"
        )
    ratio = expanded / packed
    if expanded > limits.ratio_floor_bytes and ratio > limits.max_zip_ratio:
        raise UploadRefused(
            f"{what} expands {ratio:,.0f}× ({packed / MB:,.1f} MB → {expanded / MB:,.0f} MB), "
            f"over the {limits.max_zip_ratio:,.0f}× limit for compressed files "
            "(IMPACT_MAX_ZIP_RATIO); a zip bomb or a damaged file"
        )
    return infos


def is_workbook(infos: list[zipfile.ZipInfo]) -> bool:
    """Whether a zip's entries are those of an Excel or OpenDocument workbook."""
    return bool(WORKBOOK_PARTS & {i.filename for i in infos})


def check_zip(path: Path | BinaryIO, limits: Limits) -> None:
    """Refuse a workbook (zip) that is not one, or whose contents would expand too far
    (see :func:`zip_entries`).  An .xlsx needs ``xl/workbook.xml``, an .ods
    ``content.xml``; any other zip named as a workbook (a renamed archive) is refused."""
    if not is_workbook(zip_entries(path, limits)):
        raise UploadRefused(
            "file is a zip archive but not an Excel or OpenDocument workbook "
            "(no xl/workbook.xml or content.xml inside)"
        )
