"""Tests for fcsdk/_ship/archive.py: the deterministic zip."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from fcsdk._ship import archive
from fcsdk._ship.build import build_package
from fcsdk._ship.requirements import PipOptions
from fcsdk.exceptions import ConfigurationError
from tests._ship.helpers import make_project, sha256


class TestDeterministicZip:
    def test_entries_sorted_with_fixed_time_and_permissions(self, tmp_path: Path) -> None:
        """Entries are sorted and carry 1980-01-01 and 0644/0755, whatever the files had."""
        (tmp_path / "b.py").write_text("b")
        (tmp_path / "a.sh").write_text("#!/bin/sh\n")
        (tmp_path / "a.sh").chmod(0o700)
        out = tmp_path / "out.zip"
        archive.write_zip(out, [("b.py", tmp_path / "b.py"), ("a.sh", tmp_path / "a.sh")])
        with zipfile.ZipFile(out) as zf:
            infos = zf.infolist()
        assert [i.filename for i in infos] == ["a.sh", "b.py"]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert [stat.S_IMODE(i.external_attr >> 16) for i in infos] == [0o755, 0o644]
        assert not (tmp_path / "out.zip.partial").exists()

    def test_source_date_epoch(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """SOURCE_DATE_EPOCH sets the entries' time (UTC, even seconds)."""
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1763884801")
        assert archive.fixed_timestamp() == (2025, 11, 23, 8, 0, 0)
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
        assert archive.fixed_timestamp() == (1980, 1, 1, 0, 0, 0)

    def test_source_date_epoch_is_clamped_to_what_a_zip_can_hold(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A SOURCE_DATE_EPOCH after 2107 gives the last time a zip holds, never 2108."""
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "4354819200")  # 2108-01-01T00:00:00Z
        assert archive.fixed_timestamp() == (2107, 12, 31, 23, 59, 58)
        monkeypatch.setenv("SOURCE_DATE_EPOCH", " 99999999999 ")
        assert archive.fixed_timestamp() == (2107, 12, 31, 23, 59, 58)

    def test_entries_sorted_by_archive_path_into_a_new_folder(self, tmp_path: Path) -> None:
        """Entries follow their archive paths (not the files'); missing parent folders are made."""
        (tmp_path / "z.txt").write_bytes(b"first")
        (tmp_path / "a.txt").write_bytes(b"second" * 300_000)  # more than one 1 MB read
        out = tmp_path / "dist" / "nested" / "out.zip"
        archive.write_zip(
            out,
            [("b/late.txt", tmp_path / "a.txt"), ("a/early.txt", tmp_path / "z.txt")],
            executables=["a/early.txt"],
        )
        with zipfile.ZipFile(out) as zf:
            got = [
                (
                    i.filename,
                    i.date_time,
                    i.compress_type,
                    i.create_system,
                    oct(i.external_attr >> 16),
                    zf.read(i),
                )
                for i in zf.infolist()
            ]
        assert got == [
            ("a/early.txt", (1980, 1, 1, 0, 0, 0), zipfile.ZIP_DEFLATED, 3, "0o100755", b"first"),
            (
                "b/late.txt",
                (1980, 1, 1, 0, 0, 0),
                zipfile.ZIP_DEFLATED,
                3,
                "0o100644",
                b"second" * 300_000,
            ),
        ]
        assert sorted(p.name for p in out.parent.iterdir()) == ["out.zip"]

    def test_bad_source_date_epoch(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A SOURCE_DATE_EPOCH that is not an integer is a ConfigurationError."""
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
        with pytest.raises(ConfigurationError, match="SOURCE_DATE_EPOCH"):
            archive.fixed_timestamp()

    def test_failed_write_leaves_nothing(self, tmp_path: Path) -> None:
        """A source that vanishes mid-build leaves neither the zip nor a partial file."""
        out = tmp_path / "out.zip"
        with pytest.raises(FileNotFoundError):
            archive.write_zip(out, [("gone.py", tmp_path / "gone.py")])
        assert list(tmp_path.iterdir()) == []

    def test_same_inputs_same_bytes(self, tmp_path: Path, local: PipOptions) -> None:
        """Two builds of the same project, at different times and mtimes, are byte-identical."""
        project = make_project(tmp_path / "p")
        first = build_package(project, pip=local, output=tmp_path / "one.zip")
        os.utime(project / "index.py", (1, 1))
        (project / "lib" / "util.py").chmod(0o600)
        second = build_package(project, pip=local, output=tmp_path / "two.zip")
        assert first.sha256 == second.sha256 == sha256(tmp_path / "two.zip")
        assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()


# --------------------------------------------------------------------------- build_package
