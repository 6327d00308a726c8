"""``df.ddsjobs`` on every frame once the package is imported, without importing pandas to get there.

``import ddsjobs_analytics`` must stay light (the ``ddsjobs`` command answers ``--help`` without pandas), yet
``pd.read_parquet(...).ddsjobs`` must work whichever of the two was imported first. So the accessor is
registered right away when pandas is already loaded, else the moment pandas finishes importing. What is
registered is a stand-in that imports the real :class:`~ddsjobs_analytics._accessor.JobsAccessor` (and
with it the analysis modules) on first use, so registering never imports anything half-initialised.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

__all__ = ["register_accessor_with_pandas"]

ACCESSOR_NAME = "ddsjobs"


class DeferredAccessor:
    """Analyses of a jobs frame as ``df.ddsjobs.<name>(...)`` (see ``ddsjobs_analytics.jobs_frame``)."""

    def __new__(cls, frame: Any) -> Any:
        from ._accessor import JobsAccessor

        return JobsAccessor(frame)


def _register() -> None:
    import pandas as pd

    if ACCESSOR_NAME not in vars(pd.DataFrame):
        pd.api.extensions.register_dataframe_accessor(ACCESSOR_NAME)(DeferredAccessor)


class _AfterPandas(importlib.abc.MetaPathFinder):
    """Finds pandas like everyone else, then registers the accessor once its module has executed."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "pandas":
            return None
        sys.meta_path.remove(self)  # once is enough; the real finders take it from here
        spec = importlib.util.find_spec(fullname)
        loader = spec.loader if spec is not None else None
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        exec_module = loader.exec_module

        def exec_then_register(module: ModuleType) -> None:
            exec_module(module)
            _register()

        loader.exec_module = exec_then_register  # type: ignore[method-assign]
        return spec


def register_accessor_with_pandas() -> None:
    """Register ``df.ddsjobs`` now if pandas is loaded, else as soon as it is (idempotent)."""
    if "pandas" in sys.modules:
        _register()
    elif not any(isinstance(finder, _AfterPandas) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterPandas())
