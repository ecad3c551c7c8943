"""The lmtx version (also the version of the knowledge base it ships)."""

__version__ = "0.4.0"
