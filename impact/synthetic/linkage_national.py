"""A synthetic national register and the payee names councils pay it under, each payee
carrying its true company number: register linkage measured at national size.

The register (5 × 10⁶ companies by default) mixes the name shapes real registers hold —
invented words and trades (:func:`impact.synthetic.registers.company_names`), care homes
and services (the common words "CARE", "SERVICES", "HOMES" that term weights must
discount), possessives ("ST MARY'S NURSERY"), partnerships ("X & Y LTD"), surnames
("J SMITH & SONS LTD"), regional companies ("… (NORTH WEST) LTD") — and look-alike
neighbours: a company whose name is another's with one word changed, a holding company
beside its trading one, the same firm in another region.  Names are distinct once the legal
form is dropped, as Companies House requires.

Payees (10⁶ by default) are drawn from the register and spelt the ways finance systems spell
them (:data:`VARIANTS`: cut short at 20–35 characters, apostrophes dropped, "&" for AND, the
legal form spelt out, dropped or followed by a branch, one-letter typos, "T/A" trading
names), plus payees with no register entry (people, unregistered traders).  Each payee's
``variant`` says what was done to it and only what was (a variant that would not change a
name is recorded "as registered").  Everything is generated in chunks, vectorised, from
seeds: a chunk can be made again alone.  Nothing depicts a real company.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from impact.synthetic.national import invented_words
from impact.synthetic.registers import _MADE_UP, company_names, postcodes

REGISTER_SIZE = 5_000_000
PAYEES = 1_000_000
#: Rows generated per chunk (register and payees).
CHUNK = 500_000
#: Share of payees with no register entry (people, sole traders, unregistered bodies).
UNREGISTERED = 0.15
#: Share of register rows that are a look-alike neighbour of the row before.
NEIGHBOURS = 0.06
#: What a payee name may be, with its share among registered payees.
VARIANTS: dict[str, float] = {
    "as registered": 0.30, "title case": 0.05, "legal form spelt": 0.07,
    "legal form dropped": 0.12, "cut short": 0.12, "apostrophe": 0.05, "and/&": 0.05,
    "branch suffix": 0.06, "one-letter typo": 0.10, "trading as": 0.08,
}
_FORMS = np.array(["LTD", "LIMITED", "LIMITED", "LTD", "LTD", "PLC", "LLP",
                   "COMMUNITY INTEREST COMPANY"])
_FORM_RE = r"\s(LIMITED|LTD|PLC|LLP|COMMUNITY INTEREST COMPANY)$"
_CARE = np.array(["CARE HOMES", "CARE SERVICES", "HOME CARE", "CARE", "NURSING HOMES",
                  "HEALTHCARE SERVICES", "SUPPORT SERVICES", "DAY NURSERY", "HOMES"])
_SHOPS = np.array(["NURSERY", "GARAGE", "BAKERY", "PHARMACY", "SCHOOL OF DANCE", "CARE HOME",
                   "TAXIS", "BUILDERS"])
_TRADES = np.array(["BUILDERS", "PLUMBING", "ELECTRICAL", "ROOFING", "JOINERY", "TAXIS",
                    "CLEANING SERVICES", "LANDSCAPES", "TRANSPORT", "CATERING"])
_REGIONS = np.array(["NORTH WEST", "NORTH EAST", "SOUTH WEST", "SOUTH EAST", "MIDLANDS",
                     "YORKSHIRE", "NORTHERN", "SOUTHERN", "LANCASHIRE", "SCOTLAND"])
_SURNAMES = np.array(
    ["SMITH", "JONES", "TAYLOR", "BROWN", "WILLIAMS", "WILSON", "JOHNSON", "DAVIES", "ROBINSON",
     "WRIGHT", "THOMPSON", "EVANS", "WALKER", "WHITE", "ROBERTS", "GREEN", "HALL", "WOOD",
     "JACKSON", "CLARKE", "PATEL", "KHAN", "LEWIS", "HUGHES", "HARRISON", "ASHWORTH", "BRADSHAW",
     "HOLDEN", "KENYON", "PILKINGTON", "OLDHAM", "ENTWISTLE", "BARLOW", "HEYWOOD", "WHITTAKER"])
_FIRST = np.array(["JOHN", "SARAH", "DAVID", "EMMA", "PAUL", "HELEN", "MARK", "CLAIRE",
                   "PETER", "JULIE", "ANDREW", "KAREN", "STEVEN", "LISA", "MICHAEL"])
_INITIALS = np.array(list("ABCDEGHJKLMNPRSTW"))
_TOWNS = np.array(["MONTON", "ECCLES", "BURY", "WIGAN", "HYDE", "STRETFORD", "ROCHDALE",
                   "LEIGH", "SALE", "DENTON", "2", "3", "- GLEN AVENUE", "(BRANCH 4)"])
_TITLES = np.array(["MR", "MRS", "MS", "MISS", "DR"])


def _pick(rng: np.random.Generator, values: np.ndarray, n: int) -> np.ndarray:
    return values[rng.integers(0, len(values), n)].astype(object)


def _word(rng: np.random.Generator, n: int) -> np.ndarray:
    """A name word: one of the register's vocabulary, or invented (a register-sized mix)."""
    return np.where(rng.random(n) < 0.7, _pick(rng, _MADE_UP, n),
                    invented_words(n, rng).astype(object)).astype(object)


def _shapes(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` register names in the shapes real registers hold (see the module's description)."""
    base = company_names(rng, n).astype(object)
    w1, w2, form = _word(rng, n), _word(rng, n), _pick(rng, _FORMS, n)
    sur, ini = _pick(rng, _SURNAMES, n), _pick(rng, _INITIALS, n)
    shapes = {
        "care": w1 + " " + _pick(rng, _CARE, n) + " " + form,
        "possessive": np.where(rng.random(n) < 0.5, "ST " + w1 + "'S ", w1 + "'S ")
        + _pick(rng, _SHOPS, n) + " " + form,
        "partners": w1 + np.where(rng.random(n) < 0.5, " & ", " AND ") + w2 + " " + form,
        "surname": ini + " " + np.where(rng.random(n) < 0.3, sur, w2) + " & SONS "
        + _pick(rng, _TRADES, n) + " " + form,
        "surname trade": sur + " " + w1 + " " + _pick(rng, _TRADES, n) + " " + form,
        "regional": w1 + " " + _pick(rng, _TRADES, n) + " (" + _pick(rng, _REGIONS, n) + ") "
        + form,
    }
    kind = rng.choice(len(shapes) + 1, n, p=[0.15, 0.07, 0.08, 0.03, 0.07, 0.05, 0.55])
    out = base.copy()
    for i, values in enumerate(shapes.values()):
        out[kind == i] = values[kind == i]
    # Community interest companies are about 1 in 100 companies, not 1 in 7.
    cic = np.flatnonzero(pd.Series(out, dtype="string")
                         .str.endswith(" COMMUNITY INTEREST COMPANY").to_numpy())
    cic = cic[rng.random(len(cic)) < 0.9]
    out[cic] = pd.Series(out[cic], dtype="string").str.replace(
        " COMMUNITY INTEREST COMPANY", " LIMITED", regex=False).to_numpy(dtype=object)
    return out


def _neighbours(rng: np.random.Generator, names: np.ndarray) -> np.ndarray:
    """Replace a share (:data:`NEIGHBOURS`) of names by a look-alike of the name before:
    a holding company, the last word changed, or another region."""
    at = np.flatnonzero(rng.random(len(names)) < NEIGHBOURS)
    at = at[at > 0]
    prev = pd.Series(names[at - 1], dtype="string")
    stem = prev.str.replace(_FORM_RE, "", regex=True)
    form = prev.str.extract(_FORM_RE)[0].fillna("LTD")
    kind, trade, region = (rng.integers(0, 3, len(at)), _pick(rng, _TRADES, len(at)),
                           _pick(rng, _REGIONS, len(at)))
    look = []
    for s, f, k, t, r in zip(stem, form, kind, trade, region, strict=True):
        if k == 2 and "(" in s:
            look.append(f"{s[:s.index('(')]}({r}) {f}")
        elif k >= 1 and " " in s:
            look.append(f"{s.rsplit(' ', 1)[0]} {t} {f}")
        else:
            look.append(f"{s} HOLDINGS {f}")
    out = names.copy()
    out[at] = np.array(look, dtype=object)
    return out


def register_key(names: pd.Series) -> pd.Series:
    """What must be unique in a register: the name without case, punctuation or legal form
    (Arrow kernels: a chunk of half a million names in a second)."""
    s = pc.utf8_upper(pa.array(names.astype(str).to_numpy(), pa.string()))
    s = pc.replace_substring_regex(s, r"[^\w\s&]", "")
    s = pc.replace_substring_regex(s, _FORM_RE, "")
    s = pc.utf8_trim_whitespace(pc.replace_substring_regex(s, r"\s+", " "))
    return pd.Series(s.to_pandas(), index=names.index, dtype="string")


def register_chunks(n: int = REGISTER_SIZE, seed: int = 2026) -> Iterator[pd.DataFrame]:
    """The register, :data:`CHUNK` rows at a time: ``company_number``, ``name``, ``postcode``,
    ``legal_form``, ``shape`` ("neighbour" for a look-alike).  Names are unique by
    :func:`register_key` across chunks (a running set of 64-bit hashes)."""
    seen = np.empty(0, dtype=np.uint64)
    made = 0
    for i, start in enumerate(range(0, n, CHUNK)):
        size = min(CHUNK, n - start)
        rng = np.random.default_rng([seed, i])
        raw = _shapes(rng, int(size * 1.25) + 100)
        names = _neighbours(rng, raw)
        h = pd.util.hash_pandas_object(register_key(pd.Series(names)), index=False).to_numpy()
        first = ~pd.Series(h).duplicated().to_numpy() & ~np.isin(h, seen)
        keep = np.flatnonzero(first)[:size]
        if len(keep) < size:
            raise ValueError(f"chunk {i}: only {len(keep)} distinct names for {size}")
        seen = np.concatenate([seen, h[keep]])
        name = pd.Series(names[keep], dtype="string")
        yield pd.DataFrame({
            "company_number": np.char.zfill(np.arange(made, made + size).astype(str), 8),
            "name": name.to_numpy(),
            "postcode": postcodes(rng, size),
            "legal_form": name.str.extract(_FORM_RE)[0].to_numpy(),
            "shape": np.where(names[keep] != raw[keep], "neighbour", "register"),
        })
        made += size


def _typo(names: pd.Series, rng: np.random.Generator) -> pd.Series:
    """One letter dropped, doubled or replaced inside a word (never the first letter)."""
    out = []
    letters_az = "ABCDEFGHIJKLMNOPRSTUVWY"
    for s, r, op, c in zip(names, rng.random(len(names)), rng.integers(0, 3, len(names)),
                           rng.integers(0, len(letters_az), len(names)), strict=True):
        letters = [i for i in range(1, len(s)) if s[i].isalpha() and s[i - 1] != " "]
        if not letters:
            out.append(s)
            continue
        p = letters[int(r * len(letters))]
        new = letters_az[c] if letters_az[c] != s[p].upper() else "X"
        out.append(s[:p] + s[p + 1:] if op == 0 else s[:p] + s[p] + s[p:] if op == 1
                   else s[:p] + new + s[p + 1:])
    return pd.Series(out, index=names.index, dtype="string")


def _cut(names: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Cut at 20–35 characters, as a finance system's field does (trailing space dropped)."""
    at = rng.integers(20, 36, len(names))
    return pd.Series([s[:k].rstrip() for s, k in zip(names, at, strict=True)],
                     index=names.index, dtype="string")


def spell(names: pd.Series, kinds: np.ndarray, rng: np.random.Generator) -> pd.Series:
    """Each registered name spelt as its ``kinds`` entry (a key of :data:`VARIANTS`) says."""
    n = len(names)
    form_dropped = names.str.replace(_FORM_RE, "", regex=True)
    trading = (invented_words(n, rng).astype(object) + " "
               + _pick(rng, _SHOPS, n)).astype(str)
    made = {
        "title case": names.str.title(),
        "legal form spelt": names.str.replace(r"\bLTD$", "LIMITED", regex=True)
        .where(names.str.contains(r"\bLTD$"), names.str.replace(r"\bLIMITED$", "LTD", regex=True)),
        "legal form dropped": form_dropped,
        "apostrophe": names.str.replace("'", "", regex=False),
        "and/&": names.str.replace(" & ", " AND ", regex=False).where(
            names.str.contains(" & ", regex=False),
            names.str.replace(" AND ", " & ", regex=False)),
        "branch suffix": names + " " + pd.Series(_pick(rng, _TOWNS, n), index=names.index,
                                                 dtype="string"),
        "trading as": names + " T/A " + pd.Series(trading, index=names.index, dtype="string"),
    }
    out = names.copy()
    for kind, values in made.items():
        out[kinds == kind] = values[kinds == kind]
    for kind, fn in (("one-letter typo", _typo), ("cut short", _cut)):
        at = kinds == kind
        out[at] = fn(names[at], rng)
    return out


def _unregistered(rng: np.random.Generator, n: int) -> pd.Series:
    """Payees no register holds: people ("MR J SMITH", "SARAH JONES") and sole traders
    ("K WHITTAKER PLUMBING")."""
    sur, ini = _pick(rng, _SURNAMES, n), _pick(rng, _INITIALS, n)
    kind = rng.integers(0, 3, n)
    names = np.where(kind == 0, _pick(rng, _TITLES, n) + " " + ini + " " + sur,
                     np.where(kind == 1, _pick(rng, _FIRST, n) + " " + sur,
                              ini + " " + sur + " " + _pick(rng, _TRADES, n)))
    return pd.Series(names.astype(str), dtype="string")


def payee_chunk(register_names: pd.Series, numbers: np.ndarray, start: int, n: int,
                seed: int = 2026) -> pd.DataFrame:
    """Payees ``start`` … ``start + n - 1``: ``payee_key``, ``name``, ``truth`` (the true
    company number, NA for payees with no register entry), ``variant``, ``register_name``."""
    rng = np.random.default_rng([seed, 7, start])
    registered = rng.random(n) >= UNREGISTERED
    k = int(registered.sum())
    idx = rng.integers(0, len(register_names), k)
    reg = pd.Series(register_names.to_numpy()[idx], dtype="string")
    kinds = rng.choice(list(VARIANTS), k, p=list(VARIANTS.values()))
    # The names that hold an apostrophe or "&" / AND are often spelt without them.
    half = rng.random(k) < 0.5
    kinds[half & reg.str.contains("'", regex=False).to_numpy()] = "apostrophe"
    kinds[half & reg.str.contains(" & | AND ").to_numpy()] = "and/&"
    spelt = spell(reg, kinds, rng)
    kinds = np.where((spelt == reg).to_numpy(), "as registered", kinds)
    name = pd.Series(pd.NA, index=range(n), dtype="string")
    name[registered] = spelt.to_numpy()
    name[~registered] = _unregistered(rng, n - k).to_numpy()
    truth = pd.Series(pd.NA, index=range(n), dtype="string")
    truth[registered] = numbers[idx]
    variant = np.full(n, "no register entry", dtype=object)
    variant[registered] = kinds
    reg_name = pd.Series(pd.NA, index=range(n), dtype="string")
    reg_name[registered] = reg.to_numpy()
    return pd.DataFrame({"payee_key": np.char.add("P", np.arange(start, start + n).astype(str)),
                         "name": name, "truth": truth, "variant": variant.astype(str),
                         "register_name": reg_name})


def write_national(folder: Path, n_register: int = REGISTER_SIZE, n_payees: int = PAYEES,
                   seed: int = 2026) -> dict[str, float]:
    """Write ``register.parquet`` and ``payees.parquet`` under ``folder`` chunk by chunk
    (kept when already there for these sizes and seed); seconds taken per file."""
    folder.mkdir(parents=True, exist_ok=True)
    reg_path, pay_path = folder / "register.parquet", folder / "payees.parquet"
    took: dict[str, float] = {}
    t0 = time.perf_counter()
    if not reg_path.exists():
        _write(register_chunks(n_register, seed), reg_path)
        took["register_s"] = time.perf_counter() - t0
    if not pay_path.exists():
        t1 = time.perf_counter()
        reg = pq.read_table(reg_path, columns=["company_number", "name"]).to_pandas()
        names = reg["name"].astype("string")
        numbers = reg["company_number"].to_numpy().astype(str)
        chunks = (payee_chunk(names, numbers, s, min(CHUNK, n_payees - s), seed)
                  for s in range(0, n_payees, CHUNK))
        _write(chunks, pay_path)
        took["payees_s"] = time.perf_counter() - t1
    return took


def _write(frames: Iterator[pd.DataFrame], path: Path) -> None:
    """Frames to one Parquet file, one row group each, written to a temporary name first."""
    tmp = path.with_suffix(".tmp")
    writer = None
    try:
        for frame in frames:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(path)


def national_folder(cache_dir: Path, n_register: int = REGISTER_SIZE, n_payees: int = PAYEES,
                    seed: int = 2026) -> Path:
    """Where the data for these sizes and seed is kept under the cache folder."""
    return cache_dir / "national-linkage" / f"r{n_register}-p{n_payees}-s{seed}"
