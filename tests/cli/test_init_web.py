"""``fcsdk init --template web``: a web function project (custom runtime, fcsdk's server)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import httpx
import pytest

from fcsdk._project import read_project
from fcsdk._scaffold import TEMPLATES, create_project
from fcsdk.cli import main
from tests.cli.test_init import make, pip_env, shared_venv  # noqa: F401 (fixtures)
from tests.local import serving

ROOT = Path(__file__).resolve().parents[2]
CHILD = ROOT / "tests" / "local" / "apps" / "web_child.py"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    create_project(root, template="web")
    return root


def stub_python(folder: Path, body: str) -> Path:
    """An executable that stands in for the Python bootstrap runs (FCSDK_PYTHON)."""
    stub = folder / "stub-python"
    stub.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    stub.chmod(0o755)
    return stub


class TestWebTemplate:
    def test_files(self, project: Path) -> None:
        """The project has the app and handler, an executable bootstrap and its own README."""
        assert (project / "bootstrap").stat().st_mode & stat.S_IXUSR
        assert (project / "bootstrap").read_text().startswith("#!/bin/sh\n")
        index = (project / "index.py").read_text()
        assert "app = FastAPI(" in index
        assert 'fc.FCContext.from_runtime(request.scope["fc.context"])' in index
        assert "context.oss_bucket(" in index
        assert "fc.logger.info(" in index
        assert "def handler(event: TimerEvent[Nightly]" in index
        requirements = (project / "requirements.txt").read_text()
        assert requirements.startswith("fcsdk[web,oss]==")
        assert "fastapi" in requirements
        assert "pyyaml" in (project / "requirements-dev.txt").read_text()
        assert "make run" in (project / "README.md").read_text()

    def test_s_yaml_is_a_web_function(self, project: Path) -> None:
        """s.yaml: custom runtime, bootstrap on 9000, concurrency, lifecycle, HTTP trigger."""
        function = read_project(project / "s.yaml").function()
        assert function.runtime == "custom.debian12"
        assert function.custom_runtime is not None
        assert function.custom_runtime.argv == ("/code/bootstrap",)
        assert function.custom_runtime.port == 9000
        assert function.instance_concurrency is not None
        assert function.instance_concurrency > 1
        assert function.initializer is not None
        assert function.pre_stop is not None
        assert function.code == "./dist/shop-custom.debian12.zip"
        http, timer = function.triggers
        assert http.trigger_type == "http"
        methods = set(http.trigger_config["methods"])
        assert {"GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH"} <= methods
        assert timer.trigger_type == "timer"

    def test_runtime_option_does_not_change_it(self, tmp_path: Path) -> None:
        """--runtime names built-in runtimes: a web function keeps its custom runtime."""
        create_project(tmp_path / "shop", template="web", runtime="python3.10")
        assert read_project(tmp_path / "shop" / "s.yaml").function().runtime == "custom.debian12"

    def test_makefile_targets(self, project: Path) -> None:
        """make package builds for s.yaml's custom runtime; make run and make invoke read s.yaml."""
        dry = subprocess.run(
            ["make", "-n", "package", "invoke", "run"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert dry.returncode == 0, dry.stderr
        assert "fcsdk package --build-sdists\n" in dry.stdout
        assert "fcsdk invoke --event-file event.json" in dry.stdout
        assert "fcsdk serve --bucket shop-uploads\n" in dry.stdout

    def test_bootstrap_runs_fcsdk_web(self, project: Path, tmp_path: Path) -> None:
        """bootstrap execs `python -m fcsdk web index` with the code folder on PYTHONPATH."""
        seen = tmp_path / "seen.txt"
        stub = stub_python(tmp_path, f'echo "$@|$PYTHONPATH" > {seen}\n')
        env = {**os.environ, "FCSDK_PYTHON": str(stub), "PYTHONPATH": "/opt/python"}
        done = subprocess.run(
            [str(project / "bootstrap")], cwd=tmp_path, env=env, timeout=30, check=False
        )
        assert done.returncode == 0
        argv, pythonpath = seen.read_text().strip().split("|")
        assert argv == "-m fcsdk web index"
        assert pythonpath == f"{project}:/opt/python"

    def test_registered_in_init_help(self, capsys: pytest.CaptureFixture[str]) -> None:
        """fcsdk init --help lists and describes the web template."""
        with pytest.raises(SystemExit):
            main(["init", "--help"])
        help_text = " ".join(capsys.readouterr().out.split())
        assert "web: a web function" in help_text
        assert "web" in TEMPLATES

    def test_init_says_make_package(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """fcsdk init's next steps for a web function package with make package."""
        monkeypatch.chdir(tmp_path)
        assert main(["init", "shop", "--template", "web"]) == 0
        out = capsys.readouterr().out
        assert "make package" in out
        assert "bootstrap" in out


@pytest.mark.slow
class TestWebProjectRuns:
    def test_serve_starts_bootstrap(self, project: Path, tmp_path: Path) -> None:
        """fcsdk serve in the project starts its bootstrap as FC would, with FC's headers."""
        shutil.copy(CHILD, project / "web_child.py")
        record = tmp_path / "record.jsonl"
        # the stand-in server replaces `python3 -m fcsdk web index` (tested in tests/webfunction);
        # bootstrap put the code folder first on PYTHONPATH
        stub = stub_python(
            tmp_path, f'cd "${{PYTHONPATH%%:*}}"\nexec "{sys.executable}" web_child.py\n'
        )
        with serving.served(
            "--code-dir",
            str(project),
            "--no-oss",
            "--env",
            f"FCSDK_PYTHON={stub}",
            env={"WEB_CHILD_RECORD": str(record)},
        ) as served:
            answer = httpx.put(f"{served.url}/files/a.txt", content=b"hi", timeout=20).json()
            log = served.log()
        assert answer["path"] == "/files/a.txt"
        assert answer["headers"]["x-fc-function-name"] == "shop"
        assert answer["headers"]["x-fc-function-memory"] == "1024"
        assert "starting shop: /code/bootstrap (web function, custom.debian12)" in log

    def test_make_test_and_package(
        self,
        project: Path,
        pip_env: dict[str, str],  # noqa: F811
        shared_venv: Path,  # noqa: F811
    ) -> None:
        """make test passes as made; make package writes the zip s.yaml names, bootstrap +x."""
        out = make(project, "test", pip_env, shared_venv)
        assert " passed" in out
        assert " failed" not in out
        make(project, "package", pip_env, shared_venv)
        zip_path = project / read_project(project / "s.yaml").function().code  # type: ignore[operator]
        with zipfile.ZipFile(zip_path) as zf:
            listed = zf.namelist()
            mode = zf.getinfo("bootstrap").external_attr >> 16
        assert mode & stat.S_IXUSR
        assert "index.py" in listed
        assert "fcsdk/__init__.py" in listed
        assert "fastapi/__init__.py" in listed
        assert "__pycache__/index.cpython-311.pyc" in listed
