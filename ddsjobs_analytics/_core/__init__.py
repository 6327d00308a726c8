"""Shared vocabulary: time and calendar, job names, display formats, the column contract, and the DDS wire
format (API times, v3 names, request signing) that the client and the simulator share.
"""
