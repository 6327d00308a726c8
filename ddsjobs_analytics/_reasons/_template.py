"""Templates of distinct messages: masks (:mod:`._rules`), then learned positions (:mod:`._learn`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ._fingerprint import fingerprints
from ._islands import IslandTokeniser
from ._learn import LEARNED, VALUE, VARIABLE_POSITIONS, Learned, learn_templates
from ._rules import EMPTY, PLACEHOLDER_RULES, PlaceholderRule, Token, clean, rule_set
from ._spans import merge_value_spans, merged_text

__all__ = ["Templated", "all_rules", "check_variable_positions", "template_distinct"]


@dataclass(frozen=True)
class Templated:
    """The templates of distinct messages, and what :func:`explain_template` needs to say why."""

    templates: list[str | None]  # one per message given; None for a blank message
    learned: list[dict[int, Learned]]


def all_rules(extra_rules: Sequence[PlaceholderRule]) -> list[PlaceholderRule]:
    """The user's ``extra_rules`` (checked), then :data:`PLACEHOLDER_RULES`."""
    if isinstance(extra_rules, PlaceholderRule):
        extra_rules = [extra_rules]
    for rule in extra_rules:
        if not isinstance(rule, PlaceholderRule):
            raise TypeError(
                f"extra_rules: expected PlaceholderRule items, got {type(rule).__name__} {rule!r}"
            )
    return [*extra_rules, *PLACEHOLDER_RULES]


def _render(tokens: list[Token], template: tuple[str, ...]) -> str:
    parts: list[str] = []
    for token, word in zip(tokens, template, strict=True):
        if token.spaced and parts:
            parts.append(" ")
        parts.append("" if word == EMPTY else word)
    return "".join(parts)


def check_variable_positions(value: object, func: str) -> int:
    """``value`` if it is a valid ``variable_positions`` (an int ≥ 1), else a ValueError naming ``func``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{func}: variable_positions must be an integer >= 1, got {value!r}")
    return value


# Templates are learned from a message's first TEMPLATE_CHARS characters. A failure message that long is
# rare (the sample's longest has 98), and tokenising whole 8 KiB messages costs ~14 bytes of Python objects
# per character: 2,000 distinct 8 KiB reasons took 220 MB to template. Past the cap, two messages that differ
# only in their tails share a template (issue 17's memory bound for `ddsjobs report`).
TEMPLATE_CHARS = 2_048


def template_distinct(
    messages: Sequence[str],
    extra_rules: Sequence[PlaceholderRule] = (),
    variable_positions: int = VARIABLE_POSITIONS,
) -> Templated:
    """Template each of ``messages`` (distinct strings) in the context of all of them.

    Every decision is made on sorted distinct values, so the result does not depend on the order given.
    Only the first ``TEMPLATE_CHARS`` characters of a message are read.
    """
    rules = rule_set(all_rules(extra_rules))
    cleaned = [clean(m[:TEMPLATE_CHARS]) for m in messages]
    keys = fingerprints(cleaned)
    first: dict[str, str] = {}
    for c, key in zip(cleaned, keys, strict=True):
        if c and (key not in first or c < first[key]):
            first[key] = c
    # Learning sees every placeholder as one kind of value: "blk_<ID>" and "blk_<NAME>" are one position.
    tokenised = IslandTokeniser(rules, VALUE)
    shape_of: list[tuple[str, ...]] = []
    mask_of: list[tuple[str, ...]] = []
    reps: list[str] = []
    kept_digit: set[str] = set()
    for key, c in sorted(first.items(), key=lambda item: item[1]):
        shape, masks, digit_word = tokenised(c, key)
        shape_of.append(shape)
        mask_of.append(masks)
        reps.append(c)
        if digit_word:
            kept_digit.add(key)
    # A representative that keeps a digit in a word ("az1", "STARTUP2") does not stand for the messages of
    # its fingerprint ("az2"): those are tokenised themselves.
    own: set[str] = set()
    if kept_digit:
        own = {c for c, key in zip(cleaned, keys, strict=True) if key in kept_digit}
        for c in sorted(own - set(reps)):
            shape, masks, _ = tokenised(c)
            shape_of.append(shape)
            mask_of.append(masks)
            reps.append(c)
    # Each distinct shape once (learning does not depend on their order); a tuple's hash is not cached, so
    # each message's shape is looked up once.
    index: dict[tuple[str, ...], int] = {}
    shape_at = [index.setdefault(shape, len(index)) for shape in shape_of]
    learned_shapes, evidence = learn_templates(list(index), variable_positions)
    clusters: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for at, shape_index in enumerate(shape_at):
        clusters[learned_shapes[shape_index]].append(at)
    rep_templates: list[str] = [""] * len(reps)
    texts: list[str] = []
    pieces: list[list[tuple[str, bool]]] = []
    for skeleton, members in clusters.items():
        # A value position keeps its placeholder if every message agrees on it, else it is <*>.
        words = list(skeleton)
        if VALUE in skeleton:
            placeholders = {mask_of[at] for at in members}
            for j, word in enumerate(skeleton):
                if word == VALUE:
                    found = {masks[j] for masks in placeholders}
                    words[j] = found.pop() if len(found) == 1 else LEARNED
        # Spacing from the first message of the cluster (it rarely differs).
        smallest = tokenised.tokens(reps[min(members)])
        texts.append(_render(smallest, tuple(words)))
        pieces.append([(word, token.spaced) for word, token in zip(words, smallest, strict=True)])
    # Templates that differ only inside value spans of different token lengths are one (._spans).
    order = sorted(range(len(texts)), key=texts.__getitem__)
    target = merge_value_spans([pieces[i] for i in order])
    merged: dict[int, list[int]] = defaultdict(list)
    for at, into in enumerate(target):
        merged[into].append(order[at])
    for group in merged.values():
        text = texts[group[0]] if len(group) == 1 else merged_text(pieces, group)
        for cluster in group:
            texts[cluster] = text
    for text, members in zip(texts, clusters.values(), strict=True):
        for at in members:
            rep_templates[at] = text
    rep_index = {c: i for i, c in enumerate(reps)}
    at_of = [
        -1 if not c else rep_index[c] if c in own else rep_index[first[key]]
        for c, key in zip(cleaned, keys, strict=True)
    ]
    return Templated(
        [rep_templates[i] if i >= 0 else None for i in at_of],
        [evidence[shape_at[i]] if i >= 0 else {} for i in at_of],
    )
