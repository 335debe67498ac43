"""Tests for fcsdk/_ship/selfwheel.py: the running fcsdk's wheel, when no index serves fcsdk."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

import fcsdk
from fcsdk._ship.build import build_package
from fcsdk._ship.requirements import PipOptions
from fcsdk._ship.selfwheel import write_fcsdk_wheel
from fcsdk.cli import main
from fcsdk.exceptions import ConfigurationError, NoMatchingWheelError
from tests._ship.helpers import make_project, make_wheel


def test_the_wheel_is_valid_and_reproducible(tmp_path: Path) -> None:
    """The wheel holds fcsdk, its metadata, WHEEL and a RECORD whose hashes check; same bytes."""
    first = write_fcsdk_wheel(tmp_path / "a")
    second = write_fcsdk_wheel(tmp_path / "b")
    assert first.name == f"fcsdk-{fcsdk.__version__}-py3-none-any.whl"
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zf:
        listed = zf.namelist()
        info = f"fcsdk-{fcsdk.__version__}.dist-info"
        record = zf.read(f"{info}/RECORD").decode().splitlines()
        for row in record:
            name, digest, size = row.split(",")
            if not digest:
                continue
            data = zf.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == "sha256=" + expected.decode(), name
            assert int(size) == len(data)
        assert "Requires-Dist: pydantic" in zf.read(f"{info}/METADATA").decode()
        assert "fcsdk.cli:main" in zf.read(f"{info}/entry_points.txt").decode()
        assert zf.read(f"{info}/WHEEL") == (
            b"Wheel-Version: 1.0\nGenerator: fcsdk\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
    assert "fcsdk/__init__.py" in listed
    assert "fcsdk/_scaffold/templates/common/Makefile.tmpl" in listed
    assert not [n for n in listed if "__pycache__" in n or n.endswith(".pyc")]


def test_pip_installs_it(tmp_path: Path) -> None:
    """pip accepts the wheel: installed with --target, fcsdk imports from there."""
    wheel = write_fcsdk_wheel(tmp_path / "w")
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    assert (target / "fcsdk" / "__init__.py").is_file()
    assert (target / f"fcsdk-{fcsdk.__version__}.dist-info" / "METADATA").is_file()


def test_the_command_writes_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fcsdk package --fcsdk-wheel DIR writes the wheel there (DIR from the current folder)."""
    monkeypatch.chdir(tmp_path)
    assert main(["package", "--fcsdk-wheel", "wheels"]) == 0
    assert (tmp_path / "wheels" / f"fcsdk-{fcsdk.__version__}-py3-none-any.whl").is_file()


def fake_dependencies(house: Path) -> PipOptions:
    """Small stand-ins for fcsdk's own requirements, so pip resolves offline."""
    from importlib import metadata

    from packaging.requirements import Requirement

    for line in metadata.requires("fcsdk") or []:
        req = Requirement(line)
        # fcsdk's own requirements, not an extra's; pip reads markers on the running
        # Python, so on 3.10 tomli (python_version < '3.11') is wanted for any target too
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            make_wheel(house, req.name, metadata.version(req.name))
    return PipOptions(find_links=(str(house),), no_index=True)


def test_a_pinned_fcsdk_no_index_serves_comes_from_the_running_one(tmp_path: Path) -> None:
    """fcsdk==<running version> with no index that has it: the running fcsdk is packaged."""
    project = make_project(tmp_path / "p", requirements_txt=f"fcsdk=={fcsdk.__version__}\n")
    report = build_package(
        project, pip=fake_dependencies(tmp_path / "house"), compile_bytecode=False
    )
    with zipfile.ZipFile(report.path) as zf:
        listed = zf.namelist()
    assert "fcsdk/__init__.py" in listed
    assert f"fcsdk-{fcsdk.__version__}.dist-info/METADATA" in listed
    assert ("fcsdk " + fcsdk.__version__) in dict(report.largest)


def test_another_pinned_version_names_the_running_one(tmp_path: Path) -> None:
    """A pin the running fcsdk cannot satisfy fails, saying which fcsdk is running."""
    project = make_project(tmp_path / "p", requirements_txt="fcsdk==99.0.0\n")
    with pytest.raises(NoMatchingWheelError) as e:
        build_package(project, pip=fake_dependencies(tmp_path / "house"), compile_bytecode=False)
    running = fcsdk.__version__
    assert str(e.value) == (
        f"no index serves the fcsdk your requirements pin, and the running fcsdk is {running}: "
        f"pin fcsdk=={running}, or pass the folder of a matching fcsdk wheel with --find-links"
    )
    assert e.value.requirement == "fcsdk"
    # The traceback (--debug) shows pip's first refusal, before the running fcsdk was tried.
    first = e.value.__cause__
    assert isinstance(first, NoMatchingWheelError)
    assert first.requirement == "fcsdk"
    assert "fcsdk==99.0.0" in first.pip_output
    # the error keeps the tags that would have fitted, and pip's second refusal (which
    # looked at the running fcsdk's wheel too)
    assert first.tags
    assert e.value.tags == first.tags
    assert "fcsdk-wheel" in e.value.pip_output


def test_other_missing_wheels_are_reported_as_before(tmp_path: Path) -> None:
    """When fcsdk is found but another requirement is not, that requirement is named."""
    project = make_project(
        tmp_path / "p", requirements_txt=f"fcsdk=={fcsdk.__version__}\nnot-there==1\n"
    )
    with pytest.raises(NoMatchingWheelError) as e:
        build_package(project, pip=fake_dependencies(tmp_path / "house"), compile_bytecode=False)
    assert e.value.requirement == "not-there"


class EmptyDistribution:
    """Installed metadata without a METADATA file."""

    version = "0.1.0"

    def read_text(self, name: str) -> str:
        """No files."""
        return ""


def test_no_installed_metadata_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without fcsdk's metadata (or its METADATA file) the wheel cannot be written."""
    from importlib import metadata

    def missing(name: str) -> object:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", missing)
    assert main(["package", "--fcsdk-wheel", str(tmp_path / "w")]) == 2
    assert "the running fcsdk is not installed" in capsys.readouterr().err
    monkeypatch.setattr(metadata, "distribution", lambda name: EmptyDistribution())
    with pytest.raises(ConfigurationError, match="has no METADATA"):
        write_fcsdk_wheel(tmp_path / "w")


def test_entries_are_plain_files_readable_by_all(tmp_path: Path) -> None:
    """Each entry carries mode 0644, into a folder made with its parents."""
    wheel = write_fcsdk_wheel(tmp_path / "not" / "yet")
    assert wheel.parent == tmp_path / "not" / "yet"
    with zipfile.ZipFile(wheel) as zf:
        assert {info.external_attr >> 16 for info in zf.infolist()} == {0o644}


def test_an_interrupted_write_leaves_no_wheel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails midway leaves only the .partial file, never a truncated wheel."""
    writes = 0
    real = zipfile.ZipFile.writestr

    def failing(self: zipfile.ZipFile, *args: Any, **kwargs: Any) -> None:
        nonlocal writes
        writes += 1
        if writes > 3:
            raise OSError(28, "No space left on device")
        real(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing)
    with pytest.raises(OSError, match="No space left"):
        write_fcsdk_wheel(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [
        f"fcsdk-{fcsdk.__version__}-py3-none-any.whl.partial"
    ]
