"""``ddsjobs check``: the regressions of the last days against the weeks before, for cron and CI.

Exit codes: 0 no regression, 1 at least one regression (among ``--fail-on``), 2 usage error or unreadable
input (never 1, so 1 always means a regression), 3 not enough data to judge anything. A failure reason is
"new" only against a baseline of at least ``--min-jobs`` jobs; with a thinner baseline, new reasons are not
judged (and, with nothing else judged either, the verdict is 3).

Everything printed from the data goes through ``terminal_safe`` (text, markdown) or JSON escapes, so a job
field holding ESC, BEL or a bidi override cannot drive the terminal.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

import pandas as pd

from .._compare._periods import METRICS, RESULT_COLUMNS, VERDICTS, compare_periods
from .._compare._reasons import new_fail_reasons
from .._core._time import parse_moment
from ._console import terminal_safe

if TYPE_CHECKING:
    from .._rules._rule import Rule

__all__ = [
    "EXIT_INSUFFICIENT",
    "EXIT_OK",
    "EXIT_REGRESSION",
    "EXIT_USAGE",
    "check_windows",
    "fail_on_metrics",
    "run_check",
]

EXIT_OK, EXIT_REGRESSION, EXIT_USAGE, EXIT_INSUFFICIENT = 0, 1, 2, 3
FAIL_ON_CHOICES = (*METRICS, "fail_reason")


def fail_on_metrics(value: str | Sequence[str]) -> list[str]:
    """The metrics of ``--fail-on``: a comma-separated text or a list, each one of ``FAIL_ON_CHOICES``."""
    names = [name.strip() for name in (value.split(",") if isinstance(value, str) else value) if name.strip()]
    unknown = [name for name in names if name not in FAIL_ON_CHOICES]
    if unknown or not names:
        choices = ", ".join(FAIL_ON_CHOICES)
        raise ValueError(f"--fail-on takes a comma-separated list of {choices}; got {value!r}")
    return names


def check_windows(
    df: pd.DataFrame, *, since: str, baseline: str, until: str | None, tz: dt.tzinfo | None
) -> tuple[tuple[pd.Timestamp, pd.Timestamp], tuple[pd.Timestamp, pd.Timestamp]]:
    """(current, baseline) windows: ``since``/``baseline`` are ages (before ``until`` / before the split) or
    times; ``until`` defaults to the newest ``observed_at`` (else ``created``) of the data."""
    zone = tz or dt.timezone.utc
    if until is not None:
        end = parse_moment(until, naive_tz=zone, what="--until")
    else:
        column = (
            "observed_at" if "observed_at" in df.columns and df["observed_at"].notna().any() else "created"
        )
        if column not in df.columns or not df[column].notna().any():
            raise ValueError("no job has a time; pass --until")
        end = pd.Timestamp(df[column].max()).tz_convert("UTC").as_unit("us")
    split = parse_moment(since, now=end, naive_tz=zone, what="--since")
    start = parse_moment(baseline, now=split, naive_tz=zone, what="--baseline")
    return (split, end), (start, split)


def _group(row: dict[str, Any], keys: Sequence[str]) -> str:
    return ", ".join(f"{key}={row[key]}" for key in keys) if keys else "all"


def _value(metric: str, value: float) -> str:
    if not math.isfinite(value):
        return "–"
    if metric == "failure_rate":
        return f"{value:.1%}"
    from .._render._plots import format_duration

    return format_duration(value)


def _change(metric: str, row: dict[str, Any]) -> str:
    change, low, high = row["change"], row["ci_low"], row["ci_high"]
    if metric == "failure_rate":
        return f"{change * 100:+.1f} pp, 95% CI {low * 100:+.1f} … {high * 100:+.1f} pp"
    high_text = f"×{high:.2f}" if math.isfinite(high) else "×∞"
    return f"×{change:.2f}, 95% CI ×{low:.2f} … {high_text}"


def _period(window: tuple[pd.Timestamp, pd.Timestamp], tz: dt.tzinfo) -> str:
    start, end = (moment.tz_convert(tz) for moment in window)
    return f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} {start:%z}"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: NaN → None, timestamps → ISO strings, numpy scalars → Python."""
    rows = []
    for row in frame.astype(object).to_dict("records"):
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if (isinstance(value, float) and not math.isfinite(value)) or value is pd.NaT or value is pd.NA:
                value = None
            elif isinstance(value, pd.Timestamp):
                value = value.isoformat()
            elif hasattr(value, "item"):
                value = value.item()
            clean[str(key)] = value
        rows.append(clean)
    return rows


def run_check(
    df: pd.DataFrame,
    *,
    since: str = "7d",
    baseline: str = "28d",
    until: str | None = None,
    by: Sequence[str] = ("job_type",),
    tz: dt.tzinfo | None = None,
    output_format: str = "text",
    fail_on: Sequence[str] = METRICS,
    min_jobs: int = 20,
    fdr: float = 0.05,
    out: TextIO | None = None,
    rules: Sequence[Rule] = (),
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> int:
    """Compare, print the regressions in ``output_format`` and return the exit code (see the module doc).

    ``rules`` (absolute limits, :func:`check_rules`) are judged on the current period; a breach counts
    like a regression. ``on_result`` receives the JSON payload (with ``findings``: one line per regression,
    new reason and breach), e.g. to notify a chat.
    """
    out = out or sys.stdout
    zone = tz or dt.timezone.utc
    current, base = check_windows(df, since=since, baseline=baseline, until=until, tz=zone)
    result = compare_periods(df, current=current, baseline=base, by=list(by), min_jobs=min_jobs, fdr=fdr)
    reasons = new_fail_reasons(df, current=current, baseline=base)
    baseline_jobs = _jobs_in(df, base)
    reasons_judged = baseline_jobs >= min_jobs
    if not reasons_judged:  # every reason is "new" against nothing: no verdict without a baseline
        reasons = reasons.iloc[:0]
    keys = [column for column in result.columns if column not in RESULT_COLUMNS]
    counted = result.loc[(result["verdict"] == "regressed") & result["metric"].isin(list(fail_on))]
    summary = {verdict: int((result["verdict"] == verdict).sum()) for verdict in VERDICTS}
    judged = len(result) - summary["insufficient"]
    new_counted = len(reasons) if "fail_reason" in fail_on else 0
    breaches = _breaches(df, rules, current)
    if len(counted) or new_counted or breaches:
        code = EXIT_REGRESSION
    elif judged == 0:
        code = EXIT_INSUFFICIENT
    else:
        code = EXIT_OK
    rows = _records(counted)
    context = {
        "current": current,
        "baseline": base,
        "zone": zone,
        "keys": keys,
        "summary": summary,
        "breaches": breaches,
        "code": code,
        "reasons_note": None
        if reasons_judged
        else f"new failure reasons not judged: the baseline has {baseline_jobs} job"
        f"{'s' if baseline_jobs != 1 else ''} (--min-jobs {min_jobs})",
    }
    payload = {
        "current": {"start": current[0].isoformat(), "end": current[1].isoformat()},
        "baseline": {"start": base[0].isoformat(), "end": base[1].isoformat()},
        "by": keys,
        "fail_on": list(fail_on),
        "summary": summary,
        "exit_code": code,
        "regressions": rows,
        "new_fail_reasons": _records(reasons.drop(columns=["sample_job_ids"])),
        "new_fail_reasons_judged": bool(reasons_judged),
        "rows": _records(result),
        "breaches": breaches,
        "findings": _findings(rows, reasons, breaches, keys),
    }
    if output_format == "json":
        out.write(_json_safe(json.dumps(payload, indent=2, ensure_ascii=False)) + "\n")
    elif output_format == "markdown":
        out.write(terminal_safe(_markdown(rows, reasons, context)))
    else:
        out.write(terminal_safe(_text(rows, reasons, context)))
    if on_result is not None:
        on_result(payload)
    return code


def _jobs_in(df: pd.DataFrame, window: tuple[pd.Timestamp, pd.Timestamp]) -> int:
    """Jobs created in ``[start, end)``."""
    if "created" not in df.columns:
        return 0
    created = pd.to_datetime(df["created"], utc=True)
    return int(created.between(window[0], window[1], inclusive="left").sum())


def _json_safe(text: str) -> str:
    """JSON already escapes C0 controls; DEL, C1 controls, bidi overrides and lone surrogates become
    ``\\uXXXX`` escapes too (still valid JSON, same value)."""
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _breaches(df: pd.DataFrame, rules: Sequence[Rule], current: Any) -> list[dict[str, Any]]:
    """The breached absolute rules on the current period, JSON-ready (none without rules)."""
    if not rules:
        return []
    from .._rules._check import check_rules

    return check_rules(df, rules, window=current).to_records()


def _regression_line(row: dict[str, Any], keys: Sequence[str]) -> str:
    metric = row["metric"]
    return (
        f"REGRESSED  {terminal_safe(_group(row, keys), one_line=True)}  {metric}  "
        f"{_value(metric, _num(row['baseline']))} → {_value(metric, _num(row['current']))}  "
        f"({_change(metric, _numbers(row))})  q={_num(row['q_value']):.2g}  "
        f"n={row['n_baseline']}/{row['n_current']}"
    )


def _reason_line(reason: Any) -> str:
    template = terminal_safe(reason.template, one_line=True)
    return f"NEW REASON  {reason.count} jobs on {reason.instances} instance(s): {template}"


def _findings(
    rows: list[dict[str, Any]], reasons: pd.DataFrame, breaches: list[dict[str, Any]], keys: Sequence[str]
) -> list[str]:
    """One line per finding, as the text format prints them: breaches, regressions, new reasons."""
    return [
        *(f"BREACH  {breach['text']}" for breach in breaches),
        *(_regression_line(row, keys) for row in rows),
        *(_reason_line(reason) for reason in reasons.itertuples(index=False)),
    ]


def _headline(context: dict[str, Any]) -> str:
    summary = context["summary"]
    zone = context["zone"]
    return (
        f"current {_period(context['current'], zone)} vs baseline {_period(context['baseline'], zone)}: "
        + ", ".join(f"{count} {verdict}" for verdict, count in summary.items())
    )


def _text(rows: list[dict[str, Any]], reasons: pd.DataFrame, context: dict[str, Any]) -> str:
    lines = [f"ddsjobs check: {_headline(context)}"]
    lines += _findings(rows, reasons, context["breaches"], context["keys"])
    if context["reasons_note"]:
        lines.append(context["reasons_note"][0].upper() + context["reasons_note"][1:] + ".")
    if _VERDICT_LINE.get(context["code"]):
        lines.append(_VERDICT_LINE[context["code"]])
    return "\n".join(lines) + "\n"


_VERDICT_LINE = {
    EXIT_OK: "No regression.",
    EXIT_INSUFFICIENT: "Not enough data to judge: no regression can be claimed either way.",
}


def _markdown(rows: list[dict[str, Any]], reasons: pd.DataFrame, context: dict[str, Any]) -> str:
    code = context["code"]
    if rows:
        title = f"{len(rows)} regression{'s' if len(rows) != 1 else ''}"
    elif code == EXIT_INSUFFICIENT:
        title = "not enough data"
    elif len(reasons):
        title = "new failure reasons"
    else:
        title = "no regression"
    if context["breaches"]:
        title += f", {len(context['breaches'])} rule breach(es)"
    lines = [f"**ddsjobs check: {title}** — {_headline(context)}", ""]
    if rows:
        lines += [
            "| group | metric | baseline → current | change | q | jobs |",
            "|---|---|---|---|---|---|",
        ]
        for row in rows:
            metric = row["metric"]
            cells = [
                terminal_safe(_group(row, context["keys"]), one_line=True).replace("|", "\\|"),
                f"`{metric}`",
                f"{_value(metric, _num(row['baseline']))} → {_value(metric, _num(row['current']))}",
                _change(metric, _numbers(row)),
                f"{_num(row['q_value']):.2g}",
                f"{row['n_baseline']} → {row['n_current']}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    if context["breaches"]:
        lines += ["", "Rule breaches:", ""]
        lines += [f"- {breach['text']}" for breach in context["breaches"]]
    if len(reasons):
        lines += ["", "New failure reasons:", ""]
        for reason in reasons.itertuples(index=False):
            template = terminal_safe(reason.template, one_line=True).replace("`", "'")
            lines.append(f"- {reason.count} jobs on {reason.instances} instance(s): `{template}`")
    if context["reasons_note"]:
        lines += ["", context["reasons_note"][0].upper() + context["reasons_note"][1:] + "."]
    return "\n".join(lines) + "\n"


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _numbers(row: dict[str, Any]) -> dict[str, float]:
    return {key: _num(row[key]) for key in ("change", "ci_low", "ci_high")}
