"""Decide what each column of a spend file means, and say why.

Every (column, role) pair is scored from two kinds of evidence: what the header says
(:mod:`impact.ingest.vocabulary`: tokens compared with the Transparency Code's names for
each field) and what the values are (:mod:`impact.ingest.profile`: shares of dates,
money, names, codes).  Roles are then given to columns as *one* assignment over the whole
score matrix (:func:`scipy.optimize.linear_sum_assignment`), so a ``Net`` beside a
``Gross`` and a ``VAT``, or a ``Payment Date`` beside an ``Effective Date``, are weighed
together rather than the first synonym winning.

Each decision keeps its evidence; a weak one (found by values alone, values that fit
poorly) or an ambiguous one (another column fits almost as well and holds different
values) is marked *needs review* rather than guessed silently.  The amount follows the
Code: net of VAT when a net column exists, else an unlabelled amount, else gross — and
the choice is said.  A council's mapping can be saved as YAML and passed back to fix
any decision (``columns:`` field → header).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from impact.ingest.profile import (
    ColumnProfile,
    agreement,
    profile_columns,
    sample_rows,
    value_fit,
    value_only_fit,
)
from impact.ingest.schema import FIELD_LABELS
from impact.ingest.vocabulary import (
    ABSORBING,
    AMOUNT_ROLES,
    PHRASES,
    best_role,
    header_scores,
)

#: A header naming a role at least this well counts as header evidence.  Roles whose
#: values are distinctive (dates, money, names, flags) accept a looser header, since the
#: values then confirm it; for labels, references and registration numbers (whose values
#: fit many columns) the header must say more: "Invoice Number" is no description, and
#: its numbers are no company numbers.
HEADER_MIN = 0.45
HEADER_MIN_WEAK_VALUES = 0.6
VALUE_ROLES = frozenset({"date", "period", "amount_net", "amount", "amount_gross", "vat_amount",
                         "irrecoverable_vat", "supplier_name", "is_card", "cap_rev"})
#: Weight of a role found by its values alone (never "confident" by itself).
VALUE_ONLY = 0.5
#: Scores below this are no assignment at all; below ``CONFIDENT`` one that needs review.
MIN_SCORE = 0.299
CONFIDENT = 0.55
#: Another column within this score of the chosen one (holding other values): ambiguous.
AMBIGUOUS_MARGIN = 0.08
#: Fields whose column choice changes the figures (totals, dates, who was paid, links to
#: registers): a close rival column makes them ambiguous.  For the descriptive fields
#: only weak evidence is flagged.
KEY_FIELDS = frozenset({"amount", "date", "period", "supplier_name", "supplier_id",
                        "company_number"})

ROLES = tuple(PHRASES)
_BASIS = {"amount_net": "net", "amount": "unlabelled", "amount_gross": "gross"}


#: A byte-order mark read as text (``\ufeff``, or ``ï»¿`` when UTF-8 was decoded as cp1252).
_BOM_JUNK = re.compile(r"^(\ufeff|ï»¿|\xef\xbb\xbf)+")


def norm_header(text: str) -> str:
    """``"Net Amount (£)"`` → ``"netamount"``: letters and digits only, lower case, any
    byte-order mark gone.  The one way every reader (spend files, registers, reference and
    attribute tables) compares a header with the names it knows."""
    return re.sub(r"[^a-z0-9]", "", _BOM_JUNK.sub("", str(text)).lower())


def header_min(role: str) -> float:
    """How well a header must name ``role`` to count as evidence for it."""
    return HEADER_MIN if role in VALUE_ROLES else HEADER_MIN_WEAK_VALUES


def role_field(role: str) -> str:
    """The canonical field a role feeds (the three amount roles all feed ``amount``)."""
    return "amount" if role in AMOUNT_ROLES else role


@dataclass
class Decision:
    """One column's role, the evidence for it, and whether a person should check it."""

    field: str
    column: str
    position: int
    role: str
    header_score: float
    value_score: float
    score: float
    evidence: str
    runner_up: str | None = None
    needs_review: str | None = None  # why, in plain words; None when confident
    rows_at_stake: int | None = None
    amount_at_stake: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Mapping:
    """Which source column (position) feeds each canonical field, and what was left out."""

    fields: dict[str, int]
    headers: list[str]
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    amount_basis: str | None = None  # "net", "unlabelled", "gross" or "saved mapping"

    def describe(self) -> dict[str, str]:
        """canonical field → source header, for reports."""
        return {f: _label(self.headers, i) for f, i in self.fields.items()}


def _label(headers: list[str], pos: int) -> str:
    return headers[pos] or f"(column {pos + 1})"


# ----------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class _Scores:
    """The score matrix (columns × roles) and what it was built from."""

    positions: list[int]
    headers: list[str]
    profiles: dict[int, ColumnProfile]
    header: np.ndarray  # header evidence per (column, role)
    value: np.ndarray  # value fit per (column, role)
    total: np.ndarray  # combined score
    fixed: dict[str, int]  # role → position fixed by a saved mapping


def _score(headers: list[str], body: pd.DataFrame, override: dict[str, str] | None) -> _Scores:
    profiles = profile_columns(body)
    positions = [
        i for i, h in enumerate(headers) if h.strip() or profiles.get(i, ColumnProfile()).written
    ]
    hs = np.zeros((len(positions), len(ROLES)))
    vs = np.zeros_like(hs)
    total = np.zeros_like(hs)
    for r, pos in enumerate(positions):
        named = header_scores(headers[pos]) if headers[pos].strip() else {}
        prof = profiles.get(pos, ColumnProfile())
        for c, role in enumerate(ROLES):
            h = named.get(role, (0.0, ""))[0]
            hs[r, c], vs[r, c] = h, value_fit(prof, role)
            if h >= header_min(role):
                total[r, c] = h * (0.3 + 0.7 * vs[r, c])
            else:
                total[r, c] = VALUE_ONLY * value_only_fit(prof, role)
    fixed = _fix_saved(positions, headers, total, override)
    return _Scores(positions, headers, profiles, hs, vs, total, fixed)


def _fix_saved(
    positions: list[int], headers: list[str], total: np.ndarray, override: dict[str, str] | None
) -> dict[str, int]:
    """A saved mapping (field → header) wins outright: its cells score 2, its columns and
    fields are closed to anything else."""
    fixed: dict[str, int] = {}
    norm = [norm_header(headers[p]) for p in positions]
    for fld, header in (override or {}).items():
        role = "amount" if fld == "amount" else fld
        if role not in ROLES or norm_header(header) not in norm:
            continue
        r, c = norm.index(norm_header(header)), ROLES.index(role)
        total[r, :] = 0.0
        if fld == "amount":
            total[:, [ROLES.index(a) for a in AMOUNT_ROLES]] = 0.0
        total[:, c] = 0.0
        total[r, c] = 2.0
        fixed[role] = positions[r]
    return fixed


def _assign(scores: _Scores) -> dict[int, str]:
    """Row (column index in ``scores``) → role, as one assignment maximising the total
    score.  Absorbing roles (body, supplier type…) may take any number of columns."""
    from scipy.optimize import linear_sum_assignment

    n = len(scores.positions)
    if n == 0:
        return {}
    absorbing = [c for c, r in enumerate(ROLES) if r in ABSORBING]
    keep = [c for c, r in enumerate(ROLES) if r not in ABSORBING]
    parts = [scores.total[:, keep]] + [scores.total[:, absorbing]] * n
    matrix = np.hstack(parts)
    roles = [ROLES[c] for c in keep] + [ROLES[c] for c in absorbing] * n
    # Cubed, so one strong match outweighs two weak ones (maximising a plain sum would
    # trade a clear "Payment Date" → date for two half-fits).
    gain = np.where(matrix >= MIN_SCORE, matrix, 0.0) ** 3
    rows, cols = linear_sum_assignment(gain, maximize=True)
    return {int(r): roles[c] for r, c in zip(rows, cols, strict=True) if gain[r, c] > 0}


# ------------------------------------------------------------------------ the mapping


def map_columns(
    headers: list[str],
    body: pd.DataFrame,
    override: dict[str, str] | None = None,
) -> Mapping:
    """Map header positions to canonical fields from header and values together."""
    headers = [str(h).strip() for h in headers]
    scores = _score(headers, body, override)
    assigned = _assign(scores)
    decisions = [_decision(scores, r, role) for r, role in sorted(assigned.items())]
    mapping = Mapping(fields={}, headers=list(headers))
    mapping.decisions = _choose_amount(decisions, mapping)
    for d in mapping.decisions:
        if d.field != "amount":
            mapping.fields[d.field] = d.position
    _date_over_period(mapping)
    _flag_reviews(mapping, scores, body)
    mapping.notes += _notes(mapping, scores)
    mapping.fields = dict(sorted(mapping.fields.items(), key=lambda kv: kv[1]))
    used = set(mapping.fields.values())
    mapping.ignored = [
        headers[p] or f"(blank header, column {p + 1})"
        for p in scores.positions
        if p not in used and scores.profiles.get(p, ColumnProfile()).written
    ]
    return mapping


def _decision(scores: _Scores, r: int, role: str) -> Decision:
    pos = scores.positions[r]
    c = ROLES.index(role)
    fixed = scores.fixed.get(role) == pos
    return Decision(
        field=role_field(role),
        column=_label(scores.headers, pos),
        position=pos,
        role=role,
        header_score=round(float(scores.header[r, c]), 2),
        value_score=round(float(scores.value[r, c]), 2),
        score=round(min(float(scores.total[r, c]), 1.0), 2),
        evidence="saved mapping" if fixed else _evidence(scores, r, role),
    )


def _evidence(scores: _Scores, r: int, role: str) -> str:
    """One line: what the header says and what the values are."""
    pos = scores.positions[r]
    header = scores.headers[pos]
    c = ROLES.index(role)
    if scores.header[r, c] >= header_min(role):
        phrase = header_scores(header)[role][1]
        said = f"header {header!r} reads as {phrase!r} ({scores.header[r, c]:.2f})"
        return f"{said}; values: {_values_said(scores.profiles.get(pos, ColumnProfile()), role)}"
    said = f"header {header!r} does not name it" if header else "no header"
    return f"{said}; found by its values: " + _values_said(
        scores.profiles.get(pos, ColumnProfile()), role)


def _values_said(p: ColumnProfile, role: str) -> str:
    if p.empty:
        return "the column is empty"
    kind = {
        "date": ("dates", p.date), "period": ("year-month periods", max(p.yyyymm, p.date)),
        "supplier_name": ("names", p.wordy), "supplier_id": ("codes", max(p.code, p.digits)),
        "transaction_id": ("references", max(p.code, p.digits)),
        "company_number": ("company numbers", p.company), "charity_number": (
            "charity numbers", p.charity), "vat_number": ("VAT numbers", p.vat),
        "is_card": ("card markers or yes/no", max(p.card, p.flags)),
        "cap_rev": ("capital/revenue", p.cap_rev),
    }.get(role, ("amounts", p.money) if "amount" in role or "vat" in role else ("text", 1.0))
    extra = f", {p.legal:.0%} with a legal form" if role == "supplier_name" and p.legal else ""
    return f"{kind[1]:.0%} {kind[0]}{extra} (e.g. {p.example!r})"


def _with_role(decisions: list[Decision], role: str) -> Decision | None:
    """The decision giving ``role`` to a column, if any."""
    return next((d for d in decisions if d.role == role), None)


def _choose_amount(decisions: list[Decision], mapping: Mapping) -> list[Decision]:
    """The amount by the Code's order: net of VAT, else unlabelled, else gross.  The other
    amount columns are left out, and the choice is said."""
    found = [d for role in AMOUNT_ROLES if (d := _with_role(decisions, role))]
    if not found:
        return [d for d in decisions if d.role not in ABSORBING]
    chosen = found[0]
    mapping.fields["amount"] = chosen.position
    mapping.amount_basis = "saved mapping" if chosen.evidence == "saved mapping" else \
        _BASIS[chosen.role]
    why = {
        "net": "net of VAT, as the Transparency Code asks",
        "unlabelled": "no net column; the amount is as published (not labelled net or gross)",
        "gross": "no net or unlabelled amount column: these amounts include VAT",
        "saved mapping": "the saved mapping names it",
    }[mapping.amount_basis]
    others = [d.column for d in found[1:]]
    chosen.evidence += f"; amount {mapping.amount_basis}: {why}"
    if others:
        chosen.evidence += f" (not used: {', '.join(repr(o) for o in others)})"
    return [d for d in decisions if d.role not in ABSORBING and d not in found[1:]]


def _date_over_period(mapping: Mapping) -> None:
    """The date wins over a period code (the period is derived from a readable date)."""
    date = _with_role(mapping.decisions, "date")
    if date is not None and date.value_score >= 0.5 and "period" in mapping.fields:
        mapping.fields.pop("period")
        mapping.decisions = [d for d in mapping.decisions if d.role != "period"]


def _flag_reviews(mapping: Mapping, scores: _Scores, body: pd.DataFrame) -> None:
    """Mark decisions a person should check: weak evidence, or a close rival column (one
    whose values were not used for any field)."""
    used = set(mapping.fields.values())
    taken = {r for r, pos in enumerate(scores.positions) if pos in used}
    sample = sample_rows(body)
    for d in mapping.decisions:
        if d.evidence.startswith("saved mapping") or scores.profiles.get(
                d.position, ColumnProfile()).empty:
            continue  # fixed by a person, or nothing in this file rests on it
        c = ROLES.index(d.role)
        rivals = [
            (float(scores.total[r, c]), scores.positions[r])
            for r in range(len(scores.positions))
            if r not in taken and scores.positions[r] != d.position
        ]
        best = max(rivals, default=(0.0, -1))
        if best[0] >= MIN_SCORE:
            d.runner_up = f"{_label(scores.headers, best[1])!r} ({best[0]:.2f})"
        if d.score < CONFIDENT:
            d.needs_review = _weak_reason(d)
        elif (d.field in KEY_FIELDS and best[0] >= d.score - AMBIGUOUS_MARGIN
              and not _same_values(sample, d, best[1])):
            d.needs_review = (f"ambiguous: {_label(scores.headers, best[1])!r} fits almost as "
                              "well and holds different values")


def _same_values(sample: pd.DataFrame, d: Decision, other: int) -> bool:
    if d.position not in sample.columns or other not in sample.columns:
        return False
    return agreement(sample[d.position], sample[other]) >= 0.98


def _weak_reason(d: Decision) -> str:
    label = FIELD_LABELS.get(d.field, d.field)
    if d.header_score < header_min(d.role):
        return f"{label} found by its values only; the header {d.column!r} does not name it"
    if d.value_score < 0.5:
        return f"the header {d.column!r} names the {label}, but its values do not fit"
    return f"weak evidence for the {label}"


def _notes(mapping: Mapping, scores: _Scores) -> list[str]:
    """Plain notes for the report: an amount or a field found by its values, a column
    whose values do not fit its header."""
    notes = []
    for d in mapping.decisions:
        named = _better_named(scores, d) if d.field == "amount" else None
        own = best_role(d.column) if d.role in VALUE_ROLES else None
        if d.field == "amount" and (named or d.header_score < header_min(d.role)):
            notes.append(f"amount taken from {d.column!r} by its values"
                         + (f" (column {named!r} does not hold amounts)" if named else ""))
        elif d.value_score < 0.5 and d.field in ("amount", "date"):
            p = scores.profiles.get(d.position, ColumnProfile())
            what = "few readable amounts; rows without one are rejected" \
                if d.field == "amount" else "no readable dates"
            notes.append(f"column {d.column!r} holds {what}"
                         + (f" (e.g. {p.example!r})" if d.field == "date" and p.example else ""))
        elif own and role_field(own[0]) != d.field and own[1] > d.header_score + 0.2:
            label = FIELD_LABELS.get(d.field, d.field)
            notes.append(f"{label} taken from {d.column!r} by its values "
                         f"(it holds {_values_said(scores.profiles[d.position], d.role)})")
    return notes


def _better_named(scores: _Scores, d: Decision) -> str | None:
    """A column whose header names an amount better than the chosen one's, passed over
    because its values are not money."""
    cols = [ROLES.index(a) for a in AMOUNT_ROLES]
    r_chosen = scores.positions.index(d.position)
    chosen_h = scores.header[r_chosen, cols].max()
    for r, pos in enumerate(scores.positions):
        if pos != d.position and scores.header[r, cols].max() > chosen_h + 0.01 and \
                scores.value[r, cols].max() < 0.5:
            return _label(scores.headers, pos)
    return None


# ------------------------------------------------------------------------- the header


def named_roles(cells: list[str], override: dict[str, str] | None = None) -> set[str]:
    """The roles a row's cells name clearly (a header row names several)."""
    found = set()
    for c in cells:
        hit = best_role(c) if c and len(c) <= 80 else None
        if hit and hit[1] >= 0.7:
            found.add(hit[0])
    if override:
        names = {norm_header(c) for c in cells}
        found |= {("amount" if f == "amount" else f) for f, h in override.items()
                  if norm_header(h) in names}
    return found


def header_score(cells: list[str], override: dict[str, str] | None = None) -> float:
    """How header-like a row is: distinct kept roles it names, absorbing ones at half
    weight; a row naming neither an amount nor a supplier scores one less."""
    roles = named_roles(cells, override)
    kept = {role_field(r) for r in roles if r not in ABSORBING}
    score = len(kept) + 0.5 * len(roles & ABSORBING)
    if "amount" not in kept and not kept & {"supplier_name", "supplier_id"}:
        score -= 1
    return score


_NUMERIC = re.compile(r"^[£\-\d.,()\s/:%]+$")


def find_header_row(
    cells: pd.DataFrame, scan: int = 1000, override: dict[str, str] | None = None
) -> int | None:
    """Index of the header row, or None for a header-less file.

    Report exports put a preamble of any length above the header (a title, ``Report
    Date:``, ``Parameters:``, date ranges, thresholds, blank lines, decorative filler):
    rows are read until a clear header has been followed by a few rows, or until a long
    run of data rows shows the header is not above them.  The best-scoring row naming at
    least two things wins (ties: the first).
    """
    best, best_score, data_run = None, 1.0, 0
    for i, row in enumerate(_rows(cells, scan)):
        if best is not None and best_score >= 3 and i > best + 3:
            break
        texts = [str(c).strip() for c in row if str(c).strip()]
        if not texts:
            continue
        numeric = sum(bool(_NUMERIC.match(t)) for t in texts)
        if numeric > len(texts) // 2 or (numeric and len(texts) >= 3):
            data_run += 1
            if data_run >= 30:
                break
            continue
        data_run = 0
        score = header_score(texts, override)
        if score > best_score:
            best, best_score = i, score
    return best


def _rows(cells: pd.DataFrame, limit: int, block: int = 16):
    """The first ``limit`` rows as lists of text, read a few at a time (a header is
    usually found in the first rows: the rest of a big table is never converted)."""
    for start in range(0, min(limit, len(cells)), block):
        yield from cells.iloc[start : min(start + block, limit)].to_numpy(dtype=object).tolist()


# --------------------------------------------------------------------- saved mappings


def save_mapping(path: Path, council: str, layouts: list[dict]) -> None:
    """Write the council's known layouts (headers + field mapping) as editable YAML."""
    doc = {"council": council, "layouts": layouts}
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


def load_mapping(path: Path) -> dict:
    """Read a saved council mapping; one-line error when it is not one."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read mapping {path}: {exc}") from exc
    if not isinstance(doc, dict):
        raise ValueError(f"mapping {path} is not a YAML mapping")
    doc.setdefault("layouts", [])
    doc.setdefault("columns", {})
    return doc
