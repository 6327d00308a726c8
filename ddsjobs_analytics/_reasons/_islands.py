"""Tokenising many distinct messages fast: split each message into *islands* and tokenise each island once.

Almost every text rule matches within a run of non-space characters. The ones that reach across a space do
so next to a digit (``88.65 GB``, ``2026-11-02 10:00:00``, ``Jul 17 04:03``), a comparison (``< 1 sec``), a
separator or bracket (``<IP>, <IP>``, ``( )``) or a day name (``Sun Jul 17``); quoted text, documents and
the user's rules see the whole message first. So a message can be cut at every other space, and each piece
(an island) gives the same tokens alone as inside the message. Islands repeat across messages far more than
messages do: a message made distinct by a random name costs one new short island, not a full tokenisation.
"""

from __future__ import annotations

import re

from ._fingerprint import fingerprint
from ._rules import RuleSet, Token, mask_text, split_tokens

__all__ = ["IslandTokeniser"]

_DAYS = "".join(
    f"(?<!{day} )(?<!{day}, )" for day in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "day")
)
# A space where no rule after the whole-message ones can match across, and no token logic looks across.
# The space is matched first so that the look-behinds run at spaces only.
_SAFE_SPACE = re.compile(rf" (?<![0-9<>=,;(\[{{] ){_DAYS}(?![0-9<>=+\-,;)\]}}])")

_DIGIT = re.compile(r"\d")
_PLAIN_WORD = re.compile(r"([A-Za-z]+)([.,;:!?]?)")
_LONG_HEX = re.compile(r"[0-9a-fA-F]{16,}")


class IslandTokeniser:
    """:func:`._rules.tokenise` of cleaned messages, with each island tokenised once.

    Calling it on a message gives its tokens and its *shape* (the tokens' words, every masked value as
    ``value``), both assembled from the islands' cached parts.
    """

    def __init__(self, rules: RuleSet, value: str) -> None:
        self.rules = rules
        self.value = value
        self.head = rules.text[: rules.whole]
        self.local = rules.text[rules.whole :]
        needs = {ch for _, chars in self.head for ch in chars}
        # The whole-message rules run only on messages holding one of their characters (or always, if one
        # rule has none).
        self.any_head = bool(self.head) and any(not chars for _, chars in self.head)
        self.head_chars = re.compile("[" + re.escape("".join(sorted(needs))) + "]") if needs else None
        self.islands: dict[str, tuple[tuple[Token, ...], tuple[str, ...]]] = {}
        self.by_fingerprint: dict[str, tuple[Token, ...]] = {}

    def __call__(self, message: str) -> tuple[list[Token], tuple[str, ...]]:
        if self.any_head or (self.head_chars is not None and self.head_chars.search(message)):
            message = mask_text(message, self.head)
        islands = self.islands
        tokens: list[Token] = []
        shape: list[str] = []
        for island in _SAFE_SPACE.split(message):
            found = islands.get(island)
            if found is None:
                found = islands[island] = self._island(island)
            tokens.extend(found[0])
            shape.extend(found[1])
        return tokens, tuple(shape)

    def _island(self, island: str) -> tuple[tuple[Token, ...], tuple[str, ...]]:
        # Islands that differ only in digits and hex ids (their fingerprint) have the same tokens, except
        # for the text of masked values and of words that keep a digit ("STARTUP2"): reused only without
        # the latter.
        plain = _PLAIN_WORD.fullmatch(island)
        if plain is not None and not _LONG_HEX.fullmatch(plain.group(1)):
            # A word of ASCII letters, perhaps ending a sentence: no text rule matches it (every one needs a
            # digit or one of ' " { / : - _ @ inside, but <HEX>, which needs 16 hex letters) and no token
            # rule sees it (they need a digit). The names of random letters that make messages distinct.
            word, end = plain.groups()
            words = (Token(word, "", True), Token(end, "", False)) if end else (Token(word, "", True),)
            return words, tuple(token.text for token in words)
        key = fingerprint(island)
        tokens = self.by_fingerprint.get(key)
        if tokens is None:
            tokens = tuple(split_tokens(mask_text(island, self.local), self.rules))
            if not any(not token.mask and _DIGIT.search(token.text) for token in tokens):
                self.by_fingerprint[key] = tokens
        return tokens, tuple(self.value if token.mask else token.text for token in tokens)
