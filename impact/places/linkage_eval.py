"""How well a name-matching method places suppliers, measured on real labelled spellings.

A method that links payee names to a register is judged the way an officer would judge it:
of the names it *places*, how many are right (precision); of the names that are in the
register, how many it places rightly (recall); for the officer's worklist, how often the
right entry is among its first three suggestions (top-3 recall); and the share of payments
placed rightly (the labelled file carries payment counts, not pounds).

The evaluation set (:func:`evaluation_set`) is built from a labelled file of payee names and
the register name and company number each belongs to (North West Open Data's matches for
four Greater Manchester councils, read in place, never copied):

* the **register** is every labelled company's register name(s) plus distractors (another
  register's names, e.g. the gender-pay-gap employers) plus the look-alikes' entries;
* the pairs are split in **halves by a fixed hash of the company number** (CRC-32, even or
  odd): a method is tuned on ``"tune"`` and reported on ``"report"``, so one company's
  spellings never sit in both;
* one company in five (a second fixed hash) is **withheld** from the register: its payees
  are in no register row, so any placement of them is wrong — the everyday case of a
  supplier the register lacks;
* hand-made **look-alikes** (:data:`LOOKALIKES`) must not link: two firms a word apart, a
  holding company and its trading subsidiary, a council and its namesake district,
  "(NORTH WEST)" against "(NORTH EAST)", an initialism against a name it could stand for.

Scores are given for all names and for the **spelling variants**: pairs whose names differ
after a fixed plain key (:func:`plain_key`: upper case, ``&`` as AND, punctuation and
trailing LTD/LIMITED/PLC dropped), the ones exact matching cannot place whatever the method.
"""

from __future__ import annotations

import logging
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

_log = logging.getLogger(__name__)

#: A method: ``(left, right) → candidates``.  ``left`` has ``key`` and ``name`` (the payee
#: name as published); ``right`` has ``key``, ``name`` and ``company_number``.  The result has
#: one row per candidate: ``left_key``, ``right_key``, ``rank`` (1 = best) and ``placed``
#: (True on at most one row per left key: the method places the supplier there).
Method = Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]

#: Look-alikes that must not link: (kind, payee name, register name of another body).
LOOKALIKES: tuple[tuple[str, str, str], ...] = (
    ("one word", "BRIGHTWATER CLEANING SERVICES LTD", "BRIGHTWATER CATERING SERVICES LTD"),
    ("one word", "NORTHERN LIGHTS TRAVEL LTD", "NORTHERN LIGHTS TRAINING LTD"),
    ("one word", "PENNINE ROOFING CONTRACTORS", "PENNINE PLUMBING CONTRACTORS LIMITED"),
    ("one word", "OAKLEIGH HOUSE NURSERY", "OAKLEIGH HOUSE SURGERY"),
    ("one word", "RIVERSIDE PRIMARY SCHOOL PTA", "RIVERSIDE SECONDARY SCHOOL PTA"),
    ("one word", "SUMMIT SCAFFOLDING SERVICES LTD", "SUMMIT SCAFFOLDING SUPPLIES LTD"),
    ("holding", "KESTREL VALE HOLDINGS LIMITED", "KESTREL VALE LIMITED"),
    ("holding", "ASHWORTH GROUP HOLDINGS LTD", "ASHWORTH GROUP LTD"),
    ("holding", "MERIDIAN FACILITIES LTD", "MERIDIAN FACILITIES HOLDINGS LTD"),
    ("holding", "HALLAM CARE HOMES LTD", "HALLAM CARE HOMES (HOLDINGS) LTD"),
    ("council", "BURNHOLME BOROUGH COUNCIL", "BURNHOLME DISTRICT COUNCIL"),
    ("council", "NORTH KELDALE COUNCIL", "SOUTH KELDALE COUNCIL"),
    ("council", "WEST ARNSIDE DISTRICT COUNCIL", "EAST ARNSIDE DISTRICT COUNCIL"),
    ("council", "HARTWELL CITY COUNCIL", "HARTWELL COUNTY COUNCIL"),
    ("region", "ACORN TRAINING (NORTH WEST) LTD", "ACORN TRAINING (NORTH EAST) LTD"),
    ("region", "PREMIER FIRE PROTECTION (NORTHERN) LTD", "PREMIER FIRE PROTECTION (SOUTHERN) LTD"),
    ("region", "VALLEYSIDE CARE (YORKSHIRE) LTD", "VALLEYSIDE CARE (LANCASHIRE) LTD"),
    ("region", "CITYLINK TAXIS (MANCHESTER) LTD", "CITYLINK TAXIS (LIVERPOOL) LTD"),
    ("region", "ORBIT ELECTRICAL (NORTH WEST) LIMITED", "ORBIT ELECTRICAL (SOUTH WEST) LIMITED"),
    ("initialism", "SSE", "SOUTHERN STEEL ERECTORS LTD"),
    ("initialism", "J M R", "JMR PLUMBING AND HEATING LTD"),
    ("initialism", "B S C", "BRADSHAW SCAFFOLDING CONTRACTORS LTD"),
)

_PUNCT = re.compile(r"[^\w\s]|_")
_SPACE = re.compile(r"\s+")
_TAIL_FORMS = re.compile(r"(\s+(LTD|LIMITED|PLC|LLP|CIC|CO))+$")


def plain_key(names: pd.Series) -> pd.Series:
    """A fixed, simple name key (the one a person would try first): upper case, ``&`` as
    AND, apostrophes dropped, other punctuation as spaces, trailing LTD / LIMITED / PLC /
    LLP / CIC / CO and a leading THE dropped.  Independent of the project's normaliser, so
    which pairs count as spelling variants does not move when the normaliser improves."""
    s = names.astype("string").str.upper().str.replace("&", " AND ", regex=False)
    s = s.str.replace("'", "", regex=False).str.replace(_PUNCT, " ", regex=True)
    s = s.str.replace(_SPACE, " ", regex=True).str.strip()
    s = s.str.replace(_TAIL_FORMS, "", regex=True).str.replace(r"^THE\s+", "", regex=True)
    return s


def _hash_bucket(values: pd.Series, salt: str, buckets: int) -> np.ndarray:
    """A fixed bucket per value (CRC-32 of the salted text), the same on every machine."""
    return np.array([zlib.crc32(f"{salt}{v}".encode()) % buckets for v in values.astype(str)])


def halves(company_numbers: pd.Series) -> pd.Series:
    """``"tune"`` or ``"report"`` per company number, by a fixed hash (same index)."""
    bucket = _hash_bucket(company_numbers, "", 2)
    return pd.Series(np.where(bucket == 0, "tune", "report"), index=company_numbers.index)


def withheld(company_numbers: pd.Series) -> pd.Series:
    """True for the one company in five left out of the register (a second fixed hash)."""
    return pd.Series(_hash_bucket(company_numbers, "withheld:", 5) == 0,
                     index=company_numbers.index)


def read_labelled(path: Path) -> pd.DataFrame:
    """The labelled pairs with a company number: ``name`` (payee), ``register_name``,
    ``company_number``, ``weight`` (payments)."""
    raw = pd.read_csv(path, dtype="string")
    raw = raw[raw["company_number"].notna() & raw["clean_name"].notna()]
    return pd.DataFrame({
        "name": raw["clean_name"].str.strip(),
        "register_name": raw["matched_name"].str.strip(),
        "company_number": raw["company_number"].str.strip().str.upper(),
        "weight": pd.to_numeric(raw["n_payments"], errors="coerce").fillna(1.0),
    }).drop_duplicates("name").reset_index(drop=True)


def read_distractors(path: Path) -> pd.DataFrame:
    """Register names of another list (``name``, ``company_number``): the gender-pay-gap
    employers' file (``EmployerName``, ``CurrentName``, ``CompanyNumber``)."""
    raw = pd.read_csv(path, dtype="string")
    number = raw["CompanyNumber"].str.strip().str.upper()
    names = pd.concat([
        pd.DataFrame({"name": raw["EmployerName"], "company_number": number}),
        pd.DataFrame({"name": raw["CurrentName"], "company_number": number}),
    ])
    names["name"] = names["name"].str.strip()
    return names.dropna(subset=["name"]).drop_duplicates().reset_index(drop=True)


@dataclass(frozen=True)
class EvalSet:
    """``left``: key, name, truth (company number or NA), weight, half, kind ("labelled",
    "withheld", "lookalike"), variant (names differ after :func:`plain_key`).
    ``right``: key, name, company_number, kind ("labelled", "distractor", "lookalike")."""

    left: pd.DataFrame
    right: pd.DataFrame

    def half(self, half: str) -> pd.DataFrame:
        """The left names of one half (look-alikes are in both: they are hand-made)."""
        return self.left[(self.left["half"] == half) | (self.left["kind"] == "lookalike")]


def evaluation_set(labelled: pd.DataFrame, distractors: pd.DataFrame) -> EvalSet:
    """The register and the payee names to link (see the module's description)."""
    gone = withheld(labelled["company_number"])
    truth_rows = labelled.loc[~gone, ["register_name", "company_number"]]
    distractors = _numbered(distractors, labelled)
    kept = distractors[~distractors["company_number"].isin(labelled.loc[gone, "company_number"])
                       .fillna(False)]
    look = pd.DataFrame(LOOKALIKES, columns=["lookalike", "name", "register_name"])
    right = pd.concat([
        truth_rows.rename(columns={"register_name": "name"}).assign(kind="labelled"),
        kept.assign(kind="distractor"),
        look[["register_name"]].rename(columns={"register_name": "name"}).assign(
            company_number=pd.NA, kind="lookalike"),
    ]).drop_duplicates(["name", "company_number"]).reset_index(drop=True)
    right.insert(0, "key", "R" + pd.Series(np.arange(len(right)), dtype="string"))
    labelled_left = labelled.assign(
        truth=labelled["company_number"].where(~gone),
        half=halves(labelled["company_number"]),
        kind=np.where(gone, "withheld", "labelled"),
        variant=(plain_key(labelled["name"]) != plain_key(labelled["register_name"])).fillna(True),
    )
    look_left = look.assign(truth=pd.NA, weight=1.0, half="both", kind="lookalike", variant=True)
    left = pd.concat([labelled_left, look_left], ignore_index=True)
    left.insert(0, "key", "L" + pd.Series(np.arange(len(left)), dtype="string"))
    cols = ["key", "name", "truth", "weight", "half", "kind", "variant"]
    return EvalSet(left[cols].reset_index(drop=True), right[["key", "name", "company_number",
                                                             "kind"]])


def _numbered(distractors: pd.DataFrame, labelled: pd.DataFrame) -> pd.DataFrame:
    """Distractors without a company number that carry a labelled company's register name
    (by :func:`plain_key`) get its number: they are that company, so withholding it
    withholds them and a link to them is right."""
    by_key = (labelled.assign(k=plain_key(labelled["register_name"]))
              .drop_duplicates("k").set_index("k")["company_number"])
    known = plain_key(distractors["name"]).map(by_key)
    return distractors.assign(company_number=distractors["company_number"].fillna(known))


@dataclass(frozen=True)
class Score:
    """One method on one set of left names (counts, and the shares built from them)."""

    names: int
    in_register: int  # left names whose company is in the register
    placed: int
    placed_right: int
    precision: float  # placed right / placed (NaN when nothing placed)
    recall: float  # placed right / in register
    top3_recall: float  # right entry among the first three candidates / in register
    payments_placed_right: float  # payment-weighted recall
    lookalikes_placed: int  # look-alikes placed (each is wrong)
    withheld_placed: int  # names whose company is not in the register, placed anyway

    def as_dict(self) -> dict[str, float]:
        """The score as a plain dict (for tables and JSON)."""
        return asdict(self)


def score(left: pd.DataFrame, right: pd.DataFrame, candidates: pd.DataFrame) -> Score:
    """Score ``candidates`` (a :data:`Method`'s output) for the names in ``left``."""
    number = right.set_index("key")["company_number"]
    c = candidates[candidates["left_key"].isin(left["key"])].copy()
    truth = left.set_index("key")["truth"]
    c["right_number"] = number.reindex(c["right_key"]).to_numpy()
    c["truth"] = truth.reindex(c["left_key"]).to_numpy()
    c["right"] = (c["right_number"] == c["truth"]).fillna(False).astype(bool)
    placed = c[c["placed"].astype(bool)].drop_duplicates("left_key")
    right_placed = set(placed.loc[placed["right"], "left_key"])
    top3 = set(c.loc[(c["rank"] <= 3) & c["right"], "left_key"])
    inreg = left[left["truth"].notna()]
    weights = inreg.set_index("key")["weight"].astype(float)
    kinds = left.set_index("key")["kind"].reindex(placed["left_key"])
    n_in = len(inreg)
    return Score(
        names=len(left), in_register=n_in, placed=len(placed), placed_right=len(right_placed),
        precision=len(right_placed) / len(placed) if len(placed) else float("nan"),
        recall=len(right_placed) / n_in if n_in else float("nan"),
        top3_recall=len(top3 & set(inreg["key"])) / n_in if n_in else float("nan"),
        payments_placed_right=float(weights[weights.index.isin(right_placed)].sum()
                                    / weights.sum()) if n_in else float("nan"),
        lookalikes_placed=int((kinds == "lookalike").sum()),
        withheld_placed=int((kinds == "withheld").sum()),
    )


def evaluate(method: Method, evalset: EvalSet, half: str = "report") -> dict[str, Score]:
    """``method`` on one half: scores for ``"all"`` names and the spelling ``"variants"``."""
    left = evalset.half(half)
    candidates = method(left[["key", "name"]].reset_index(drop=True),
                        evalset.right[["key", "name", "company_number"]])
    variants = left[left["variant"]]
    return {"all": score(left, evalset.right, candidates),
            "variants": score(variants, evalset.right, candidates)}


def score_table(scores: dict[str, dict[str, Score]]) -> pd.DataFrame:
    """One row per (method, subset): the scores side by side."""
    rows = [{"method": m, "subset": s, **sc.as_dict()}
            for m, by in scores.items() for s, sc in by.items()]
    return pd.DataFrame(rows)


def exact_then_splink(accept: float = 0.9, margin: float = 0.1) -> Method:
    """The method :mod:`.bulk_lookup` has used: the exact normalised name places when it
    names one company; Splink ranks the rest, placing a best link at or above ``accept``
    that stands ``margin`` clear of its runner-up."""
    from impact.ingest.names import normalise_names
    from impact.places.linkage import rank_candidates

    def method(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
        ln = left.assign(name_norm=normalise_names(left["name"]))
        rn = right.assign(name_norm=normalise_names(right["name"]))
        exact = _exact(ln, rn)
        rest = ln[~ln["key"].isin(exact["left_key"])].dropna(subset=["name_norm"])
        ranked, _ = rank_candidates(rest[["key", "name_norm"]],
                                    rn.dropna(subset=["name_norm"])[["key", "name_norm"]], k=3)
        clear = (ranked["match_probability"] >= accept) & (
            ranked["match_probability"] - ranked["runner_up_probability"].fillna(0) >= margin)
        ranked["placed"] = clear & (ranked["rank"] == 1)
        return pd.concat([exact, ranked[["left_key", "right_key", "rank", "placed"]]],
                         ignore_index=True)

    return method


def _exact(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Candidates from identical normalised names: placed when they name one company."""
    j = left[["key", "name_norm"]].merge(right[["key", "name_norm", "company_number"]],
                                         on="name_norm", suffixes=("_l", "_r"))
    by_name = j.groupby("key_l")["company_number"]  # vectorised: 10⁶ names at national size
    one = (by_name.transform("nunique") == 1) & (
        by_name.transform("count") == by_name.transform("size"))
    j = j.assign(rank=j.groupby("key_l").cumcount() + 1, placed=one.astype(bool))
    j["placed"] &= j["rank"] == 1
    return j.rename(columns={"key_l": "left_key", "key_r": "right_key"})[
        ["left_key", "right_key", "rank", "placed"]]


def exact_then_model(threshold: float | None = None, max_pairs: float = 5e6,
                     engine: str = "duckdb", diagnostics: list | None = None,
                     fixed_m: bool = False) -> Method:
    """The calibrated method: the exact normalised name places when it names one company;
    :func:`impact.places.linkage.place_links` ranks the rest, reading a payee both ways
    when it has two ("X T/A Y", "X LTD MONTON"), one candidate per company, placing at
    ``threshold`` bits (default :data:`impact.places.linkage.PLACE_BITS`) when clear of the
    runner-up.  Candidates carry ``evidence_bits``, ``clear`` and ``source``.  ``max_pairs``
    and ``engine`` as :func:`impact.places.linkage.place_links` (national size needs a
    budget proportionate to the names: :data:`impact.places.linkage.PAIRS_PER_NAME`); each
    run's :class:`impact.places.linkage.LinkDiagnostics` is appended to ``diagnostics``.
    ``fixed_m``: the calibrated model as it stands (fixed m and u, as cross-council linkage
    and the premises use it) instead of u sampled from the run's own names."""
    from impact.ingest.names import normalise_names, split_trading_as
    from impact.places.linkage import PLACE_BITS, place_links

    cut = PLACE_BITS if threshold is None else threshold

    def method(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
        t0 = time.perf_counter()
        ln = left.assign(name_norm=normalise_names(left["name"]))
        rn = right.assign(name_norm=normalise_names(right["name"]))
        exact = _exact(ln, rn).assign(match_probability=1.0, evidence_bits=np.inf, clear=True,
                                      source="exact")
        _log.info("linkage normalising and exact names: %.1f s (%s exact of %s)",
                  time.perf_counter() - t0, f"{len(exact):,}", f"{len(ln):,}")
        rest = ln[~ln["key"].isin(exact["left_key"])].dropna(subset=["name_norm"])
        # "X T/A Y" read as Y (X has no legal form, so Y names the business) is read as X
        # too; "X LTD T/A Y" is X, the registered company, and Y no second reading.
        parts = split_trading_as(rest["name"])
        read_y = parts["trading_name"] == rest["name_norm"]
        rest = rest.assign(name_alt=parts["legal_name"].where(read_y),
                           name_hint=parts["trading_name"].where(~read_y))
        reg = rn.dropna(subset=["name_norm"]).rename(columns={"company_number": "entity"})
        links, diag = place_links(rest[["key", "name_norm", "name_alt", "name_hint"]],
                                  reg[["key", "name_norm", "entity"]], threshold=cut,
                                  max_pairs=max_pairs, engine=engine, fixed_m=fixed_m)
        if diagnostics is not None:
            diagnostics.append(diag)
        model = links.assign(source="model")
        return pd.concat([exact, model], ignore_index=True)

    return method


def choose_threshold(left: pd.DataFrame, right: pd.DataFrame, candidates: pd.DataFrame,
                     target: float = 0.98) -> float:
    """The least evidence (bits) at which placing the model's clear best links keeps the
    precision of every placement of ``left``'s names (the exact ones too) at or above
    ``target``; infinity when none does.  ``candidates``: :func:`exact_then_model`'s output
    run with nothing placed by the model (an infinite threshold), on ``left``."""
    c = candidates[candidates["left_key"].isin(left["key"])]
    c = c.assign(ok=_is_right(left, right, c))
    exact = c[(c["source"] == "exact") & c["placed"].astype(bool)]
    model = c[(c["source"] == "model") & (c["rank"] == 1) & c["clear"].astype(bool)
              & c["may_place"].astype(bool)]
    model = model.sort_values("evidence_bits", ascending=False)
    right_n = exact["ok"].sum() + np.cumsum(model["ok"].to_numpy())
    precision = right_n / (len(exact) + np.arange(1, len(model) + 1))
    bits = model["evidence_bits"].to_numpy()
    good = [i for i in range(len(bits))
            if precision[i] >= target and (i + 1 == len(bits) or bits[i + 1] < bits[i])]
    return float(bits[good[-1]]) if good else float("inf")


def _is_right(left: pd.DataFrame, right: pd.DataFrame, c: pd.DataFrame) -> np.ndarray:
    """True where a candidate's register row is the left name's company."""
    number = right.set_index("key")["company_number"]
    truth = left.set_index("key")["truth"]
    ok = (pd.Series(number.reindex(c["right_key"]).to_numpy(), dtype="string")
          == pd.Series(truth.reindex(c["left_key"]).to_numpy(), dtype="string"))
    return ok.fillna(False).astype(bool).to_numpy()


def measure_m(evalset: EvalSet, half: str = "tune") -> list[float]:
    """m per name level (:func:`impact.places.linkage.name_levels`, then "else") measured on
    one half's labelled true pairs, each at its best level against its company's register
    rows, counts + 0.5: how :data:`impact.places.linkage.FIXED_M` was made."""
    from impact.ingest.names import normalise_names
    from impact.places.linkage import name_levels, pair_levels

    left = evalset.left[(evalset.left["half"] == half) & evalset.left["truth"].notna()]
    ln = pd.DataFrame({"key": left["key"], "name_norm": normalise_names(left["name"])})
    rn = evalset.right.assign(name_norm=normalise_names(evalset.right["name"]))
    ln, rn = ln.dropna(subset=["name_norm"]), rn.dropna(subset=["name_norm"])
    pairs = left[["key", "truth"]].merge(rn[["key", "company_number"]], left_on="truth",
                                         right_on="company_number", suffixes=("_l", "_r"))
    pairs = pairs.rename(columns={"key_l": "left_key", "key_r": "right_key"})
    pairs["level"] = pair_levels(ln, rn[["key", "name_norm"]],
                                 pairs[["left_key", "right_key"]]).to_numpy()
    n_levels = len(name_levels()) + 1
    best = pairs.dropna(subset=["level"]).groupby("left_key")["level"].min()
    counts = best.value_counts().reindex(range(n_levels), fill_value=0).to_numpy() + 0.5
    return [float(c) for c in counts / counts.sum()]
