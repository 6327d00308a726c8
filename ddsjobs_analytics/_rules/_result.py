"""The findings of :func:`check_rules`: one object that notebooks, ``check`` and the notifiers all render.

Shaped like lifelines' ``StatisticalResult``: a ``summary`` frame, ``to_text``/``to_markdown``/``to_html``
and ``_repr_html_`` for notebooks. ``findings()`` gives the one-line texts a chat message lists.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .._core._format import format_duration
from ._rule import Rule

__all__ = ["SUMMARY_COLUMNS", "RuleResult"]

# rule: position in the rules; metric: failure_rate | p50 | p95 | stuck; limit: the rule's threshold;
# value: the estimate (rate, KM quantile in seconds, stuck count); bound: what is compared with the limit
# (Wilson lower bound, lower end of the Brookmeyer–Crowley interval, the count); n: jobs with a verdict
# (stuck: the stuck count); verdict: breached | ok | insufficient (fewer than min_jobs) | not estimable.
SUMMARY_COLUMNS = (
    "rule",
    "rule_label",
    "job_type",
    "region",
    "metric",
    "limit",
    "value",
    "bound",
    "n",
    "verdict",
    "breached",
)


def _show(metric: str, value: float) -> str:
    if not math.isfinite(value):
        return "–"
    if metric == "failure_rate":
        return f"{value:.1%}"
    if metric in ("p50", "p95"):
        return format_duration(value)
    return f"{value:g}"


def _group(row: Mapping[Any, Any]) -> str:
    region = row.get("region")
    return f"job_type={row['job_type']}" + (f", region={region}" if isinstance(region, str) else "")


def _describe(row: Mapping[Any, Any]) -> str:
    """``failure_rate 12.0% (95% CI low 8.1%) > max 5.0%, n=100``."""
    metric, limit, value, bound = row["metric"], row["limit"], row["value"], row["bound"]
    if metric == "stuck":
        return f"{int(value)} stuck job(s) > max {int(limit)}"
    relation = ">" if row["verdict"] == "breached" else "≤"
    return (
        f"{metric} {_show(metric, value)} (CI low {_show(metric, bound)}) "
        f"{relation} max {_show(metric, limit)}"
        f", n={row['n']}"
    )


@dataclass(frozen=True)
class RuleResult:
    """What the rules found. ``summary`` has one row per (rule, limit, group); see ``SUMMARY_COLUMNS``."""

    summary: pd.DataFrame
    rules: tuple[Rule, ...]
    window: tuple[Any, Any] | None = None

    @property
    def breaches(self) -> pd.DataFrame:
        """The summary rows whose limit is breached."""
        return self.summary[self.summary["breached"]]

    @property
    def breached(self) -> bool:
        return bool(self.summary["breached"].any())

    def findings(self) -> list[str]:
        """One line per breach: ``job_type=Backup: failure_rate 12.0% (CI low 8.1%) > max 5.0%, n=100``."""
        return [f"{_group(row)}: {_describe(row)}" for row in self.breaches.to_dict("records")]

    def to_records(self) -> list[dict[str, Any]]:
        """The breaches as JSON-ready dicts (NaN → None)."""
        records = []
        for row in self.breaches.to_dict("records"):
            clean: dict[str, Any] = {
                str(key): (None if isinstance(value, float) and not math.isfinite(value) else value)
                for key, value in row.items()
            }
            clean["region"] = clean["region"] if isinstance(clean["region"], str) else None
            clean["text"] = f"{_group(row)}: {_describe(row)}"
            records.append(clean)
        return records

    def to_text(self) -> str:
        judged = int(self.summary["verdict"].isin(["breached", "ok"]).sum())
        head = f"{len(self.rules)} rule(s), {judged} judged group(s), {len(self.breaches)} breach(es)"
        return "\n".join([head, *(f"BREACH  {line}" for line in self.findings())])

    def to_markdown(self) -> str:
        lines = [f"**{len(self.breaches)} rule breach(es)**", ""]
        if len(self.breaches):
            lines += ["| group | finding |", "|---|---|"]
            for row in self.breaches.to_dict("records"):
                cells = [_group(row), _describe(row)]
                lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(cell))}</td>" for cell in (_group(row), row["verdict"], _describe(row))
            )
            + "</tr>"
            for row in self.summary.to_dict("records")
        )
        return (
            f"<p>{html.escape(self.to_text().splitlines()[0])}</p>"
            "<table><thead><tr><th>group</th><th>verdict</th><th>finding</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return f"<RuleResult: {self.to_text().splitlines()[0]}>"
