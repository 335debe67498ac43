"""Mutation testing of the riskiest modules: ``make mutation`` (not part of ``make test``).

Each group below names modules and the tests that cover them. For each group the
project is copied to ``.mutation/<group>/`` (files git knows, as they are in the
work tree), mutmut 3 is configured there for that group alone and run, and its
verdicts are read back per module. Survivors listed in
``scripts/mutation_equivalent.toml`` (a mutant whose change no program can observe,
each with its reason) are counted apart; every other survivor is printed with its
diff. A group's copy keeps mutmut's cache: a second run retries the functions that
changed and the last run's survivors (for the tests written since), nothing else.

Usage::

    python scripts/mutation.py                 # every group
    python scripts/mutation.py decode secrets  # some groups
    python scripts/mutation.py --list          # the groups and their modules
    python scripts/mutation.py --report        # the report of the last runs, no run
    python scripts/mutation.py --survivors serve  # only the last run's survivors, again
    python scripts/mutation.py --sample 0.2 oss   # a fixed fifth of each module's mutants
    python scripts/mutation.py --full oss         # every mutant (the sampled groups' default is
                                                  # a share: see ``Group.sample``)

Why mutmut 3: it mutates in place behind trampolines (one copy of the tree, not one
per mutant), runs only the tests that reached the mutated function, forks a warm
pytest for each mutant, and keeps its verdicts between runs. cosmic-ray needs a
session database and a distributor to get the same, and runs the whole selection
for every mutant.
"""

from __future__ import annotations

import argparse
import difflib
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"
EQUIVALENT = ROOT / "scripts" / "mutation_equivalent.toml"


@dataclass(frozen=True)
class Group:
    """Modules mutated together, and the tests run against them."""

    modules: tuple[str, ...]
    tests: tuple[str, ...]
    marks: str = "not slow"
    timeout: int = 120
    """pytest-timeout's bound per test, in seconds: a mutant that hangs costs this much."""
    also_on: tuple[str, ...] = ()
    """Other Pythons (FC runtime versions) the group's survivors are run again on: code
    written for one version alone (3.12's eager tasks) runs only there. The interpreter is
    found as ``make test`` finds it; none found, the survivors stay as they are."""
    sample: float | None = None
    """The share of each module's mutants a run takes unless told (``--sample``, ``--full``):
    set for the groups too large to run whole on two cores in an evening."""
    deselect: tuple[str, ...] = ()
    """Tests (node-id prefixes) that cannot run in a mutated copy, each left out with its reason
    where the group is defined."""
    elsewhere: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Functions that run only in a child process (forked, or a server the test starts),
    where mutmut's stats cannot see them: each name (an fnmatch pattern over mutmut's
    function names) with the tests (node-id prefixes) that run them there. The child
    inherits the mutant under test (a started server imports the mutated copy through
    PYTHONPATH), so those tests do test it; mutmut is only told that they reach it."""


GROUPS: dict[str, Group] = {
    "aio": Group(
        ("fcsdk/_aio.py",),
        ("tests/test_aio.py", "tests/test_handler_async.py", "tests/web/test_async_handlers.py"),
        also_on=("3.12",),  # run()'s eager_start branch
        elsewhere=(
            ("fcsdk._aio.x__forget_after_fork", ("tests/test_aio.py::TestFork::",)),
            ("fcsdk._aio.x__abandon", ("tests/test_aio.py::TestFork::",)),
        ),
    ),
    "asgi": Group(
        ("fcsdk/web/asgi.py", "fcsdk/web/asgi_app.py"),
        (
            "tests/web/test_asgi.py",
            "tests/web/test_asgi_app.py",
            "tests/web/test_asgi_fast_path.py",
            "tests/web/test_hardening.py",
        ),
    ),
    "datastructures": Group(
        ("fcsdk/web/datastructures.py",),
        (
            "tests/web/test_datastructures.py",
            "tests/web/test_request.py",
            "tests/web/test_places_event.py",
            "tests/web/test_places_wsgi.py",
            "tests/web/test_hardening.py",
        ),
    ),
    "secrets": Group(
        ("fcsdk/_secrets.py",),
        (
            "tests/test_secrets.py",
            "tests/properties/test_secrets_properties.py",
            "tests/test_logging.py",
        ),
    ),
    "ship": Group(
        ("fcsdk/_ship/*.py",),
        ("tests/_ship", "tests/cli/test_package.py"),
        # the slow tests (the runtimes' measured cold starts, the quickstart's deploy) take
        # minutes each under mutmut: what only they reach counts as "no test", not killed
        marks="not slow",
        sample=0.05,  # 4,000 mutants, many running pip: a twentieth took 29 minutes
        # runs the built zip under `python -I -S`: the zip's mutated fcsdk cannot import mutmut
        deselect=(
            "tests/_ship/test_build.py::TestRealRuntimes::"
            "test_handler_runs_from_the_unpacked_zip_in_isolation",
        ),
    ),
    "serve": Group(
        ("fcsdk/_local/http1.py", "fcsdk/_local/server.py", "fcsdk/_local/threads.py"),
        (
            "tests/local/test_http1.py",
            "tests/local/test_server.py",
            "tests/local/test_serve_answers.py",
            "tests/local/test_threads.py",
            "tests/properties/test_serve_framing_properties.py",
        ),
        marks="",
        # their waits are bounded at 10 s; a mutant that hangs a server stops at 30 s, not 120
        timeout=30,
    ),
    "oss": Group(
        ("fcsdk/_local/oss/*.py",),
        ("tests/testing", "tests/properties/test_oss_server_properties.py"),
        marks="",
        sample=0.1,  # 6,000 mutants, each starting servers: a tenth took 80 minutes
        # a program that starts a server and never stops it, run in a subprocess, must exit:
        # only there is the server thread's daemon flag seen
        elsewhere=(
            (
                "fcsdk._local.oss.local_server.xǁLocalOSSServerǁstart",
                (
                    "tests/testing/test_oss_server_http.py::TestLifecycle::"
                    "test_a_server_never_stopped_does_not_keep_python_running",
                ),
            ),
        ),
    ),
    "handler": Group(
        ("fcsdk/handler.py",),
        # the tracing tests drive the handler's traced path (tracing configured)
        ("tests/test_handler.py", "tests/test_handler_async.py", "tests/tracing/test_tracing.py"),
    ),
    "decode": Group(
        ("fcsdk/_decode.py",),
        (
            "tests/test_decode.py",
            "tests/test_handler.py",
            "tests/test_handler_async.py",
            "tests/properties/test_decode_properties.py",
        ),
    ),
    # the round's new modules: the web function's server, idempotency, tracing
    "webfunction": Group(
        ("fcsdk/webfunction/*.py",),
        ("tests/webfunction", "tests/tracing/test_web_function.py"),
        marks="",
        sample=0.05,  # 1,900 mutants, each starting uvicorn: a twentieth took 80 minutes
        # the tests start the real server, which imports the mutated copy (PYTHONPATH)
        elsewhere=(
            ("fcsdk.webfunction.*", ("tests/webfunction/", "tests/tracing/test_web_function.py")),
        ),
    ),
    "idempotency": Group(("fcsdk/idempotency/*.py",), ("tests/idempotency",), marks=""),
    "tracing": Group(
        ("fcsdk/tracing/*.py",),
        ("tests/tracing",),
        marks="",
        # the forked-worker test runs the flusher in a subprocess and its fork
        elsewhere=(
            (
                "fcsdk.tracing._hook.xǁFlusherǁ*",
                ("tests/tracing/test_tracing.py::TestExport::test_forked_worker",),
            ),
        ),
    ),
}


@dataclass
class Tally:
    """One module's verdicts."""

    killed: int = 0
    survived: list[str] = field(default_factory=list)
    equivalent: list[str] = field(default_factory=list)
    timeout: int = 0
    no_tests: list[str] = field(default_factory=list)
    rejected: int = 0  # caught by the type checker, or skipped: never ran
    unfinished: int = 0  # not checked yet, or interrupted

    @property
    def score(self) -> float:
        """Killed over every mutant that is not equivalent (timeouts count as killed).

        A module with mutants not run yet scores 0: nothing is claimed for it.
        """
        if self.unfinished:
            return 0.0
        return self.score_of_run

    @property
    def run(self) -> int:
        """The mutants run that are not equivalent."""
        return self.killed + self.timeout + len(self.survived) + len(self.no_tests)

    @property
    def score_of_run(self) -> float:
        """The score over the mutants run (all of them, or a sample: ``--sample``)."""
        return 1.0 if self.run == 0 else (self.killed + self.timeout) / self.run

    def score_of(self, *, sampled: bool) -> float:
        """The score the exit status judges: a sample's over the mutants it ran (none run: 0)."""
        if sampled:
            return self.score_of_run if self.run else 0.0
        return self.score

    @property
    def verdict(self) -> str:
        """The report's score cell: a sample's score says how many mutants it is over."""
        if not self.unfinished:
            return f"{self.score:.0%}"
        return f"{self.score_of_run:.0%} of the {self.run} run" if self.run else "not run"


def _copy_tree(dest: Path) -> None:
    """Copy the files git knows (tracked and untracked-not-ignored) into ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        name = raw.decode()
        source = ROOT / name
        if not source.is_file():
            continue
        target = dest / name
        if target.is_file() and target.read_bytes() == source.read_bytes():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def _configure(dest: Path, group: Group) -> None:
    """Append the group's ``[tool.mutmut]`` table to the copy's pyproject.toml."""
    args = ["-p", "no:cacheprovider", "-p", "mutation_children", "-q", "-x"]
    args.append(f"--timeout={group.timeout}")
    if group.marks:
        args += ["-m", group.marks]
    for test in group.deselect:
        args += ["--deselect", test]
    also = ["benchmarks", "examples", "docs", "scripts", "fuzz", "typing_tests"]
    also += ["mkdocs.yml", "README.md", "CHANGELOG.md", "Makefile", "mypy.ini"]
    pyproject = (ROOT / "pyproject.toml").read_text()
    pyproject += (
        "\n[tool.mutmut]\n"
        'source_paths = ["fcsdk"]\n'
        f"only_mutate = {_toml_list(list(group.modules))}\n"
        f"also_copy = {_toml_list(also)}\n"
        f"pytest_add_cli_args = {_toml_list(args)}\n"
        f"pytest_add_cli_args_test_selection = {_toml_list(list(group.tests))}\n"
    )
    (dest / "pyproject.toml").write_text(pyproject)


def _retry_survivors(dest: Path, wanted: Callable[[str], bool] = lambda _: True) -> list[str]:
    """Forget the verdict of each ``wanted`` survivor (and mutant no test reached).

    mutmut keeps a verdict until the mutated function changes, so a test written since
    the last run would never meet the survivor it was written for. Killed verdicts stay.
    Returns the mutants that will run again.
    """
    status_by_exit_code = _statuses()
    retried: list[str] = []
    for meta in sorted((dest / "mutants").rglob("*.py.meta")):
        data = json.loads(meta.read_text())
        codes: dict[str, int | None] = data["exit_code_by_key"]
        stale = [
            k for k, code in codes.items() if status_by_exit_code[code] in _RETRIED and wanted(k)
        ]
        if stale:
            codes.update(dict.fromkeys(stale))
            meta.write_text(json.dumps(data, indent=4))
            retried += stale
    return retried


_RETRIED = ("survived", "no tests")


def _attribute_elsewhere(dest: Path, group: Group) -> bool:
    """Add the tests that reach a group's child-process functions to mutmut's stats.

    Returns True when the stats lacked one of them (a mutant judged "no tests" can now run).
    """
    stats_file = dest / "mutants" / "mutmut-stats.json"
    if not group.elsewhere or not stats_file.exists():
        return False
    stats = json.loads(stats_file.read_text())
    tests: list[str] = list(stats["duration_by_test"])
    by_function: dict[str, list[str]] = stats["tests_by_mangled_function_name"]
    mutated = _mutated_functions(dest)
    added = False
    for pattern, prefixes in group.elsewhere:
        reached = {test for test in tests if test.startswith(prefixes)}
        if not reached:
            raise SystemExit(f"mutation: no test starts with {' or '.join(prefixes)}")
        named = set() if any(c in pattern for c in "*?[") else {pattern}
        for function in fnmatch.filter(mutated | named, pattern):
            known = set(by_function.get(function, ()))
            if not reached <= known:
                by_function[function] = sorted(known | reached)
                added = True
    if added:
        stats_file.write_text(json.dumps(stats, indent=4))
    return added


_NOTHING = "fcsdk.no_such_module.x_nothing__mutmut_1"
"""A mutant name that matches nothing: mutmut generates the mutants and the stats, runs none."""


def _sample(name: str, dest: Path, children: int, fraction: float) -> list[str]:
    """A fixed random share of each module's mutants (at least 20), those without a verdict.

    Each mutant draws a number in [0, 1) from a hash of its module's path and its name, and
    is in the sample when the number is below ``fraction`` (a module with fewer than 20 so
    drawn takes its 20 lowest). A mutant's draw depends on nothing else: the sample is the
    same every run, a larger share holds a smaller, and mutants that come or go with an
    edited function leave every other mutant's place as it was.
    """
    if not any((dest / "mutants").rglob("*.py.meta")):
        _mutmut(name, dest, children, [_NOTHING], expect_failure=True)
    chosen: list[str] = []
    for meta in sorted((dest / "mutants").rglob("*.py.meta")):
        codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        module = str(meta.relative_to(dest))
        order = sorted(codes, key=lambda mutant: _draw(module, mutant))
        share = [m for m in order if _draw(module, m) < fraction]
        if len(share) < 20:
            share = order[:20]
        chosen += [mutant for mutant in share if codes[mutant] is None]
    return chosen


def _draw(module: str, mutant: str) -> float:
    """A mutant's number in [0, 1): the first 8 bytes of a hash of its module and name."""
    digest = hashlib.sha256(f"{module}\0{mutant}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def run_group(
    name: str,
    group: Group,
    children: int,
    *,
    survivors_only: bool = False,
    sample: float | None = None,
) -> float:
    """Run mutmut over one group (or a sample of each module's mutants); returns the seconds."""
    dest = WORK / name
    dest.mkdir(parents=True, exist_ok=True)
    _copy_tree(dest)
    _configure(dest, group)
    _attribute_elsewhere(dest, group)
    retried = _retry_survivors(dest)
    if retried:
        print(f"mutation: {name}: {len(retried)} survivors of the last run run again", flush=True)
    # mutmut runs only the mutants it is given by name (none given: every one without a verdict)
    only = retried if survivors_only else []
    if survivors_only and not only:
        return 0.0
    print(f"mutation: {name}: {', '.join(group.modules)}", flush=True)
    started = time.monotonic()
    (dest / "mutmut.log").write_bytes(b"")
    if sample is not None and not survivors_only:
        # the last run's survivors run again even when this share does not draw them
        only = sorted(set(retried) | set(_sample(name, dest, children, sample)))
        print(f"mutation: {name}: a sample of {len(only)} mutants", flush=True)
        if not only:
            return time.monotonic() - started
    _mutmut(name, dest, children, only)
    if _attribute_elsewhere(dest, group):  # a first run: its stats did not see the forked child
        again = _retry_survivors(dest, _runs_elsewhere(group))
        print(f"mutation: {name}: {len(again)} mutants run in a forked child", flush=True)
        _mutmut(name, dest, children, again)
    for version in group.also_on:
        if os.environ.get(_ON_PYTHON) or not any(t.survived for t in tally(name, group).values()):
            break
        _survivors_on(version, name, children)
    seconds = time.monotonic() - started
    print(f"mutation: {name}: {seconds:.0f} s", flush=True)
    return seconds


_ON_PYTHON = "FCSDK_MUTATION_ON_PYTHON"
"""Set in a run started for another Python: that run starts none itself."""


def _survivors_on(version: str, name: str, children: int) -> None:
    """Run a group's survivors again on Python ``version``, in ``.venv-py<version>``."""
    found = subprocess.run(
        ["sh", "scripts/find-python.sh", version],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode:
        print(f"mutation: {name}: no Python {version}; its survivors stay", flush=True)
        return
    venv = ROOT / f".venv-py{version}"
    python = venv / "bin" / "python"
    if not (venv / "bin" / "mutmut").exists():
        print(f"mutation: {name}: installing {venv.name} with mutmut", flush=True)
        if not (venv / ".dev-installed").exists():  # as scripts/test-on-python.sh makes it
            subprocess.run([found.stdout.strip(), "-m", "venv", str(venv)], check=True)
            pip = [str(python), "-m", "pip", "install", "--quiet"]
            subprocess.run([*pip, "--upgrade", "pip"], cwd=ROOT, check=True)
            subprocess.run([*pip, "-e", ".[dev]"], cwd=ROOT, check=True)
            (venv / ".dev-installed").touch()
        pip = [str(python), "-m", "pip", "install", "--quiet", "mutmut>=3.8,<4"]
        subprocess.run(pip, cwd=ROOT, check=True)
    print(f"mutation: {name}: the survivors again on Python {version}", flush=True)
    command = [str(python), __file__, "--children", str(children), "--survivors", name]
    subprocess.run(command, cwd=ROOT, env={**os.environ, _ON_PYTHON: version}, check=True)


def _function_of(mutant: str) -> str:
    """The mutated function's name in mutmut's stats: the mutant's name without its number."""
    return mutant.rsplit("__mutmut_", 1)[0]


def _mutated_functions(dest: Path) -> set[str]:
    """Every function of a group's copy that has mutants."""
    return {
        _function_of(mutant)
        for meta in (dest / "mutants").rglob("*.py.meta")
        for mutant in json.loads(meta.read_text())["exit_code_by_key"]
    }


def _runs_elsewhere(group: Group) -> Callable[[str], bool]:
    """Whether a mutant is of a function the group runs in a child process."""
    patterns = [pattern for pattern, _ in group.elsewhere]
    return lambda mutant: any(fnmatch.fnmatch(_function_of(mutant), p) for p in patterns)


def _mutmut(
    name: str, dest: Path, children: int, only: list[str], *, expect_failure: bool = False
) -> None:
    env = dict(os.environ)
    # fewer hypothesis examples per property: a mutant is killed by the first failing one
    env.setdefault("FCSDK_PROPERTY_EXAMPLES", "0.3")
    # a test server that is missing (redis-server) fails the tests instead of skipping them:
    # a skipped test kills nothing, and its mutants would pass for survivors
    env["CI"] = "true"
    # the plugin that keeps child processes out of mutmut's stats mode (mutation_children.py)
    paths = [str(dest / "scripts"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
    mutmut = Path(sys.executable).with_name("mutmut")
    log = dest / "mutmut.log"
    with log.open("ab") as out:
        done = subprocess.run(
            [str(mutmut), "run", "--max-children", str(children), *only],
            cwd=dest,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0 and not expect_failure:
        tail = log.read_bytes()[-3000:].decode(errors="replace").replace("\r", "\n")
        print(f"mutation: {name}: mutmut exited {done.returncode}; its log's end:\n{tail}")


def _load_equivalent() -> list[dict[str, str]]:
    if not EQUIVALENT.exists():
        return []
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the dev extras bring tomli on 3.10
        import tomli as tomllib
    entries: list[dict[str, str]] = tomllib.loads(EQUIVALENT.read_text())["equivalent"]
    return entries


class _Differ:
    """The changed lines of a mutant (what ``mutmut show`` prints), each module parsed once."""

    def __init__(self, dest: Path) -> None:
        self.mutants = dest / "mutants"
        self.modules: dict[str, object] = {}

    def __call__(self, module: str, mutant: str) -> str:
        import libcst as cst
        from mutmut.mutation.diff_apply import read_mutant_function, read_original_function

        tree = self.modules.get(module)
        if tree is None:
            tree = self.modules[module] = cst.parse_module((self.mutants / module).read_text())
        assert isinstance(tree, cst.Module)
        before, after = (
            cst.Module([read(tree, mutant)]).code.strip().splitlines()
            for read in (read_original_function, read_mutant_function)
        )
        return "\n".join(
            line
            for line in difflib.unified_diff(before, after, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        )


def _is_equivalent(module: str, diff: str, entries: list[dict[str, str]]) -> bool:
    """Whether an entry of the equivalence list describes this change of ``module``."""
    changed = [line[1:].strip() for line in diff.splitlines()]
    for entry in entries:
        if entry["module"] != module:
            continue
        if entry["before"].strip() in changed and entry["after"].strip() in changed:
            return True
    return False


def _statuses() -> Mapping[int | None, str]:
    """mutmut's verdict for each exit code of a mutant's test run."""
    from mutmut.stats import status_by_exit_code

    return status_by_exit_code


def tally(name: str, group: Group) -> dict[str, Tally]:
    """Read a group's verdicts per module from mutmut's ``.meta`` files."""
    status_by_exit_code = _statuses()
    dest = WORK / name
    entries = _load_equivalent()
    diff_of = _Differ(dest)
    result: dict[str, Tally] = {}
    for meta in sorted((dest / "mutants" / "fcsdk").rglob("*.py.meta")):
        module = str(meta.relative_to(dest / "mutants"))[: -len(".meta")]
        codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        if not codes:
            continue
        counts = result.setdefault(module, Tally())
        for mutant, code in sorted(codes.items()):
            status = status_by_exit_code[code]
            if status in ("killed", "segfault"):
                counts.killed += 1
            elif status == "timeout":
                counts.timeout += 1
            elif status in ("caught by type check", "skipped"):
                counts.rejected += 1
            elif status == "no tests":
                counts.no_tests.append(mutant)
            elif status == "survived":
                diff = diff_of(module, mutant)
                if _is_equivalent(module, diff, entries):
                    counts.equivalent.append(mutant)
                else:
                    counts.survived.append(f"{mutant}\n{diff}")
            else:  # not checked, interrupted, suspicious
                counts.unfinished += 1
    return result


def report(
    names: list[str], seconds: dict[str, float], sampled: frozenset[str] = frozenset()
) -> int:
    """Print the per-module table and the survivors; 1 when a module is under 85%.

    A module of a ``sampled`` group is judged by its sample's score, the others by
    the score of all their mutants (one not run yet scores 0).
    """
    rows = []
    survivors = []
    worst = 1.0
    for name in names:
        if not (WORK / name / "mutants").exists():
            continue
        for module, t in tally(name, GROUPS[name]).items():
            worst = min(worst, t.score_of(sampled=name in sampled))
            rows.append(
                f"| {module} | {t.killed} | {t.timeout} | {len(t.survived)} "
                f"| {len(t.no_tests)} | {len(t.equivalent)} | {t.unfinished} "
                f"| {t.verdict} |"
            )
            survivors += [f"### {module}\n```\n{s}\n```" for s in t.survived]
            survivors += [f"### {module} (no test reaches it)\n`{s}`" for s in t.no_tests]
    lines = [
        "| module | killed | timeout | survived | no test | equivalent | not run | score |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
    ]
    if seconds:
        lines.append("")
        lines += [f"- {name}: {secs:.0f} s" for name, secs in seconds.items()]
    text = "\n".join(lines) + "\n\n## Survivors\n\n" + "\n\n".join(survivors) + "\n"
    WORK.mkdir(exist_ok=True)
    # one file per set of groups reported: runs of different groups side by side keep theirs
    path = WORK / ("report.md" if names == list(GROUPS) else f"report-{'-'.join(names)}.md")
    path.write_text(text)
    print("\n".join(lines))
    print(f"\n{len(survivors)} survivors (diffs in {path})")
    return 0 if worst >= 0.85 else 1


def share(group: Group, asked: float | None, *, full: bool) -> float | None:
    """The share of a group's mutants to run: the one asked for, else the group's own."""
    if full:
        return None
    return asked if asked is not None else group.sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", help="groups to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the groups and stop")
    parser.add_argument("--report", action="store_true", help="report the last runs only")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--survivors", action="store_true", help="rerun only the last run's survivors"
    )
    parser.add_argument(
        "--sample",
        type=float,
        metavar="SHARE",
        help="run a fixed random share (0-1) of each module's mutants, at least 20",
    )
    parser.add_argument(
        "--full", action="store_true", help="run every mutant, also of the sampled groups"
    )
    args = parser.parse_args(argv)
    if args.sample is not None and not 0 < args.sample <= 1:
        parser.error("--sample takes a share above 0 and at most 1")
    if args.sample is not None and args.full:
        parser.error("--sample and --full contradict each other")
    if args.list:
        for name, group in GROUPS.items():
            print(f"{name}: {' '.join(group.modules)}  <- {' '.join(group.tests)}")
        return 0
    unknown = [name for name in args.groups if name not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; see --list")
    names = args.groups or list(GROUPS)
    seconds: dict[str, float] = {}
    if not args.report:
        for name in names:
            seconds[name] = run_group(
                name,
                GROUPS[name],
                args.children,
                survivors_only=args.survivors,
                sample=share(GROUPS[name], args.sample, full=args.full),
            )
    sampled = frozenset(
        name for name in names if share(GROUPS[name], args.sample, full=args.full) is not None
    )
    return report(names, seconds, sampled)


if __name__ == "__main__":
    raise SystemExit(main())
