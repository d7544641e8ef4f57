"""The local supplier ethics charter: a scorecard per supplier, with its evidence.

The charter has seven points (good jobs, transparency, good business, understanding local
impact, carbon commitments, good training, high standards of practice).  Published spend
files say almost nothing about them, so the evidence comes from a **supplier-attributes
CSV** the council keeps, plus what the data already tells (Companies House status where a
reference register gives it, e.g. ``ch_status`` in the Lancashire taxonomy; concentration
of spend).  Every score is ``yes``, ``no`` or ``unknown`` — *unknown is never no*: a
supplier the council has not asked is not a supplier that failed.

Supplier-attributes CSV template (one row per supplier; headers are matched loosely, so
``Real Living Wage`` or ``rlw_accredited`` also work; blank = unknown)::

    supplier_id,company_number,supplier_name,real_living_wage,modern_slavery_statement,
    carbon_reduction_plan,net_zero_year,payment_days,apprentices,training_plan,
    local_hiring_share,social_value_committed,social_value_delivered,excluded,
    exclusion_reason,evidence_date,source

* ``supplier_id`` (the council's vendor number), ``company_number`` (Companies House) or
  ``supplier_name``: at least one; matched to the spend in that order (names normalised by
  :func:`impact.names.normalise_names`).
* yes/no fields (``real_living_wage``, ``modern_slavery_statement``,
  ``carbon_reduction_plan``, ``training_plan``, ``excluded``): Y/N, yes/no, true/false, 1/0.
* ``net_zero_year``: a year (2030 …); ``payment_days``: average days to pay its own
  suppliers; ``apprentices``: number of apprentices; ``local_hiring_share``: share of staff
  living locally (0–1 or a percentage); ``social_value_committed`` / ``_delivered``: £.

Rows without any identifier, and later duplicates of a supplier, are rejected with a
reason; cells that cannot be read become unknown and are listed in ``issues``; rows that
match no supplier in the spend are counted as unmatched.  Every input row is accounted for.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from impact.core.paths import council_file
from impact.core.values import clean_company_numbers, parse_numbers, parse_yes_no
from impact.ingest.names import normalise_names

YES, NO, UNKNOWN = "yes", "no", "unknown"
STATUSES = (YES, NO, UNKNOWN)

#: key → plain-English title of each charter point, in the charter's order.
POINTS: dict[str, str] = {
    "good_jobs": "Good jobs",
    "transparency": "Transparency",
    "good_business": "Good business",
    "local_impact": "Understanding local impact",
    "carbon": "Carbon commitments",
    "training": "Good training",
    "standards": "High standards of practice",
}
#: What "yes" means for each point (shown beside the scores and in the brief).
POINT_TESTS: dict[str, str] = {
    "good_jobs": "accredited Real Living Wage employer",
    "transparency": "publishes a modern slavery statement",
    "good_business": "pays its own suppliers within 30 days on average",
    "local_impact": "delivers the social value it committed to (at least 80 %), "
    "or at least half its staff live locally",
    "carbon": "has a carbon reduction plan with a net-zero date of 2050 or sooner",
    "training": "employs apprentices or has a training plan",
    "standards": "not excluded or debarred, and not dissolved or in liquidation",
}

TEMPLATE_COLUMNS = (
    "supplier_id",
    "company_number",
    "supplier_name",
    "real_living_wage",
    "modern_slavery_statement",
    "carbon_reduction_plan",
    "net_zero_year",
    "payment_days",
    "apprentices",
    "training_plan",
    "local_hiring_share",
    "social_value_committed",
    "social_value_delivered",
    "excluded",
    "exclusion_reason",
    "evidence_date",
    "source",
)
_FLAGS = ("real_living_wage", "modern_slavery_statement", "carbon_reduction_plan",
          "training_plan", "excluded")
_NUMBERS = ("net_zero_year", "payment_days", "apprentices", "local_hiring_share",
            "social_value_committed", "social_value_delivered")
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "supplier_id": ("supplierid", "vendorid", "vendornumber", "suppliernumber", "suppliercode",
                    "vendorcode", "creditorid"),
    "company_number": ("companynumber", "companyno", "chnumber", "companieshousenumber",
                       "crn", "companyregistrationnumber", "chcompanynumber"),
    "supplier_name": ("suppliername", "name", "supplier", "vendorname", "companyname"),
    "real_living_wage": ("reallivingwage", "rlw", "rlwaccredited", "livingwage",
                         "livingwageaccredited", "reallivingwageaccredited"),
    "modern_slavery_statement": ("modernslaverystatement", "modernslavery", "mss"),
    "carbon_reduction_plan": ("carbonreductionplan", "crp", "carbonplan"),
    "net_zero_year": ("netzeroyear", "netzerodate", "netzero", "netzerotarget"),
    "payment_days": ("paymentdays", "daystopay", "averagedaystopay", "paymentpractices"),
    "apprentices": ("apprentices", "apprenticeships", "numberofapprentices"),
    "training_plan": ("trainingplan", "training", "skillsplan"),
    "local_hiring_share": ("localhiringshare", "localhiring", "localstaffshare",
                           "localemployment", "sharestafflocal"),
    "social_value_committed": ("socialvaluecommitted", "svcommitted", "socialvaluepromised"),
    "social_value_delivered": ("socialvaluedelivered", "svdelivered"),
    "excluded": ("excluded", "debarred", "exclusion", "exclusionsdebarment", "debarment"),
    "exclusion_reason": ("exclusionreason", "debarmentreason"),
    "evidence_date": ("evidencedate", "asat", "dateverified", "lastchecked"),
    "source": ("source", "evidencesource"),
}
_TRUE = {"y", "yes", "true", "t", "1", "accredited", "published", "in place"}
_FALSE = {"n", "no", "false", "f", "0", "not accredited", "none"}
#: Companies House statuses that mean a company should no longer be trading normally.
CLOSED_STATUSES = ("dissolved", "liquidation", "receivership", "administration",
                   "insolvency", "converted-closed", "removed")
#: A supplier receiving at least this share of the spend is flagged as a concentration risk.
CONCENTRATION_SHARE = 0.05
PAYMENT_DAYS_TARGET = 30
NET_ZERO_LATEST = 2050
LARGE_SUPPLIER_GBP = 1_000_000
SYNTHETIC_NOTE = (
    "Synthetic demo attributes: generated by impact.charter.demo_attributes for the "
    "synthetic demo borough; no real supplier's practices are described."
)


class AttributesError(ValueError):
    """An attributes file that cannot be read at all (one line for the user)."""


@dataclass
class Attributes:
    """A parsed attributes file: ``table`` (canonical columns + ``row``), ``rejected``
    (row, reason), ``issues`` (row, field, value, reason: cells read as unknown)."""

    table: pd.DataFrame
    rejected: pd.DataFrame
    issues: pd.DataFrame
    rows_in: int
    source: str = ""
    synthetic: bool = False


def _key(text: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


def template_csv() -> str:
    """The header line of the attributes template (for a download button)."""
    return ",".join(TEMPLATE_COLUMNS) + "\n"


def read_attributes(source: str | os.PathLike[str] | bytes | pd.DataFrame,
                    name: str = "") -> Attributes:
    """Read a supplier-attributes CSV (path, bytes or a frame) into canonical columns."""
    if isinstance(source, pd.DataFrame):
        raw, label = source.astype("string"), name or "table"
    else:
        data = source if isinstance(source, bytes) else None
        label = name or ("upload" if data is not None else str(source))
        try:
            raw = None
            for enc in ("utf-8-sig", "cp1252"):
                try:
                    buf = io.BytesIO(data) if data is not None else source
                    raw = pd.read_csv(buf, dtype="string", keep_default_na=False,
                                      encoding=enc, skip_blank_lines=True)
                    break
                except UnicodeDecodeError:
                    continue
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise AttributesError(f"cannot read the attributes file {label}: "
                                  f"{str(exc).splitlines()[0]}") from None
        if raw is None:
            raise AttributesError(f"cannot decode the attributes file {label}")
    lookup = {syn: canon for canon, syns in _SYNONYMS.items() for syn in (_key(canon), *syns)}
    rename: dict[str, str] = {}
    for col in raw.columns:
        canon = lookup.get(_key(col))
        if canon and canon not in rename.values():
            rename[col] = canon
    if not {"supplier_id", "company_number", "supplier_name"} & set(rename.values()):
        raise AttributesError(
            f"{label}: no supplier_id, company_number or supplier_name column "
            f"(expected the template header: {', '.join(TEMPLATE_COLUMNS[:3])}, ...)")
    df = raw[list(rename)].rename(columns=rename)
    for c in TEMPLATE_COLUMNS:
        if c not in df:
            df[c] = pd.NA
    df = df[list(TEMPLATE_COLUMNS)].astype("string")
    df = df.apply(lambda s: s.str.strip().replace("", pd.NA))
    df.insert(0, "row", np.arange(2, len(df) + 2))  # file line numbers (header = line 1)
    issues = []
    for c in _FLAGS:
        v = parse_yes_no(df[c])
        bad = df[c].notna() & v.isna()
        issues.append(pd.DataFrame({"row": df.loc[bad, "row"], "field": c,
                                    "value": df.loc[bad, c],
                                    "reason": "not a yes/no value: read as unknown"}))
        df[c] = v
    for c in _NUMBERS:
        v = parse_numbers(df[c], percent=True)
        bad = df[c].notna() & v.isna()
        issues.append(pd.DataFrame({"row": df.loc[bad, "row"], "field": c,
                                    "value": df.loc[bad, c],
                                    "reason": "not a number: read as unknown"}))
        df[c] = v
    share = df["local_hiring_share"]  # "40", "40%" and "0.4" all mean 40 %
    df["local_hiring_share"] = share.where(share <= 1, share / 100)
    df["company_number"] = clean_company_numbers(df["company_number"])
    df["supplier_name_norm"] = normalise_names(df["supplier_name"])
    no_id = df[["supplier_id", "company_number", "supplier_name_norm"]].isna().all(axis=1)
    rejected = pd.DataFrame({"row": df.loc[no_id, "row"],
                             "reason": "no supplier_id, company_number or supplier_name"})
    return Attributes(
        table=df[~no_id].reset_index(drop=True),
        rejected=rejected.reset_index(drop=True),
        issues=pd.concat(issues, ignore_index=True).astype({"row": "int64"}),
        rows_in=len(df),
        source=label,
    )


def match_attributes(attrs: Attributes, suppliers: pd.DataFrame) -> pd.DataFrame:
    """``attrs.table`` with ``supplier_key`` and ``matched_by`` (id, company number, name);
    unmatched rows keep ``supplier_key`` NA.  The first row for a supplier wins; later ones
    are added to ``attrs.rejected``."""
    t = attrs.table.copy()
    t["supplier_key"] = pd.Series(pd.NA, index=t.index, dtype="string")
    t["matched_by"] = pd.Series(pd.NA, index=t.index, dtype="string")
    sup = suppliers.drop_duplicates("supplier_key")
    keys = {
        "supplier id": (t["supplier_id"], sup["supplier_id"].astype("string").str.strip()),
        "company number": (t["company_number"], clean_company_numbers(sup["company_number"])),
        "name": (t["supplier_name_norm"], normalise_names(sup["supplier_name"].astype("string"))
                 if "supplier_name" in sup else sup["supplier_name_norm"].astype("string")),
    }
    for how, (left, right) in keys.items():
        m = pd.Series(sup["supplier_key"].astype("string").to_numpy(), index=right.to_numpy())
        m = m[m.index.notna()]
        m = m[~m.index.duplicated()]
        hit = t["supplier_key"].isna() & left.notna() & left.isin(m.index)
        t.loc[hit, "supplier_key"] = left[hit].map(m)
        t.loc[hit, "matched_by"] = how
    dup = t["supplier_key"].notna() & t.duplicated("supplier_key", keep="first")
    if dup.any():
        first = t[~dup & t["supplier_key"].notna()].set_index("supplier_key")["row"]
        extra = pd.DataFrame({
            "row": t.loc[dup, "row"],
            "reason": "another row for the same supplier (line "
            + t.loc[dup, "supplier_key"].map(first).astype(str) + ") was used",
        })
        attrs.rejected = pd.concat([attrs.rejected, extra], ignore_index=True)
    return t[~dup].reset_index(drop=True)


def companies_house_status(reference: object, suppliers: pd.DataFrame) -> pd.DataFrame:
    """Companies House status, SIC and cessation date per supplier from reference registers
    that carry them (``ch_status`` …); matched by company number, then normalised name or
    alias.  Columns: supplier_key, ch_status, ch_sic_codes, ch_date_of_cessation, ch_source."""
    cols = ["supplier_key", "ch_status", "ch_sic_codes", "ch_date_of_cessation", "ch_source"]
    out = pd.DataFrame({c: pd.Series(dtype="string") for c in cols})
    paths = list(reference.find_all("supplier_registers")) if reference is not None else []
    frames = []
    for p in paths:
        try:
            head = pd.read_csv(p, nrows=0).columns
        except (OSError, ValueError):
            continue
        low = {_key(c): c for c in head}
        status = low.get("chstatus") or low.get("companystatus")
        if status is None:
            continue
        use = {status: "ch_status"}
        for k, v in (("chcompanynumber", "company_number"), ("companynumber", "company_number"),
                     ("chsiccodes", "ch_sic_codes"), ("chdateofcessation", "ch_date_of_cessation"),
                     ("suppliercanonical", "name"), ("suppliername", "name"),
                     ("aliases", "aliases")):
            if k in low and v not in use.values():
                use[low[k]] = v
        r = pd.read_csv(p, usecols=list(use), dtype="string").rename(columns=use)
        r["ch_source"] = Path(p).name
        frames.append(r)
    if not frames:
        return out
    reg = pd.concat(frames, ignore_index=True)
    reg = reg[reg["ch_status"].notna()]
    for c in ("company_number", "name", "aliases", "ch_sic_codes", "ch_date_of_cessation"):
        if c not in reg:
            reg[c] = pd.NA
    sup = suppliers.drop_duplicates("supplier_key")
    by_num = reg.assign(k=clean_company_numbers(reg["company_number"])).dropna(subset=["k"])
    by_num = by_num.drop_duplicates("k").set_index("k")
    num = clean_company_numbers(sup["company_number"])
    a = pd.DataFrame({"supplier_key": sup["supplier_key"].astype("string").to_numpy(),
                      "k": num.to_numpy()}).merge(by_num, left_on="k", right_index=True)
    names = reg[["name", "aliases"]].assign(alias=reg["aliases"].str.split(r"\s*\|\s*"))
    names = names.explode("alias")
    long = pd.concat([
        pd.DataFrame({"n": names["name"], "i": names.index}),
        pd.DataFrame({"n": names["alias"], "i": names.index}),
    ])
    long["n"] = normalise_names(long["n"].astype("string"))
    long = long.dropna().drop_duplicates("n")
    rest = sup[~sup["supplier_key"].isin(a["supplier_key"])]
    sn = normalise_names(rest["supplier_name"].astype("string"))
    b = pd.DataFrame({"supplier_key": rest["supplier_key"].astype("string").to_numpy(),
                      "n": sn.to_numpy()}).merge(long, on="n")
    b = b.merge(reg, left_on="i", right_index=True)
    both = pd.concat([a, b], ignore_index=True)
    if both.empty:
        return out
    return both[cols].astype("string").drop_duplicates("supplier_key").reset_index(drop=True)


@dataclass
class CharterResult:
    """The charter scorecard.

    Attributes
    ----------
    scores : one row per supplier paid (positive spend): supplier_key, supplier, department
        (where most of its £ went), spend, share, ``<point>`` = yes/no/unknown and
        ``<point>_evidence`` for each of :data:`POINTS`, counts of yes/no/unknown, flags.
    long : the same as one row per supplier and point (status, evidence).
    rollup : per point, £ and share of spend with yes / no / unknown, and a sentence.
    by_department : per department and point, shares of its spend yes / no / unknown.
    flags : supplier, flag, spend, explanation (plain English: why an officer should look).
    coverage : £ and share of spend with an attributes row, rows in/matched/rejected.
    rejected, issues : attributes rows not used, and cells read as unknown.
    """

    scores: pd.DataFrame
    long: pd.DataFrame
    rollup: pd.DataFrame
    by_department: pd.DataFrame
    flags: pd.DataFrame
    coverage: dict
    rejected: pd.DataFrame
    issues: pd.DataFrame
    synthetic: bool = False
    notes: list[str] = field(default_factory=list)

    def headline(self, point: str) -> str:
        r = self.rollup.set_index("point").loc[point]
        return r["sentence"]


def _status(yes: pd.Series, no: pd.Series) -> pd.Series:
    y, n = yes.fillna(False).to_numpy(bool), no.fillna(False).to_numpy(bool)
    return pd.Series(np.select([y, n], [YES, NO], default=UNKNOWN), index=yes.index)


def _fmt_money(v: pd.Series) -> pd.Series:
    return v.map(lambda x: f"£{x:,.0f}" if pd.notna(x) else "")


def _points(s: pd.DataFrame) -> dict[str, tuple[pd.Series, pd.Series]]:
    """(status, evidence) per charter point from attribute and data columns of ``s``."""
    def yn(v: pd.Series, yes: str, no: str) -> pd.Series:
        return pd.Series(np.where(v.isna(), "not recorded", np.where(v.fillna(False), yes, no)),
                         index=v.index)

    out = {}
    rlw = s["real_living_wage"]
    out["good_jobs"] = (_status(rlw == True, rlw == False),  # noqa: E712 (nullable)
                        yn(rlw, "Real Living Wage accredited", "not Real Living Wage accredited"))
    mss = s["modern_slavery_statement"]
    out["transparency"] = (_status(mss == True, mss == False),  # noqa: E712
                           yn(mss, "modern slavery statement published",
                              "no modern slavery statement"))
    days = s["payment_days"]
    out["good_business"] = (
        _status(days <= PAYMENT_DAYS_TARGET, days > PAYMENT_DAYS_TARGET),
        pd.Series(np.where(days.isna(), "days to pay not recorded",
                           "pays suppliers in " + days.round().astype("Int64").astype(str)
                           + " days on average"), index=s.index),
    )
    com, dlv, hire = s["social_value_committed"], s["social_value_delivered"], s[
        "local_hiring_share"]
    ratio = (dlv / com).where(com > 0)
    yes = (ratio >= 0.8) | (hire >= 0.5)
    no = ((ratio < 0.8) | ratio.isna()) & ((hire < 0.5) | hire.isna()) & (
        ratio.notna() | hire.notna())
    ev = pd.Series("no social value or local hiring evidence", index=s.index)
    has_sv = ratio.notna()
    ev[has_sv] = ("delivered " + _fmt_money(dlv) + " of " + _fmt_money(com)
                  + " social value committed")[has_sv]
    has_h = hire.notna()
    hire_txt = (hire * 100).round().astype("Int64").astype(str) + " % of staff live locally"
    ev[has_h & has_sv] = (ev + "; " + hire_txt)[has_h & has_sv]
    ev[has_h & ~has_sv] = hire_txt[has_h & ~has_sv]
    out["local_impact"] = (_status(yes, no), ev)
    crp, nz = s["carbon_reduction_plan"], s["net_zero_year"]
    yes = (crp == True) & ((nz <= NET_ZERO_LATEST) | nz.isna())  # noqa: E712
    no = (crp == False) | ((crp == True) & (nz > NET_ZERO_LATEST))  # noqa: E712
    ev = yn(crp, "carbon reduction plan", "no carbon reduction plan")
    nz_txt = "; net zero by " + nz.round().astype("Int64").astype(str)
    ev = ev.where(nz.isna(), ev + nz_txt)
    out["carbon"] = (_status(yes, no), ev)
    app, tp = s["apprentices"], s["training_plan"]
    yes = (app >= 1) | (tp == True)  # noqa: E712
    no = ~yes.fillna(False) & ((app == 0) | app.isna()) & ((tp == False) | tp.isna()) & (  # noqa: E712
        app.notna() | tp.notna())
    ev = pd.Series("training not recorded", index=s.index)
    app_txt = app.round().astype("Int64").astype(str) + " apprentice(s)"
    tp_txt = yn(tp, "training plan", "no training plan")
    ev = ev.where(app.isna(), app_txt)
    ev = ev.where(tp.isna(), np.where(app.isna(), tp_txt, ev + "; " + tp_txt))
    out["training"] = (_status(yes, no), ev)
    exc = s["excluded"]
    closed = s["ch_status"].astype("string").str.lower().str.contains(
        "|".join(CLOSED_STATUSES), regex=True).astype("boolean")
    active = s["ch_status"].astype("string").str.lower().eq("active").astype("boolean")
    no = (exc == True) | (closed == True)  # noqa: E712
    yes = ~no.fillna(False) & (exc == False)  # noqa: E712
    ev = pd.Series("exclusion checks not recorded", index=s.index)
    ev[exc.fillna(False).to_numpy(bool)] = ("excluded/debarred: "
                                            + s["exclusion_reason"].fillna("reason not given")
                                            )[exc.fillna(False).to_numpy(bool)]
    ev[(exc == False).fillna(False).to_numpy(bool)] = "not excluded or debarred"  # noqa: E712
    ch_txt = "; Companies House: " + s["ch_status"].astype("string")
    has_ch = s["ch_status"].notna()
    ev = ev.where(~has_ch, ev + ch_txt)
    out["standards"] = (_status(yes, no), ev)
    s["_ch_active"] = active
    return out


def scorecard(
    transactions: pd.DataFrame,
    suppliers: pd.DataFrame,
    attributes: Attributes | None = None,
    ch_status: pd.DataFrame | None = None,
) -> CharterResult:
    """Score every supplier paid in ``transactions`` (already filtered) on the charter.

    Payments to public bodies (other councils, NHS, government: ``supplier_class`` =
    ``public_body``) are left out — the charter is for suppliers the council chooses — and
    the amount left out is stated in ``notes``.
    """
    public = (transactions["supplier_class"].eq("public_body").fillna(False).to_numpy(bool)
              if "supplier_class" in transactions else np.zeros(len(transactions), bool))
    public_gbp = float(pd.to_numeric(transactions["amount"], errors="coerce")
                       .fillna(0.0).clip(lower=0.0)[public].sum())
    transactions = transactions[~public]
    amt = pd.to_numeric(transactions["amount"], errors="coerce").fillna(0.0).clip(lower=0.0)
    keys = transactions["supplier_key"].astype("string")
    t = pd.DataFrame({"supplier_key": keys, "amount": amt,
                      "department": transactions["directorate"].astype("string")
                      .fillna("(not given)")})
    dept = t.groupby(["supplier_key", "department"], observed=True)["amount"].sum()
    dept = dept.reset_index()
    main = (dept.sort_values("amount", ascending=False, kind="stable")
            .drop_duplicates("supplier_key").set_index("supplier_key")["department"])
    spend = t.groupby("supplier_key", observed=True)["amount"].sum()
    spend = spend[spend > 0]
    total = float(spend.sum())
    sup = suppliers.drop_duplicates("supplier_key").set_index("supplier_key")
    s = pd.DataFrame({"supplier_key": spend.index.astype("string"), "spend": spend.to_numpy()})
    s["supplier"] = s["supplier_key"].map(sup["supplier_name"]).astype("string").fillna(
        "(no name)")
    s["department"] = s["supplier_key"].map(main)
    s["share"] = s["spend"] / total if total > 0 else np.nan
    s["last_paid"] = s["supplier_key"].map(sup["last_date"]) if "last_date" in sup else pd.NaT
    if attributes is not None:
        matched = match_attributes(attributes, suppliers)
        keep = ["supplier_key", *[c for c in TEMPLATE_COLUMNS[3:]], "matched_by", "row"]
        s = s.merge(matched.dropna(subset=["supplier_key"])[keep], on="supplier_key",
                    how="left")
        n_matched = int(matched["supplier_key"].notna().sum())
        n_unmatched = int(matched["supplier_key"].isna().sum())
    else:
        for c in TEMPLATE_COLUMNS[3:]:
            s[c] = pd.NA
        s["matched_by"], s["row"] = pd.NA, pd.NA
        n_matched = n_unmatched = 0
    for c in _FLAGS:
        s[c] = s[c].astype("boolean")
    for c in _NUMBERS:
        s[c] = pd.to_numeric(s[c], errors="coerce")
    chs = ch_status if ch_status is not None else pd.DataFrame(
        columns=["supplier_key", "ch_status", "ch_sic_codes", "ch_date_of_cessation"])
    s = s.merge(chs.drop(columns=["ch_source"], errors="ignore").astype(
        {"supplier_key": "string"}), on="supplier_key", how="left")
    pts = _points(s)
    long_parts = []
    for k, (st, ev) in pts.items():
        s[k] = st.to_numpy()
        s[f"{k}_evidence"] = ev.astype(str).to_numpy()
        long_parts.append(pd.DataFrame({"supplier_key": s["supplier_key"],
                                        "supplier": s["supplier"], "point": k,
                                        "charter_point": POINTS[k], "status": st.to_numpy(),
                                        "evidence": ev.astype(str).to_numpy(),
                                        "spend": s["spend"]}))
    point_cols = list(POINTS)
    s["points_yes"] = (s[point_cols] == YES).sum(axis=1)
    s["points_no"] = (s[point_cols] == NO).sum(axis=1)
    s["points_unknown"] = (s[point_cols] == UNKNOWN).sum(axis=1)
    flags = _flags(s)
    s["flags"] = s["supplier_key"].map(flags.groupby("supplier_key")["flag"].agg("; ".join)
                                       ).fillna("")
    s = s.sort_values("spend", ascending=False, kind="stable").reset_index(drop=True)
    long = pd.concat(long_parts, ignore_index=True)
    rollup = _rollup(long, total)
    by_dept = _by_department(dept, s)
    with_attr = float(s.loc[s["row"].notna(), "spend"].sum())
    rows_in = attributes.rows_in if attributes is not None else 0
    rejected = attributes.rejected if attributes is not None else pd.DataFrame(
        columns=["row", "reason"])
    coverage = {
        "suppliers": len(s),
        "suppliers_with_attributes": int(s["row"].notna().sum()),
        "spend_total": round(total, 2),
        "spend_with_attributes": round(with_attr, 2),
        "share_spend_with_attributes": with_attr / total if total > 0 else None,
        "spend_with_companies_house_status": round(
            float(s.loc[s["ch_status"].notna(), "spend"].sum()), 2),
        "spend_public_bodies_not_scored": round(public_gbp, 2),
        "attribute_rows_in": rows_in,
        "attribute_rows_matched": n_matched,
        "attribute_rows_unmatched": n_unmatched,
        "attribute_rows_rejected": len(rejected),
        "attributes_source": attributes.source if attributes is not None else "",
    }
    notes = []
    if public_gbp > 0:
        notes.append(f"£{public_gbp:,.0f} paid to public bodies is not scored on the charter.")
    if attributes is None:
        notes.append("No supplier-attributes file: every charter point is unknown except "
                     "what Companies House status shows.")
    if attributes is not None and attributes.synthetic:
        notes.append(SYNTHETIC_NOTE)
    return CharterResult(
        scores=s.drop(columns=["_ch_active"], errors="ignore"),
        long=long,
        rollup=rollup,
        by_department=by_dept,
        flags=flags.sort_values("spend", ascending=False, kind="stable").reset_index(drop=True),
        coverage=coverage,
        rejected=rejected,
        issues=attributes.issues if attributes is not None else pd.DataFrame(
            columns=["row", "field", "value", "reason"]),
        synthetic=bool(attributes is not None and attributes.synthetic),
        notes=notes,
    )


def _rollup(long: pd.DataFrame, total: float) -> pd.DataFrame:
    p = long.pivot_table(index="point", columns="status", values="spend", aggfunc="sum",
                         fill_value=0.0, observed=True)
    for st in STATUSES:
        if st not in p:
            p[st] = 0.0
    p = p.reindex(list(POINTS)).fillna(0.0)
    out = pd.DataFrame({"point": list(POINTS), "charter_point": list(POINTS.values()),
                        "test": [POINT_TESTS[k] for k in POINTS]})
    for st in STATUSES:
        out[f"spend_{st}"] = p[st].to_numpy()
        out[f"share_{st}"] = p[st].to_numpy() / total if total > 0 else np.nan
    out["sentence"] = [
        f"{_pc(r.share_yes)} of spend is with suppliers that meet "
        f"“{r.test}”; {_pc(r.share_no)} with suppliers that do not; "
        f"{_pc(r.share_unknown)} unknown."
        for r in out.itertuples()
    ]
    return out


def _pc(x: float) -> str:
    return "—" if pd.isna(x) else f"{100 * x:.0f} %"


def _by_department(dept: pd.DataFrame, s: pd.DataFrame) -> pd.DataFrame:
    d = dept[dept["amount"] > 0].merge(s[["supplier_key", *POINTS]], on="supplier_key")
    tot = d.groupby("department")["amount"].sum()
    rows = []
    for k in POINTS:
        g = d.pivot_table(index="department", columns=k, values="amount", aggfunc="sum",
                          fill_value=0.0)
        for st in STATUSES:
            if st not in g:
                g[st] = 0.0
        rows.append(pd.DataFrame({
            "department": g.index, "point": k, "charter_point": POINTS[k],
            "spend": tot.reindex(g.index).to_numpy(),
            **{f"share_{st}": (g[st] / tot.reindex(g.index)).to_numpy() for st in STATUSES},
        }))
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["spend", "department"], ascending=[False, True],
                           kind="stable").reset_index(drop=True)


def _flags(s: pd.DataFrame) -> pd.DataFrame:
    """Things an officer would act on, each with a plain-English reason."""
    parts = []

    def add(mask: pd.Series, flag: str, text: pd.Series | str) -> None:
        m = mask.fillna(False).to_numpy(bool)
        if not m.any():
            return
        txt = text[m] if isinstance(text, pd.Series) else text
        parts.append(pd.DataFrame({"supplier_key": s.loc[m, "supplier_key"],
                                   "supplier": s.loc[m, "supplier"], "flag": flag,
                                   "spend": s.loc[m, "spend"], "explanation": txt}))

    money = _fmt_money(s["spend"])
    status = s["ch_status"].astype("string").str.lower()
    closed = status.str.contains("|".join(CLOSED_STATUSES), regex=True)
    add(closed, "closed company still paid",
        "Companies House lists this company as '" + s["ch_status"].astype("string")
        + "', yet it was paid " + money + " in the period. Check the payee details, "
        "whether the contract moved to another company, and whether payments should stop.")
    add(s["excluded"] == True,  # noqa: E712
        "excluded supplier paid",
        "The council's records mark this supplier as excluded or debarred, yet it was paid "
        + money + ". Check the exclusion and the contract.")
    add(s["payment_days"] > PAYMENT_DAYS_TARGET, "slow payer",
        "It takes " + s["payment_days"].round().astype("Int64").astype(str)
        + f" days on average to pay its own suppliers; the charter expects "
        f"{PAYMENT_DAYS_TARGET} days or less. Raise it at the next contract review.")
    add((s["carbon_reduction_plan"] == False) & (s["spend"] >= LARGE_SUPPLIER_GBP),  # noqa: E712
        "large supplier without a carbon plan",
        "Paid " + money + " but has no carbon reduction plan. Large contracts should "
        "require one (as central government's PPN 06/21 does).")
    add(s["share"] >= CONCENTRATION_SHARE, "concentration of spend",
        "Received " + (s["share"] * 100).round(1).astype(str) + " % of all spend shown ("
        + money + "). If it failed, services would be at risk: check contingency plans.")
    big = s["spend"].rank(ascending=False, method="first") <= 20
    add(big & (s["points_unknown"] == len(POINTS)), "no charter evidence",
        "One of the 20 largest suppliers (" + money + ") and the council holds no evidence "
        "on any charter point. Ask for it at the next contract meeting.")
    if not parts:
        return pd.DataFrame(columns=["supplier_key", "supplier", "flag", "spend",
                                     "explanation"])
    return pd.concat(parts, ignore_index=True)


def demo_attributes(suppliers: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """A clearly labelled synthetic attributes table for the demo borough's suppliers.

    Deterministic in ``seed``; about a third of suppliers have no row and a fifth of the
    cells in the rest are blank, so coverage and "unknown" are visible in the demo.
    Columns follow the template; ``source`` says it is synthetic.
    """
    rng = np.random.default_rng(seed)
    sup = suppliers.drop_duplicates("supplier_key")
    sup = sup[sup["supplier_class"].astype("string").ne("public_body").fillna(True)]
    sup = sup.sort_values("supplier_key", kind="stable").reset_index(drop=True)
    # The largest suppliers are far more often asked: keep them more often.
    spend = pd.to_numeric(sup.get("spend", 0), errors="coerce").fillna(0.0)
    pr = np.where(spend.rank(pct=True) > 0.6, 0.85, 0.55)
    sup = sup[rng.random(len(sup)) < pr].reset_index(drop=True)
    n = len(sup)

    def yn(p_yes: float) -> np.ndarray:
        return np.where(rng.random(n) < p_yes, "Y", "N")

    df = pd.DataFrame({
        "supplier_id": sup["supplier_id"].astype("string"),
        "company_number": sup["company_number"].astype("string"),
        "supplier_name": sup["supplier_name"].astype("string"),
        "real_living_wage": yn(0.45),
        "modern_slavery_statement": yn(0.7),
        "carbon_reduction_plan": yn(0.5),
        "net_zero_year": rng.choice([2030, 2035, 2040, 2045, 2050, 2055], n).astype(str),
        "payment_days": rng.integers(14, 61, n).astype(str),
        "apprentices": rng.poisson(1.2, n).astype(str),
        "training_plan": yn(0.55),
        "local_hiring_share": rng.uniform(0.05, 0.95, n).round(2).astype(str),
        "social_value_committed": (rng.integers(0, 40, n) * 1000).astype(str),
        "social_value_delivered": "",
        "excluded": np.where(rng.random(n) < 0.02, "Y", "N"),
        "exclusion_reason": "",
        "evidence_date": "2025-03-31",
        "source": "SYNTHETIC DEMO (impact.charter.demo_attributes)",
    })
    committed = pd.to_numeric(df["social_value_committed"])
    df["social_value_delivered"] = (committed * rng.uniform(0.3, 1.1, n)).round(-2).astype(
        int).astype(str)
    df.loc[df["excluded"] == "Y", "exclusion_reason"] = "synthetic example exclusion"
    df.loc[df["carbon_reduction_plan"] == "N", "net_zero_year"] = ""
    blank = rng.random((n, 11)) < 0.2
    cols = list(TEMPLATE_COLUMNS[3:14])
    for j, c in enumerate(cols):
        df.loc[blank[:, j], c] = ""
    return df


def attributes_path(council: str) -> Path:
    """Where a council's attributes CSV is looked for in the workspace folder."""
    return council_file(council, "supplier_attributes.csv")


def charter_for_workspace(ws: object, transactions: pd.DataFrame | None = None,
                          attributes: str | os.PathLike[str] | bytes | None = None
                          ) -> CharterResult:
    """The scorecard for a :class:`impact.workspace.Workspace` (filtered ``transactions``).

    Attributes come from ``attributes`` if given, else the council's file in the workspace
    folder (:func:`attributes_path`), else — for the demo only — :func:`demo_attributes`.
    """
    tx = ws.transactions if transactions is None else transactions
    attrs: Attributes | None = None
    if attributes is not None:
        attrs = read_attributes(attributes)
    elif attributes_path(ws.source.council).is_file():
        attrs = read_attributes(attributes_path(ws.source.council))
    elif ws.is_demo:
        attrs = read_attributes(demo_attributes(ws.suppliers), name="synthetic demo attributes")
        attrs.synthetic = True
    chs = companies_house_status(ws.reference(), ws.suppliers)
    return scorecard(tx, ws.suppliers, attrs, chs)
