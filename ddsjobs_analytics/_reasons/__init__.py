"""Failure reasons: group DDS ``fail_reason`` messages into templates, learned from the messages themselves.

A failure message mixes a fixed sentence with values that change from job to job. Values of a known shape
are masked by rules (:data:`PLACEHOLDER_RULES`, extensible with ``extra_rules``); the remaining word
positions that vary among messages of the same shape are learned as ``<*>`` (more than
``variable_positions`` words), and templates that differ only inside value spans of different length are
one. :func:`fail_reason_groups` counts jobs per template, :func:`jobs_in_group` drills back to the jobs,
:func:`explain_template` says why. Work is done once per distinct message.
"""

from __future__ import annotations

from ._explain import explain_template
from ._groups import (
    fail_reason_groups,
    fail_reason_template,
    jobs_in_group,
    template_id,
    with_templates,
)
from ._metrics import adjusted_rand_index, grouping_accuracy, pairwise_precision_recall
from ._rules import PLACEHOLDER_RULES, PlaceholderRule

__all__ = [
    "PLACEHOLDER_RULES",
    "PlaceholderRule",
    "adjusted_rand_index",
    "explain_template",
    "fail_reason_groups",
    "fail_reason_template",
    "grouping_accuracy",
    "jobs_in_group",
    "pairwise_precision_recall",
    "template_id",
    "with_templates",
]
