"""Upload limits: refuse files too big, too wide, too long, not text, zip bombs and files
that lie about their type.

Every spend file, from the command line or the app's upload form, is read by
:func:`impact.ingest.tables.read_parts`, which calls these checks first, so both share
them.  The checks look only at the file's size, its first bytes, the lengths of its lines
(one vectorised pass over the bytes, before any parser runs) and (for workbooks and zip
archives of spend files) the zip's central directory or the sheet's dimensions — nothing is
decompressed or parsed before it is judged safe, and each file inside an archive is checked
again as a file.

Limits come from settings (environment variables read on each call, so a deployment can
change them without code): ``IMPACT_MAX_FILE_MB`` (default 200, Streamlit's own upload limit),
``IMPACT_MAX_ROWS`` (5,000,000), ``IMPACT_MAX_COLUMNS`` (1,000 fields on a line, trailing
empty ones not counted), ``IMPACT_MAX_CELL_KB`` (128: a longer cell sets its row aside;
Excel itself stops at 32,767 characters, at most 128 kB), ``IMPACT_MAX_UNZIPPED_MB``
(2,000: what a workbook may expand to) and ``IMPACT_MAX_ZIP_RATIO`` (100: real workbooks
compress 5-20×, bombs 1,000×+).

Nothing of a refused file is echoed back but a short, escaped sample (:func:`sample`).
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype
import numpy as np

from impact.core.settings import settings

KB = 1024
MB = 1024**2


class UploadRefused(ValueError):
    """A file refused before reading; the message is one line for the user."""


@dataclass(frozen=True)
class Limits:
    """Ceilings applied to one uploaded file."""

    max_file_bytes: int = 200 * MB
    max_rows: int = 5_000_000
    #: Fields on one line (trailing empty ones not counted): real spend files have 5-40.
    max_columns: int = 1_000
    #: Bytes of text in one cell (as UTF-8): a longer cell sets its row aside.
    max_cell_bytes: int = 128 * KB
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
            max_columns=int(_number(raw, "IMPACT_MAX_COLUMNS", d.max_columns)),
            max_cell_bytes=int(_number(raw, "IMPACT_MAX_CELL_KB", d.max_cell_bytes / KB) * KB),
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


def check_columns(columns: int, limits: Limits, where: str = "file") -> None:
    """Refuse a table wider than the column limit (``where``: "file", "line 3", "sheet 'X'")."""
    if columns > limits.max_columns:
        raise UploadRefused(
            f"{where} has {columns:,} columns, over the {limits.max_columns:,}-column limit "
            "(IMPACT_MAX_COLUMNS)"
        )


def bound_text(data: bytes, delimiter: str, limits: Limits) -> bytes:
    """A delimited text file's bytes with every cell longer than the cell-size limit cut
    short; :class:`UploadRefused` for a line with more fields than the column limit.
    Done before any parser runs: no parser sees a 50 MB cell or a 100,000-field line.

    Only lines long enough to break a limit are looked at closely, found in one vectorised
    pass.  A cut keeps just over the limit's bytes (so the parsed cell still shows it is
    too long, and its row is set aside with the reason) and removes bytes holding no
    separator, line break or quote of any delimiter, so no record's structure changes.
    """
    longer_than = min(limits.max_columns - 1, limits.max_cell_bytes)
    cuts: list[tuple[int, int]] = []
    for start, end in _gaps(data, 0, len(data), longer_than, ord("\n")):
        for line in _gaps(data, start, end, longer_than, ord("\r")):  # old Mac line ends
            _check_fields(data, *line, delimiter, limits)
            cuts += _cell_cuts(data, *line, limits.max_cell_bytes)
    if not cuts:
        return data
    view, kept, pos = memoryview(data), [], 0
    for a, b in cuts:
        kept.append(view[pos:a])
        pos = b
    return b"".join([*kept, view[pos:]])


def _gaps(data: bytes, start: int, end: int, longer_than: int, mark: int,
          chunk: int = 1 << 22) -> list[tuple[int, int]]:
    """(start, end) of every stretch of ``data[start:end]`` longer than ``longer_than``
    bytes without the byte ``mark``: vectorised, 4 MB at a time, so the scan itself needs
    little memory."""
    found: list[tuple[int, int]] = []
    previous = start - 1  # the last mark seen
    if data.find(bytes([mark]), start, end) < 0:  # memchr: none at all
        return [(start, end)] if end - start > longer_than else []
    for offset in range(start, end, chunk):
        part = np.frombuffer(data, np.uint8, min(chunk, end - offset), offset)
        hits = np.flatnonzero(part == mark) + offset
        if hits.size:
            starts = np.concatenate(([previous + 1], hits[:-1] + 1))
            found += [(int(starts[i]), int(hits[i]))
                      for i in np.flatnonzero(hits - starts > longer_than)]
            previous = int(hits[-1])
    if end - previous - 1 > longer_than:
        found.append((previous + 1, end))
    return found


def _check_fields(data: bytes, start: int, end: int, delimiter: str, limits: Limits) -> None:
    """Refuse a line with more fields than the column limit (quoted delimiters and
    trailing empty fields not counted: a spreadsheet's spacer commas are not columns)."""
    sep = delimiter.encode()
    if data.count(sep, start, end) < limits.max_columns:
        return
    line = data[start:end].rstrip(sep + b" ").decode("utf-8", errors="replace")
    try:
        fields = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:  # a quote left open on this line: count every delimiter
        fields = line.split(delimiter)
    while fields and not fields[-1].strip():
        fields.pop()
    line_number = data.count(b"\n", 0, start) + 1
    check_columns(len(fields), limits, f"line {line_number:,}")


#: Bytes that end a run of one cell's text whatever the delimiter: , ; tab | CR LF.
_RUN_ENDS = tuple(bytes([b]) for b in b",;\t|\r\n")


def _long_runs(data: bytes, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """(start, end) of every run of more than ``limit`` bytes in ``data[start:end]`` with no
    separator of any delimiter in it, found by jumping: a window of ``limit + 1`` bytes
    either holds a separator (jump past the last one) or begins such a run.  A handful of
    memchr passes over the line, whatever its separators."""
    runs, pos = [], start
    while end - pos > limit:
        last = max(data.rfind(b, pos, pos + limit + 1) for b in _RUN_ENDS)
        if last >= 0:
            pos = last + 1
            continue
        stop = _next_run_end(data, pos + limit + 1, end)
        runs.append((pos, stop))
        pos = stop + 1
    return runs


def _next_run_end(data: bytes, pos: int, end: int) -> int:
    """The first separator at or after ``pos`` (``end`` if none), looked for in windows
    that double, so finding it costs the run's length, not the rest of the line's."""
    width = 1 << 16
    while pos < end:
        stop = min(pos + width, end)
        found = [i for b in _RUN_ENDS if (i := data.find(b, pos, stop)) >= 0]
        if found:
            return min(found)
        pos, width = stop, 2 * width
    return end


def _cell_cuts(data: bytes, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """The byte ranges to remove from one line so no run of cell text (bytes between any
    delimiter, line break) is over ``limit``: each run keeps ``limit + 1`` bytes, ending on
    a whole UTF-8 character; a run holding a quote is left whole (its parsed cell is still
    over the limit, and its row set aside: see :mod:`impact.ingest.tables`)."""
    cuts = []
    for run_start, run_end in _long_runs(data, start, end, limit):
        cut = run_start + limit + 1
        while cut < run_end and 0x80 <= data[cut] < 0xC0:  # not inside a character
            cut += 1
        if cut < run_end and data.find(b'"', cut, run_end) < 0:
            cuts.append((cut, run_end))
    return cuts


ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
#: How many first bytes are sniffed: the text checks read this much, filetype its first 8 kB.
SNIFF_BYTES = 65536
#: What filetype calls the formats ingest reads itself (workbooks, and zips of spend files).
_READABLE = frozenset({"zip", "xlsx", "xls", "ods"})
#: Formats whose signature is plain text yet distinctive enough to trust at a text's start.
_TEXT_SIGNED = frozenset({"pdf", "rtf", "ps"})
#: Words for the formats people most often upload by mistake (others: by their MIME family).
_FORMAT_WORDS = {
    "pdf": "a PDF document", "rtf": "an RTF document", "ps": "a PostScript document",
    "doc": "a Word document", "docx": "a Word document", "odt": "an OpenDocument text",
    "ppt": "a PowerPoint presentation", "pptx": "a PowerPoint presentation",
    "odp": "an OpenDocument presentation", "epub": "an e-book (EPUB)",
    "png": "a PNG image", "jpg": "a JPEG image", "gif": "a GIF image", "bmp": "a bitmap image",
    "tif": "a TIFF image", "webp": "a WebP image", "heic": "a HEIC photo",
    "gz": "a gzip archive", "bz2": "a bzip2 archive", "xz": "an xz archive",
    "7z": "a 7-Zip archive", "rar": "a RAR archive", "tar": "a tar archive",
    "zst": "a Zstandard archive", "exe": "a Windows program", "elf": "a Linux program",
    "sqlite": "an SQLite database", "parquet": "a Parquet file",
}
_FAMILY_WORDS = {"image": "an image", "audio": "a sound file", "video": "a video",
                 "font": "a font"}


def sniff_kind(head: bytes) -> str:
    """``"zip"``, ``"ole"`` (old .xls) or ``"text"`` from a file's first bytes
    (:data:`SNIFF_BYTES` of them).

    Raises :class:`UploadRefused` ("this file is not text: it looks like a PDF document")
    when the bytes are a known format ingest does not read, or no text encoding reads them.
    """
    known = _known_format(head)
    if known is not None and known.extension not in _READABLE:
        raise UploadRefused(f"this file is not text: it looks like {_format_words(known)}")
    if head.startswith((ZIP_MAGIC, b"PK\x05\x06")):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    if not looks_like_text(head):
        raise UploadRefused(
            f"this file is not text: it looks like binary data of no known kind "
            f"(first bytes: {head[:12].hex(' ')})"
        )
    return "text"


def _known_format(head: bytes) -> filetype.Type | None:
    """filetype's reading of the first bytes, when it can be trusted: when the signature
    has control bytes (PNG's ``\\x1a``, an .exe's NULs), is a distinctive textual one
    (``%PDF``), or the bytes are not text; so a CSV whose first supplier is "BMW Finance"
    or "MZ Plumbing" is not taken for a bitmap or a program."""
    known = filetype.guess(head[:8192])
    if known is None and head.startswith(b"PAR1"):  # Parquet: not one of filetype's types
        return filetype.Type("application/vnd.apache.parquet", "parquet")
    if known is None or _has_control_bytes(head[:16]) or known.extension in _TEXT_SIGNED:
        return known
    return None if looks_like_text(head) else known


def _format_words(known: filetype.Type) -> str:
    family = known.mime.split("/")[0]
    words = _FORMAT_WORDS.get(known.extension) or _FAMILY_WORDS.get(family) or "a file"
    return words if known.extension in _FORMAT_WORDS else f"{words} (.{known.extension})"


def _has_control_bytes(head: bytes) -> bool:
    return any((b < 0x20 and b not in (9, 10, 13)) or b == 0x7F for b in head)


def looks_like_text(sample: bytes) -> bool:
    """Whether a text encoding reads these first bytes, tried as
    :func:`impact.ingest.tables.decode` reads a whole file: a byte-order mark, UTF-16
    without one, UTF-8, Windows-1252, else whatever charset_normalizer finds."""
    if sample.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if sample.count(b"\x00") > len(sample) // 10:
        return looks_utf16le(sample)
    for encoding in ("utf-8", "cp1252"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample)  # a cut last character is fine
            return True
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    return from_bytes(sample).best() is not None


def looks_utf16le(sample: bytes) -> bool:
    """UTF-16 (little-endian) text without a byte-order mark: a NUL in most odd places."""
    return sample[1::2].count(b"\x00") > len(sample) // 4


def sample(text: str, limit: int = 60) -> str:
    """At most ``limit`` characters of a file's own text for a message: control and other
    unprintable characters escaped (``\\x07``), "…" where it was cut."""
    shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                    for c in text[:limit])
    return shown + ("…" if len(text) > limit else "")


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
