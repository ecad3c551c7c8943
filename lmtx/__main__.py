"""``python -m lmtx``: the command line."""

from lmtx.cli import main

raise SystemExit(main())
