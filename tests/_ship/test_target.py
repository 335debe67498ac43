"""Tests for fcsdk/_ship/target.py: the runtimes, their Python, ABI and wheel tags."""

from __future__ import annotations

import pytest

from fcsdk._ship.target import Target
from fcsdk.exceptions import ConfigurationError
from tests._ship.helpers import ROOT


class TestTarget:
    def test_python312_runs_on_debian11_glibc(self) -> None:
        """python3.12 targets cp312 and glibc 2.31 (Debian 11) down to manylinux1."""
        t = Target.for_runtime("python3.12")
        assert (t.python_version, t.abi, t.arch) == ("3.12", "cp312", "x86_64")
        assert t.platforms[0] == "manylinux_2_31_x86_64"
        assert t.platforms[-1] == "manylinux1_x86_64"
        assert "manylinux2014_x86_64" in t.platforms
        assert "manylinux2010_x86_64" in t.platforms

    def test_python310_runs_on_debian10_glibc(self) -> None:
        """python3.10 targets cp310 and glibc 2.28 (Debian 10): no newer manylinux."""
        t = Target.for_runtime("python3.10")
        assert t.abi == "cp310"
        assert t.platforms[0] == "manylinux_2_28_x86_64"
        assert "manylinux_2_31_x86_64" not in t.platforms

    def test_python_version_override(self) -> None:
        """--python-version swaps the CPython but keeps the runtime's platform."""
        t = Target.for_runtime("python3.10", python_version="3.11")
        assert (t.abi, t.glibc) == ("cp311", (2, 28))

    @pytest.mark.parametrize(
        ("runtime", "arch", "version", "message"),
        [
            ("python3.9", "x86_64", None, "unknown runtime"),
            ("python3.12", "arm64", None, "unknown architecture"),
            ("python3.12", "x86_64", "3.9", "invalid Python version"),
            ("python3.12", "x86_64", "three", "invalid Python version"),
        ],
    )
    def test_bad_options(self, runtime: str, arch: str, version: str | None, message: str) -> None:
        """An unknown runtime, architecture or Python version is a ConfigurationError."""
        with pytest.raises(ConfigurationError, match=message):
            Target.for_runtime(runtime, arch=arch, python_version=version)

    def test_the_oldest_python_version_and_the_message(self) -> None:
        """3.10 is the oldest --python-version taken; 3.9 is refused with why."""
        assert Target.for_runtime("python3.12", python_version="3.10").abi == "cp310"
        with pytest.raises(ConfigurationError) as caught:
            Target.for_runtime("python3.12", python_version="3.9")
        assert str(caught.value) == (
            "invalid Python version '3.9': expected 3.X with X >= 10 "
            "(fcsdk needs Python 3.10 or newer)"
        )

    def test_an_unknown_runtime_or_architecture_and_the_message(self) -> None:
        """An unknown runtime is refused listing every runtime; an unknown arch, the one FC has."""
        with pytest.raises(ConfigurationError) as caught:
            Target.for_runtime("python3.9")
        assert str(caught.value) == (
            "unknown runtime 'python3.9': expected one of python3.10, python3.12, "
            "custom.debian12, custom.debian11, custom.debian10"
        )
        with pytest.raises(ConfigurationError) as caught:
            Target.for_runtime("python3.12", arch="arm64")
        assert str(caught.value) == (
            "unknown architecture 'arm64': FC's Python runtimes run on x86_64"
        )

    def test_describe_tags_names_abi_and_platforms(self) -> None:
        """The description lists the ABI and the manylinux range."""
        text = Target.for_runtime("python3.12").describe_tags()
        assert "cp312-cp312" in text
        assert "manylinux_2_31_x86_64" in text
        assert "py3-none-any" in text


# --------------------------------------------------------------------------- ignore rules


class TestOneRuntimeList:
    def test_every_command_offers_the_same_runtimes(self) -> None:
        """invoke, serve, init take RUNTIME_NAMES; package and coldstart the custom ones too."""
        import argparse

        from fcsdk._ship.target import CUSTOM_RUNTIMES, PACKAGE_RUNTIMES, RUNTIME_NAMES, RUNTIMES
        from fcsdk.cli import build_parser

        assert tuple(RUNTIMES) == RUNTIME_NAMES
        assert "python3.9" not in RUNTIME_NAMES  # fcsdk needs Python 3.10+
        assert tuple(PACKAGE_RUNTIMES) == RUNTIME_NAMES + tuple(CUSTOM_RUNTIMES)
        assert all(tuple(map(int, v[0].split("."))) >= (3, 10) for v in CUSTOM_RUNTIMES.values())
        parser = build_parser()
        (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        for command in ("invoke", "serve", "init", "package", "coldstart"):
            (runtime,) = [
                a for a in sub.choices[command]._actions if "--runtime" in a.option_strings
            ]
            expected = tuple(PACKAGE_RUNTIMES) if command in ("package", "coldstart") else None
            assert tuple(runtime.choices or ()) == (expected or RUNTIME_NAMES), command

    def test_requires_python_matches_the_oldest_runtime(self) -> None:
        """pyproject's requires-python is the oldest supported runtime's Python."""
        from fcsdk._ship.requirements import _load_toml
        from fcsdk._ship.target import RUNTIMES

        oldest = min(RUNTIMES.values(), key=lambda v: tuple(map(int, v[0].split("."))))[0]
        project = _load_toml(ROOT / "pyproject.toml")["project"]
        assert project["requires-python"] == f">={oldest}"

    def test_the_docs_list_the_same_runtimes(self) -> None:
        """The deploying guide's runtime tables name exactly the supported runtimes."""
        import re

        from fcsdk._ship.target import CUSTOM_RUNTIMES, PACKAGE_RUNTIMES, RUNTIME_NAMES

        text = (ROOT / "docs" / "deploying.md").read_text()
        (option,) = re.findall(r"\| `--runtime ([^`]+)` \|", text)
        assert tuple(option.split("\\|")) == tuple(PACKAGE_RUNTIMES)
        rows = re.findall(r"^\| `(python3\.\d+)` \|", text, flags=re.MULTILINE)
        assert tuple(dict.fromkeys(rows)) == RUNTIME_NAMES
        custom = re.findall(r"^\| `(custom\.debian\d+)` \| ([^|]+) \|", text, flags=re.MULTILINE)
        assert tuple(name for name, _ in custom) == tuple(CUSTOM_RUNTIMES)
        for name, system in custom:  # the table's glibc is the target's
            major, minor = CUSTOM_RUNTIMES[name][1]
            assert f"glibc {major}.{minor}" in system, name
        for guide in (ROOT / "docs").glob("*.md"):
            assert "python3.9" not in guide.read_text(), guide.name
