"""The officer's work list: which unplaced suppliers matter most, a template the finance
team fills in from its vendor master, and that template read back row by row.

Placing a few large suppliers moves coverage more than placing many small ones, so the
list is ranked by £ and :func:`coverage_target` says how many suppliers stand between the
council and a coverage target ("place these 14 suppliers to reach 80 % of influenceable
spend").  The template carries what the app already knows (the suggested match that
:func:`impact.places.locate.locate` keeps for links below its acceptance threshold), and a
filled-in copy is read back by :func:`read_template` with every row accounted for: rows
in = rows applied + rows unchanged (the register holds them already) + rows left blank +
rows rejected, each rejection with its reason.  A national body (HMRC) or a redacted payee
has no local postcode to give: neither is listed.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from impact.ingest.columns import norm_header
from impact.ingest.names import normalise_names
from impact.ingest.tables import UnreadableFile, read_table
from impact.places.linkage import PLACE_BITS
from impact.places.localarea import influenceable
from impact.places.registers import RegisterError, RegisterRow, match_columns
from impact.places.resolutions import CheckResult

#: Template column → the supplier column it shows (None: for the finance team to fill).
TEMPLATE = {
    "Rank": None,
    "Supplier name": "supplier_name",
    "Supplier ID": "supplier_id",
    "Spend (£)": "spend",
    "Supplier type": "supplier_class",
    "Suggested match": "suggested_name",
    "Suggested postcode": "suggested_postcode",
    "Evidence for the match": "suggested_evidence_bits",
    "Needed for the target": None,
    "Postcode": None,
    "Company number": None,
    "Note": None,
}
#: A suggestion with this much evidence (bits: the names' own, without the prior) is "fair".
#: Measured on the labelled payee names (both halves), an unplaced best suggestion was the
#: right company 70 times in 156 from 10 bits up to the placing threshold, 18 in 272 below,
#: and 6 in 18 at or over it (each of those has a rival as close, or names a group member).
FAIR_BITS = 10.0
#: A suggestion's evidence in words, best first: at or over the placing threshold (yet not
#: placed: a rival as close), from :data:`FAIR_BITS`, below.
EVIDENCE_WORDS = ("strong evidence, but another name fits as well", "fair evidence",
                  "weak evidence")
#: What a suggestion's evidence means, for the template, the suggestions table and their
#: "How this was calculated": the one home of these words.
EVIDENCE_HOW = (
    "A suggested match is the register name most like the supplier's, scored on how the "
    "two names agree (the same words, a misspelling, a name cut short) and how rare the "
    "shared words are. The evidence is given in words rather than as a probability, "
    "because a probability would depend on how many names the register holds. Measured on "
    "4,610 payee names whose companies are known (four Greater Manchester councils): "
    "\"strong evidence, but another name fits as well\" is as much as places a supplier "
    "automatically, but another registered organisation's name is nearly as close (or the "
    "two are companies of one group), and such suggestions were right 6 times in 18; "
    "\"fair evidence\" was right a little under half the time (70 in 156); \"weak "
    "evidence\" about 1 time in 15 (18 in 272). Check before accepting.")
#: The coverage most analyses want before local figures are more than indicative.
DEFAULT_TARGET = 0.8
#: A first character that :func:`impact.outputs.exports.neutralise` guards with ``'``.
_GUARDED = ("'=", "'+", "'-", "'@", "'\t", "'\r")


def placeable(suppliers: pd.DataFrame) -> pd.Series:
    """Unplaced suppliers an officer could place: named, not redacted, not yet located, and
    not a national body (no local postcode can be given for HMRC)."""
    redacted = suppliers["is_redacted"].astype(bool) | (
        suppliers["supplier_class"].astype("string") == "individual_redacted"
    ).fillna(False)
    named = suppliers["supplier_name"].astype("string").str.strip().fillna("") != ""
    basis = suppliers.get("place_basis", pd.Series(pd.NA, index=suppliers.index))
    national = (basis.astype("string") == "national").fillna(False)
    return ~suppliers["is_located"].astype(bool) & ~redacted & named & ~national


def set_apart(suppliers: pd.DataFrame) -> dict[str, tuple[int, float]]:
    """Unplaced suppliers no officer can place, by why: ``national`` bodies (no local
    postcode to give) and ``redacted`` payees (no name) — (count, £) each."""
    unplaced = ~suppliers["is_located"].astype(bool)
    basis = suppliers.get("place_basis", pd.Series(pd.NA, index=suppliers.index))
    national = unplaced & (basis.astype("string") == "national").fillna(False)
    redacted = unplaced & ~national & ~placeable(suppliers) & (
        suppliers["is_redacted"].astype(bool)
        | (suppliers["supplier_class"].astype("string") == "individual_redacted").fillna(False))
    spend = suppliers["spend"].astype(float)
    return {k: (int(m.sum()), float(spend[m].sum())) for k, m in
            (("national", national), ("redacted", redacted))}


@dataclass(frozen=True)
class Target:
    """How far influenceable spend is from a coverage target, and what would close the gap.

    ``keys`` are the fewest suppliers (largest £ first) whose placing reaches the target;
    ``reachable`` is False when even placing every placeable supplier falls short (the
    rest is redacted or unnamed), and ``keys`` then lists them all.
    """

    target: float
    share_now: float | None
    share_if_all: float | None
    keys: tuple[str, ...]
    reachable: bool

    @property
    def met(self) -> bool:
        return self.share_now is not None and self.share_now >= self.target


def coverage_target(suppliers: pd.DataFrame, target: float = DEFAULT_TARGET) -> Target:
    """The suppliers to place to reach ``target`` of influenceable spend (public bodies
    left out, as in the influenceable-spend filter), largest first."""
    infl = influenceable(suppliers).to_numpy()
    spend = suppliers["spend"].astype(float).to_numpy() * infl
    total = float(spend.sum())
    if total <= 0:
        return Target(target, None, None, (), False)
    placed = float(spend[suppliers["is_located"].astype(bool).to_numpy()].sum())
    todo = suppliers[placeable(suppliers).to_numpy() & infl]
    todo = todo.sort_values("spend", ascending=False, kind="stable")
    cum = placed + np.cumsum(todo["spend"].astype(float).to_numpy())
    need = int(np.searchsorted(cum, target * total - 1e-9)) + 1
    reachable = placed >= target * total or (len(cum) > 0 and cum[-1] >= target * total - 1e-9)
    n = 0 if placed >= target * total else min(need, len(todo))
    share_all = (cum[-1] if len(cum) else placed) / total
    return Target(target, placed / total, share_all, tuple(todo["supplier_key"].head(n)),
                  bool(reachable))


def template(suppliers: pd.DataFrame, target: Target | None = None) -> pd.DataFrame:
    """Unplaced suppliers ranked by £, with suggestions, and blank columns to fill in.

    Export it through :mod:`impact.outputs.exports` (formula-safe); :func:`read_template`
    reads a filled-in copy back.
    """
    todo = suppliers[placeable(suppliers).to_numpy()]
    todo = todo.sort_values("spend", ascending=False, kind="stable").reset_index(drop=True)
    out = pd.DataFrame(index=todo.index)
    needed = set(target.keys) if target is not None else set()
    for header, column in TEMPLATE.items():
        out[header] = todo.get(column, "") if column else ""
    out["Rank"] = np.arange(1, len(todo) + 1)
    out["Spend (£)"] = out["Spend (£)"].astype(float).round(2)
    out["Evidence for the match"] = evidence_of(todo)
    out["Needed for the target"] = np.where(todo["supplier_key"].isin(needed), "Yes", "")
    return out


def evidence_of(suppliers: pd.DataFrame) -> pd.Series:
    """Each supplier's suggestion's evidence in words (:func:`evidence_words`; "" where there
    is none, or the suppliers were placed before the evidence was kept)."""
    return evidence_words(suppliers.get("suggested_evidence_bits",
                                        pd.Series(np.nan, index=suppliers.index)))


def evidence_words(bits: pd.Series) -> pd.Series:
    """A suggestion's evidence in words (:data:`EVIDENCE_WORDS`, explained in
    :data:`EVIDENCE_HOW`): the first from :data:`impact.places.linkage.PLACE_BITS`, the
    second from :data:`FAIR_BITS`, the third below; "" where there is no suggestion."""
    b = pd.to_numeric(bits, errors="coerce").astype(float)
    words = np.select([b >= PLACE_BITS, b >= FAIR_BITS, b.notna()], list(EVIDENCE_WORDS), "")
    return pd.Series(words, index=bits.index, dtype="string")


@dataclass
class Template:
    """A filled-in template as read: the rows to check (with their file lines), the rows
    the finance team left blank (counted, not rejections), and the rows already rejected
    (a duplicate) with a reason."""

    rows: list[RegisterRow]
    lines: list[int]
    rejected: pd.DataFrame  # line, supplier, reason
    rows_in: int
    blank: int = 0


def read_template(data: bytes, filename: str, source: str = "import") -> Template:
    """Read a filled-in template (CSV or workbook, any encoding) into register rows.

    Raises :class:`RegisterError` with one line when the file is not a template (no name or
    id column, no postcode column).  Rows with neither a postcode nor a company number are
    left blank (counted apart: most of a template is), and later rows for a supplier
    already given are rejected with their reason.
    """
    cells = _cells(data, filename)
    headers = [str(h) for h in cells.iloc[0]]
    used = match_columns(headers)
    body = cells.iloc[1:].reset_index(drop=True)
    body.columns = headers
    get = {f: body[h].astype("string").fillna("").str.strip() for f, h in used.items()}
    note = next((h for h in headers if norm_header(h) in ("note", "notes")), None)
    blank = pd.Series("", index=body.index, dtype="string")
    names = _unguarded(get.get("supplier_name", blank))
    ids = get.get("supplier_id", blank)
    pcs, cos = get["postcode"], get.get("company_number", blank)
    lines = body.index.to_numpy() + 2  # the header is line 1
    blank_row = ((pcs == "") & (cos == "")).to_numpy()
    reason = _duplicates(pd.Series(pd.NA, index=body.index, dtype="string").mask(
        blank_row, "left blank"), ids, names, lines)
    ok = reason.isna().to_numpy()
    wrong = ~ok & ~blank_row
    notes = body[note].astype("string").fillna("") if note else blank
    rows = [
        RegisterRow(n, i or None, p or None, c or None, t or None, source)
        for n, i, p, c, t in zip(names[ok], ids[ok], pcs[ok], cos[ok], notes[ok], strict=True)
    ]
    rejected = pd.DataFrame({"line": lines[wrong], "supplier": names[wrong].to_numpy(),
                             "reason": reason[wrong].to_numpy()})
    return Template(rows, lines[ok].tolist(), rejected, len(body), int(blank_row.sum()))


def _cells(data: bytes, filename: str) -> pd.DataFrame:
    """The file's cells as strings (the spend-file reader: its limits, encodings, formats)."""
    suffix = Path(filename).suffix.lower() or ".csv"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"template{suffix}"
        path.write_bytes(data)
        try:
            cells = read_table(path).cells
        except UnreadableFile as exc:
            raise RegisterError(f"{Path(filename).name}: {exc}") from None
    if len(cells) < 1:
        raise RegisterError(f"{Path(filename).name}: empty file")
    return cells


def _unguarded(names: pd.Series) -> pd.Series:
    """Names as they were before the export guarded them against formulas (``'=x`` → ``=x``)."""
    guarded = names.str.startswith(_GUARDED).fillna(False)
    return names.mask(guarded, names.str.slice(1))


def _duplicates(reason: pd.Series, ids: pd.Series, names: pd.Series, lines: np.ndarray
                ) -> pd.Series:
    """Later rows for a supplier an earlier usable row gave (by id, else name) are rejected."""
    key = ("id:" + ids).where(ids != "", "name:" + normalise_names(names).fillna(""))
    usable = reason.isna()
    first = pd.Series(lines, index=key.index)[usable].groupby(key[usable]).transform("min")
    dup = usable & (pd.Series(lines, index=key.index) != first.reindex(key.index))
    return reason.mask(dup, "duplicate: line " + first.reindex(key.index).astype("string")
                       + " gives this supplier already")


@dataclass
class ImportReport:
    """Rows in = applied + unchanged + left blank + rejected; each applied row with where it
    placed the supplier and its flags, each unchanged one named, each rejected one with its
    reason."""

    rows_in: int
    applied: pd.DataFrame  # line, supplier, placed at, flags
    rejected: pd.DataFrame  # line, supplier, reason
    unchanged: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["line", "supplier"]))
    blank: int = 0

    @property
    def balanced(self) -> bool:
        parts = (len(self.applied), len(self.unchanged), self.blank, len(self.rejected))
        return self.rows_in == sum(parts)

    def sentence(self) -> str:
        """"2,259 rows in = 11 applied + 2,247 left blank + 1 rejected", in words."""
        parts = [f"{len(self.applied):,} applied"]
        if len(self.unchanged):
            parts.append(f"{len(self.unchanged):,} unchanged (the register has them already)")
        if self.blank:
            parts.append(f"{self.blank:,} left blank")
        parts.append(f"{len(self.rejected):,} rejected")
        return f"{self.rows_in:,} rows in = " + " + ".join(parts)


def import_report(tpl: Template, checks: CheckResult) -> ImportReport:
    """What became of each template row once :func:`check_rows` had seen them."""
    applied = pd.DataFrame(
        [
            {"line": tpl.lines[i], "supplier": c.row.supplier_name, "placed at": c.place,
             "flags": "; ".join(c.flags)}
            for i, c in sorted(checks.accepted.items())
        ],
        columns=["line", "supplier", "placed at", "flags"],
    )
    refused = pd.DataFrame(
        [
            {"line": tpl.lines[i], "supplier": tpl.rows[i].supplier_name, "reason": r}
            for i, r in sorted(checks.refused.items())
        ],
        columns=["line", "supplier", "reason"],
    )
    rejected = pd.concat([tpl.rejected, refused], ignore_index=True)
    rejected = rejected.sort_values("line", kind="stable").reset_index(drop=True)
    unchanged = pd.DataFrame(
        [{"line": tpl.lines[i], "supplier": c.row.supplier_name}
         for i, c in sorted(checks.unchanged.items())],
        columns=["line", "supplier"],
    )
    return ImportReport(tpl.rows_in, applied, rejected, unchanged, tpl.blank)


def suggestions(suppliers: pd.DataFrame) -> pd.DataFrame:
    """Unplaced suppliers with a suggested match (a probable name link below the
    acceptance threshold), largest £ first."""
    todo = suppliers[placeable(suppliers).to_numpy() & suppliers["suggested_postcode"].notna()]
    return todo.sort_values("spend", ascending=False, kind="stable")


def accepted_suggestions(suppliers: pd.DataFrame) -> list[RegisterRow]:
    """Register rows that accept each supplier's suggested match (source ``suggestion``)."""
    said = evidence_of(suppliers)
    return [
        RegisterRow(
            str(r.supplier_name),
            None if pd.isna(r.supplier_id) else str(r.supplier_id),
            str(r.suggested_postcode),
            note=f"suggested match {r.suggested_name} ({words})",
            source="suggestion",
        )
        for r, words in zip(suppliers.itertuples(), said.replace("", "no evidence"),
                            strict=True)
    ]
