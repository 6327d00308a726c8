"""Progress of long calls: an optional tqdm bar and the caller's ``on_progress(done, total)`` callback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Progress", "ProgressCallback"]

# ``(done, total)``: jobs read so far (listings: ``total`` None) or ids finished of ``total`` (batches).
ProgressCallback = Callable[[int, "int | None"], None]


class Progress:
    """The optional tqdm bar and the caller's ``on_progress(done, total)`` callback, fed together."""

    def __init__(self, enabled: bool, callback: ProgressCallback | None, **options: Any) -> None:
        from tqdm.auto import tqdm

        # ``delay``: short calls never draw a bar; long fetches show one after a second.
        self.bar = tqdm(disable=not enabled, delay=1.0, leave=False, **options)
        self.callback = callback
        self.total: int | None = options.get("total")
        self.jobs = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.bar.close()

    def job_done(self) -> None:
        self.bar.update(1)
        self.jobs += 1
        if self.callback is not None:
            self.callback(self.jobs, self.total)

    def page_read(self, fresh: int) -> None:
        self.bar.update(1)
        self.jobs += fresh
        self.bar.set_postfix(jobs=self.jobs, refresh=False)
        if self.callback is not None:
            self.callback(self.jobs, None)
