"""Decide what each column of a spend file means.

Headers are matched against a synonym table (normalised: lower case, letters and
digits only), then checked against the values ("sniffing"): an *amount* column must
mostly parse as money, a *date* column as dates, and a column headed "Supplier ID"
that holds names is the supplier name.  A council's mapping can be saved as YAML and
passed back to override any of this.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from impact.core.values import parse_amounts, parse_dates


def norm_header(text: str) -> str:
    """``"Net Amount (£)"`` → ``"netamount"``: letters and digits only, lower case."""
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


#: canonical field → header regexes on the normalised header, best first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "amount": (
        r"^(net)?amount(paid|gbp|excl?vat|exvat|net)?$",
        r"^netamount",
        r"^total(excludesvat|exvat|net)?$",
        r"^(line|transaction|invoice|payment)?(net)?(amount|value)(excl?udingvat|exvat)?$",
        r"^value$",
        r"^(expenditure|spend|payment)(amount)?$",
        r"amountpaid",
        r"^sum$",
        r"^amount",
        r"^netvalue",
        r"totalamount",
    ),
    "supplier_name": (
        r"^(supplier|vendor|payee|beneficiary|creditor|merchant)(beneficiary)?name$",
        r"^supplier(beneficiary)?name",
        r"^(supplier|vendor|payee|beneficiary|recipient)$",
        r"^name$",
        r"^companyname$",
        r"^suppliername",
        r"^paidto$",
        r"^supplierdescription$",
    ),
    "date": (
        r"^(payment|paid|invoicepayment|transaction|invoice|posting|cheque)date$",
        r"^datepaid$",
        r"^date(ofpayment|oftransaction)?$",
        r"paymentdate",
        r"paiddate",
        r"^(effective)?date",
        r"^updated$",
    ),
    "period": (r"^(period|month|accountingperiod|paymentmonth)$",),
    "supplier_id": (
        r"^(supplier|vendor|creditor|payee)(id|no|number|ref|reference|code)$",
        r"^supplierid",
    ),
    "company_number": (
        r"(registered)?companynumber",
        r"^companyno$",
        r"^companiesnumber",
        r"^crn$",
        r"^supplierregisteredcompanynumber$",
    ),
    "charity_number": (r"charitynumber", r"^charityno$", r"registeredcharity"),
    "vat_number": (r"vatregistrationnumber", r"^vatno$", r"^vatnumber$", r"^vatreg"),
    "directorate": (
        r"^directorate",
        r"^department(area)?$",
        r"^(organisational|organisation|organizational)unit",
        r"^(organisatonal)unit$",
        r"^portfolio$",
        r"^division$",
        r"^nstrg",
    ),
    "service_area": (
        r"^service(area|division|divisionlabel|label)?$",
        r"^expensearea$",
        r"^servicecostcentre$",
        r"^(cost)?centre(name)?$",
        r"^costcentrename$",
        r"^servicesercop$",
        r"^bvacopset$",
        r"^servicearea",
    ),
    "expense_type": (
        r"^expen(se|diture|ses)(type|category|catergory|unit)?$",
        r"^expensestype$",
        r"^expen(diture|se)cat",
        r"^accountdetail$",
        r"^(category|categoryinternalname)$",
        r"^subjective",
        r"^groupdescription$",
        r"^procurementclassification",
        r"^cipfsubj",
        r"^merchantcategory$",
        r"^(detailed)?expen(diture|se)code$",
    ),
    "description": (
        r"^description$",
        r"^(purpose|purposeofspend|narrative|details|extendeddescription)",
        r"^(transaction|line|invoice|item)description$",
        r"^cipfsubs",
    ),
    "transaction_id": (
        r"^(transaction|trans|invoice|internal|payment|document)(no|number|ref|id|refnumber|reference)$",
        r"^hbcrefno$",
        r"^transno$",
        r"^internalrefnumber$",
        r"^(reference|ref|refno)$",
    ),
    "is_card": (r"^(procurement|purchase|p)card(tran|transaction)?$", r"^pcard", r"^tt$", r"^gpc$"),
    "cap_rev": (
        r"^(cap|capital)(or|\/)?(rev|revenue)$",
        r"^caporrev$",
        r"^capitalorrevenue$",
        r"^typeofexpenditure$",
        r"^type$",
        r"^caprev$",
        r"^capitalrevenue$",
    ),
}


@dataclass
class Mapping:
    """Which source column (position) feeds each canonical field, and what was left out."""

    fields: dict[str, int]
    headers: list[str]
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, str]:
        """canonical field → source header, for reports."""
        return {f: self.headers[i] or f"(column {i + 1})" for f, i in self.fields.items()}


_COMPILED = {f: tuple(re.compile(p) for p in pats) for f, pats in SYNONYMS.items()}


@functools.lru_cache(maxsize=65536)
def match_field(header: str) -> tuple[str, int] | None:
    """The canonical field a header names and the synonym rank (lower is better), or None."""
    h = norm_header(header)
    if not h or len(h) > 80:
        return None
    raw = str(header).strip().lower()
    for fld, patterns in _COMPILED.items():
        for rank, pat in enumerate(patterns):
            if pat.search(h) or pat.search(raw):
                return fld, rank
    return None


def header_score(cells: list[str], override: dict[str, str] | None = None) -> int:
    """How header-like a row is: the number of distinct canonical fields its cells name."""
    found = {m[0] for c in cells if (m := match_field(c)) is not None}
    if override:
        names = {norm_header(c) for c in cells}
        found |= {f for f, h in override.items() if norm_header(h) in names}
    score = len(found)
    if "amount" not in found:
        score -= 1
    return score


def find_header_row(
    cells: pd.DataFrame, scan: int = 40, override: dict[str, str] | None = None
) -> int | None:
    """Index of the header row among the first ``scan`` rows, or None for header-less files.

    A header names at least an amount and one other canonical field and has few
    numeric cells; the best-scoring row wins (ties: the first).
    """
    best, best_score = None, 1
    for i in range(min(scan, len(cells))):
        if best_score >= 4 and best is not None and i > best + 1:
            break  # a clear header followed by data: no need to read further
        row = [c for c in cells.iloc[i].tolist() if c.strip()]
        if not row:
            continue
        numeric = sum(bool(re.fullmatch(r"[£\-\d.,()\s]+", c)) for c in row)
        if numeric > len(row) // 2:
            continue
        score = header_score(row, override)
        if score > best_score:
            best, best_score = i, score
    return best


def map_columns(
    headers: list[str],
    body: pd.DataFrame,
    override: dict[str, str] | None = None,
) -> Mapping:
    """Map header positions to canonical fields, checked against the values in ``body``."""
    notes: list[str] = []
    sample = body.head(300)
    chosen: dict[str, tuple[int, int]] = {}
    norm = [norm_header(h) for h in headers]
    if override:
        for fld, header in override.items():
            target = norm_header(header)
            if target in norm:
                chosen[fld] = (-1, norm.index(target))
    for pos, h in enumerate(headers):
        m = match_field(h)
        if m is None:
            continue
        fld, rank = m
        if fld in chosen and chosen[fld][0] <= rank:
            continue
        if any(p == pos for _, p in chosen.values()):
            continue
        chosen[fld] = (rank, pos)
    fields = {f: p for f, (_, p) in chosen.items()}
    _sniff(fields, headers, sample, notes)
    used = set(fields.values())
    ignored = [
        h or f"(blank header, column {i + 1})"
        for i, h in enumerate(headers)
        if i not in used and _has_values(sample, i)
    ]
    return Mapping(fields=fields, headers=list(headers), ignored=ignored, notes=notes)


def _has_values(sample: pd.DataFrame, pos: int) -> bool:
    return pos in sample.columns and bool((sample[pos].str.strip() != "").any())


def _share(mask: pd.Series, values: pd.Series) -> float:
    present = values.str.strip() != ""
    return float(mask[present].mean()) if present.any() else 0.0


@dataclass(frozen=True)
class _Sample:
    """A file's headers and first rows: what the value checks look at."""

    headers: list[str]
    rows: pd.DataFrame

    def col(self, pos: int) -> pd.Series:
        return self.rows[pos] if pos in self.rows.columns else pd.Series([], dtype=str)


def _sniff(
    fields: dict[str, int], headers: list[str], sample: pd.DataFrame, notes: list[str]
) -> None:
    """Check mapped columns against their values; repair the common mislabels."""
    values = _Sample(headers, sample)
    _amount_by_values(fields, values, notes)
    _note_dates_that_do_not_read(fields, values, notes)
    _names_in_the_supplier_id_column(fields, values, notes)
    # The date wins over a period code: the period is derived from the date.
    if "date" in fields and "period" in fields:
        fields.pop("period")


def _amount_by_values(fields: dict[str, int], values: _Sample, notes: list[str]) -> None:
    """An "amount" whose values are not money: try other unmapped numeric columns.  When none
    holds money either, the named column is kept, so each unreadable value is rejected
    row by row ("amount is not a number") instead of failing the whole file."""
    headers = values.headers
    named = None
    if "amount" in fields:
        amounts = values.col(fields["amount"])
        if _share(parse_amounts(amounts).notna(), amounts) < 0.5:
            named = fields.pop("amount")
    if "amount" not in fields:
        pos = _money_column(fields, values)
        if pos is not None:
            fields["amount"] = pos
            notes.append(
                f"amount taken from {headers[pos] or f'column {pos + 1}'!r} by its values"
                + (f" (column {headers[named]!r} does not hold amounts)" if named else "")
            )
    if named is not None and "amount" not in fields:
        fields["amount"] = named
        notes.append(
            f"column {headers[named]!r} holds few readable amounts; rows without one are rejected"
        )


def _money_column(fields: dict[str, int], values: _Sample) -> int | None:
    """The first unmapped column that is mostly filled with money written with pence."""
    for pos in range(len(values.headers)):
        if pos in fields.values():
            continue
        col = values.col(pos)
        if (
            (col.str.strip() != "").mean() > 0.8
            and _share(parse_amounts(col).notna(), col) > 0.95
            and col.str.contains(r"\.\d\d$", regex=True).mean() > 0.5
        ):
            return pos
    return None


def _note_dates_that_do_not_read(
    fields: dict[str, int], values: _Sample, notes: list[str]
) -> None:
    """A date column without dates is kept (rows then take the file's period) but noted."""
    if "date" not in fields:
        return
    dates = values.col(fields["date"])
    if _share(parse_dates(dates).notna(), dates) < 0.5:
        header = values.headers[fields["date"]]
        notes.append(
            f"column {header!r} holds no readable dates (e.g. {dates.iloc[0]!r})"
            if len(values.rows)
            else f"column {header!r} holds no readable dates"
        )


def _names_in_the_supplier_id_column(
    fields: dict[str, int], values: _Sample, notes: list[str]
) -> None:
    """A "Supplier ID" column holding names is the supplier name (Gateshead's Supplier ID(T))."""
    if "supplier_name" in fields or "supplier_id" not in fields:
        return
    ids = values.col(fields["supplier_id"])
    ids = ids[ids.str.strip() != ""]
    code_like = ids.str.fullmatch(r"[A-Za-z]{0,3}[\d_/\-.]+[A-Za-z\d_/\-.]*", na=False).mean()
    wordy = ids.str.contains(r"[A-Za-z]{3,}", regex=True, na=False).mean()
    if len(ids) and code_like < 0.2 and wordy > 0.7:
        fields["supplier_name"] = fields.pop("supplier_id")
        notes.append(
            f"supplier names taken from {values.headers[fields['supplier_name']]!r} "
            "(it holds names, not codes)"
        )


def save_mapping(path: Path, council: str, layouts: list[dict]) -> None:
    """Write the council's known layouts (headers + field mapping) as editable YAML."""
    doc = {"council": council, "layouts": layouts}
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


def load_mapping(path: Path) -> dict:
    """Read a saved council mapping; one-line error when it is not one."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read mapping {path}: {exc}") from exc
    if not isinstance(doc, dict):
        raise ValueError(f"mapping {path} is not a YAML mapping")
    doc.setdefault("layouts", [])
    doc.setdefault("columns", {})
    return doc
