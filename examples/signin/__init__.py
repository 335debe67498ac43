"""Example function code folder (the package marker keeps mypy's module names unique)."""
