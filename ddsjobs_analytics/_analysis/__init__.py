"""The ``Analysis`` object (every statistic of one frame, computed once) and the instance post-mortem."""
