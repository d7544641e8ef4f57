"""What kind of organisation a supplier is: company, VCSE, public body, person, unknown.

Why it matters: spend with other public bodies (precepts, NHS, academies, HMRC) is large
and rarely influenceable, so coverage and LM3 figures are reported with and without it;
VCSE spend is a policy target in its own right; payments to individuals are redacted
and can never be placed.  The rules are transparent regexes over the normalised name
(see :mod:`impact.names`), with the identifiers a council publishes taking precedence.
Every row gets a ``class_reason`` saying which rule fired, so a wrong class can be
traced and fixed.

Order of precedence (first that applies wins):

1. redaction marker → ``individual_redacted``
2. public-body words → ``public_body`` (+ ``public_body_type``); SIC pseudo-code ``1``
   (used by the gender-pay-gap service for public-sector employers) likewise
3. charity number, or VCSE words (CHARITY, CIC, HOSPICE, CHURCH…; TRUST / FOUNDATION /
   ASSOCIATION / SOCIETY only as the last word or before OF/FOR, and never with PLC)
   → ``vcse``
4. company number, a legal form in the published name (LTD, PLC, LLP…) or a SIC code
   → ``company``
5. a title ("MR J SMITH") or a bare initial-and-surname / common-given-name-and-surname
   of exactly two words → ``individual_redacted`` (conservative: brands named after
   people such as JOHN LEWIS are excluded)
6. otherwise ``unknown``
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from impact.ingest.names import REDACTED, is_redacted_name

SUPPLIER_CLASSES = ("company", "vcse", "public_body", "individual_redacted", "unknown")
PUBLIC_BODY_TYPES = (
    "council",
    "nhs",
    "school_academy",
    "police_fire",
    "government",
    "combined_authority",
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
        "police_fire",
        r"\bPOLICE\b|CONSTABULARY|FIRE AND RESCUE|FIRE AUTHORITY|FIRE SERVICE|"
        r"FIRE AND CIVIL DEFENCE",
    ),
    (
        "nhs",
        r"\bNHS\b|\bCCG\b|CLINICAL COMMISSIONING|INTEGRATED CARE BOARD|\bICB\b|"
        r"(HOSPITALS?|HEALTH|HEALTHCARE|TEACHING|PARTNERSHIPS?|AMBULANCE SERVICE|"
        r"MENTAL HEALTH) (NHS )?FOUNDATION TRUST|HEALTH AUTHORITY|PUBLIC HEALTH ENGLAND|"
        r"UK HEALTH SECURITY|HEALTH EDUCATION ENGLAND",
    ),
    (
        "government",
        r"\bHMRC\b|\bHM REVENUE|\bHM (COURTS|LAND REGISTRY|TREASURY|PASSPORT|PRISON)|"
        r"\bDEPARTMENT (FOR|OF)\b|\bDWP\b|\bDVLA\b|\bMINISTRY OF\b|ENVIRONMENT AGENCY|"
        r"CABINET OFFICE|HOME OFFICE|NATIONAL HIGHWAYS|HIGHWAYS ENGLAND|HISTORIC ENGLAND|"
        r"NATURAL ENGLAND|HOMES ENGLAND|SPORT ENGLAND|ARTS COUNCIL|VALUATION OFFICE|"
        r"OFFICE FOR NATIONAL STATISTICS|COMPANIES HOUSE|LAND REGISTRY|"
        r"INFORMATION COMMISSIONER|ELECTORAL COMMISSION|CROWN COMMERCIAL SERVICE|"
        r"CROWN PROSECUTION|MAGISTRATES|COUNTY COURT|TEACHERS PENSIONS|"
        r"DISCLOSURE AND BARRING|INSOLVENCY SERVICE|\bOFSTED\b|\bOFGEM\b|\bOFWAT\b|"
        r"CHARITY COMMISSION|\bDEFRA\b|\bDCMS\b|\bDLUHC\b|\bMHCLG\b|\bDFE\b|\bDFT\b",
    ),
    (
        "council",
        r"\b(BOROUGH|CITY|COUNTY|DISTRICT|PARISH|TOWN|METROPOLITAN|PARISH AND TOWN) COUNCIL\b|"
        r"\bMBC\b|\bMDC\b|\bCOUNCIL OF THE\b|^(\w+ ){0,2}COUNCIL$|LOCAL GOVERNMENT ASSOCIATION|"
        r"\bPENSION FUND\b|JOINT COMMITTEE|WASTE DISPOSAL AUTHORITY|PORT HEALTH AUTHORITY",
    ),
    (
        "school_academy",
        r"MULTI ACADEMY TRUST|ACADEMY TRUST|ACADEMIES TRUST|LEARNING TRUST|EDUCATION TRUST|"
        r"SCHOOLS? TRUST|\bMAT\b|\bACADEMY$|\bSCHOOL$|PRIMARY SCHOOL|HIGH SCHOOL|"
        r"INFANT SCHOOL|JUNIOR SCHOOL|NURSERY SCHOOL|GRAMMAR SCHOOL|\bCOLLEGE$|"
        r"SIXTH FORM|\bPRIMARY$|\bJ AND I\b|^UNIVERSITY OF\b|\bUNIVERSITY$|"
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

_VCSE_STRONG = (
    r"\bCHARITY\b|\bCHARITABLE\b|COMMUNITY INTEREST|\bVOLUNTARY\b|\bHOSPICE\b|\bCHURCH\b|"
    r"\bDIOCESE\b|\bDIOCESAN\b|\bMOSQUE\b|\bGURDWARA\b|\bSYNAGOGUE\b|\bCHAPEL\b|"
    r"HOUSING ASSOCIATION|CITIZENS ADVICE|\bYMCA\b|\bYWCA\b|\bBARNARDOS?\b|"
    r"SALVATION ARMY|WOMENS AID|\bAGE UK\b|\bSCOUTS?\b|\bGIRLGUIDING\b|\bGUIDES\b|"
    r"COMMUNITY (CENTRE|GROUP|ASSOCIATION|PROJECT|TRUST|FOUNDATION|PARTNERSHIP)|"
    r"\bFRIENDS OF\b|\bMUTUAL AID\b|\bFOOD ?BANK\b|\bCREDIT UNION\b|\bTRUSTEES\b|"
    r"\b(CRICKET|BOWLING|LUNCHEON|YOUTH|BOXING|RUGBY LEAGUE|AMATEUR) CLUB\b|\bJFC\b|"
    r"\bPRE ?SCHOOL\b|\bPLAYGROUP\b|CHILDRENS? CENTRE|CHILDREN S CENTRE|\bADVOCACY\b|"
    r"\bMENCAP\b|\bHEALTHWATCH\b|\bMINSTER\b|\bACTION GROUP\b|\bFESTIVAL\b"
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
    "MOHAMMED MOHAMMAD MUHAMMAD AHMED ALI IMRAN TARIQ ASIF SHAHID NADEEM"
)
_GIVEN_NAMES = frozenset(_GIVEN_NAMES_TEXT.split())
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


def _nc(pattern: str) -> str:
    """Make every group non-capturing (``str.contains`` warns about capturing groups)."""
    return re.sub(r"\((?!\?)", "(?:", pattern)


def _match(s: pd.Series, pattern: str) -> np.ndarray:
    return s.str.contains(_nc(pattern), regex=True, na=False).to_numpy(dtype=bool)


def _present(values: object, index: pd.Index) -> np.ndarray:
    """True where an identifier column is given and non-blank."""
    if values is None:
        return np.zeros(len(index), dtype=bool)
    s = pd.Series(values, index=index).astype("string").str.strip()
    return (
        s.notna() & (s != "") & ~s.str.fullmatch(r"(?i)(0+|N/?A|NONE|NULL|-)", na=False)
    ).to_numpy(dtype=bool)


def classify_suppliers(
    names_norm: pd.Series,
    raw_names: pd.Series | None = None,
    company_number: pd.Series | None = None,
    charity_number: pd.Series | None = None,
    sic: pd.Series | None = None,
) -> pd.DataFrame:
    """Classify suppliers; one row per input row, same index.

    Returns columns ``supplier_class`` (one of :data:`SUPPLIER_CLASSES`),
    ``public_body_type`` (one of :data:`PUBLIC_BODY_TYPES` or NA) and ``class_reason``.
    ``raw_names`` (as published) lets legal forms such as LTD/CIC count, which the
    normalised name no longer carries; without it they are simply not used.
    """
    index = names_norm.index
    norm = names_norm.astype("string")
    raw = raw_names.astype("string") if raw_names is not None else norm
    # Work on unique (norm, raw) pairs, then map back.
    key = pd.DataFrame({"n": norm.fillna(""), "r": raw.fillna("")}, index=index)
    has_co = _present(company_number, index)
    has_ch = _present(charity_number, index)
    sic_s = (
        pd.Series(sic, index=index).astype("string").str.strip()
        if sic is not None
        else pd.Series(pd.NA, index=index, dtype="string")
    )
    key["co"], key["ch"], key["sic"] = has_co, has_ch, sic_s.fillna("")
    uniq = key.drop_duplicates().reset_index(drop=True)
    n, r = uniq["n"], uniq["r"].str.upper()
    # Normalise the raw form a little for regexes that need punctuation gone.
    r_clean = r.str.replace("&", " AND ", regex=False).str.replace(r"[^\w\s.()]", " ", regex=True)
    r_clean = r_clean.str.replace(r"\s+", " ", regex=True).str.strip()

    m = len(uniq)
    cls = np.full(m, "unknown", dtype=object)
    ptype = np.full(m, None, dtype=object)
    reason = np.full(m, "no rule matched", dtype=object)
    done = np.zeros(m, dtype=bool)

    def assign(mask: np.ndarray, c: str, why: str | np.ndarray, pt: str | None = None) -> None:
        nonlocal done
        sel = mask & ~done
        cls[sel] = c
        reason[sel] = why[sel] if isinstance(why, np.ndarray) else why
        if pt is not None:
            ptype[sel] = pt
        done |= sel

    # 1. redaction
    red = (n == REDACTED).to_numpy() | is_redacted_name(uniq["r"]).to_numpy()
    assign(red, "individual_redacted", "redaction marker in name")

    # 2. public bodies
    has_form = _match(r, _LEGAL_FORM_RAW)
    not_council = _match(n, _NOT_COUNCIL)
    for pt, pattern in _PUBLIC_PATTERNS:
        hit = _match(n, pattern)
        if pt == "council":
            # "X COUNCIL" alone is a council unless it names a voluntary body
            bare = _match(n, r"^(\w+ ){0,2}COUNCIL$")
            hit &= ~(bare & (not_council | has_form))
        if pt == "school_academy":
            hit &= ~(_match(n, _SCHOOL_NEEDS_NO_FORM) & has_form & ~_match(n, r"TRUST|ACADEMIES"))
        words = n.str.extract(f"({_nc(pattern)})", expand=False) if hit.any() else None
        why = (
            ("public body word: " + words.fillna("")).to_numpy(dtype=object)
            if words is not None
            else "public body word"
        )
        assign(hit, "public_body", why, pt)
    sic_public = (uniq["sic"].str.split(r"[;,\s]+").map(lambda xs: "1" in xs)).to_numpy(bool)
    assign(sic_public, "public_body", "SIC pseudo-code 1 (public sector employer)", "other_public")

    # 3. VCSE
    assign(uniq["ch"].to_numpy(bool), "vcse", "charity number")
    assign(_match(r, _VCSE_FORM_RAW), "vcse", "CIC/CIO legal form")
    not_vcse = _match(n, _NOT_VCSE) | _match(r, _NOT_VCSE)
    # Place words (PILKINGTON BROS (CHURCH) LTD) do not make a company a VCSE.
    place_only = _match(n, r"\b(CHURCH|CHAPEL|MINSTER)\b") & has_form
    strong = _match(n, _VCSE_STRONG) & ~not_vcse & ~place_only
    if strong.any():
        w = n.str.extract(f"({_nc(_VCSE_STRONG)})", expand=False)
        assign(strong, "vcse", ("VCSE word: " + w.fillna("")).to_numpy(dtype=object))
    weak = _match(n, _VCSE_WEAK) & ~not_vcse & ~_match(r, _PLC_RAW)
    assign(weak, "vcse", "VCSE word (TRUST/FOUNDATION/ASSOCIATION/SOCIETY)")

    # 4. companies
    assign(uniq["co"].to_numpy(bool), "company", "company number")
    assign(has_form, "company", "legal form in name")
    assign(_match(n, r"BUILDING SOCIETY|CO OPERATIVE"), "company", "mutual/co-operative")
    assign((uniq["sic"] != "").to_numpy(bool), "company", "SIC code")

    # 5. people (conservative); "DR X T/A Y" trades as a business, so no person rule
    trades = _match(r, r"\bT\s*/\s*AS?\b|TRADING AS")
    title = (_match(r_clean, _TITLES) | _match(n, _TITLES)) & ~trades
    assign(title, "individual_redacted", "personal title in name")
    biz = _match(n, _BUSINESS_WORDS)
    initial = _match(n, _INITIAL_SURNAME) & ~biz & ~n.isin(["E ON", "B AND Q"]).to_numpy()
    assign(initial, "individual_redacted", "initial and surname")
    parts = n.str.split(" ")
    two = (parts.str.len() == 2).to_numpy()
    given = parts.str[0].isin(_GIVEN_NAMES).to_numpy()
    person = two & given & ~biz & ~n.isin(_PERSON_LIKE_BRANDS).to_numpy()
    assign(person, "individual_redacted", "given name and surname")
    assign((n == "").to_numpy(), "unknown", "no name")

    res = pd.DataFrame(
        {
            "supplier_class": pd.Series(cls, dtype="string"),
            "public_body_type": pd.Series(ptype, dtype="string"),
            "class_reason": pd.Series(reason, dtype="string"),
        }
    )
    res.index = pd.MultiIndex.from_frame(uniq[["n", "r", "co", "ch", "sic"]])
    out = res.reindex(pd.MultiIndex.from_frame(key[["n", "r", "co", "ch", "sic"]]))
    out.index = index
    return out
