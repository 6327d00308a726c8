"""ddsjobs_analytics — how long Huawei Cloud DDS operations take, how often each kind fails, and why."""

__version__ = "0.1.0"

__all__ = ["__version__"]
