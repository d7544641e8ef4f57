"""The synthetic national register and its payees (each variant is what it claims, every
registered payee's company is in the register), and the pair budget's choice of blocking."""

from __future__ import annotations

import pandas as pd
import pytest
from rapidfuzz.distance import Levenshtein

from impact.places.linkage import blocking_report
from impact.synthetic import linkage_national as ln


@pytest.fixture(scope="module")
def world() -> tuple[pd.DataFrame, pd.DataFrame]:
    reg = pd.concat(list(ln.register_chunks(6_000, seed=11)), ignore_index=True)
    pay = ln.payee_chunk(reg["name"].astype("string"),
                         reg["company_number"].to_numpy().astype(str), 0, 6_000, seed=11)
    return reg, pay


def test_register_is_unique_and_has_lookalikes(world: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    reg, _ = world
    assert len(reg) == 6_000 and reg["company_number"].is_unique
    assert ln.register_key(reg["name"]).is_unique  # as Companies House requires
    assert (reg["shape"] == "neighbour").mean() > 0.02
    common = reg["name"].str.contains(r"\b(?:CARE|SERVICES|HOMES)\b").mean()
    assert 0.1 < common < 0.6  # common words that term weights must discount
    again = pd.concat(list(ln.register_chunks(6_000, seed=11)), ignore_index=True)
    pd.testing.assert_frame_equal(reg, again)  # deterministic from its seed


def _claim_holds(kind: str, name: str, reg: str) -> bool:
    """Whether ``name`` is ``reg`` spelt the way ``kind`` says."""
    checks = {
        "as registered": lambda: name == reg,
        "title case": lambda: name == reg.title() and name != reg,
        "legal form spelt": lambda: {name.rsplit(" ", 1)[-1], reg.rsplit(" ", 1)[-1]}
        == {"LTD", "LIMITED"} and name.rsplit(" ", 1)[0] == reg.rsplit(" ", 1)[0],
        "legal form dropped": lambda: reg.startswith(name + " ") and reg[len(name) + 1:] in {
            "LTD", "LIMITED", "PLC", "LLP", "COMMUNITY INTEREST COMPANY"},
        "cut short": lambda: reg.startswith(name) and 19 <= len(name) <= 35 < len(reg) + 35
        and len(name) < len(reg),
        "apostrophe": lambda: "'" in reg and name == reg.replace("'", ""),
        "and/&": lambda: name in (reg.replace(" & ", " AND "), reg.replace(" AND ", " & "))
        and name != reg,
        "branch suffix": lambda: name.startswith(reg + " ") and len(name) > len(reg) + 1,
        "one-letter typo": lambda: Levenshtein.distance(name, reg) == 1
        and name[0] == reg[0],
        "trading as": lambda: name.startswith(reg + " T/A ") and len(name) > len(reg) + 6,
    }
    return checks[kind]()


def test_payee_variants_are_what_they_claim(world: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    reg, pay = world
    assert pay["payee_key"].is_unique
    registered = pay[pay["variant"] != "no register entry"]
    assert set(registered["truth"]) <= set(reg["company_number"])  # true ids present
    by_number = reg.set_index("company_number")["name"]
    assert (by_number.reindex(registered["truth"]).to_numpy()
            == registered["register_name"].to_numpy()).all()
    wrong = [(k, n, r) for k, n, r in zip(registered["variant"], registered["name"],
                                          registered["register_name"], strict=True)
             if not _claim_holds(k, n, r)]
    assert not wrong, wrong[:5]
    assert set(ln.VARIANTS) <= set(pay["variant"])  # every kind occurs
    unregistered = pay[pay["variant"] == "no register entry"]
    assert unregistered["truth"].isna().all() and pay["truth"].notna().sum() == len(registered)
    assert 0.1 < len(unregistered) / len(pay) < 0.2


def test_budget_tightens_blocking_and_report_counts_what_is_lost() -> None:
    names = ["ACME BUILDING", "ACME BUILDNG", "ACME ROOFING", "ACME PLUMBING", "ZED CARE"]
    left = pd.DataFrame({"key": ["L0", "L1"], "name_norm": ["ACME BUILDING", "ZED CARE"]})
    right = pd.DataFrame({"key": [f"R{i}" for i in range(5)], "name_norm": names})
    truth = pd.DataFrame({"left_key": ["L0", "L1"], "right_key": ["R1", "R4"]})
    report = blocking_report(left, right, truth, budgets=(1e9, 3, 1))
    loose = {"budgeted": report["1e+09"], "loose": report["loose"]}
    assert loose["budgeted"]["recall"] == loose["loose"]["recall"] == 1.0
    assert loose["budgeted"]["pairs"] == loose["loose"]["pairs"]
    tight = {"budgeted": report["3"]}
    # The first word's rule alone would add 5 pairs: its tighter variant (first word and
    # the second word's initial) fits, keeps both true pairs, and leaves no budget.
    assert tight["budgeted"]["rules"] == ["name_first_token AND name_second_initial"]
    assert tight["budgeted"]["pairs"] == 3 < loose["loose"]["pairs"]
    assert tight["budgeted"]["recall"] == 1.0 and tight["budgeted"]["true_pairs"] == 2
    none = {"budgeted": report["1"], "loose": report["loose"]}
    assert none["budgeted"]["rules"] == [] and none["budgeted"]["pairs"] == 0
    assert none["budgeted"]["recall"] == 0.0 and none["loose"]["recall"] == 1.0


def test_an_unknown_engine_is_refused() -> None:
    from impact.places.linkage import place_links

    one = pd.DataFrame({"key": ["A"], "name_norm": ["ACME"]})
    with pytest.raises(ValueError, match="engine"):
        place_links(one, one, engine="hadoop")


@pytest.mark.spark
def test_register_links_are_the_same_on_spark(world: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """The model fitted on DuckDB scores the same pairs alike on Spark: same candidates,
    probabilities to 1e-9, same placements."""
    from impact.ingest.names import normalise_names
    from impact.places.linkage import place_links

    reg, pay = world
    left = pd.DataFrame({"key": pay["payee_key"], "name_norm": normalise_names(pay["name"])})
    right = pd.DataFrame({"key": reg["company_number"], "name_norm": normalise_names(reg["name"]),
                          "entity": reg["company_number"]})
    left = left.dropna().head(400)
    duck, dd = place_links(left, right)
    spark, sd = place_links(left, right, engine="spark")
    assert dd.pairs_compared == sd.pairs_compared > 0 and duck["placed"].sum() > 100
    both = duck.merge(spark, on=["left_key", "right_key"], how="outer", indicator=True)
    assert (both["_merge"] == "both").all()
    assert (both["match_probability_x"] - both["match_probability_y"]).abs().max() < 1e-9
    assert (both["placed_x"] == both["placed_y"]).all()


def test_impact_link_register_places_payees(tmp_path, world, capsys) -> None:
    from impact.cli import main

    reg, pay = world
    pay.rename(columns={"payee_key": "key"})[["key", "name"]].head(1500).to_parquet(
        tmp_path / "payees.parquet", index=False)
    reg[["company_number", "name"]].to_parquet(tmp_path / "register.parquet", index=False)
    out = tmp_path / "links.parquet"
    assert main(["link-register", str(tmp_path / "payees.parquet"),
                 str(tmp_path / "register.parquet"), "--out", str(out)]) == 0
    links = pd.read_parquet(out)
    placed = links[links["placed"]].merge(pay, left_on="left_key", right_on="payee_key")
    assert (placed["company_number"] == placed["truth"]).mean() >= 0.98
    typos = pay.head(1500)
    typos = typos[typos["variant"] == "one-letter typo"]
    found = links.merge(typos, left_on=["left_key", "company_number"],
                        right_on=["payee_key", "truth"])
    assert len(found) >= 0.9 * len(typos) > 0  # the model's suggestions beyond exact names
    assert "1,500 payees →" in capsys.readouterr().out
    assert main(["link-register", str(tmp_path / "nowhere.parquet"),
                 str(tmp_path / "register.parquet"), "--out", str(out)]) == 2
