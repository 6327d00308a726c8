"""The ``ddsjobs`` command: the parser, one body per command, console output. The only place that wires the
client, the simulator, the archive and the analysis together.
"""

from ._main import main

__all__ = ["main"]
