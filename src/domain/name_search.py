"""Name prefix search over encrypted records: the normalisation and the prefix-token rule.

Patients' names are sealed at rest, so a database cannot compare them. Instead every record
stores keyed blind-index digests (HMAC) of the *prefixes* of its name's words, of lengths
``MIN_PREFIX`` to ``MAX_PREFIX``, in a clinic-scoped token table. A query is normalised the same
way; the digest of its first usable word (cut to at most ``MAX_PREFIX`` characters) finds a
bounded set of candidates, which are then decrypted and filtered exactly (``matches``).

What this leaks to someone holding the database but not the keys: within one clinic, which
records share a word prefix (equal digests), and how many tokens a record has (roughly how
long its name's words are). It does not leak the letters themselves, and digests differ between
purposes and deployments (keyed). Decrypting the whole table per search would leak nothing to
the database, but it costs O(patients) decryptions per keystroke, does not paginate, and puts
every patient's PHI in the process's memory for a search that returns ten; tokens keep a search
at a few indexed lookups and a handful of decryptions.
"""

from __future__ import annotations

import unicodedata

MIN_PREFIX = 3
MAX_PREFIX = 8
# Joined, not split on: "O'Brien" is searched as "obrien".
_JOINERS = frozenset("'\u2019`\u00b4")


def normalise_name(text: str) -> str:
    """Case-folded, accents stripped, punctuation as spaces (apostrophes dropped), whitespace
    collapsed: "  José  O'Brien-Núñez " -> "jose obrien nunez"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) or char in _JOINERS:
            continue
        kept.append(char if char.isalnum() else " ")
    return " ".join("".join(kept).split())


def name_tokens(name: str) -> frozenset[str]:
    """The prefixes to index for ``name``: for each word, its first 3 to 8 characters (words
    shorter than 3 characters give none)."""
    tokens: set[str] = set()
    for word in normalise_name(name).split():
        for size in range(MIN_PREFIX, min(len(word), MAX_PREFIX) + 1):
            tokens.add(word[:size])
    return frozenset(tokens)


def query_token(query: str) -> str | None:
    """The token to look up for a search: the query's first word of at least 3 characters, cut
    to 8; None when no word is long enough (the query cannot be answered by the index)."""
    for word in normalise_name(query).split():
        if len(word) >= MIN_PREFIX:
            return word[:MAX_PREFIX]
    return None


def matches(name: str, query: str) -> bool:
    """Whether ``name`` matches the search ``query`` exactly: from the start of one of its
    words, the normalised name begins with the normalised query (every query word but the last
    is a whole word of the name, the last is a prefix)."""
    wanted = normalise_name(query)
    return bool(wanted) and f" {wanted}" in f" {normalise_name(name)}"
