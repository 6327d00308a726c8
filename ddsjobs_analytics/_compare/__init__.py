"""Comparing periods: the per-type statistics and tests, new failure reasons, what changed, and the incident
comparison of one instance against its previous weeks.
"""
