"""Prometheus metrics from a jobs frame: :mod:`._collector` builds fresh metric families from the data (a
custom collector, no global counters); :mod:`._exposition` writes them to a file for node_exporter's
textfile collector (atomically), to text, or pushes them to a Pushgateway.
"""
