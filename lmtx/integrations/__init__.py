"""Integrations with other tools, each an optional extra that ``import lmtx`` never imports.

- :mod:`lmtx.integrations.dask`: evaluate a population with Dask, on one
  machine or a cluster (``pip install 'lmtx[dask]'``).
"""
