"""Prometheus metrics from a jobs frame: :mod:`._collector` builds fresh metric families from the data (a
custom collector, no global counters); :mod:`._exposition` writes them to a file for node_exporter's
textfile collector (atomically), to text, or pushes them to a Pushgateway.
"""

__all__ = ["DEFAULT_PUSH_JOB", "DEFAULT_TOP_JOB_TYPES"]

# Declared here, where nothing heavy is imported, so the command line's defaults are these very values.
DEFAULT_TOP_JOB_TYPES = 20  # job types labelled by name; the rest are pooled as "other"
DEFAULT_PUSH_JOB = "ddsjobs"  # the Pushgateway job name
