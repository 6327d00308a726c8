"""One absolute rule: which jobs it watches (``job_type`` glob, optional ``region`` glob) and its limits.

Kept free of pandas so that :func:`ddsjobs_analytics.config.load_config` can build rules cheaply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

__all__ = ["DEFAULT_RULE_CONFIDENCE", "LIMITS", "RULE_KEYS", "Rule"]

# The confidence of the Wilson interval and of the Brookmeyer–Crowley interval a rule compares.
DEFAULT_RULE_CONFIDENCE = 0.95
# Every limit a rule may set, in the order the findings list them.
LIMITS: tuple[str, ...] = ("max_failure_rate", "max_p50", "max_p95", "max_stuck")


@dataclass(frozen=True)
class Rule:
    """Limits for the jobs whose ``job_type`` (and ``region``, when given) match the glob patterns.

    - ``max_failure_rate``: a share in [0, 1]; breached when the Wilson lower bound of the failure rate
      (failed / (completed + failed)) is above it, so 1 failure in 2 jobs is no alert at 5 %.
    - ``max_p50`` / ``max_p95``: seconds; breached when the lower end of the Brookmeyer–Crowley interval
      of the Kaplan–Meier quantile (Completed jobs as events, Running ones censored at their age) is above it.
    - ``max_stuck``: breached when more than this many Running jobs are stuck (:func:`stuck_jobs`).
    - ``min_jobs``: the evidence a group needs before its failure rate or durations are judged (jobs with
      a verdict, Completed + Failed); a smaller group is ``insufficient``, never a breach, like
      ``check --min-jobs``. Default: judged from the first job (the intervals alone guard small groups).

    Each limit is judged per matching ``job_type`` (and per ``region`` when the rule names one).
    """

    job_type: str = "*"
    region: str | None = None
    max_failure_rate: float | None = None
    max_p50: float | None = None
    max_p95: float | None = None
    max_stuck: int | None = None
    min_jobs: int | None = None
    confidence: float = DEFAULT_RULE_CONFIDENCE

    def __post_init__(self) -> None:
        if not isinstance(self.job_type, str) or not self.job_type:
            raise ValueError("job_type must be a non-empty glob pattern such as 'MongodbSnapshot*'")
        if self.region is not None and (not isinstance(self.region, str) or not self.region):
            raise ValueError("region must be a non-empty glob pattern such as 'cn-*'")
        if all(getattr(self, name) is None for name in LIMITS):
            raise ValueError(f"a rule needs at least one limit: {', '.join(LIMITS)}")
        rate = self.max_failure_rate
        if rate is not None and not (_is_number(rate) and 0.0 <= rate <= 1.0):
            raise ValueError(f"max_failure_rate is a share between 0 and 1 (0.05 = 5 %), not {rate!r}")
        for name in ("max_p50", "max_p95"):
            value = getattr(self, name)
            if value is not None and not (_is_number(value) and value > 0 and math.isfinite(value)):
                raise ValueError(f"{name} is a duration > 0 (seconds, or a text like '1h'), not {value!r}")
        for name in ("max_stuck", "min_jobs"):
            value = getattr(self, name)
            if value is not None and not (
                isinstance(value, int) and not isinstance(value, bool) and value >= 0
            ):
                raise ValueError(f"{name} is a whole number >= 0, not {value!r}")
        if not (_is_number(self.confidence) and 0.0 < self.confidence < 1.0):
            raise ValueError(f"confidence is in (0, 1), not {self.confidence!r}")

    @property
    def limits(self) -> dict[str, float]:
        """The limits this rule sets, by name, in ``LIMITS`` order."""
        return {name: getattr(self, name) for name in LIMITS if getattr(self, name) is not None}

    @property
    def label(self) -> str:
        """``job_type=MongodbSnapshot*`` (``, region=cn-*``): how findings name the rule."""
        return f"job_type={self.job_type}" + (f", region={self.region}" if self.region else "")


RULE_KEYS: tuple[str, ...] = tuple(field.name for field in fields(Rule))


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
