"""Supplier survey (LM3 round 3): template, parsing, and each supplier's local re-spend share.

Why: priors are guesses; nef's LM3 method measures round 3 by asking the suppliers.  A
council that surveys even its twenty largest local suppliers replaces the largest priors.

Template (CSV, UTF-8, one row per supplier; headed as below or in the words of
:data:`HEADER_WORDS`, as the download writes it; extra columns kept)::

    supplier_key,supplier_id,supplier_name,wage_share_pct,local_staff_pct,local_purchase_pct,purchase_share_pct

- ``supplier_key`` / ``supplier_id`` / ``supplier_name``: any one identifies the supplier
  (tried in that order; names are compared after :func:`impact.ingest.names.normalise_names`).
- ``wage_share_pct``: wage bill as % of the supplier's turnover (0–100).
- ``local_staff_pct``: % of those wages paid to staff living in the local area (0–100).
- ``local_purchase_pct``: % of the supplier's own purchases bought from local suppliers.
- ``purchase_share_pct`` (optional): purchases as % of turnover; blank means
  ``100 − wage_share_pct`` (everything that is not wages treated as purchases — an upper
  bound, because profit, tax and rent are in that remainder).

Combination (nef, *The Money Trail*, 2002: round 3 is what round-2 recipients spend
locally, on local staff and local suppliers)::

    local re-spend share = wage_share × local_staff_share + purchase_share × local_purchase_share

all as fractions of the supplier's turnover, so the council's £ paid to the supplier
yields that share in round 3.  Percentages, not fractions: a row whose every answer is ≤ 1
with a decimal (e.g. 0.6) is rejected as "looks like fractions" rather than guessed at.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from impact.ingest.columns import norm_header
from impact.ingest.names import normalise_names
from impact.ingest.tables import read_csv

ID_COLUMNS = ("supplier_key", "supplier_id", "supplier_name")
ANSWER_COLUMNS = ("wage_share_pct", "local_staff_pct", "local_purchase_pct", "purchase_share_pct")
#: Answers every row needs (a blank purchase share has a default).
REQUIRED_ANSWERS = ANSWER_COLUMNS[:3]
TEMPLATE_COLUMNS = (*ID_COLUMNS, *ANSWER_COLUMNS)
#: Each template column's header in words: the download writes these (through
#: :mod:`impact.outputs.labels`), and the importer reads them and the column names alike.
HEADER_WORDS: dict[str, str] = {
    "supplier_key": "Supplier reference (leave as it is)",
    "supplier_id": "Vendor number",
    "supplier_name": "Supplier",
    "wage_share_pct": "Wages as % of turnover",
    "local_staff_pct": "% of wages paid to staff living locally",
    "local_purchase_pct": "% of purchases from local suppliers",
    "purchase_share_pct": "Purchases as % of turnover",
}


def survey_template(suppliers: pd.DataFrame | None = None, top: int = 50) -> pd.DataFrame:
    """A blank survey: the ``top`` suppliers by spend (local ones first) or just the header."""
    if suppliers is None or suppliers.empty:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in TEMPLATE_COLUMNS})
    s = suppliers.copy()
    order = ["spend"] if "spend" in s else []
    if "local_status" in s:
        s["_l"] = (s["local_status"].astype("string") == "local").fillna(False)
        order = ["_l", *order]
    s = s.sort_values(order, ascending=False).head(top) if order else s.head(top)
    out = pd.DataFrame({c: s[c].astype("string") if c in s else pd.NA for c in ID_COLUMNS})
    for c in ANSWER_COLUMNS:
        out[c] = pd.Series(pd.NA, index=out.index, dtype="string")
    return out.reset_index(drop=True)


@dataclass
class SurveyResult:
    """Parsed survey answers.

    Attributes
    ----------
    shares : one row per accepted answer: ``supplier_key``, ``respend_share`` (0–1, the
        combination in the module docstring) and the four answers as fractions.
    rejected : one row per input row not used: ``row`` (1-based, header = 1), ``reason``.
    rows_in : data rows read; ``len(shares) + len(rejected) == rows_in``.
    """

    shares: pd.DataFrame
    rejected: pd.DataFrame
    rows_in: int
    notes: list[str] = field(default_factory=list)


def _percentages(v: pd.Series) -> pd.Series:
    """Answers as the percentages typed (``40`` and ``40%`` are both 40); NaN if not a number.

    Not :func:`impact.core.values.parse_numbers`: that reads ``40%`` as the share 0.4, and
    the survey asks for percentages 0–100.
    """
    t = v.astype("string").str.strip().str.rstrip("%").str.strip().replace("", pd.NA)
    return pd.to_numeric(t, errors="coerce").astype("Float64").astype("float64")


def parse_survey(
    source: str | os.PathLike[str] | bytes | pd.DataFrame, suppliers: pd.DataFrame
) -> SurveyResult:
    """Read a survey (path, bytes of a CSV upload, or a frame) and match it to ``suppliers``.

    ``suppliers`` needs ``supplier_key`` and ideally ``supplier_id``, ``supplier_name_norm``.
    Every row is accepted or rejected with a reason; a supplier answered twice keeps its
    last row (the earlier is rejected as superseded).

    Steps: read the answers → match each row to a supplier → the first reason each row
    cannot be used → nef's combination for the rows kept.
    """
    raw = _read_answers(source)
    key = _match(raw, suppliers)
    answers = _Answers.of(raw)
    reason = _rejections(key, answers)
    ok = reason.isna()
    rejected = pd.DataFrame({"row": raw.index[~ok] + 2, "reason": reason[~ok].astype("string")})
    notes = []
    if answers.given["purchase_share_pct"].isna().any():
        notes.append(f"blank “{HEADER_WORDS['purchase_share_pct']}” taken as 100 − “"
                     f"{HEADER_WORDS['wage_share_pct']}” (an upper bound)")
    res = SurveyResult(
        _respend_shares(key, answers, ok), rejected.reset_index(drop=True), len(raw), notes
    )
    assert len(res.shares) + len(res.rejected) == len(raw)
    return res


def _read_answers(source: str | os.PathLike[str] | bytes | pd.DataFrame) -> pd.DataFrame:
    """The survey's cells as text, headers lower-case; one ValueError line when the file
    cannot be read or lacks the columns every row needs.

    Through :func:`impact.ingest.tables.read_csv`, the one decoder: a survey saved from
    Excel (cp1252) or as UTF-16 reads as a UTF-8 one does.
    """
    if isinstance(source, pd.DataFrame):
        raw = source.copy()
    else:
        try:
            raw = read_csv(
                source if isinstance(source, bytes) else Path(source),
                keep_default_na=True,
                skip_blank_lines=True,
            )
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"could not read the survey CSV: {exc}") from None
    names = {norm_header(h): c for c, words in HEADER_WORDS.items() for h in (c, words)}
    raw.columns = [names.get(norm_header(c), str(c).strip().lower()) for c in raw.columns]
    missing = [c for c in REQUIRED_ANSWERS if c not in raw.columns]
    if missing or not any(c in raw.columns for c in ID_COLUMNS):
        raise ValueError(
            "survey header must include one of supplier_key/supplier_id/supplier_name and "
            f"{', '.join(REQUIRED_ANSWERS)} (missing: {', '.join(missing) or 'an id column'})"
        )
    return raw


@dataclass(frozen=True)
class _Answers:
    """Each row's answers as percentages (``given``, NaN where blank or not a number) and
    its purchase share: as given, else ``100 − wage_share_pct`` (an upper bound)."""

    given: pd.DataFrame
    purchase: pd.Series

    @classmethod
    def of(cls, raw: pd.DataFrame) -> _Answers:
        blank = pd.Series(np.nan, index=raw.index)
        given = pd.DataFrame(
            {c: _percentages(raw[c]) if c in raw else blank for c in ANSWER_COLUMNS}
        )
        return cls(given, given["purchase_share_pct"].fillna(100 - given["wage_share_pct"]))


def _rejections(key: pd.Series, answers: _Answers) -> pd.Series:
    """Why each row cannot be used (NA: it can).  The checks run in order and the first
    that fails is the reason, so a row is rejected once, for its most basic fault; a
    supplier answering twice keeps its last usable row."""
    given, required = answers.given, answers.given[list(REQUIRED_ANSWERS)]
    checks = [
        (key.isna(), "supplier not found among this council's suppliers"),
        (required.isna().any(axis=1), "missing or non-numeric answer (need the three % columns)"),
        (((given < 0) | (given > 100)).any(axis=1), "a percentage is outside 0–100"),
        (
            (required <= 1).all(axis=1) & (required % 1 != 0).any(axis=1),
            "answers look like fractions (0–1); give percentages 0–100",
        ),
        (
            (given["wage_share_pct"] + answers.purchase) > 100 + 1e-9,
            "wage share + purchase share exceed 100% of turnover",
        ),
    ]
    reason = pd.Series(pd.NA, index=key.index, dtype="string")
    for failed, why in checks:
        reason[reason.isna() & failed] = why
    ok = reason.isna()
    reason[ok & key.where(ok).duplicated(keep="last") & key.notna()] = (
        "superseded by a later row for the same supplier"
    )
    return reason


def _respend_shares(key: pd.Series, answers: _Answers, ok: pd.Series) -> pd.DataFrame:
    """nef's combination for the rows kept: wage share × local staff share + purchase share
    × local purchase share, all as fractions of the supplier's turnover."""
    fractions = answers.given.loc[ok] / 100.0
    shares = pd.DataFrame(
        {
            "supplier_key": key[ok].astype("string"),
            "wage_share": fractions["wage_share_pct"],
            "local_staff_share": fractions["local_staff_pct"],
            "purchase_share": answers.purchase.loc[ok] / 100.0,
            "local_purchase_share": fractions["local_purchase_pct"],
        }
    )
    shares["respend_share"] = (
        shares["wage_share"] * shares["local_staff_share"]
        + shares["purchase_share"] * shares["local_purchase_share"]
    )
    return shares.reset_index(drop=True)


def _match(raw: pd.DataFrame, suppliers: pd.DataFrame) -> pd.Series:
    """Each survey row's ``supplier_key``: by key, then supplier_id, then normalised name."""
    key = pd.Series(pd.NA, index=raw.index, dtype="string")
    known = pd.Index(suppliers["supplier_key"].astype("string"))
    if "supplier_key" in raw:
        k = raw["supplier_key"].astype("string").str.strip()
        key = key.fillna(k.where(k.isin(known)))
    if "supplier_id" in raw and "supplier_id" in suppliers:
        m = suppliers.dropna(subset=["supplier_id"]).drop_duplicates("supplier_id")
        ids = pd.Series(
            m["supplier_key"].astype("string").to_numpy(),
            index=m["supplier_id"].astype("string").str.strip(),
        )
        key = key.fillna(raw["supplier_id"].astype("string").str.strip().map(ids))
    if "supplier_name" in raw:
        col = "supplier_name_norm" if "supplier_name_norm" in suppliers else "supplier_name"
        norm = suppliers[col].astype("string")
        if col == "supplier_name":
            norm = normalise_names(norm)
        m = pd.DataFrame({"n": norm, "k": suppliers["supplier_key"].astype("string")})
        m = m.dropna().drop_duplicates("n", keep=False)  # ambiguous names are not matched
        names = pd.Series(m["k"].to_numpy(), index=m["n"].to_numpy())
        rn = normalise_names(raw["supplier_name"].astype("string"))
        key = key.fillna(rn.map(names))
    return key.astype("string")


def write_template(path: str | os.PathLike[str], suppliers: pd.DataFrame | None = None) -> Path:
    """Write :func:`survey_template` as CSV; return the path."""
    path = Path(path)
    survey_template(suppliers).to_csv(path, index=False)
    return path
