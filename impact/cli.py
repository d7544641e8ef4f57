"""The ``impact`` command line: the same engine the app uses, for batches and checks."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``impact`` console script."""
    parser = argparse.ArgumentParser(prog="impact", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="read spend files into DIR/transactions.parquet")
    p.add_argument("paths", nargs="+", help="spend files or folders (CSV, XLSX, XLS, ODS)")
    p.add_argument("--council", required=True, help="council name, e.g. 'Hyndburn'")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--mapping", type=Path, help="saved column mapping (YAML) to apply")
    p.add_argument("--quiet", action="store_true", help="print only the totals line")
    p.set_defaults(func=_ingest)

    p = sub.add_parser("locate", help="resolve suppliers to places: DIR/suppliers.parquet")
    p.add_argument("dir", type=Path, help="folder written by 'impact ingest'")
    p.add_argument(
        "--register",
        type=Path,
        nargs="*",
        default=[],
        help="the council's supplier register CSV(s)",
    )
    p.add_argument("--reference", type=Path, help="reference data folder (or IMPACT_REFERENCE_DIR)")
    p.add_argument(
        "--no-reference-registers",
        action="store_true",
        help="do not use the reference folder's supplier registers",
    )
    p.set_defaults(func=_locate)

    p = sub.add_parser("areas", help="left-behind areas: clusters, hot spots, opportunity ranking")
    from impact.analysis.leftbehind import add_arguments as add_area_arguments
    from impact.analysis.leftbehind import areas_command

    add_area_arguments(p)
    p.set_defaults(func=areas_command)

    p = sub.add_parser("lm3", help="LM3 local multiplier with its band (P10/P50/P90)")
    from impact.analysis.multiplier import add_lm3_arguments, lm3_command

    add_lm3_arguments(p)
    p.set_defaults(func=lm3_command)

    p = sub.add_parser("board-pack", help="board pack PDF (and XLSX) for a council")
    from impact.outputs.boardpack import add_boardpack_arguments, boardpack_command

    add_boardpack_arguments(p)
    p.set_defaults(func=boardpack_command)

    p = sub.add_parser("fetch", help="download one council's boundaries and IoD 2025 (network)")
    p.add_argument("lad_code", help="local authority district code, e.g. E07000120")
    p.add_argument("--dest", required=True, type=Path, help="reference folder to write into")
    p.add_argument("--force", action="store_true", help="download again even if present")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds per request")
    p.set_defaults(func=_fetch)

    p = sub.add_parser("demo", help="regenerate the synthetic demo borough")
    p.add_argument("--out", type=Path, help="output folder (default: data/demo)")
    p.set_defaults(func=_demo)

    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


def _ingest(args: argparse.Namespace) -> int:
    from impact.ingest.transactions import ingest, write_outputs

    def progress(msg: str, frac: float) -> None:
        if not args.quiet:
            print(f"[{frac:4.0%}] {msg}", file=sys.stderr)

    try:
        result = ingest(
            args.paths, council=args.council, mapping_file=args.mapping, progress=progress
        )
    except ValueError as exc:  # a bad --mapping file
        print(f"impact ingest: {exc}", file=sys.stderr)
        return 2
    quality = write_outputs(result, args.out)
    if not args.quiet:
        for f in quality["files"]:
            name = Path(f["path"]).name
            if f["error"]:
                print(f"  ✗ {name}: {f['error']}")
                continue
            rej = ", ".join(f"{n} {r}" for r, n in f["rejected_by_reason"].items())
            print(
                f"  ✓ {name}: {f['rows_in']} in, {f['rows_used']} used, "
                f"{f['rows_rejected']} rejected{' (' + rej + ')' if rej else ''}; "
                f"{f['encoding']}, {f['layout']}"
            )
            print(f"      mapped: {_fmt_mapping(f['column_mapping'])}")
            if f["ignored_columns"]:
                print(f"      ignored: {', '.join(f['ignored_columns'])}")
            for note in f["notes"]:
                print(f"      note: {note}")
    print(
        f"{quality['council']}: {quality['files_read']}/{quality['files_total']} files, "
        f"{quality['rows_in']} rows in = {quality['rows_used']} used + "
        f"{quality['rows_rejected']} rejected; £{quality['total_amount']:,.2f}; "
        f"{quality['date_min']} to {quality['date_max']}"
    )
    if quality["rejected_by_reason"]:
        print("rejected: " + json.dumps(quality["rejected_by_reason"]))
    if quality["rows_used"] == 0 and quality["files_read"] == 0:
        reasons = "; ".join(
            f"{Path(f['path']).name}: {f['error']}" for f in quality["files_failed"]
        )
        print(
            f"impact ingest: nothing could be read ({reasons or 'no spend files found'})",
            file=sys.stderr,
        )
        return 1
    return 0


def _fmt_mapping(mapping: dict[str, str]) -> str:
    return ", ".join(f"{k} ← {v!r}" for k, v in mapping.items())


def _locate(args: argparse.Namespace) -> int:
    from impact.places.locate import locate, write_locate_outputs
    from impact.places.reference import ReferenceError, resolve_reference

    try:
        reference = resolve_reference(args.reference)
        result = locate(
            args.dir,
            registers=list(args.register),
            reference=reference,
            reference_registers=not args.no_reference_registers,
            progress=lambda m, f: print(f"[{f:4.0%}] {m}", file=sys.stderr),
        )
    except (ReferenceError, FileNotFoundError, ValueError) as exc:
        print(f"impact locate: {exc}", file=sys.stderr)
        return 2
    write_locate_outputs(args.dir, result)
    cov = result.coverage
    print(
        f"located {cov['suppliers_located']}/{cov['suppliers_total']} suppliers, "
        f"{cov['share_of_spend_located']:.1%} of spend by value"
    )
    for row in cov.get("unresolved_top", [])[:10]:
        print(f"  unresolved: {row['supplier_name']} £{row['amount']:,.0f}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from impact.places.fetch import FetchError, fetch_council

    try:
        res = fetch_council(args.lad_code, args.dest, timeout=args.timeout, force=args.force)
    except (FetchError, ValueError) as exc:
        print(f"impact fetch: {exc}", file=sys.stderr)
        return 2
    for role, path in res.files.items():
        print(f"  {'downloaded' if role in res.downloaded else 'cached':10} {role}: {path}")
    for note in res.notes:
        print(f"  note: {note}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from impact.core.settings import demo_dir
    from impact.synthetic.borough import generate_demo

    summary = generate_demo(args.out or demo_dir())
    print(json.dumps(summary, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
