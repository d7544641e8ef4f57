"""Every payment check together: the default rules with their parameters, one run over a
council's payments, and the findings ranked the way an officer works through them.

The rules live in :mod:`impact.analysis.checks` (duplicates, splits, closed companies) and
:mod:`impact.analysis.patterns` (year end, digits, round sums, concentration).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from impact.analysis.checks import (
    CONFIDENCES,
    CheckContext,
    Dissolved,
    Duplicates,
    Rule,
    RuleResult,
    Splits,
    empty_findings,
    prepare,
)
from impact.analysis.patterns import Concentration, Digits, RoundSums, YearEnd
from impact.core.settings import settings


def default_rules(thresholds: Sequence[float] | None = None) -> list[Rule]:
    """Every check with its default parameters; the split thresholds from ``thresholds``,
    else the settings (``IMPACT_PROCUREMENT_THRESHOLDS``)."""
    limits = tuple(float(x) for x in (thresholds or settings().procurement_thresholds))
    return [Duplicates(), Splits(thresholds=limits), Dissolved(), YearEnd(), Digits(),
            RoundSums(), Concentration()]


@dataclass
class CheckRun:
    """Every check's result over one set of payments: the findings ranked (confidence,
    then £), each rule's counts, tables and notes."""

    findings: pd.DataFrame
    results: dict[str, RuleResult]
    rules: list[Rule]

    def summary(self) -> pd.DataFrame:
        """Per check: findings, £ at stake and findings at each confidence."""
        f = self.findings
        rows = []
        for rule in self.rules:
            mine = f[f["check"] == rule.key]
            rows.append({"check": rule.key, "check_title": rule.title,
                         "findings": len(mine), "amount": float(mine["amount"].sum()),
                         **{c: int((mine["confidence"] == c).sum()) for c in CONFIDENCES}})
        return pd.DataFrame(rows)

    def notes(self) -> list[str]:
        return [n for r in self.results.values() for n in r.notes]


def run_checks(tx: pd.DataFrame, statuses: pd.DataFrame | None = None,
               rules: Sequence[Rule] | None = None) -> CheckRun:
    """Run ``rules`` (default: :func:`default_rules`) over the payments ``tx``."""
    rules = list(rules) if rules is not None else default_rules()
    p = prepare(tx)
    context = CheckContext(statuses)
    results = {rule.key: rule.find(p, context) for rule in rules}
    parts = [r.findings for r in results.values() if len(r.findings)]
    findings = pd.concat(parts, ignore_index=True) if parts else empty_findings()
    return CheckRun(ranked(findings), results, rules)


def ranked(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings in the order an officer works through them: high confidence first, then
    the most £ at stake."""
    level = findings["confidence"].map({c: i for i, c in enumerate(CONFIDENCES)})
    order = np.lexsort((-findings["amount"].to_numpy(float), level.to_numpy(float)))
    return findings.iloc[order].reset_index(drop=True)


#: Checks whose findings bear on one supplier's conduct (the charter reads them).
ABOUT_A_SUPPLIER = ("duplicate", "split", "dissolved")


def by_supplier(findings: pd.DataFrame, transactions: pd.DataFrame,
                history: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per supplier, the findings that bear on it (:data:`ABOUT_A_SUPPLIER`) with their
    verdicts: ``supplier_key``, ``open`` (to review), ``confirmed``, ``amount`` and ``note``
    ("2 possible duplicate payments to review; 1 confirmed")."""
    from impact.analysis.verdicts import CONFIRMED, TO_REVIEW, with_verdicts
    from impact.ingest.schema import supplier_keys

    f = findings[findings["check"].isin(ABOUT_A_SUPPLIER)]
    f = with_verdicts(f, history) if history is not None else f.assign(verdict=TO_REVIEW)
    keys = (transactions["supplier_key"] if "supplier_key" in transactions
            else supplier_keys(transactions)).astype("string").to_numpy()
    f = f.assign(supplier_key=[keys[r[0]] for r in f["rows"]])
    g = f.groupby("supplier_key")
    out = pd.DataFrame({"open": g["verdict"].apply(lambda v: int((v == TO_REVIEW).sum())),
                        "confirmed": g["verdict"].apply(lambda v: int((v == CONFIRMED).sum())),
                        "amount": g["amount"].sum()})
    titles = g["check_title"].agg(lambda t: ", ".join(sorted(set(t))).lower())
    out["note"] = [f"{t}: {o} to review, {c} confirmed" for t, o, c in
                   zip(titles, out["open"], out["confirmed"], strict=True)]
    return out.reset_index()
