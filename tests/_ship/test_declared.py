"""Tests for fcsdk/_ship/declared.py: the handler, runtime and command s.yaml declares."""

from __future__ import annotations

from pathlib import Path

from fcsdk._scaffold import create_project
from fcsdk._ship.declared import Declared, declared_function


class TestDeclaredFunction:
    def test_the_scaffolds_s_yaml(self, tmp_path: Path) -> None:
        """A scaffold's s.yaml gives its handler and runtime."""
        create_project(tmp_path / "orders", template="event", runtime="python3.10")
        found = declared_function(tmp_path / "orders")
        assert found is not None
        assert (found.handler, found.runtime, found.command) == ("index.handler", "python3.10", ())

    def test_a_web_scaffolds_startup_command(self, tmp_path: Path) -> None:
        """A web scaffold's s.yaml gives its custom runtime and startup command."""
        create_project(tmp_path / "shop", template="web")
        assert declared_function(tmp_path / "shop") == Declared(
            source=tmp_path / "shop" / "s.yaml",
            handler="index.handler",
            runtime="custom.debian12",
            command=("/code/bootstrap",),
        )

    def test_the_functions_own_handler_not_a_lifecycle_hooks(self, tmp_path: Path) -> None:
        """A hook's handler nested deeper (even written first) never wins; quotes are dropped."""
        (tmp_path / "s.yml").write_text(
            "resources:\n  f:\n    props:\n"
            "      instanceLifecycleConfig:\n        preStop:\n          handler: index.stop\n"
            "      handler: 'src.index.main'  # the entry\n"
            "      runtime: custom.debian12\n"
            "      customRuntimeConfig:\n        command:\n          - /code/bootstrap\n"
            "        args: ['--port', \"9000\"]\n        port: 9000\n"
        )
        assert declared_function(tmp_path) == Declared(
            source=tmp_path / "s.yml",
            handler="src.index.main",
            runtime="custom.debian12",
            command=("/code/bootstrap", "--port", "9000"),
        )

    def test_a_flow_list_command(self, tmp_path: Path) -> None:
        """command: [python3, -m, fcsdk, web, index] reads as five words."""
        (tmp_path / "s.yaml").write_text(
            "props:\n  customRuntimeConfig:\n    command: [python3, -m, fcsdk, web, index]\n"
            "other:\n  command: [ignored]\n"
        )
        found = declared_function(tmp_path)
        assert found is not None
        assert found.command == ("python3", "-m", "fcsdk", "web", "index")
        assert found.handler is None

    def test_no_s_yaml_or_an_unreadable_one(self, tmp_path: Path) -> None:
        """No s.yaml gives None; one that is not UTF-8 too."""
        assert declared_function(tmp_path) is None
        (tmp_path / "s.yaml").write_bytes(b"\xff\xfe handler: x")
        assert declared_function(tmp_path) is None

    def test_first_of_equals_and_quotes_only_in_pairs(self, tmp_path: Path) -> None:
        """Of two keys at one depth the first wins; '' is empty; a lone quote is kept."""
        (tmp_path / "s.yaml").write_text(
            "resources:\n  f:\n    props:\n"
            "      handler: index.first\n      handler: index.second\n"
            '      runtime: "custom.debian12\n'
            "      customRuntimeConfig:\n        command: ['', /code/run, \"x]\n"
        )
        assert declared_function(tmp_path) == Declared(
            source=tmp_path / "s.yaml",
            handler="index.first",
            runtime='"custom.debian12',
            command=("", "/code/run", '"x'),
        )
