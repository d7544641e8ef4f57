"""A synthetic national dataset: hundreds of councils' placed payments, deterministic and
labelled synthetic in every council name, store entry and source file.

Built to measure what national use costs — a 30M-row aggregate, cross-council payee
linkage at 10⁵–10⁶ names — and to exercise the Compare page without real data.  Nothing in
it depicts a real council, supplier or place: codes use a ``9`` range no real GSS code has
(``E08900001``), council names end in "(synthetic)", and payee names are made of a fixed
fictional vocabulary, as the demo borough's are.  (Payee names carry no label: a shared
word in every name would make all names look alike to the linkage being measured.)

The same payee appears at many councils under different spellings ("ACME BUILDING LTD",
"Acme Building Limited", "ACME BUILDNG LTD"), as in real spend files, so linkage has real
work to do; :func:`payee_names` keeps the true company behind every spelling so a linkage
can be scored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: English regions (names only; their codes here are synthetic).
REGIONS = ("North East", "North West", "Yorkshire and The Humber", "East Midlands",
           "West Midlands", "East of England", "London", "South East", "South West")
#: Authority types with their share of councils and GSS prefix.
TYPES = (
    ("NMD", "Non-metropolitan district", 0.55, "E07"),
    ("UA", "Unitary authority", 0.20, "E06"),
    ("MD", "Metropolitan district", 0.12, "E08"),
    ("LBO", "London borough", 0.08, "E09"),
    ("CTY", "County", 0.05, "E10"),
)
#: Where a council's suppliers are: its own area, the rest of its region, elsewhere, or not
#: placed at all — the mix seen in real councils with a good supplier register.
BAND_MIX = {"council": 0.30, "region": 0.20, "elsewhere": 0.30, "not located": 0.20}
CLASS_MIX = {"company": 0.70, "vcse": 0.10, "public_body": 0.12, "unknown": 0.08}
DIRECTORATES = ("Adults", "Children", "Place", "Resources", "Housing", "Environment",
                "Public Health", "Corporate")
EXPENSE_TYPES = ("Agency staff", "Building repairs", "Care packages", "Consultancy",
                 "Equipment", "Fuel", "Grants", "IT software", "Legal", "Printing",
                 "Rents", "Security", "Transport", "Utilities", "Waste")
_WORDS = ("ACME NORTH SOUTH WEST EAST PENNINE BRIGHT OAK ORCHARD MOOR VALLEY RIVER STONE "
          "IRON GREEN BLUE HILL FIELD BRIDGE CASTLE ABBEY MILL PARK ROYAL CROWN STAR ALPHA "
          "DELTA APEX SUMMIT PIONEER UNITED PREMIER HERITAGE EVERGREEN BEACON HARBOUR "
          "MEADOW LANTERN FALCON KESTREL HERON WILLOW ASH ELM BIRCH CEDAR")
_TRADES = ("BUILDING PLUMBING ELECTRICAL CARE CLEANING SECURITY CATERING TRANSPORT "
           "LOGISTICS CONSULTING SURVEYORS ROOFING JOINERY LANDSCAPES RECRUITMENT SYSTEMS "
           "SUPPLIES ENGINEERING PRINTING MEDIA DESIGN TRAINING")
_FORMS = ("LTD", "LIMITED", "LTD", "PLC", "LLP", "", "")
FIRST_MONTH = "2022-04"
#: In every synthetic council's name, so no row can pass for a real council's.
LABEL = " (synthetic)"
MONTHS = 36


def national_councils(n: int, seed: int = 2024) -> pd.DataFrame:
    """``n`` synthetic councils: id, name, GSS-style code, type, region, residents, IMD score.

    Columns: ``council_id``, ``council``, ``gss_code``, ``type``, ``type_name``, ``region``,
    ``region_code``, ``population``, ``imd_score``, ``n_wards``.
    """
    rng = np.random.default_rng([seed, 1])
    kinds = rng.choice(len(TYPES), size=n, p=[t[2] for t in TYPES])
    region = rng.integers(0, len(REGIONS), n)
    ids = np.arange(1, n + 1)
    return pd.DataFrame({
        "council_id": [f"synthetic-council-{i:03d}" for i in ids],
        "council": [f"Council {i:03d}{LABEL}" for i in ids],
        "gss_code": [f"{TYPES[k][3]}9{i:05d}" for k, i in zip(kinds, ids, strict=True)],
        "type": [TYPES[k][0] for k in kinds],
        "type_name": [TYPES[k][1] for k in kinds],
        "region": [REGIONS[r] for r in region],
        "region_code": [f"E129999{r:02d}" for r in region],
        "population": np.round(rng.lognormal(np.log(150_000), 0.5, n), -2),
        "imd_score": np.round(rng.gamma(6.0, 3.5, n), 3),
        "n_wards": rng.integers(12, 40, n),
    })


#: Syllables of invented words: names that look like names but match no real firm, and
#: are as varied as real ones (a small word list makes distinct firms near-identical).
_ONSETS = ("b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "k", "l", "m", "n", "p",
           "r", "s", "st", "t", "tr", "v", "w")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "ou")
_CODAS = ("", "n", "r", "l", "m", "s", "th", "ck", "nd", "rt", "x")


def invented_words(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` invented words of two or three syllables, upper case ("TRAVELBRICK")."""
    def part(k: int) -> np.ndarray:
        return (np.array(_ONSETS)[rng.integers(0, len(_ONSETS), k)].astype(object)
                + np.array(_VOWELS)[rng.integers(0, len(_VOWELS), k)]
                + np.array(_CODAS)[rng.integers(0, len(_CODAS), k)])

    words = part(n) + part(n) + np.where(rng.random(n) < 0.3, part(n), "")
    return np.char.upper(words.astype(str))


def company_names(n: int, seed: int = 2024) -> pd.Series:
    """``n`` distinct fictional company names: an invented word, often a second word, a
    trade and a legal form ("VARNEL OAK TRANSPORT LTD"), upper case."""
    rng = np.random.default_rng([seed, 2])
    k = 2 * n
    first = invented_words(k, rng)
    w = np.array(_WORDS.split())
    second = np.where(rng.random(k) < 0.5, w[rng.integers(0, len(w), k)],
                      np.where(rng.random(k) < 0.5, invented_words(k, rng), ""))
    trades = _TRADES.split()
    trade = np.array(trades)[rng.integers(0, len(trades), k)]
    form = np.array(_FORMS)[rng.integers(0, len(_FORMS), k)]
    core = pd.Series(first + " " + second + " " + trade).str.replace("  ", " ")
    core = core.drop_duplicates().head(n)
    if len(core) < n:
        raise ValueError(f"only {len(core)} distinct names for {n}")
    names = core + " " + pd.Series(form[: len(core)], index=core.index)
    return names.str.strip().reset_index(drop=True)


def spelling_variants(names: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Each name as a council might publish it: legal form spelt out or dropped, title case,
    "&" for "AND", or one letter dropped — about five in eight are changed."""
    kind = rng.integers(0, 8, len(names))
    out = names.copy()
    out[kind == 1] = names[kind == 1].str.replace(r"\bLTD\b", "LIMITED", regex=True)
    out[kind == 2] = names[kind == 2].str.replace(r"\s(LTD|LIMITED|PLC|LLP)$", "", regex=True)
    out[kind == 3] = names[kind == 3].str.title()
    out[kind == 4] = names[kind == 4].str.replace(" AND ", " & ", regex=False)
    typo = kind == 5
    pos = (names[typo].str.len() * rng.random(int(typo.sum()))).astype(int).clip(1)
    out[typo] = [n[:p] + n[p + 1:] if n[p - 1] != " " else n for n, p in zip(names[typo], pos,
                                                                              strict=True)]
    return out


def council_payments(council: pd.Series, rows: int, national: pd.Series, seed: int = 2024
                     ) -> pd.DataFrame:
    """``rows`` placed payments of one synthetic council (the store's column names).

    Suppliers (one per 25 payments, at most 4,000) are drawn from the ``national`` company
    names, each spelt the council's way; where they are follows :data:`BAND_MIX`; amounts
    are £500 plus a log-normal (median £2,000) over :data:`MONTHS` months from :data:`FIRST_MONTH`.
    """
    idx = int(council["council_id"][-3:])
    rng = np.random.default_rng([seed, 3, idx])
    sup = _council_suppliers(council, min(4000, max(rows // 25, 10)), national, rng)
    pick = np.minimum(rng.zipf(1.3, rows) - 1, len(sup) - 1)  # a few suppliers get most
    s = sup.iloc[pick].reset_index(drop=True)
    month = pd.period_range(FIRST_MONTH, periods=MONTHS, freq="M")[rng.integers(0, MONTHS,
                                                                                 rows)]
    day = rng.integers(1, 28, rows)
    amount = np.round(500 + rng.lognormal(np.log(2000), 1.2, rows), 2)
    amount[rng.random(rows) < 0.01] *= -1  # credits
    return pd.DataFrame({
        "council": council["council"], "source_file": "synthetic national dataset",
        "source_row": np.arange(2, rows + 2),
        "date": month.to_timestamp() + pd.to_timedelta(day - 1, unit="D"),
        "period": month.strftime("%Y-%m"), "amount": amount,
        "directorate": np.array(DIRECTORATES)[rng.integers(0, len(DIRECTORATES), rows)],
        "expense_type": np.array(EXPENSE_TYPES)[rng.integers(0, len(EXPENSE_TYPES), rows)],
        "is_card": False, "is_redacted": False, "is_summary": False,
        **{c: s[c].to_numpy() for c in s.columns},
    })


def _council_suppliers(council: pd.Series, n: int, national: pd.Series,
                       rng: np.random.Generator) -> pd.DataFrame:
    """The council's suppliers: name as it spells it, class, band, ward, district, decile."""
    names = spelling_variants(
        national.iloc[rng.choice(len(national), n, replace=False)].reset_index(drop=True), rng)
    band = rng.choice(list(BAND_MIX), n, p=list(BAND_MIX.values()))
    located = band != "not located"
    ward = rng.integers(1, int(council["n_wards"]) + 1, n)
    code = str(council["gss_code"])
    lad = np.where(band == "council", code, np.where(located, "E07999" +
                   pd.Series(rng.integers(100, 999, n)).astype(str).to_numpy(), None))
    ward_code = np.where(band == "council", [f"E059{code[-3:]}{w:02d}" for w in ward], None)
    return pd.DataFrame({
        "supplier_name": names.to_numpy(),
        "supplier_name_norm": names.str.upper().to_numpy(),
        "supplier_key": (council["council"] + "|name:" + names.str.upper()).to_numpy(),
        "supplier_class": rng.choice(list(CLASS_MIX), n, p=list(CLASS_MIX.values())),
        "is_located": located, "location_band": band,
        "ward_code": ward_code,
        "ward_name": np.where(band == "council", [f"Ward {w} (synthetic)" for w in ward], None),
        "lad_code": lad,
        "region_code": np.where(np.isin(band, ["council", "region"]), council["region_code"],
                                np.where(located, "E12999990", None)),
        "imd_decile": np.where(located, rng.integers(1, 11, n), np.nan),
    })


def payee_names(n: int, seed: int = 2024, councils: int = 300) -> pd.DataFrame:
    """``n`` distinct (council, payee name) rows for cross-council linkage, with the true
    company behind each: ``council``, ``name``, ``company`` (0-based id).

    About one company per three rows, so a company is paid by three councils on average,
    each spelling it its own way (:func:`spelling_variants`).
    """
    rng = np.random.default_rng([seed, 4])
    n_companies = max(n // 3, 1)
    names = company_names(n_companies, seed)
    company = np.concatenate([np.arange(n_companies), rng.integers(0, n_companies,
                                                                   n - n_companies)])
    council = rng.integers(1, councils + 1, n)
    spelt = spelling_variants(names.iloc[company].reset_index(drop=True), rng)
    out = pd.DataFrame({"council": [f"Council {c:03d}{LABEL}" for c in council],
                        "name": spelt.to_numpy(), "company": company})
    return out.drop_duplicates(["council", "name"]).reset_index(drop=True)
