"""``python -m ddsjobs_analytics`` — the same as the ``ddsjobs`` command."""

from ddsjobs_analytics._cli import main

raise SystemExit(main())
