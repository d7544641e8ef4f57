"""Re-spend priors: what share of the money a supplier receives it spends again locally.

Councils rarely have round-3 supplier surveys, so the LM3 model falls back on these
priors.  They are a plain table (one row per supplier class × SIC section) so the app can
show it in ``st.data_editor`` and save a council's own version.  Every row carries its
source; ``published`` is False where the figure is a judgement, and says so.

Columns
-------
recipient : ``local`` (re-spend by a local supplier, used in R3) or ``non_local``
    (local re-spend by a supplier outside the area: the "£0.36" comparison only).
supplier_class : ``company``, ``vcse``, ``public_body``, ``individual_redacted``,
    ``unknown``, ``staff`` (council employees' wages) or ``*`` (any).
sic_section : SIC 2007 section letter A–U, or ``*`` (any / not known).
low, central, high : shares 0–1 (a triangular distribution in the Monte Carlo).
published : True when ``central`` is a published figure.
source : where the figure comes from (publication and URL, or "judgement: ...").

Lookup precedence: exact (class, section) → (class, ``*``) → (``*``, section) → (``*``, ``*``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from impact.core.atomic import atomic_write_text

PRIOR_COLUMNS = (
    "recipient",
    "supplier_class",
    "sic_section",
    "low",
    "central",
    "high",
    "published",
    "source",
)
ANY = "*"

NEF_NORTHUMBERLAND = (
    "NEF (New Economics Foundation) LM3 study for Northumberland County Council, press release "
    "7 March 2005: local suppliers re-spent 76% of contract income locally, non-local "
    "suppliers 36% (https://www.lm3online.com/about; "
    "https://sustainablehackney.org.uk/page/buying-local-worth-400-more)"
)
_J = "judgement (not published): "

_ROWS: list[tuple[str, str, str, float, float, float, bool, str]] = [
    (
        "local",
        ANY,
        ANY,
        0.40,
        0.76,
        0.85,
        True,
        NEF_NORTHUMBERLAND + "; the low/high range is a judgement: one study, one county",
    ),
    (
        "non_local",
        ANY,
        ANY,
        0.15,
        0.36,
        0.50,
        True,
        NEF_NORTHUMBERLAND + "; the low/high range is a judgement",
    ),
    (
        "local",
        "vcse",
        ANY,
        0.50,
        0.76,
        0.90,
        False,
        _J + "voluntary and community organisations mostly employ and buy near where they work; "
        "central taken from the NEF Northumberland local-supplier figure",
    ),
    (
        "local",
        "company",
        "G",
        0.20,
        0.40,
        0.60,
        False,
        _J + "wholesale and retail turnover mostly pays for goods made elsewhere; only wages "
        "and a small margin stay",
    ),
    (
        "local",
        "company",
        "C",
        0.20,
        0.40,
        0.60,
        False,
        _J + "manufacturers buy materials from national supply chains",
    ),
    (
        "local",
        "company",
        "D",
        0.05,
        0.15,
        0.30,
        False,
        _J + "energy suppliers: fuel and network costs leave the area",
    ),
    (
        "local",
        "company",
        "F",
        0.40,
        0.60,
        0.80,
        False,
        _J + "construction: labour-intensive, local subcontractors, materials bought nationally",
    ),
    (
        "local",
        "company",
        "Q",
        0.50,
        0.70,
        0.85,
        False,
        _J + "health and social care: wages are most of turnover and staff usually live nearby",
    ),
    (
        "local",
        "company",
        "I",
        0.40,
        0.60,
        0.80,
        False,
        _J + "accommodation and food: local staff, part local produce",
    ),
    (
        "local",
        "company",
        "J",
        0.20,
        0.40,
        0.60,
        False,
        _J + "information and communication: licences and platforms bought nationally",
    ),
    (
        "local",
        "company",
        "K",
        0.10,
        0.25,
        0.45,
        False,
        _J + "finance and insurance: turnover flows to national balance sheets",
    ),
    (
        "local",
        "company",
        "M",
        0.30,
        0.50,
        0.70,
        False,
        _J + "professional services: wage-heavy, staff may commute from outside",
    ),
    (
        "local",
        "company",
        "N",
        0.35,
        0.55,
        0.75,
        False,
        _J + "administrative and support services (cleaning, security, agency staff): wage-heavy",
    ),
    (
        "local",
        "public_body",
        ANY,
        0.30,
        0.55,
        0.76,
        False,
        _J + "other public bodies' own local wages and purchases; excluded from R1 by default",
    ),
    (
        "local",
        "staff",
        ANY,
        0.25,
        0.40,
        0.55,
        False,
        _J + "share of a local employee's pay spent in local shops and services (after tax, "
        "housing costs and online/national retail); replace with a staff survey",
    ),
]


def default_priors() -> pd.DataFrame:
    """The shipped priors table (see module docstring for columns and sources)."""
    df = pd.DataFrame(_ROWS, columns=list(PRIOR_COLUMNS))
    return validate_priors(df)


def validate_priors(df: pd.DataFrame) -> pd.DataFrame:
    """Check and tidy an (edited) priors table; a one-line ``ValueError`` when it is unusable.

    Needs a (``*``, ``*``) row for each recipient used (``local`` at least), so every
    supplier has a prior; shares must satisfy 0 ≤ low ≤ central ≤ high ≤ 1.
    """
    missing = [c for c in PRIOR_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"priors table lacks column(s) {', '.join(missing)}")
    out = df.loc[:, list(PRIOR_COLUMNS)].copy()
    for c in ("recipient", "supplier_class", "sic_section", "source"):
        out[c] = out[c].astype("string").str.strip().fillna(ANY if c != "source" else "")
    out["sic_section"] = out["sic_section"].str.upper().replace("", ANY)
    out["supplier_class"] = out["supplier_class"].replace("", ANY)
    for c in ("low", "central", "high"):
        out[c] = pd.to_numeric(out[c], errors="coerce")
    bad = out[["low", "central", "high"]].isna().any(axis=1)
    bad |= ~((out["low"] >= 0) & (out["low"] <= out["central"]) & (out["central"] <= out["high"]))
    bad |= out["high"] > 1
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"priors row {i + 1}: need 0 ≤ low ≤ central ≤ high ≤ 1 "
            f"(got {out.loc[out.index[i], ['low', 'central', 'high']].tolist()})"
        )
    out["published"] = out["published"].fillna(False).astype(bool)
    bad_rec = ~out["recipient"].isin(["local", "non_local"])
    if bad_rec.any():
        raise ValueError(
            "priors recipient must be local or non_local, not "
            f"{out['recipient'][bad_rec].iloc[0]!r}"
        )
    dup = out.duplicated(["recipient", "supplier_class", "sic_section"], keep="last")
    if dup.any():
        r = out[dup].iloc[0]
        raise ValueError(
            f"priors has two rows for {r.recipient}/{r.supplier_class}/{r.sic_section}"
        )
    fallback = (out["recipient"] == "local") & (out["supplier_class"] == ANY)
    if not (fallback & (out["sic_section"] == ANY)).any():
        raise ValueError("priors needs a fallback row: recipient local, class *, section *")
    return out.reset_index(drop=True)


def save_priors(path: str | os.PathLike[str], df: pd.DataFrame) -> Path:
    """Validate and write the table as CSV atomically (:mod:`impact.core.atomic`); return the
    path."""
    df = validate_priors(df)
    return atomic_write_text(path, df.to_csv(index=False, lineterminator="\n"))


def load_priors(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """A saved priors table, or the defaults when ``path`` is None or does not exist."""
    if path is None or not Path(path).is_file():
        return default_priors()
    return validate_priors(pd.read_csv(path, dtype={"sic_section": "string"}))


def matching_priors(
    priors: pd.DataFrame,
    supplier_class: pd.Series,
    sic_section: pd.Series,
    recipient: str = "local",
) -> pd.DataFrame:
    """The prior row index for each (class, section) pair, by the documented precedence.

    Returns a frame aligned with the inputs: ``prior_row`` (index into ``priors``),
    ``low``, ``central``, ``high``, ``published``, ``source``.
    """
    p = priors[priors["recipient"] == recipient]
    if p.empty:
        p = priors[priors["recipient"] == "local"]
    cls = supplier_class.astype("string").fillna("unknown").to_numpy(dtype=object)
    sec = sic_section.astype("string").fillna(ANY).to_numpy(dtype=object)
    keys = {
        (r.supplier_class, r.sic_section): i for i, r in zip(p.index, p.itertuples(), strict=True)
    }
    fb = keys.get((ANY, ANY))
    if fb is None:
        fb = int(
            priors.index[
                (priors["supplier_class"] == ANY)
                & (priors["sic_section"] == ANY)
                & (priors["recipient"] == "local")
            ][0]
        )
    pairs = pd.DataFrame({"c": cls, "s": sec}).drop_duplicates()
    pick = {}
    for c, s in pairs.itertuples(index=False):  # unique (class, section) pairs: a handful
        for k in ((c, s), (c, ANY), (ANY, s), (ANY, ANY)):
            if k in keys:
                pick[(c, s)] = keys[k]
                break
        else:
            pick[(c, s)] = fb
    pairs["row"] = [pick[(c, s)] for c, s in pairs.itertuples(index=False)]
    both = pd.DataFrame({"c": cls, "s": sec}).merge(pairs, on=["c", "s"], how="left")
    idx = both["row"].to_numpy(dtype=np.int64)
    out = priors.loc[idx, ["low", "central", "high", "published", "source"]].reset_index()
    out = out.rename(columns={"index": "prior_row"})
    out.index = supplier_class.index
    return out
