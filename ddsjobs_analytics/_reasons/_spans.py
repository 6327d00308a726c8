"""Values of varying token length: templates that differ only inside their value spans are one template.

A value can take a different number of tokens from one message to the next: an IP or ``LOCAL(0)``, ``00:01``
or ``<1 sec``, a list of one id or of nine, an optional ``(1.16 KB)``. After learning, each template is read
as its words with every *value span* (a maximal run of placeholders, ``<*>`` and punctuation holding at least
one value, including a name glued to a bracket of values, as in ``LOCAL(<NUM>)``) as one slot, and a bracketed
span of values standing alone (``(<SIZE>)``) as optional. Templates whose words agree then are one template:
every word of the sentence still has to match, so ``Instance spawned`` and ``Instance destroyed`` never meet.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from ._rules import EMPTY

__all__ = ["merge_value_spans", "merged_text"]

_OPEN = {"(": ")", "[": "]"}


class _Piece(NamedTuple):
    text: str
    spaced: bool


class _Read(NamedTuple):
    key: tuple[str, ...]  # words, and RUN for each value span
    runs: dict[int, _Piece]  # key index of a RUN -> its text
    optional: dict[int, _Piece]  # key length before an optional span -> its text
    words: list[_Piece]  # key index -> piece, for words


RUN = "\x01"
MIN_CONTEXT_WORDS = 2


_PLACEHOLDER = re.compile(r"<[A-Z][A-Z_:]*>|<\*>|<>")


def _is_value(word: str) -> bool:
    return _PLACEHOLDER.fullmatch(word) is not None


_SPAN_PUNCTUATION = frozenset("()[]{}<>:,;.=/-+#%~|'\"")


def _is_mask(word: str) -> bool:
    return word != EMPTY and _is_value(word)  # "()" is an absent value, not a value: "clear()" is a word


def _is_punct(word: str) -> bool:
    # Separators and brackets only: a literal such as "****" is a word of the sentence.
    return word in _SPAN_PUNCTUATION


def _shown(word: str) -> str:
    return "" if word == EMPTY else word


def _read(pieces: Sequence[_Piece]) -> _Read:
    n = len(pieces)
    kind = ["v" if _is_value(p.text) else "p" if _is_punct(p.text) else "w" for p in pieces]
    # A word glued to a bracket that holds only values and punctuation is part of the value: LOCAL(<NUM>).
    for i in range(n - 1):
        if kind[i] == "w" and pieces[i + 1].text in _OPEN and not pieces[i + 1].spaced:
            close = _OPEN[pieces[i + 1].text]
            j = i + 2
            while j < n and kind[j] != "w" and pieces[j].text != close:
                j += 1
            if j < n and pieces[j].text == close and any(_is_mask(pieces[k].text) for k in range(i + 2, j)):
                kind[i] = "v"
    key: list[str] = []
    runs: dict[int, _Piece] = {}
    optional: dict[int, _Piece] = {}
    words: list[_Piece] = []
    i = 0
    while i < n:
        if kind[i] == "w":
            key.append(pieces[i].text)
            words.append(pieces[i])
            i += 1
            continue
        j = i
        while j < n and kind[j] != "w":
            j += 1
        span = pieces[i:j]
        if not any(kind[k] == "v" for k in range(i, j)):
            for piece in span:  # punctuation only: words of the sentence
                key.append(piece.text)
                words.append(piece)
            i = j
            continue
        joined = "".join((" " if p.spaced and at else "") + _shown(p.text) for at, p in enumerate(span))
        text = _Piece(joined, span[0].spaced)
        if span[0].text in _OPEN and span[-1].text == _OPEN[span[0].text] and len(span) > 2:
            optional[len(key)] = text  # "(<SIZE>)" on its own: an annotation that may be absent
        else:
            runs[len(key)] = text
            key.append(RUN)
            words.append(text)
        i = j
    return _Read(tuple(key), runs, optional, words)


def _render(reads: list[_Read]) -> str:
    first = reads[0]
    out: list[str] = []

    def emit(piece: _Piece) -> None:
        out.append((" " if piece.spaced and out else "") + piece.text)

    for at in range(len(first.key) + 1):
        present = [r.optional[at] for r in reads if at in r.optional]
        if present:
            # Shown as is when every template has the same annotation here, else as one <*>.
            same = len(present) == len(reads) and len({p.text for p in present}) == 1
            emit(_Piece(present[0].text if same else "<*>", present[0].spaced))
        if at == len(first.key):
            break
        if first.key[at] == RUN:
            texts = {r.runs[at].text for r in reads}
            emit(_Piece(texts.pop() if len(texts) == 1 else "<*>", first.runs[at].spaced))
        else:
            emit(_Piece(_shown(first.words[at].text), first.words[at].spaced))
    return "".join(out)


def merge_value_spans(templates: Sequence[Sequence[tuple[str, bool]]]) -> list[int]:
    """For templates given as (word, spaced) pieces, the index of the template each one merges into.

    Templates that agree in every word once each value span is one slot merge into the first of them
    (in the order given); an index that maps to itself keeps its own text.
    """
    reads = [_read([_Piece(w, s) for w, s in t]) for t in templates]
    by_key: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for at, read in enumerate(reads):
        by_key[read.key].append(at)
    target = list(range(len(templates)))
    for key, members in by_key.items():
        # Enough constant context: at least two words of the sentence besides the value spans.
        if sum(1 for word in key if word != RUN and not _is_punct(word)) < MIN_CONTEXT_WORDS:
            continue
        for at in members[1:]:
            target[at] = members[0]
    return target


def merged_text(templates: Sequence[Sequence[tuple[str, bool]]], members: Sequence[int]) -> str:
    """The display of the merged template of ``members``: spans that differ among them become ``<*>``."""
    return _render([_read([_Piece(w, s) for w, s in templates[m]]) for m in members])
