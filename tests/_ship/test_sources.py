"""Tests for fcsdk/_ship/sources.py and native.py: what pip would build, and compiled files."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from fcsdk._ship.native import (
    check_installed,
    foreign_abi,
    is_native,
    native_files,
    native_in_wheel,
    pure_tags,
)
from fcsdk._ship.sources import (
    SourceReference,
    find_source_references,
    local_folder,
    needs_build,
    rewrite_requirements,
)
from fcsdk._ship.target import Target
from fcsdk.exceptions import PackageError


class TestFindSourceReferences:
    def test_includes_continuations_comments_and_options(self, tmp_path: Path) -> None:
        """-r/-c followed once (loops too), continuations joined, comments and options skipped."""
        (tmp_path / "sub").mkdir()
        (tmp_path / "requirements.txt").write_text(
            "# top\n-r sub/more.txt\n--constraint=sub/pins.txt\n-r https://example.invalid/r.txt\n"
            "--index-url https://example.invalid/simple\n"
            "pydantic>=2 \\\n  --hash=sha256:abc  # pinned\n"
            "./libs/a \\\n"
        )
        (tmp_path / "sub" / "more.txt").write_text(
            "-r more.txt\n-r ../requirements.txt\nlib @ git+https://x.invalid/l.git\n"
        )
        (tmp_path / "sub" / "pins.txt").write_text("-r missing.txt\nfile:///srv/lib-1.0.tar.gz\n")
        found = find_source_references(tmp_path / "requirements.txt", ())
        assert [(r.file.name, r.line, r.reference) for r in found] == [
            ("more.txt", 3, "git+https://x.invalid/l.git"),
            ("pins.txt", 2, "file:///srv/lib-1.0.tar.gz"),
            ("requirements.txt", 8, "./libs/a"),
        ]
        assert found[0].where == "more.txt line 3"

    @pytest.mark.parametrize(
        ("reference", "built"),
        [
            ("https://example.invalid/x-1.0-py3-none-any.whl#sha256=ab", False),
            ("https://example.invalid/x-1.0.tar.gz?x=1", True),
            ("lib-1.0.zip", True),
            ("C:\\libs\\x", True),
            ("~/libs/x", True),
            ("libs/localpkg", True),
            ("requests[socks]", False),
        ],
    )
    def test_what_needs_a_build(self, reference: str, built: bool) -> None:
        """Anything but a wheel, named by path or URL, is built; a plain name is not."""
        assert needs_build(reference) is built

    def test_a_file_that_is_not_utf8(self, tmp_path: Path) -> None:
        """A requirements file with a byte that is not UTF-8 is still read."""
        (tmp_path / "requirements.txt").write_bytes(b"# caf\xe9\n./libs/x\n")
        (found,) = find_source_references(tmp_path / "requirements.txt", ())
        assert found.reference == "./libs/x"

    def test_no_source_gives_nothing(self) -> None:
        """A project without requirements has no references."""
        assert find_source_references(None, ()) == []


class TestLocalFolder:
    def test_paths_and_file_urls(self, tmp_path: Path) -> None:
        """A relative path reads from cwd; a file:// URL names a folder; others are not folders."""
        (tmp_path / "lib").mkdir()
        ref = SourceReference(tmp_path / "r.txt", 1, "./lib")
        assert local_folder(ref, tmp_path) == tmp_path / "lib"
        url = SourceReference(tmp_path / "r.txt", 1, (tmp_path / "lib").as_uri() + "#egg=lib")
        assert local_folder(url, Path("/")) == tmp_path / "lib"
        assert (
            local_folder(SourceReference(tmp_path, 1, "https://x.invalid/a.tar.gz"), tmp_path)
            is None
        )
        assert local_folder(SourceReference(tmp_path, 1, "./lib.tar.gz"), tmp_path) is None


class TestRewriteRequirements:
    def test_includes_point_at_their_rewritten_copies(self, tmp_path: Path) -> None:
        """The top file keeps its name; -r/-c become absolute copies; a built line is replaced."""
        (tmp_path / "base.txt").write_text("./libs/a ; python_version > '3'\n")
        (tmp_path / "requirements.txt").write_text(
            "-r base.txt\n-c base.txt\n-r nowhere.txt\ndemo\n"
        )
        out = rewrite_requirements(
            tmp_path / "requirements.txt",
            (),
            {(tmp_path / "base.txt", 1): "/w/a.whl ; python_version > '3'"},
            tmp_path / "scratch",
        )
        assert out.name == "requirements.txt"
        lines = out.read_text().splitlines()
        copy = Path(lines[0].split(" ", 1)[1])
        assert lines[1] == f"-c {copy}"
        assert lines[2:] == ["-r nowhere.txt", "demo"]
        assert copy.read_text() == "/w/a.whl ; python_version > '3'\n"

    def test_a_nested_file_of_the_same_name_and_a_long_constraint(self, tmp_path: Path) -> None:
        """A nested requirements.txt gets a numbered copy; --constraint stays; bad UTF-8 is read."""
        (tmp_path / "sub").mkdir()
        (tmp_path / "sub" / "requirements.txt").write_text("demo\n")
        (tmp_path / "pins.txt").write_text("demo==1.0\n")
        (tmp_path / "requirements.txt").write_bytes(
            b"-r sub/requirements.txt\n--constraint pins.txt\nother  # caf\xe9, not UTF-8\n"
        )
        scratch = tmp_path / "scratch"
        out = rewrite_requirements(tmp_path / "requirements.txt", (), {}, scratch)
        assert out == scratch / "requirements.txt"
        assert out.read_text() == (
            f"-r {scratch / '1-requirements.txt'}\n-c {scratch / '2-pins.txt'}\nother\n"
        )
        assert (scratch / "1-requirements.txt").read_text() == "demo\n"

    def test_copies_of_folders_are_numbered(self, tmp_path: Path) -> None:
        """Each copied folder gets the next number in the same scratch folder."""
        from fcsdk._ship.sources import copy_folder

        (tmp_path / "lib").mkdir()
        (tmp_path / "lib" / "setup.py").write_text("")
        scratch = tmp_path / "a" / "copies"
        assert copy_folder(tmp_path / "lib", scratch) == scratch / "0-lib"
        assert copy_folder(tmp_path / "lib", scratch) == scratch / "1-lib"
        assert (scratch / "1-lib" / "setup.py").is_file()

    def test_links_are_copied_as_links_and_one_leading_out_still_leads_there(
        self, tmp_path: Path
    ) -> None:
        """A link inside stays relative, a dangling one is kept, one leading out still reads."""
        from fcsdk._ship.sources import copy_folder

        lib = tmp_path / "libs" / "localpkg"
        (lib / "localpkg").mkdir(parents=True)
        (lib / "localpkg" / "__init__.py").write_text("from localpkg.shared import X\n")
        (lib / "localpkg" / "alias.py").symlink_to("__init__.py")
        (lib / "localpkg" / "stale.py").symlink_to("gone.py")
        (tmp_path / "libs" / "shared").mkdir()
        (tmp_path / "libs" / "shared" / "__init__.py").write_text("X = 1\n")
        (lib / "localpkg" / "shared").symlink_to(Path("..", "..", "shared"))
        (lib / "top").symlink_to("..")
        copy = copy_folder(lib, tmp_path / "scratch")
        assert os.readlink(copy / "localpkg" / "alias.py") == "__init__.py"
        assert os.readlink(copy / "localpkg" / "stale.py") == "gone.py"
        assert (copy / "localpkg" / "shared" / "__init__.py").read_text() == "X = 1\n"
        assert Path(os.readlink(copy / "localpkg" / "shared")).is_absolute()
        assert (copy / "top").resolve() == (tmp_path / "libs").resolve()
        assert sorted(p.name for p in (lib / "localpkg").iterdir()) == [
            "__init__.py",
            "alias.py",
            "shared",
            "stale.py",
        ]


class TestNative:
    def test_names_and_contents(self, tmp_path: Path) -> None:
        """Mach-O by content, .pyd and .dylib by name; text never; foreign ABIs by tag."""
        assert is_native("lib.dylib")
        assert is_native("x.pyd")
        assert is_native("blob", b"\xcf\xfa\xed\xfe")
        assert not is_native("notes.txt", b"\x7fELF")
        t = Target.for_runtime("python3.10")
        assert foreign_abi("a/b.cpython-312-x86_64-linux-gnu.so", t)
        assert not foreign_abi("a/b.cpython-310-x86_64-linux-gnu.so", t)
        assert pure_tags(["py2-none-any", "py3-none-any"])
        assert not pure_tags([])
        wheel = tmp_path / "w.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr("pkg/", b"")
            zf.writestr("pkg/a.so", b"")
        assert native_in_wheel(wheel) == ["pkg/a.so"]
        assert native_files([("gone.bin", tmp_path / "gone.bin")]) == []  # unreadable: no bytes

    def test_installed_distributions_without_metadata(self, tmp_path: Path) -> None:
        """A dist-info without RECORD or WHEEL is no crash; a RECORD's ../ paths are skipped."""
        (tmp_path / "norecord-1.0.dist-info").mkdir()
        info = tmp_path / "nowheel-1.0.dist-info"
        info.mkdir()
        (info / "RECORD").write_text("../bin/x,,\nnowheel/a.so,,\n")
        (tmp_path / "nowheel").mkdir()
        (tmp_path / "nowheel" / "a.so").write_bytes(b"\x7fELF")
        check_installed(tmp_path, Target.for_runtime("python3.12"))  # no tags: not claimed pure
        (info / "WHEEL").write_text("Tag: py3-none-any\n")
        with pytest.raises(PackageError, match=r"nowheel 1\.0's wheel is tagged py3-none-any"):
            check_installed(tmp_path, Target.for_runtime("python3.12"))
        # a WHEEL file that is not UTF-8 (a builder's Latin-1 comment) is read all the same
        (info / "WHEEL").write_bytes(b"Generator: caf\xe9 1.0\nTag: py3-none-any\n")
        with pytest.raises(PackageError, match=r"nowheel 1\.0's wheel is tagged py3-none-any"):
            check_installed(tmp_path, Target.for_runtime("python3.12"))

    def test_what_is_native_by_name_and_by_content(self, tmp_path: Path) -> None:
        """Only the leaf's name counts; a pyc or text with ELF's first bytes is not native."""
        assert not is_native("x.so.d/readme.txt")
        assert not is_native("lib.so/readme")
        assert is_native("pkg/blob", b"\x7fELF")
        assert not is_native("pkg/mod.PYC", b"\x7fELF")
        t = Target.for_runtime("python3.12")
        assert not foreign_abi("site/_x.cpython-311-data/mod.so", t)
        assert foreign_abi("site/_x.cpython-312-data/mod.cpython-311-x86_64-linux-gnu.so", t)
        wheel = tmp_path / "w.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr("pkg/blob", b"\x7fELF\x02\x01")
            zf.writestr("pkg/data.txt", b"\x7fELF")
            zf.writestr("pkg/__init__.py", b"")
        assert native_in_wheel(wheel) == ["pkg/blob"]

    def _dist(self, staging: Path, name: str, wheel: str, files: dict[str, bytes]) -> None:
        info = staging / f"{name}.dist-info"
        info.mkdir(parents=True)
        (info / "WHEEL").write_text(wheel)
        record = "".join(f"{rel},sha256=x,{len(data)}\n" for rel, data in files.items())
        (info / "RECORD").write_bytes(record.encode() + b"# caf\xe9\n")  # not UTF-8
        for rel, data in files.items():
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            (staging / rel).write_bytes(data)

    def test_a_pure_tagged_wheel_with_compiled_code_is_refused_by_name(
        self, tmp_path: Path
    ) -> None:
        """The message names the distribution, its tags and the first three native files."""
        self._dist(
            tmp_path,
            "old-style-2.0",
            "Wheel-Version: 1.0\nTag:py2-none-any\nTag: py3-none-any\n",
            {f"old_style/m{i}.so": b"\x7fELF" for i in range(4)} | {"old_style/a.py": b""},
        )
        with pytest.raises(PackageError) as caught:
            check_installed(tmp_path, Target.for_runtime("python3.12"))
        assert str(caught.value) == (
            "old-style 2.0's wheel is tagged py2-none-any, py3-none-any (pure Python) but holds "
            "compiled code (old_style/m0.so, old_style/m1.so, old_style/m2.so), built for some "
            "machine, not for FC's Linux: use a wheel built for the target (manylinux, the "
            "runtime's CPython), or build one on manylinux and pass its folder with --find-links"
        )

    def test_the_wheel_file_is_read_as_utf8_in_any_locale(self, tmp_path: Path) -> None:
        """Under the C locale (ASCII) too, a WHEEL file's tags are decoded as UTF-8, as written."""
        import locale

        self._dist(tmp_path, "odd-1.0", "", {"odd/m.so": b"\x7fELF"})
        (tmp_path / "odd-1.0.dist-info" / "WHEEL").write_bytes("Tag: py3-nöne-any\n".encode())
        saved = locale.setlocale(locale.LC_CTYPE)
        locale.setlocale(locale.LC_CTYPE, "C")
        try:
            with pytest.raises(PackageError, match=r"odd 1\.0's wheel is tagged py3-nöne-any "):
                check_installed(tmp_path, Target.for_runtime("python3.12"))
        finally:
            locale.setlocale(locale.LC_CTYPE, saved)

    def test_compiled_code_for_another_python_is_refused(self, tmp_path: Path) -> None:
        """An extension naming CPython 3.11 in a 3.12 package: the first three are named."""
        names = [f"ext/m{i}.cpython-311-x86_64-linux-gnu.so" for i in range(4)]
        self._dist(
            tmp_path,
            "ext-1.0",
            "Tag: cp311-cp311-manylinux_2_17_x86_64\n",
            dict.fromkeys(names, b"\x7fELF"),
        )
        with pytest.raises(PackageError) as caught:
            check_installed(tmp_path, Target.for_runtime("python3.12"))
        assert str(caught.value) == (
            "ext 1.0 holds compiled code for another Python than python3.12's CPython 3.12 "
            f"({', '.join(names[:3])}): it was built for some other interpreter and would "
            "not import on FC"
        )


class TestImportsAndProgress:
    def test_a_module_that_does_not_parse_is_skipped(self, tmp_path: Path) -> None:
        """A syntax error is left to the bytecode step; the other modules are still read."""
        from fcsdk._ship.imports import missing_imports

        (tmp_path / "bad.py").write_text("def f(:\n")
        (tmp_path / "ok.py").write_text("import yaml\n")
        code = {"bad.py": tmp_path / "bad.py", "ok.py": tmp_path / "ok.py"}
        assert missing_imports(code, set()) == {"yaml": ["ok.py"]}

    def test_neighbours_in_a_source_folder_are_the_projects(self, tmp_path: Path) -> None:
        """src/index.py importing src/helpers.py or src/shop/ by name needs no requirement."""
        from fcsdk._ship.imports import missing_imports

        (tmp_path / "index.py").write_text("import helpers\nfrom shop import cart\nimport yaml\n")
        code = {
            "src/index.py": tmp_path / "index.py",
            "src/helpers.py": tmp_path / "index.py",
            "src/shop/cart.py": tmp_path / "index.py",
        }
        assert missing_imports(code, set()) == {
            "yaml": ["src/helpers.py", "src/index.py", "src/shop/cart.py"]
        }

    def test_the_top_level_name_of_a_dotted_import(self, tmp_path: Path) -> None:
        """``import a.b.c`` and ``from a.b.c import x`` need ``a``; try-imports are optional."""
        from fcsdk._ship.imports import missing_imports

        (tmp_path / "index.py").write_text(
            "import google.cloud.storage\nfrom azure.core.pipeline import policies\n"
            "from . import sibling\ntry:\n    import ujson\nexcept ImportError:\n    pass\n"
        )
        assert missing_imports({"index.py": tmp_path / "index.py"}, set()) == {
            "azure": ["index.py"],
            "google": ["index.py"],
        }

    def test_top_level_names_of_installed_files(self) -> None:
        """A module's name drops its suffix; metadata folders provide no module."""
        from fcsdk._ship.imports import top_level_names

        assert top_level_names(
            [
                "six.py",
                "_cffi_backend.cpython-312-x86_64-linux-gnu.so",
                "yaml/__init__.py",
                "six-1.16.0.dist-info/RECORD",
                "demo-1.0.data/scripts/run",
            ]
        ) == {"six", "_cffi_backend", "yaml"}

    def test_requirement_hint_names_the_files_and_the_lines(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Up to three files are named (then an ellipsis); fcsdk is pinned, others by name."""
        from importlib import metadata

        from fcsdk._ship.imports import requirement_hint

        pin = f"fcsdk=={metadata.version('fcsdk')}"
        assert requirement_hint({"fcsdk": ["index.py"], "yaml": ["index.py"]}) == (
            "index.py imports fcsdk, yaml",
            f"    {pin}\n    yaml",
        )
        assert requirement_hint({"yaml": ["a.py", "b.py", "c.py"]}) == (
            "a.py, b.py, c.py import yaml",
            "    yaml",
        )
        assert requirement_hint({"yaml": ["d.py", "c.py"], "fcsdk": ["b.py", "a.py"]}) == (
            "a.py, b.py, c.py … import fcsdk, yaml",
            f"    {pin}\n    yaml",
        )

        def not_installed(name: str) -> str:
            raise metadata.PackageNotFoundError(name)

        monkeypatch.setattr(metadata, "version", not_installed)
        assert requirement_hint({"fcsdk": ["index.py"]}) == ("index.py imports fcsdk", "    fcsdk")

    def test_a_closed_stream_shows_nothing(self) -> None:
        """A stream whose isatty() raises (closed) turns the display off."""
        import io

        from fcsdk._ship.progress import Progress

        stream = io.StringIO()
        stream.close()
        progress = Progress(stream)
        assert progress.enabled is False
        progress.step("x")
        progress.close()

    def test_links_outside_are_skipped_without_a_list(self, tmp_path: Path) -> None:
        """collect_files without ``outside`` still never follows a link out; a dangling one too."""
        from fcsdk._ship.ignore import IgnoreRules, collect_files

        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "a.py").write_text("")
        (tmp_path / "p").mkdir()
        (tmp_path / "p" / "link").symlink_to(tmp_path / "out")
        (tmp_path / "p" / "gone").symlink_to(tmp_path / "nowhere")
        assert list(collect_files(tmp_path / "p", IgnoreRules([]))) == []
        outside: list[str] = []
        assert list(collect_files(tmp_path / "p", IgnoreRules([]), outside=outside)) == []
        assert outside == ["link"]
