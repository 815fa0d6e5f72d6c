"""``python -m jlpr`` runs the command line, like the ``jlpr`` script."""

from jlpr.cli import main

raise SystemExit(main())
