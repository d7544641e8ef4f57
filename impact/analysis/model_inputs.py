"""The council's own choices for the re-spend model, kept for every later session.

The local multiplier depends on what the officer chose — what counts as local (the
council's districts, a set of districts, a radius), the pay bill and the share of staff
living locally, the re-spend assumptions (priors) and the answers of a supplier survey.
Kept only in one browser session, these made the Re-spend page, the board pack, the
consultation and the command line show different multipliers for one council.  So they
are saved under the council's workspace folder (``<workspace>/<council>-lm3/``) and every
surface reads them from there.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import pandas as pd

from impact.analysis.measures import LM3_DRAWS, LM3_SEED, Figure, lm3_figure
from impact.analysis.multiplier import ModelResult, ModelSettings, run_model
from impact.analysis.priors import load_priors, save_priors
from impact.core import cache
from impact.core.atomic import atomic_write_text
from impact.core.paths import council_file

LOCAL_CHOICES = ("council", "districts", "radius")


@dataclass(frozen=True)
class Choices:
    """What the officer chose on the Re-spend page (plain values, JSON on disk)."""

    local: str = "council"  # one of LOCAL_CHOICES
    lads: tuple[str, ...] = ()
    radius_km: float = 10.0
    payroll_gbp: float = 0.0
    staff_local_pct: float = 0.0

    def settings(self, centre: tuple[float, float] | None, names: dict[str, str] | None = None,
                 exclude_public_bodies: bool = False) -> ModelSettings:
        """The model settings: the one draw count and seed every surface uses; ``names``
        (district code → name) words the local area."""
        lads: tuple[str, ...] = ()
        radius = None
        if self.local == "districts" and self.lads:
            lads = tuple(sorted(self.lads))
        elif self.local == "radius" and centre is not None:
            radius = float(self.radius_km)
        label = "" if radius else _names(lads or tuple(names or {}), names or {})
        return ModelSettings(
            lad_codes=lads, radius_km=radius, centre=centre if radius else None,
            exclude_public_bodies=exclude_public_bodies, payroll_gbp=float(self.payroll_gbp),
            staff_local_share=float(self.staff_local_pct) / 100, n_draws=LM3_DRAWS,
            random_state=LM3_SEED, area_label=label)


def _names(codes: tuple[str, ...], names: dict[str, str]) -> str:
    """ "Leeds and Bradford" for district codes ("" when a name is unknown)."""
    words = [names.get(c, "") for c in codes]
    if not words or not all(words):
        return ""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def folder(council: str) -> Path:
    """``<workspace>/<council>-lm3``: the council's model choices, priors and survey."""
    return council_file(council, "lm3")


def load_choices(council: str) -> Choices:
    """The saved choices (defaults when none, or when the file cannot be read)."""
    path = folder(council) / "choices.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Choices()
    known = {f.name for f in fields(Choices)}
    values = {k: v for k, v in raw.items() if k in known}
    if "lads" in values:
        values["lads"] = tuple(values["lads"] or ())
    choice = Choices(**values)
    return choice if choice.local in LOCAL_CHOICES else Choices()


def save_choices(council: str, choices: Choices) -> Path:
    path = folder(council) / "choices.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(asdict(choices), indent=2))
    return path


def priors_path(council: str) -> Path:
    return folder(council) / "priors.csv"


def council_priors(council: str) -> pd.DataFrame:
    """The council's saved priors, else the shipped defaults (raises ValueError on a
    saved table that does not validate)."""
    path = priors_path(council)
    return load_priors(path if path.is_file() else None)


def save_council_priors(council: str, priors: pd.DataFrame) -> Path:
    path = priors_path(council)
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_priors(path, priors)


def survey_path(council: str) -> Path:
    return folder(council) / "survey.parquet"


def council_survey(council: str) -> pd.DataFrame | None:
    """The re-spend shares of the council's saved supplier survey (None without one)."""
    path = survey_path(council)
    if not path.is_file():
        return None
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError):
        return None


def save_survey(council: str, shares: pd.DataFrame, name: str) -> Path:
    """Keep a parsed survey's shares (``supplier_key``, ``respend_share``) and its name."""
    path = survey_path(council)
    path.parent.mkdir(parents=True, exist_ok=True)
    shares[["supplier_key", "respend_share"]].assign(file=name).to_parquet(path, index=False)
    return path


def survey_name(council: str) -> str | None:
    s = council_survey(council)
    return None if s is None or "file" not in s or s.empty else str(s["file"].iloc[0])


def clear_survey(council: str) -> None:
    survey_path(council).unlink(missing_ok=True)


def fingerprint(council: str) -> str:
    """What the saved choices are now (file names, sizes, times): a cache key part."""
    d = folder(council)
    return cache.key(*cache.fingerprint([d / "choices.json", d / "priors.csv",
                                         d / "survey.parquet"]))


def fit(tx: pd.DataFrame, suppliers: pd.DataFrame, lads: list[str], council: str,
        centre: tuple[float, float] | None = None,
        names: dict[str, str] | None = None) -> ModelResult | None:
    """The re-spend model of the payments ``tx`` with the council's saved choices, priors
    and survey: the one way every surface fits it.  ``names``: district code → name for
    the council's districts and any chosen (the area said in words).  None without a local
    area or any spend to trace."""
    choices = load_choices(council)
    local = choices.lads if choices.local == "districts" and choices.lads else tuple(lads)
    settings = choices.settings(centre, {c: (names or {}).get(c, "") for c in local})
    try:
        return run_model((tx, suppliers, lads), settings, priors=council_priors(council),
                         survey_shares=council_survey(council))
    except (ValueError, KeyError):
        return None


def lm3_of(result: ModelResult | None) -> Figure | None:
    """The local multiplier figure of a fit (None without one)."""
    return None if result is None else lm3_figure(result, result.inputs.area.describe())
