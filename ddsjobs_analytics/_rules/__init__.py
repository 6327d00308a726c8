"""Absolute rules on a jobs frame ("backup failure rate above 5 %", "p95 of a resize above 1 h") → findings.

:mod:`._rule` declares a rule (no pandas, so the configuration file can be read cheaply); :mod:`._check`
evaluates rules on a frame; :mod:`._result` holds the findings and renders them (summary frame, text,
markdown, HTML). Nothing here fetches or sends: ``check`` and the notifiers take the result from here.
"""
