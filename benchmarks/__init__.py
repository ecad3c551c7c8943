"""Benchmarks of lmtx (run ``python -m benchmarks --help``)."""
