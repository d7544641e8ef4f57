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
  :func:`impact.ingest.names.normalise_names`).
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

import os
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from impact.core.paths import council_file
from impact.core.values import clean_company_numbers, parse_numbers, parse_shares, parse_yes_no
from impact.ingest.columns import norm_header
from impact.ingest.names import normalise_names
from impact.ingest.tables import UnreadableFile, read_csv

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
    "Synthetic demo attributes: generated by Impact Explorer for the "
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


def template() -> pd.DataFrame:
    """The attributes template: its columns, no rows (written for a person by the download
    builder, headers in words; :func:`read_attributes` reads those words, and the
    column names, back)."""
    return pd.DataFrame({c: pd.Series(dtype="string") for c in TEMPLATE_COLUMNS})


def read_attributes(source: str | os.PathLike[str] | bytes | pd.DataFrame,
                    name: str = "") -> Attributes:
    """Read a supplier-attributes CSV (path, bytes or a frame) into canonical columns.

    Steps: the cells as text → columns named as in the template → yes/no and numbers
    parsed (a cell that cannot be read is unknown, listed in ``issues``) → rows with no
    identifier rejected.
    """
    raw, label = _read_cells(source, name)
    table = _template_columns(raw, label)
    issues = _parse_values(table)
    return _identified(table, issues, label)


def _read_cells(source: str | os.PathLike[str] | bytes | pd.DataFrame,
                name: str) -> tuple[pd.DataFrame, str]:
    """The file's cells as text, and the label messages name it by.

    Through :func:`impact.ingest.tables.read_csv`, the decoder every spend file goes
    through: a council's file saved from Excel (cp1252), with a BOM or gzipped reads the
    same way here.  A file that cannot be read is one :class:`AttributesError` line.
    """
    if isinstance(source, pd.DataFrame):
        return source.astype("string"), name or "table"
    label = name or ("upload" if isinstance(source, bytes) else str(source))
    try:
        raw = read_csv(source if isinstance(source, bytes) else Path(source),
                       skip_blank_lines=True)
    except (UnreadableFile, UnicodeDecodeError):
        raise AttributesError(f"cannot decode the attributes file {label}") from None
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise AttributesError(f"cannot read the attributes file {label}: "
                              f"{str(exc).splitlines()[0]}") from None
    return raw, label


def _template_columns(raw: pd.DataFrame, label: str) -> pd.DataFrame:
    """The template's columns (those the file lacks are blank), stripped text, blank = NA,
    and ``row``: the file line each row came from, so every message can point at it."""
    rename = _header_names(raw.columns)
    if not {"supplier_id", "company_number", "supplier_name"} & set(rename.values()):
        raise AttributesError(
            f"{label}: no supplier_id, company_number or supplier_name column "
            f"(expected the template header: {', '.join(TEMPLATE_COLUMNS[:3])}, ...)")
    table = raw[list(rename)].rename(columns=rename)
    for c in TEMPLATE_COLUMNS:
        if c not in table:
            table[c] = pd.NA
    table = table[list(TEMPLATE_COLUMNS)].astype("string")
    table = table.apply(lambda s: s.str.strip().replace("", pd.NA))
    table.insert(0, "row", np.arange(2, len(table) + 2))  # file line numbers (header = line 1)
    return table


def _header_names(columns: pd.Index) -> dict[str, str]:
    """File header → template column, matched loosely (``Real Living Wage``, ``rlw``); the
    first header for a template column wins."""
    synonyms = {syn: canon for canon, syns in _SYNONYMS.items()
                for syn in (norm_header(canon), *syns)}
    rename: dict[str, str] = {}
    for col in columns:
        canon = synonyms.get(norm_header(col))
        if canon and canon not in rename.values():
            rename[col] = canon
    return rename


def _parse_values(table: pd.DataFrame) -> pd.DataFrame:
    """Parse the yes/no and number columns of ``table`` in place; return the cells that could
    not be read (row, field, value, reason).  Why not fail: an unreadable cell is unknown,
    and unknown is never no."""
    parsers = {c: (parse_yes_no, "not a yes/no value") for c in _FLAGS}
    for c in _NUMBERS:  # "40", "40%" and "0.4" all mean a 40 % share of local hiring
        parse = parse_shares if c == "local_hiring_share" else partial(parse_numbers, percent=True)
        parsers[c] = (parse, "not a number")
    issues = []
    for column, (parse, what) in parsers.items():
        values = parse(table[column])
        bad = table[column].notna() & values.isna()
        issues.append(pd.DataFrame({"row": table.loc[bad, "row"], "field": column,
                                    "value": table.loc[bad, column],
                                    "reason": f"{what}: read as unknown"}))
        table[column] = values
    return pd.concat(issues, ignore_index=True).astype({"row": "int64"})


def _identified(table: pd.DataFrame, issues: pd.DataFrame, label: str) -> Attributes:
    """Identifiers cleaned as the supplier table has them (company numbers, normalised names)
    so they can be matched; a row with none of them cannot be, and is rejected."""
    table["company_number"] = clean_company_numbers(table["company_number"])
    table["supplier_name_norm"] = normalise_names(table["supplier_name"])
    no_id = table[["supplier_id", "company_number", "supplier_name_norm"]].isna().all(axis=1)
    rejected = pd.DataFrame({"row": table.loc[no_id, "row"],
                             "reason": "no supplier_id, company_number or supplier_name"})
    return Attributes(
        table=table[~no_id].reset_index(drop=True),
        rejected=rejected.reset_index(drop=True),
        issues=issues,
        rows_in=len(table),
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


_CH_COLUMNS = ["supplier_key", "ch_status", "ch_sic_codes", "ch_date_of_cessation",
               "ch_source"]


def companies_house_status(reference: object, suppliers: pd.DataFrame) -> pd.DataFrame:
    """Companies House status, SIC and cessation date per supplier: what ``locate`` read
    from the Companies House bulk table for suppliers it matched exactly
    (``register_status``), else reference registers that carry them (``ch_status`` …),
    matched by company number, then normalised name or alias.  Columns: supplier_key,
    ch_status, ch_sic_codes, ch_date_of_cessation, ch_source."""
    both = pd.concat([_status_from_bulk(suppliers),
                      _status_from_registers(reference, suppliers)], ignore_index=True)
    return both.drop_duplicates("supplier_key").reset_index(drop=True)


def _status_from_bulk(suppliers: pd.DataFrame) -> pd.DataFrame:
    """The status ``locate`` found in the Companies House bulk table (exact matches only:
    a probable link is no evidence about a supplier)."""
    if "register_status" not in suppliers:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in _CH_COLUMNS})
    source = suppliers["resolution_source"].astype("string")
    use = (suppliers["register_status"].notna() & source.str.startswith("Companies House")
           & (suppliers["resolution_method"] != "fuzzy")).fillna(False)
    s = suppliers[use.to_numpy(bool)]
    return pd.DataFrame({"supplier_key": s["supplier_key"], "ch_status": s["register_status"],
                         "ch_sic_codes": s["sic"], "ch_date_of_cessation": pd.NA,
                         "ch_source": source[use.to_numpy(bool)]}).astype("string")


def _status_from_registers(reference: object, suppliers: pd.DataFrame) -> pd.DataFrame:
    """:func:`companies_house_status` from the reference registers' CSVs."""
    cols = _CH_COLUMNS
    out = pd.DataFrame({c: pd.Series(dtype="string") for c in cols})
    paths = list(reference.find_all("supplier_registers")) if reference is not None else []
    frames = []
    for p in paths:
        try:
            head = pd.read_csv(p, nrows=0).columns
        except (OSError, ValueError):
            continue
        low = {norm_header(c): c for c in head}
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
    """(status, evidence) per charter point from attribute and data columns of ``s``, in the
    charter's order: one rule per point, each saying what "yes" and "no" need."""
    rules = {"good_jobs": _good_jobs, "transparency": _transparency,
             "good_business": _good_business, "local_impact": _local_impact,
             "carbon": _carbon, "training": _training, "standards": _standards}
    return {point: rule(s) for point, rule in rules.items()}


def _recorded(v: pd.Series, yes: str, no: str) -> pd.Series:
    """Evidence text for a yes/no attribute, saying so when it was not recorded."""
    return pd.Series(np.where(v.isna(), "not recorded", np.where(v.fillna(False), yes, no)),
                     index=v.index)


def _good_jobs(s: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    rlw = s["real_living_wage"]
    return (_status(rlw == True, rlw == False),  # noqa: E712 (nullable)
            _recorded(rlw, "Real Living Wage accredited", "not Real Living Wage accredited"))


def _transparency(s: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    mss = s["modern_slavery_statement"]
    return (_status(mss == True, mss == False),  # noqa: E712
            _checks_said(s, _recorded(mss, "modern slavery statement published",
                                      "no modern slavery statement")))


def _good_business(s: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    days = s["payment_days"]
    return (
        _status(days <= PAYMENT_DAYS_TARGET, days > PAYMENT_DAYS_TARGET),
        pd.Series(np.where(days.isna(), "days to pay not recorded",
                           "pays suppliers in " + days.round().astype("Int64").astype(str)
                           + " days on average"), index=s.index),
    )


def _local_impact(s: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Yes on either test (social value delivered, or local hiring); no only when the
    evidence held fails both."""
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
    return _status(yes, no), ev


def _carbon(s: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    crp, nz = s["carbon_reduction_plan"], s["net_zero_year"]
    yes = (crp == True) & ((nz <= NET_ZERO_LATEST) | nz.isna())  # noqa: E712
    no = (crp == False) | ((crp == True) & (nz > NET_ZERO_LATEST))  # noqa: E712
    ev = _recorded(crp, "carbon reduction plan", "no carbon reduction plan")
    nz_txt = "; net zero by " + nz.round().astype("Int64").astype(str)
    return _status(yes, no), ev.where(nz.isna(), ev + nz_txt)


def _training(s: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    app, tp = s["apprentices"], s["training_plan"]
    yes = (app >= 1) | (tp == True)  # noqa: E712
    no = ~yes.fillna(False) & ((app == 0) | app.isna()) & ((tp == False) | tp.isna()) & (  # noqa: E712
        app.notna() | tp.notna())
    ev = pd.Series("training not recorded", index=s.index)
    app_txt = app.round().astype("Int64").astype(str) + " apprentice(s)"
    tp_txt = _recorded(tp, "training plan", "no training plan")
    ev = ev.where(app.isna(), app_txt)
    ev = ev.where(tp.isna(), np.where(app.isna(), tp_txt, ev + "; " + tp_txt))
    return _status(yes, no), ev


def _standards(s: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """No when excluded, Companies House shows the company closed, or an officer confirmed
    a payment-check finding about it; yes only when the council recorded it as not excluded
    (an open company alone is not evidence; a finding still to review is said, not
    scored)."""
    exc = s["excluded"]
    closed = s["ch_status"].astype("string").str.lower().str.contains(
        "|".join(CLOSED_STATUSES), regex=True).astype("boolean")
    confirmed = s.get("checks_confirmed", pd.Series(False, index=s.index)).astype(bool)
    no = (exc == True) | (closed == True) | confirmed  # noqa: E712
    yes = ~no.fillna(False) & (exc == False)  # noqa: E712
    ev = pd.Series("exclusion checks not recorded", index=s.index)
    ev[exc.fillna(False).to_numpy(bool)] = ("excluded/debarred: "
                                            + s["exclusion_reason"].fillna("reason not given")
                                            )[exc.fillna(False).to_numpy(bool)]
    ev[(exc == False).fillna(False).to_numpy(bool)] = "not excluded or debarred"  # noqa: E712
    ch_txt = "; Companies House: " + s["ch_status"].astype("string")
    has_ch = s["ch_status"].notna()
    return _status(yes, no), _checks_said(s, ev.where(~has_ch, ev + ch_txt))


@dataclass(frozen=True)
class _Paid:
    """What the council paid the suppliers it chose: £ per supplier and department, the
    department with most of each supplier's £, the total, and £ to public bodies."""

    by_department: pd.DataFrame
    main_department: pd.Series
    by_supplier: pd.Series
    total: float
    public_gbp: float


def scorecard(
    transactions: pd.DataFrame,
    suppliers: pd.DataFrame,
    attributes: Attributes | None = None,
    ch_status: pd.DataFrame | None = None,
    checks: pd.DataFrame | None = None,
) -> CharterResult:
    """Score every supplier paid in ``transactions`` (already filtered) on the charter.

    ``checks``: the payment-check findings per supplier
    (:func:`impact.analysis.findings.by_supplier`), read by the transparency and high
    standards points (:func:`_with_payment_checks`).

    Payments to public bodies (other councils, NHS, government: ``supplier_class`` =
    ``public_body``) are left out — the charter is for suppliers the council chooses — and
    the amount left out is stated in ``notes``.

    Steps: what each supplier was paid → its attributes and Companies House status → the
    seven points → flags → roll-ups, coverage and notes.
    """
    paid = _paid(transactions)
    scores = _supplier_rows(paid, suppliers)
    scores, matched = _with_attributes(scores, attributes, suppliers)
    scores = _with_companies_house(scores, ch_status)
    scores = _with_payment_checks(scores, checks)
    long = _score_points(scores)
    flags = _flags(scores)
    scores["flags"] = scores["supplier_key"].map(
        flags.groupby("supplier_key")["flag"].agg("; ".join)).fillna("")
    scores = scores.sort_values("spend", ascending=False, kind="stable").reset_index(drop=True)
    rejected, issues = _attribute_problems(attributes)
    return CharterResult(
        scores=scores,
        long=long,
        rollup=_rollup(long, paid.total),
        by_department=_by_department(paid.by_department, scores),
        flags=flags.sort_values("spend", ascending=False, kind="stable").reset_index(drop=True),
        coverage=_coverage(scores, paid, attributes, matched),
        rejected=rejected,
        issues=issues,
        synthetic=bool(attributes is not None and attributes.synthetic),
        notes=_notes(paid, attributes),
    )


def _paid(transactions: pd.DataFrame) -> _Paid:
    """Positive £ per supplier and department, public bodies left out (and totalled, so the
    notes can say how much was not scored)."""
    public = (transactions["supplier_class"].eq("public_body").fillna(False).to_numpy(bool)
              if "supplier_class" in transactions else np.zeros(len(transactions), bool))
    amount = pd.to_numeric(transactions["amount"], errors="coerce").fillna(0.0).clip(lower=0.0)
    chosen = transactions[~public]
    lines = pd.DataFrame({"supplier_key": chosen["supplier_key"].astype("string"),
                          "amount": amount[~public],
                          "department": chosen["directorate"].astype("string")
                          .fillna("(not given)")})
    by_department = lines.groupby(["supplier_key", "department"], observed=True)["amount"].sum()
    by_department = by_department.reset_index()
    main = (by_department.sort_values("amount", ascending=False, kind="stable")
            .drop_duplicates("supplier_key").set_index("supplier_key")["department"])
    by_supplier = lines.groupby("supplier_key", observed=True)["amount"].sum()
    by_supplier = by_supplier[by_supplier > 0]
    return _Paid(by_department, main, by_supplier, float(by_supplier.sum()),
                 float(amount[public].sum()))


def _supplier_rows(paid: _Paid, suppliers: pd.DataFrame) -> pd.DataFrame:
    """One row per supplier paid: name, main department, £ and share of the total."""
    sup = suppliers.drop_duplicates("supplier_key").set_index("supplier_key")
    spend = paid.by_supplier
    s = pd.DataFrame({"supplier_key": spend.index.astype("string"), "spend": spend.to_numpy()})
    s["supplier"] = s["supplier_key"].map(sup["supplier_name"]).astype("string").fillna(
        "(no name)")
    s["department"] = s["supplier_key"].map(paid.main_department)
    s["share"] = s["spend"] / paid.total if paid.total > 0 else np.nan
    s["last_paid"] = s["supplier_key"].map(sup["last_date"]) if "last_date" in sup else pd.NaT
    return s


def _with_attributes(s: pd.DataFrame, attributes: Attributes | None,
                     suppliers: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """``s`` with each supplier's attribute row (blank without one: unknown, never no), and
    the matched attributes table (None without a file)."""
    matched = None
    if attributes is not None:
        matched = match_attributes(attributes, suppliers)
        keep = ["supplier_key", *TEMPLATE_COLUMNS[3:], "matched_by", "row"]
        s = s.merge(matched.dropna(subset=["supplier_key"])[keep], on="supplier_key",
                    how="left")
    else:
        for c in TEMPLATE_COLUMNS[3:]:
            s[c] = pd.NA
        s["matched_by"], s["row"] = pd.NA, pd.NA
    for c in _FLAGS:
        s[c] = s[c].astype("boolean")
    for c in _NUMBERS:
        s[c] = pd.to_numeric(s[c], errors="coerce")
    return s, matched


def _with_companies_house(s: pd.DataFrame, ch_status: pd.DataFrame | None) -> pd.DataFrame:
    """``s`` with the Companies House status columns (blank where none was found)."""
    chs = ch_status if ch_status is not None else pd.DataFrame(
        columns=["supplier_key", "ch_status", "ch_sic_codes", "ch_date_of_cessation"])
    return s.merge(chs.drop(columns=["ch_source"], errors="ignore").astype(
        {"supplier_key": "string"}), on="supplier_key", how="left")


def _with_payment_checks(s: pd.DataFrame, checks: pd.DataFrame | None) -> pd.DataFrame:
    """``s`` with the payment-check findings that bear on each supplier: ``checks_note``
    (what is found and its verdicts) and ``checks_confirmed`` (an officer confirmed one)."""
    if checks is None or checks.empty:
        return s.assign(checks_note=pd.NA, checks_confirmed=False)
    c = checks.astype({"supplier_key": "string"}).set_index("supplier_key")
    key = s["supplier_key"].astype("string")
    return s.assign(checks_note=key.map(c["note"]),
                    checks_confirmed=key.map(c["confirmed"]).fillna(0).gt(0).to_numpy())


def _checks_said(s: pd.DataFrame, evidence: pd.Series) -> pd.Series:
    """``evidence`` with what the payment checks found about the supplier, where they did."""
    note = s["checks_note"] if "checks_note" in s else pd.Series(pd.NA, index=s.index)
    return evidence.where(note.isna(), evidence + "; payment checks: " + note.astype("string"))


def _score_points(s: pd.DataFrame) -> pd.DataFrame:
    """Add each point's status and evidence, and counts of yes/no/unknown, to ``s``; return
    the same as one row per supplier and point (what the roll-ups sum)."""
    long_parts = []
    for k, (st, ev) in _points(s).items():
        s[k] = st.to_numpy()
        s[f"{k}_evidence"] = ev.astype(str).to_numpy()
        long_parts.append(pd.DataFrame({"supplier_key": s["supplier_key"],
                                        "supplier": s["supplier"], "point": k,
                                        "charter_point": POINTS[k], "status": st.to_numpy(),
                                        "evidence": ev.astype(str).to_numpy(),
                                        "spend": s["spend"]}))
    for status in STATUSES:
        s[f"points_{status}"] = (s[list(POINTS)] == status).sum(axis=1)
    return pd.concat(long_parts, ignore_index=True)


def _attribute_problems(attributes: Attributes | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Attribute rows not used and cells read as unknown (empty without a file)."""
    if attributes is None:
        return (pd.DataFrame(columns=["row", "reason"]),
                pd.DataFrame(columns=["row", "field", "value", "reason"]))
    return attributes.rejected, attributes.issues


def _coverage(s: pd.DataFrame, paid: _Paid, attributes: Attributes | None,
              matched: pd.DataFrame | None) -> dict:
    """How much of the spend the scores rest on evidence for, and every attribute row
    accounted for (matched + unmatched + rejected = rows in)."""
    with_attr = float(s.loc[s["row"].notna(), "spend"].sum())
    keys = matched["supplier_key"] if matched is not None else pd.Series(dtype="string")
    return {
        "suppliers": len(s),
        "suppliers_with_attributes": int(s["row"].notna().sum()),
        "spend_total": round(paid.total, 2),
        "spend_with_attributes": round(with_attr, 2),
        "share_spend_with_attributes": with_attr / paid.total if paid.total > 0 else None,
        "spend_with_companies_house_status": round(
            float(s.loc[s["ch_status"].notna(), "spend"].sum()), 2),
        "spend_public_bodies_not_scored": round(paid.public_gbp, 2),
        "attribute_rows_in": attributes.rows_in if attributes is not None else 0,
        "attribute_rows_matched": int(keys.notna().sum()),
        "attribute_rows_unmatched": int(keys.isna().sum()),
        "attribute_rows_rejected": len(attributes.rejected) if attributes is not None else 0,
        "attributes_source": attributes.source if attributes is not None else "",
    }


def _notes(paid: _Paid, attributes: Attributes | None) -> list[str]:
    """What the reader must know to read the scores: spend not scored, evidence missing,
    synthetic attributes."""
    notes = []
    if paid.public_gbp > 0:
        notes.append(f"£{paid.public_gbp:,.0f} paid to public bodies is not scored on the "
                     "charter.")
    if attributes is None:
        notes.append("No supplier-attributes file: every charter point is unknown except "
                     "what Companies House status shows.")
    if attributes is not None and attributes.synthetic:
        notes.append(SYNTHETIC_NOTE)
    return notes


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
        "source": "SYNTHETIC DEMO (generated by Impact Explorer)",
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
