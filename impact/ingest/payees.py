"""One supplier per payee: the vendor IDs a council prints for one payee, made one.

Finance systems pad and re-key their vendor IDs: one file prints "014031", the next
"14031" (or "14031.0" after a spreadsheet); a payee set up twice has two IDs under one
name ("PEABODY TRUST" twice, £105m in all).  Counted as two suppliers, the payee's spend
is split, its rank in the work queue halved and its place found twice or not at all.

The rule, per council, over every row at once:

* an ID that names one payee — its main normalised name on at least
  :data:`MAIN_NAME_SHARE` of its rows, not a redaction marker — is that payee's;
* IDs of one payee's name are one supplier ("the same name under two IDs");
* IDs equal once leading zeros, padding and a spreadsheet's ".0" are gone are one supplier
  when their names agree (:data:`NAMES_AGREE`, order-free), whatever else differs;
* rows with no ID whose name is such a payee's join it;
* an ID shared by many names (a card file's one "PCARD" vendor, a one-off vendor) is
  never merged with anything.

The supplier then goes by the ID with the most rows, and says why its other IDs were
merged into it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from impact.ingest.names import REDACTED

#: An ID names one payee when this share of its rows carry its main name.
MAIN_NAME_SHARE = 0.8
#: Two names agree (rapidfuzz token-set ratio) at or above this, for IDs equal but for
#: padding.
NAMES_AGREE = 90


def bare_ids(ids: pd.Series) -> pd.Series:
    """IDs as compared: upper case, spaces and a spreadsheet's ".0" gone, leading zeros
    dropped ("014031" → "14031", " 00A12 " → "A12"; "000" → "0")."""
    s = ids.astype("string").str.strip().str.upper().str.replace(r"\s+", "", regex=True)
    s = s.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    bare = s.str.lstrip("0")
    return bare.where(bare.fillna("") != "", s.where(s.fillna("") == "", "0"))


def one_id_per_payee(
    council: pd.Series, supplier_id: pd.Series, name_norm: pd.Series
) -> pd.DataFrame:
    """Per row (same index): ``supplier_id``, the ID the row's payee goes by (NA where the
    payee has none), and ``id_merge``, why other IDs were merged into it (NA when none)."""
    rows = pd.DataFrame({
        "c": council.astype("string").fillna(""),
        "id": supplier_id.astype("string").str.strip().replace("", pd.NA),
        "n": name_norm.astype("string").str.strip().replace("", pd.NA),
    }, index=supplier_id.index)
    ids = _ids_of(rows)
    if ids.empty:
        return pd.DataFrame({"supplier_id": rows["id"],
                             "id_merge": pd.Series(pd.NA, index=rows.index, dtype="string")})
    merged = _merged(ids)
    by_id = rows[["c", "id"]].merge(merged, on=["c", "id"], how="left")
    out_id = by_id["to"].astype("string").fillna(rows["id"].reset_index(drop=True))
    reason = by_id["why"].astype("string")
    no_id = rows["id"].isna().to_numpy()
    if no_id.any():
        named = _by_main_name(merged, ids)
        hit = rows.loc[no_id, ["c", "n"]].merge(named, on=["c", "n"], how="left")
        out_id[no_id] = hit["to"].astype("string").to_numpy()
        reason[no_id] = hit["why_name"].astype("string").to_numpy()
    return pd.DataFrame({"supplier_id": out_id.astype("string").to_numpy(),
                         "id_merge": reason.astype("string").to_numpy()}, index=rows.index)


def _ids_of(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (council, ID): rows, main name and its share, bare ID, one payee's."""
    with_id = rows.dropna(subset=["id"])
    counts = with_id.groupby(["c", "id", "n"], dropna=False, sort=False).size().rename("k")
    counts = counts.reset_index().sort_values(["c", "id", "k"], ascending=[True, True, False],
                                              kind="stable")
    total = counts.groupby(["c", "id"], sort=False)["k"].transform("sum")
    top = counts.assign(rows=total).drop_duplicates(["c", "id"])
    top["share"] = top["k"] / top["rows"]
    top["bare"] = bare_ids(top["id"]).to_numpy()
    top["payee"] = (top["share"] >= MAIN_NAME_SHARE) & top["n"].notna() & (top["n"] != REDACTED)
    return top.reset_index(drop=True)


def _merged(ids: pd.DataFrame) -> pd.DataFrame:
    """(council, ID) → the ID its payee goes by (``to``) and why (``why``), for the IDs
    merged into another; the others are not listed."""
    payees = ids[ids["payee"]]
    group = _groups(payees)
    if group is None:
        return pd.DataFrame(columns=["c", "id", "to", "why"], dtype="string")
    payees = payees.assign(g=group)
    sizes = payees.groupby("g")["id"].transform("size")
    payees = payees[sizes > 1].sort_values(["g", "rows", "id"], ascending=[True, False, True])
    lead = payees.groupby("g").agg(to=("id", "first"), ids=("id", list), bares=("bare", list))
    lead["why"] = [_why(i, b) for i, b in zip(lead["ids"], lead["bares"], strict=True)]
    out = payees[["c", "id", "g"]].merge(lead[["to", "why"]], left_on="g", right_index=True)
    return out.drop(columns="g").reset_index(drop=True)


def _groups(payees: pd.DataFrame) -> np.ndarray | None:
    """A group number per payee ID: one per council and main name, IDs equal but for
    padding joined when their names agree (union-find over the few such pairs)."""
    if payees.empty:
        return None
    frame = payees.reset_index(drop=True)
    parent = _first_of_group(pd.factorize(pd.MultiIndex.from_frame(frame[["c", "n"]]))[0])

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    padded = frame[frame.duplicated(["c", "bare"], keep=False)]  # IDs sharing a bare ID
    for _, same in padded.groupby(["c", "bare"], sort=False):
        idx = same.index.to_list()
        for a in idx:
            for b in idx:
                agree = fuzz.token_set_ratio(frame.at[a, "n"], frame.at[b, "n"]) >= NAMES_AGREE
                if a < b and agree:
                    parent[root(a)] = root(b)
    return np.array([root(i) for i in range(len(parent))])


def _first_of_group(codes: np.ndarray) -> list[int]:
    """Union-find parents: each row points at the first row of its group."""
    first: dict[int, int] = {}
    return [first.setdefault(int(code), i) for i, code in enumerate(codes)]


def _why(ids: list[str], bares: list[str]) -> str:
    """Why these IDs are one supplier, in words."""
    shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    if len(set(bares)) == 1:
        return f"IDs {shown}: one ID written with and without leading zeros"
    return f"the same name under IDs {shown}"


def _by_main_name(merged: pd.DataFrame, ids: pd.DataFrame) -> pd.DataFrame:
    """(council, name) → the ID a payee of that main name goes by, for rows with no ID."""
    payees = ids[ids["payee"]][["c", "id", "n"]]
    to = payees.merge(merged[["c", "id", "to"]], on=["c", "id"], how="left")
    to["to"] = to["to"].fillna(to["id"])
    unique = to.drop_duplicates(["c", "n", "to"]).drop_duplicates(["c", "n"], keep=False)
    return unique.assign(
        why_name="the same name, also paid without an ID"
    )[["c", "n", "to", "why_name"]]
