"""HTTP client for the DDS task center: AK/SK, token or password auth; retries, limits, typed errors.

``TaskCenter`` blocks (and works inside a running event loop, e.g. Jupyter); ``AsyncTaskCenter`` is the same
client as coroutines. Both list jobs over any time range (split into the API's 30-day windows), fetch jobs by
id concurrently, and build the analysis frame with ``fetch``.
"""

from ._auth import AkSkAuth, PasswordAuth, TokenAuth
from ._client import AsyncTaskCenter, TaskCenter
from ._config import ClientSettings
from ._errors import (
    AuthError,
    InvalidRequestError,
    NotFoundError,
    PartialResultError,
    PartialResultWarning,
    ProtocolError,
    ServerError,
    TaskCenterError,
    ThrottledError,
    TransportError,
)
from ._progress import ProgressCallback
from ._regions import REGIONS, default_endpoint
from ._retry import RateLimiter, RetryPolicy
from ._transport import JobBatch

__all__ = [
    "REGIONS",
    "AkSkAuth",
    "AsyncTaskCenter",
    "AuthError",
    "ClientSettings",
    "InvalidRequestError",
    "JobBatch",
    "NotFoundError",
    "PartialResultError",
    "PartialResultWarning",
    "PasswordAuth",
    "ProgressCallback",
    "ProtocolError",
    "RateLimiter",
    "RetryPolicy",
    "ServerError",
    "TaskCenter",
    "TaskCenterError",
    "ThrottledError",
    "TokenAuth",
    "TransportError",
    "default_endpoint",
]
