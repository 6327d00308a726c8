"""A local, seeded simulator of the DDS task center (ShowJobDetail, ListTasks) and its API gateway.

Serves real HTTP on a loopback port from a :class:`~ddsjobs_analytics.simulator._sample.Fleet`, verifies AK/SK
signatures and tokens, validates queries with the documented error codes, and can throttle, fail, drop,
stall and move its clock, so clients and archives can be tested end to end without a cloud account::

    with running(jobs=500, seed=1) as sim:
        ...  # sim.url, sim.ak, sim.sk, sim.project_id; sim.inject("429"); sim.advance(3600)
"""

from ._errors import ApiError
from ._server import Simulator, running, serve
from ._service import FAULTS, Options, RequestRecord, TaskCenterService, parse_api_time

__all__ = [
    "FAULTS",
    "ApiError",
    "Options",
    "RequestRecord",
    "Simulator",
    "TaskCenterService",
    "parse_api_time",
    "running",
    "serve",
]
