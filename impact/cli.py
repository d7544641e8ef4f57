"""The ``impact`` command line: the same engine the app uses, for batches and checks.

This is the only module that parses arguments or prints.  The library modules it runs
(pandas, geopandas, Splink and the analysis) are imported inside each command, so
``impact --help`` answers at once.  Exit codes: 0 done, 1 nothing could be read, 2 bad
input or usage, 130 interrupted.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

PATH = click.Path(path_type=Path)


class ManyValues(click.Option):
    """An option taking several values after one flag, as ``--local A B`` (or
    ``--local A --local B``): every value up to the next option.  With ``may_be_empty`` the
    flag may stand alone (no values)."""

    def __init__(self, *args, may_be_empty: bool = False, **kwargs) -> None:
        super().__init__(*args, multiple=True, **kwargs)
        self.may_be_empty = may_be_empty


def _one_value_per_flag(ctx: click.Context, args: list[str],
                        flags: dict[str, bool]) -> list[str]:
    """``--flag A B`` → ``--flag A --flag B`` for each of ``flags`` (flag → may be empty)."""
    out: list[str] = []
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            return [*out, arg, *rest]
        if arg not in flags:
            out.append(arg)
            continue
        values = []
        while rest and not (rest[0].startswith("-") and len(rest[0]) > 1):
            values.append(rest.pop(0))
        if not values and not flags[arg]:
            raise click.BadOptionUsage(arg, f"Option '{arg}' needs at least one value.", ctx)
        for value in values:
            out += [arg, value]
    return out


class _Command(click.Command):
    """A command whose :class:`ManyValues` options take several values after one flag."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        many = {o: p.may_be_empty for p in self.params if isinstance(p, ManyValues)
                for o in p.opts}
        return super().parse_args(ctx, _one_value_per_flag(ctx, args, many))


class _Group(click.Group):
    command_class = _Command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # in pipeline order, not alphabetical


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Impact Explorer: council spend files to places, local multiplier (LM3), left-behind
    areas and board packs, the same engine the app uses."""


def main(argv: list[str] | None = None) -> int:
    """Run ``impact`` with ``argv`` (default: the process's arguments); the exit code."""
    try:
        return int(cli.main(args=argv, prog_name="impact", standalone_mode=False) or 0)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:  # Ctrl-C
        return 130


def _fail(command: str, message: object, code: int = 2) -> int:
    click.echo(f"impact {command}: {message}", err=True)
    return code


def _progress(message: str, fraction: float) -> None:
    click.echo(f"[{fraction:4.0%}] {message}", err=True)


def _workspace(dir: str | Path, *, council: str | None = None, reference: str | None = None,
               lad_codes: tuple[str, ...] = ()) -> object:
    """The council in ``dir`` loaded as the app loads it (the one front door): spend files
    or an ingested folder, or "demo"; the officers' saved places applied.  Raises
    :class:`impact.sources.WorkspaceError` with a one-line reason."""
    from impact.sources import demo_source, folder_source
    from impact.workspace import Workspace

    source = demo_source() if str(dir) == "demo" else folder_source(
        dir, council=council, reference=reference, lad_codes=lad_codes or _lad_setting())
    return Workspace.load(source)


def _lad_setting() -> tuple[str, ...]:
    from impact.core.settings import settings

    return tuple(settings().lad_codes)


# ------------------------------------------------------------------------------ ingest


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--council", required=True, help="council name, e.g. 'Anytown Borough Council'")
@click.option("--out", required=True, type=PATH, help="output folder")
@click.option("--mapping", type=PATH, help="saved column mapping (YAML) to apply")
@click.option("--quiet", is_flag=True, help="print only the totals line")
def ingest(paths: tuple[str, ...], council: str, out: Path, mapping: Path | None,
           quiet: bool) -> int:
    """Read spend files into OUT/transactions.parquet.

    PATHS are spend files or folders of them (CSV, XLSX, XLS, ODS, or zip archives of
    these).  Prints how each file was read and, once per layout, what each column was
    taken to mean and why; decisions a person should check are marked "needs review".
    """
    from impact.ingest.transactions import ingest as read_spend
    from impact.ingest.transactions import write_outputs

    try:
        result = read_spend(list(paths), council=council, mapping_file=mapping,
                            progress=None if quiet else _progress)
    except ValueError as exc:  # a bad --mapping file
        return _fail("ingest", exc)
    quality = write_outputs(result, out)
    if not quiet:
        for line in _ingest_report(quality):
            click.echo(line)
    click.echo(_totals_line(quality))
    if quality["rejected_by_reason"]:
        click.echo("rejected: " + json.dumps(quality["rejected_by_reason"]))
    dups = quality["duplicates"]
    if dups["rows"]:
        click.echo(f"duplicates set aside: {dups['rows']:,} rows, £{dups['amount']:,.2f}")
    if quality["needs_review"]:
        click.echo(f"needs review: {len(quality['needs_review'])} column decision(s); "
                   "see above, or fix them with --mapping")
    if quality["rows_used"] == 0 and quality["files_read"] == 0:
        reasons = "; ".join(
            f"{Path(f['path']).name}: {f['error']}" for f in quality["files_failed"]
        )
        return _fail("ingest", f"nothing could be read ({reasons or 'no spend files found'})", 1)
    return 0


def _totals_line(q: dict) -> str:
    """The ingest's totals: files and rows accounted, then £ and dates; when nothing was
    used, plainly that and why (never "£0.00; None to None")."""
    from impact.outputs.labels import date_span

    if not q["rows_in"]:
        return f"{q['council']}: nothing was read: {_why_no_rows(q)}"
    rows = (f"{q['council']}: {q['files_read']}/{q['files_total']} files, {q['rows_in']:,} "
            f"rows in = {q['rows_used']:,} used + {q['rows_rejected']:,} rejected")
    if not q["rows_used"]:
        return f"{rows}: no payments used (every row was set aside, for the reasons below)"
    return f"{rows}; £{q['total_amount']:,.2f}; {date_span(q['date_min'], q['date_max'])}"


def _why_no_rows(q: dict) -> str:
    if q["files_read"]:
        return "the files have no rows below their headers"
    return {0: "no spend files were found", 1: "the file could not be read as a table"}.get(
        q["files_total"], f"none of the {q['files_total']} files could be read as a table")


def _ingest_report(quality: dict) -> list[str]:
    """Each file's line, then each layout's column decisions (with their evidence) once
    for all its files, then the decisions that need a person's review and what rests on
    them."""
    lines: list[str] = []
    layouts: dict[str, list[dict]] = {}
    for f in quality["files"]:
        lines += _file_lines(f)
        if not f["error"]:
            what = [{k: v for k, v in d.items() if not k.endswith("_at_stake")}
                    for d in f["column_decisions"]]
            key = json.dumps([what, f["ignored_columns"]], sort_keys=True)
            layouts.setdefault(key, []).append(f)
    for files in layouts.values():
        lines += _layout_lines(files)
    return lines + _review_lines(quality["needs_review"])


def _review_lines(reviews: list[dict]) -> list[str]:
    """The decisions to check, one line per column and reason, with the files, rows and
    £ that rest on it."""
    from impact.ingest.schema import FIELD_LABELS
    from impact.ingest.transactions import summarise_reviews

    lines = ["Needs review (check these columns, or fix them with --mapping):"] if reviews else []
    for g in summarise_reviews(reviews):
        where = g["first_file"] if g["files"] == 1 else f"{g['files']} files"
        lines.append(f"  ⚠ {FIELD_LABELS.get(g['field'], g['field'])} ← {g['column']!r} "
                     f"({where}): {g['why']}; {g['rows']:,} rows, £{g['amount']:,.2f} at stake")
    return lines


def _file_lines(f: dict) -> list[str]:
    """One file's line of the ingest report: rows, rejections, encoding, notes."""
    name = Path(f["path"]).name
    if f["error"]:
        return [f"  ✗ {name}: {f['error']}"]
    rej = ", ".join(f"{n} {r}" for r, n in f["rejected_by_reason"].items())
    lines = [
        f"  ✓ {name}: {f['rows_in']} in, {f['rows_used']} used, "
        f"{f['rows_rejected']} rejected{' (' + rej + ')' if rej else ''}; "
        f"{f['encoding']}, {f['layout']}"
    ]
    return lines + [f"      note: {note}" for note in f["notes"]]


def _layout_lines(files: list[dict]) -> list[str]:
    """The column decisions of one layout, each with its evidence."""
    from impact.ingest.schema import FIELD_LABELS

    names = [Path(f["path"]).name for f in files]
    which = names[0] if len(names) == 1 else f"{len(names)} files ({names[0]} … {names[-1]})"
    lines = [f"Columns of {which}:"]
    for d in files[0]["column_decisions"]:
        mark = "⚠" if d["needs_review"] else "•"
        label = FIELD_LABELS.get(d["field"], d["field"])
        lines.append(f"  {mark} {label} ← {d['column']!r}: {d['evidence']}")
    if files[0]["ignored_columns"]:
        lines.append(f"    not used: {', '.join(files[0]['ignored_columns'])}")
    return lines


# ------------------------------------------------------------------------------ locate


@cli.command()
@click.argument("dir", type=PATH)
@click.option("--register", cls=ManyValues, may_be_empty=True, type=PATH, metavar="FILE...",
              help="the council's supplier register CSV(s)")
@click.option("--reference", type=PATH, help="reference data folder (or IMPACT_REFERENCE_DIR)")
@click.option("--no-reference-registers", is_flag=True,
              help="do not use the reference folder's supplier registers (nor the "
              "national registers 'impact fetch' built)")
def locate(dir: Path, register: tuple[Path, ...], reference: Path | None,
           no_reference_registers: bool) -> int:
    """Resolve suppliers to places: DIR/suppliers.parquet.

    DIR is a folder written by 'impact ingest'.
    """
    from impact.places.locate import locate as place_suppliers
    from impact.places.locate import write_locate_outputs
    from impact.places.reference import ReferenceError, resolve_reference

    try:
        ref = resolve_reference(reference)
        result = place_suppliers(
            dir,
            registers=[*register, *_vendor_master(dir, reference)],
            reference=ref,
            reference_registers=not no_reference_registers,
            progress=_progress,
        )
    except (ReferenceError, FileNotFoundError, ValueError) as exc:
        return _fail("locate", exc)
    _prepare_for_the_app(dir, register, reference, result)
    result, officers = _with_officer_places(dir, reference, ref, result)
    result, places = _with_premises(dir, reference, ref, result)
    write_locate_outputs(dir, result)
    places.to_parquet(Path(dir) / "supplier_places.parquet", index=False)
    cov = result.coverage
    share = cov["share_of_spend_located"]  # None when there is no spend to place
    click.echo(
        f"located {cov['suppliers_located']}/{cov['suppliers_total']} suppliers, "
        + (f"{share:.1%} of spend by value" if share is not None else "no spend to place")
    )
    if officers:
        click.echo(f"  {officers:,} suppliers placed as officers placed them in the app "
                   f"({cov['council_register']['path']})")
    bulk = cov.get("bulk_registers") or {}
    for what, n in (bulk.get("placed") or {}).items():
        click.echo(f"  placed from {what}: {n:,} suppliers")
    if bulk.get("ambiguous_names"):
        click.echo(f"  {bulk['ambiguous_names']:,} names shared by several registered "
                   "organisations left unplaced")
    for row in cov.get("unresolved_top", [])[:10]:
        click.echo(f"  unresolved: {row['supplier_name']} £{row['amount']:,.0f}")
    return 0


def _vendor_master(dir: Path, reference: Path | None) -> list[Path]:
    """The council's vendor master as added ('impact vendors add'), which the app places
    suppliers by too (none when the folder names no council the workspace knows)."""
    from impact.sources import WorkspaceError, folder_source, vendor_store

    try:
        store = vendor_store(folder_source(dir, reference=reference))
    except (WorkspaceError, OSError, ValueError):
        return []
    if store.is_file():
        click.echo(f"  placing by the council's vendor master ({store})")
    return [store] if store.is_file() else []


def _with_officer_places(dir: Path, reference: Path | None, ref, result):
    """``result`` with the places officers saved in the app for this council applied, as
    the app applies them (so both report the same coverage), and how many suppliers they
    matched; ``result`` itself when they cannot be read."""
    from dataclasses import replace

    from impact.sources import WorkspaceError, folder_source
    from impact.workspace import officer_places

    try:
        source = folder_source(dir, reference=reference)
        officers = officer_places(source, result.suppliers, ref)
    except (WorkspaceError, OSError, ValueError) as exc:
        click.echo(f"note: officers' saved places not applied ({exc})", err=True)
        return result, 0
    return replace(result, suppliers=officers.suppliers,
                   coverage={**result.coverage, **officers.coverage}), officers.applied


def _with_premises(dir: Path, reference: Path | None, ref, result):
    """``result`` with the council's premises lists linked as the app links them (after the
    officers' places), and the supplier × place table (each supplier's main place only
    when no list was added)."""
    from dataclasses import replace

    import pandas as pd

    from impact.places.councils import council_lads
    from impact.places.locate import coverage
    from impact.places.premises import supplier_places
    from impact.sources import WorkspaceError, folder_source
    from impact.workspace import premises_applied

    try:
        source = folder_source(dir, reference=reference)
        lads = list(source.lad_codes) or council_lads(ref, source.council)
        applied = premises_applied(source, result.suppliers, ref, lads)
    except (WorkspaceError, OSError, ValueError) as exc:
        click.echo(f"note: premises lists not linked ({exc})", err=True)
        return result, supplier_places(result.suppliers, pd.DataFrame())
    if applied.accounting:
        result = replace(result, suppliers=applied.suppliers, coverage={
            **result.coverage, **coverage(applied.suppliers),
            "premises": [a.as_dict() for a in applied.accounting]})
        click.echo(f"  {applied.placed_suppliers:,} suppliers placed at their premises "
                   f"({len(applied.accounting)} premises list(s) linked)")
    return result, supplier_places(result.suppliers, applied.places)


def _prepare_for_the_app(dir: Path, register: tuple[Path, ...], reference: Path | None,
                         result) -> None:
    """Warm the app's caches for this folder (its first load then reads, not computes, and
    so do the first visits of its heavier pages: :func:`impact.reports.prepare_results`);
    only when the app would place the suppliers the same way (no extra register)."""
    from impact.reports import prepare_results
    from impact.sources import WorkspaceError, folder_source
    from impact.workspace import Workspace, prepare

    if register:
        return
    try:
        source = folder_source(dir, reference=reference)
        prepare(source, result.suppliers, result.coverage)
        prepare_results(Workspace.load(source))
    except (WorkspaceError, OSError, ValueError) as exc:
        click.echo(f"note: the app's first load will prepare this council ({exc})", err=True)


# ----------------------------------------------------------------------------- premises


def _adds_files(command):
    """The arguments of a command keeping files for a council (premises lists, a vendor
    master): the files, the council's folder, its name and the reference folder."""
    for option in reversed((
        click.argument("files", nargs=-1, required=True, type=PATH),
        click.option("--workspace", "dir", required=True, type=PATH, help="the council's "
                     "folder (spend files or 'impact ingest' output), or 'demo'"),
        click.option("--council", help="the council's name (default: its folder name)"),
        click.option("--reference", type=PATH,
                     help="reference data folder (or IMPACT_REFERENCE_DIR)"),
    )):
        command = option(command)
    return command


@cli.group(cls=_Group)
def premises() -> None:
    """Premises lists (business rates, care locations, charities): where suppliers trade."""


@premises.command("add")
@_adds_files
def premises_add(files: tuple[Path, ...], dir: Path, council: str | None,
                 reference: Path | None) -> int:
    """Read premises lists in any layout, keep them for the council and link them.

    Every row is accounted for (linked, unlinked, set aside with its reason); suppliers
    with no place are placed at their premises, and the supplier × place table is written
    beside the council's suppliers (supplier_places.parquet).
    """
    from impact.sources import WorkspaceError

    try:
        ws = _workspace(dir, council=council, reference=reference)
        before = ws.measures(lm3=False)
        after, _ = ws.add_premises(list(files))
    except (WorkspaceError, OSError, ValueError) as exc:
        return _fail("premises add", exc)
    for acc in after.premises_accounting:
        click.echo(_accounting_line(acc))
    m = after.measures(lm3=False)
    click.echo(f"placed: {before.placed.text} of spend before, {m.placed.text} after "
               f"({after.coverage.get('premises_placed_suppliers', 0):,} suppliers placed at "
               "their premises)")
    for line in _ways_lines(m):
        click.echo(line)
    if after.outdir is not None:
        out = Path(after.outdir) / "supplier_places.parquet"
        after.places.to_parquet(out, index=False)
        click.echo(f"supplier × place table: {len(after.places):,} places → {out}")
    return 0


# ----------------------------------------------------------------------------- vendors


@cli.group(cls=_Group)
def vendors() -> None:
    """The council's vendor master: its finance system's own supplier records."""


@vendors.command("add")
@_adds_files
def vendors_add(files: tuple[Path, ...], dir: Path, council: str | None,
                reference: Path | None) -> int:
    """Read vendor masters in any layout and keep them as the council's own records.

    Suppliers are joined on the spend files' supplier number first (leading zeros
    ignored), then the normalised name, and placed at the address the council holds
    (the trading address; the remittance address only when there is no other), before
    any registered office.  Every row is accounted for (used, or set aside with its reason).
    """
    from impact.places.vendors import placed_by
    from impact.sources import WorkspaceError, vendor_store

    try:
        ws = _workspace(dir, council=council, reference=reference)
        before = ws.measures(lm3=False)
        after, masters = ws.add_vendors(list(files))
    except (WorkspaceError, OSError, ValueError) as exc:
        return _fail("vendors add", exc)
    for m in masters:
        click.echo(_vendor_line(m.accounting()))
    placed = placed_by(after.suppliers, vendor_store(after.source))
    now = after.measures(lm3=False).placed.text
    click.echo(f"placed: {before.placed.text} of spend before, {now} after; by the "
               f"vendor master: {placed.get('register_id', 0):,} "
               f"suppliers on their number, {placed.get('register_charity', 0):,} on their "
               f"charity number, {placed.get('register_name', 0):,} on their name")
    return 0


def _vendor_line(acc: dict) -> str:
    """ "vendors.csv: 3 rows = 2 used (2 at the trading address) + 1 set aside (…)"."""
    aside = sum(acc["set_aside"].values())
    why = "; ".join(f"{n:,} {r}" for r, n in acc["set_aside"].items())
    basis = ", ".join(f"{n:,} at the {b} address" for b, n in acc["address_basis"].items())
    return (f"{acc['file']}: {acc['rows']:,} rows = {acc['used']:,} used"
            + (f" ({basis})" if basis else "") + f" + {aside:,} set aside"
            + (f" ({why})" if why else ""))


def _accounting_line(acc: dict) -> str:
    """ "rates.csv (business rates): 9,346 rows = 361 linked + 4,913 unlinked + 4,072 set
    aside (…)"."""
    aside = sum(acc["set_aside"].values())
    why = "; ".join(f"{n:,} {r}" for r, n in acc["set_aside"].items())
    probable = acc.get("probable", 0)
    return (f"{acc['source']} ({acc['kind']}): {acc['rows']:,} rows = {acc['linked']:,} "
            f"linked ({acc['suppliers']:,} suppliers"
            + (f"; {probable:,} rows by the name model, probable" if probable else "")
            + f") + {acc['unlinked']:,} unlinked + "
            f"{aside:,} set aside" + (f" ({why})" if why else ""))


def _ways_lines(m: object) -> list[str]:
    """ "local" counted each way, with coverage and range, one line each."""
    return [f"  {f.label}: {f.summary}"
            + (f"; {f.rests_on.lower()}" if f.rests_on else "") for f in m.ways]


@cli.command()
@click.argument("dir", type=PATH)
@click.option("--council", help="the council's name (default: its folder name)")
@click.option("--reference", type=PATH, help="reference data folder (or IMPACT_REFERENCE_DIR)")
def reconcile(dir: Path, council: str | None, reference: Path | None) -> int:
    """Our local share beside the council's published ones, and what the gap rests on.

    Each published figure (the reference folder's published local-spend table) is put
    beside ours under the same definition, with the steps from our headline to it: the
    definition, the top-300 restriction, unplaced spend, and the years.
    """
    from impact.analysis.reconcile import STEP_COLUMNS
    from impact.sources import WorkspaceError

    try:
        ws = _workspace(dir, council=council, reference=reference)
        recs = ws.reconciliations()
    except (WorkspaceError, OSError, ValueError) as exc:
        return _fail("reconcile", exc)
    m = ws.measures(lm3=False)
    click.echo(f"{ws.label}, {m.period.text}")
    for line in _ways_lines(m):
        click.echo(line)
    if not recs:
        click.echo("no published local-spend figure names this council")
    for r in recs:
        click.echo(r.summary)
        click.echo("  " + " | ".join(STEP_COLUMNS))
        for step in r.steps():
            click.echo("  " + " | ".join(x for x in step))
    return 0


# ----------------------------------------------------------------------------- compare


@cli.command()
@click.argument("dirs", nargs=-1, required=True, type=PATH)
@click.option("--out", required=True, type=PATH, help="CSV to write, one row per council and "
              "period (in words, as the Compare page's download; .parquet: the column names "
              "below, for programs)")
@click.option("--period", type=click.Choice(["year", "quarter", "all"]), default="year",
              show_default=True, help="financial years, calendar quarters or the whole span")
@click.option("--store", "store_dir", type=PATH,
              help="the multi-council store (default: the workspace folder's store/)")
@click.option("--reference", type=PATH, help="reference data folder (or IMPACT_REFERENCE_DIR)")
@click.option("--council", help="the council's name, with one DIR (default: its folder name)")
@click.option("--xlsx", type=PATH, help="XLSX workbook to write beside it: the table and "
              "its ways of counting local, one row per council, period and way")
def compare(dirs: tuple[Path, ...], out: Path, period: str, store_dir: Path | None,
            reference: Path | None, council: str | None, xlsx: Path | None) -> int:
    """Compare councils: shares, concentration, LM3 and £ per resident with coverage.

    DIRS are folders written by 'impact ingest' and 'impact locate'.  Each is added to the
    store (unchanged ones are not re-read); a figure whose coverage is too low is written
    as "not enough data".
    """
    from impact.analysis.compare import for_csv, latest_periods
    from impact.analysis.measures import MIN_COVERAGE
    from impact.outputs.exports import download_bytes
    from impact.sources import WorkspaceError
    from impact.store import Store, StoreError, add_workspace, compare_councils

    if council and len(dirs) > 1:
        raise click.UsageError("--council names the council of one DIR")
    store = Store(store_dir) if store_dir else Store.default()
    ids = []
    for d in dirs:
        try:
            ws = _workspace(d, council=council, reference=reference)
            entry, written = add_workspace(store, ws)
        except (StoreError, WorkspaceError, OSError, ValueError) as exc:
            click.echo(f"impact compare: {d}: {exc}", err=True)
            continue
        ids.append(entry.council_id)
        click.echo(f"{'added' if written else 'unchanged'}: {entry.council} "
                   f"({entry.rows:,} payments)", err=True)
    if not ids:
        return _fail("compare", "no council folder could be read", 1)
    table = compare_councils(store, list(dict.fromkeys(ids)), period)
    _write(out, download_bytes(for_csv(table), _format(out), "compare"))
    if xlsx:
        _write(xlsx, _compare_workbook(store, table, list(dict.fromkeys(ids))))
    click.echo(f"{len(table)} rows → {out}" + (f"; workbook → {xlsx}" if xlsx else "")
               + f"; figures resting on less than {MIN_COVERAGE:.0%} of their spend are "
               "'not enough data'")
    for line in _compare_lines(latest_periods(table)):
        click.echo(line)
    return 0


def _compare_workbook(store: object, table: object, ids: list[str]) -> bytes:
    """The compare table and its ways of counting local as one workbook."""
    from impact.analysis.compare import workbook
    from impact.outputs.exports import sheets_to_xlsx_bytes
    from impact.store import council_info

    entries = {e.council_id: e for e in store.entries()}
    return sheets_to_xlsx_bytes(workbook(table, [council_info(entries[i]) for i in ids]))


def _compare_lines(latest: object) -> list[str]:
    """One line per council: its latest period's local share (or why not) and coverage."""
    from impact.analysis.measures import NOT_ENOUGH_DATA, pct

    lines = []
    for r in latest.itertuples():
        if not r.payments:
            lines.append(f"  {r.council}: no payments read")
            continue
        share = NOT_ENOUGH_DATA if r.local_share != r.local_share else pct(r.local_share)
        branched = NOT_ENOUGH_DATA if r.branched_share != r.branched_share else pct(
            r.branched_share)
        lines.append(f"  {r.council} {r.period}: local share {share} (placed "
                     f"{pct(r.placed_share)}, range {pct(r.local_share_lower)}–"
                     f"{pct(r.local_share_upper)}); based or branched {branched} (range "
                     f"{pct(r.branched_share_lower)}–{pct(r.branched_share_upper)})")
    return lines


@cli.command()
@click.option("--out", required=True, type=PATH, help="file to write (.parquet or .csv)")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb",
              show_default=True, help="DuckDB on this machine, or Spark (IMPACT_SPARK_MASTER, "
              "or spark-submit's --master)")
@click.option("--category", type=click.Choice(["supplier_class", "expense_type",
                                               "directorate"]),
              default="supplier_class", show_default=True, help="what to split spend by")
@click.option("--store", "store_dir", help="the multi-council store (default: IMPACT_STORE_DIR "
              "or the workspace's); with --engine spark also a URI such as hdfs://…/store")
def national(out: Path, engine: str, category: str, store_dir: str | None) -> int:
    """Spend by council × supplier's ward × category, over every council in the store.

    The same SQL runs on DuckDB or Spark SQL over the store's partitioned Parquet.
    """
    from impact.outputs.exports import download_bytes
    from impact.store import Store, StoreError, national_aggregate, national_aggregate_at

    try:
        if store_dir and "://" in store_dir:
            if engine != "spark":
                raise click.UsageError("a store URI needs --engine spark")
            table = national_aggregate_at(store_dir, category)
        else:
            store = Store(Path(store_dir)) if store_dir else Store.default()
            table = national_aggregate(store, engine, category)
    except StoreError as exc:
        return _fail("national", exc, 1)
    fmt = _format(out)  # for a person, "category" named as what it holds (its codes in words)
    _write(out, download_bytes(table if fmt == "Parquet" else table.rename(
        columns={"category": category}), fmt, "national"))
    click.echo(f"{len(table):,} rows ({table['council_id'].nunique()} councils, "
               f"£{table['spend'].sum():,.0f} placed) → {out} [{engine}]")
    return 0


@cli.command()
@click.argument("dirs", nargs=-1, required=True, type=PATH)
@click.option("--out", required=True, type=PATH,
              help="Parquet file: one row per council × payee name")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb",
              show_default=True, help="score and cluster on DuckDB, or on Spark "
              "(IMPACT_SPARK_MASTER, or spark-submit's --master)")
@click.option("--register", type=PATH, help="a company register CSV to link against too "
              "(supplier name and company number columns)")
@click.option("--threshold", type=click.FloatRange(4.0, 40.0), default=None,
              help="the names' evidence in bits at which two names join one supplier "
              "(default: the register linkage's placing threshold)")
def link(dirs: tuple[Path, ...], out: Path, engine: str, register: Path | None,
         threshold: float | None) -> int:
    """Cross-council payee linkage: one supplier id for a payee's spellings everywhere.

    DIRS are folders written by 'impact ingest'.  Splink scores name pairs with the same
    model on either engine; names join when their evidence reaches the threshold, clear of
    any rival; each row gets a supplier id, evidence, probability and method.
    """
    from impact.places.crosslink import link_payees
    from impact.places.linkage import PLACE_BITS
    from impact.places.registers import RegisterError, read_register
    from impact.store import StoreError, folder_payees

    try:
        payees = folder_payees(list(dirs))
        reg = read_register(register).frame if register else None
    except (StoreError, RegisterError, OSError) as exc:
        return _fail("link", exc, 1 if isinstance(exc, StoreError) else 2)
    result = link_payees(payees, engine, threshold or PLACE_BITS, register=reg)
    out.parent.mkdir(parents=True, exist_ok=True)
    result.links.to_parquet(out, index=False)
    methods = result.links["method"].value_counts().to_dict()
    click.echo(f"{len(result.links):,} council × payee names → "
               f"{result.links['supplier_id'].nunique():,} suppliers → {out} [{engine}]")
    click.echo(f"methods: {json.dumps(methods)}; {result.pairs_compared:,} pairs compared in "
               f"{result.score_seconds:.1f} s ({result.pairs_per_second:,.0f} pairs/s)")
    return 0


@cli.command("link-register")
@click.argument("payees", type=PATH)
@click.argument("register", type=PATH)
@click.option("--out", required=True, type=PATH,
              help="Parquet file: each payee's ranked register candidates, the placed one marked")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb",
              show_default=True, help="score the blocked pairs on DuckDB, or on Spark "
              "(IMPACT_SPARK_MASTER, or spark-submit's --master); the model is fitted on DuckDB")
@click.option("--pairs-per-name", type=click.FloatRange(1, None),
              help="pair budget per payee (default: linkage's PAIRS_PER_NAME)")
def link_register(payees: Path, register: Path, out: Path, engine: str,
                  pairs_per_name: float | None) -> int:
    """Payee names linked to a company register at any size: exact names, then the
    calibrated model within a pair budget; a candidate places only when its evidence is
    enough and it stands clear of the runner-up.

    PAYEES is a Parquet file with ``key`` and ``name``; REGISTER one with
    ``company_number`` and ``name`` (e.g. Companies House, or the synthetic national one).
    """
    import pandas as pd

    from impact.places.linkage import PAIRS_PER_NAME
    from impact.places.linkage_eval import exact_then_model

    try:
        left = pd.read_parquet(payees, columns=["key", "name"])
        reg = pd.read_parquet(register, columns=["company_number", "name"])
    except (OSError, KeyError, ValueError) as exc:
        return _fail("link-register", exc)
    right = reg.assign(key=reg["company_number"].astype(str))
    diags: list = []
    method = exact_then_model(max_pairs=(pairs_per_name or PAIRS_PER_NAME) * len(left),
                              engine=engine, diagnostics=diags)
    cands = method(left.astype({"key": str}), right[["key", "name", "company_number"]])
    cols = ["left_key", "right_key", "rank", "placed", "evidence_bits", "source"]
    out.parent.mkdir(parents=True, exist_ok=True)
    cands[cols].rename(columns={"right_key": "company_number"}).to_parquet(out, index=False)
    placed = cands[cands["placed"].astype(bool)]
    pairs = f"{diags[0].pairs_compared:,} pairs compared; " if diags else ""
    click.echo(f"{len(left):,} payees → {placed['left_key'].nunique():,} placed "
               f"({(placed['source'] == 'exact').sum():,} by exact name) → {out} [{engine}]")
    click.echo(f"{pairs}{cands['left_key'].nunique():,} payees with a candidate")
    return 0


# ------------------------------------------------------------------------------- areas


@cli.command()
@click.argument("dir", type=PATH)
@click.option("--unit", type=click.Choice(["ward", "lsoa"]), default="ward", show_default=True,
              help="compare wards or LSOAs 2021")
@click.option("--scope", cls=ManyValues, metavar="LAD_CODE...",
              help="LADs whose areas are compared (default: the council's own; 'england' for "
              "all)")
@click.option("--council-lad", cls=ManyValues, metavar="LAD_CODE...",
              help="the council's own LADs (default: found from its name, or IMPACT_LAD_CODES)")
@click.option("--reference", type=PATH, help="reference data folder (or IMPACT_REFERENCE_DIR)")
@click.option("--out", type=PATH, required=True, help="CSV to write, one row per area")
@click.option("--imd", type=click.Choice(["2025", "2019"]), default="2025", show_default=True,
              help="Indices of Deprivation edition")
@click.option("--clusters", type=int, help="fix k (default: best silhouette)")
@click.option("--regions", type=int, help="contiguous regions (default: k)")
@click.option("--fdr", is_flag=True, help="false-discovery-rate hot spots")
@click.option("--influenceable-only", is_flag=True, help="exclude payments to public bodies")
@click.option("--council", help="council name (default: from the folder name)")
def areas(dir: Path, unit: str, scope: tuple[str, ...], council_lad: tuple[str, ...],
          reference: Path | None, out: Path, imd: str, clusters: int | None,
          regions: int | None, fdr: bool, influenceable_only: bool,
          council: str | None) -> int:
    """Left-behind areas: clusters, hot spots, opportunity ranking.

    DIR is a folder of spend files, an ingested folder, or 'demo'.  Writes one row per
    area; the figures are the app's (the same spend, hot-spot setting and rule).
    """
    from impact.analysis.filters import Filters
    from impact.analysis.leftbehind import AreaSettings, output_table, report_lines
    from impact.outputs.exports import download_bytes
    from impact.reports import areas as council_areas
    from impact.sources import WorkspaceError

    settings = AreaSettings(k=clusters, n_regions=regions, fdr=fdr)
    try:
        ws = _workspace(dir, council=council, reference=reference, lad_codes=council_lad)
        result = council_areas(ws, Filters(influenceable_only=influenceable_only), unit,
                               settings, scope=scope or None, imd=imd)
    except (WorkspaceError, ValueError, FileNotFoundError, KeyError) as exc:
        return _fail("areas", exc)
    _write(out, download_bytes(output_table(result), _format(out), f"left_behind_{unit}s"))
    for line in report_lines(result, out):
        click.echo(line)
    return 0


# --------------------------------------------------------------------------------- lm3


@cli.command()
@click.argument("dir")
@click.option("--local", cls=ManyValues, metavar="LAD_CODE...",
              help="district code(s) that count as local (saved as the council's choice)")
@click.option("--radius-km", type=float, metavar="KM",
              help="local = within KM of a point inside the council (saved)")
@click.option("--payroll", type=float, metavar="GBP", help="council pay bill (saved)")
@click.option("--staff-local-share", type=float, metavar="X",
              help="share (0–1) of the pay bill paid to staff living locally (saved)")
@click.option("--priors", metavar="FILE", help="re-spend assumptions CSV (saved)")
@click.option("--survey", metavar="FILE", help="supplier survey CSV (saved)")
@click.option("--influenceable-only", is_flag=True, help="exclude payments to public bodies")
@click.option("--reference", metavar="DIR", help="reference data folder")
@click.option("--council", help="council name (default: from the folder name)")
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
def lm3(dir: str, local: tuple[str, ...], radius_km: float | None, payroll: float | None,
        staff_local_share: float | None, priors: str | None, survey: str | None,
        influenceable_only: bool, reference: str | None, council: str | None,
        as_json: bool) -> int:
    """The local multiplier (LM3) with its band and range, as the app shows it.

    DIR is a folder of spend files, an ingested folder, or 'demo'.  --local, --radius-km,
    --payroll, --staff-local-share, --priors and --survey are saved as the council's own
    choices, so the app, the board pack and this command show one multiplier.
    """
    from impact.analysis.filters import Filters
    from impact.sources import WorkspaceError

    if local and radius_km is not None:
        raise click.UsageError("--radius-km cannot be used with --local")
    try:
        ws = _workspace(dir, council=council, reference=reference)
        for note in _save_model_choices(ws, local, radius_km, payroll, staff_local_share,
                                        priors, survey):
            click.echo(note, err=True)
        f = Filters(influenceable_only=influenceable_only)
        m, res = ws.measures(f), ws.model(f)
    except (WorkspaceError, ValueError, OSError, KeyError) as exc:
        return _fail("lm3", exc)
    if res is None or m.lm3 is None:
        return _fail("lm3", "no local area or no spend to trace for this council")
    lines = _lm3_lines(m, res, ws.crosscheck(f))
    click.echo(json.dumps(_lm3_json(m, res), indent=2, default=str) if as_json
               else "\n".join(lines))
    return 0


def _save_model_choices(ws: object, local: tuple[str, ...], radius_km: float | None,
                        payroll: float | None, staff: float | None, priors: str | None,
                        survey: str | None) -> list[str]:
    """Save what the command was given as the council's choices; what was saved, in words."""
    from dataclasses import replace

    from impact.analysis import model_inputs as mi
    from impact.analysis.priors import load_priors
    from impact.analysis.survey import parse_survey

    council, notes = ws.source.council, []
    c = mi.load_choices(council)
    changes = {k: v for k, v in (("local", "districts" if local else "radius" if
                                  radius_km is not None else None), ("lads", local or None),
                                 ("radius_km", radius_km), ("payroll_gbp", payroll),
                                 ("staff_local_pct", None if staff is None else 100 * staff))
               if v is not None}
    if changes:
        mi.save_choices(council, replace(c, **changes))
        notes.append(f"saved as {ws.name}'s re-spend choices: {', '.join(changes)}")
    if priors:
        mi.save_council_priors(council, load_priors(priors))
        notes.append(f"saved {priors} as {ws.name}'s re-spend assumptions")
    if survey:
        sv = parse_survey(survey, ws.suppliers)
        mi.save_survey(council, sv.shares, Path(survey).name)
        notes += [*sv.notes, f"survey: {len(sv.shares)} rows used, {len(sv.rejected)} "
                  "rejected (saved for the council)"]
    return notes


def _lm3_lines(m: object, res: object, io: object) -> list[str]:
    """The multiplier in plain text, in the app's words."""
    from impact.analysis.sentences import figure_line

    f, model = m.lm3, res.model
    lines = [f"{m.area.name} · {m.period.text} · {m.filters}",
             f"local area: {res.inputs.area.describe()}", figure_line(f)]
    if f.band:
        lines.append(f"P10–P90 {f.band_text}; what would narrow it most: "
                     f"{model.band_drivers_['main_driver']}")
    lines.append(f"R1 £{model.r1_:,.0f}  R2 £{model.r2_:,.0f}  R3 £{model.r3_:,.0f} "
                 "(central assumptions, unplaced £ local like placed £)")
    if io is not None:
        lines.append(f"ONS Type I output multiplier (national): {io.multiplier:.2f} on "
                     f"£{io.spend_covered_gbp:,.0f} of round-1 spend with SIC codes")
    return [*lines, res.how_calculated]


def _lm3_json(m: object, res: object) -> dict:
    f = m.lm3
    return {"council": m.area.name, "period": m.period.text, "filters": m.filters,
            "lm3": f.shown, "text": f.text, "lower": f.lower, "upper": f.upper,
            "p10": f.band[0] if f.band else None, "p90": f.band[1] if f.band else None,
            "coverage": f.coverage.share if f.coverage else None, "rests_on": f.rests_on,
            "local_area": res.inputs.area.describe(), "model": res.summary()}


# ------------------------------------------------------------------- checks, changes


@cli.command()
@click.argument("dir")
@click.option("--out", type=PATH, required=True, help="CSV to write, one row per finding")
@click.option("--reference", help="reference data folder (or IMPACT_REFERENCE_DIR)")
@click.option("--council", help="council name (default: from the folder name)")
@click.option("--thresholds", metavar="GBP,GBP,...",
              help="the council's quotation and tender thresholds (default: "
              "IMPACT_PROCUREMENT_THRESHOLDS, else 5000,25000,100000)")
def checks(dir: str, out: Path, reference: str | None, council: str | None,
           thresholds: str | None) -> int:
    """Payment checks: possible duplicates, split purchases, payments to closed companies,
    year-end spikes, digit tests, round sums and supplier concentration.

    DIR is a folder of spend files, an ingested folder, or 'demo'.  Writes every finding
    (confidence, £ at stake, the rows behind it as file and row, what it rests on, and the
    officer's verdict saved in the app) and prints counts and £ per check and what each
    false-positive filter removed.
    """
    from impact.analysis.verdicts import read_history, with_verdicts
    from impact.outputs.exports import download_bytes
    from impact.outputs.probity import filter_counts, findings_table
    from impact.sources import WorkspaceError

    try:
        limits = _thresholds(thresholds)
        ws = _workspace(dir, council=council, reference=reference)
        run = ws.payment_checks(limits)
    except (WorkspaceError, ValueError, OSError) as exc:
        return _fail("checks", str(exc).splitlines()[0])
    table = findings_table(with_verdicts(run.findings, read_history(ws.source.council)))
    _write(out, download_bytes(table, _format(out), "findings"))
    click.echo(f"{ws.name}: {len(ws.transactions):,} payments checked; "
               f"{len(table):,} findings → {out}")
    for r in run.summary().itertuples():
        click.echo(f"  {r.check_title}: {r.findings:,} findings, £{r.amount:,.0f} at stake "
                   f"(high {r.high}, medium {r.medium}, low {r.low})")
    for r in filter_counts(run, ws.quality).itertuples():
        click.echo(f"    {r.check} — {r.step}: {r.count:,}")
    for note in run.notes():
        click.echo(f"note: {note}")
    return 0


def _thresholds(text: str | None) -> tuple[float, ...] | None:
    from impact.core.settings import parse_pounds

    if not text:
        return None
    values = parse_pounds(text)
    if len(values) != len([x for x in text.split(",") if x.strip()]):
        raise ValueError(f"--thresholds takes £ amounts above zero separated by commas, not "
                         f"{text!r}")
    return values


@cli.command()
@click.argument("dir")
@click.option("--from", "period_from", required=True,
              help="the earlier period: a financial year (2023/24) or a quarter (2024 Q1)")
@click.option("--to", "period_to", required=True, help="the later period, of the same kind")
@click.option("--reference", help="reference data folder (or IMPACT_REFERENCE_DIR)")
@click.option("--council", help="council name (default: from the folder name)")
@click.option("--out", type=PATH, help="also write the parts of the change as CSV")
def changes(dir: str, period_from: str, period_to: str, reference: str | None,
            council: str | None, out: Path | None) -> int:
    """Why total spend and the local share changed between two periods.

    DIR is a folder of spend files, an ingested folder, or 'demo'.  Names the publication
    changes (a new kind of file, months missing, a lower threshold, payments to other public
    bodies newly published) with their £, then new suppliers, suppliers no longer paid and
    continuing suppliers, by department, and the local share's steps.
    """
    from impact.outputs.exports import download_bytes
    from impact.sources import WorkspaceError

    try:
        ws = _workspace(dir, council=council, reference=reference)
        ch = ws.changes(period_from, period_to)
    except (WorkspaceError, ValueError, OSError) as exc:
        return _fail("changes", str(exc).splitlines()[0])
    for line in ch.sentences():
        click.echo(line)
    for r in ch.table().itertuples():
        click.echo(f"  {r.cause}: {'+' if r.change >= 0 else '-'}£{abs(r.change):,.0f} — "
                   f"{r.detail}")
    for r in ch.by_department.head(8).itertuples():
        click.echo(f"  department {r.group}: £{r.before:,.0f} → £{r.after:,.0f}")
    if ch.local is not None:
        for r in ch.local.itertuples():
            share = "—" if r.local_share != r.local_share else f"{r.local_share:.1%}"
            click.echo(f"  local share, {r.step}: {share}"
                       + (f" ({r.because_of})" if r.because_of else "")
                       + (f" — {r.note}" if r.note else ""))
    for note in ch.notes:
        click.echo(f"note: {note}")
    if out:
        _write(out, download_bytes(ch.table(), _format(out), "what changed"))
    return 0


# -------------------------------------------------------------------------- board-pack


@cli.command("board-pack")
@click.argument("dir")
@click.option("--out", type=PATH, required=True,
              help="PDF to write, or a folder (named <council>-board-pack-<date>.pdf)")
@click.option("--xlsx", type=PATH, help="XLSX to write beside it")
@click.option("--target", type=click.FloatRange(0, 100),
              help="a local-share target in % for this pack (default: the one the council "
              "saved in the app, else none)")
@click.option("--reference", help="reference data folder (or IMPACT_REFERENCE_DIR)")
@click.option("--council", help="council name (default: from the folder name)")
@click.option("--attributes", help="supplier-attributes CSV (see impact.analysis.charter)")
@click.option("--brief", type=PATH,
              help="also write the market engagement brief (Markdown; a .pdf beside it)")
@click.option("--from", "period_from", help="first month YYYY-MM")
@click.option("--to", "period_to", help="last month YYYY-MM")
@click.option("--department", multiple=True, help="only this department (repeatable)")
@click.option("--influenceable-only", is_flag=True, help="exclude payments to public bodies")
def board_pack(dir: str, out: Path, xlsx: Path | None, target: float | None,
               reference: str | None,
               council: str | None, attributes: str | None, brief: Path | None,
               period_from: str | None, period_to: str | None, department: tuple[str, ...],
               influenceable_only: bool) -> int:
    """Board pack PDF (and XLSX) for a council.

    DIR is a folder of spend files, an ingested folder, or 'demo'.
    """
    from impact.analysis.filters import Filters
    from impact.outputs.boardpack import pack_filename, pdf_bytes, xlsx_bytes
    from impact.reports import pack_data
    from impact.sources import WorkspaceError

    try:
        ws = _workspace(dir, council=council, reference=reference)
        f = Filters(period_from=period_from, period_to=period_to, departments=department,
                    influenceable_only=influenceable_only)
        data = pack_data(ws, f, attributes=attributes,
                         target_share=None if target is None else target / 100)
        if out.is_dir():
            out = out / pack_filename(data.council, data.generated)
        _write(out, pdf_bytes(data))
        if xlsx:
            _write(xlsx, xlsx_bytes(data))
        if brief:
            _write_brief(brief, ws, data)
    except (WorkspaceError, ValueError, OSError) as exc:
        return _fail("board-pack", str(exc).splitlines()[0])
    click.echo(f"board pack → {out}" + (f"; workbook → {xlsx}" if xlsx else ""))
    for c in data.caveats[:3]:
        click.echo(f"note: {c}")
    return 0


def _format(path: Path) -> str:
    """The file format a path's suffix names (:data:`impact.outputs.exports.FORMATS`):
    ``.parquet`` for programs (the library's names), ``.xlsx`` a workbook, else CSV — the
    last two for a person, as the page's download of the same table."""
    from impact.outputs.exports import FORMATS

    by_ext = {ext: fmt for fmt, (_, _, ext) in FORMATS.items()}
    return by_ext.get(path.suffix.lower().lstrip("."), "CSV")


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def _write_brief(path: Path, ws: object, data: object) -> None:
    """The market engagement brief as Markdown at ``path`` and a PDF beside it."""
    from impact.outputs.brief import brief_pdf
    from impact.reports import brief

    b = brief(ws, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(b.markdown, encoding="utf-8")
    path.with_suffix(".pdf").write_bytes(brief_pdf(b))


# ------------------------------------------------------------------------ fetch, demo


@cli.command()
@click.argument("what", metavar="LAD_CODE|companies-house|charities|schools")
@click.option("--dest", required=True, type=PATH, help="reference folder to write into")
@click.option("--from", "from_files", multiple=True, type=PATH, metavar="FILE",
              help="a register file already downloaded (repeatable; no network)")
@click.option("--force", is_flag=True, help="download again even if present")
@click.option("--timeout", type=float, default=20.0, show_default=True,
              help="seconds per request")
def fetch(what: str, dest: Path, from_files: tuple[Path, ...], force: bool,
          timeout: float) -> int:
    """Download one council's boundaries and IoD 2025, or a national register (network).

    LAD_CODE is the council's local authority district code, as in the ONS lookups.
    companies-house, charities and schools download the free official bulk file
    (Companies House BasicCompanyData, the Charity Commission register extract, DfE Get
    Information About Schools) and build its compact table in the reference folder, which
    `impact locate` then uses; --from FILE builds it from a file you already have.
    """
    from impact.places.fetch import REGISTER_KINDS, FetchError, fetch_council

    if what in REGISTER_KINDS:
        return _fetch_register(what, dest, list(from_files), force, timeout)
    if from_files:
        return _fail("fetch", f"--from is for {', '.join(REGISTER_KINDS)}, not a council")
    try:
        res = fetch_council(what, dest, timeout=timeout, force=force)
    except (FetchError, ValueError) as exc:
        return _fail("fetch", exc)
    for role, path in res.files.items():
        click.echo(f"  {'downloaded' if role in res.downloaded else 'cached':10} {role}: {path}")
    for note in res.notes:
        click.echo(f"  note: {note}")
    return 0


def _fetch_register(name: str, dest: Path, files: list[Path], force: bool,
                    timeout: float) -> int:
    """Download (unless ``files``) and build one national register's table."""
    from impact.places.bulk import BulkError, build_table
    from impact.places.fetch import REGISTER_KINDS, FetchError, fetch_register

    try:
        if not files:
            click.echo(f"downloading {name} (large: this can take several minutes) ...")
            files = [fetch_register(name, dest, timeout=max(timeout, 60.0), force=force)]
        report = build_table(REGISTER_KINDS[name], files, dest)
    except (FetchError, BulkError) as exc:
        return _fail("fetch", exc)
    click.echo(report.line())
    for reason, n in report.set_aside.items():
        click.echo(f"  set aside: {n:,} {reason}")
    return 0


@cli.command()
@click.option("--out", type=PATH, help="output folder (default: data/demo)")
@click.option("--seed", type=int, default=2024, show_default=True,
              help="random seed (the same seed writes the same files)")
@click.option("--national", is_flag=True,
              help="write the synthetic national dataset into a store instead")
@click.option("--councils", type=click.IntRange(1, 999), default=300, show_default=True,
              help="with --national: how many synthetic councils")
@click.option("--rows", type=click.IntRange(1), default=100_000, show_default=True,
              help="with --national: payments per council")
@click.option("--store", "store_dir", type=PATH,
              help="with --national: the store to fill (default: <workspace>/national-demo)")
def demo(out: Path | None, seed: int, national: bool, councils: int, rows: int,
         store_dir: Path | None) -> int:
    """Regenerate the synthetic demo borough (or, with --national, a synthetic national
    dataset of COUNCILS × ROWS payments for Compare and the benchmarks)."""
    if national:
        return _national_demo(store_dir, councils, rows, seed)
    from impact.core.settings import demo_dir
    from impact.synthetic.borough import generate_demo

    summary = generate_demo(out or demo_dir(), seed)
    click.echo(json.dumps(summary, indent=2, default=str))
    return 0


def _national_demo(store_dir: Path | None, councils: int, rows: int, seed: int) -> int:
    """Fill a store with the synthetic national dataset; a store holding real councils is
    refused (synthetic councils must never sit beside real ones)."""
    from impact.core.paths import workspace_dir
    from impact.store import Store, write_national_demo

    store = Store(store_dir or workspace_dir() / "national-demo")
    real = [e.council for e in store.entries() if not e.synthetic]
    if real:
        return _fail("demo", f"{store.root} holds real councils ({real[0]} ...): choose "
                     "another --store")
    write_national_demo(store, councils, rows, seed, progress=_progress)
    click.echo(f"{councils} synthetic councils × {rows:,} payments → {store.root} "
               f"(open it with IMPACT_STORE_DIR={store.root})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
