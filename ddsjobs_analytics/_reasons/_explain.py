"""``explain_template``: which rule or learned position made each placeholder of a message's template."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import pandas as pd

from ._learn import LEARNED, VARIABLE_POSITIONS
from ._rules import PlaceholderRule, apply_rule, clean, rule_set, tokenise
from ._template import all_rules, check_variable_positions, template_distinct

__all__ = ["explain_template"]


def _text_rule_values(message: str, rules: Sequence[PlaceholderRule]) -> dict[str, list[tuple[str, str]]]:
    # Per placeholder, the (value, rule description) each text rule replaced, in order of the rules and then
    # of the text; two rules of one placeholder (<TIME>) rarely both match one message.
    values: dict[str, list[tuple[str, str]]] = defaultdict(list)
    text = clean(message)
    for rule in rules:
        if rule.needs and not any(ch in text for ch in rule.needs):
            continue
        for match in rule.pattern.finditer(text):
            if rule.keep is None or rule.keep(match.group(0)):
                values[rule.placeholder].append((match.group(0), rule.description))
        text = apply_rule(rule, text)
    return values


def explain_template(
    message: str,
    messages: Iterable[str] | None = None,
    *,
    extra_rules: Sequence[PlaceholderRule] = (),
    variable_positions: int = VARIABLE_POSITIONS,
) -> pd.DataFrame:
    """One row per token of ``message``'s template: the ``value`` it stands for, the ``template`` token and
    its ``source`` — the rule (placeholder and description), a learned position (how many distinct words it
    took in how many messages of the same shape), or "" for a word kept as is.

    Learned positions need context: pass the other ``messages`` the template is learned with (e.g. the
    frame's ``fail_reason`` column); alone, a message has none. ``attrs["template"]`` holds the template.
    """
    if not isinstance(message, str):
        raise TypeError(f"explain_template: message must be a str, got {type(message).__name__}")
    check_variable_positions(variable_positions, "explain_template")
    others = () if messages is None else messages  # a Series has no truth value: test for None only
    context = sorted({m for m in others if isinstance(m, str)} | {message})
    templated = template_distinct(context, extra_rules, variable_positions)
    at = context.index(message)
    rules = all_rules(extra_rules)
    learned = templated.learned[at]
    # Templated holds the tokens of the message's fingerprint representative; the values shown are this one's.
    tokens = tokenise(clean(message), rule_set(rules)) if clean(message) else []
    token_rules = {r.placeholder: r.description for r in reversed(rules) if r.token}
    replaced = _text_rule_values(message, [r for r in rules if not r.token])
    seen: dict[str, int] = defaultdict(int)
    rows = []
    for position, token in enumerate(tokens):
        value, word, source = token.text, token.mask or token.text, ""
        if token.mask:
            description = token_rules.get(token.mask, "a placeholder in the message")
            if value == token.mask:  # a text rule: recover the value it replaced
                found = replaced.get(token.mask, [])
                if seen[token.mask] < len(found):
                    value, description = found[seen[token.mask]]
                seen[token.mask] += 1
            source = f"rule {token.mask}: {description}"
        elif position in learned:
            evidence = learned[position]
            word = LEARNED
            source = (
                f"learned: {evidence.values} distinct words at this position "
                f"across {evidence.shapes} shapes of this group"
            )
        rows.append({"value": value, "template": word, "source": source})
    table = pd.DataFrame(rows, columns=["value", "template", "source"])
    table.attrs["template"] = templated.templates[at]
    return table
