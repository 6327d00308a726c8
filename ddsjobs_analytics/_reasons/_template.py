"""Templates of a set of distinct messages: masks (:mod:`._rules`), then learned positions (:mod:`._learn`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ._learn import LEARNED, VALUE, Learned, learn_templates
from ._rules import PLACEHOLDER_RULES, PlaceholderRule, Token, clean, split_rules, tokenise

__all__ = ["Templated", "template_distinct"]



@dataclass(frozen=True)
class Templated:
    """The templates of distinct messages, and what :func:`explain_template` needs to say why."""

    templates: list[str | None]  # one per message given; None for a blank message
    tokens: list[list[Token]]
    learned: list[dict[int, Learned]]


def _rules(extra_rules: Sequence[PlaceholderRule]) -> tuple[list[PlaceholderRule], list[PlaceholderRule]]:
    for rule in extra_rules:
        if not isinstance(rule, PlaceholderRule):
            raise TypeError(f"extra_rules: expected PlaceholderRule items, got {type(rule).__name__} {rule!r}")
    extra_text, extra_token = split_rules(extra_rules)
    text, token = split_rules(PLACEHOLDER_RULES)
    return [*extra_text, *text], [*extra_token, *token]


def _render(tokens: list[Token], template: tuple[str, ...]) -> str:
    parts: list[str] = []
    for token, word in zip(tokens, template, strict=True):
        if token.spaced and parts:
            parts.append(" ")
        parts.append(word)
    return "".join(parts)


def template_distinct(messages: Sequence[str], extra_rules: Sequence[PlaceholderRule] = ()) -> Templated:
    """Template each of ``messages`` (distinct strings) in the context of all of them.

    Every decision is made on sorted distinct values, so the result does not depend on the order given.
    """
    text_rules, token_rules = _rules(extra_rules)
    cleaned = [clean(m) for m in messages]
    tokens = [tokenise(c, text_rules, token_rules) if c else [] for c in cleaned]
    # Learning sees every placeholder as one kind of value: "blk_<ID>" and "blk_<NAME>" are one position.
    shape_of = [tuple(VALUE if t.mask else t.text for t in toks) for toks in tokens]
    shapes = sorted({s for s in shape_of if s})
    index = {s: i for i, s in enumerate(shapes)}
    learned_shapes, evidence = learn_templates(shapes)
    clusters: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for at, shape in enumerate(shape_of):
        if shape:
            clusters[learned_shapes[index[shape]]].append(at)
    templates: list[str | None] = [None] * len(messages)
    for skeleton, members in clusters.items():
        # A value position keeps its placeholder if every message agrees on it, else it is <*>.
        words = list(skeleton)
        for j, word in enumerate(skeleton):
            if word == VALUE:
                masks = {tokens[at][j].mask for at in members}
                words[j] = masks.pop() if len(masks) == 1 else LEARNED
        # Spacing from the smallest message of the cluster (it rarely differs).
        text = _render(tokens[min(members, key=cleaned.__getitem__)], tuple(words))
        for at in members:
            templates[at] = text
    learned = [evidence[index[s]] if s else {} for s in shape_of]
    return Templated(templates, tokens, learned)
