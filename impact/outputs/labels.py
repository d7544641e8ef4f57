"""The words people read for the library's column names and codes: one home for them.

Every screen, export header a person reads and printed pack names a column or a code the
same way: ``delta_lm3_p10`` is "Change in LM3 (P10)", ``public_body`` is "public body",
``registered_office`` is "registered office".  The code lists themselves live where they
are defined (:data:`impact.places.locate.PLACE_BASES`,
:data:`impact.places.gazetteer.BODY_CLASSES`); this module only gives them words, and
:func:`column` gives any column not listed readable words by a rule (tokens such as ``gbp``,
``pct``, ``lm3`` and ``p10`` spelled out), so a new column never shows as snake_case.
"""

from __future__ import annotations

import calendar
import re

import numpy as np
import pandas as pd

from impact.analysis.charter import NO, POINTS, UNKNOWN, YES
from impact.analysis.compare import COLUMN_LABELS as COMPARE_COLUMNS
from impact.analysis.compare import MEASURES as COMPARE_MEASURES
from impact.analysis.measures import GBP, INDEX, MULTIPLIER, SHARE
from impact.analysis.survey import HEADER_WORDS as SURVEY_WORDS
from impact.places.gazetteer import BODY_CLASSES
from impact.places.locate import PLACE_BASES

#: Column headers, for the library's column names (checked before the rule in :func:`column`).
COLUMNS: dict[str, str] = {
    # suppliers and places
    "supplier": "Supplier",
    "supplier_name": "Supplier",
    "class": "Supplier type",
    "supplier_class": "Supplier type",
    "where": "Where",
    "location_band": "Where",
    "ward": "Ward",
    "ward_name": "Ward",
    "ward_code": "Ward code",
    "district": "District",
    "lad_name": "District",
    "postcode": "Postcode",
    "place_basis": "Placed at",
    "imd_decile": "IMD decile (1 = most deprived)",
    "resolution_method": "Placed by",
    "geocode_status": "Place status",
    "geocode_reason": "Why not placed",
    "previously_placed_by": "Placed before by",
    "id_merge": "Several IDs, one supplier",
    "supplier_count": "Suppliers",
    "local_suppliers": "Suppliers based here",
    "suppliers_near": "Suppliers nearby",
    "spend_per_resident": "£ per resident",
    "share": "Share of £",
    "spend": "Spend",
    "payments": "Payments",
    "population": "Residents",
    "name": "Name",
    "code": "Code",
    # spend by group and time
    "group": "Group",
    "directorate": "Department",
    "service_area": "Service area",
    "expense_type": "Expense type",
    "month": "Month",
    "quarter": "Quarter",
    "amount": "Net £",
    "change_prev_month": "Change on previous month",
    "change_last_year": "Change on same month last year",
    "robust_z": "Outlier score",
    "outlier": "Outlier",
    "current": "This period",
    "previous": "Previous period",
    "last_year": "Same period last year",
    "change_vs_previous": "Change on previous period",
    "change_vs_last_year": "Change on last year",
    "pct_vs_previous": "% change on previous period",
    "pct_vs_last_year": "% change on last year",
    "located": "£ placed",
    "local": "£ local",
    "coverage": "Placed share",
    "local_share": "Local share",
    "lower": "If unplaced £ is all elsewhere",
    "upper": "If unplaced £ is all local",
    "placed_share": "Placed share",
    "deprived_share": "Most deprived 20% share",
    # the re-spend model (LM3)
    "round": "Round",
    "label": "What it is",
    "r1": "R1 £ spent",
    "r2": "R2 £ received locally",
    "r3": "R3 £ re-spent locally",
    "gbp_lower": "£ if every unplaced £ leaves",
    "gbp_central": "£ (unplaced £ like placed £)",
    "gbp_upper": "£ if every unplaced £ stays",
    "gbp_suppliers": "£ suppliers",
    "gbp_staff": "£ staff",
    "share_of_r1": "Share of R1",
    "unlocated": "£ not placed",
    "recipient": "Recipient",
    "sic_section": "Industry (SIC section)",
    "low": "Low",
    "central": "Central",
    "high": "High",
    "published": "Published figure",
    "source": "Source",
    "lm3_p50": "LM3 (middle estimate, P50)",
    "lm3_lower": "LM3 if every unplaced £ leaves",
    "lm3_upper": "LM3 if every unplaced £ stays",
    "multiplier": "Multiplier",
    # scenarios
    "scenario": "Scenario",
    "description": "Description",
    "moved_gbp": "£ moved",
    "delta_local_spend_gbp": "Change in local £",
    "delta_retained_gbp": "Change in £ retained",
    "delta_deprived_gbp": "Change in £ to most deprived areas",
    "delta_lm3_p50": "Change in LM3 (P50)",
    "delta_lm3_p10": "Change in LM3 (P10)",
    "delta_lm3_p90": "Change in LM3 (P90)",
    "delta_lm3_lower": "Change in LM3 if every unplaced £ leaves",
    "delta_lm3_upper": "Change in LM3 if every unplaced £ stays",
    # areas (left behind)
    "worst_decile": "Most deprived LSOA decile",
    "share_pop_decile1_2": "Residents in the most deprived 20%",
    "share_lsoa_decile1_2": "Neighbourhoods in the most deprived 20%",
    "n_areas": "Areas",
    "n_lsoa": "Neighbourhoods (LSOAs)",
    "need_points": "Need (points)",
    "gap_points": "Spend gap (points)",
    "capacity_points": "Supplier capacity (points)",
    "deprivation_spot": "Deprivation hot or cold spot",
    "deprivation_p": "Significance (p)",
    "cluster_profile": "Cluster profile",
    "imd_score": "IMD score",
    "imd_rank": "IMD rank (1 = most deprived)",
    "imd2019_rank": "IMD 2019 rank",
    # exports and files
    "rows_in": "Rows in",
    "rows_used": "Rows used",
    "rows_rejected": "Rows set aside",
    "register_id": "Council register (vendor number)",
    "supplier_id": "Vendor number",
    "company_number": "Company number",
    "reason": "Reason",
    "rows": "Rows",
    "flag": "Flag",
    "explanation": "Why",
    # payment checks (probity) and what changed
    "check": "Check",
    "check_title": "Check",
    "confidence": "Confidence",
    "confidence_rule": "Why this confidence",
    "at_stake": "£ at stake",
    "n_rows": "Payments behind it",
    "what": "What was found",
    "evidence": "What it rests on",
    "row_refs": "Rows behind it (file and row, as published)",
    "verdict": "Verdict",
    "verdict_by": "Verdict set by",
    "verdict_at": "Verdict set on",
    "verdict_note": "Officer's note",
    "finding_id": "Finding reference",
    "findings": "Findings",
    "source_file": "File",
    "source_row": "Row in the file",
    "transaction_id": "Reference",
    "payment_description": "Description (as published)",
    "is_card": "Card payment",
    "cause": "Cause",
    "detail": "What it rests on",
    "before": "Earlier period",
    "after": "Later period",
    "change": "Change",
    "publication": "Of which: what the files hold",
    "new_suppliers": "Of which: new suppliers",
    "suppliers_no_longer_paid": "Of which: suppliers no longer paid",
    "continuing_suppliers": "Of which: continuing suppliers",
    "because_of": "Because of",
    "step": "Step",
    "effect": "Change in local share",
    # workbooks: the board pack's and Compare's sheets
    "item": "Item",
    "value": "Value",
    "note": "Note",
    "dataset": "Dataset",
    "figure": "Figure",
    "shown": "As shown",
    "range": "Range",
    "lower_bound": "Lower end of the range",
    "upper_bound": "Upper end of the range",
    "rests_on": "What it rests on",
    "rests_on_share": "Share of £ it rests on",
    "how_calculated": "How it was calculated",
    "definition": "Way of counting local",
    "not_enough_data": "Not enough data",
    "headline": "The headline figure",
    "measure": "Measure",
    "unplaced": "£ not placed",
    "local_area": "Local area",
    "left_behind": "Left behind",
    "charter_point": "Charter point",
    "test": "Test",
    "spend_yes": "£ meeting it",
    "share_yes": "Share of £ meeting it",
    "spend_no": "£ not meeting it",
    "share_no": "Share of £ not meeting it",
    "spend_unknown": "£ with no evidence",
    "share_unknown": "Share of £ with no evidence",
    "sentence": "In words",
    "unit": "Unit",
    # the payments table (the Data page's download)
    "supplier_name_norm": "Supplier (name as matched)",
    "cap_rev": "Capital or revenue",
    "is_redacted": "Redacted",
    "is_summary": "Summary row",
    "is_credit": "Credit",
    "is_located": "Placed",
    "dated_outside_file": "Dated outside its file's months",
    "lat": "Latitude",
    "long": "Longitude",
    "region_name": "Region",
    "region_code": "Region code",
    "lsoa21_code": "Neighbourhood (LSOA 2021) code",
    # areas (the Left behind page's download)
    "share_lsoa_decile1": "Neighbourhoods in the most deprived 10%",
    "share_pop_decile1": "Residents in the most deprived 10%",
    "spend_spot": "Spend hot or cold spot",
    "spend_p": "Spend hot or cold spot significance (p)",
}

# The supplier survey's headers as its template words them (defined there, read back there).
COLUMNS.update({k: v for k, v in SURVEY_WORDS.items() if k not in COLUMNS})
# Compare's measures and columns as the Compare page words them (defined there).
COLUMNS.update({k: v for k, v in {**{m.key: m.label for m in COMPARE_MEASURES},
                                  **COMPARE_COLUMNS}.items() if k not in COLUMNS})

#: Suffixes of a figure's companion columns (``local_share_lower``), in words after the
#: figure's own.
SUFFIXES: dict[str, str] = {
    "lower": "lower end of the range", "upper": "upper end of the range",
    "coverage": "coverage (share of £ it rests on)",
}

#: A column of codes left out of a person's table when the column beside it names the same
#: thing in words (the council's slug beside its name, a way's key beside its definition).
NAMED_BY: dict[str, str] = {"council_id": "council", "way": "definition",
                            "point": "charter_point"}
#: Text that stands for a missing value, never a fact: blank in a person's table.
MISSING_TEXT = frozenset({"None", "nan", "NaN", "<NA>", "NaT"})
#: A flag as a person reads it.
YES_NO: dict[object, str] = {True: "Yes", False: "No", "True": "Yes", "False": "No"}

#: Tokens of a snake_case name spelled for people, for columns not in :data:`COLUMNS`.
TOKENS: dict[str, str] = {
    "gbp": "£", "pct": "%", "lm3": "LM3", "imd": "IMD", "iod": "IoD", "sic": "SIC",
    "lsoa": "LSOA", "lad": "district", "lads": "districts", "p10": "P10", "p50": "P50",
    "p90": "P90", "r1": "R1", "r2": "R2", "r3": "R3", "vs": "vs", "n": "number of",
    "id": "ID", "nhs": "NHS", "vcse": "VCSE", "sme": "SME", "hhi": "HHI", "delta": "change in",
    "prev": "previous", "dept": "department", "num": "number", "z": "score", "mad": "MAD",
    "vat": "VAT",
}

#: What kind of supplier (``supplier_class``), in words.
CLASSES: dict[str, str] = {
    "company": "company",
    "vcse": "voluntary or community (VCSE)",
    "public_body": "public body",
    "individual_redacted": "individual or redacted",
    "unknown": "not known",
}
#: Where a supplier is relative to the council (``location_band``), in words.
BANDS: dict[str, str] = {
    "council": "in the council's area",
    "region": "elsewhere in the region",
    "elsewhere": "outside the region",
    "national": "national body",
    "not located": "not placed",
}
#: What a supplier's place stands for (``place_basis``), in words.
BASES: dict[str, str] = {**PLACE_BASES, "none": "not placed",
                         "not recorded": "placed (basis not recorded)"}
#: How a supplier was placed (``resolution_method``), in words.
METHODS: dict[str, str] = {
    "manual": "placed by an officer",
    "register_id": "council register (vendor number)",
    "register_charity": "council register (charity number)",
    "register_name": "council register (name)",
    "company_number": "reference register (company number)",
    "reference_name": "reference register (name)",
    "gazetteer": "public body (official registers)",
    "proximity": "public body (nearest of several)",
    "name_hint": "place named in the payee name",
    "fuzzy": "probable name match",
    "premises": "premises list (business rates, care, charity)",
    "none": "not placed",
}
#: Whether a supplier's postcode placed it (``geocode_status``), in words.
STATUSES: dict[str, str] = {
    "located": "placed",
    "located_terminated": "placed (terminated postcode)",
    "outside_england_wales": "outside England and Wales",
    "not_found": "postcode not found",
    "malformed": "no usable postcode",
    "unresolved": "not placed",
    "national": "national body",
    "area": "placed at an area",
}
#: Who receives a re-spend prior's money (``recipient``), in words.
RECIPIENTS: dict[str, str] = {"local": "local supplier", "non_local": "supplier elsewhere"}

#: What a figure's number is (a :class:`impact.analysis.measures.Figure`'s ``unit``), in words.
UNITS: dict[str, str] = {SHARE: "share (%)", GBP: "£", MULTIPLIER: "multiplier (£ per £1)",
                         INDEX: "index"}

#: Code columns → their words (a column of codes shown anywhere is shown in words).
CODES: dict[str, dict[str, str]] = {
    "class": CLASSES,
    "supplier_class": CLASSES,
    "where": BANDS,
    "location_band": BANDS,
    "place_basis": BASES,
    "resolution_method": METHODS,
    "previously_placed_by": METHODS,
    "geocode_status": STATUSES,
    "body_class": BODY_CLASSES,
    "public_body_type": BODY_CLASSES,
    "recipient": RECIPIENTS,
    "unit": UNITS,
    # A charter point's status per supplier (the board pack's "Charter suppliers").
    **{point: {YES: "Yes", NO: "No", UNKNOWN: "Unknown"} for point in POINTS},
}

#: A code column already headed in words (the finance team's template's "Supplier type")
#: holds the same codes.
CODES.update({COLUMNS[c]: words for c, words in list(CODES.items()) if c in COLUMNS})

#: Spreadsheet number formats by what a column holds, read from its name's tokens: a share
#: (a fraction of 1) as a percentage, £ as pounds.
PERCENT, POUNDS = "0.0%", "£#,##0.00"
#: A spreadsheet's number format for each :data:`UNITS` code: a table of figures of several
#: units (the board pack's headline: £, shares, LM3, an index) formats each row's numbers
#: by its own unit.
UNIT_FORMATS: dict[str, str] = {SHARE: PERCENT, GBP: POUNDS, MULTIPLIER: "0.00",
                                INDEX: "#,##0"}
_SHARE_TOKENS = frozenset({"share", "coverage"})
_POUND_TOKENS = frozenset({"spend", "gbp", "amount", "stake", "vat", "net"})

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month(value: object) -> str:
    """A month as people write it: "2024-04" → "Apr 2024" (anything else as it is)."""
    m = _MONTH.match(str(value))
    return f"{calendar.month_abbr[int(m[2])]} {m[1]}" if m else str(value)


def date_span(first: object, last: object) -> str:
    """The span of payment dates a summary states: "2024-04-01 to 2025-03-31", one date
    alone, or "no payment dates" when none was read (never "None to None")."""
    known = [str(d) for d in (first, last) if d is not None and not pd.isna(d)]
    if not known:
        return "no payment dates"
    return known[0] if len(set(known)) == 1 else f"{known[0]} to {known[-1]}"


def column(name: object) -> str:
    """The header people read for a column: its listed words, a month's name ("2024-04" →
    "Apr 2024"), else the name with each ``_``-separated token spelled out ("share_of_r1" →
    "Share of R1")."""
    text = str(name)
    if text in COLUMNS:
        return COLUMNS[text]
    if _MONTH.match(text):
        return month(text)
    base, _, suffix = text.rpartition("_")
    if suffix in SUFFIXES and base:
        return f"{column(base)}, {SUFFIXES[suffix]}"
    return _spelled(text)


def _spelled(text: str) -> str:
    """A name with each ``_``-separated token spelled out, capitalised (the rule alone)."""
    if "_" in text or text.lower() in TOKENS:
        text = " ".join(TOKENS.get(t.lower(), t.lower()) for t in text.split("_") if t)
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def code(value: object, column_name: str) -> str:
    """One code of ``column_name`` in words (the code itself when it has none)."""
    words = CODES.get(column_name, {})
    return words.get(str(value), str(value))


def in_words(df: pd.DataFrame, columns: dict[str, dict[str, str]] | None = None
             ) -> pd.DataFrame:
    """``df`` with the codes of its code columns as words (``columns``: column → code →
    words; default :data:`CODES` for every such column present)."""
    out = df.copy()
    for c, words in (columns or CODES).items():
        if c in out:
            out[c] = out[c].astype("string").replace(words)
    if columns is None and "month" in out:
        out["month"] = out["month"].map(month, na_action="ignore")
    return out


def headers(names: list[object]) -> list[str]:
    """Each column's header (:func:`column`), kept distinct: two names with the same words
    are told apart by their names spelled by the rule alone, then by a number."""
    words = [column(n) for n in names]
    for i, (n, w) in enumerate(zip(names, words, strict=True)):
        if words.count(w) > 1 and str(n) in COLUMNS:
            words[i] = _spelled(str(n))
    seen: dict[str, int] = {}
    for i, w in enumerate(words):
        seen[w] = seen.get(w, 0) + 1
        words[i] = w if seen[w] == 1 else f"{w} ({seen[w]})"
    return words


def number_format(name: object) -> str | None:
    """How a spreadsheet shows a column's numbers, by its name's tokens (a library name or
    its words): ``local_share_lower`` as a percentage, ``spend``, ``at_stake`` and "Net £"
    as £; None when the name does not say (a p-value, ``spend_p``, is not money)."""
    text = str(name).lower()
    tokens = set(re.split(r"[^a-z0-9]+", text))
    if tokens & _SHARE_TOKENS:
        return PERCENT
    return POUNDS if (tokens & _POUND_TOKENS or "£" in text) and "p" not in tokens else None


def kept_columns(df: pd.DataFrame) -> list[object]:
    """``df``'s columns a person's table keeps: a code column beside the column naming the
    same thing in words (:data:`NAMED_BY`) is left out."""
    return [c for c in df.columns if not (c in NAMED_BY and NAMED_BY[c] in df)]


def for_people(df: pd.DataFrame) -> pd.DataFrame:
    """A table as a person's spreadsheet shows it (every workbook, the pages' CSV and XLSX):
    headers and codes in words, a code column left out where a column beside it names the
    same thing, flags as Yes/No, missing values blank (never "None" or "nan")."""
    out = in_words(df[kept_columns(df)])
    for c in out.columns:
        out[c] = _people_values(out[c])
    return out.set_axis(headers(list(out.columns)), axis=1)


def _people_values(s: pd.Series) -> pd.Series:
    """One column's flags as Yes/No and its missing-value text blank (numbers untouched)."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("object").map(YES_NO, na_action="ignore")
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s
    values = s.astype("object")
    flag = values.map(lambda v: isinstance(v, bool | np.bool_) or (
        isinstance(v, str) and v in YES_NO)).astype(bool)
    gone = values.map(lambda v: isinstance(v, str) and v.strip() in MISSING_TEXT).astype(bool)
    if not (flag.any() or gone.any()):
        return s
    words = values.map(lambda v: YES_NO.get(v, v) if isinstance(v, bool | np.bool_ | str) else v)
    return values.mask(flag, words).mask(gone, None)
