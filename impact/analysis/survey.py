"""Supplier survey (LM3 round 3): template, parsing, and each supplier's local re-spend share.

Why: priors are guesses; nef's LM3 method measures round 3 by asking the suppliers.  A
council that surveys even its twenty largest local suppliers replaces the largest priors.

Template (CSV, UTF-8, one row per supplier; header exactly as below, extra columns kept)::

    supplier_key,supplier_id,supplier_name,wage_share_pct,local_staff_pct,local_purchase_pct,purchase_share_pct

- ``supplier_key`` / ``supplier_id`` / ``supplier_name``: any one identifies the supplier
  (tried in that order; names are compared after :func:`impact.names.normalise_names`).
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

import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from impact.ingest.names import normalise_names

ID_COLUMNS = ("supplier_key", "supplier_id", "supplier_name")
ANSWER_COLUMNS = ("wage_share_pct", "local_staff_pct", "local_purchase_pct", "purchase_share_pct")
TEMPLATE_COLUMNS = (*ID_COLUMNS, *ANSWER_COLUMNS)


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


def _pct(v: pd.Series) -> pd.Series:
    t = v.astype("string").str.strip().str.rstrip("%").str.strip().replace("", pd.NA)
    return pd.to_numeric(t, errors="coerce").astype("Float64").astype("float64")


def parse_survey(
    source: str | os.PathLike[str] | bytes | pd.DataFrame, suppliers: pd.DataFrame
) -> SurveyResult:
    """Read a survey (path, bytes of a CSV upload, or a frame) and match it to ``suppliers``.

    ``suppliers`` needs ``supplier_key`` and ideally ``supplier_id``, ``supplier_name_norm``.
    Every row is accepted or rejected with a reason; a supplier answered twice keeps its
    last row (the earlier is rejected as superseded).
    """
    if isinstance(source, pd.DataFrame):
        raw = source.copy()
    else:
        data = io.BytesIO(source) if isinstance(source, bytes) else source
        try:
            raw = pd.read_csv(data, dtype="string", encoding="utf-8-sig", skip_blank_lines=True)
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"could not read the survey CSV: {exc}") from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    need = ("wage_share_pct", "local_staff_pct", "local_purchase_pct")
    missing = [c for c in need if c not in raw.columns]
    if missing or not any(c in raw.columns for c in ID_COLUMNS):
        raise ValueError(
            "survey header must include one of supplier_key/supplier_id/supplier_name and "
            f"{', '.join(need)} (missing: {', '.join(missing) or 'an id column'})"
        )
    n = len(raw)
    reason = pd.Series(pd.NA, index=raw.index, dtype="string")
    key = _match(raw, suppliers)
    reason[key.isna()] = "supplier not found among this council's suppliers"
    ans = {
        c: _pct(raw[c]) if c in raw else pd.Series(np.nan, index=raw.index) for c in ANSWER_COLUMNS
    }
    given = pd.DataFrame(ans)
    blank = given[list(need)].isna().any(axis=1)
    reason[reason.isna() & blank] = "missing or non-numeric answer (need the three % columns)"
    out_of_range = ((given < 0) | (given > 100)).any(axis=1)
    reason[reason.isna() & out_of_range] = "a percentage is outside 0–100"
    vals = given[list(need)]
    fractional = (vals <= 1).all(axis=1) & (vals % 1 != 0).any(axis=1)
    reason[reason.isna() & fractional] = "answers look like fractions (0–1); give percentages 0–100"
    purchase = given["purchase_share_pct"].fillna(100 - given["wage_share_pct"])
    over = (given["wage_share_pct"] + purchase) > 100 + 1e-9
    reason[reason.isna() & over] = "wage share + purchase share exceed 100% of turnover"
    ok = reason.isna()
    dup = ok & key.where(ok).duplicated(keep="last") & key.notna()
    reason[dup] = "superseded by a later row for the same supplier"
    ok = reason.isna()
    f = given.loc[ok] / 100.0
    p = purchase.loc[ok] / 100.0
    shares = pd.DataFrame(
        {
            "supplier_key": key[ok].astype("string"),
            "wage_share": f["wage_share_pct"],
            "local_staff_share": f["local_staff_pct"],
            "purchase_share": p,
            "local_purchase_share": f["local_purchase_pct"],
        }
    )
    shares["respend_share"] = (
        shares["wage_share"] * shares["local_staff_share"]
        + shares["purchase_share"] * shares["local_purchase_share"]
    )
    rejected = pd.DataFrame({"row": raw.index[~ok] + 2, "reason": reason[~ok].astype("string")})
    notes = []
    if given["purchase_share_pct"].isna().any():
        notes.append("blank purchase_share_pct taken as 100 − wage_share_pct (an upper bound)")
    res = SurveyResult(shares.reset_index(drop=True), rejected.reset_index(drop=True), n, notes)
    assert len(res.shares) + len(res.rejected) == n
    return res


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
