"""What column headers say: header text → canonical tokens → how well it names each role.

Councils name the same column dozens of ways (``Supplier Name``, ``SUPPLIERNAME``,
``* SUPPLIER FINAL``, ``BeneficiaryName``, ``Vendor``, ``Payee``, ``Name:``).  Rather than a
list of headers seen before, a header is reduced to canonical *tokens* — decorations
dropped (``*``, ``(£)``, ``(T)``), camelCase and glued words split (``TransNo`` → ``trans
no``), spelling variants and abbreviations folded (``nett`` → ``net``, ``amt`` →
``amount``, ``pymt`` → ``payment``, vendor/payee/beneficiary/creditor → ``supplier``) —
and compared with the phrases each role is known by.  The phrases come from the Local
Government Transparency Code 2015 and the published guidance on its spend data
(``Beneficiary``, ``Merchant category``, ``Irrecoverable VAT``, ``Expense area``,
``Service area categorisation``, ``Purpose of expenditure``, ``CIPFA expenditure code``…)
and from generic finance vocabulary; no council's own header is listed.

The similarity is a weighted Dice coefficient over tokens (order-free), each token pair
compared with :mod:`rapidfuzz` so a typo (``catergory``, ``organisatonal``,
``benificiary``) still counts.  A header naming a role exactly scores 1; one with extra
words less (``Clearing Date`` is 0.67 a date by its header — its values decide).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from rapidfuzz import fuzz, process

#: Roles a column can play.  The canonical transaction fields, plus the three ways an
#: amount is published (net of VAT, unlabelled, gross) and the VAT itself, plus
#: *absorbing* roles: columns that are recognised as something we do not keep (the
#: publishing body, a supplier type, an invoice line number, a web link), so they are
#: not mistaken for a field we do keep.
PHRASES: dict[str, tuple[tuple[str, float], ...]] = {
    "date": (
        ("payment date", 1.0), ("transaction date", 1.0), ("invoice payment date", 1.0),
        ("date", 0.95), ("posting date", 0.95), ("posted date", 0.9), ("cheque date", 0.9),
        ("effective date", 0.85), ("invoice date", 0.85), ("document date", 0.85),
        ("date incurred", 0.95), ("date expenditure incurred", 0.95),
    ),
    "period": (
        ("period", 1.0), ("accounting period", 1.0), ("payment period", 1.0),
        ("financial period", 1.0), ("month", 0.9), ("payment month", 0.95),
        ("period number", 0.9), ("year month", 0.9),
    ),
    "amount_net": (
        ("net amount", 1.0), ("net", 1.0), ("net value", 1.0), ("net total", 1.0),
        ("amount excl vat", 1.0), ("value excl vat", 1.0), ("total excl vat", 1.0),
        ("excl vat", 0.95), ("net amount excl vat", 1.0), ("line net amount", 1.0),
        ("net payment", 0.95),
    ),
    "amount": (
        ("amount", 1.0), ("value", 0.95), ("total", 0.9), ("sum", 0.85),
        ("amount payment", 1.0), ("payment amount", 1.0), ("transaction amount", 1.0),
        ("transaction value", 1.0), ("invoice amount", 0.95), ("line amount", 0.95),
        ("line value", 0.95), ("payment value", 1.0), ("total amount", 1.0),
        ("expense", 0.8), ("spend", 0.85), ("cost", 0.8), ("payment", 0.7),
    ),
    "amount_gross": (
        ("gross", 1.0), ("gross amount", 1.0), ("gross value", 1.0), ("gross total", 1.0),
        ("amount incl vat", 1.0), ("total incl vat", 1.0), ("value incl vat", 1.0),
        ("incl vat", 0.95),
    ),
    "vat_amount": (
        ("vat", 1.0), ("vat amount", 1.0), ("vat value", 1.0), ("vat total", 1.0),
        ("recoverable vat", 1.0), ("tax", 0.85), ("tax amount", 0.9),
    ),
    "irrecoverable_vat": (
        ("irrecoverable vat", 1.0), ("irrecoverable vat amount", 1.0),
        ("vat irrecoverable", 1.0), ("vat cannot be recovered", 1.0),
        ("vat that cannot be recovered", 1.0),
    ),
    "supplier_name": (
        ("supplier name", 1.0), ("supplier", 0.95), ("name", 0.8), ("merchant name", 1.0),
        ("merchant", 0.9), ("company name", 0.85), ("trading name", 0.9),
        ("payment to", 0.9), ("supplier description", 0.85), ("supplier full name", 1.0),
    ),
    "supplier_id": (
        ("supplier id", 1.0), ("supplier number", 1.0), ("supplier reference", 1.0),
        ("supplier code", 1.0), ("supplier other id", 1.0), ("supplier account", 0.9),
        ("supplier account number", 0.95),
    ),
    "company_number": (
        ("company number", 1.0), ("registered company number", 1.0),
        ("supplier registered company number", 1.0), ("company registered number", 1.0),
        ("companies house number", 1.0), ("company id", 0.9),
    ),
    "charity_number": (
        ("charity number", 1.0), ("registered charity number", 1.0),
        ("supplier registered charity number", 1.0), ("charity registered number", 1.0),
        ("charity id", 0.9),
    ),
    "vat_number": (
        ("vat registered number", 1.0), ("vat number", 1.0), ("vat registered", 0.95),
        ("supplier vat number", 1.0), ("vat id", 0.9),
    ),
    "directorate": (
        ("directorate", 1.0), ("department", 1.0), ("local authority department", 1.0),
        ("service directorate", 1.0), ("portfolio", 0.9), ("division", 0.85),
        ("organisational unit", 0.9), ("department area", 0.95), ("business unit", 0.85),
        ("responsible unit", 0.8), ("group", 0.7),
    ),
    "service_area": (
        ("service area", 1.0), ("service", 0.9), ("service division", 0.95),
        ("service label", 0.95), ("service division label", 0.95),
        ("service area categorisation", 1.0), ("service division categorisation", 0.95),
        ("cost centre", 0.9), ("cost centre name", 0.9), ("service cost centre", 0.95),
        ("expense area", 0.95), ("sercop", 0.85), ("bvacop", 0.85), ("profit centre", 0.8),
        ("sercop code", 0.9), ("sercop service", 0.95), ("service code", 0.85),
        ("service category", 0.95), ("service category label", 1.0),
        ("section", 0.75),
    ),
    "expense_type": (
        ("expense type", 1.0), ("expense category", 1.0), ("expense code", 0.8),
        ("detailed expense type", 1.0), ("detailed expense code", 0.85),
        ("merchant category", 1.0), ("procurement category", 1.0),
        ("procurement classification", 0.95), ("category", 0.85), ("subjective", 0.9),
        ("cipfa subjective", 0.95), ("cipfa expense code", 0.9), ("account detail", 0.8),
        ("account description", 0.85), ("expense description", 0.9),
        ("group description", 0.7), ("proclass", 0.85), ("proclass label", 1.0),
        ("purchase category", 0.95),
        ("category name", 0.9), ("procurement category name", 1.0), ("expense", 0.75),
    ),
    "description": (
        ("description", 1.0), ("purpose", 0.95), ("purpose spend", 1.0),
        ("purpose expense", 1.0), ("narrative", 0.95), ("details", 0.9),
        ("extended description", 1.0), ("transaction description", 1.0),
        ("line description", 1.0), ("invoice description", 1.0), ("item description", 1.0),
        ("summary purpose expense", 1.0), ("comments", 0.75),
    ),
    "transaction_id": (
        ("transaction number", 1.0), ("transaction id", 1.0), ("transaction reference", 1.0),
        ("invoice number", 0.85), ("invoice reference", 0.85), ("document number", 0.85),
        ("payment reference", 0.85), ("payment number", 0.85), ("reference number", 0.85),
        ("internal reference", 0.8), ("internal reference number", 0.8),
        ("reference", 0.8), ("voucher number", 0.85), ("transaction", 0.7),
    ),
    "is_card": (
        ("pcard", 1.0), ("pcard transaction", 1.0), ("procurement card", 1.0),
        ("purchase card", 1.0), ("card transaction", 1.0), ("card", 0.85),
        ("card payment", 0.95),
    ),
    "cap_rev": (
        ("capital revenue", 1.0), ("capital or revenue", 1.0), ("type expense", 0.8),
        ("type", 0.6), ("expense class", 0.7),
    ),
    # absorbing roles (not kept)
    "body": (
        ("body", 1.0), ("body name", 1.0), ("name body", 1.0), ("organisation", 0.95),
        ("organisation name", 1.0), ("organisation label", 1.0), ("organisation code", 1.0),
        ("publisher", 1.0), ("publisher label", 1.0), ("council", 0.9), ("authority", 0.9),
        ("local authority", 0.95), ("department family", 1.0), ("entity", 0.9),
    ),
    "supplier_type": (
        ("supplier type", 1.0), ("supplier group", 1.0), ("supplier category", 0.9),
        ("supplier class", 0.9), ("vcse supplier", 0.8),
    ),
    "line_number": (
        ("line", 1.0), ("line number", 1.0), ("sequence number", 1.0), ("item number", 0.9),
        ("line id", 0.9),
    ),
    "link": (("uri", 1.0), ("url", 1.0), ("link", 0.9), ("web address", 0.9)),
}

#: Roles that are not kept: recognising them keeps their columns from other roles.
ABSORBING = frozenset({"body", "supplier_type", "line_number", "link", "vat_amount"})
#: The roles that can supply the transaction's amount, in the order they win (the Code
#: asks for amounts excluding VAT: net first, an unlabelled amount next, gross last).
AMOUNT_ROLES = ("amount_net", "amount", "amount_gross")

#: Spelling variants, abbreviations and synonyms → the canonical token (generic words).
CANON: dict[str, str] = {
    **dict.fromkeys(("nett",), "net"),
    **dict.fromkeys(("amt", "amnt", "amout", "amounts"), "amount"),
    **dict.fromkeys(("val", "values"), "value"),
    **dict.fromkeys(("tot", "ttl", "totals"), "total"),
    **dict.fromkeys(("trans", "tran", "txn", "trn", "transactions"), "transaction"),
    **dict.fromkeys(("pymt", "pmt", "paymt", "pay", "paid", "payments", "pmnt"), "payment"),
    **dict.fromkeys(("no", "num", "nbr", "nr", "numbers", "nos"), "number"),
    **dict.fromkeys(("ref", "refs", "references"), "reference"),
    **dict.fromkeys(("identifier", "ident"), "id"),
    **dict.fromkeys(("desc", "descr", "descrip", "descriptions"), "description"),
    **dict.fromkeys(("dept", "depts", "departments"), "department"),
    **dict.fromkeys(("dir", "directorates"), "directorate"),
    **dict.fromkeys(("exp", "expend", "expenditure", "expenses", "expences"), "expense"),
    **dict.fromkeys(("cat", "catergory", "categ", "categories", "categorisation"), "category"),
    **dict.fromkeys(("org", "organization", "organisaton", "organisations"), "organisation"),
    **dict.fromkeys(("organizational", "organisatonal"), "organisational"),
    **dict.fromkeys(
        ("vendor", "payee", "beneficiary", "benificiary", "beneficiaries", "creditor",
         "recipient", "contractor", "provider", "suppliers", "supp", "supplie"),
        "supplier",
    ),
    **dict.fromkeys(("co", "companies", "coy"), "company"),
    **dict.fromkeys(("reg", "registered", "registration", "regd", "regn"), "registered"),
    **dict.fromkeys(("charities", "chy"), "charity"),
    **dict.fromkeys(
        ("excluding", "exclusive", "excludes", "exc", "ex", "less", "without", "exclude"),
        "excl",
    ),
    **dict.fromkeys(("including", "inclusive", "includes", "inc", "with", "include"), "incl"),
    **dict.fromkeys(
        ("irrecov", "nonrecoverable", "unrecoverable", "nonreclaimable", "irrecoverable"),
        "irrecoverable",
    ),
    **dict.fromkeys(("cap", "capex"), "capital"),
    **dict.fromkeys(("rev", "revex"), "revenue"),
    **dict.fromkeys(("dt", "dte", "dated"), "date"),
    **dict.fromkeys(("gpc", "pcard", "procard"), "pcard"),
    **dict.fromkeys(("svc", "serv", "services"), "service"),
    **dict.fromkeys(("center", "ctr", "centres"), "centre"),
    **dict.fromkeys(("grp", "groups"), "group"),
    **dict.fromkeys(("seq", "sequence"), "sequence"),
    **dict.fromkeys(("cipf", "cipfa"), "cipfa"),
    **dict.fromkeys(("subj", "subjective"), "subjective"),
    **dict.fromkeys(("mth", "mon", "months"), "month"),
    **dict.fromkeys(("per", "prd", "periods"), "period"),
    **dict.fromkeys(("yr",), "year"),
    **dict.fromkeys(("acc", "acct", "accnt", "account"), "account"),
    **dict.fromkeys(("info", "detail"), "details"),
    **dict.fromkeys(("crn",), "company number"),
    **dict.fromkeys(("uri", "url", "urls"), "uri"),
    **dict.fromkeys(("purchases", "purchasing"), "purchase"),
    **dict.fromkeys(("proc", "procure"), "procurement"),
}
#: Connecting words and generic qualifiers carry no meaning for matching ("Purpose of
#: Spend" = "purpose spend"; "* SUPPLIER FINAL" = "supplier").
CONNECTORS = frozenset({"of", "the", "for", "and", "or", "by", "in", "a", "an", "s", "on", "at",
                        "final", "draft", "revised", "actual", "original", "latest", "copy"})
#: Word pairs that are one idea.
BIGRAMS: dict[tuple[str, str], str] = {
    ("p", "card"): "pcard",
    ("non", "recoverable"): "irrecoverable",
    ("not", "recoverable"): "irrecoverable",
    ("un", "recoverable"): "irrecoverable",
    ("e", "mail"): "email",
}

#: Qualifiers that say *which* unit or item a column names, not another field: "Department
#: / Service where expenditure incurred" is the department (the Code's own wording), not
#: a date "incurred".  Dropped before the header is read.
QUALIFIERS = re.compile(
    r"\bwhere\s+(?:the\s+)?(?:expenditure|expense|spend|spending|money|cost|costs|payment)"
    r"\s+(?:was\s+|is\s+|were\s+)?(?:incurred|occurred|occured|incured|spent|made)\b",
    re.I,
)

_PHRASE_TOKENS: dict[str, tuple[tuple[tuple[str, ...], float], ...]] = {}
_DECORATION = re.compile(r"\([^()]{0,3}\)|[£$€*#†‡§|]+|\bgbp\b", re.I)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORDS = re.compile(r"[a-z0-9]+")
_RAW_WORDS = re.compile(r"[A-Za-z0-9]+")


def _canonical(tokens: list[str]) -> list[str]:
    """Fold spellings and abbreviations, join two-word ideas, drop connectors and repeats."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        pair = tuple(tokens[i : i + 2])
        if len(pair) == 2 and pair in BIGRAMS:
            out.append(BIGRAMS[pair])  # type: ignore[index]
            i += 2
            continue
        out += CANON.get(tokens[i], tokens[i]).split()
        i += 1
    seen: set[str] = set()
    return [t for t in out if t not in CONNECTORS and not (t in seen or seen.add(t))]


@functools.lru_cache(maxsize=65536)
def header_tokens(header: str) -> tuple[str, ...]:
    """``"* Invoice Nett Amount (£)"`` → ``("invoice", "net", "amount")``."""
    text = unicodedata.normalize("NFKC", str(header))[:120]
    text = QUALIFIERS.sub(" ", _DECORATION.sub(" ", text))
    text = _RAW_WORDS.sub(_uncamel, text).lower()
    words = _WORDS.findall(text)
    split: list[str] = []
    for w in words:
        split += _segment(w)
    return tuple(_canonical(split))


def _uncamel(word: re.Match[str]) -> str:
    """camelCase split (``SupplierName`` → ``Supplier Name``), except a mixed-case word
    the vocabulary knows whole (``SeRCOP``, ``ProClass``)."""
    text = word.group(0)
    return text if text.lower() in KNOWN else _CAMEL.sub(" ", text)


def _known() -> frozenset[str]:
    vocab = {t for phrases in PHRASES.values() for p, _ in phrases for t in p.split()}
    return frozenset(vocab | set(CANON) | CONNECTORS | {"id", "name", "vat"})


KNOWN = _known()
#: Two-letter words a glued header may contain (``transno``, ``caporrev``, ``vatregno``).
_SHORT_PIECES = frozenset({"no", "id", "or", "of", "co", "ex", "dt", "to"})
VOCAB = tuple(sorted({t for ph in PHRASES.values() for p, _ in ph for t in p.split()}))


@functools.lru_cache(maxsize=8192)
def _segment(word: str) -> list[str]:
    """A glued word split into known words (``suppliername`` → ``supplier name``,
    ``caporrev`` → ``cap or rev``); the word itself when it is known or will not split."""
    if word in KNOWN or len(word) < 5 or word.isdigit():
        return [word]
    n = len(word)
    # best[i] = (unknown characters, pieces, split) for word[:i]
    best: list[tuple[int, int, list[str]] | None] = [None] * (n + 1)
    best[0] = (0, 0, [])
    for i in range(n):
        if best[i] is None:
            continue
        unknown, pieces, parts = best[i]  # type: ignore[misc]
        for j in range(i + 1, n + 1):
            piece = word[i:j]
            known = piece in KNOWN and (len(piece) >= 3 or piece in _SHORT_PIECES)
            cand = (unknown + (0 if known else j - i), pieces + 1, [*parts, piece])
            if best[j] is None or cand[:2] < best[j][:2]:  # type: ignore[index]
                best[j] = cand
    unknown, _, parts = best[n]  # type: ignore[misc]
    if len(parts) < 2 or unknown:
        return [word]
    return parts


def token_matches(token: str) -> tuple[tuple[str, float], ...]:
    """Vocabulary tokens ``token`` may stand for, with a similarity in (0, 1]
    (:func:`similar_tokens` over the spend vocabulary)."""
    return similar_tokens(token, VOCAB)


@functools.lru_cache(maxsize=32768)
def similar_tokens(token: str, vocab: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """Tokens of ``vocab`` that ``token`` may stand for, with a similarity in (0, 1].

    Exact: 1.  A typo (rapidfuzz ratio ≥ 85): the ratio.  An abbreviation (``trans`` of
    ``transaction``, at least 3 letters): 0.9.  A longer word starting with a vocabulary
    word (``bvacopse``): 0.8.
    """
    out: dict[str, float] = {}
    if token in vocab:
        out[token] = 1.0
    if len(token) >= 3 and not token.isdigit():
        for word, score, _ in process.extract(
            token, vocab, scorer=fuzz.ratio, score_cutoff=85, limit=5
        ):
            out[word] = max(out.get(word, 0.0), score / 100)
        for word in vocab:
            if word.startswith(token) and word != token:
                out[word] = max(out.get(word, 0.0), 0.9)
            elif len(word) >= 4 and token.startswith(word) and word != token:
                out[word] = max(out.get(word, 0.0), 0.8)
    return tuple(sorted(out.items()))


def _phrase_tokens(role: str) -> tuple[tuple[tuple[str, ...], float], ...]:
    if role not in _PHRASE_TOKENS:
        _PHRASE_TOKENS[role] = tuple(
            (tuple(_canonical(p.split())), w) for p, w in PHRASES[role]
        )
    return _PHRASE_TOKENS[role]


@functools.lru_cache(maxsize=65536)
def header_scores(header: str) -> dict[str, tuple[float, str]]:
    """How well ``header`` names each role: role → (score 0..1, the phrase matched).

    Roles scoring under 0.3 are left out.
    """
    return _role_scores(header_tokens(header), {r: _phrase_tokens(r) for r in PHRASES}, VOCAB)


def _role_scores(
    tokens: tuple[str, ...],
    table: dict[str, tuple[tuple[tuple[str, ...], float], ...]],
    vocab: tuple[str, ...],
) -> dict[str, tuple[float, str]]:
    """Each role's best weighted Dice score of ``tokens`` against its phrases (≥ 0.3)."""
    if not tokens:
        return {}
    sims = [dict(similar_tokens(t, vocab)) for t in tokens]
    out: dict[str, tuple[float, str]] = {}
    for role, phrases in table.items():
        best, phrase = 0.0, ""
        for ptoks, weight in phrases:
            matched = sum(max((s.get(p, 0.0) for s in sims), default=0.0) for p in ptoks)
            score = weight * 2 * matched / (len(tokens) + len(ptoks))
            if score > best:
                best, phrase = score, " ".join(ptoks)
        if best >= 0.3:
            out[role] = (round(best, 3), phrase)
    return out


class Vocabulary:
    """The same reading of headers for another kind of table (a premises list, a vendor
    master): its own roles and phrases, the spend vocabulary's tokens, spellings and
    scorer, so "Occupier", "Liable Party" or "Account Name" read the way "Supplier Name"
    does."""

    def __init__(self, phrases: dict[str, tuple[tuple[str, float], ...]]) -> None:
        self.phrases = phrases
        self._table = {r: tuple((tuple(_canonical(p.split())), w) for p, w in ph)
                       for r, ph in phrases.items()}
        self._vocab = tuple(sorted({t for ph in self._table.values() for p, _ in ph
                                    for t in p}))

    @functools.lru_cache(maxsize=4096)  # noqa: B019 (a few vocabularies live for the process)
    def scores(self, header: str) -> dict[str, tuple[float, str]]:
        """Role → (score 0..1, phrase matched) for ``header``, as :func:`header_scores`."""
        return _role_scores(header_tokens(header), self._table, self._vocab)


def best_role(header: str) -> tuple[str, float] | None:
    """The role ``header`` names best and its score, or None."""
    scores = header_scores(header)
    if not scores:
        return None
    role = max(scores, key=lambda r: scores[r][0])
    return role, scores[role][0]
