"""Supplier-name normalisation, redaction markers and near-duplicate grouping.

Spend files spell one supplier many ways ("Jewson Ltd", "JEWSON LIMITED",
"SAINT-GOBAIN BUILDING DISTRIBUTION LTD T/A JEWSON").  Exact joins to registers only
work on a normalised key, so every module builds that key here, the same way.

Rules of :func:`normalise_names` (in order):

1. Unicode NFKC (full-width and compatibility characters folded), upper case,
   non-breaking spaces to spaces, ``&`` / ``+`` → ``AND``.
2. Redaction markers ("Redacted Personal Data", "NAME WITHHELD", "Not Disclosed"…)
   become the single value ``REDACTED``.
3. Payment-method notes ("(DD)", "(Direct Debit Payments)", "- 123 Consolidated Invoice")
   and trailing vendor codes (``ACME - 12345``, ``ACME (123456)``) are dropped.
4. "Trading as" (``T/A``, ``T/AS``, ``TA``, ``TRADING AS``): when the part before it
   carries a legal form (LTD, PLC, LLP…) it is a registered company — the entity whose
   registered address the registers hold — so that part is kept.  Otherwise the part
   before is usually a person or a bare label ("JOHN SMITH T/A SMITH PLUMBING"), and the
   trading name after it is what identifies the business, so that part is kept.
   :func:`split_trading_as` returns both parts for callers that want to try each.
5. A branch or site suffix after the registered name — the words after a legal form
   inside the name ("KIDZRUS NURSERY LTD MONTON", "SMITHS EQUIPMENT HIRE LTD 2", "ACME
   LIMITED - GLEN AVENUE") or after a ``#`` ("MAKING SPACE#4") — is dropped: the registered
   name is what registers hold.  :func:`split_trading_as` returns the suffix too, as
   evidence a caller can weigh.
6. Accents stripped ("CAFÉ" → CAFE), apostrophes dropped ("WOMEN'S" → WOMENS, the way
   registers spell it), other punctuation to spaces (initials stay apart: "P.G. BELL" is
   P G BELL; the linkage model compares names without their spaces), legal forms removed
   using cleanco's term list (LTD, LIMITED, PLC, LLP, CIC, LIMITED LIABILITY PARTNERSHIP,
   COMMUNITY INTEREST COMPANY, (UK), (U.K.)…) and a legal form cut short by a finance
   system's field length ("… LIMIT"), a leading ``THE`` dropped, whitespace collapsed.  A
   name that would become empty keeps its cleaned form rather than vanishing.

All functions work on unique values and map back, so a million rows cost the time of
the (usually tens of thousands of) distinct names.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from cleanco.clean import prepare_default_terms

from impact.core.values import apply_distinct, map_distinct

REDACTED = "REDACTED"

#: A name is a redaction marker when it matches this (after upper-casing).
_REDACTED_RE = re.compile(
    r"""^\W*(
        .*\bREDACTED\b.*                                   # "DETAILS REDACTED"
      | (NAME\s+|DETAILS\s+|SUPPLIER\s+)?WITHHELD(\s+\w+)* # "NAME WITHHELD"
      | (NAME\s+|DETAILS\s+)?NOT\s+DISCLOSED.*
      | PERSONAL\s+(DATA|INFORMATION|INFO|DETAILS)\b.*
      | (COMMERCIALLY\s+)?CONFIDENTIAL(\s+\w+)?
      | PRIVATE\s+INDIVIDUAL
      | INDIVIDUAL
    )\W*$""",
    re.X,
)

# "T/A", "T/AS", "T / A", "TA", "T.A.", "TRADING AS" between two names; optional bracket.
_TA_RE = re.compile(r"\s*[(\[]?\s*\b(?:T\s*/\s*AS?|T\.\s*A\.?|TRADING\s+AS)\b[.:]?\s+")
_LEGAL_FORM_RE = re.compile(
    r"\b(LTD|LIMITED|PLC|LLP|CIC|CIO|LLC|INC|COMMUNITY\s+INTEREST\s+COMPANY|"
    r"LIMITED\s+LIABILITY\s+PARTNERSHIP|CO\s+LTD)\b"
)
# A code ending the name, masked or not: "ACME - 12345", "ACME (123456)", "ACME (****6726)".
_VENDOR_CODE_RE = re.compile(r"(\s*[-–—:]\s*\d{3,}|\s*[(\[]\s*\**\d{3,}\s*[)\]])\s*$")
# Payment-method notes finance systems add to a payee ("(DD) HMRC", "EDF - 123 CONSOLIDATED
# INVOICE", "LANCASHIRE CC (DIRECT DEBIT PAYMENTS)"): they are not part of who was paid.
_PAYMENT_NOTE_RE = re.compile(
    r"^\s*[(\[]\s*(?:DD|D/D|DIRECT\s+DEBIT|BACS|CHAPS)(?:\s+ONLY)?\s*[)\]]\s*"
    r"|\s*[(\[]\s*(?:DD|D/D|DIRECT\s+DEBITS?|BACS|CHAPS)(?:\s+(?:ONLY|PAYMENTS?))?\s*[)\]]\s*$"
    r"|\s*[-–—]?\s*(?:\d{3,}\s+)?CONSOLIDATED\s+INVOICES?\s*$"
)
# The registered name ends at a legal form followed by more words, or at a "#": what
# follows is a branch, site or account suffix ("… LTD MONTON", "… LIMITED - GLEN AVENUE").
_BRANCH_RE = re.compile(
    r"\b(?:LIMITED\s+LIABILITY\s+PARTNERSHIP|PUBLIC\s+LIMITED\s+COMPANY|"
    r"COMMUNITY\s+INTEREST\s+COMPANY|LTD|LIMITED|PLC|LLP|CIC)\b\.?(?=\s*[^\s.])|#")
_APOSTROPHE_RE = re.compile(r"['\u2019\u2018`]")
# A legal form a finance system's field length cut short ("ETB TECHNOLOGIES LIMIT").
_CUT_FORM_RE = re.compile(r"\s(?:LIMITE|LIMIT|LIMI)$")
# … and in a name as long as the fields that cut it, any start of LIMITED / LTD.
_CUT_FORM_LONG_RE = re.compile(r"\s(?:LIMITE|LIMIT|LIMI|LIM|LI|LT|L)$")
_PUNCT_RE = re.compile(r"[^\w\s]|_")
_SPACE_RE = re.compile(r"\s+")


def _legal_terms() -> list[str]:
    """cleanco's legal-form terms plus the UK forms it lacks, upper case, single-spaced."""
    terms = {" ".join(parts) for _, parts in prepare_default_terms()}
    terms |= {
        "limited liability partnership",
        "community interest company",
        "charitable incorporated organisation",
        "public limited company",
        "gb",
        "u k",  # "(U.K.)" after its dots became spaces
    }
    cleaned = {_SPACE_RE.sub(" ", _PUNCT_RE.sub(" ", t.upper())).strip() for t in terms}
    return sorted(t for t in cleaned if t)


def _legal_tail_regex() -> re.Pattern[str]:
    """cleanco's legal-form terms as one end-anchored regex.

    ``cleanco.basename`` loops over ~320 terms in Python per name (≈100 µs); the same
    terms compiled once strip 50k names in well under a second.  Unlike basename, the
    regex strips stacked forms ("CO LTD", "UK LIMITED") in one go; we add the UK forms
    cleanco lacks (LIMITED LIABILITY PARTNERSHIP, COMMUNITY INTEREST COMPANY, GB).
    """
    alts = sorted(_legal_terms(), key=lambda t: (-len(t), t))
    body = "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in alts)
    return re.compile(rf"(?:\s+(?:{body}))+$")


_LEGAL_TAIL_RE = _legal_tail_regex()
#: The last word of every legal-form term: a name ending otherwise has no legal tail, so
#: the large regex is not run on it.
_LEGAL_LAST_WORDS = frozenset(t.rsplit(" ", 1)[-1] for t in _legal_terms())


#: A legal form (LTD, LIMITED, PLC, LLP, CIC…) anywhere in a name, any case (RE2 syntax,
#: for pyarrow): evidence that a column holds organisations' names.
LEGAL_FORM_PATTERN = "(?i)" + _LEGAL_FORM_RE.pattern


def _fold(name: str) -> str:
    s = unicodedata.normalize("NFKC", name)
    if not s.isascii():  # accents off: "CAFÉ" is CAFE in a register typed without them
        s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = s.upper().replace("\u00a0", " ")
    s = s.replace("&", " AND ").replace("+", " AND ")
    return _SPACE_RE.sub(" ", s).strip()


def _is_redacted(folded: str) -> bool:
    """A redaction marker — of the registered name before a ``#`` suffix when there is one
    ("GROSVENOR GUEST HOUSE#REDACTED - PERSONAL DATA" names the guest house)."""
    head = folded.split("#", 1)[0].strip() if "#" in folded else folded
    return bool(_REDACTED_RE.match(head or folded))


def _split_ta(folded: str) -> tuple[str, str | None]:
    if "/" not in folded and "." not in folded and "TRADING" not in folded:
        return folded, None  # every form _TA_RE knows has one of these
    m = _TA_RE.search(folded)
    if not m:
        return folded, None
    if m.start() == 0:  # "T/A CUNDALL": the trading name alone, its owner not given
        return folded[m.end():].strip(" -)]") or folded, None
    legal = folded[: m.start()].strip(" -([")
    trading = folded[m.end() :].strip(" -)]")
    return legal, trading or None


def _split_branch(folded: str) -> tuple[str, str | None]:
    """``(registered name, branch suffix)``: the name up to a legal form that more words
    follow, or up to a ``#``; the suffix is None when there is none (or it is only more
    legal forms, as in "ACME LIMITED LIABILITY PARTNERSHIP")."""
    for m in _BRANCH_RE.finditer(folded):
        head = folded[: m.end()] if m.group() != "#" else folded[: m.start()]
        rest = folded[m.end():].strip(" -–—:#()[]/,.")
        if not rest or _only_legal(head.replace("#", " ")) or _only_legal(rest):
            continue  # no name before it, or only more legal words after: not a branch
        return head.strip(" -–—:#"), rest
    return folded, None


def _only_legal(text: str) -> bool:
    """True when ``text`` is nothing but legal forms (or nothing at all)."""
    return not _LEGAL_TAIL_RE.sub("", " " + _clean(text)).strip()


def _clean(s: str) -> str:
    """Apostrophes dropped, other punctuation to spaces."""
    s = _PUNCT_RE.sub(" ", _APOSTROPHE_RE.sub("", s))
    return _SPACE_RE.sub(" ", s).strip()


def _strip_forms(s: str) -> str:
    s = _clean(s)
    if not s:
        return s
    if len(s) >= 15:
        s = (_CUT_FORM_LONG_RE if len(s) >= 24 else _CUT_FORM_RE).sub("", s)
    # Legal forms sit in the last few words: search only there (the regex is large).
    words = s.rsplit(" ", 6)
    head, tail = (
        (" ".join(words[:-6]), " " + " ".join(words[-6:])) if len(words) > 6 else ("", " " + s)
    )
    if words[-1] in _LEGAL_LAST_WORDS:
        tail = _LEGAL_TAIL_RE.sub("", tail)
    cleaned = (head + tail).strip()
    cleaned = re.sub(r"^THE\s+", "", cleaned)
    return cleaned or s


def normalise_name(name: str) -> str:
    """One name, by the module rules (use :func:`normalise_names` for columns)."""
    return _normalise_folded(_fold(name))


def _normalise_folded(folded: str) -> str:
    if not folded:
        return ""
    if _is_redacted(folded):
        return REDACTED
    if "(" in folded or "[" in folded or "CONSOLIDATED" in folded:
        folded = _PAYMENT_NOTE_RE.sub("", folded).strip() or folded
    folded = _drop_vendor_code(folded)
    legal, trading = _split_ta(folded)
    folded = legal if trading is None or _LEGAL_FORM_RE.search(legal) else trading
    folded = _drop_vendor_code(_split_branch(folded)[0])
    return _strip_forms(folded)


def _drop_vendor_code(s: str) -> str:
    """``ACME - 12345`` / ``ACME (123456)`` → ``ACME`` (the code ends the name: a digit
    or a closing bracket last, or there is nothing to drop)."""
    if s and (s[-1].isdigit() or s[-1] in ")]"):
        return _VENDOR_CODE_RE.sub("", s).strip()
    return s.strip()


def normalise_names(names: pd.Series) -> pd.Series:
    """Normalised supplier names (string dtype, same index); NA and blank stay NA.

    Each distinct name once (Arrow dictionary encoding): plain names in Arrow kernels
    (:func:`_plain_names`), the rest by :func:`normalise_name`; both give the same key (a
    test holds them equal), so a 5M-row company register costs seconds, not minutes.
    """
    arr = pa.array(names.astype("string").array, pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    enc = pc.dictionary_encode(arr)
    keys = _normalise_distinct(enc.dictionary).take(enc.indices)
    out = pd.Series(pd.array(keys, dtype="string"), index=names.index, name=names.name)
    return out.mask(out == "")


def _normalise_distinct(unique: pa.Array) -> pa.Array:
    fast = _plain_names(unique)
    rest = np.flatnonzero(fast.is_null().to_numpy(zero_copy_only=False))
    if not len(rest):
        return fast
    texts = unique.take(pa.array(rest)).to_pylist()
    keys = np.array(fast.to_pylist(), dtype=object)
    keys[rest] = [normalise_name(t) for t in texts]
    return pa.array(keys, pa.string())


#: Names :func:`_plain_names` can key in Arrow: letters, digits and spaces only (so no T/A,
#: payment note, vendor code, ``&`` or punctuation to read) and none of the words that a
#: redaction marker or a payment note is made of.  Company registers are almost all such.
_PLAIN = r"^[A-Za-z0-9 ]+$"
_NOT_PLAIN = (r"REDACTED|WITHHELD|DISCLOSED|PERSONAL|CONFIDENTIAL|INDIVIDUAL|TRADING|CONSOLIDATED"
              # a legal form with words after it (a branch suffix) or cut short: the
              # one-by-one rules read these
              r"|\b(LTD|LIMITED|PLC|LLP|CIC|COMPANY|PARTNERSHIP) +[A-Z0-9]"
              r"| LIMI(T|TE)?$| (LIM|LI|LT|L)$|^ *T */ *AS? ")
#: :data:`_LEGAL_TAIL_RE` for Arrow's RE2 (same leftmost match: the end is anchored).
_LEGAL_TAIL_RE2 = _LEGAL_TAIL_RE.pattern
#: :func:`_strip_forms` looks for legal forms in the last six words only.
_TAIL_WORDS = 6


def _plain_names(names: pa.Array) -> pa.Array:
    """:func:`normalise_name` of the plain names (:data:`_PLAIN`), null for the others
    (and for the rare plain name whose legal forms run past the last six words)."""
    upper = pc.utf8_upper(names)
    plain = pc.and_(pc.match_substring_regex(names, _PLAIN),
                    pc.invert(pc.match_substring_regex(upper, _NOT_PLAIN)))
    s = pc.utf8_trim(pc.replace_substring_regex(upper, "  +", " "), " ")
    bare = pc.utf8_trim(pc.replace_substring_regex(pc.binary_join_element_wise(
        "", s, " "), _LEGAL_TAIL_RE2, ""), " ")
    removed = pc.subtract(_word_count(s), _word_count(bare))
    cleaned = pc.replace_substring_regex(bare, "^THE ", "")
    cleaned = pc.if_else(pc.equal(cleaned, ""), s, cleaned)
    exact = pc.and_(plain, pc.less_equal(removed, _TAIL_WORDS))
    return pc.if_else(exact, cleaned, pa.scalar(None, pa.string()))


def _word_count(s: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(s, ""), 0, pc.add(pc.count_substring(s, " "), 1))


def normalise_and_flag(names: pd.Series) -> tuple[pd.Series, pd.Series]:
    """:func:`normalise_names` of ``names`` (NA read as a redacted name) and
    :func:`is_redacted_name` (NA is redacted) in one pass over the distinct names."""
    filled = names.fillna(REDACTED)

    def both(unique: pd.Series) -> pd.Series:
        folded = [_fold(str(n)) for n in unique]
        keys = [f"{int(_is_redacted(f))}{_normalise_folded(f)}" for f in folded]
        return pd.Series(pd.array(keys, dtype="string"))

    keys = apply_distinct(filled, both)
    norm = keys.str.slice(1)
    return norm.mask(norm == ""), (keys.str.slice(0, 1) == "1").astype(bool)


def is_redacted_name(names: pd.Series) -> pd.Series:
    """True where a published name is a redaction marker (raw or already normalised)."""
    out = map_distinct(names, lambda n: _is_redacted(_fold(n)), "boolean")
    return out.fillna(False).astype(bool)


def split_trading_as(names: pd.Series) -> pd.DataFrame:
    """Normalised ``legal_name`` and ``trading_name`` (NA without T/A) and ``branch`` (the
    suffix after the registered name, NA without one), same index.

    Lets a caller try both halves of "X LTD T/A Y" against a register, and weigh a branch
    ("X LTD MONTON") as evidence of its own rather than part of the name.
    """

    def parts(n: str) -> tuple[str | None, str | None, str | None]:
        folded = _VENDOR_CODE_RE.sub("", _fold(n)).strip()
        legal, trading = _split_ta(folded)
        registered, branch = _split_branch(legal)
        return (_strip_forms(registered) or None if trading or branch else None,
                _strip_forms(trading) or None if trading else None,
                _strip_forms(branch) or None if branch else None)

    triples = map_distinct(names, parts, "object")
    out = {c: triples.map(lambda p, i=i: p[i] if isinstance(p, tuple) else None).astype("string")
           for i, c in enumerate(("legal_name", "trading_name", "branch"))}
    return pd.DataFrame(out, index=triples.index)


def group_near_duplicates(
    norm_names: pd.Series, threshold: float = 92, max_block: int = 2000
) -> pd.Series:
    """A group id per name: names within ``threshold`` (rapidfuzz ``token_sort_ratio``).

    Names are blocked by first token (first two tokens for blocks over ``max_block``)
    so the cost is the sum of squared block sizes, never all pairs; spelling variants
    that differ in the blocking token are therefore not grouped (a deliberate,
    conservative choice).  Groups are connected components, and
    the id is the smallest position (in order of first appearance) among the group's
    distinct names, so ids are stable for a given input.  NA names get NA.
    """
    from rapidfuzz import fuzz, process
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    s = pd.Series(norm_names, copy=False).astype("string")
    uniq = pd.unique(s.dropna())
    n = len(uniq)
    if n == 0:
        return pd.Series(pd.NA, index=s.index, dtype="Int64")
    uniq_s = pd.Series(uniq, dtype="object")
    tokens = uniq_s.str.split(" ", n=2)
    block = tokens.str[0].fillna("")
    size = block.map(block.value_counts())
    big = size > max_block  # re-block very common first words on the first two words
    block = block.where(~big, block + " " + tokens.str[1].fillna(""))
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for _, idx in block.groupby(block).indices.items():
        if len(idx) < 2:
            continue
        names = uniq_s.iloc[idx].tolist()
        sim = process.cdist(
            names,
            names,
            scorer=fuzz.token_sort_ratio,
            score_cutoff=threshold,
            dtype=np.uint8,
            workers=-1,
        )
        a, b = np.nonzero(sim)
        rows.append(idx[a])
        cols.append(idx[b])
    if rows:
        r, c = np.concatenate(rows), np.concatenate(cols)
    else:
        r = c = np.arange(0)
    graph = coo_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # Relabel each component by its smallest member position.
    first_pos = pd.Series(np.arange(n)).groupby(labels).transform("min").to_numpy()
    gid = dict(zip(uniq, first_pos, strict=True))
    return s.map(gid).astype("Int64")
