"""Evaluate absolute rules on a jobs frame: :func:`check_rules` → :class:`RuleResult`.

The statistics are the project's own: the failure rate and its Wilson interval come from
:func:`failure_rates`, the Kaplan–Meier quantiles and their Brookmeyer–Crowley intervals from the
``_stats`` estimator (as in :func:`duration_stats`: Completed jobs are events, Running jobs censored at
their age), stuck jobs from :func:`stuck_jobs`. A limit is breached only when the evidence is clear:
the *lower* end of the interval is above it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._compare._periods import period_masks
from .._frame import require_columns
from .._frame._filter import matching
from .._stats._durations import group_codes, status_mask, stuck_jobs
from .._stats._failures import failure_rates
from .._stats._km import events_and_censorings, first_time_at_or_below, km_quantile_ci
from ._result import SUMMARY_COLUMNS, RuleResult
from ._rule import Rule

__all__ = ["check_rules"]

_QUANTILE = {"max_p50": 0.50, "max_p95": 0.95}
_METRIC = {"max_failure_rate": "failure_rate", "max_p50": "p50", "max_p95": "p95", "max_stuck": "stuck"}

Window = tuple[Any, Any]


def _as_rules(rules: Iterable[Rule | Mapping[str, Any]] | Rule) -> tuple[Rule, ...]:
    if isinstance(rules, Rule):
        return (rules,)
    found = []
    for position, rule in enumerate(rules):
        if isinstance(rule, Rule):
            found.append(rule)
        elif isinstance(rule, Mapping):
            try:
                found.append(Rule(**rule))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"check_rules: rules[{position}]: {exc}") from None
        else:
            raise TypeError(
                f"check_rules: rules[{position}] is a {type(rule).__name__}, not a Rule or a dict"
            )
    return tuple(found)


def check_rules(
    df: pd.DataFrame,
    rules: Iterable[Rule | Mapping[str, Any]] | Rule,
    *,
    window: Window | None = None,
) -> RuleResult:
    """Judge every rule on ``df``; one summary row per (rule, limit, job_type[, region]).

    ``rules`` are :class:`Rule` objects or dicts of their fields. ``window`` = (start, end) keeps the jobs
    created in [start, end) for the failure-rate and duration limits (``check`` passes its current period);
    stuck jobs are judged on the whole frame, since a job is stuck *now* and its type's history is the
    yardstick. Groups with fewer verdicts than the rule's ``min_jobs`` are ``insufficient``.
    """
    rules = _as_rules(rules)
    needed = ["job_type", "status", "duration_s", "age_s", "created"]
    if any(rule.region is not None for rule in rules):
        needed.append("region")
    require_columns(df, needed, func="check_rules")
    if window is not None:
        start, end = (pd.Timestamp(moment) for moment in window)
        start, end = (m.tz_localize("UTC") if m.tzinfo is None else m.tz_convert("UTC") for m in (start, end))
        in_window = pd.Series(period_masks(df["created"], [(start, end)]), index=df.index)
    else:
        in_window = pd.Series(True, index=df.index)
    rows: list[dict[str, Any]] = []
    for number, rule in enumerate(rules):
        selected = matching(df["job_type"], [rule.job_type])
        if rule.region is not None:
            selected &= matching(df["region"], [rule.region])
        keys = ["job_type", *(["region"] if rule.region is not None else [])]
        scope = df.loc[selected & in_window]
        for limit, threshold in rule.limits.items():
            if limit == "max_failure_rate":
                found = _failure_rows(scope, keys, rule)
            elif limit in _QUANTILE:
                found = _duration_rows(scope, keys, rule, _QUANTILE[limit])
            else:
                found = _stuck_rows(df.loc[selected], keys)
            for row in found:
                gated = limit != "max_stuck" and rule.min_jobs is not None and row["n"] < rule.min_jobs
                bound = row["bound"]
                if gated:
                    verdict = "insufficient"
                elif not np.isfinite(bound):
                    verdict = "not estimable"
                else:
                    verdict = "breached" if bound > threshold else "ok"
                rows.append(
                    {
                        "rule": number,
                        "rule_label": rule.label,
                        "job_type": row["job_type"],
                        "region": row.get("region"),
                        "metric": _METRIC[limit],
                        "limit": float(threshold),
                        "value": float(row["value"]),
                        "bound": float(bound),
                        "n": int(row["n"]),
                        "verdict": verdict,
                        "breached": verdict == "breached",
                    }
                )
    summary = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    summary = summary.astype({"rule": "int64", "n": "int64", "breached": "bool"})
    for column in ("limit", "value", "bound"):
        summary[column] = summary[column].astype("float64")
    for column in ("rule_label", "job_type", "region", "metric", "verdict"):
        summary[column] = summary[column].astype(object)
    return RuleResult(summary=summary, rules=rules, window=window)


def _labels(index: pd.Index, keys: Sequence[str]) -> list[dict[str, Any]]:
    """The group keys of each index entry as a dict (``job_type`` and maybe ``region``)."""
    if len(keys) == 1:
        return [{keys[0]: str(value)} for value in index]
    return [{key: str(part) for key, part in zip(keys, value, strict=True)} for value in index]


def _failure_rows(scope: pd.DataFrame, keys: list[str], rule: Rule) -> list[dict[str, Any]]:
    rates = failure_rates(scope, by=keys, confidence=rule.confidence)
    rates = rates[rates["total"] > 0]
    return [
        {**label, "value": rate, "bound": low, "n": total}
        for label, rate, low, total in zip(
            _labels(rates.index, keys), rates["failure_rate"], rates["ci_low"], rates["total"], strict=True
        )
    ]


def _duration_rows(scope: pd.DataFrame, keys: list[str], rule: Rule, q: float) -> list[dict[str, Any]]:
    """Per group: the KM ``q`` quantile and the low end of its Brookmeyer–Crowley interval; ``n`` counts
    the jobs with a verdict (the evidence, as for the failure rate)."""
    codes, index = group_codes([scope[key] for key in keys], len(scope))
    n_groups = len(index)
    duration = scope["duration_s"].to_numpy(dtype=np.float64, na_value=np.nan)
    age = scope["age_s"].to_numpy(dtype=np.float64, na_value=np.nan)
    completed = status_mask(scope["status"], ["Completed"]) & np.isfinite(duration)
    running = status_mask(scope["status"], ["Running"]) & np.isfinite(age)
    steps = events_and_censorings(codes, completed, duration, running, age)
    quantile = first_time_at_or_below(steps, 1.0 - q, n_groups)
    low, _high = km_quantile_ci(steps, q, n_groups, rule.confidence)
    verdicts = np.bincount(codes[status_mask(scope["status"], ["Completed", "Failed"])], minlength=n_groups)
    has_jobs = np.bincount(codes[completed | running], minlength=n_groups) > 0
    return [
        {**label, "value": quantile[i], "bound": low[i], "n": int(verdicts[i])}
        for i, label in enumerate(_labels(index, keys))
        if has_jobs[i]
    ]


def _stuck_rows(matched: pd.DataFrame, keys: list[str]) -> list[dict[str, Any]]:
    """Per group present in the matched jobs: the number of stuck Running jobs (0 where none)."""
    stuck = stuck_jobs(matched)
    counts = stuck.groupby(keys, observed=True).size() if len(stuck) else pd.Series(dtype="int64")
    groups = matched[keys].drop_duplicates().dropna()
    rows = []
    for values in groups.itertuples(index=False):
        label = {key: str(value) for key, value in zip(keys, values, strict=True)}
        key = tuple(values) if len(keys) > 1 else values[0]
        count = int(counts.get(key, 0)) if len(counts) else 0
        rows.append({**label, "value": count, "bound": count, "n": count})
    return sorted(rows, key=lambda row: tuple(row[key] for key in keys))
