"""Statistics on a jobs frame: durations and Kaplan-Meier, failure rates and Wilson intervals, busy intervals,
stuck jobs. Estimates only; nothing here draws or fetches.
"""
