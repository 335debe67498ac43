"""One runtime default for every command: the project's s.yaml's, else python3.12."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fcsdk._scaffold import create_project
from fcsdk.cli import main
from tests.local import serving

HANDLER = """\
import os


def main(event, context):
    return os.environ["FC_RUNTIME_VERSION"]
"""


def s_yaml(runtime: str, handler: str = "index.main") -> str:
    return (
        "edition: 3.0.0\n"
        "resources:\n"
        "  job:\n"
        "    component: fc3\n"
        f"    props: {{functionName: job, runtime: {runtime}, handler: {handler}}}\n"
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "index.py").write_text(HANDLER)
    monkeypatch.chdir(tmp_path)
    return tmp_path


class TestInvokeRuntime:
    def test_default_without_s_yaml(
        self, project: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without an s.yaml, fcsdk invoke runs python3.12, as init, package and coldstart do."""
        assert main(["invoke", "index.main", "--event", "{}"]) == 0
        assert capsys.readouterr().out.strip() == "python3.12"

    def test_from_s_yaml(self, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The project's s.yaml names the runtime."""
        (project / "s.yaml").write_text(s_yaml("python3.10"))
        assert main(["invoke", "index.main", "--event", "{}"]) == 0
        assert capsys.readouterr().out.strip() == "python3.10"

    def test_option_wins(self, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--runtime wins over s.yaml."""
        (project / "s.yaml").write_text(s_yaml("python3.12"))
        assert main(["invoke", "index.main", "--runtime", "python3.10", "--event", "{}"]) == 0
        assert capsys.readouterr().out.strip() == "python3.10"

    def test_s_yaml_in_code_dir(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The s.yaml of --code-dir is read, whatever the current folder."""
        code = tmp_path / "code"
        code.mkdir()
        (code / "index.py").write_text(HANDLER)
        (code / "s.yaml").write_text(s_yaml("python3.10"))
        monkeypatch.chdir(tmp_path)
        assert main(["invoke", "index.main", "--code-dir", str(code), "--event", "{}"]) == 0
        assert capsys.readouterr().out.strip() == "python3.10"

    def test_handler_from_s_yaml(self, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Without a handler argument, the s.yaml's handler runs."""
        (project / "s.yaml").write_text(s_yaml("python3.12", handler="index.main"))
        assert main(["invoke", "--event", "{}"]) == 0
        assert capsys.readouterr().out.strip() == "python3.12"

    def test_no_handler_anywhere(self, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """No handler argument and no s.yaml: exit 2 saying what to give."""
        assert main(["invoke", "--event", "{}"]) == 2
        assert "give a handler string" in capsys.readouterr().err

    def test_runtime_fcsdk_cannot_run(
        self, project: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An s.yaml runtime fcsdk does not run locally is refused, naming it and the fix."""
        (project / "s.yaml").write_text(s_yaml("python3.9"))
        assert main(["invoke", "index.main", "--event", "{}"]) == 2
        err = capsys.readouterr().err
        assert "'python3.9'" in err
        assert "--runtime" in err

    def test_invalid_s_yaml(self, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A broken s.yaml is reported with its field, exit 2."""
        (project / "s.yaml").write_text(
            s_yaml("python3.12").replace("handler: index.main", "timeout: x")
        )
        assert main(["invoke", "index.main", "--event", "{}"]) == 2
        assert "resources.job.props.timeout" in capsys.readouterr().err

    def test_without_pyyaml_a_given_handler_runs(
        self, project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without PyYAML, a given handler still runs on the default, with a warning saying why."""
        (project / "s.yaml").write_text(s_yaml("python3.10"))
        monkeypatch.setitem(sys.modules, "yaml", None)
        assert main(["invoke", "index.main", "--event", "{}"]) == 0
        captured = capsys.readouterr()
        assert captured.out.strip() == "python3.12"
        assert "needs PyYAML: pip install pyyaml" in captured.err

    def test_without_pyyaml_and_handler(
        self, project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without PyYAML and without a handler, exit 2 naming the install."""
        (project / "s.yaml").write_text(s_yaml("python3.10"))
        monkeypatch.setitem(sys.modules, "yaml", None)
        assert main(["invoke", "--event", "{}"]) == 2
        assert "pip install pyyaml" in capsys.readouterr().err


@pytest.mark.slow
class TestServeRuntime:
    def test_default_mode_is_fc3_event(self, project: Path) -> None:
        """Without --runtime or s.yaml, fcsdk serve serves FC 3.0 events (python3.12)."""
        with serving.served("index.main", "--code-dir", str(project), "--no-oss") as served:
            assert "FC 3.0 event" in served.log()

    def test_mode_from_s_yaml(self, project: Path) -> None:
        """An s.yaml on python3.10 gives FC 2.0's WSGI mode."""
        (project / "s.yaml").write_text(s_yaml("python3.10"))
        with serving.served("index.main", "--code-dir", str(project), "--no-oss") as served:
            assert "FC 2.0 WSGI" in served.log()

    def test_scaffold_served_without_a_handler(self, tmp_path: Path) -> None:
        """make run's `fcsdk serve` serves the handler and runtime of the scaffold's s.yaml."""
        project = tmp_path / "api"
        create_project(project, template="http", runtime="python3.10")
        with serving.served("--code-dir", str(project), "--no-oss") as served:
            assert "serving index.handler (HTTP trigger, FC 2.0 WSGI)" in served.log()
