"""What changed between two periods: why total spend and the local share moved.

A rise in published spend is not always more spending.  The change between two periods (two
financial years, or a quarter against the same quarter a year before) is split into:

1. **publication changes** — what the files hold changed, not what the council spent: a new
   kind of file (card payments), months missing or published in part, a lower publication
   threshold (lines under £500 now published), payments to other public bodies newly in the
   files (council tax precepts, business-rate shares, tax: transfers councils make every year
   and start or stop publishing).  Each is a named cause with its £; its payments are set
   apart in both periods, so nothing is counted twice;
2. **spending changes** on the rest: new suppliers, suppliers no longer paid, and changes
   with continuing suppliers — by department and by category too.

The causes and the three spending parts add up to the change exactly.  The local share's
change is split the same way (:func:`local_steps`), with
:func:`impact.analysis.measures.local_figure` computing each step.  A change in the amount
column (net of VAT before, a column not labelled net after) is said, not priced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from impact.analysis import measures as ms
from impact.analysis.checks import category_column, department_column
from impact.analysis.compare import period_labels

#: A public body's payments count as newly in (or gone from) the files when its £ in one
#: period is at least this many times its £ in the other …
PUBLIC_BODY_JUMP = 5.0
#: … and the difference is at least this share of the larger period's spend.
PUBLIC_BODY_MATERIAL = 0.01
#: A month with fewer payments than this share of the period's median month is published
#: in part (or missing).
PARTIAL_MONTH = 0.25
#: A threshold is "published from £X" when under this share of positive lines are below £X.
THRESHOLD_SHARE = 0.02
#: Words in descriptions that name transfers to public bodies (for saying what they are).
TRANSFER_WORDS = {
    "council tax precepts": r"PRECEPT|C\s*TAX|COUNCIL TAX",
    "business-rate shares and tariffs": r"\bBRR\b|NNDR|BUSINESS RATE|CENTRAL SHARE|TARIFF|"
                                        r"\bPOOL\b|\bRSG\b",
    "tax and national insurance": r"\bHMRC\b|\bTAX\b|\bPAYE\b|\bNI\b|NATIONAL INSURANCE|\bVAT\b",
    "levies": r"\bLEV(?:Y|IES)\b",
    "pension contributions": r"PENSION",
}


#: What each part of a change is (the ``kind`` column of :meth:`Changes.table`).
PUBLICATION, SPENDING, TOTAL = "what the files hold", "spending", "total"


@dataclass(frozen=True)
class Cause:
    """One publication change: its £ effect on the change (later − earlier) and why."""

    key: str
    title: str
    amount: float
    detail: str
    rows_from: int
    rows_to: int


@dataclass
class Changes:
    """The change in spend between two periods, explained (see the module docstring)."""

    period_from: str
    period_to: str
    total_from: float
    total_to: float
    causes: list[Cause]
    new_suppliers: float
    suppliers_gone: float
    continuing: float
    counts: dict[str, int]
    movers: pd.DataFrame
    by_department: pd.DataFrame
    by_category: pd.DataFrame
    local: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def change(self) -> float:
        return self.total_to - self.total_from

    @property
    def publication(self) -> float:
        return float(sum(c.amount for c in self.causes))

    def table(self) -> pd.DataFrame:
        """Every part of the change with its £, adding up to the change."""
        rows = [(PUBLICATION, c.title, c.amount, c.detail) for c in self.causes]
        rows += [
            (SPENDING, "New suppliers", self.new_suppliers,
             f"{self.counts['new']:,} suppliers paid in {self.period_to} and not in "
             f"{self.period_from}"),
            (SPENDING, "Suppliers no longer paid", self.suppliers_gone,
             f"{self.counts['gone']:,} suppliers paid in {self.period_from} and not in "
             f"{self.period_to}"),
            (SPENDING, "Continuing suppliers", self.continuing,
             f"{self.counts['continuing']:,} suppliers paid in both periods"),
        ]
        out = pd.DataFrame(rows, columns=["kind", "cause", "change", "detail"])
        total = pd.DataFrame([(TOTAL, "Change in published spend", self.change,
                               f"{money(self.total_from)} → {money(self.total_to)}")],
                             columns=out.columns)
        return pd.concat([out, total], ignore_index=True)

    def sentences(self) -> list[str]:
        """What changed in three sentences (board pack, page, command line)."""
        up = "rose" if self.change >= 0 else "fell"
        first = (f"Published spend {up} from {money(self.total_from)} in {self.period_from} "
                 f"to {money(self.total_to)} in {self.period_to} ({signed(self.change)}).")
        big = sorted(self.causes, key=lambda c: -abs(c.amount))[:2]
        if big and abs(self.publication) >= 0.05 * max(abs(self.change), 1.0):
            second = (f"{signed(self.publication)} of it is a change in what the files hold, "
                      "not in spending: " + "; ".join(f"{c.title.lower()} ({signed(c.amount)})"
                                                       for c in big) + ".")
        else:
            second = "No change in what the files hold explains a material part of it."
        top = self.movers.head(1)
        lead = (f", most of all {top['supplier'].iloc[0]} ({signed(top['change'].iloc[0])})"
                if len(top) else "")
        third = (f"Of the rest, new suppliers added {money(self.new_suppliers)}, suppliers no "
                 f"longer paid took away {money(-self.suppliers_gone)} and continuing suppliers "
                 f"changed by {signed(self.continuing)}{lead}.")
        return [first, second, third]


def money(x: float) -> str:
    return ms.money(x)


def signed(x: float) -> str:
    """"+£1.2m" / "−£540"."""
    return ("+" if x >= 0 else "") + ms.money(x)


# ----------------------------------------------------------------------------- periods

_YEAR = re.compile(r"^\s*(?:FY\s*)?(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*$", re.I)
_QUARTER = re.compile(r"^\s*(?:(\d{4})\s*-?\s*Q([1-4])|Q([1-4])\s*-?\s*(\d{4}))\s*$", re.I)


def period_label(text: str) -> str:
    """A period as the comparison names it: "2023/24" (financial year; "2023-24" and
    "FY2023/24" too) or "2024 Q1" (calendar quarter; "2024-Q1", "Q1 2024" too)."""
    m = _YEAR.match(str(text))
    if m:
        start, end = int(m[1]), int(m[2][-2:])
        if (start + 1) % 100 != end:
            raise ValueError(f"{text!r} is not one financial year (e.g. 2023/24)")
        return f"{start}/{end:02d}"
    m = _QUARTER.match(str(text))
    if m:
        year, q = (m[1], m[2]) if m[1] else (m[4], m[3])
        return f"{year} Q{q}"
    raise ValueError(f"{text!r} is not a period: give a financial year (2023/24) or a "
                     "quarter (2024 Q1)")


def periods_of(tx: pd.DataFrame, label: str) -> pd.Series:
    """Each payment's period label in the frequency of ``label`` (year or quarter)."""
    return period_labels(tx["period"], "year" if "/" in label else "quarter")


def period_choices(tx: pd.DataFrame, quarters: bool = False) -> list[str]:
    """The periods with payments, oldest first: financial years, or calendar quarters.

    Labelled once per distinct period, not per payment: 0.8 s a visit of the Payment checks
    page on a 210,000-row council, for a few dozen months."""
    labels = period_labels(_distinct_periods(tx), "quarter" if quarters else "year")
    return sorted(set(labels.dropna()) - {"undated"})


def _distinct_periods(tx: pd.DataFrame) -> pd.Series:
    """Each distinct value of the payments' ``period`` once (a period's label and month
    depend on its value alone)."""
    return tx["period"].drop_duplicates()


def latest_pair(tx: pd.DataFrame) -> tuple[str, str] | None:
    """The last two financial years with twelve months of payments each ("this year" and
    the one before), else the last two with any; None with fewer than two."""
    period = _distinct_periods(tx)  # months per year: the same over distinct periods
    labels = period_labels(period, "year")
    months = period.astype("string").str.slice(0, 7)
    per_year = months.groupby(labels).nunique().drop("undated", errors="ignore")
    full = sorted(per_year[per_year >= 12].index)
    pick = full if len(full) >= 2 else sorted(per_year.index)
    return (pick[-2], pick[-1]) if len(pick) >= 2 else None


# ----------------------------------------------------------------------------- changes


def what_changed(tx: pd.DataFrame, period_from: str, period_to: str, *,
                 files: list[dict] | None = None, council_lads: list[str] = (),
                 council_names: list[str] = ()) -> Changes:
    """Why spend moved from ``period_from`` to ``period_to`` (labels or text
    :func:`period_label` reads).  ``files``: the ingest quality report's per-file entries
    (amount basis and layout per file), for the notes; ``council_lads``: the council's
    districts, for the local share (left out without them or without placed suppliers)."""
    a_label, b_label = period_label(period_from), period_label(period_to)
    if ("/" in a_label) != ("/" in b_label):
        raise ValueError("compare a year with a year, or a quarter with a quarter")
    labels = periods_of(tx, a_label).to_numpy()
    a = tx[labels == a_label].reset_index(drop=True)
    b = tx[labels == b_label].reset_index(drop=True)
    if a.empty or b.empty:
        empty = a_label if a.empty else b_label
        raise ValueError(f"no dated payments in {empty}")
    tag_a, tag_b, causes = publication_changes(a, b, a_label, b_label)
    parts = _spending(a[tag_a.isna().to_numpy()], b[tag_b.isna().to_numpy()])
    return Changes(
        period_from=a_label, period_to=b_label,
        total_from=_total(a), total_to=_total(b), causes=causes,
        new_suppliers=parts["new"], suppliers_gone=parts["gone"],
        continuing=parts["continuing"], counts=parts["counts"], movers=parts["movers"],
        by_department=breakdown(a, b, tag_a, tag_b, department_column),
        by_category=breakdown(a, b, tag_a, tag_b, category_column),
        local=local_steps(a, b, tag_a, tag_b, list(council_lads), list(council_names)),
        notes=file_notes(a, b, files or [], a_label, b_label),
    )


def _total(t: pd.DataFrame) -> float:
    return float(pd.to_numeric(t["amount"], errors="coerce").fillna(0.0).sum())


def _key(t: pd.DataFrame) -> pd.Series:
    from impact.ingest.schema import supplier_keys

    return (t["supplier_key"] if "supplier_key" in t else supplier_keys(t)).astype("string")


# ----------------------------------------------------------------------------- publication


def publication_changes(a: pd.DataFrame, b: pd.DataFrame, a_label: str, b_label: str
                        ) -> tuple[pd.Series, pd.Series, list[Cause]]:
    """Each row's publication cause (NA when none) in both periods, and the causes found,
    tried in order: card payments, public bodies, months, threshold (a row goes to the
    first cause that claims it)."""
    tag_a = pd.Series(pd.NA, index=a.index, dtype="string")
    tag_b = pd.Series(pd.NA, index=b.index, dtype="string")
    causes = []
    for find in (_card_payments, _public_bodies, _months, _threshold):
        free_a, free_b = a[tag_a.isna().to_numpy()], b[tag_b.isna().to_numpy()]
        found = find(free_a, free_b, a_label, b_label)
        if found is None:
            continue
        key, title, in_a, in_b, detail = found
        tag_a[in_a[in_a].index] = key
        tag_b[in_b[in_b].index] = key
        amount = _total(free_b[in_b.to_numpy()]) - _total(free_a[in_a.to_numpy()])
        causes.append(Cause(key, title, amount, detail, int(in_a.sum()), int(in_b.sum())))
    return tag_a, tag_b, causes


Found = tuple[str, str, pd.Series, pd.Series, str] | None


def _card_payments(a: pd.DataFrame, b: pd.DataFrame, a_label: str, b_label: str) -> Found:
    """Card (P-card) payments in one period's files and not the other's."""
    ca = a["is_card"].fillna(False).astype(bool)
    cb = b["is_card"].fillna(False).astype(bool)
    if bool(ca.any()) == bool(cb.any()):
        return None
    now = bool(cb.any())
    title = "Card payments newly published" if now else "Card payments no longer published"
    n, pounds = (int(cb.sum()), _total(b[cb.to_numpy()])) if now else (
        int(ca.sum()), _total(a[ca.to_numpy()]))
    where = b_label if now else a_label
    detail = (f"{n:,} purchase-card payments ({money(pounds)}) are in the {where} files and "
              f"none in the {a_label if now else b_label} files: a new kind of file, not "
              "new spending")
    return "card_payments", title, ca, cb, detail


def _public_bodies(a: pd.DataFrame, b: pd.DataFrame, a_label: str, b_label: str) -> Found:
    """Public bodies paid far more in one period than the other, by a material sum: payments
    (precepts, business-rate shares, tax) newly in the files or gone from them."""
    if "supplier_class" not in a or "supplier_class" not in b:
        return None
    pa_, pb_ = _public_spend(a), _public_spend(b)
    both = pd.concat([pa_, pb_], axis=1, keys=["a", "b"]).fillna(0.0)
    material = PUBLIC_BODY_MATERIAL * max(_total(a), _total(b))
    grew = (both["b"] >= PUBLIC_BODY_JUMP * both["a"]) & (both["b"] - both["a"] >= material)
    fell = (both["a"] >= PUBLIC_BODY_JUMP * both["b"]) & (both["a"] - both["b"] >= material)
    moved = both[grew | fell]
    if moved.empty:
        return None
    keys = set(moved.index)
    in_a, in_b = _key(a).isin(keys), _key(b).isin(keys)
    net = float((moved["b"] - moved["a"]).sum())
    title = ("Payments to other public bodies newly in the files" if net >= 0 else
             "Payments to other public bodies no longer in the files")
    names = _names(pd.concat([a, b]))
    top = moved.assign(d=(moved["b"] - moved["a"]).abs()).sort_values("d", ascending=False)
    listed = "; ".join(f"{names.get(k, k)} {money(r.a)} → {money(r.b)}"
                       for k, r in top.head(4).iterrows())
    kinds = _transfer_kinds(pd.concat([a[in_a.to_numpy()], b[in_b.to_numpy()]]))
    detail = (f"{len(moved)} public bodies paid at least {PUBLIC_BODY_JUMP:.0f}× more in one "
              f"period than the other: {listed}"
              + (f". Their descriptions name {kinds}" if kinds else "")
              + ": transfers made every year, so a change in what is published rather than "
              "in spending")
    return "public_bodies", title, in_a, in_b, detail


def _public_spend(t: pd.DataFrame) -> pd.Series:
    public = t["supplier_class"].astype("string").eq("public_body").fillna(False).to_numpy()
    amount = pd.to_numeric(t["amount"], errors="coerce").fillna(0.0)
    return amount[public].groupby(_key(t)[public]).sum()


def _names(t: pd.DataFrame) -> dict[str, str]:
    return dict(zip(_key(t), t["supplier_name"].astype("string"), strict=True))


def _transfer_kinds(t: pd.DataFrame) -> str:
    """Which kinds of transfer the descriptions name, by £ (e.g. "council tax precepts
    (£46.1m), business-rate shares and tariffs (£15.8m)")."""
    text = (t["description"].astype("string").fillna("") + " "
            + t["expense_type"].astype("string").fillna("") + " "
            + t["supplier_name"].astype("string").fillna("")).str.upper()
    amount = pd.to_numeric(t["amount"], errors="coerce").fillna(0.0)
    claimed = pd.Series(False, index=t.index)
    found = []
    for kind, pattern in TRANSFER_WORDS.items():
        hit = text.str.contains(pattern, regex=True) & ~claimed
        claimed |= hit
        if hit.any():
            found.append((kind, float(amount[hit].sum())))
    found.sort(key=lambda kv: -kv[1])
    return ", ".join(f"{kind} ({money(v)})" for kind, v in found if v > 0)


def _months(a: pd.DataFrame, b: pd.DataFrame, a_label: str, b_label: str) -> Found:
    """Months missing or published in part in either period, matched by their place in the
    period (the first month of one with the first of the other): their payments in both
    periods are set apart."""
    pa, pb = _place(a, a_label), _place(b, b_label)
    na, nb = pa.value_counts(), pb.value_counts()
    places = range(12 if "/" in a_label else 3)
    thin = [i for i in places if _thin(na, i) or _thin(nb, i)]
    if not thin:
        return None
    in_a, in_b = pa.isin(thin), pb.isin(thin)
    said = [f"{_month_name(a_label, i)}: {int(na.get(i, 0)):,} payments; "
            f"{_month_name(b_label, i)}: {int(nb.get(i, 0)):,}" for i in thin]
    detail = ("Months missing or published in part (fewer than "
              f"{PARTIAL_MONTH:.0%} of a usual month's payments) are not comparable: "
              + "; ".join(said))
    return "months", "Months missing or published in part", in_a, in_b, detail


def _first_month(label: str) -> pd.Period:
    if "/" in label:
        return pd.Period(f"{label[:4]}-04", "M")
    year, q = label.split(" Q")
    return pd.Period(f"{year}-{3 * int(q) - 2:02d}", "M")


def _place(t: pd.DataFrame, label: str) -> pd.Series:
    """Each payment's month as its place in the period (0 = the period's first month)."""
    start = _first_month(label)
    month = pd.PeriodIndex(t["period"].astype("string").str.slice(0, 7), freq="M")
    return pd.Series((month - start).map(lambda d: d.n), index=t.index)


def _month_name(label: str, place: int) -> str:
    return (_first_month(label) + place).strftime("%b %Y")


def _thin(counts: pd.Series, month: int) -> bool:
    usual = float(counts.median()) if len(counts) else 0.0
    return float(counts.get(month, 0)) < PARTIAL_MONTH * usual


def _threshold(a: pd.DataFrame, b: pd.DataFrame, a_label: str, b_label: str) -> Found:
    """A publication threshold lowered (or raised) between the periods: the lines under the
    higher one, in both periods, are set apart."""
    ta, tb = published_from(a), published_from(b)
    if ta == tb:
        return None
    high = max(ta, tb)
    amount_a = pd.to_numeric(a["amount"], errors="coerce")
    amount_b = pd.to_numeric(b["amount"], errors="coerce")
    in_a = (amount_a > 0) & (amount_a < high)
    in_b = (amount_b > 0) & (amount_b < high)
    lower = b_label if tb < ta else a_label
    title = (f"Lines under £{high:,.0f} newly published" if tb < ta
             else f"Lines under £{high:,.0f} no longer published")
    detail = (f"{lower} publishes payments from "
              f"{'£' + format(min(ta, tb), ',.0f') if min(ta, tb) else 'any amount'}; the other "
              f"period from £{high:,.0f}: {int(in_a.sum()):,} lines under £{high:,.0f} in "
              f"{a_label}, {int(in_b.sum()):,} in {b_label}")
    return "threshold", title, in_a, in_b, detail


def published_from(t: pd.DataFrame) -> int:
    """The £ a period's files publish from: 500 or 250 when almost no positive line is
    under it (:data:`THRESHOLD_SHARE`), else 0 (any amount)."""
    amount = pd.to_numeric(t["amount"], errors="coerce")
    pos = amount[amount > 0]
    if pos.empty:
        return 0
    for level in (500, 250):
        if float((pos < level).mean()) < THRESHOLD_SHARE:
            return level
    return 0


# ----------------------------------------------------------------------------- spending


def _spending(a: pd.DataFrame, b: pd.DataFrame) -> dict:
    """New suppliers, suppliers no longer paid, continuing suppliers (£ and counts), and the
    suppliers whose £ moved most."""
    sa = pd.to_numeric(a["amount"], errors="coerce").fillna(0.0).groupby(_key(a)).sum()
    sb = pd.to_numeric(b["amount"], errors="coerce").fillna(0.0).groupby(_key(b)).sum()
    both = pd.concat([sa, sb], axis=1, keys=["before", "after"])
    kind = np.select([both["before"].isna(), both["after"].isna()], ["new", "gone"],
                     default="continuing")
    both = both.fillna(0.0).assign(change=lambda d: d["after"] - d["before"], kind=kind)
    names = _names(pd.concat([a, b]))
    movers = both.assign(supplier=[names.get(k, k) for k in both.index])
    movers = movers.reindex(movers["change"].abs().sort_values(ascending=False).index)
    by_kind = both.groupby("kind")["change"].sum()
    return {"new": float(by_kind.get("new", 0.0)), "gone": float(by_kind.get("gone", 0.0)),
            "continuing": float(by_kind.get("continuing", 0.0)),
            "counts": {k: int((kind == k).sum()) for k in ("new", "gone", "continuing")},
            "movers": movers.reset_index(drop=True)[["supplier", "kind", "before", "after",
                                                      "change"]]}


def breakdown(a: pd.DataFrame, b: pd.DataFrame, tag_a: pd.Series, tag_b: pd.Series,
              by) -> pd.DataFrame:
    """The change per group (``by``: a column function such as
    :func:`impact.analysis.checks.department_column`): before, after, change, and the part
    from publication changes, new suppliers, suppliers no longer paid and continuing ones."""
    rows = []
    ga, gb = by(a), by(b)
    for group in sorted(set(ga.dropna()) | set(gb.dropna())):
        ia, ib = (ga == group).to_numpy(), (gb == group).to_numpy()
        xa, xb = a[ia], b[ib]
        free_a, free_b = xa[tag_a[ia].isna().to_numpy()], xb[tag_b[ib].isna().to_numpy()]
        parts = _spending(free_a, free_b)
        rows.append({"group": group, "before": _total(xa), "after": _total(xb),
                     "change": _total(xb) - _total(xa),
                     "publication": (_total(xb) - _total(free_b)) - (_total(xa)
                                                                     - _total(free_a)),
                     "new_suppliers": parts["new"], "suppliers_no_longer_paid": parts["gone"],
                     "continuing_suppliers": parts["continuing"]})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    return out.reindex(out["change"].abs().sort_values(ascending=False).index).reset_index(
        drop=True)


# ----------------------------------------------------------------------------- local share


def local_steps(a: pd.DataFrame, b: pd.DataFrame, tag_a: pd.Series, tag_b: pd.Series,
                lads: list[str], names: list[str]) -> pd.DataFrame | None:
    """The local share's change split into steps, each computed by
    :func:`impact.analysis.measures.local_figure`: the earlier period; without its payments set
    apart as publication changes; without suppliers no longer paid; the continuing suppliers
    at their later £; with the new suppliers; the later period with its publication changes.
    The steps' differences (publication, suppliers no longer paid, continuing, new) add up to
    the change.  None without the council's districts or placed suppliers."""
    if not lads or "location_band" not in a or "is_located" not in a:
        return None
    ka, kb = _key(a), _key(b)
    free_a, free_b = tag_a.isna().to_numpy(), tag_b.isna().to_numpy()
    cont_a = free_a & ka.isin(set(kb[free_b])).to_numpy()
    cont_b = free_b & kb.isin(set(ka[free_a])).to_numpy()
    steps = [(f"{_pl(a)}", a), ("without its publication changes", a[free_a]),
             ("without suppliers no longer paid", a[cont_a]),
             ("continuing suppliers at their later £", b[cont_b]),
             ("with the new suppliers", b[free_b]), (f"{_pl(b)}", b)]
    area = ms.CouncilArea("", tuple(lads), tuple(names))
    rows = []
    for label, t in steps:
        fig = ms.local_figure(t, area)
        rows.append({"step": label, "local_share": fig.value,
                     "coverage": fig.coverage.share if fig.coverage else None,
                     "lower": fig.lower, "upper": fig.upper, "enough": fig.enough})
    out = pd.DataFrame(rows)
    out["effect"] = out["local_share"].diff()
    out["because_of"] = ["", "publication changes", "suppliers no longer paid",
                         "continuing suppliers", "new suppliers", "publication changes"]
    out["note"] = np.where(out.pop("enough"), "", ms.NOT_ENOUGH_DATA)
    return out


def _pl(t: pd.DataFrame) -> str:
    return ms.Period.of(t).text


# ----------------------------------------------------------------------------- notes


def file_notes(a: pd.DataFrame, b: pd.DataFrame, files: list[dict], a_label: str,
               b_label: str) -> list[str]:
    """What changed in the files that cannot be priced: the amount column's basis (net of
    VAT, or a column not labelled net), and the layout (the fields the files publish)."""
    by_file = {str(f.get("path", "")).split("/")[-1]: f for f in files}
    notes = []
    basis_a, basis_b = _basis(a, by_file), _basis(b, by_file)
    if basis_a and basis_b and set(basis_a) != set(basis_b):
        notes.append(
            f"The amount column changed: {a_label} rests on {_said(basis_a)}; {b_label} on "
            f"{_said(basis_b)}. If a column not labelled net includes VAT, up to a sixth of "
            "its £ is VAT, so part of the change may be VAT, not spending.")
    fields_a, fields_b = _fields(a, by_file), _fields(b, by_file)
    if fields_a and fields_b and fields_a != fields_b:
        gained, lost = sorted(fields_b - fields_a), sorted(fields_a - fields_b)
        notes.append(
            f"The files' layout changed between {a_label} and {b_label}"
            + (f": {b_label} adds {', '.join(gained)}" if gained else "")
            + (f"{';' if gained else ':'} drops {', '.join(lost)}" if lost else "") + ".")
    return notes


def _basis(t: pd.DataFrame, by_file: dict[str, dict]) -> dict[str, float]:
    amount = pd.to_numeric(t["amount"], errors="coerce").fillna(0.0)
    basis = t["source_file"].astype("string").map(
        lambda f: (by_file.get(str(f)) or {}).get("amount_basis") or "not known")
    return {k: float(v) for k, v in amount.groupby(basis).sum().items()}


def _said(basis: dict[str, float]) -> str:
    words = {"net": "amounts net of VAT", "unlabelled": "an amount column not labelled net",
             "gross": "gross amounts"}
    return ", ".join(f"{words.get(k, k)} ({money(v)})" for k, v in
                     sorted(basis.items(), key=lambda kv: -kv[1]))


def _fields(t: pd.DataFrame, by_file: dict[str, dict]) -> frozenset[str]:
    """The fields published for most of a period's £ (files mapping them carry over half)."""
    from impact.ingest.schema import FIELD_LABELS

    amount = pd.to_numeric(t["amount"], errors="coerce").fillna(0.0).abs()
    per_file = amount.groupby(t["source_file"].astype("string")).sum()
    held: dict[str, float] = {}
    for f, pounds in per_file.items():
        for k in (by_file.get(str(f)) or {}).get("column_mapping") or {}:
            held[k] = held.get(k, 0.0) + float(pounds)
    total = float(per_file.sum()) or 1.0
    return frozenset(FIELD_LABELS.get(k, k) for k, v in held.items() if v > total / 2)
