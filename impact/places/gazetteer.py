"""Public bodies: who a payee is, and where its spend lands.

Payments to other public bodies (HMRC, other councils, police, fire, NHS, pension funds,
academies) are a large share of council spend, and none of them needs a lookup service:
public reference tables say who they are.  This gazetteer gives each body a class
(:data:`BODY_CLASSES`) and one of three places:

* an **area**: the districts a council, combined authority, police force or fire authority
  serves (a county's area is its districts'; a body that has ended takes its successor's);
* a **site**: an NHS trust's headquarters postcode;
* **national**: a department or agency serving the whole country, whose spend is no
  place's local spend.

Bodies and their names are data: the reference tables read by
:mod:`impact.places.public_bodies` (local authorities with alternative names and GSS codes,
the GOV.UK registers, NHS trusts, academy trusts, universities, housing providers, bodies
the register snapshots predate) and the class phrases of :data:`AREA_CLASSES`.  One matcher
(:meth:`Gazetteer.match`) reads every payee name the same way, first rule first:

1. ``exact``: the name's key (:func:`name_key`) is a body's name or alternative name;
2. ``core``: a council, NHS trust or combined authority written with other type words
   ("Ribble Valley BC", "Bradford MDC", "Leeds and York Partnership NHS FT");
3. ``compact``: the same with the spaces gone ("NEWCASTLEUPONTYNE HOSPITALTRUST");
4. ``area``: class words around an area's name ("P&CC West Yorkshire", "NHS Calderdale
   CCG", "Tyne & Wear Fire and Rescue Authority", "Lancashire County Pension Fund");
5. ``prefix``: the name starts with a body's name and goes on with an office or an account
   ("HMRC Shipley Office", "Exeter City Council (Rates & C/Tax)");
6. ``truncated``: a name the publisher cut short is the start of one body's name only
   ("Department for Levelling Up, Housing & Comm...");
7. ``abbreviated``: each word the start of the body's ("Dept of Business Energy & Ind
   Strat");
8. ``initialism``: the initials of an official name ("GMCA", "HMRC", "LCC").

A name that fits several bodies with different places (LCC: Lancashire, Leeds, Liverpool,
Lincolnshire … County/City Council) is resolved by proximity to the paying council — the
body whose area holds it or lies within it, else a neighbour, else one in its region — and
marked ``proximity``; when the nearest tier still holds several, the name stays unresolved
and the candidates are named.  Nothing is guessed silently.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field

import pandas as pd

from impact.ingest.names import normalise_name, normalise_names

log = logging.getLogger(__name__)

#: Body class → what it is, in words.
BODY_CLASSES: dict[str, str] = {
    "council": "council",
    "combined_authority": "combined authority",
    "police": "police and crime commissioner or police force",
    "fire": "fire and rescue authority",
    "nhs": "NHS body",
    "government": "government department or agency",
    "school_academy": "academy trust or school",
    "university": "university",
    "housing_association": "housing association",
    "pension_fund": "pension fund",
    "other_public": "other public body",
}
#: Classes of body whose own area is "local" when they are the one paying.
PAYERS = frozenset({"council", "combined_authority", "police", "fire"})
#: Where a body's spend lands: its area's districts, its headquarters postcode, or nowhere
#: local ("national").  "" when the reference data gives no place (an academy trust found
#: only by name: a register may still place it by its company number).
PLACE_KINDS = ("area", "site", "national", "")

#: Class phrases that name a body by its area ("<area> Police", "NHS <area> ICB"): (class,
#: phrases that say the class on their own, phrases that do only beside an area's name).
#: The area is what is left once the phrase and filler words are gone; "A and B" is both.
AREA_CLASSES: tuple[tuple[str, str, str], ...] = (
    (
        "police",
        r"OFFICE POLICE CRIME COMMISSIONER|POLICE CRIME COMMISSIONER|POLICE FIRE CRIME "
        r"COMMISSIONER|CHIEF CONSTABLE|POLICE AUTHORITY|POLICE FORCE|CONSTABULARY|POLICE",
        r"PCC",
    ),
    (
        "fire",
        r"FIRE RESCUE SERVICE|FIRE RESCUE AUTHORITY|FIRE RESCUE|FIRE CIVIL DEFENCE AUTHORITY|"
        r"FIRE AUTHORITY",
        r"FIRE SERVICE|FIRE BRIGADE|FRS|FRA",
    ),
    (
        "other_public",
        r"PORT HEALTH AUTHORITY|PROBATION SERVICE|PROBATION TRUST|CORONER SERVICE|"
        r"YOUTH OFFENDING SERVICE|YOUTH OFFENDING TEAM|WASTE DISPOSAL AUTHORITY|"
        r"MAGISTRATES COURT|VALUATION TRIBUNAL",
        r"PROBATION|CORONER|WASTE AUTHORITY",
    ),
    (
        "nhs",
        r"CLINICAL COMMISSIONING GROUP|CCG|INTEGRATED CARE BOARD|ICB|PRIMARY CARE TRUST|"
        r"HEALTH AUTHORITY|NHS",
        r"INTEGRATED CARE SYSTEM|ICS|PCT",
    ),
    (
        "pension_fund",
        r"LOCAL GOVERNMENT PENSION SCHEME|PENSION FUND|SUPERANNUATION FUND|SUPERANN FUND|LGPS",
        r"PENSION SCHEME",
    ),
    # A college named for a place is its further-education college.
    ("school_academy", r"(?!)", r"SIXTH FORM COLLEGE|COLLEGE"),
    (
        "combined_authority",
        r"MAYORAL COMBINED COUNTY AUTHORITY|MAYORAL COMBINED AUTHORITY|COMBINED COUNTY "
        r"AUTHORITY|COMBINED AUTHORITY|PASSENGER TRANSPORT EXECUTIVE",
        r"^TRANSPORT|PTE|MAYORAL|CA",
    ),
)
#: A name with a legal form (LTD, PLC …) is a company: it is never read as a public body
#: by its class words or initials alone.
_LEGAL_FORM = re.compile(r"\b(?:LTD|LIMITED|PLC|LLP|CIC|INC|L\.T\.D|P\.L\.C)\b")
#: Compass words a commissioner's area may carry ("NHS Central Manchester CCG"): the body
#: is then placed at the whole area the rest names.
_COMPASS = frozenset({"NORTH", "SOUTH", "EAST", "WEST", "CENTRAL", "MID", "INNER", "OUTER"})

#: Names that say what a body is whatever its name (the register may predate it):
#: (class, pattern on the normalised name, place).
CLASS_NAMES: tuple[tuple[str, str, str], ...] = (
    (
        "government",
        r"^(DEPARTMENT|MINISTRY) (FOR|OF) \w|\b(HM|HER MAJESTY S?|HIS MAJESTY S?) [A-Z]",
        "national",
    ),
)

#: Words dropped from every key: they vary between spellings of one name.
FILLERS = frozenset({"THE", "OF", "FOR", "AND", "AT", "ON"})
#: Abbreviations written out in every key (both sides), so "NHS FT" meets "NHS Foundation
#: Trust" and "Bradford Met Council" meets "Metropolitan".
ABBREVIATIONS: dict[str, str] = {
    "FT": "FOUNDATION TRUST",
    "NHSFT": "NHS FOUNDATION TRUST",
    "FDN": "FOUNDATION",
    "HOSP": "HOSPITAL",
    "DIST": "DISTRICT",
    "CNCL": "COUNCIL",
    "CNL": "COUNCIL",
    "COUN": "COUNCIL",
    "MET": "METROPOLITAN",
    "METRO": "METROPOLITAN",
    "DEPT": "DEPARTMENT",
    "DEP": "DEPARTMENT",
    "DPT": "DEPARTMENT",
    "FNDTN": "FOUNDATION",
    "GOVT": "GOVERNMENT",
    "UNIV": "UNIVERSITY",
    "UNI": "UNIVERSITY",
    "SCHL": "SCHOOL",
    "SCH": "SCHOOL",
    "ACAD": "ACADEMY",
    "COLL": "COLLEGE",
    "ASSOC": "ASSOCIATION",
    "MCR": "MANCHESTER",
    "BHAM": "BIRMINGHAM",
    "HMCTS": "HM COURTS TRIBUNALS SERVICE",
    "PANDCC": "PCC",
    # finance systems' short forms of councils and police bodies ("LB Hounslow",
    # "L B Southwark", "RB Kingston", "Surrey Cnty Cncl", "OPCC Thames Valley")
    "LB": "LONDON BOROUGH",
    "RB": "ROYAL BOROUGH",
    "BORO": "BOROUGH",
    "CTY": "COUNTY",
    "CNTY": "COUNTY",
    "COUNC": "COUNCIL",
    "CNCIL": "COUNCIL",
    "OPCC": "OFFICE PCC",
    "PFCC": "POLICE FIRE CRIME COMMISSIONER",
}
#: Type words of each family of names, dropped to form the family's *core* key: a payee
#: carrying one of the family's markers is looked up by its core.
FAMILIES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # family: (type words dropped for the core, markers a payee must carry)
    "council": (
        frozenset(
            {
                *("COUNCIL", "BOROUGH", "CITY", "COUNTY", "DISTRICT", "METROPOLITAN", "ROYAL"),
                *("CORPORATION", "LONDON", "UNITARY", "AUTHORITY"),
                *("MBC", "BC", "CC", "DC", "MDC", "UA", "LBC", "RBC", "CBC"),
            }
        ),
        frozenset(
            {
                *("COUNCIL", "CORPORATION", "MBC", "BC", "CC", "DC", "MDC", "UA", "LBC", "RBC"),
                *("CBC", "LONDON BOROUGH", "ROYAL BOROUGH"),
            }
        ),
    ),
    "nhs": (
        frozenset(["NHS", "FOUNDATION", "TRUST", "TRUSTS"]),
        frozenset(["NHS", "TRUST"]),
    ),
    "combined_authority": (
        frozenset(["COMBINED", "COUNTY", "MAYORAL", "AUTHORITY", "CA"]),
        frozenset(["COMBINED", "CA"]),
    ),
}
#: A council named with one of these before COUNCIL is a parish, town or community council,
#: never the principal council of the same name.
_LOCAL_COUNCIL = re.compile(
    r"\b(?:PARISH|TOWN|VILLAGE|COMMUNITY|NEIGHBOURHOOD) COUNCIL\b|\bPARISH MEETING\b"
)
#: Tokens that keep their letters in an initialism ("HM Revenue and Customs" → HMRC).
_WHOLE_IN_INITIALS = frozenset({"HM", "UK", "NHS"})
_MIN_INITIALS, _MAX_INITIALS = 3, 7
#: A word this long is words typed without spaces: only then is the compact key tried.
_RUN_TOGETHER = 12
#: A publisher-truncated name must keep this much to be read as the start of a name.
_TRUNCATED_MIN_TOKENS, _TRUNCATED_MIN_CHARS = 3, 18
#: Names with words cut short must keep this many words.
_ABBREVIATED_MIN_TOKENS = 3

#: Type words at the end of a compact key (longest first, so TRUSTS goes before TRUST).
_TYPE_SUFFIXES = re.compile(
    "(?:"
    + "|".join(sorted({w for d, _ in FAMILIES.values() for w in d if len(w) > 2}, key=len)[::-1])
    + ")+$"
)
#: Phrases read as one token before keys are built ("P&CC" → PCC, "C of E" → CE).
_PHRASES = (
    (re.compile(r"\bP AND CC\b"), "PCC"),
    (re.compile(r"\bC OF E\b"), "CE"),
    (re.compile(r"\b(HER|HIS) MAJESTY ?S\b"), "HM"),
)
_CLASS_NAMES = tuple((c, re.compile(p), place) for c, p, place in CLASS_NAMES)
_EDUCATION = re.compile(r"\b(?:SCHOOL|ACADEMY|COLLEGE|UNIVERSITY)\b")
_SINGLE_LETTERS = re.compile(r"\b([A-Z])\s(?=[A-Z]\b)")
#: A possessive's S cut off by punctuation ("GUY'S" → "GUY S"), joined back.
_POSSESSIVE = re.compile(r"\b([A-Z]{2,}) S\b")
_DIGITS = re.compile(r"\d")
_VOWEL = re.compile(r"[AEIOU]")


# ----------------------------------------------------------------------------- keys


def name_key(norm: str) -> str:
    """A normalised name (:func:`impact.ingest.names.normalise_names`) as a match key:
    letter runs joined ("B C" → BC), abbreviations written out, fillers dropped, plurals
    singular."""
    text = joined(phrased(str(norm)))
    tokens: list[str] = []
    for tok in text.split():
        tokens.extend(ABBREVIATIONS.get(tok, tok).split())
    return " ".join(_singular(t) for t in tokens if t not in FILLERS)


def joined(text: str) -> str:
    """Runs of single letters joined ("L B" → LB) and possessives too ("GUY S" → GUYS)."""
    return _POSSESSIVE.sub(r"\1S", _SINGLE_LETTERS.sub(r"\1", text))


def phrased(text: str) -> str:
    """``text`` with the phrases of :data:`_PHRASES` read as one token."""
    for pattern, repl in _PHRASES:
        text = pattern.sub(repl, text)
    return text


def _singular(token: str) -> str:
    if (
        len(token) > 4
        and token.endswith("S")
        and not token.endswith(("SS", "US", "IS"))
        and _VOWEL.search(token[:-1])
    ):
        return token[:-1]
    return token


def core_key(key: str, family: str) -> str:
    """``key`` without the type words of ``family`` ("" when nothing else is left)."""
    drop = FAMILIES[family][0]
    return " ".join(t for t in key.split() if t not in drop)


def has_marker(key: str, family: str) -> bool:
    """True when ``key`` carries one of ``family``'s markers (COUNCIL, BC, NHS, TRUST …,
    or a phrase such as LONDON BOROUGH)."""
    markers = FAMILIES[family][1]
    padded = f" {key} "
    return bool(markers.intersection(key.split())) or any(
        " " in m and f" {m} " in padded for m in markers
    )


def compact_key(key: str) -> str:
    """``key`` with the spaces gone and type words stripped from its end, for names typed
    without spaces ("NEWCASTLEUPONTYNE HOSPITALTRUST")."""
    text = key.replace(" ", "")
    stripped = _TYPE_SUFFIXES.sub("", text)
    return stripped if len(stripped) >= 4 else text


def initialisms(official: str) -> set[str]:
    """Initials of an official name: without and with the letters of OF/FOR ("Department
    for Education" → DFE; "City of Bradford Metropolitan District Council" → CBMDC, COBMDC);
    HM, UK and NHS keep their letters.  Only 3–7 letters."""
    words = joined(phrased(normalise_name(official))).split()
    out = set()
    for keep in (frozenset(), frozenset({"OF", "FOR"})):
        letters = "".join(
            w if w in _WHOLE_IN_INITIALS else w[0]
            for w in words
            if (w not in FILLERS or w in keep) and not _DIGITS.search(w)
        )
        if _MIN_INITIALS <= len(letters) <= _MAX_INITIALS:
            out.add(letters)
    return out


# ----------------------------------------------------------------------------- bodies


@dataclass(frozen=True)
class Body:
    """One public body: its class and place, and every name it goes by."""

    body_id: str
    name: str
    body_class: str
    place: str  # one of PLACE_KINDS
    lads: tuple[str, ...] = ()
    postcode: str | None = None
    current: bool = True
    source: str = ""
    company_number: str | None = None
    names: tuple[str, ...] = ()  # alternative names (the official one is always used)
    initials_of: tuple[str, ...] = ()  # official names initialisms are built from
    successors: tuple[str, ...] = ()  # body ids (ended local authorities)

    @property
    def place_id(self) -> tuple:
        """What the spend's place is: bodies with equal place ids land in the same place."""
        return (self.place, self.lads, self.postcode)


@dataclass(frozen=True)
class Geography:
    """The districts the gazetteer places areas in: LAD names, regions, neighbours."""

    lad_names: dict[str, str] = field(default_factory=dict)
    lad_regions: dict[str, str] = field(default_factory=dict)
    region_names: dict[str, str] = field(default_factory=dict)
    neighbours: dict[str, frozenset[str]] = field(default_factory=dict)

    def regions_of(self, lads: Iterable[str]) -> set[str]:
        return {self.lad_regions[lad] for lad in lads if lad in self.lad_regions}


# ----------------------------------------------------------------------------- index


@dataclass(frozen=True)
class Match:
    """What the gazetteer makes of one payee name.

    ``body`` is the body found (None when none, or when several fit and proximity did not
    decide); ``rule`` the rule that found it (see the module docstring); ``proximity`` True
    when several bodies fitted and the nearest to the paying council was taken;
    ``candidates`` names the bodies that fitted when it stayed undecided; ``body_class``
    the class even without a body (class words around an area no table names).
    """

    body: Body | None = None
    rule: str = ""
    proximity: bool = False
    candidates: tuple[str, ...] = ()
    body_class: str = ""


_NO_MATCH = Match()


@dataclass
class _Index:
    """Every key a body is known by, per rule."""

    exact: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    cores: dict[str, dict[str, list[str]]] = field(
        default_factory=lambda: {f: defaultdict(list) for f in FAMILIES}
    )
    compact: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    initials: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    areas: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    #: Areas one class of body serves under a name (police force and fire authority
    #: areas): class → area key → (LAD codes, display name); they win over ``areas``.
    class_areas: dict[str, dict[str, tuple[tuple[str, ...], str]]] = field(
        default_factory=dict
    )
    sorted_keys: list[str] = field(default_factory=list)
    sorted_ids: list[str] = field(default_factory=list)
    by_initials: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


#: Index fields held as plain mappings or lists (the disk cache writes them as they are).
_INDEX_LISTS = ("exact", "compact", "initials", "sorted_keys", "sorted_ids", "by_initials")


def keys_of(names: list[str]) -> list[str]:
    """Match keys (:func:`name_key`) of names, in one vectorised normalisation."""
    if not names:
        return []
    norm = normalise_names(pd.Series(names, dtype="string")).fillna("")
    return [name_key(text) for text in norm]


#: Classes whose bodies may be known by a single word ("Calderdale", "Ofsted"); an academy
#: trust or housing association called "Life" or "Manor" may not.
_ONE_WORD = frozenset({"council", "combined_authority", "government", "nhs", "police", "fire"})


#: Words that alone name no body ("LONDON" does: "City of London" is a council).
_GENERIC = FILLERS | (FAMILIES["council"][0] - {"LONDON"})


def meaningful(key: str) -> bool:
    """A key says more than type words ("CITY", "COUNCIL"): usable as an alias."""
    return len(key) > 2 and any(t not in _GENERIC for t in key.split())


def _add(table: dict[str, list[str]], key: str, body_id: str) -> None:
    if key and body_id not in table[key]:
        table[key].append(body_id)


def _build_index(bodies: dict[str, Body]) -> _Index:
    """Keys for every body's names, cores, compact forms, initialisms and areas."""
    idx = _Index()
    pairs = [
        (b.body_id, n) for b in bodies.values() for n in dict.fromkeys((b.name, *b.names)) if n
    ]
    keys = keys_of([n for _, n in pairs])
    for (body_id, _), key in zip(pairs, keys, strict=True):
        if not meaningful(key) or (" " not in key and bodies[body_id].body_class not in _ONE_WORD):
            continue
        _add(idx.exact, key, body_id)
        _add(idx.compact, compact_key(key), body_id)
        for family in _families_of(bodies[body_id].body_class):
            core = core_key(key, family)
            if meaningful(core):
                _add(idx.cores[family], core, body_id)
                _add(idx.compact, compact_key(core), body_id)
    for b in bodies.values():
        for official in b.initials_of:
            for letters in initialisms(official):
                _add(idx.initials, letters, b.body_id)
    idx.areas = _area_index(bodies, pairs, keys)
    ordered = sorted((k, i) for k, ids in idx.exact.items() for i in ids)
    idx.sorted_keys = [k for k, _ in ordered]
    idx.sorted_ids = [i for _, i in ordered]
    for k in idx.exact:
        if len(k.split()) >= _ABBREVIATED_MIN_TOKENS:
            idx.by_initials[_first_letters(k)].append(k)
    return idx


def _area_core(key: str) -> str:
    """An area name without council type words ("Lancashire County" → LANCASHIRE); LONDON
    stays: "North East London" is no "North East"."""
    drop = FAMILIES["council"][0] - {"LONDON"}
    return " ".join(t for t in key.split() if t not in drop)


def _first_letters(key: str) -> str:
    return "".join(t[0] for t in key.split())


def _families_of(body_class: str) -> tuple[str, ...]:
    return tuple(f for f in FAMILIES if f == body_class)


def _area_index(
    bodies: dict[str, Body], pairs: list[tuple[str, str]], keys: list[str]
) -> dict[str, tuple[tuple[str, ...], str]]:
    """Area name key → (LAD codes, display name), from councils' and combined authorities'
    names and cores; a key naming two different areas is dropped (current bodies first)."""
    found: dict[str, dict[tuple[str, ...], tuple[bool, str]]] = defaultdict(dict)
    for (body_id, _), key in zip(pairs, keys, strict=True):
        b = bodies[body_id]
        if b.place != "area" or b.body_class not in ("council", "combined_authority"):
            continue
        for k in {key, core_key(key, "council"), core_key(key, "combined_authority")}:
            if meaningful(k):
                prev = found[k].get(b.lads)
                if prev is None or (b.current and not prev[0]):
                    found[k][b.lads] = (b.current, b.name)
    out = {}
    for k, options in found.items():
        current = {lads: v for lads, v in options.items() if v[0]} or options
        if len(current) == 1:
            lads, (_, name) = next(iter(current.items()))
            out[k] = (lads, name)
    return out


# ----------------------------------------------------------------------------- matcher


@dataclass(frozen=True)
class _Name:
    """A payee name as the rules read it."""

    key: str  # :func:`name_key`
    text: str  # the normalised name, phrases joined
    local: bool  # a parish, town or community council
    company: bool  # a legal form in the published name


@dataclass(frozen=True)
class Payer:
    """The paying council, as proximity needs it: its districts, neighbours and regions."""

    lads: frozenset[str] = frozenset()
    neighbours: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()


class Gazetteer:
    """Public bodies and the one matcher over them (see the module docstring)."""

    def __init__(
        self,
        bodies: Iterable[Body],
        geography: Geography | None = None,
        charity_companies: frozenset[str] = frozenset(),
        index: _Index | None = None,
    ) -> None:
        #: Company numbers of charities (for classing a company-numbered payee as VCSE).
        self.charity_companies = charity_companies
        self.bodies: dict[str, Body] = {}
        for b in bodies:
            self.bodies.setdefault(b.body_id, b)
        self.geography = geography or Geography()
        self._idx = index or _build_index(self.bodies)
        self._area_patterns = [
            (cls, re.compile(rf"\b(?:{strong})\b"), re.compile(rf"\b(?:{weak})\b"))
            for cls, strong, weak in AREA_CLASSES
        ]
        self._any_class_word = re.compile("|".join(rf"\b(?:{s}|{w})\b" for _, s, w in AREA_CLASSES))

    def __len__(self) -> int:
        return len(self.bodies)

    def state(self) -> dict:
        """Everything the gazetteer knows as JSON-ready values (its disk cache), so a new
        process reads it rather than normalising every name again."""
        geo, idx = self.geography, self._idx
        return {
            "bodies": [asdict(b) for b in self.bodies.values()],
            "geography": {
                **{k: getattr(geo, k) for k in ("lad_names", "lad_regions", "region_names")},
                "neighbours": {k: sorted(v) for k, v in geo.neighbours.items()},
            },
            "charity_companies": sorted(self.charity_companies),
            "index": {
                **{k: getattr(idx, k) for k in _INDEX_LISTS},
                "cores": idx.cores,
                "areas": {k: [list(lads), name] for k, (lads, name) in idx.areas.items()},
                "class_areas": {
                    cls: {k: [list(lads), name] for k, (lads, name) in areas.items()}
                    for cls, areas in idx.class_areas.items()
                },
            },
        }

    @classmethod
    def from_state(cls, state: dict) -> Gazetteer:
        """The gazetteer :meth:`state` describes."""
        bodies = [
            Body(**{k: tuple(v) if isinstance(v, list) else v for k, v in b.items()})
            for b in state["bodies"]
        ]
        g = state["geography"]
        neighbours = {k: frozenset(v) for k, v in g.pop("neighbours").items()}
        i = state["index"]
        idx = _Index(
            **{
                k: defaultdict(list, i[k]) if isinstance(i[k], dict) else i[k] for k in _INDEX_LISTS
            },
            cores={f: defaultdict(list, d) for f, d in i["cores"].items()},
            areas={k: (tuple(v[0]), v[1]) for k, v in i["areas"].items()},
            class_areas={
                cls: {k: (tuple(v[0]), v[1]) for k, v in areas.items()}
                for cls, areas in i.get("class_areas", {}).items()
            },
        )
        return cls(
            bodies,
            Geography(**g, neighbours=neighbours),
            frozenset(state["charity_companies"]),
            index=idx,
        )

    def add_areas(
        self, areas: dict[str, tuple[tuple[str, ...], str]], body_class: str = ""
    ) -> None:
        """More area names (postal counties, towns); names already known keep their area.
        With ``body_class``, areas bodies of that class serve under those names (a police
        force area), which win over any other area of the same name for that class."""
        if body_class:
            self._idx.class_areas.setdefault(body_class, {}).update(areas)
            return
        for k, v in areas.items():
            self._idx.areas.setdefault(k, v)

    # -- the paying council

    def payer(self, council: str) -> Payer:
        """The paying body's districts, their neighbours and regions: a council's, a
        combined or regional authority's, or a police or fire body's area (empty when its
        name matches none of them: proximity is then not used)."""
        m = self.match_one(normalise_name(str(council)), str(council))
        if m.body is None or m.body.place != "area" or m.body.body_class not in PAYERS:
            return Payer()
        lads = frozenset(m.body.lads)
        near = set().union(*(self.geography.neighbours.get(x, frozenset()) for x in lads))
        return Payer(lads, frozenset(near - lads), frozenset(self.geography.regions_of(lads)))

    # -- matching

    def match(
        self, names: pd.Series, raw_names: pd.Series | None = None, payer: Payer | None = None
    ) -> pd.DataFrame:
        """One row per name (same index): the :class:`Match` fields as columns, the body's
        class, place, districts (``;``-joined), postcode and company number."""
        raw = raw_names if raw_names is not None else names
        frame = pd.DataFrame(
            {"n": names.astype("string").fillna(""), "r": raw.astype("string").fillna("")},
            index=names.index,
        )
        distinct = frame.drop_duplicates()
        rows = [self._row(self.match_one(n, r, payer)) for n, r in distinct.itertuples(index=False)]
        columns = list(self._row(Match(None)))  # the same columns when there are no names
        answers = pd.DataFrame(rows, index=pd.MultiIndex.from_frame(distinct), columns=columns)
        out = answers.reindex(pd.MultiIndex.from_frame(frame))
        out.index = names.index
        return out.astype({c: "string" for c in out.columns if c != "gz_proximity"})

    def _row(self, m: Match) -> dict:
        b = m.body
        return {
            "gz_body_id": b.body_id if b else None,
            "gz_name": b.name if b else None,
            "gz_class": (b.body_class if b else m.body_class) or None,
            "gz_place": b.place if b and b.place else None,
            "gz_lads": ";".join(b.lads) if b and b.lads else None,
            "gz_postcode": b.postcode if b else None,
            "gz_company_number": b.company_number if b else None,
            "gz_source": b.source if b else None,
            "gz_rule": m.rule or None,
            "gz_proximity": bool(m.proximity),
            "gz_candidates": " | ".join(m.candidates) or None,
        }

    def match_one(self, norm: str, raw: str = "", payer: Payer | None = None) -> Match:
        """The body a normalised payee name stands for (see the module docstring)."""
        text = phrased(str(norm or ""))
        key = name_key(text)
        if not meaningful(key):
            return _NO_MATCH
        name = _Name(
            key, text, bool(_LOCAL_COUNCIL.search(text)), bool(_LEGAL_FORM.search(str(raw).upper()))
        )
        area = self._area_class(name)
        for rule, ids in self._candidates(name, area):
            if ids:
                return self._decide(ids, rule, payer or Payer())
        named = self._class_name(name)
        return named if named.body is not None else area or _NO_MATCH

    def _class_name(self, name: _Name) -> Match:
        """A body known only by what its name says it is (:data:`CLASS_NAMES`)."""
        if name.company:
            return _NO_MATCH
        for cls, pattern, place in _CLASS_NAMES:
            if pattern.search(name.text):
                body = Body(
                    f"{cls}:{name.text}",
                    name.text.title(),
                    cls,
                    place,
                    source="what the payee name says",
                )
                return Match(self.bodies.setdefault(body.body_id, body), "class", body_class=cls)
        return _NO_MATCH

    def _candidates(self, name: _Name, area: Match | None) -> Iterator[tuple[str, list[str]]]:
        """(rule, body ids) for each rule in order; stops being asked once one fits.
        ``area`` is what the class words around an area's name found (rule 4)."""
        idx, key = self._idx, name.key
        yield "exact", idx.exact.get(key, [])
        if not name.local:
            for family in FAMILIES:
                if has_marker(key, family):
                    yield "core", idx.cores[family].get(core_key(key, family), [])
        if any(len(t) >= _RUN_TOGETHER for t in key.split()):
            yield "compact", idx.compact.get(compact_key(key), [])
        if area is not None and area.body is not None:
            yield "area", [area.body.body_id]
        yield "prefix", self._prefix(name)
        yield "truncated", self._truncated(key)
        yield "abbreviated", self._abbreviated(key)
        tokens = key.split()
        if len(tokens) == 1 and tokens[0].isalpha() and not name.company:
            yield "initialism", idx.initials.get(tokens[0], [])

    def _prefix(self, name: _Name) -> list[str]:
        """Bodies whose whole name the payee starts with, going on with an office or an
        account ("HMRC Shipley Office", "Exeter City Council (Rates)"): never a company's
        name; a council only when its type word is there ("Kent County Supplies" and "North
        East Autism Society" are no council); initials only a national body's."""
        if name.company:
            return []
        tokens = name.key.split()
        for n in range(len(tokens) - 1, 0, -1):
            head, tail = " ".join(tokens[:n]), " ".join(tokens[n:])
            ids = self._prefix_heads(head, n, name.local)
            ids = [i for i in ids if self._tail_agrees(tail, self.bodies[i].body_class)]
            if ids:
                return list(dict.fromkeys(ids))
        return []

    def _prefix_heads(self, head: str, n: int, local: bool) -> list[str]:
        """Bodies ``head`` (the payee's first ``n`` words) names in full."""
        if n == 1:
            initials = self._idx.initials.get(head, []) if len(head) > 3 else []
            places = {self.bodies[i].place_id for i in initials}
            return initials if places == {("national", (), None)} else []
        typed = has_marker(head, "council") or has_marker(head, "combined_authority")
        ids = [
            i
            for i in self._idx.exact.get(head, [])
            if typed or self.bodies[i].body_class not in ("council", "combined_authority")
        ]
        if not local:
            for family in FAMILIES:
                if has_marker(head.rsplit(" ", 1)[-1], family):
                    ids += self._idx.cores[family].get(core_key(head, family), [])
        return ids

    def _tail_agrees(self, tail: str, body_class: str) -> bool:
        """The words after a body's name name no body of another class ("LCC PENSION FUND"
        is a pension fund, not the council)."""
        for cls, strong, _ in self._area_patterns:
            if cls != body_class and strong.search(tail):
                return False
        return not _EDUCATION.search(tail) or (body_class in ("school_academy", "university"))

    def _truncated(self, key: str) -> list[str]:
        """Bodies whose name starts with the whole payee name, when it looks cut short."""
        if len(key.split()) < _TRUNCATED_MIN_TOKENS or len(key) < _TRUNCATED_MIN_CHARS:
            return []
        keys, ids = self._idx.sorted_keys, self._idx.sorted_ids
        lo = bisect.bisect_left(keys, key)
        hi = bisect.bisect_right(keys, key + "\uffff")
        hits = [ids[i] for i in range(lo, hi) if keys[i] != key and 2 * len(key) >= len(keys[i])]
        return list(dict.fromkeys(hits))

    def _abbreviated(self, key: str) -> list[str]:
        """Bodies whose name has the payee's words, some cut short ("Dept of Business
        Energy & Ind Strat"): as many words, each the start of the body's."""
        tokens = key.split()
        if len(tokens) < _ABBREVIATED_MIN_TOKENS:
            return []
        hits: list[str] = []
        for alias in self._idx.by_initials.get(_first_letters(key), []):
            full = alias.split()
            if len(full) == len(tokens) and all(
                f.startswith(t) for t, f in zip(tokens, full, strict=True)
            ):
                hits += self._idx.exact[alias]
        return list(dict.fromkeys(hits))

    def _area_class(self, name: _Name) -> Match | None:
        """Class words around an area's name: a body of that class serving that area; the
        class alone when the words say it on their own and no area is named."""
        if not self._any_class_word.search(name.key):
            return None
        for cls, strong, weak in self._area_patterns:
            said = strong.search(name.key)
            if not said and not weak.search(name.key):
                continue
            rest = weak.sub(" ", strong.sub(" ", name.key)).split()
            rest = [t for t in rest if t not in ("OFFICE", "CHIEF", "SERVICE")]
            found = self.commissioned_area(rest, cls)
            if found is not None:
                lads, label = found
                body = Body(
                    f"{cls}:{' '.join(rest)}",
                    f"{BODY_CLASSES[cls]} ({label})",
                    cls,
                    "area",
                    lads,
                    source="area named in the payee name",
                )
                return Match(self.bodies.setdefault(body.body_id, body), "area", body_class=cls)
            if said and not name.company:
                return Match(body_class=cls)
        return None

    def commissioned_area(
        self, tokens: list[str], body_class: str = ""
    ) -> tuple[tuple[str, ...], str] | None:
        """The area of a body's name, a compass word before it allowed ("Central Manchester"
        is placed at Manchester); a class's own areas first (a police force area)."""
        if not tokens:
            return None
        found = self.area(tokens, body_class=body_class)
        if found is None and len(tokens) > 1 and tokens[0] in _COMPASS:
            found = self.area(tokens[1:], body_class=body_class)
        return found

    def area(
        self, tokens: list[str], depth: int = 3, body_class: str = ""
    ) -> tuple[tuple[str, ...], str] | None:
        """The districts an area name covers; "A B" may be two areas ("Avon and Somerset").
        A class's own areas (:meth:`add_areas`) come first."""
        whole = " ".join(tokens)
        keys = (whole, _area_core(whole))
        for areas in (self._idx.class_areas.get(body_class, {}), self._idx.areas):
            for k in keys:
                if k in areas:
                    return areas[k]
        if depth <= 1:
            return None
        for i in range(1, len(tokens)):
            if set(tokens[:i]) <= _COMPASS:
                continue  # "North East London" is a part of London, not two areas
            left = self.area(tokens[:i], 1, body_class)
            right = self.area(tokens[i:], depth - 1, body_class) if left else None
            if left and right:
                return tuple(sorted(set(left[0]) | set(right[0]))), f"{left[1]}, {right[1]}"
        return None

    def _decide(self, ids: list[str], rule: str, payer: Payer) -> Match:
        """One body from the candidates: the same place counts once (a current body before
        an ended one), then proximity to the paying council decides, or no one does."""
        bodies = [self.bodies[i] for i in ids]
        by_place: dict[tuple, Body] = {}
        for b in sorted(bodies, key=lambda b: not b.current):
            by_place.setdefault(b.place_id, b)
        options = list(by_place.values())
        if len(options) == 1:
            return Match(options[0], rule)
        for tier in (self._holds, self._near, self._same_region):
            near = [b for b in options if b.lads and tier(b, payer)]
            if len(near) == 1:
                return Match(near[0], rule, proximity=True)
            if len(near) > 1:
                break
        names = tuple(dict.fromkeys(b.name for b in options))
        cls = {b.body_class for b in options}
        return Match(None, rule, candidates=names, body_class=cls.pop() if len(cls) == 1 else "")

    @staticmethod
    def _holds(b: Body, payer: Payer) -> bool:
        lads = set(b.lads)
        return bool(payer.lads) and (payer.lads <= lads or lads <= payer.lads)

    @staticmethod
    def _near(b: Body, payer: Payer) -> bool:
        return bool(set(b.lads) & (payer.neighbours | payer.lads))

    def _same_region(self, b: Body, payer: Payer) -> bool:
        return bool(self.geography.regions_of(b.lads) & payer.regions)


# ----------------------------------------------------------------------------- hints

#: Education bodies that serve more than the council's own area.
_NOT_ASSUMED = re.compile(r"\b(?:COLLEGE|UNIVERSITY|INDEPENDENT|LTD|LIMITED)$|\bUNIVERSITY\b")

#: Where a payee name names a place: "(Anytown)" in brackets, "… for/of/in Anytown" at
#: its end, or "Anytown" before an institution's word.  Low confidence, kept apart.
NAME_HINTS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\((?P<place>[^()]{3,})\)"),
    re.compile(r"\b(?:FOR|OF|IN) (?P<place>[A-Z][A-Z ]+)$"),
    re.compile(r"^(?P<place>[A-Z][A-Z ]+?) (?:COLLEGE|UNIVERSITY|HOSPICE|CVS|NHS)\b"),
    re.compile(r"\b(?:ACADEMY|SCHOOL|COLLEGE|UNIVERSITY|HOSPICE|CVS) (?P<place>[A-Z][A-Z ]+)$"),
)


def assumed_local(names: pd.Series, body_types: pd.Series) -> pd.Series:
    """True for the public bodies taken to be in the paying council's own area: parish and
    town councils (it collects their precepts), and schools and academy trusts (it funds
    them) — not colleges or universities, which serve wider areas.  Used last, for those no
    register placed, and marked as the assumption it is."""
    text = names.astype("string").fillna("")
    types = body_types.astype("string")
    parish = (types == "council").fillna(False) & text.str.contains(_LOCAL_COUNCIL)
    school = (types == "school_academy").fillna(False) & ~text.str.contains(_NOT_ASSUMED)
    return parish | school


def name_hint(gazetteer: Gazetteer, norm: str, raw: str) -> tuple[tuple[str, ...], str] | None:
    """The area a place name inside a payee name names (its districts and name), or None.
    The bracket rule reads the published name, the "for/of/in" rule the normalised one,
    the others the key (abbreviations written out)."""
    key = name_key(str(norm))
    texts = (str(raw).upper(), str(norm), key, key)
    for pattern, text in zip(NAME_HINTS, texts, strict=True):
        m = pattern.search(text)
        if m is None:
            continue
        tokens = name_key(normalise_name(m.group("place"))).split()
        for n in range(len(tokens), 0, -1):
            found = gazetteer.commissioned_area(tokens[:n])
            if found is not None:
                return found
    return None


def name_hints(gazetteer: Gazetteer, names: pd.Series, raw_names: pd.Series) -> pd.DataFrame:
    """Per name (same index): ``hint_lads`` (``;``-joined) and ``hint_area`` of the place its
    name names (:data:`NAME_HINTS`), NA where none."""
    frame = pd.DataFrame(
        {"n": names.astype("string").fillna(""), "r": raw_names.astype("string").fillna("")},
        index=names.index,
    )
    distinct = frame.drop_duplicates()
    rows = []
    for n, r in distinct.itertuples(index=False):
        found = name_hint(gazetteer, n, r)
        rows.append((";".join(found[0]), found[1]) if found else (None, None))
    answers = pd.DataFrame(
        rows,
        columns=["hint_lads", "hint_area"],
        index=pd.MultiIndex.from_frame(distinct),
        dtype="string",
    )
    out = answers.reindex(pd.MultiIndex.from_frame(frame))
    out.index = names.index
    return out
