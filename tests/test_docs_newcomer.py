"""A newcomer's first hour: the install, the quickstart's terminal, the guides' set-up.

Each test runs what a page tells a user to type (or checks what it tells
them) against the real project, through a subprocess where the user would
see the output.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
QUICKSTART = DOCS / "quickstart.md"
CONSOLE = re.compile(r"^```console\n(.*?)^```", re.DOTALL | re.MULTILINE)
PYTHON = re.compile(r"^```python[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
CODE = re.compile(r"^```py(?:thon)?[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)  # run or shown

# Words of this project's own making that users cannot know. Keep the list short.
INTERNAL_WORDS = re.compile(r"\bseed\b|\bseed's|platform reference", re.IGNORECASE)
SCANNED = [ROOT / "fcsdk", DOCS, ROOT / "README.md", ROOT / "examples"]
# Contributors read these: the same words, except where "seed" is the fuzzing term.
CONTRIBUTOR_TEXT = [ROOT / "tests", ROOT / "benchmarks", ROOT / "scripts", ROOT / "Makefile"]
TEXT_SUFFIXES = {".py", ".md", ".json", ".txt", ".toml", ".cfg", ".html", ".tmpl", ".yaml", ".yml"}

PIP_DRY_RUN = [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps"]
RID = re.compile(r"1-[0-9a-f]{8}-[0-9a-f]{24}")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def console_blocks(page: Path) -> list[str]:
    """Return the ```console blocks of a Markdown page."""
    return CONSOLE.findall(page.read_text(encoding="utf-8"))


def section(page: Path, heading: str) -> str:
    """Return the text of one ``## heading`` section of a page."""
    text = page.read_text(encoding="utf-8")
    start = text.index(f"## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def commands(block: str) -> list[list[str]]:
    """Return the ``$ ...`` command lines of a console block, split as a shell would."""
    return [shlex.split(line[2:]) for line in block.splitlines() if line.startswith("$ ")]


def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a command as the user would, with the project importable."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        argv, capture_output=True, text=True, timeout=120, check=False, env=env, **kwargs
    )


class TestInternalWords:
    def test_no_internal_words_in_user_facing_text(self) -> None:
        """README, docs, docstrings, examples and tests name FC's documentation, not our notes."""
        found = []
        for base in [*SCANNED, *CONTRIBUTOR_TEXT]:
            paths = [base] if base.is_file() else sorted(base.rglob("*"))
            for path in paths:
                if path.suffix not in TEXT_SUFFIXES and path.name != "Makefile":
                    continue
                if "__pycache__" in path.parts or "fuzz" in path.name or path == Path(__file__):
                    continue
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                    if INTERNAL_WORDS.search(line):
                        found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
        assert found == []

    def test_the_word_list_catches_what_it_should(self) -> None:
        """The pattern matches the phrases the issue found (the test above is not vacuous)."""
        for phrase in ("the seed's Flask app", "shapes from the platform reference", "Seed docs"):
            assert INTERNAL_WORDS.search(phrase)
        assert not INTERNAL_WORDS.search("a seeded random generator, FC's Python handler page")


class TestInstall:
    def install_block(self) -> str:
        """Return the quickstart's install commands."""
        (block,) = console_blocks_in(section(QUICKSTART, "Install"))
        return block

    def test_install_from_a_checkout_resolves(self) -> None:
        """`pip install '/path/to/fcsdk[oss]'` names this project, with its oss extra."""
        argv = commands(self.install_block())[0]
        assert argv[:2] == ["pip", "install"]
        target = argv[2].replace("/path/to/fcsdk", str(ROOT))
        # --dry-run/--no-deps/--no-build-isolation: resolve the real project without the network.
        result = run([*PIP_DRY_RUN, "--no-build-isolation", "--report", "-", "--quiet", target])
        assert result.returncode == 0, result.stderr
        assert '"name": "fcsdk"' in result.stdout
        assert '"oss"' in result.stdout  # the extra was recognised

    def test_install_from_a_built_wheel(self, tmp_path: Path) -> None:
        """The documented `pip wheel` builds the very file the next line installs."""
        build, install = commands(self.install_block())[1:3]
        assert build[:2] == ["pip", "wheel"]
        out = tmp_path / "dist"
        argv = [a.replace("/path/to/fcsdk", str(ROOT)).replace("dist", str(out)) for a in build[2:]]
        result = run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", *argv])
        assert result.returncode == 0, result.stderr
        documented = install[2].replace("dist/", "").removesuffix("[oss]")
        assert [p.name for p in out.iterdir()] == [documented]
        pyproject = (ROOT / "pyproject.toml").read_text()
        version = re.search(r'^version = "(.+)"', pyproject, re.MULTILINE).group(1)  # type: ignore[union-attr]
        assert documented.startswith(f"fcsdk-{version}-")
        result = run([*PIP_DRY_RUN, "--quiet", str(out / documented) + "[oss]"])
        assert result.returncode == 0, result.stderr

    def test_index_line_is_kept_for_later(self) -> None:
        """The PyPI install is still named, as the command to use once fcsdk is published."""
        text = section(QUICKSTART, "Install")
        assert "pip install 'fcsdk[oss]'" in text
        assert "not on PyPI yet" in text


def console_blocks_in(text: str) -> list[str]:
    """Return the ```console blocks of a piece of Markdown."""
    return CONSOLE.findall(text)


class TestQuickstartRunLocally:
    def test_terminal_shows_what_the_page_shows(self, tmp_path: Path) -> None:
        """`fcsdk invoke` prints exactly the page's block, request ids and times aside."""
        handler = PYTHON.findall(section(QUICKSTART, "A first handler"))[0]
        (tmp_path / "index.py").write_text(handler, encoding="utf-8")
        (block,) = console_blocks_in(section(QUICKSTART, "Run locally"))
        first, *shown = block.rstrip("\n").splitlines()
        argv = shlex.split(first.removeprefix("$ "))
        assert argv[0] == "fcsdk"
        result = subprocess.run(
            [sys.executable, "-m", "fcsdk", *argv[1:]],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one terminal: both streams, in order
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert result.returncode == 0, result.stdout

        def normal(text: str) -> str:
            return STAMP.sub("<time>", RID.sub("<request id>", text))

        assert normal(result.stdout).splitlines() == [normal(line) for line in shown]


class TestGuidesSayWhatToInstall:
    GUIDES = sorted(
        page
        for page in DOCS.glob("*.md")
        if page.name not in {"changelog.md", "reference.md", "security.md", "architecture.md"}
        and page.name not in {"index.md", "quickstart.md"}
    )
    # What a page's examples use -> the word its "Before you start" line must contain.
    INDIRECT: ClassVar[dict[str, str]] = {
        "tablestore_event": "tablestore",
        "cbor2": "tablestore",
        "oss2": "oss",
    }

    @staticmethod
    def imports(page: Path) -> set[str]:
        """Return the top-level modules the page's Python examples import, outside stdlib."""
        names: set[str] = set()
        text = page.read_text(encoding="utf-8")
        for block in CODE.findall(text):
            names.update(re.findall(r"^\s*(?:from|import) ([A-Za-z_][\w]*)", block, re.MULTILINE))
        own = set(re.findall(r'title="(?:[\w./-]*/)?(\w+)\.py"', text))  # the page's own files
        return {n for n in names if n not in sys.stdlib_module_names} - {"fcsdk", "pydantic"} - own

    @pytest.mark.parametrize("page", GUIDES, ids=lambda p: p.name)
    def test_guide_says_up_front_what_to_install(self, page: Path) -> None:
        """Each guide names, before its first example, every package its examples use."""
        text = page.read_text(encoding="utf-8")
        match = re.search(r"^\*\*Before you start:\*\*(.*?)(?:\n\n)", text, re.DOTALL | re.M)
        assert match is not None, f"{page.name} has no 'Before you start' paragraph"
        first_example = min(
            (m.start() for m in (CODE.search(text), CONSOLE.search(text)) if m), default=len(text)
        )
        assert match.start() < first_example
        says = match.group(1).lower()
        needed = {self.INDIRECT.get(name, name) for name in self.imports(page)}
        needed |= {word for name, word in self.INDIRECT.items() if name in text}
        missing = {name for name in needed if name.lower() not in says}
        assert missing == set(), f"{page.name} uses {sorted(missing)} without saying so"

    def test_the_scan_sees_third_party_imports(self) -> None:
        """The HTTP guide's examples import Flask and Django (the check above is not vacuous)."""
        assert {"flask", "django"} <= self.imports(DOCS / "http.md")


class TestOSSCommandPort:
    def test_documented_oss_server_port_is_free_of_serve(self, tmp_path: Path) -> None:
        """oss.md's oss-server runs as written, on a port that serve and make run leave alone."""
        import argparse

        from fcsdk._cli.serve import configure
        from fcsdk._local.embedded_oss import oss_port_for

        (block,) = [
            b
            for b in re.findall(
                r"^```bash\n(.*?)^```", (DOCS / "oss.md").read_text(), re.DOTALL | re.MULTILINE
            )
            if "oss-server" in b
        ]
        argv = shlex.split(block.strip())
        port = int(argv[argv.index("--port") + 1])
        parser = argparse.ArgumentParser()
        configure(parser)
        serve_port = parser.get_default("port")
        config = (ROOT / "examples" / "fcsdk-local.json").read_text()
        used = set(range(serve_port, serve_port + 10)) | {oss_port_for(serve_port)}
        used |= {int(p) for p in re.findall(r'"port":\s*(\d+)', config)}
        assert port not in used
        argv[argv.index("--dir") + 1] = str(tmp_path / "data")
        assert argv[:3] == ["python", "-m", "fcsdk"]
        proc = subprocess.Popen(
            [sys.executable, *argv[1:]],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            assert f"listening on http://127.0.0.1:{port}" in first
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            if proc.stdout is not None:
                proc.stdout.close()


class TestMakeTest:
    def test_each_install_step_is_announced(self, tmp_path: Path) -> None:
        """`make test` on a fresh clone prints a line per step and lets pip's output through."""
        result = run(["make", "-n", "test", f"VENV={tmp_path / 'venv'}"], cwd=ROOT)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        announced = [line for line in lines if "make: " in line and line.startswith("echo")]
        assert any("creating" in line for line in announced)
        assert any("dev extras" in line for line in announced)
        assert any("Chromium" in line for line in announced)
        (dev_install,) = [line for line in lines if "install" in line and ".[dev]" in line]
        assert "--quiet" not in dev_install

    def test_readme_says_what_make_test_installs(self) -> None:
        """The README names the dev extra, the apt packages and that they need root."""
        text = section(ROOT / "README.md", "Set up")
        for needed in ("`dev` extra", "scripts/ensure-chromium.sh", "apt-get", "root", "chromium"):
            assert needed in text


YAML = re.compile(r"^```ya?ml\n(.*?)^```", re.DOTALL | re.MULTILINE)


class TestOneRequestPerInstance:
    """FC 3.0 runs a built-in runtime one request per instance; the pages and examples say so."""

    def test_no_built_in_runtime_in_the_docs_declares_instance_concurrency(self) -> None:
        """No s.yaml in README or the guides sets instanceConcurrency on a python3.x runtime."""
        found = []
        for page in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
            for block in YAML.findall(page.read_text(encoding="utf-8")):
                built_in = re.search(r"^\s*runtime:\s*python", block, re.MULTILINE)
                if built_in and "instanceConcurrency" in block:
                    found.append(page.name)
        assert found == []

    def test_no_example_declares_instance_concurrency(self) -> None:
        """The examples run on built-in runtimes: none of their files sets a concurrency."""
        found = [
            path.relative_to(ROOT).as_posix()
            for path in sorted((ROOT / "examples").rglob("*"))
            if path.is_file()
            and path.suffix in TEXT_SUFFIXES
            and re.search(r"instanceConcurrency|\"concurrency\"", path.read_text(encoding="utf-8"))
        ]
        assert found == []

    @pytest.mark.parametrize("page", ["deploying.md", "async.md"])
    def test_pages_say_one_request_per_instance_and_point_to_web_functions(self, page: str) -> None:
        """Deploying and async say what a built-in runtime serves, and where concurrency lives."""
        text = " ".join((DOCS / page).read_text(encoding="utf-8").split())
        assert "one request per instance" in text
        assert "(web-functions.md)" in text
        assert "several requests at once, each in its own thread" not in text


class TestDocsMatchTheProject:
    """What README and the guides list is what the project has."""

    def test_readme_port_range_and_examples_match_make_run(self) -> None:
        """README's port range covers every function make run serves, and names each example."""
        import json

        config = json.loads((ROOT / "examples" / "fcsdk-local.json").read_text())
        first = config["port"]
        last = first + len(config["functions"]) - 1
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        assert f"http://127.0.0.1:{first}-{last}" in readme
        run_section = readme[readme.index("`make run` first invokes") :]
        run_section = " ".join(run_section[: run_section.index("Ctrl-C")].split())
        for word in ("sign-in", "order API", "FastAPI notes", "OSS-writing", "9100"):
            assert word in run_section

    def test_make_line_names_the_examples_extras(self) -> None:
        """The `make:` line before make run's install names every package of the extra."""
        pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
        extra = re.search(r"^examples = \[(.*)\]$", pyproject, re.MULTILINE)
        assert extra is not None
        makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
        line = next(ln for ln in makefile.splitlines() if "examples' extras" in ln)
        for name in re.findall(r'"([A-Za-z0-9_-]+)', extra.group(1)):
            shown = {"fcsdk": "oss2", "flask": "Flask", "fastapi": "FastAPI"}.get(name, name)
            assert shown in line, name

    def test_quickstart_names_every_runtime_dependency(self) -> None:
        """The quickstart's install section names each of fcsdk's own dependencies."""
        pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
        block = pyproject[pyproject.index("\ndependencies = [") :]
        block = block[: block.index("\n]")]
        names = re.findall(r'^\s*"([A-Za-z0-9_-]+)', block, re.MULTILINE)
        install = section(QUICKSTART, "Install")
        assert names
        for name in names:
            assert name.replace("-", " ").lower() in install.replace("-", " ").lower(), name

    def test_deploying_lists_every_scaffold_file(self, tmp_path: Path) -> None:
        """The deploying guide names every file fcsdk init writes."""
        from fcsdk._scaffold import create_project

        created = create_project(tmp_path / "orders")
        text = (DOCS / "deploying.md").read_text(encoding="utf-8")
        for path in created:
            name = path.relative_to(tmp_path / "orders").as_posix()
            assert f"`{name}`" in text or name == "README.md", name

    def test_web_guide_test_snippet_passes_on_the_web_template(self, tmp_path: Path) -> None:
        """The web functions page's test lines pass against the index.py the web template writes."""
        from fcsdk._scaffold import create_project

        create_project(tmp_path / "shop", template="web")
        page = (DOCS / "web-functions.md").read_text(encoding="utf-8")
        snippet = next(block for block in PYTHON.findall(page) if "HTTPClient(" in block)
        script = "import fcsdk as fc\nfrom index import app, handler\n" + snippet
        result = run([sys.executable, "-c", script], cwd=tmp_path / "shop")
        assert result.returncode == 0, result.stderr

    def test_testing_guide_covers_the_test_kit(self) -> None:
        """The testing guide shows HTTPClient, the oss_server fixture and the event factories."""
        text = (DOCS / "testing.md").read_text(encoding="utf-8")
        for name in ("HTTPClient", "oss_server", "fcsdk.testing.events", "fc_context"):
            assert name in text
