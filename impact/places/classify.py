"""What kind of organisation a supplier is: company, VCSE, public body, person, unknown.

Why it matters: spend with other public bodies (precepts, NHS, academies, HMRC) is large
and rarely influenceable, so coverage and LM3 figures are reported with and without it;
VCSE spend is a policy target in its own right; payments to individuals are redacted
and can never be placed.  The rules are transparent regexes over the normalised name
(see :mod:`impact.ingest.names`), with the identifiers a council publishes taking precedence.
Every row gets a ``class_reason`` saying which rule fired, so a wrong class can be
traced and fixed.

Order of precedence (first that applies wins):

1. redaction marker, or an aggregate line naming no payee ("Miscellaneous payments")
   → ``individual_redacted``; a pool of care payments to people
   (personal budgets, direct payments, individual service funds, or a cost code and a client
   group such as "2021:02D Dementia", in the name or the supplier id) likewise;
2. public-body words → ``public_body`` (+ ``public_body_type``); SIC pseudo-code ``1``
   (used by the gender-pay-gap service for public-sector employers) likewise
3. charity number, or VCSE words (CHARITY, CIC, HOSPICE, CHURCH…; TRUST / FOUNDATION /
   ASSOCIATION / SOCIETY only as the last word or before OF/FOR, and never with PLC)
   → ``vcse``
4. company number, a legal form in the published name (LTD, PLC, LLP…) or a SIC code
   → ``company``
5. a title ("MR J SMITH") or a bare initial-and-surname / common-given-name-and-surname
   of exactly two words → ``individual_redacted`` (conservative: brands named after
   people such as JOHN LEWIS are excluded); a name of that shape paid a large sum
   (:data:`LARGE_SUM`) is no person on its shape alone (``unknown``: "L B SOUTHWARK" is a
   London borough); a public body the gazetteer recognises overrides a verdict on name
   shape (:data:`BY_NAME_SHAPE`); payments a council makes to people under a service's
   name (foster carers, bursaries, refunds, a payroll) likewise; no name and no
   identifier → ``unknown``
6. a trading name: business words (ENERGY, CONSTRUCTION, CARE HOME, RECRUITMENT …) or a
   web address → ``company``; a payee paid only by purchase card is a merchant, and a
   building's name ("Balmoral Court", as care homes trade) a business → ``company``
7. otherwise ``unknown``
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from impact.ingest.names import REDACTED, is_redacted_name

SUPPLIER_CLASSES = ("company", "vcse", "public_body", "individual_redacted", "unknown")
PUBLIC_BODY_TYPES = (
    "council",
    "combined_authority",
    "police",
    "fire",
    "nhs",
    "government",
    "school_academy",
    "university",
    "pension_fund",
    "other_public",
)

# Patterns run on normalised names (upper case, & → AND, punctuation → spaces).
# Order matters: the first type that matches wins (e.g. "POLICE AND CRIME COMMISSIONER").
_PUBLIC_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "combined_authority",
        r"COMBINED AUTHORITY|\bGMCA\b|\bTFGM\b|\bTFL\b|TRANSPORT FOR (GREATER MANCHESTER|LONDON|"
        r"WEST MIDLANDS|THE NORTH|WALES)|PASSENGER TRANSPORT EXECUTIVE|MAYORAL",
    ),
    (
        "police",
        r"\bPOLICE\b|CONSTABULARY|POLICE AND CRIME COMMISSIONER",
    ),
    (
        "fire",
        r"FIRE AND RESCUE|FIRE AUTHORITY|FIRE SERVICE|FIRE AND CIVIL DEFENCE",
    ),
    ("pension_fund", r"\bPENSION FUND\b|\bSUPERANN(?:UATION)? FUND\b|\bTEACHERS PENSIONS?\b"),
    (
        "nhs",
        r"\bNHS\b|\bCCG\b|CLINICAL COMMISSIONING|INTEGRATED CARE BOARD|\bICB\b|"
        r"(HOSPITALS?|HEALTH|HEALTHCARE|TEACHING|PARTNERSHIPS?|AMBULANCE SERVICE|"
        r"MENTAL HEALTH) (NHS )?FOUNDATION TRUST|HEALTH AUTHORITY|PUBLIC HEALTH ENGLAND|"
        r"UK HEALTH SECURITY|HEALTH EDUCATION ENGLAND|\bUNI(VERSITY)? HOSPITALS?\b|"
        r"\bHOSPITALS? (NHS )?(FOUNDATION )?TRUST\b",
    ),
    (
        "government",
        r"\bHMRC\b|\bHM REVENUE|\bHM (COURTS|LAND REGISTRY|TREASURY|PASSPORT|PRISON)|"
        r"\bDEPARTMENT (FOR|OF)\b|\bDWP\b|\bDVLA\b|\bMINISTRY OF\b|ENVIRONMENT AGENCY|"
        r"CABINET OFFICE|HOME OFFICE|NATIONAL HIGHWAYS|HIGHWAYS ENGLAND|HISTORIC ENGLAND|"
        r"NATURAL ENGLAND|HOMES ENGLAND|SPORT ENGLAND|ARTS COUNCIL|VALUATION OFFICE|"
        r"OFFICE FOR NATIONAL STATISTICS|COMPANIES HOUSE|LAND REGISTRY|"
        r"INFORMATION COMMISSIONER|ELECTORAL COMMISSION|CROWN COMMERCIAL SERVICE|"
        r"CROWN PROSECUTION|MAGISTRATES|COUNTY COURT|"
        r"DISCLOSURE AND BARRING|INSOLVENCY SERVICE|\bOFSTED\b|\bOFGEM\b|\bOFWAT\b|"
        r"CHARITY COMMISSION|\bDEFRA\b|\bDCMS\b|\bDLUHC\b|\bMHCLG\b|\bDFE\b|\bDFT\b",
    ),
    (
        "council",
        r"\b(BOROUGH|CITY|COUNTY|DISTRICT|PARISH|TOWN|METROPOLITAN|PARISH AND TOWN) COUNCIL\b|"
        r"\bMBC\b|\bMDC\b|\bCOUNCIL OF THE\b|^(\w+ ){0,2}COUNCIL$|LOCAL GOVERNMENT ASSOCIATION|"
        r"JOINT COMMITTEE|WASTE DISPOSAL AUTHORITY|PORT HEALTH AUTHORITY",
    ),
    ("university", r"^UNIVERSITY OF\b|\bUNIVERSITY$"),
    (
        "school_academy",
        r"MULTI ACADEMY TRUST|ACADEMY TRUST|ACADEMIES TRUST|LEARNING TRUST|EDUCATION TRUST|"
        r"SCHOOLS? TRUST|\bMAT\b|\bACADEMY$|\bSCHOOL$|PRIMARY SCHOOL|HIGH SCHOOL|"
        r"INFANT SCHOOL|JUNIOR SCHOOL|NURSERY SCHOOL|GRAMMAR SCHOOL|SIXTH FORM|"
        r"\b(COMMUNITY|TECHNOLOGY|ARTS|SPORTS|SCIENCE|LANGUAGE|BUSINESS|ENTERPRISE|"
        r"ENGINEERING|MATHS|MATHEMATICS|PERFORMING ARTS|SPECIALIST) COLLEGE\b|COLLEGE ACADEMY|"
        r"FURTHER EDUCATION|\bPRIMARY$|\bJ AND I\b|"
        r"CHURCH OF ENGLAND|\bC OF E\b|\bRC\b.*SCHOOL",
    ),
    (
        "other_public",
        r"NATIONAL PARK AUTHORITY|\bCORONER|PROBATION SERVICE|LOCAL GOVERNMENT OMBUDSMAN|"
        r"HOUSING OMBUDSMAN|VALUATION TRIBUNAL|\bTRIBUNAL\b|LOCAL PENSIONS PARTNERSHIP|"
        r"\bOFFICE OF THE\b|\bNATIONAL AUDIT OFFICE\b|AUDIT COMMISSION",
    ),
)
# Words that make "X COUNCIL" a voluntary body rather than a local authority.
_NOT_COUNCIL = r"\b(VOLUNTARY|YOUTH|SPORTS?|ADVICE|CARE|COMMUNITY|RESIDENTS|BRITISH|FAITH|MUSLIM)\b"
# A school in a company's name (driving school, dance academy) stays a company.
_SCHOOL_NEEDS_NO_FORM = r"\bACADEMY$|\bSCHOOL$|\bCOLLEGE$"
# Schools that are no public body: pre-schools and playgroups (VCSE), nurseries, driving,
# dance and language schools (businesses).
_NOT_A_SCHOOL = (
    r"\bPRE ?SCHOOLS?\b|\bDAY NURSERY\b|\bNURSER(Y|IES)\b(?! SCHOOL)|OUT OF SCHOOL|"
    r"\b(DRIVING|DANCE|DANCING|LANGUAGE|STAGE|SWIM(MING)?|MUSIC|RIDING|FLYING|MONTESSORI|"
    r"KNOWLEDGE|KIDS|TRAINING) (SCHOOL|ACADEMY)\b"
)

_VCSE_STRONG = (
    r"\bCHARITY\b|\bCHARITABLE\b|COMMUNITY INTEREST|\bVOLUNTARY\b|\bHOSPICE\b|\bCHURCH\b|"
    r"\bDIOCESE\b|\bDIOCESAN\b|\bMOSQUE\b|\bGURDWARA\b|\bSYNAGOGUE\b|\bCHAPEL\b|"
    r"HOUSING ASSOCIATION|CITIZENS ADVICE|\bYMCA\b|\bYWCA\b|\bBARNARDOS?\b|"
    r"SALVATION ARMY|WOMENS AID|\bAGE UK\b|\bSCOUTS?\b|\bGIRLGUIDING\b|\bGUIDES\b|"
    r"COMMUNITY (CENTRE|GROUP|ASSOCIATION|PROJECT|TRUST|FOUNDATION|PARTNERSHIP)|"
    r"\bFRIENDS OF\b|\bMUTUAL AID\b|\bFOOD ?BANK\b|\bCREDIT UNION\b|\bTRUSTEES\b|"
    r"\b(CRICKET|BOWLING|LUNCHEON|YOUTH|BOXING|RUGBY LEAGUE|AMATEUR) CLUB\b|\bJFC\b|"
    r"\bPRE ?SCHOOL\b|\bPLAYGROUP\b|CHILDRENS? CENTRE|CHILDREN S CENTRE|\bADVOCACY\b|"
    r"\bMENCAP\b|\bHEALTHWATCH\b|\bMINSTER\b|\bACTION GROUP\b|\bFESTIVAL\b|"
    r"\bCOMMUNITY TRANSPORT\b|\bCVS\b|\bPARISH CHURCH\b|\bPCC$|\bYMCA\b|"
    r"\b(YOUNG PEOPLES?|YOUTH|WOMENS?|HEALTH|MUSIC|ARTS|FOOD|FAMILY|CHILDRENS?) PROJECTS?$|"
    r"\bAGAINST\b|\bWELFARE\b|\bTOGETHER$|"
    r"\bCOLLEGE$"
)
_VCSE_WEAK = r"\b(TRUST|FOUNDATION|ASSOCIATION|SOCIETY)($| OF\b| FOR\b)"
_NOT_VCSE = r"BUILDING SOCIETY|CO OPERATIVE SOCIETY|COOPERATIVE SOCIETY|HOUSING SOCIETY LTD"
# Charitable/social-enterprise legal forms in the published (raw) name.
_VCSE_FORM_RAW = (
    r"\bC\.?I\.?C\.?\b|\bC\.?I\.?O\.?\b|COMMUNITY INTEREST COMPANY|CHARITABLE INCORPORATED"
)
_LEGAL_FORM_RAW = (
    r"\bLTD\b|\bLIMITED\b|\bPLC\b|\bP\.L\.C\b|\bLLP\b|\bL\.L\.P\b|\bINC\b|\bLLC\b|"
    r"\bGMBH\b|\bB\.?V\.?$|\bS\.?A\.?$|\(UK\)"
)
_PLC_RAW = r"\bPLC\b|\bP\.L\.C\b|\bLLP\b"

_TITLES = r"^(MR|MRS|MS|MISS|MX|DR|REV|REVD|SIR|DAME|LADY|LORD)( AND (MR|MRS|MS|MISS))? [A-Z]"
_INITIAL_SURNAME = r"^[A-Z]( [A-Z])? [A-Z][A-Z']{2,}$"
#: A deliberately small list: two-word "GIVEN SURNAME" names count as people only then.
_GIVEN_NAMES_TEXT = (
    "JOHN DAVID MICHAEL PAUL ANDREW PETER JAMES ROBERT MARK RICHARD STEPHEN STEVEN IAN "
    "CHRISTOPHER ANTHONY SIMON GARY KEVIN ALAN MARTIN DANIEL THOMAS NEIL WILLIAM JASON "
    "MATTHEW LEE CRAIG GRAHAM BRIAN PHILIP ADAM KEITH DARREN JONATHAN STUART SCOTT "
    "SUSAN SARAH KAREN JULIE LISA CLAIRE HELEN NICOLA JANE EMMA RACHEL ELIZABETH "
    "LOUISE MICHELLE JOANNE ALISON AMANDA DEBORAH ANGELA CAROL PATRICIA MARGARET "
    "LINDA JENNIFER CATHERINE GILLIAN JACQUELINE KATHRYN VICTORIA REBECCA LAURA HANNAH "
    "MOHAMMED MOHAMMAD MUHAMMAD AHMED ALI IMRAN TARIQ ASIF SHAHID NADEEM "
    "SAMANTHA MEGAN ZOE HEIDI NICHOLA NICOLE ELLA CHLOE SOPHIE LUCY AMY JESSICA CHARLOTTE "
    "KATIE KATE KATHERINE JOANNA DAWN TRACEY TRACY SHARON DONNA LORRAINE JULIA DIANE "
    "DEBBIE JACKIE WENDY YVONNE PAULA ANNA ANNE ANN MARIA MARY SUZANNE JOSEPH RYAN JACK "
    "BEN BENJAMIN SAMUEL LIAM CARL WAYNE SHAUN SEAN DEAN GLEN GLENN TONY NIGEL TREVOR "
    "ROGER BARRY COLIN DEREK RAYMOND KENNETH GORDON DOUGLAS FRASER HARRY GEORGE OLIVER "
    "NATALIE GEMMA LEANNE KELLY KERRY HAYLEY STACEY ABIGAIL BETHANY AMBER JADE"
)
_GIVEN_NAMES = frozenset(_GIVEN_NAMES_TEXT.split())
#: Reasons that read a payee as a person by the shape of its name alone (no redaction
#: word, title or service): a public body of that name is that body, not a person.
BY_NAME_SHAPE = frozenset({"initial and surname", "given name and surname"})
#: £ paid to one payee above which the shape of its name alone does not make it a person
#: (payments to people — carers, refunds, grants — are rarely this large in total).
LARGE_SUM = 100_000.0
_PERSON_LIKE_BRANDS = {
    "JOHN LEWIS",
    "DAVID LLOYD",
    "TED BAKER",
    "PAUL SMITH",
    "JAMES HALL",
    "PETER JONES",
    "MARTIN BROWER",
    "SIMON JERSEY",
    "JOHN DEERE",
    "JOHN MENZIES",
    "ANDREW SYKES",
    "ALAN BOSWELL",
    "ROBERT DYAS",
    "SARAH LOU",
    "DAVID BROWN",
    "WILLIAM HILL",
}
_BUSINESS_WORDS = (
    r"\b(SERVICES?|SOLUTIONS|GROUP|HOLDINGS|CONSULT\w*|SYSTEMS|SUPPLIES|CARE|HOMES?|"
    r"TRAINING|BUILDERS?|ELECTRICAL|PLUMBING|MOTORS|TRAVEL|TAXIS?|HIRE|PROPERTY|"
    r"ASSOCIATES|PARTNERS(HIP)?|AND SONS?|BROTHERS|BROS|UK|INTERNATIONAL|CENTRE|"
    r"LEISURE|MEDIA|DESIGN|DIRECT|TECHNOLOGY|ENGINEERING|CONSTRUCTION|ESTATES?|PROPERT\w+|"
    r"LETTINGS|FLOORING|ROOFING|CLEANING|GARAGE|TRANSPORT|COACHES|JOINERY|SCAFFOLDING|"
    r"DECORATORS?|LANDSCAPES?|LANDSCAPING|HAULAGE|CATERING|SECURITY|PRINT\w*|FUELS?)\b"
)

#: Pools of care payments to people: a personal budget, direct payments, an individual
#: service fund, or a cost code followed by a client group ("2021:02D Dementia").
_CARE_POOL = (
    r"\bPERSONAL (HEALTH )?BUDGETS?\b|\bDIRECT PAYMENTS?\b|\bINDIVIDUAL SERVICE FUNDS?\b|"
    r"^\d+ \w*\d\w* ?(DEMENTIA|LEARNING DISABILIT\w*|PHYSICAL\w* DISABL\w*|\w*FRAILTY|"
    r"MENTAL HEALTH|SENSORY|SUBSTANCE MISUSE|OLDER PEOPLE|AUTIS\w*|CARERS?)\b"
)
#: A line that names no payee: an aggregate of payments (sundries, expenses, grants).
_NO_PAYEE = (
    r"^(MISC(ELLANEOUS)?|SUNDRY|SUNDRIES|VARIOUS|GENERAL|OTHER)( \w+)? (PAYMENTS?|EXPENSES|"
    r"CREDITORS?|SUPPLIERS?|PAYEES?)\b|^(GRANT|HOUSING|BACS|PETTY CASH|CASH) PAYMENTS?$|"
    r"\bTOTAL EXPENSES\b|^(MISC(ELLANEOUS)?|SUNDRY|SUNDRIES|VARIOUS)$"
)
#: Payments a council makes to people under a service's name.
_TO_PEOPLE = (
    r"^FOSTER (CARE|CARERS?|PARENTS?)\b|\bFOSTERING ALLOWANCES?\b|\bKINSHIP CARERS?\b|"
    r"\bSPECIAL GUARDIANSHIP\b|\bSHARED LIVES CARERS?\b|\bBURSARY\b|\bBURSARIES\b|"
    r"\bPAYROLL\b|\bSTIPENDS?\b|"
    r"\bALLOWANCES?$|\b(RENT|COUNCIL TAX|HOUSING BENEFIT|DEPOSIT|TENANT) REFUNDS?\b|^REFUNDS?$"
)
#: Words of a trading name: what a business sells or is.
_TRADING_WORDS = (
    r"\b(ENERGY|ELECTRIC(ITY)?|POWER|FUELS?|OILS?|PETROLEUM|RECYCLING|WASTE|ENVIRONMENTAL|"
    r"LIGHTING|TRAVEL|TAXIS?|CABS|CARS|COACHES|MOTORS|GARAGE|HAULAGE|LOGISTICS|TRANSPORT|"
    r"FREIGHT|COURIERS?|PROCUREMENT|INSURANCE|ASSURANCE|BANK|FINANCE|CAPITAL|INVESTMENTS?|"
    r"CONSTRUCTION|CONTRACTORS?|CONTRACTING|BUILDERS?|CIVILS|ENGINEERING|ENGINEERS|"
    r"ELECTRICAL|PLUMBING|HEATING|ROOFING|SCAFFOLDING|GLAZING|WINDOWS|JOINERY|DECORATORS?|"
    r"LANDSCAPES?|LANDSCAPING|GROUNDWORKS|AGGREGATES|PLASTICS|STEEL|TIMBER|SUPPLIES|"
    r"PRODUCTS|EQUIPMENT|SYSTEMS|SOLUTIONS|TECHNOLOG(Y|IES)|SOFTWARE|DIGITAL|TELECOMS?|"
    r"COMMUNICATIONS|NETWORKS?|MEDIA|MARKETING|DESIGNS?|PRINT(ING|ERS)?|CONSULT\w*|"
    r"ASSOCIATES|PARTNERS|GROUP|HOLDINGS|ENTERPRISES?|INTERNATIONAL|UK|RESOURC\w*|"
    r"RECRUIT\w*|STAFFING|PERSONNEL|AGENCY|PROPERT(Y|IES)|ESTATES?|LETTINGS|DEVELOPMENTS?|"
    r"HOMES|(CARE|NURSING|RESIDENTIAL|REST) HOMES?|HOME ?CARE|HEALTH ?CARE|CARE (GROUP|"
    r"SERVICES|CENTRE|VILLAGE|SOLUTIONS)|DOMICILIARY|HOTELS?|GUEST HOUSE|CATERING|FOODS?|"
    r"CLEANING|HYGIENE|SECURITY|LIFTS|HIRE|RENTALS?|STORES?|SHOPS?|SUPERMARKETS?|"
    r"MARKETPLACE|ONLINE|DIRECT|WHOLESALE|TRADING|TRADERS|SERVICES|SERVIES|SVCS|MANAGEMENT|"
    r"MAINTENANCE|PFI|PROJECT COMPANY|SPV|LEISURE|FITNESS|PHARMACY|CHEMISTS?|OPTICIANS|"
    r"DENTAL|VETERINARY|SOLICITORS|CHAMBERS|ACCOUNTANTS|ARCHITECTS?|SURVEYORS|AUCTIONEERS|"
    r"INVESTORS|LIFT|MUNICIPAL|PARTNERSHIP|PARTNSHIP|P SHP|FOSTERING\w*|"
    r"NURSERY|NURSERIES|CHILDCARE|DAY ?CARE|KINDERGARTEN|CRECHE|CHILDMINDER|EARLY YEARS|"
    r"SUPPORTED LIVING|ASSISTED LIVING|RESIDENTIAL|RES HOME|\w*CARE|CARE AND SUPPORT)\b"
)
#: A building's name, as care homes, hostels and hotels trade under ("Balmoral Court",
#: "Kenton Hall N H"): taken as a business (most such homes are run by companies).
_BUILDING_NAME = (
    r"^(\w+ ){1,3}(COURT|HOUSE|LODGE|GRANGE|MANOR|HALL|VILLA|CLOSE|GARDENS|VIEW|PARK|"
    r"MEWS|TOWERS|HEIGHTS|PLACE)( N H| NH| MH| APH| RH)?$|\b(N H|NH|APH|RH|MH)$"
)
#: Words that make a service's name a firm's ("Midland HR & Payroll Solutions").
_FIRM_WORDS = r"\b(SOLUTIONS|SERVICES|GROUP|AGENCY|SYSTEMS|CONSULT\w*|PARTNERS|ASSOCIATES|UK)\b"
#: A web address or an online marketplace in the payee name: a business.
_WEB = r"^WWW |\b(COM|CO UK|NET)$|\bCO UK\b|\bAMZN|\bAMAZON\b|\bPAYPAL\b|\bEBAY\b"


def _nc(pattern: str) -> str:
    """Make every group non-capturing (``str.contains`` warns about capturing groups)."""
    return re.sub(r"\((?!\?)", "(?:", pattern)


def _match(s: pd.Series, pattern: str) -> np.ndarray:
    """True where ``pattern`` is found: by Arrow's RE2 (fast, compiled once per call), or
    Python's ``re`` for the few patterns RE2 cannot run (look-arounds)."""
    pat = _nc(pattern)
    try:
        hit = pc.match_substring_regex(pa.array(s.array, pa.string()), pat)
    except pa.ArrowInvalid:
        return s.str.contains(pat, regex=True, na=False).to_numpy(dtype=bool)
    return hit.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)


def _match_open(s: pd.Series, pattern: str, v: _Verdict) -> np.ndarray:
    """:func:`_match` on the suppliers no earlier rule took (the later rules' hits are
    only wanted there, and most suppliers are taken by then)."""
    out = np.zeros(len(s), dtype=bool)
    open_ = ~v.done
    if open_.any():
        out[open_] = _match(s[open_], pattern)
    return out


def _words(texts: pd.Series, pattern: str, rows: np.ndarray, label: str) -> np.ndarray:
    """The reason a rule gives: ``label`` and the words of ``pattern`` found, extracted only
    for ``rows`` (the ones the rule speaks for), so a rule costs what its hits cost."""
    out = np.full(len(texts), label, dtype=object)
    if rows.any():
        found = texts[rows].str.extract(f"({_nc(pattern)})", expand=False).fillna("")
        out[rows] = (label + ": " + found).to_numpy(dtype=object)
    return out


def _present(values: object, index: pd.Index) -> np.ndarray:
    """True where an identifier column is given and non-blank."""
    if values is None:
        return np.zeros(len(index), dtype=bool)
    s = pd.Series(values, index=index).astype("string").str.strip()
    return (
        s.notna() & (s != "") & ~s.str.fullmatch(r"(?i)(0+|N/?A|NONE|NULL|-)", na=False)
    ).to_numpy(dtype=bool)


@dataclass(frozen=True)
class Identifiers:
    """What a council publishes beside a payee's name, each optional (one value per name):
    ``supplier_id`` (its vendor reference, which sometimes says what the payee is),
    ``card_only`` (True when every payment was by purchase card)."""

    company_number: pd.Series | None = None
    charity_number: pd.Series | None = None
    sic: pd.Series | None = None
    supplier_id: pd.Series | None = None
    card_only: pd.Series | None = None
    spend: pd.Series | None = None  # £ paid in all (positive payments)


def classify_suppliers(
    names_norm: pd.Series,
    raw_names: pd.Series | None = None,
    company_number: pd.Series | None = None,
    charity_number: pd.Series | None = None,
    sic: pd.Series | None = None,
    *,
    ids: Identifiers | None = None,
) -> pd.DataFrame:
    """Classify suppliers; one row per input row, same index.

    Returns columns ``supplier_class`` (one of :data:`SUPPLIER_CLASSES`),
    ``public_body_type`` (one of :data:`PUBLIC_BODY_TYPES` or NA) and ``class_reason``.
    ``raw_names`` (as published) lets legal forms such as LTD/CIC count, which the
    normalised name no longer carries; without it they are simply not used.  ``ids`` gives
    every identifier at once (the three keyword identifiers are kept for short calls).
    """
    ids = ids or Identifiers(company_number, charity_number, sic)
    rows = _row_keys(names_norm, raw_names, ids)
    distinct = rows.drop_duplicates().reset_index(drop=True)
    evidence = _Evidence.of(distinct)
    verdict = _Verdict.empty(len(distinct))
    for rule in RULES:
        rule(evidence, verdict)
    return _per_row(verdict.frame(), distinct, rows)


_KEY_COLUMNS = ["n", "r", "co", "ch", "sic", "id", "card", "large"]


def _row_keys(
    names_norm: pd.Series, raw_names: pd.Series | None, ids: Identifiers
) -> pd.DataFrame:
    """Everything a rule reads, per input row: the rules then run once per distinct key."""
    index = names_norm.index
    norm = names_norm.astype("string")
    raw = raw_names.astype("string") if raw_names is not None else norm
    key = pd.DataFrame({"n": norm.fillna(""), "r": raw.fillna("")}, index=index)
    key["co"] = _present(ids.company_number, index)
    key["ch"] = _present(ids.charity_number, index)
    key["sic"] = _text(ids.sic, index)
    key["id"] = _text(ids.supplier_id, index).str.upper()
    card = ids.card_only
    key["card"] = (
        pd.Series(card, index=index).fillna(False).astype(bool).to_numpy()
        if card is not None
        else False
    )
    spend = pd.to_numeric(pd.Series(ids.spend, index=index), errors="coerce") \
        if ids.spend is not None else None
    key["large"] = (spend >= LARGE_SUM).fillna(False).to_numpy(bool) if spend is not None \
        else False
    return key


def _text(values: pd.Series | None, index: pd.Index) -> pd.Series:
    """An optional text column, stripped, "" where absent."""
    if values is None:
        return pd.Series("", index=index, dtype="string")
    return pd.Series(values, index=index).astype("string").str.strip().fillna("")


@dataclass(frozen=True)
class _Evidence:
    """What the rules read, per distinct supplier: the name in its forms and the identifiers."""

    norm: pd.Series  # normalised name ("" when none)
    published: pd.Series  # as published ("" when none)
    upper: pd.Series  # as published, upper case (legal forms, T/A)
    clean: pd.Series  # upper case, & → AND, punctuation gone (titles)
    has_legal_form: np.ndarray  # LTD, PLC, LLP ... in the published name
    has_company_number: np.ndarray
    has_charity_number: np.ndarray
    sic: pd.Series  # SIC codes as given ("" when none)
    supplier_id: pd.Series  # the council's vendor reference, upper case ("" when none)
    card_only: np.ndarray  # every payment by purchase card
    large: np.ndarray  # paid at least LARGE_SUM in all

    @classmethod
    def of(cls, distinct: pd.DataFrame) -> _Evidence:
        upper = distinct["r"].str.upper()
        clean = upper.str.replace("&", " AND ", regex=False)
        clean = clean.str.replace(r"[^\w\s.()]", " ", regex=True)
        clean = clean.str.replace(r"\s+", " ", regex=True).str.strip()
        return cls(
            norm=distinct["n"],
            published=distinct["r"],
            upper=upper,
            clean=clean,
            has_legal_form=_match(upper, _LEGAL_FORM_RAW),
            has_company_number=distinct["co"].to_numpy(bool),
            has_charity_number=distinct["ch"].to_numpy(bool),
            sic=distinct["sic"],
            supplier_id=distinct["id"],
            card_only=distinct["card"].to_numpy(bool),
            large=distinct["large"].to_numpy(bool),
        )


@dataclass
class _Verdict:
    """Class, public-body type and reason per distinct supplier; the first rule to speak
    for a supplier wins, so the rules run in order of precedence (see :data:`RULES`)."""

    supplier_class: np.ndarray
    body_type: np.ndarray
    reason: np.ndarray
    done: np.ndarray

    @classmethod
    def empty(cls, n: int) -> _Verdict:
        return cls(
            supplier_class=np.full(n, "unknown", dtype=object),
            body_type=np.full(n, None, dtype=object),
            reason=np.full(n, "no rule matched", dtype=object),
            done=np.zeros(n, dtype=bool),
        )

    def assign(
        self, mask: np.ndarray, supplier_class: str, why: str | np.ndarray, ptype: str | None = None
    ) -> None:
        """Give ``supplier_class`` (and ``why``) to the suppliers in ``mask`` that no earlier
        rule took."""
        sel = mask & ~self.done
        self.supplier_class[sel] = supplier_class
        self.reason[sel] = why[sel] if isinstance(why, np.ndarray) else why
        if ptype is not None:
            self.body_type[sel] = ptype
        self.done |= sel

    def frame(self) -> pd.DataFrame:
        """The answers as the output columns, one row per distinct supplier."""
        return pd.DataFrame(
            {
                "supplier_class": pd.Series(self.supplier_class, dtype="string"),
                "public_body_type": pd.Series(self.body_type, dtype="string"),
                "class_reason": pd.Series(self.reason, dtype="string"),
            }
        )


def _redaction_rule(e: _Evidence, v: _Verdict) -> None:
    """1. A redaction marker: the council withheld a person's name, whatever else it says;
    an aggregate line ("Miscellaneous payments") names no payee either."""
    red = (e.norm == REDACTED).to_numpy() | is_redacted_name(e.published).to_numpy()
    v.assign(red, "individual_redacted", "redaction marker in name")
    v.assign(_match(e.norm, _NO_PAYEE), "individual_redacted", "no payee named (aggregate line)")


def _care_pool_rule(e: _Evidence, v: _Verdict) -> None:
    """1b. A pool of care payments to people (personal budgets, direct payments): what the
    name or the supplier id says, whatever else the name carries."""
    pool = _match(e.norm, _CARE_POOL) | _match(e.supplier_id, _CARE_POOL)
    v.assign(pool, "individual_redacted", "care payments to people (personal budgets)")


def _public_body_rule(e: _Evidence, v: _Verdict) -> None:
    """2. Public-body words, first type first; then SIC pseudo-code 1, which the
    gender-pay-gap service gives public-sector employers."""
    for ptype, pattern in _PUBLIC_PATTERNS:
        hit = _public_body_words(e, ptype, pattern)
        why = _words(e.norm, pattern, hit & ~v.done, "public body word")
        v.assign(hit, "public_body", why, ptype)
    sic_public = (e.sic.str.split(r"[;,\s]+").map(lambda xs: "1" in xs)).to_numpy(bool)
    why = "SIC pseudo-code 1 (public sector employer)"
    v.assign(sic_public, "public_body", why, "other_public")


def _public_body_words(e: _Evidence, ptype: str, pattern: str) -> np.ndarray:
    """Names matching ``ptype``'s pattern, less the look-alikes: "X COUNCIL" naming a
    voluntary body or a company, a company's "DANCE ACADEMY LTD"."""
    hit = _match(e.norm, pattern)
    if ptype == "council":
        bare = _match(e.norm, r"^(\w+ ){0,2}COUNCIL$")
        hit &= ~(bare & (_match(e.norm, _NOT_COUNCIL) | e.has_legal_form))
    if ptype == "school_academy":
        school_word = _match(e.norm, _SCHOOL_NEEDS_NO_FORM)
        hit &= ~(school_word & e.has_legal_form & ~_match(e.norm, r"TRUST|ACADEMIES"))
        hit &= ~_match(e.norm, _NOT_A_SCHOOL)
    return hit


def _vcse_rule(e: _Evidence, v: _Verdict) -> None:
    """3. Charity number, CIC/CIO form, strong VCSE words, then the weak ones (TRUST,
    FOUNDATION ... as the last word or before OF/FOR, never with PLC)."""
    v.assign(e.has_charity_number, "vcse", "charity number")
    v.assign(_match(e.upper, _VCSE_FORM_RAW), "vcse", "CIC/CIO legal form")
    not_vcse = _match(e.norm, _NOT_VCSE) | _match(e.upper, _NOT_VCSE)
    # Place words (PILKINGTON BROS (CHURCH) LTD) do not make a company a VCSE.
    place_only = _match(e.norm, r"\b(CHURCH|CHAPEL|MINSTER)\b") & e.has_legal_form
    strong = _match(e.norm, _VCSE_STRONG) & ~not_vcse & ~place_only
    v.assign(strong, "vcse", _words(e.norm, _VCSE_STRONG, strong & ~v.done, "VCSE word"))
    weak = _match(e.norm, _VCSE_WEAK) & ~not_vcse & ~_match(e.upper, _PLC_RAW)
    v.assign(weak, "vcse", "VCSE word (TRUST/FOUNDATION/ASSOCIATION/SOCIETY)")


def _company_rule(e: _Evidence, v: _Verdict) -> None:
    """4. Company number, a legal form in the published name, a mutual, or a SIC code."""
    v.assign(e.has_company_number, "company", "company number")
    v.assign(e.has_legal_form, "company", "legal form in name")
    v.assign(_match(e.norm, r"BUILDING SOCIETY|CO OPERATIVE"), "company", "mutual/co-operative")
    v.assign((e.sic != "").to_numpy(bool), "company", "SIC code")


def _person_rule(e: _Evidence, v: _Verdict) -> None:
    """5. People, conservatively: a title, an initial and surname, or a common given name
    and a surname.  "DR X T/A Y" trades as a business, so it is no person; business words
    and brands named after people (JOHN LEWIS) are excluded."""
    trades = _match(e.upper, r"\bT\s*/\s*AS?\b|TRADING AS")
    title = (_match(e.clean, _TITLES) | _match(e.norm, _TITLES)) & ~trades
    v.assign(title, "individual_redacted", "personal title in name")
    barrister = _match(e.norm, r"^(\w+ ){1,3}(KC|QC)$")
    v.assign(barrister, "individual_redacted", "a barrister (KC/QC) in practice on their own")
    biz = _match(e.norm, _BUSINESS_WORDS)
    initial = _match(e.norm, _INITIAL_SURNAME) & ~biz & ~e.norm.isin(["E ON", "B AND Q"]).to_numpy()
    parts = e.norm.str.split(" ")
    two = (parts.str.len() == 2).to_numpy()
    given = parts.str[0].isin(_GIVEN_NAMES).to_numpy()
    person = two & given & ~biz & ~e.norm.isin(_PERSON_LIKE_BRANDS).to_numpy()
    v.assign((initial | person) & e.large, "unknown",
             f"a person's name in shape, but £{LARGE_SUM:,.0f} or more paid: not taken for a "
             "person without a redaction word")
    v.assign(initial, "individual_redacted", "initial and surname")
    v.assign(person, "individual_redacted", "given name and surname")


def _to_people_rule(e: _Evidence, v: _Verdict) -> None:
    """5b. Payments a council makes to people under a service's name (foster carers,
    bursaries, rent refunds, a payroll), unless business words make it a firm."""
    people = _match_open(e.norm, _TO_PEOPLE, v) & ~_match_open(e.norm, _FIRM_WORDS, v)
    v.assign(people, "individual_redacted", "payments to people (carers, refunds, payroll)")


def _trading_name_rule(e: _Evidence, v: _Verdict) -> None:
    """6. A trading name: "trading as", business words or a web address; or a merchant paid
    only by purchase card."""
    trades = _match_open(e.upper, r"\bT\s*/\s*AS?\b|\bTRADING AS\b", v)
    v.assign(trades, "company", "trading as")
    v.assign(_match_open(e.norm, _WEB, v), "company", "web address or online marketplace")
    # the published name too: normalising drops "Company" from "Aura Project Company"
    in_norm = _match_open(e.norm, _TRADING_WORDS, v)
    in_published = _match_open(e.clean, _TRADING_WORDS, v) & ~in_norm
    why = np.where(
        in_norm,
        _words(e.norm, _TRADING_WORDS, in_norm, "trading name"),
        _words(e.clean, _TRADING_WORDS, in_published, "trading name"),
    )
    v.assign(in_norm | in_published, "company", why)
    v.assign(e.card_only, "company", "paid only by purchase card (a merchant)")
    building = _match_open(e.norm, _BUILDING_NAME, v)
    v.assign(building, "company", "a building's name (a care home or hotel)")


def _no_name_rule(e: _Evidence, v: _Verdict) -> None:
    """5c. No name and no identifier: unknown, and said so."""
    v.assign((e.norm == "").to_numpy(), "unknown", "no name")


#: The rules in order of precedence (the module docstring lists them): first to speak wins.
RULES = (
    _redaction_rule,
    _care_pool_rule,
    _public_body_rule,
    _vcse_rule,
    _company_rule,
    _person_rule,
    _to_people_rule,
    _no_name_rule,
    _trading_name_rule,
)


def _per_row(answers: pd.DataFrame, distinct: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Each distinct key's answer back onto every input row, with the input's index."""
    answers.index = pd.MultiIndex.from_frame(distinct[_KEY_COLUMNS])
    out = answers.reindex(pd.MultiIndex.from_frame(rows[_KEY_COLUMNS]))
    out.index = rows.index
    return out
