"""The report's "What changed" section: the last 7 days against the 28 before, when the data covers both.

One :func:`what_changed` call runs :func:`compare_periods` and :func:`new_fail_reasons` once, with the
failure-reason templates the analysis already learned (so a message is templated once per report, and a
template is "new" by the same templating in both periods). When the data does not reach back over both
periods, nothing is compared and :attr:`WhatChanged.why` says so in one line.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import pandas as pd

from .._core._calendar import tz_label
from ._periods import compare_periods, default_periods, spans_periods
from ._reasons import new_fail_reasons

__all__ = ["WhatChanged", "what_changed"]

CURRENT, BASELINE = "7d", "28d"

Window = tuple[pd.Timestamp, pd.Timestamp]


class WhatChanged(NamedTuple):
    """The periods compared and, when the data spans both, the comparison and the new failure reasons.

    ``comparison`` is a :func:`compare_periods` result (None when not compared), ``new_reasons`` a
    :func:`new_fail_reasons` table; ``why`` is one line saying what was compared, or why nothing was.
    """

    current: Window | None
    baseline: Window | None
    comparison: pd.DataFrame | None
    new_reasons: pd.DataFrame | None
    why: str

    @property
    def changes(self) -> pd.DataFrame:
        """The regressions and improvements of :attr:`comparison` (empty when nothing was compared)."""
        if self.comparison is None:
            return pd.DataFrame()
        return self.comparison.loc[self.comparison["verdict"].isin(["regressed", "improved"])]


def _span(window: Window, zone: dt.tzinfo) -> str:
    start, end = (moment.tz_convert(zone) for moment in window)
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"


def what_changed(
    df: pd.DataFrame, *, by: str, tz: dt.tzinfo, templates: pd.Series | None = None
) -> WhatChanged:
    """Compare the last 7 days (up to the newest observation) with the 28 days before, per ``by`` group.

    ``templates``: the :func:`fail_reason_template` of ``df["fail_reason"]`` when already computed.
    """
    zone = tz_label(tz)
    if df.empty or not df["created"].notna().any():
        return WhatChanged(None, None, None, None, "Not compared: there are no jobs with a start time.")
    current, baseline = default_periods(df, current=CURRENT, baseline=BASELINE)
    periods = (
        f"the last 7 days ({_span(current, tz)}) with the 28 days before ({_span(baseline, tz)}, {zone})"
    )
    if not spans_periods(df, current=current, baseline=baseline, tz=tz):
        first, last = (pd.Timestamp(t).tz_convert(tz) for t in (df["created"].min(), df["created"].max()))
        starts = f"{first:%Y-%m-%d %H:%M} – {last:%Y-%m-%d %H:%M} {zone}"
        why = (
            f"Not compared: the jobs start {starts}, but comparing {periods} needs jobs from the first "
            "period's start into the last 7 days."
        )
        return WhatChanged(current, baseline, None, None, why)
    comparison = compare_periods(df, current=current, baseline=baseline, by=by, tz=tz)
    new = new_fail_reasons(df, current=current, baseline=baseline, tz=tz, templates=templates)
    return WhatChanged(current, baseline, comparison, new, f"Compared {periods}, per {by}.")
