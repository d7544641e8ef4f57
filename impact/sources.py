"""Where one council's data comes from, and the council's own files beside it.

A :class:`Source` is plain values (paths and names), so it can key a cache: the app keeps
one loaded :class:`impact.workspace.Workspace` per :func:`source_key`, and a changed spend
file or a newly resolved supplier gives a new key, never a stale figure.  The council's own
edits (register, column mapping, uploads) are written under the workspace folder
(:mod:`impact.core.paths`), never into the folder the data came from: the suppliers the
officer places go to :func:`resolutions_register`, which every source of that council reads
on every start (demo, folder, upload), for every user of that workspace.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from impact.core import cache
from impact.core.paths import council_file, council_folder
from impact.core.settings import demo_dir, settings
from impact.ingest.schema import MAPPABLE_FIELDS, SCHEMA_VERSION
from impact.ingest.tables import SUPPORTED_SUFFIXES
from impact.places.reference import Reference, ReferenceError, resolve_reference
from impact.synthetic import COUNCIL as DEMO_COUNCIL

#: A CSV whose name says so is the council's supplier register, not a spend file.
REGISTER_NAME = re.compile(r"(?i)(register|suppliers?[-_ ]?list|vendor)")


class WorkspaceError(ValueError):
    """A dataset that cannot be loaded; the message is one line for the user."""


@dataclass(frozen=True)
class Source:
    """Where one council's data comes from (plain values, so it can key a cache)."""

    kind: str  # "demo", "folder" (spend files) or "ingested" (a folder with transactions.parquet)
    path: str
    council: str
    register: str | None = None
    reference: str | None = None
    mapping_file: str | None = None
    lad_codes: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # explicit spend files (default: every spend file under path)

    @property
    def is_demo(self) -> bool:
        return self.kind == "demo"

    def reference_folder(self) -> Reference:
        """The reference data this source is read with (its own, else the setting)."""
        return resolve_reference(self.reference)


def demo_source() -> Source:
    """The committed synthetic demo borough with its committed supplier register
    (``IMPACT_DEMO_REGISTER`` overrides it); resolutions come from
    :func:`resolutions_register`, like every council's."""
    d = demo_dir()
    register = settings().demo_register or committed_demo_register()
    return Source(
        kind="demo",
        path=str(d / "spend"),
        council=DEMO_COUNCIL,
        register=str(register),
        reference=str(d / "reference"),
    )


def folder_source(
    path: str | os.PathLike[str],
    council: str | None = None,
    register: str | os.PathLike[str] | None = None,
    reference: str | os.PathLike[str] | None = None,
    mapping_file: str | os.PathLike[str] | None = None,
    lad_codes: Iterable[str] = (),
    files: Iterable[str | os.PathLike[str]] = (),
) -> Source:
    """A folder of spend files (plus an optional register CSV inside it) or ingested outputs.

    A CSV whose name says *register* / *suppliers list* / *vendor* is taken as the council's
    supplier register rather than a spend file.  The council name defaults to the folder name.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise WorkspaceError(f"folder {p} does not exist")
    if p.is_file():
        files = [p, *files]
        p = p.parent
    kind = "ingested" if (p / "transactions.parquet").is_file() else "folder"
    if register is None and kind == "folder":
        regs = sorted(f for f in p.glob("*.csv") if REGISTER_NAME.search(f.stem))
        register = regs[0] if regs else None
    return Source(
        kind=kind,
        path=str(p),
        council=council or _council_from_folder(p),
        register=str(register) if register else None,
        reference=str(reference) if reference else None,
        mapping_file=str(mapping_file) if mapping_file else None,
        lad_codes=tuple(lad_codes),
        files=tuple(str(f) for f in files),
    )


def start_source() -> Source:
    """The dataset a new session opens on: the council folder in the settings
    (``IMPACT_SOURCE_DIR``, ``IMPACT_COUNCIL``, ``IMPACT_LAD_CODES``), else the demo.

    Raises :class:`WorkspaceError` when the folder set cannot be used.
    """
    s = settings()
    if s.source_dir is None:
        return demo_source()
    return folder_source(s.source_dir, council=s.council, lad_codes=s.lad_codes)


def _council_from_folder(p: Path) -> str:
    q = p / "quality.json"
    if q.is_file():
        try:
            return str(json.loads(q.read_text(encoding="utf-8"))["council"])
        except (ValueError, KeyError):
            pass
    return p.name.replace("_", " ").replace("-", " ").title()


def spend_files(source: Source) -> list[Path]:
    """The spend files of a source (registers and hidden files excluded), sorted."""
    if source.files:
        return [Path(f) for f in source.files]
    root = Path(source.path)
    reg = Path(source.register).resolve() if source.register else None
    return sorted(
        f
        for f in root.rglob("*")
        if f.is_file()
        and f.suffix.lower() in SUPPORTED_SUFFIXES
        and not f.name.startswith(".")
        and f.resolve() != reg
        and not REGISTER_NAME.search(f.stem)
    )


def source_key(source: Source) -> str:
    """A short hash of everything the figures depend on (files, sizes, mtimes, settings).

    The app passes it to its caches: a resolved supplier (the council's register rewritten)
    or a new spend file changes the key, so cached figures are recomputed.
    """
    parts = [repr(source)]
    if source.kind == "ingested":
        parts += cache.fingerprint([Path(source.path) / "transactions.parquet"])
    else:
        parts += cache.fingerprint(spend_files(source))
    parts += cache.fingerprint([source.mapping_file, source.register])
    parts += cache.fingerprint([resolutions_register(source), premises_store(source),
                                vendor_store(source)])
    try:
        ref = source.reference_folder()
        parts += cache.fingerprint(ref.find_all("supplier_registers"))
        parts.append(str(ref.root.resolve()))
    except ReferenceError:
        parts.append("no-reference")
    return cache.key(*parts)


def ingest_key(source: Source) -> str:
    """What the ingested transactions depend on: the spend files and the column mapping."""
    return cache.key(
        SCHEMA_VERSION,
        source.council,
        *cache.fingerprint(spend_files(source)),
        *cache.fingerprint([source.mapping_file]),
    )


def ingest_folder(source: Source) -> Path:
    """Where ``source``'s ingest outputs are kept (the folder itself when already ingested)."""
    if source.kind == "ingested":
        return Path(source.path)
    return council_folder("ingested", source.council, ingest_key(source))


def committed_demo_register() -> Path:
    return demo_dir() / "supplier_register.csv"


def resolutions_register(source: Source) -> Path:
    """The council's register under the workspace folder: where the suppliers an officer
    places are saved, and which every start of that council applies
    (:mod:`impact.places.resolutions`; its audit trail sits beside it)."""
    return council_file(source.council, "supplier_register.csv")


def premises_store(source: Source) -> Path:
    """The council's premises lists (business rates, care locations, charities' addresses)
    as added, under the workspace folder: every start of that council links them
    (:mod:`impact.places.premises`), as it applies the officers' places."""
    return council_file(source.council, "premises.parquet")


def vendor_store(source: Source) -> Path:
    """The council's vendor master as added (its finance system's supplier records, read by
    meaning: :mod:`impact.places.vendors`), kept as a register of the council's own
    records: every start of that council and ``impact locate`` place suppliers by it."""
    return council_file(source.council, "vendor_master.csv")


def council_registers(source: Source) -> list[Path]:
    """The council's own registers placing its suppliers, most trusted first: the register
    it was configured with, then its vendor master (those that exist)."""
    paths = [Path(source.register)] if source.register else []
    return [p for p in [*paths, vendor_store(source)] if p.is_file()]


def write_mapping(source: Source, columns: dict[str, str]) -> Source:
    """Save ``columns`` (canonical field → source header) as a mapping YAML for ``source``
    and return the source that re-ingests with it (a new cache key, so a fresh ingest)."""
    unknown = sorted(set(columns) - set(MAPPABLE_FIELDS))
    if unknown:
        raise WorkspaceError(f"not mappable field(s): {', '.join(unknown)}")
    clean = {k: str(v).strip() for k, v in columns.items() if v and str(v).strip()}
    path = council_file(source.council, "mapping.yaml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.safe_dump(
            {"council": source.council, "layouts": [], "columns": clean},
            sort_keys=False,
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return replace(source, mapping_file=str(path))


def current_mapping(quality: dict) -> dict[str, str]:
    """The header most files mapped to each canonical field (for an editable table)."""
    counts: dict[str, dict[str, int]] = {}
    for f in quality.get("files", []):
        for fld, header in (f.get("column_mapping") or {}).items():
            counts.setdefault(fld, {}).setdefault(header, 0)
            counts[fld][header] += 1
    return {fld: max(h.items(), key=lambda kv: kv[1])[0] for fld, h in counts.items()}


def save_uploads(
    files: Iterable[tuple[str, bytes]], council: str, register: tuple[str, bytes] | None = None
) -> Path:
    """Write uploaded spend files (and a register) to a folder keyed by their content."""
    files = list(files)
    digest = hashlib.sha1()
    for name, data in files:
        digest.update(name.encode("utf-8") + hashlib.sha1(data).digest())
    folder = council_folder("uploads", council, digest.hexdigest()[:12])
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files:
        (folder / Path(name).name).write_bytes(data)
    if register is not None:
        (folder / "supplier_register.csv").write_bytes(register[1])
    return folder
