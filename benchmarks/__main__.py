"""Entry point: ``python -m benchmarks [--smoke] [--json FILE]``."""

from benchmarks.bench import main

raise SystemExit(main())
