"""Payment checks that look at patterns, not single payments: year-end spikes by
department, first-two-digit (Benford) tests, round sums and supplier concentration by
service.  Each states its test, its significance and its base rate; none is evidence of a
wrong payment on its own, so their findings are medium or low confidence.

The rules follow :mod:`impact.analysis.checks` (a dataclass of parameters with ``find``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from impact.analysis.checks import (
    HIGH,
    LOW,
    MEDIUM,
    CheckContext,
    Found,
    Payments,
    RuleResult,
    combined,
    findings_frame,
    money,
    month_numbers,
)


def _service(p: Payments) -> tuple[np.ndarray, np.ndarray]:
    """The service each payment is for, as (codes, names): its service area where
    published, else its department."""
    t = p.tx
    if "service_area" in t and t["service_area"].notna().any():
        codes, names = pd.factorize(t["service_area"].astype("string").fillna("(not given)"))
        return codes.astype(np.int64), np.asarray(names, dtype=object)
    return p.dept, p.dept_names


def _year_month(p: Payments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The dated payments' positions, and each one's calendar year and month (1–12)."""
    at = np.flatnonzero(p.dated)
    months = month_numbers(p.day[at])
    return at, months // 12 + 1970, months % 12 + 1


# ----------------------------------------------------------------------------- year end


@dataclass(frozen=True)
class YearEnd:
    """Year-end spikes by department: the year's last month (March) against the
    department's other months of that financial year, by a one-sided prediction test (is
    March's spend an unusually high draw from the other months' spread?)."""

    year_end_month: int = 3
    min_months: int = 6
    alphas: tuple[float, float, float] = (0.001, 0.01, 0.05)
    min_ratio: float = 1.5
    min_excess: float = 10000.0

    key = "year_end"
    title = "Year-end spike"
    rule = ("A department's spend in the last month of the financial year against its other "
            "months that year: t = (last − mean) / (sd × √(1 + 1/n)), one-sided, n − 1 "
            "degrees of freedom; flagged when significant, at least the minimum ratio and "
            "the minimum £ above the mean.")
    confidence: ClassVar[dict[str, str]] = {
        HIGH: "p < 0.001 and at least twice the other months' mean",
        MEDIUM: "p < 0.01",
        LOW: "p < 0.05",
    }
    filters: ClassVar[dict[str, str]] = {
        "too_few_months": "department-years with fewer other months than the minimum are "
                          "not tested ('not enough months')",
        "small": "spikes under the minimum ratio or £ above the mean",
    }

    def find(self, p: Payments, context: CheckContext) -> RuleResult:
        table = self._table(p)
        flagged = table[table["confidence"].notna()]
        found = Found([], [], [], [], [], ids=[])
        at, year, month = _year_month(p) if len(flagged) else (None, None, None)
        for r in flagged.itertuples():
            rows = at[(p.dept[at] == r.dept_code) & (month == self.year_end_month)
                      & (year == r.end_year) & (p.pence[at] > 0)]
            found.rows.append(rows)
            found.confidence.append(r.confidence)
            found.amount.append(float(r.excess))
            found.what.append(f"{r.month_name} spend {r.ratio:.1f}× the department's other "
                              f"months in the year to {r.month_name}")
            found.evidence.append(
                f"{r.month_name}: {money(r.last)}; other {r.months} months: mean "
                f"{money(r.mean)}, sd {money(r.sd)}; one-sided prediction test p = "
                f"{r.p:.2g}. £ at stake is the spend above the mean.")
            found.ids.append(f"{r.department}|{r.end_year}")
        shown = table[["department", "month_name", "last", "months", "mean", "sd", "ratio",
                       "excess", "p", "confidence", "note"]].rename(columns=_YEAR_END_WORDS)
        return RuleResult(findings_frame(self, p, found),
                          {"department_years_tested": int(table["p"].notna().sum()),
                           "flagged": len(flagged)}, table=shown)

    def _table(self, p: Payments) -> pd.DataFrame:
        """One row per department and financial year: the last month, the others, the test."""
        from scipy.special import stdtr

        at, year, month = _year_month(p)
        end_year = year + (month > self.year_end_month)
        code = combined([p.dept[at], end_year, month])
        key = np.zeros((int(code.max(initial=-1)) + 1, 3), dtype=np.int64)
        key[code] = np.column_stack([p.dept[at], end_year, month])  # one row per code
        f = pd.DataFrame(key, columns=["dept_code", "end_year", "month"]).assign(
            amount=np.bincount(code, weights=p.pence[at], minlength=len(key)) / 100)
        m = f.set_index(["dept_code", "end_year", "month"])["amount"].unstack("month")
        last = m.get(self.year_end_month, pd.Series(np.nan, index=m.index))
        others = m.drop(columns=[self.year_end_month], errors="ignore")
        out = pd.DataFrame({"last": last, "months": others.notna().sum(axis=1),
                            "mean": others.mean(axis=1), "sd": others.std(axis=1, ddof=1)})
        out = out.reset_index()
        n = out["months"]
        tstat = (out["last"] - out["mean"]) / (out["sd"] * np.sqrt(1 + 1 / n))
        ok = (n >= self.min_months) & out["last"].notna() & (out["sd"] > 0)
        out["p"] = np.where(ok, stdtr(np.maximum(n - 1, 1), -tstat), np.nan)
        out["ratio"] = out["last"] / out["mean"]
        out["excess"] = out["last"] - out["mean"]
        out["confidence"] = self._levels(out)
        out["department"] = p.dept_names[out["dept_code"].to_numpy()]
        out["month_name"] = [f"{calendar.month_abbr[self.year_end_month]} {int(y)}"
                             for y in out["end_year"]]
        out["note"] = np.where(ok, "", "not enough months")
        return out.sort_values("p", na_position="last").reset_index(drop=True)

    def _levels(self, t: pd.DataFrame) -> pd.Series:
        big = (t["ratio"] >= self.min_ratio) & (t["excess"] >= self.min_excess)
        strong, mid, weak = self.alphas
        level = np.select([big & (t["p"] < strong) & (t["ratio"] >= 2), big & (t["p"] < mid),
                           big & (t["p"] < weak)], [HIGH, MEDIUM, LOW], default="")
        return pd.Series(level, index=t.index).replace("", pd.NA)


#: The year-end table's columns as a reader names them (:func:`impact.outputs.labels.column`
#: spells them out).
_YEAR_END_WORDS = {"month_name": "year_end_month", "last": "spend_that_month",
                   "months": "other_months", "mean": "other_months_mean",
                   "sd": "other_months_spread", "ratio": "times_the_mean",
                   "excess": "above_the_mean", "p": "significance_p"}


# ----------------------------------------------------------------------------- digits

#: The digit test's table: one row per department.
_DIGIT_COLUMNS = ("department", "payments", "mad", "mad_by_chance", "conformity",
                  "over_represented")
#: Expected share of each first-two-digit pair 10…99 under Benford's law.
BENFORD_TWO = np.log10(1 + 1 / np.arange(10, 100))


@dataclass(frozen=True)
class Digits:
    """First-two-digit (Benford) test per department, with Nigrini's mean absolute
    deviation (MAD) conformity ranges; only where there are enough payments.  Payments under
    ``floor_pounds`` are left out: the publication threshold (£500, £250) cuts the smaller
    amounts, and whole decades from £1,000 up are not cut."""

    min_payments: int = 1000
    floor_pounds: float = 1000.0
    mad_ranges: tuple[float, float, float] = (0.0012, 0.0018, 0.0022)
    chance_factor: float = 1.5
    spike_z: float = 3.0

    key = "digits"
    title = "First-two-digit test"
    rule = ("The share of payments (£1,000 and over) starting with each pair of digits "
            "10–99 against Benford's law; MAD over 0.0022 is nonconformity (Nigrini) when it "
            "is also well above the MAD chance alone gives at that many payments, and the "
            "pairs over-represented with z over the spike level are the payments to look at.")
    confidence: ClassVar[dict[str, str]] = {
        HIGH: "never: a digit test points where to look, it is not evidence",
        MEDIUM: "nonconformity and a spike at a pair just under a round threshold "
                "(49, 24, 99)",
        LOW: "nonconformity (MAD over 0.0022) with over-represented digit pairs",
    }
    filters: ClassVar[dict[str, str]] = {
        "too_few": "departments with fewer payments than the minimum are not tested "
                   "('not enough payments')",
        "below_floor": "payments under the floor (the publication threshold cuts them)",
        "chance": "a MAD over 0.0022 that chance alone gives at this many payments (MAD "
                  "grows as payments get fewer: about 0.0026 at 1,000 conforming payments)",
    }

    def find(self, p: Payments, context: CheckContext) -> RuleResult:
        pounds = p.pence / 100
        tested = pounds >= self.floor_pounds
        pair = np.zeros(len(pounds), dtype=np.int64)
        x = pounds[tested]
        pair[tested] = (x / 10 ** (np.floor(np.log10(x)) - 1)).astype(np.int64)
        counts = np.bincount(p.dept[tested] * 90 + pair[tested] - 10,
                             minlength=len(p.dept_names) * 90).reshape(-1, 90)
        rows_out, found = [], Found([], [], [], [], [], ids=[])
        for code, name in enumerate(p.dept_names):
            row, spikes = self._test(name, counts[code])
            rows_out.append(row)
            if row["conformity"] == "nonconformity" and spikes:
                spiked = np.zeros(100, dtype=bool)
                spiked[spikes] = True
                mine = tested & (p.dept == code) & spiked[pair]
                self._add(found, p, mine, row, (spikes, pair))
        table = pd.DataFrame(rows_out, columns=_DIGIT_COLUMNS).sort_values(
            "mad", ascending=False, na_position="last")
        words = {"mad": "mean_absolute_deviation", "mad_by_chance": "deviation_by_chance_alone",
                 "over_represented": "digit_pairs_over_represented"}
        return RuleResult(findings_frame(self, p, found),
                          {"departments_tested": int(table["mad"].notna().sum())},
                          table=table.reset_index(drop=True).rename(columns=words))

    def _test(self, department: str, counts: np.ndarray) -> tuple[dict, list[int]]:
        """The test on one department's counts of first-two-digit pairs 10…99."""
        n = int(counts.sum())
        row = {"department": department, "payments": n, "mad": np.nan,
               "mad_by_chance": np.nan, "conformity": "not enough payments",
               "over_represented": ""}
        if n < self.min_payments:
            return row, []
        share = counts / n
        mad = float(np.abs(share - BENFORD_TWO).mean())
        z = (np.abs(share - BENFORD_TWO) - 1 / (2 * n)) / np.sqrt(
            BENFORD_TWO * (1 - BENFORD_TWO) / n)
        spikes = [int(d) for d in np.flatnonzero((share > BENFORD_TWO) & (z > self.spike_z))
                  + 10]
        chance = float(np.sqrt(2 / np.pi * BENFORD_TWO * (1 - BENFORD_TWO) / n).mean())
        close, fine, marginal = self.mad_ranges
        word = ("close" if mad <= close else "acceptable" if mad <= fine else "marginal"
                if mad <= marginal else "nonconformity" if mad > self.chance_factor * chance
                else "within chance at this size")
        row.update(mad=mad, mad_by_chance=chance, conformity=word,
                   over_represented=", ".join(str(d) for d in spikes))
        return row, spikes

    def _add(self, found: Found, p: Payments, mask: np.ndarray, row: dict,
             spiked: tuple[list[int], np.ndarray]) -> None:
        """One finding: the payments in the over-represented pairs; £ at stake is their
        excess over what Benford's law expects (each pair's £ × its excess share)."""
        spikes, pair = spiked
        rows = np.flatnonzero(mask)
        pence = p.pence[rows].astype(float)
        counts = pd.Series(pence).groupby(pair[rows]).agg(["size", "sum"])
        expected = BENFORD_TWO[counts.index.to_numpy() - 10] * row["payments"]
        excess = ((counts["size"] - expected).clip(lower=0) / counts["size"] * counts["sum"])
        found.rows.append(rows)
        found.confidence.append(MEDIUM if {24, 49, 99} & set(spikes) else LOW)
        found.amount.append(float(excess.sum() / 100))
        found.what.append(f"Payments starting {', '.join(str(s) for s in spikes[:6])} "
                          "occur more often than Benford's law expects")
        found.evidence.append(
            f"{row['payments']:,} payments of £1,000 or more tested; MAD {row['mad']:.4f} "
            f"(over 0.0022, and chance alone gives about {row['mad_by_chance']:.4f} at this "
            "many payments). Listed: the payments in the over-represented digit pairs; £ at "
            "stake is their excess over what the law expects.")
        found.ids.append(str(row["department"]))


# ----------------------------------------------------------------------------- round sums


@dataclass(frozen=True)
class RoundSums:
    """Round-sum payments by service against the council's base rate: services where
    whole multiples of ``unit_pounds`` are far more common than across the council
    (binomial test)."""

    unit_pounds: float = 1000.0
    min_pounds: float = 1000.0
    min_round: int = 5
    alpha: float = 0.001
    min_ratio: float = 2.0

    key = "round_sums"
    title = "Many round-sum payments"
    rule = ("The share of a service's payments (£1,000 and over) that are whole multiples of "
            "£1,000 against the council's base rate; flagged when at least twice the base "
            "rate and significant (one-sided binomial test).")
    confidence: ClassVar[dict[str, str]] = {
        HIGH: "never: round sums are common for grants, fees and stage payments",
        MEDIUM: "at least five times the base rate",
        LOW: "at least twice the base rate",
    }
    filters: ClassVar[dict[str, str]] = {
        "few": "services with fewer round payments than the minimum"}

    def find(self, p: Payments, context: CheckContext) -> RuleResult:
        from scipy.special import bdtrc

        big = p.pence >= self.min_pounds * 100
        is_round = big & (p.pence % int(self.unit_pounds * 100) == 0)
        code, names = _service(p)
        t = pd.DataFrame({"service": names,
                          "n": np.bincount(code, weights=big, minlength=len(names)),
                          "k": np.bincount(code, weights=is_round, minlength=len(names))}
                         ).set_index("service").astype(np.int64)
        base = float(is_round.sum() / max(big.sum(), 1))
        t["share"] = t["k"] / t["n"].where(t["n"] > 0)
        t["base_rate"] = base
        t["p"] = bdtrc(t["k"] - 1, t["n"], base) if base > 0 else np.nan
        ratio = t["share"] / base if base > 0 else np.nan
        flag = (t["k"] >= self.min_round) & (t["p"] < self.alpha) & (ratio >= self.min_ratio)
        found = Found([], [], [], [], [], ids=[])
        for i, (name, r) in enumerate(t.iterrows()):
            if not flag.iloc[i]:
                continue
            rows = np.flatnonzero(is_round & (code == i))
            found.rows.append(rows)
            found.confidence.append(MEDIUM if r["share"] >= 5 * base else LOW)
            found.amount.append(float(p.pence[rows].sum() / 100))
            found.what.append(f"{int(r['k'])} of {int(r['n'])} payments are round "
                              f"{money(self.unit_pounds)} multiples ({r['share']:.0%})")
            found.evidence.append(
                f"Base rate across the council: {base:.1%} of payments of "
                f"{money(self.min_pounds)} or more; binomial test p = {r['p']:.2g}.")
            found.ids.append(str(name))
        table = t.reset_index().sort_values("p").rename(columns={
            "n": "payments_1000_and_over", "k": "round_payments", "share": "round_share",
            "p": "significance_p"})
        return RuleResult(findings_frame(self, p, found),
                          {"base_rate": round(base, 4), "services": len(t)}, table=table)


# ----------------------------------------------------------------------------- concentration


@dataclass(frozen=True)
class Concentration:
    """Supplier concentration by service: one supplier taking most of what a service pays
    its suppliers (public bodies and people left out), against the median across services of
    that size (the base rate)."""

    min_share: float = 0.75
    min_service_pounds: float = 250000.0

    key = "concentration"
    title = "One supplier takes most of a service's spend"
    rule = ("The largest supplier's share of a service's payments to suppliers, for services "
            "paying suppliers at least the minimum £; flagged at the minimum share.")
    confidence: ClassVar[dict[str, str]] = {
        HIGH: "never: a dependency to plan for, not an error",
        MEDIUM: "over 90 % of the service's spend with suppliers",
        LOW: "over the minimum share",
    }
    filters: ClassVar[dict[str, str]] = {"small": "services under the minimum £",
               "not_suppliers": "payments to public bodies and people"}

    def find(self, p: Payments, context: CheckContext) -> RuleResult:
        chosen = (p.pence > 0) & ~p.public & ~p.other_payee & (p.key >= 0)
        code, names = _service(p)
        pair = combined([code[chosen], p.key[chosen]])
        at = np.flatnonzero(chosen)[np.unique(pair, return_index=True)[1]]
        by = pd.DataFrame({"service": code[at], "key": p.key[at],
                           "amount": np.bincount(pair, weights=p.pence[chosen]) / 100}
                          ).sort_values(["service", "key"], ignore_index=True)
        total = by.groupby("service")["amount"].transform("sum")
        top = by.assign(total=total, share=by["amount"] / total).sort_values(
            "amount", ascending=False).drop_duplicates("service")
        top = top[top["total"] >= self.min_service_pounds]
        base = float(top["share"].median()) if len(top) else np.nan
        found = Found([], [], [], [], [], ids=[])
        for r in top[top["share"] >= self.min_share].itertuples():
            rows = np.flatnonzero(chosen & (p.key == r.key) & (code == r.service))
            found.rows.append(rows)
            found.confidence.append(MEDIUM if r.share > 0.9 else LOW)
            found.amount.append(float(r.amount))
            found.what.append(f"{r.share:.0%} of the {money(r.total)} this service paid "
                              "to suppliers")
            found.evidence.append(
                f"Across the {len(top)} services paying suppliers "
                f"{money(self.min_service_pounds)} or more, the largest supplier's median "
                f"share is {base:.0%}.")
            found.ids.append(f"{names[r.service]}|{p.tx['supplier_name_norm'].iloc[rows[0]]}")
        first = np.full(int(p.key.max(initial=0)) + 1, len(p.key))
        np.minimum.at(first, p.key[p.key >= 0], np.flatnonzero(p.key >= 0))
        supplier = p.tx["supplier_name"].iloc[first[top["key"].to_numpy()]].to_numpy()
        table = top.assign(service=names[top["service"].to_numpy()], supplier=supplier).drop(
            columns=["key"]).rename(
            columns={"amount": "largest_supplier_spend", "total": "service_spend_with_suppliers",
                     "share": "largest_supplier_share"})
        return RuleResult(findings_frame(self, p, found),
                          {"services_tested": len(top), "median_top_share": base},
                          table=table.reset_index(drop=True))
