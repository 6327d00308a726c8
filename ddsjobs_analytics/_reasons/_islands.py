"""Tokenising many distinct messages fast: split each message into *islands* and tokenise each island once.

Almost every text rule matches within a run of non-space characters. The ones that reach across a space do
so next to a digit (``88.65 GB``, ``2026-11-02 10:00:00``, ``Jul 17 04:03``), a comparison (``< 1 sec``), a
separator or bracket (``<IP>, <IP>``, ``( )``) or a day name (``Sun Jul 17``); quoted text, documents and
the user's rules see the whole message first. So a message can be cut at every other space, and each piece
(an island) gives the same tokens alone as inside the message. Islands repeat across messages far more than
messages do: a message made distinct by a random name costs one new short island, not a full tokenisation.
Further, messages whose fingerprints agree except in *free words* (islands of plain letters) share one
sentence: its shape, with each message's own words in the free words' places.
"""

from __future__ import annotations

import re

from ._fingerprint import fingerprint
from ._rules import RuleSet, Token, mask_text, split_tokens

__all__ = ["IslandTokeniser"]

_DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|day)"  # the end of a day name (Sunday, Sun)
_DAYS = f"(?<!{_DAY} )(?<!{_DAY}, )"
# A space where no rule after the whole-message ones can match across, and no token logic looks across.
# The space is matched first so that the look-behinds run at spaces only.
_SAFE_SPACE = re.compile(rf" (?<![0-9<>=,;(\[{{] ){_DAYS}(?![0-9<>=+\-,;)\]}}])")

# A word of ASCII letters standing alone as an island (both spaces around it are safe, or it starts or ends
# the message), perhaps ending in . : ! or ?: the letters of such a word, found on a message's fingerprint.
_FREE_WORD = re.compile(
    rf" (?<![0-9<>=,;(\[{{] ){_DAYS}(?![a-fA-F]{{16,}}[.:!?]?(?: |$))([A-Za-z]+)(?<!{_DAY})"
    r"(?=[.:!?]?(?:$| (?![0-9<>=+\-,;)\]}])))"
)  # run on " " + the fingerprint: the message's start is a space
_DIGIT = re.compile(r"\d")
# tokens, shape, placeholders, a word keeps a digit
_Island = tuple[tuple[Token, ...], tuple[str, ...], tuple[str, ...], bool]
_PLAIN_WORD = re.compile(r"([A-Za-z]+)([.,;:!?]?)")
_LONG_HEX = re.compile(r"[0-9a-fA-F]{16,}")
_ONE_WORD, _TWO_WORDS = ("",), ("", "")


class IslandTokeniser:
    """:func:`._rules.tokenise` of cleaned messages, with each island tokenised once.

    Calling it on a message gives its *shape* (the tokens' words, every masked value as ``value``) and its
    placeholders, assembled from the islands' cached parts; :meth:`tokens` gives the tokens themselves.
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
        self.islands: dict[str, _Island] = {}
        self.by_fingerprint: dict[str, tuple[Token, ...]] = {}
        # fingerprint with free words as "\x02" -> shape, placeholders, the free words' places in the shape
        self.sentences: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...]]] = {}

    def __call__(
        self, message: str, print_: str | None = None
    ) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
        """The shape of a cleaned ``message`` (its words, each masked value as ``value``), the placeholder of
        each token ("" for a word), and whether a word of it keeps a digit (``az1``, ``STARTUP2``: then the
        message cannot stand for others of its fingerprint). ``print_``: the message's fingerprint, if known.
        """
        text = self._head(message)
        # Messages whose fingerprints agree but for free words (names of random letters) have one sentence:
        # its shape with their own words in the free words' places.
        if print_ is None or text is not message:
            print_ = fingerprint(text)
        print_ = " " + print_
        key = _FREE_WORD.sub(" \x02", print_)
        found_sentence = self.sentences.get(key)
        if found_sentence is not None:
            shape_, masks_, slots = found_sentence
            if not slots:
                return shape_, masks_, False
            words = _FREE_WORD.findall(print_)
            filled = list(shape_)
            for slot, word in zip(slots, words, strict=True):
                filled[slot] = word
            return tuple(filled), masks_, False
        free = {m.start() for m in _FREE_WORD.finditer(print_)}
        islands = self.islands
        shape: list[str] = []
        masks: list[str] = []
        slots_: list[int] = []
        digit_word = False
        at = 0
        for island in _SAFE_SPACE.split(text):
            found = islands.get(island)
            if found is None:
                found = islands[island] = self._island(island)
            if at in free:
                slots_.append(len(shape))
            shape.extend(found[1])
            masks.extend(found[2])
            digit_word = digit_word or found[3]
            at += len(island) + 1
        result = tuple(shape), tuple(masks)
        if not digit_word and len(slots_) == len(free):
            self.sentences[key] = (*result, tuple(slots_))
        return *result, digit_word

    def tokens(self, message: str) -> list[Token]:
        """The tokens of a cleaned ``message`` (:func:`._rules.tokenise`, from the cached islands)."""
        tokens: list[Token] = []
        for island in _SAFE_SPACE.split(self._head(message)):
            found = self.islands.get(island)
            if found is None:
                found = self.islands[island] = self._island(island)
            tokens.extend(found[0])
        return tokens

    def _head(self, message: str) -> str:
        if self.any_head or (self.head_chars is not None and self.head_chars.search(message)):
            return mask_text(message, self.head)
        return message

    def _island(self, island: str) -> _Island:
        # Islands that differ only in digits and hex ids (their fingerprint) have the same tokens, except
        # for the text of masked values and of words that keep a digit ("STARTUP2"): reused only without
        # the latter.
        plain = _PLAIN_WORD.fullmatch(island)
        if plain is not None and not _LONG_HEX.fullmatch(plain.group(1)):
            # A word of ASCII letters, perhaps ending a sentence: no text rule matches it (every one needs a
            # digit or one of ' " { / : - _ @ inside, but <HEX>, which needs 16 hex letters) and no token
            # rule sees it (they need a digit). The names of random letters that make messages distinct.
            word, end = plain.groups()
            if end:
                return (Token(word, "", True), Token(end, "", False)), (word, end), _TWO_WORDS, False
            return (Token(word, "", True),), (word,), _ONE_WORD, False
        key = fingerprint(island)
        tokens = self.by_fingerprint.get(key)
        digit_word = False
        if tokens is None:
            tokens = tuple(split_tokens(mask_text(island, self.local), self.rules))
            digit_word = any(not token.mask and _DIGIT.search(token.text) for token in tokens)
            if not digit_word:
                self.by_fingerprint[key] = tokens
        shape = tuple(self.value if token.mask else token.text for token in tokens)
        return tokens, shape, tuple(token.mask for token in tokens), digit_word
