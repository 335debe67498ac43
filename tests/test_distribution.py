"""Tests for pyproject.toml: what the installed distribution declares."""

from __future__ import annotations

import sys
from importlib.metadata import requires
from pathlib import Path

from packaging.requirements import Requirement

from fcsdk._ship.requirements import _load_toml


def declared() -> dict[str, Requirement]:
    """Return fcsdk's unconditional requirements (no extra), by distribution name."""
    found = {}
    for line in requires("fcsdk") or []:
        requirement = Requirement(line)
        if "extra" not in str(requirement.marker or ""):
            found[requirement.name] = requirement
    return found


class TestTOMLReader:
    def test_tomli_is_declared_where_tomllib_is_missing(self) -> None:
        """tomli is a dependency on Python 3.10 only (3.11 has tomllib), not borrowed from pip."""
        tomli = declared()["tomli"]
        assert tomli.marker is not None
        assert tomli.marker.evaluate({"python_version": "3.10"})
        assert not tomli.marker.evaluate({"python_version": "3.11"})

    def test_reads_pyproject_without_pip(self, tmp_path: Path) -> None:
        """The TOML reader (tomllib, or tomli on 3.10) imports no part of pip."""
        path = tmp_path / "pyproject.toml"
        path.write_text('[project]\nname = "x"\ndependencies = ["a>=1"]\n')
        assert _load_toml(path) == {"project": {"name": "x", "dependencies": ["a>=1"]}}
        assert "pip._vendor.tomli" not in sys.modules
