"""Error replies of the simulated DDS task center and API gateway, with the documented codes."""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "error_body"]


class ApiError(Exception):
    """A request the service rejects: HTTP status, ``error_code`` and ``error_msg``."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message)


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error_code": code, "error_msg": message}


# Documented codes (shared/dds-task-api.md §5). Choices where the reference is silent are noted.
def parameter_error(message: str) -> ApiError:
    return ApiError(400, "DBS.280001", message)


def invalid_start(message: str = "Invalid start_time.") -> ApiError:
    return ApiError(400, "DBS.280067", message)


def invalid_end(message: str = "Invalid end_time.") -> ApiError:
    return ApiError(400, "DBS.280068", message)


def invalid_time_format(field: str) -> ApiError:
    return ApiError(
        400, "DBS.280409", f"Invalid date or time format of {field}: expected yyyy-mm-ddThh:mm:ss+hhmm."
    )


def invalid_end_time(message: str) -> ApiError:
    return ApiError(400, "DBS.280416", message)


def invalid_limit() -> ApiError:
    return ApiError(400, "DBS.280439", "Invalid limit: an integer from 1 to 100 is required.")


def invalid_offset() -> ApiError:
    return ApiError(400, "DBS.280440", "Invalid offset: an integer of at least 0 is required.")


def invalid_project(project_id: str) -> ApiError:
    return ApiError(400, "DBS.280408", f"Invalid project ID {project_id!r}.")


def job_not_found(job_id: str) -> ApiError:
    # Undocumented for ShowJobDetail; we answer like "resource not found" elsewhere in DDS.
    return ApiError(400, "DBS.280016", f"The job {job_id!r} does not exist or can no longer be queried.")


def invalid_token() -> ApiError:
    return ApiError(401, "DBS.280056", "Invalid token.")


def bad_signature(reason: str) -> ApiError:
    return ApiError(401, "APIGW.0301", f"Incorrect IAM authentication information: {reason}")


def throttled(limit: float, retry_after: float | None) -> ApiError:
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
    message = (
        f"The throttling threshold has been reached: policy user over ratelimit,limit:{limit:g},time:1 second"
    )
    return ApiError(429, "APIGW.0308", message, headers)


def server_error() -> ApiError:
    return ApiError(500, "DBS.280005", "Server error. Try again later.")


def unavailable() -> ApiError:
    # Not in the DDS table: the gateway's "backend unavailable" (our choice of code).
    return ApiError(503, "APIGW.0202", "Backend unavailable.")


def no_such_api() -> ApiError:
    return ApiError(404, "APIGW.0101", "The API does not exist or has not been published in the environment.")
