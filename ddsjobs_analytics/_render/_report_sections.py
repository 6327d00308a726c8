"""Two parts of the report page: the failure-reason drill-down and the "What changed" section.

The drill-down lists, per reason group, its newest jobs: the rows :func:`jobs_in_group` returns, selected
with the templates the analysis already learned (so nothing is templated again). Each group is a
``<details>`` block that the reasons table links to; no script, no request.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from .._analysis._analyse import Analysis
from .._core._schema import NEW_FAIL_REASONS, POSTMORTEM_JOBS, WHAT_CHANGED_BY_METRIC
from ._html import table_html

__all__ = ["DRILL_GROUPS", "DRILL_JOBS", "group_jobs", "reason_drilldown", "what_changed_parts"]

DRILL_GROUPS = 20  # reason groups with a job list in the page (the most frequent)
DRILL_JOBS = 50  # newest jobs listed per group
_DRILL_COLUMNS = ["job_id", "created", "job_type", "instance_id", "instance_name", "region"]


def anchor(group_id: str) -> str:
    """The page id of a group's job list."""
    return f"jobs-{group_id}"


def group_jobs(analysis: Analysis, template: str, limit: int = DRILL_JOBS) -> pd.DataFrame:
    """The newest ``limit`` jobs whose failure message has ``template``, as :func:`jobs_in_group` lists
    them (newest first), from the analysis' kept templates."""
    templates = analysis.fail_reason_templates
    mask = (templates.astype(object) == template).to_numpy(dtype=bool, na_value=False)
    rows = analysis.data.loc[mask]
    return rows.sort_values("created", ascending=False, kind="stable", na_position="last").head(limit)


def reason_drilldown(analysis: Analysis) -> tuple[list[str | None], str]:
    """Per row of the reasons table, the link to its job list (None past the first DRILL_GROUPS), and the
    HTML of those job lists."""
    groups = analysis.fail_reason_groups
    links: list[str | None] = [None] * len(groups)
    blocks = []
    for row, (template, group_id, count) in enumerate(
        zip(groups["template"], groups["template_id"].astype(str), groups["count"], strict=True)
    ):
        if row >= DRILL_GROUPS:
            break
        links[row] = f"#{anchor(group_id)}"
        jobs = group_jobs(analysis, str(template))
        shown = [column for column in _DRILL_COLUMNS if column in jobs.columns]
        more = f", the newest {len(jobs)}" if int(count) > len(jobs) else ""
        caption = f"{int(count):,} jobs{more}; all of them: jobs_in_group(df, {group_id!r})"
        blocks.append(
            f'<details class="jobs" id="{escape(anchor(group_id))}"><summary>{escape(str(template))}'
            f" ({int(count):,} jobs)</summary>"
            + table_html(jobs[shown], formats=POSTMORTEM_JOBS.formats, caption=caption, tz=analysis.tz)
            + "</details>"
        )
    if not blocks:
        return links, ""
    extra = len(groups) - len(blocks)
    note = f" The {extra:,} rarer groups are in fail_reasons.csv." if extra > 0 else ""
    heading = f'<p class="note">Jobs per failure reason (open one, or follow a template link).{note}</p>'
    return links, heading + "".join(blocks)


def what_changed_parts(analysis: Analysis, chart: str) -> list[str]:
    """The "What changed" section: one line on what was compared (or why not), then the chart, the
    regressions and improvements by metric kind, and the failure reasons new in the last 7 days."""
    changed = analysis.what_changed
    parts = [f'<p class="note">{escape(changed.why)}</p>']
    if changed.comparison is None:
        return parts
    parts.append(chart)
    changes = changed.changes
    if changes.empty:
        parts.append(
            '<p class="note">No regression or improvement: no change is both significant (q ≤ 0.05) and '
            "large enough. what_changed.csv has every row.</p>"
        )
    else:
        is_rate = (changes["metric"] == "failure_rate").to_numpy(dtype=bool)
        for rows, formats, caption in (
            (
                changes.loc[is_rate],
                WHAT_CHANGED_BY_METRIC["failure_rate"].formats,
                "Failure rates (change in points)",
            ),
            (
                changes.loc[~is_rate],
                WHAT_CHANGED_BY_METRIC["duration"].formats,
                "Durations (change as a ratio)",
            ),
        ):
            if not rows.empty:
                parts.append(table_html(rows, formats=formats, caption=caption, tz=analysis.tz))
    new = changed.new_reasons
    if new is not None:
        columns = ["template", "count", "instances", "job_types", "first_seen", "last_seen", "instance_ids"]
        shown = new[[column for column in columns if column in new.columns]]
        parts.append(
            table_html(
                shown,
                formats=NEW_FAIL_REASONS.formats,
                caption="Failure reasons new in the last 7 days (never seen in the 28 before)",
                tz=analysis.tz,
                max_rows=50,
            )
        )
    return parts
