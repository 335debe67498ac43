"""Tests for ``fcsdk init`` (fcsdk/_cli/init.py and the templates in fcsdk/_scaffold/).

The slow tests do what the README of a new project says: ``make test`` in the
new folder (a virtualenv, its requirements from PyPI, fcsdk from a wheel built
once from this checkout, then pytest), and ``fcsdk package`` to the zip that
``s.yaml`` points at. The projects share one virtualenv (the Makefile's
``VENV``) and pip's cache, to keep the run short.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

import fcsdk
from fcsdk._scaffold import TEMPLATES, create_project, render
from fcsdk.cli import main
from fcsdk.exceptions import ConfigurationError

ROOT = Path(__file__).resolve().parents[2]

# PyYAML (from mkdocs, a dev dependency) ships no type stubs.
yaml: Any = importlib.import_module("yaml")

COMMON = {
    ".fcignore",
    ".gitignore",
    "Makefile",
    "README.md",
    "event.json",
    "index.py",
    "pyproject.toml",
    "requirements-dev.txt",
    "requirements.txt",
    "s.yaml",
    "tests/test_index.py",
}

# template -> the trigger type its s.yaml declares (None: invoked directly)
TRIGGERS = {"http": "http", "event": None, "oss": "oss", "timer": "timer", "fastapi": "http"}

# The templates for a built-in runtime; the web function's has tests/cli/test_init_web.py.
BUILT_IN = [name for name, template in TEMPLATES.items() if not template.web]


def files_of(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def function_props(root: Path) -> dict[str, Any]:
    """The fc3 component's props from the project's s.yaml."""
    doc = yaml.safe_load((root / "s.yaml").read_text())
    assert doc["edition"] == "3.0.0"
    (resource,) = doc["resources"].values()
    assert resource["component"] == "fc3"
    props: dict[str, Any] = resource["props"]
    return props


def all_function_props(root: Path) -> list[dict[str, Any]]:
    """The props of every fc3 resource in the project's s.yaml."""
    doc = yaml.safe_load((root / "s.yaml").read_text())
    return [r["props"] for r in doc["resources"].values() if r.get("component") == "fc3"]


class TestCreateProject:
    @pytest.mark.parametrize("template", BUILT_IN)
    def test_every_template_makes_a_complete_project(self, tmp_path: Path, template: str) -> None:
        """Each template writes the handler, tests, pinned requirements, s.yaml and the rest."""
        root = tmp_path / "orders"
        created = create_project(root, template=template)
        assert {p.relative_to(root).as_posix() for p in created} == COMMON
        assert files_of(root) == COMMON
        for path in created:
            assert "{{" not in path.read_text(), path
        requirements = (root / "requirements.txt").read_text()
        assert f"=={fcsdk.__version__}" in requirements
        assert requirements.startswith("fcsdk")
        readme = (root / "README.md").read_text()
        assert "make test" in readme
        assert "fcsdk package --runtime python3.12" in readme
        assert "s deploy" in readme

    @pytest.mark.parametrize("template", BUILT_IN)
    def test_s_yaml_is_fc3_with_runtime_handler_and_trigger(
        self, tmp_path: Path, template: str
    ) -> None:
        """s.yaml declares runtime, handler, memory, timeout and the trigger."""
        root = tmp_path / "orders"
        create_project(root, template=template, runtime="python3.10")
        props = function_props(root)
        assert props["functionName"] == "orders"
        assert props["runtime"] == "python3.10"
        assert props["handler"] == "index.handler"
        assert props["code"] == "./dist/orders-python3.10.zip"
        assert isinstance(props["memorySize"], int)
        assert isinstance(props["timeout"], int)
        trigger = TRIGGERS[template]
        if trigger is None:
            assert "triggers" not in props
        else:
            (declared,) = props["triggers"]
            assert declared["triggerType"] == trigger
            assert declared["triggerConfig"]

    @pytest.mark.parametrize("template", list(TEMPLATES))
    def test_built_in_runtime_declares_no_instance_concurrency(
        self, tmp_path: Path, template: str
    ) -> None:
        """On FC 3.0 a built-in runtime serves one request per instance: no instanceConcurrency."""
        root = tmp_path / "orders"
        create_project(root, template=template)
        for props in all_function_props(root):
            if not str(props["runtime"]).startswith("custom"):
                assert "instanceConcurrency" not in props, template

    @pytest.mark.parametrize("template", list(TEMPLATES))
    def test_readme_names_no_deprecated_alias(self, tmp_path: Path, template: str) -> None:
        """The project names HTTPClient, never the deprecated HttpClient (an error there)."""
        root = tmp_path / "orders"
        create_project(root, template=template)
        for path in root.rglob("*"):
            if path.is_file():
                assert "HttpClient" not in path.read_text(), path

    @pytest.mark.parametrize("template", list(TEMPLATES))
    def test_http_triggers_let_cors_preflight_through(self, tmp_path: Path, template: str) -> None:
        """An HTTP trigger's methods include OPTIONS, so CORS preflight reaches the app."""
        root = tmp_path / "orders"
        create_project(root, template=template)
        for props in all_function_props(root):
            for trigger in props.get("triggers", []):
                if trigger["triggerType"] == "http":
                    assert "OPTIONS" in trigger["triggerConfig"]["methods"]

    def test_fastapi_lifecycle_hooks_are_wired(self, tmp_path: Path) -> None:
        """The fastapi s.yaml wires index.initializer and index.pre_stop, which index.py defines."""
        root = tmp_path / "notes"
        create_project(root, template="fastapi")
        lifecycle = function_props(root)["instanceLifecycleConfig"]
        assert lifecycle["initializer"]["handler"] == "index.initializer"
        assert lifecycle["preStop"]["handler"] == "index.pre_stop"
        source = (root / "index.py").read_text()
        assert "\ninitializer = handler.initializer\n" in source
        assert "\npre_stop = handler.pre_stop\n" in source

    def test_make_finds_fcsdk_without_an_activated_venv(self, tmp_path: Path) -> None:
        """With no fcsdk on PATH, make takes the wheel from the Python that ran fcsdk init."""
        root = tmp_path / "orders"
        create_project(root)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
        dry = subprocess.run(
            ["make", "-n", "test"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert dry.returncode == 0, dry.stderr
        assert f"{sys.executable} -m fcsdk package --fcsdk-wheel" in dry.stdout
        made_by = subprocess.run(
            [sys.executable, "-m", "fcsdk", "--version"],
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert made_by.returncode == 0

    def test_make_says_what_to_do_when_pip_finds_no_fcsdk(self, tmp_path: Path) -> None:
        """A failed install ends with the FCSDK= line to run, not a bare pip error."""
        root = tmp_path / "orders"
        create_project(root)
        bin_dir = root / ".venv" / "bin"
        bin_dir.mkdir(parents=True)
        fake = bin_dir / "python"  # a venv whose pip finds nothing
        fake.write_text("#!/bin/sh\necho 'ERROR: No matching distribution' >&2\nexit 1\n")
        fake.chmod(0o755)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
        done = subprocess.run(
            ["make", "test", "FCSDK=false"],
            check=False,
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode != 0
        assert "make test FCSDK=" in done.stdout
        assert "Error 127" not in done.stderr

    def test_oss_trigger_never_fires_on_the_functions_output(self, tmp_path: Path) -> None:
        """The OSS trigger watches incoming/ only, and the function has a role to read with."""
        root = tmp_path / "uploads"
        create_project(root, template="oss")
        props = function_props(root)
        (trigger,) = props["triggers"]
        assert trigger["triggerConfig"]["filter"]["key"]["prefix"] == "incoming/"
        assert trigger["sourceArn"].startswith("acs:oss:")
        assert "role" in props
        assert "fcsdk[oss]" in (root / "requirements.txt").read_text()

    def test_makefile_recipes_use_tabs_and_honour_venv(self, tmp_path: Path) -> None:
        """The Makefile is valid make (tab-indented recipes) and lets VENV and RUNTIME be set."""
        root = tmp_path / "orders"
        create_project(root)
        makefile = (root / "Makefile").read_text()
        assert "\n\t$(BIN)/python -m pytest\n" in makefile
        assert "VENV    ?= .venv" in makefile
        assert "RUNTIME ?= python3.12" in makefile
        dry = subprocess.run(
            ["make", "-n", "test", "package"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert dry.returncode == 0, dry.stderr
        assert "fcsdk package --runtime python3.12" in dry.stdout

    @pytest.mark.parametrize("template", list(TEMPLATES))
    def test_generated_code_is_lint_clean_and_formatted(
        self, tmp_path: Path, template: str
    ) -> None:
        """The generated Python passes ruff (pyflakes, pycodestyle, isort...) and its formatter."""
        root = tmp_path / "orders"
        create_project(root, template=template)
        ruff = [sys.executable, "-m", "ruff"]
        for args in (
            ["check", "--isolated", "--no-cache", "--select", "E,F,W,I,UP,B", "."],
            ["format", "--isolated", "--no-cache", "--check", "."],
        ):
            done = subprocess.run(
                [*ruff, *args], cwd=root, capture_output=True, text=True, timeout=60, check=False
            )
            assert done.returncode == 0, done.stdout + done.stderr

    def test_an_empty_existing_folder_is_filled(self, tmp_path: Path) -> None:
        """An existing empty folder is used as is."""
        root = tmp_path / "orders"
        root.mkdir()
        create_project(root, template="timer")
        assert (root / "index.py").is_file()

    def test_refuses_a_non_empty_folder(self, tmp_path: Path) -> None:
        """A folder with anything in it is refused and left untouched."""
        root = tmp_path / "orders"
        root.mkdir()
        (root / "index.py").write_text("mine")
        with pytest.raises(ConfigurationError, match="not empty"):
            create_project(root)
        assert files_of(root) == {"index.py"}
        assert (root / "index.py").read_text() == "mine"

    def test_refuses_a_file(self, tmp_path: Path) -> None:
        """A path that is a file is refused."""
        (tmp_path / "orders").write_text("")
        with pytest.raises(ConfigurationError, match="not a folder"):
            create_project(tmp_path / "orders")

    @pytest.mark.parametrize("name", ["1orders", "-orders", "or ders", "orders!", "x" * 65])
    def test_refuses_names_fc_rejects(self, tmp_path: Path, name: str) -> None:
        """A folder name that cannot name an FC function is refused before anything is written."""
        with pytest.raises(ConfigurationError, match="cannot name an FC function"):
            create_project(tmp_path / name)
        assert not (tmp_path / name).exists()

    def test_unknown_template_and_runtime(self, tmp_path: Path) -> None:
        """An unknown template or runtime is a ConfigurationError."""
        with pytest.raises(ConfigurationError, match="unknown template"):
            create_project(tmp_path / "a", template="grpc")
        with pytest.raises(ConfigurationError, match="unknown runtime"):
            create_project(tmp_path / "a", runtime="python3.9")

    def test_pinned_version_can_be_chosen(self, tmp_path: Path) -> None:
        """fcsdk_version overrides the pinned version."""
        create_project(tmp_path / "a", fcsdk_version="9.9.9")
        assert (tmp_path / "a" / "requirements.txt").read_text() == "fcsdk==9.9.9\n"

    def test_render(self) -> None:
        """Placeholders are filled; anything else with braces or dollars is kept."""
        assert render("{{a}} ${vars.x} $(B) {x}", {"a": "1"}) == "1 ${vars.x} $(B) {x}"
        with pytest.raises(ConfigurationError, match="has no value"):
            render("{{missing}}", {})


class TestInitCommand:
    def test_creates_and_says_what_next(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """fcsdk init lists the files and the next three commands."""
        monkeypatch.chdir(tmp_path)
        assert main(["init", "orders", "--template", "http", "--runtime", "python3.10"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("Created orders from the http template:\n")
        assert "  index.py\n" in out
        assert "  tests/test_index.py\n" in out
        assert "cd orders" in out
        assert "fcsdk package --runtime python3.10" in out
        assert function_props(tmp_path / "orders")["runtime"] == "python3.10"

    def test_default_template_is_event(self, tmp_path: Path) -> None:
        """Without --template, the event template is used."""
        assert main(["init", str(tmp_path / "orders")]) == 0
        assert "class Order" in (tmp_path / "orders" / "index.py").read_text()

    def test_refusal_exits_2(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A non-empty folder makes fcsdk init exit 2 with the reason."""
        (tmp_path / "orders").mkdir()
        (tmp_path / "orders" / "x").write_text("")
        assert main(["init", str(tmp_path / "orders")]) == 2
        assert "never overwrites" in capsys.readouterr().err

    def test_help_describes_every_template(self, capsys: pytest.CaptureFixture[str]) -> None:
        """fcsdk init --help offers and describes each template the engine knows."""
        with pytest.raises(SystemExit):
            main(["init", "--help"])
        text = " ".join(capsys.readouterr().out.split())
        for template in TEMPLATES.values():
            assert f"{template.name}: " in text
            assert template.summary[1:].rstrip(".") in text

    def test_unknown_template_is_a_usage_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        """argparse refuses a template that does not exist."""
        with pytest.raises(SystemExit):
            main(["init", "x", "--template", "grpc"])
        assert "invalid choice" in capsys.readouterr().err


@pytest.fixture(scope="session")
def pip_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The new projects' pip gets fcsdk from a wheel of this checkout, the rest from PyPI."""
    wheels = tmp_path_factory.mktemp("fcsdk-wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels)]
    try:
        import hatchling  # noqa: F401

        cmd.append("--no-build-isolation")
    except ModuleNotFoundError:  # pragma: no cover - the dev venv usually has hatchling
        pass
    subprocess.run([*cmd, str(ROOT)], check=True, timeout=300, capture_output=True)
    links = " ".join(filter(None, [os.environ.get("PIP_FIND_LINKS", ""), str(wheels)]))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE", "PYTEST"))}
    env.update(PIP_FIND_LINKS=links, PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


@pytest.fixture(scope="session")
def shared_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One virtualenv for every generated project (its Makefile's VENV)."""
    return tmp_path_factory.mktemp("scaffold") / "venv"


def make(root: Path, target: str, env: dict[str, str], venv: Path) -> str:
    """Run ``make target`` in ``root``, with this fcsdk as the Makefile's FCSDK."""
    done = subprocess.run(
        [
            "make",
            target,
            f"VENV={venv}",
            f"PYTHON={sys.executable}",
            f"FCSDK={sys.executable} -m fcsdk",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"make {target} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
class TestGeneratedProjects:
    @pytest.mark.parametrize("template", ["event", "timer", "http", "oss", "fastapi"])
    def test_make_test_passes(
        self, tmp_path: Path, template: str, pip_env: dict[str, str], shared_venv: Path
    ) -> None:
        """In a new project, make test installs the requirements and its tests pass."""
        root = tmp_path / f"my-{template}"
        create_project(root, template=template)
        out = make(root, "test", pip_env, shared_venv)
        assert " passed" in out
        assert " failed" not in out

    def test_package_builds_the_zip_s_yaml_points_at(
        self, tmp_path: Path, pip_env: dict[str, str], shared_venv: Path
    ) -> None:
        """make package writes the zip named in s.yaml, with the handler and fcsdk inside."""
        root = tmp_path / "orders"
        create_project(root, template="event")
        out = make(root, "package", pip_env, shared_venv)
        zip_path = root / function_props(root)["code"]
        assert zip_path.is_file()
        assert "dist/orders-python3.12.zip" in out
        with zipfile.ZipFile(zip_path) as zf:
            listed = zf.namelist()
        assert "index.py" in listed
        assert "event.json" in listed
        assert "fcsdk/__init__.py" in listed
        assert not [n for n in listed if n.startswith("tests/")]
        assert "Makefile" not in listed
        assert "s.yaml" not in listed
        invoked = make(root, "invoke", pip_env, shared_venv)
        assert '{"order_id":"A1","accepted":true}' in invoked

    def test_oss_template_packages_its_source_only_requirements(
        self, tmp_path: Path, pip_env: dict[str, str], shared_venv: Path
    ) -> None:
        """make package in the oss template ships oss2 and crcmod (sdists only) as pure Python."""
        root = tmp_path / "uploads"
        create_project(root, template="oss")
        make(root, "package", pip_env, shared_venv)
        with zipfile.ZipFile(root / function_props(root)["code"]) as zf:
            listed = zf.namelist()
        assert "oss2/__init__.py" in listed
        assert "crcmod/_crcfunpy.py" in listed
        assert not [n for n in listed if n.startswith("crcmod/") and n.endswith(".so")]
        assert "oss2/__pycache__/__init__.cpython-312.pyc" in listed

    def test_oss_make_invoke_works_on_a_fresh_scaffold(
        self, tmp_path: Path, pip_env: dict[str, str], shared_venv: Path
    ) -> None:
        """The oss template's make invoke serves the event's object locally and summarises it."""
        root = tmp_path / "uploads"
        create_project(root, template="oss")
        env = {k: v for k, v in pip_env.items() if k != "FCSDK_OSS_ENDPOINT"}
        invoked = make(root, "invoke", env, shared_venv)
        assert '["summaries/notes.txt.json"]' in invoked


@pytest.fixture(scope="session")
def offline_wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheels of fcsdk's dependencies and pytest, for this Python and python3.12: no fcsdk."""
    house = tmp_path_factory.mktemp("offline-wheels")
    base = [sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(house)]
    from importlib import metadata

    deps = [r for r in metadata.requires("fcsdk") or [] if ";" not in r]
    subprocess.run(
        [*base, *deps, "pytest>=8"],
        check=True,
        timeout=600,
        capture_output=True,
    )
    subprocess.run(
        [
            *base,
            "--only-binary=:all:",
            "--implementation",
            "cp",
            "--python-version",
            "3.12",
            "--abi",
            "cp312",
            "--platform",
            "manylinux_2_31_x86_64",
            "--platform",
            "manylinux2014_x86_64",
            *deps,
        ],
        check=True,
        timeout=600,
        capture_output=True,
    )
    assert not list(house.glob("fcsdk-*"))
    return house


@pytest.mark.slow
def test_scaffold_needs_no_index_with_fcsdk(tmp_path: Path, offline_wheelhouse: Path) -> None:
    """With --no-index and only the dependencies' wheels, make test, package and coldstart pass."""
    root = tmp_path / "orders"
    create_project(root, template="event")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE", "PYTEST", "PIP_"))}
    env.update(
        PIP_NO_INDEX="1", PIP_FIND_LINKS=str(offline_wheelhouse), PIP_DISABLE_PIP_VERSION_CHECK="1"
    )
    venv = tmp_path / "venv"
    assert " passed" in make(root, "test", env, venv)
    out = make(root, "package", env, venv)
    assert "dist/orders-python3.12.zip" in out
    with zipfile.ZipFile(root / "dist" / "orders-python3.12.zip") as zf:
        listed = zf.namelist()
    assert "fcsdk/__init__.py" in listed
    assert f"fcsdk-{fcsdk.__version__}.dist-info/METADATA" in listed
    assert "__pycache__/index.cpython-312.pyc" in listed
    measured = make(root, "coldstart", env, venv)
    assert "cold start (import + first event)" in measured
    assert "[fcsdk]" in measured
