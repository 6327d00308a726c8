"""The learning half of templating: which word positions of same-shaped messages are variables.

Works on the distinct masked token sequences ("shapes") of all messages analysed, so its result does not
depend on their order or on how often each repeats. Shapes of one length are grouped by their most common
pattern (the idea of Brain, Yu et al. 2023: in each shape, the largest set of positions whose (position,
word) pairs are equally frequent across the length group is the shape's constant skeleton). Within a group,
a position with more than ``variable_positions`` (:data:`VARIABLE_POSITIONS`) distinct words, a masked value
in some shapes, a word shaped like a name or words differing only in digits is a variable (``<*>``); any
other varying position splits the group, one part per word (like the branches of Drain's parse tree, but
decided from the whole group rather than from the messages seen so far), and each part is decided again.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = ["LEARNED", "VALUE", "VARIABLE_POSITIONS", "Learned", "is_name_shaped", "learn_templates"]

LEARNED = "<*>"
VALUE = "\x00"  # a position masked by a rule (any placeholder)
# A position of a group taking more distinct plain words than this is a variable; this many or fewer, and
# each word is a template of its own ("in state RECOVERING" / "in state ROLLBACK"). The default of
# ``variable_positions``: lower merges more, higher splits more.
VARIABLE_POSITIONS = 3

Shape = tuple[str, ...]


class Learned(NamedTuple):
    """Why a position became ``<*>``: ``values`` distinct words across the ``shapes`` of its group."""

    values: int
    shapes: int


def learn_templates(
    shapes: Sequence[Shape], variable_positions: int = VARIABLE_POSITIONS
) -> tuple[list[Shape], list[dict[int, Learned]]]:
    """For each shape, its template (variable positions as ``<*>``) and the evidence for each ``<*>``.

    ``variable_positions``: a position of a group taking more distinct plain words than this is a variable;
    at most this many, and each word makes a template of its own.
    """
    templates: list[Shape] = list(shapes)
    none: dict[int, Learned] = {}  # shared: evidence is never changed in place
    evidence: list[dict[int, Learned]] = [none] * len(shapes)
    by_length: dict[int, list[int]] = defaultdict(list)
    for index, shape in enumerate(shapes):
        by_length[len(shape)].append(index)
    for indices in by_length.values():
        if len(indices) == 1:
            continue
        for group in _skeleton_groups([shapes[i] for i in indices], indices):
            _refine(group, shapes, templates, evidence, variable_positions)
    return templates, evidence


def _skeleton_groups(members: list[Shape], indices: list[int]) -> list[list[int]]:
    if len(members) >= _VECTOR_FROM:
        return _skeleton_groups_vectorised(members, indices)
    length = len(members[0])
    counts = [Counter(shape[j] for shape in members) for j in range(length)]
    groups: dict[tuple[str | None, ...], list[int]] = defaultdict(list)
    for index, shape in zip(indices, members, strict=True):
        freqs = [counts[j][shape[j]] for j in range(length)]
        # Placeholder positions are values whatever their frequency: the skeleton is made of words.
        tally = Counter(f for f, word in zip(freqs, shape, strict=True) if word != VALUE)
        skeleton = max(tally.items(), key=lambda item: (item[1], item[0]))[0] if tally else 0
        key = tuple(
            word if freq >= skeleton and word != VALUE else None
            for word, freq in zip(shape, freqs, strict=True)
        )
        groups[key].append(index)
    return list(groups.values())


_VECTOR_FROM = 256  # shapes of one length from which numpy is faster than the loop (same result)


def _skeleton_groups_vectorised(members: list[Shape], indices: list[int]) -> list[list[int]]:
    # The loop of _skeleton_groups on arrays: per position, each word's code and frequency; per shape, the
    # frequency shared by most of its word positions (ties: the higher), and the words at least that frequent.
    n, length = len(members), len(members[0])
    codes = np.empty((n, length), dtype=np.int64)
    freqs = np.empty((n, length), dtype=np.int64)
    value = np.zeros((n, length), dtype=bool)
    for j in range(length):
        column, words = pd.factorize(np.array([shape[j] for shape in members], dtype=object))
        codes[:, j] = column
        freqs[:, j] = np.bincount(column)[column]
        # Compared in Python: numpy would read VALUE ("\x00") as an empty string.
        at = [k for k, word in enumerate(words) if word == VALUE]
        if at:
            value[:, j] = column == at[0]
    rows = np.repeat(np.arange(n, dtype=np.int64), length).reshape(n, length)[~value]
    keys, counts = np.unique(rows * (n + 1) + freqs[~value], return_counts=True)
    row_of, freq_of = keys // (n + 1), keys % (n + 1)
    skeleton = np.zeros(n, dtype=np.int64)  # 0 for a shape of placeholders only
    if keys.size:
        best = np.lexsort((freq_of, counts, row_of))  # per row, the last is the most shared (then highest)
        last = best[np.r_[row_of[best][1:] != row_of[best][:-1], True]]
        skeleton[row_of[last]] = freq_of[last]
    key = np.where(~value & (freqs >= skeleton[:, None]), codes, -1)
    inverse = np.zeros(n, dtype=np.int64)  # the key's rows numbered, one column at a time
    for j in range(length):
        inverse = pd.factorize(inverse * (n + 1) + key[:, j] + 1)[0].astype(np.int64)
    order = np.argsort(inverse, kind="stable")
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    index_array = np.asarray(indices, dtype=np.int64)
    return [index_array[part].tolist() for part in np.split(order, bounds)]


_USER_AT = re.compile(r"[A-Za-z0-9]@[A-Za-z0-9]")
_SNAKE = re.compile(r"[a-z0-9]_[a-z0-9]")
_CJK = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_ASCII_ALNUM = re.compile("[A-Za-z0-9]")
_DIGITS = re.compile(r"\d+")


def is_name_shaped(word: str) -> bool:
    """A word shaped like a name rather than a word of a sentence: ``user@database`` (``li.ming@admin``),
    lower-case snake_case (``shard_a``, ``deploy_bot``), or CJK mixed with ASCII letters or digits.

    Other joined words are not: code identifiers (``job-conf``, ``JOB_SETUP``, ``onStandStepChanged``) and
    interface names (``alt0``, ``ee0``) have those shapes and name different events in Loghub's truth.
    """
    if _USER_AT.search(word) or (word.islower() and _SNAKE.search(word)):
        return True
    return _CJK.search(word) is not None and _ASCII_ALNUM.search(word) is not None


def _is_value_position(words: set[str], variable_positions: int) -> bool:
    if len(words) < 2:
        return False
    if len(words) > variable_positions or VALUE in words:
        # A position that holds a masked value in some messages is a value position in all of them
        # ("user zhangwei" / "user admin01").
        return True
    if any(is_name_shaped(word) for word in words):
        return True
    # Words that differ only in their digits ("az1", "az2") are one name with a number.
    return len({_DIGITS.sub("0", word) for word in words}) == 1


def _refine(
    group: list[int],
    shapes: Sequence[Shape],
    templates: list[Shape],
    evidence: list[dict[int, Learned]],
    variable_positions: int,
) -> None:
    # Split on the position with the fewest distinct plain words first (ties: leftmost), then decide again
    # in each part: a position whose words vary only between parts is not a variable of either.
    distinct = [set(column) for column in zip(*(shapes[i] for i in group), strict=True)]
    variable = {
        j: Learned(len(words), len(group))
        for j, words in enumerate(distinct)
        if _is_value_position(words, variable_positions)
    }
    splits = sorted(
        (len(words), j) for j, words in enumerate(distinct) if len(words) > 1 and j not in variable
    )
    if splits:
        column = splits[0][1]
        parts: dict[str, list[int]] = defaultdict(list)
        for i in group:
            parts[shapes[i][column]].append(i)
        for key in sorted(parts):
            _refine(parts[key], shapes, templates, evidence, variable_positions)
        return
    # Every position is constant or variable here: one template for the whole part.
    template = tuple(LEARNED if j in variable else word for j, word in enumerate(shapes[group[0]]))
    for i in group:
        templates[i] = template
        evidence[i] = variable
