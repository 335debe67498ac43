"""Typed models of every Function Compute trigger's event payload."""

from __future__ import annotations

__all__: list[str] = []
