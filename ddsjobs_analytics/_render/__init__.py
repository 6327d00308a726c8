"""Rendering: matplotlib charts, the report's tables as CSV, Excel and HTML, and the report folder."""
