"""A module that raises while being imported."""

raise RuntimeError("misconfigured at import time")
