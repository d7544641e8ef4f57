"""What-if scenarios: move part of a category's non-local spend to suppliers in an area.

A scenario copies the moved spend onto a hypothetical local supplier of the same class and
sector (so the same re-spend prior applies) placed in the target area, refits the model
with the same seed (paired draws, so Δ LM3 bands are not noise), and reports Δ located
local spend, Δ LM3 (lower/upper and P10/P50/P90 of the paired difference), Δ £ retained and
Δ £ reaching the most deprived areas (IMD decile 1–2).  A 0 % shift returns the baseline
unchanged, exactly.

Targets: ``council`` (anywhere in the local area; deprivation unknown), ``wards`` (ward
codes) or ``areas`` (LSOA/ward/district codes); the moved £ is split evenly over the
listed codes.  A district code outside the model's local area stays non-local (it changes
who is paid, not LM3).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impact.analysis.multiplier import ModelResult, fit_settings
from impact.core.atomic import atomic_write_text
from impact.places.localarea import LOCAL, NON_LOCAL

TARGET_KINDS = ("council", "wards", "areas")
#: The spend columns a scenario's category can be, in words.
CATEGORY_WORDS = {"directorate": "department", "supplier_class": "supplier type",
                  "sic_section": "SIC section"}


@dataclass(frozen=True)
class Words:
    """How a scenario's description names things a person reads: the target areas by
    code (ward and neighbourhood names) and category values by column (supplier types)."""

    places: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def _listed(items: list[str], last: str = "and") -> str:
    """"A", "A and B", "A, B and C"; the first eight and how many more."""
    if len(items) > 8:
        items = [*items[:8], f"{len(items) - 8} more"]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


@dataclass(frozen=True)
class Scenario:
    """Move ``share`` (0–1) or ``amount_gbp`` of a category's non-local spend to an area.

    ``category_column`` is a spend-table column (``directorate``, ``supplier_class``,
    ``sic_section``); None means all influenceable non-local spend.
    """

    name: str
    share: float | None = None
    amount_gbp: float | None = None
    category_column: str | None = None
    category_values: tuple[str, ...] = ()
    target_kind: str = "council"
    target_codes: tuple[str, ...] = ()

    def validate(self) -> None:
        if (self.share is None) == (self.amount_gbp is None):
            raise ValueError(f"scenario {self.name!r}: give exactly one of share or amount_gbp")
        if self.share is not None and not 0 <= self.share <= 1:
            raise ValueError(f"scenario {self.name!r}: share must be within 0–1")
        if self.amount_gbp is not None and self.amount_gbp < 0:
            raise ValueError(f"scenario {self.name!r}: amount must be ≥ 0")
        if self.target_kind not in TARGET_KINDS:
            raise ValueError(f"scenario {self.name!r}: target must be one of {TARGET_KINDS}")
        if self.target_kind != "council" and not self.target_codes:
            raise ValueError(f"scenario {self.name!r}: list the target {self.target_kind}")

    def describe(self, words: Words | None = None) -> str:
        """The scenario in a sentence: "move 10% of the non-local spend of the department
        'Place' to suppliers in Central and Moor wards"."""
        w = words or Words()
        what = f"{self.share:.0%}" if self.share is not None else f"£{self.amount_gbp:,.0f}"
        spend = "all influenceable non-local spend"
        if self.category_column:
            col = self.category_column
            named = w.values.get(col, {})
            values = [f"'{named.get(v, v)}'" for v in self.category_values]
            spend = (f"the non-local spend of the {CATEGORY_WORDS.get(col, col.replace('_', ' '))}"
                     f" {_listed(values, 'or')}")
        return f"move {what} of {spend} to {self._target_words(w)}"

    def _target_words(self, w: Words) -> str:
        if self.target_kind == "council" or not self.target_codes:
            return "suppliers in the local area"
        names = [w.places.get(c, "") for c in self.target_codes]
        if not all(names):  # codes no one has named: say how many, not the codes
            noun = "wards" if self.target_kind == "wards" else "neighbourhoods"
            return f"suppliers in {len(names)} chosen {noun}"
        suffix = (" ward" if len(names) == 1 else " wards") if self.target_kind == "wards" else ""
        return f"suppliers in {_listed(names)}{suffix}"


@dataclass
class ScenarioOutcome:
    """The modified spend table and what moved (see :func:`apply_scenario`)."""

    spend: pd.DataFrame
    moved_gbp: float
    moved_to_local_gbp: float
    to_deprived_gbp: float
    from_deprived_gbp: float


def apply_scenario(
    spend: pd.DataFrame,
    scenario: Scenario,
    local_lads: tuple[str, ...] = (),
    imd_deciles: pd.Series | None = None,
) -> ScenarioOutcome:
    """Move the scenario's spend; ``imd_deciles`` maps target codes (ward/LSOA) → decile.

    Steps: the eligible non-local spend → the fraction of it moved → what stays → the moved
    £ landing on a hypothetical supplier in each target area.
    """
    scenario.validate()
    eligible = _eligible_rows(spend, scenario)
    pool = float(spend.loc[eligible, "amount"].sum())
    fraction = _fraction_moved(scenario, pool)
    if fraction == 0.0 or pool == 0.0:  # nothing moves: the baseline itself, exactly
        return ScenarioOutcome(spend, 0.0, 0.0, 0.0, 0.0)
    move = _Move(scenario, spend[eligible], fraction, local_lads, imd_deciles)
    kept = spend.copy()
    kept.loc[eligible, "amount"] = kept.loc[eligible, "amount"] * (1 - fraction)
    landed = [_landing(move, code) for code in move.codes]
    return ScenarioOutcome(
        spend=pd.concat([kept, *(x.lines for x in landed)], ignore_index=True),
        moved_gbp=pool * fraction,
        moved_to_local_gbp=sum((x.gbp if x.local else 0.0 for x in landed), 0.0),
        to_deprived_gbp=sum((x.gbp if x.deprived else 0.0 for x in landed), 0.0),
        from_deprived_gbp=_from_deprived(move),
    )


def _eligible_rows(spend: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """Rows whose spend may move: non-local, influenceable (a council cannot re-let its
    payments to other public bodies) and in the scenario's category."""
    eligible = np.array(spend["local_status"] == NON_LOCAL, dtype=bool)
    if "influenceable" in spend:
        eligible &= spend["influenceable"].fillna(True).astype(bool).to_numpy()
    if scenario.category_column:
        if scenario.category_column not in spend:
            raise ValueError(f"no column {scenario.category_column!r} in the spend table")
        eligible &= (
            spend[scenario.category_column]
            .astype("string")
            .isin(scenario.category_values)
            .fillna(False)
            .to_numpy()
        )
    return eligible


def _fraction_moved(scenario: Scenario, pool: float) -> float:
    """The share of the eligible £ that moves; an amount is capped at all of it."""
    if scenario.share is not None:
        return float(scenario.share)
    return min(float(scenario.amount_gbp) / pool, 1.0) if pool > 0 else 0.0


@dataclass(frozen=True)
class _Move:
    """What moves: the eligible lines (``source``), the fraction of their £, and where to
    (the scenario's targets; ``local_lads`` and ``imd_deciles`` describe them)."""

    scenario: Scenario
    source: pd.DataFrame
    fraction: float
    local_lads: tuple[str, ...]
    imd_deciles: pd.Series | None

    @property
    def codes(self) -> list[str | None]:
        """Target codes, the moved £ split evenly over them; [None] = anywhere local."""
        return list(self.scenario.target_codes) or [None]


@dataclass(frozen=True)
class _Landing:
    """The moved £ arriving at one target: its new spend lines, £, and whether it is local
    and in an IMD decile 1–2 area."""

    lines: pd.DataFrame
    gbp: float
    local: bool
    deprived: bool


def _landing(move: _Move, code: str | None) -> _Landing:
    """The eligible lines copied onto a hypothetical supplier in ``code``: same class and
    sector, so the same re-spend prior applies and only the place changes."""
    source = move.source
    lines = source.copy()
    lines["amount"] = source["amount"] * move.fraction / len(move.codes)
    lines["supplier_key"] = f"scenario:{move.scenario.name}:" + source["supplier_key"].astype(str)
    local = not (_is_district(code) and move.local_lads and code not in move.local_lads)
    lines["local_status"] = LOCAL if local else NON_LOCAL
    _place(lines, code)
    known = move.imd_deciles is not None and code
    decile = move.imd_deciles.get(code, np.nan) if known else np.nan
    lines["imd_decile"] = decile
    deprived = bool(pd.notna(decile) and float(decile) <= 2)
    return _Landing(lines, float(lines["amount"].sum()), local, deprived)


def _is_district(code: str | None) -> bool:
    """A local authority district code: a target outside the local area stays non-local."""
    return code is not None and code[:3] in ("E06", "E07", "E08", "E09", "W06")


def _place(lines: pd.DataFrame, code: str | None) -> None:
    """Put ``lines`` in ``code`` (an LSOA, district or ward code), their old place cleared."""
    for c in ("ward_code", "ward_name", "lsoa21_code", "lad_code"):
        if c in lines:
            lines[c] = pd.NA
    if code is not None:
        if code.startswith(("E01", "W01")):
            lines["lsoa21_code"] = code
        else:
            lines["lad_code" if _is_district(code) else "ward_code"] = code


def _from_deprived(move: _Move) -> float:
    """Moved £ that had gone to suppliers in IMD decile 1–2 areas (it leaves them)."""
    source = move.source
    if "imd_decile" not in source:
        return 0.0
    decile = pd.to_numeric(source.get("imd_decile"), errors="coerce")
    return float((source["amount"] * move.fraction)[(decile <= 2).fillna(False)].sum())


def run_scenario(
    baseline: ModelResult,
    scenario: Scenario,
    imd_deciles: pd.Series | None = None,
    words: Words | None = None,
) -> dict[str, Any]:
    """One scenario against ``baseline``: a row of plain values (see :func:`compare`);
    ``words`` name its areas and categories in the description."""
    b = baseline.model
    lads = baseline.inputs.area.lad_codes
    oc = apply_scenario(baseline.inputs.spend, scenario, lads, imd_deciles)
    m = (
        b
        if oc.moved_gbp == 0
        else fit_settings(oc.spend, baseline.settings, baseline.priors, b.survey_shares)
    )
    d = m.draws_["lm3"].to_numpy() - b.draws_["lm3"].to_numpy()
    p10, p50, p90 = np.percentile(d, [10, 50, 90])
    return {
        "scenario": scenario.name,
        "description": scenario.describe(words),
        "moved_gbp": oc.moved_gbp,
        "delta_local_spend_gbp": oc.moved_to_local_gbp,
        "lm3_p50": m.lm3_p50_,
        "delta_lm3_lower": m.lm3_lower_ - b.lm3_lower_,
        "delta_lm3_upper": m.lm3_upper_ - b.lm3_upper_,
        "delta_lm3_p10": float(p10),
        "delta_lm3_p50": float(p50),
        "delta_lm3_p90": float(p90),
        "delta_retained_gbp": m.retained_ - b.retained_,
        "delta_deprived_gbp": oc.to_deprived_gbp - oc.from_deprived_gbp,
        "how_calculated": (
            f"{scenario.describe(words)}: £{oc.moved_gbp:,.0f} moved to a hypothetical local "
            "supplier of the same class and sector (same re-spend prior), model refitted with the "
            "same seed; Δ LM3 P10/P50/P90 are of the paired difference. £ to IMD decile 1–2 counts "
            "moved spend landing in target areas of known decile 1–2, less moved spend that "
            "had gone to suppliers in decile 1–2 areas."
        ),
        "_model": m,
    }


def compare(
    baseline: ModelResult,
    scenarios: list[Scenario],
    imd_deciles: pd.Series | None = None,
    words: Words | None = None,
) -> pd.DataFrame:
    """Baseline and each scenario side by side (one row each), ready to show or export."""
    rows = [
        {
            "scenario": "baseline",
            "description": "current spend",
            "moved_gbp": 0.0,
            "delta_local_spend_gbp": 0.0,
            "lm3_p50": baseline.model.lm3_p50_,
            "delta_lm3_lower": 0.0,
            "delta_lm3_upper": 0.0,
            "delta_lm3_p10": 0.0,
            "delta_lm3_p50": 0.0,
            "delta_lm3_p90": 0.0,
            "delta_retained_gbp": 0.0,
            "delta_deprived_gbp": 0.0,
            "how_calculated": baseline.how_calculated,
        }
    ]
    for s in scenarios:
        r = run_scenario(baseline, s, imd_deciles, words)
        r.pop("_model")
        rows.append(r)
    return pd.DataFrame(rows)


def save_scenarios(path: str | os.PathLike[str], scenarios: list[Scenario]) -> Path:
    """Write named scenarios as JSON atomically (:mod:`impact.core.atomic`)."""
    for s in scenarios:
        s.validate()
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValueError("scenario names must be unique")
    doc = {"scenarios": [asdict(s) for s in scenarios]}
    return atomic_write_text(path, json.dumps(doc, indent=2))


def load_scenarios(path: str | os.PathLike[str]) -> list[Scenario]:
    """Scenarios saved by :func:`save_scenarios` ([] when the file does not exist)."""
    p = Path(path)
    if not p.is_file():
        return []
    try:
        items = json.loads(p.read_text(encoding="utf-8"))["scenarios"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{p.name} is not a saved scenarios file: {exc}") from None
    out = []
    for it in items:
        it = dict(it)
        it["category_values"] = tuple(it.get("category_values") or ())
        it["target_codes"] = tuple(it.get("target_codes") or ())
        s = Scenario(**it)
        s.validate()
        out.append(s)
    return out
