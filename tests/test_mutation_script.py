"""scripts/mutation.py: the groups name real files, equivalents match, verdicts are tallied."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mutation() -> ModuleType:
    """The script, imported as a module."""
    spec = importlib.util.spec_from_file_location("mutation_script", ROOT / "scripts/mutation.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutation_script"] = module
    spec.loader.exec_module(module)
    return module


class TestGroups:
    def test_modules_exist(self, mutation: ModuleType) -> None:
        """Every module pattern of every group matches at least one file of the package."""
        for name, group in mutation.GROUPS.items():
            for pattern in group.modules:
                assert list(ROOT.glob(pattern)), f"{name}: {pattern} matches nothing"

    def test_tests_exist(self, mutation: ModuleType) -> None:
        """Every test path of every group exists (a moved test file would select nothing)."""
        for name, group in mutation.GROUPS.items():
            for path in group.tests:
                assert (ROOT / path).exists(), f"{name}: {path} does not exist"

    def test_the_riskiest_modules_are_covered(self, mutation: ModuleType) -> None:
        """The modules the project treats as riskiest are all in some group."""
        patterns = [p for group in mutation.GROUPS.values() for p in group.modules]
        for module in (
            "fcsdk/_aio.py",
            "fcsdk/web/asgi.py",
            "fcsdk/web/asgi_app.py",
            "fcsdk/web/datastructures.py",
            "fcsdk/_secrets.py",
            "fcsdk/_ship/build.py",
            "fcsdk/_local/http1.py",
            "fcsdk/_local/server.py",
            "fcsdk/_local/threads.py",
            "fcsdk/_local/oss/storage.py",
            "fcsdk/handler.py",
            "fcsdk/_decode.py",
        ):
            assert any(Path(module).match(p) or module == p for p in patterns), module

    def test_configuration(self, mutation: ModuleType, tmp_path: Path) -> None:
        """The copy's pyproject.toml gets a [tool.mutmut] table for the group alone."""
        if sys.version_info >= (3, 11):
            import tomllib
        else:
            import tomli as tomllib

        mutation._configure(tmp_path, mutation.GROUPS["decode"])
        table = tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]["mutmut"]
        assert table["only_mutate"] == ["fcsdk/_decode.py"]
        assert table["pytest_add_cli_args_test_selection"] == list(mutation.GROUPS["decode"].tests)
        assert "not slow" in table["pytest_add_cli_args"]
        assert "--timeout=120" in table["pytest_add_cli_args"]
        assert "--deselect" not in table["pytest_add_cli_args"]
        mutation._configure(tmp_path, mutation.GROUPS["ship"])
        table = tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]["mutmut"]
        args = table["pytest_add_cli_args"]
        (deselected,) = mutation.GROUPS["ship"].deselect
        assert args[args.index("--deselect") + 1] == deselected
        mutation._configure(tmp_path, mutation.GROUPS["serve"])
        table = tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]["mutmut"]
        assert "--timeout=30" in table["pytest_add_cli_args"]


class TestEquivalents:
    def test_entries_are_complete(self, mutation: ModuleType) -> None:
        """Each listed equivalent names an existing module, both lines and a reason."""
        for entry in mutation._load_equivalent():
            assert (ROOT / entry["module"]).is_file(), entry
            assert entry["before"].strip(), entry
            assert entry["after"].strip(), entry
            assert entry["why"].strip(), entry
            assert entry["before"] != entry["after"], entry

    def test_match(self, mutation: ModuleType) -> None:
        """A diff matches an entry only in the same module with both of its lines."""
        entries = [{"module": "m.py", "before": "a = 1", "after": "a = 2", "why": "x"}]
        assert mutation._is_equivalent("m.py", "-    a = 1\n+    a = 2", entries)
        assert not mutation._is_equivalent("n.py", "-    a = 1\n+    a = 2", entries)
        assert not mutation._is_equivalent("m.py", "-    a = 1\n+    a = 3", entries)
        assert not mutation._is_equivalent("m.py", "-    a = 1", entries)


class TestTally:
    def test_verdicts(self, mutation: ModuleType, tmp_path: Path) -> None:
        """Exit codes become killed / timeout / survived / no test / not run, per module."""
        statuses: dict[int | None, str] = {1: "killed", 3: "killed", 36: "timeout"}
        statuses |= {0: "survived", 33: "no tests"}
        statuses |= {37: "caught by type check", None: "not checked"}
        mutants = tmp_path / "g" / "mutants" / "fcsdk"
        mutants.mkdir(parents=True)
        codes = {"k1": 1, "k2": 3, "t": 36, "s": 0, "n": 33, "c": 37, "u": None}
        (mutants / "m.py.meta").write_text(json.dumps({"exit_code_by_key": codes}))
        mp = pytest.MonkeyPatch()
        mp.setattr(mutation, "WORK", tmp_path)
        mp.setattr(mutation, "_statuses", lambda: statuses)
        mp.setattr(mutation, "_Differ", lambda dest: lambda module, mutant: "-a\n+b")
        try:
            counts = mutation.tally("g", mutation.GROUPS["decode"])["fcsdk/m.py"]
        finally:
            mp.undo()
        assert counts.killed == 2
        assert counts.timeout == 1
        assert counts.survived == ["s\n-a\n+b"]
        assert counts.no_tests == ["n"]
        assert counts.rejected == 1
        assert counts.unfinished == 1
        assert counts.score == 0.0  # a mutant not run yet: nothing is claimed for the module
        counts.unfinished = 0
        assert counts.score == pytest.approx(3 / 5)


class TestRetry:
    def test_survivors_run_again(self, mutation: ModuleType, tmp_path: Path) -> None:
        """Survivors and unreached mutants lose their verdict; killed and timed-out keep it."""
        statuses = {1: "killed", 36: "timeout", 0: "survived", 33: "no tests", None: "not checked"}
        mutants = tmp_path / "mutants" / "fcsdk"
        mutants.mkdir(parents=True)
        codes = {"k": 1, "t": 36, "s": 0, "n": 33, "u": None}
        meta = mutants / "m.py.meta"
        meta.write_text(json.dumps({"exit_code_by_key": codes, "other": 1}))
        mp = pytest.MonkeyPatch()
        mp.setattr(mutation, "_statuses", lambda: statuses)
        try:
            assert sorted(mutation._retry_survivors(tmp_path)) == ["n", "s"]
        finally:
            mp.undo()
        data = json.loads(meta.read_text())
        assert data["exit_code_by_key"] == {"k": 1, "t": 36, "s": None, "n": None, "u": None}
        assert data["other"] == 1

    def test_only_the_named_mutants_run_again(self, mutation: ModuleType, tmp_path: Path) -> None:
        """Given a filter, only the survivors it wants lose their verdict."""
        statuses = {0: "survived", 33: "no tests"}
        mutants = tmp_path / "mutants" / "fcsdk"
        mutants.mkdir(parents=True)
        codes = {"m.x_a__mutmut_1": 33, "m.x_a__mutmut_2": 0, "m.x_b__mutmut_1": 33}
        meta = mutants / "m.py.meta"
        meta.write_text(json.dumps({"exit_code_by_key": codes}))
        mp = pytest.MonkeyPatch()
        mp.setattr(mutation, "_statuses", lambda: statuses)
        try:
            again = mutation._retry_survivors(tmp_path, lambda m: m.startswith("m.x_a__"))
        finally:
            mp.undo()
        assert sorted(again) == ["m.x_a__mutmut_1", "m.x_a__mutmut_2"]
        left = json.loads(meta.read_text())["exit_code_by_key"]
        assert left == {"m.x_a__mutmut_1": None, "m.x_a__mutmut_2": None, "m.x_b__mutmut_1": 33}


class TestRunGroup:
    @pytest.mark.parametrize(
        ("survivors_only", "sample", "ran"),
        [
            (False, 0.1, ["m.x_drawn__mutmut_2", "m.x_lived__mutmut_1"]),
            (True, 0.1, ["m.x_lived__mutmut_1"]),
            (False, None, []),  # every mutant without a verdict
        ],
    )
    def test_what_a_run_hands_mutmut(
        self,
        mutation: ModuleType,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        survivors_only: bool,
        sample: float | None,
        ran: list[str],
    ) -> None:
        """A sampled run takes its share and the last survivors (drawn or not); a survivors'
        run only the survivors; a full run names nothing, so mutmut runs all it has not judged."""
        given: list[list[str]] = []
        monkeypatch.setattr(mutation, "WORK", tmp_path)
        monkeypatch.setattr(mutation, "_copy_tree", lambda dest: None)
        monkeypatch.setattr(mutation, "_configure", lambda dest, group: None)
        monkeypatch.setattr(mutation, "_attribute_elsewhere", lambda dest, group: False)
        monkeypatch.setattr(
            mutation, "_retry_survivors", lambda dest, wanted=None: ["m.x_lived__mutmut_1"]
        )
        monkeypatch.setattr(
            mutation, "_sample", lambda name, dest, children, share: ["m.x_drawn__mutmut_2"]
        )
        monkeypatch.setattr(
            mutation, "_mutmut", lambda name, dest, children, only: given.append(only)
        )
        group = mutation.Group(("fcsdk/m.py",), ("tests/test_m.py",))
        mutation.run_group("g", group, 1, survivors_only=survivors_only, sample=sample)
        assert given == [ran]


class TestForkedChild:
    def test_aio_names_its_fork_tests(self, mutation: ModuleType) -> None:
        """The shared loop's after-fork functions are tied to tests that exist and fork."""
        group = mutation.GROUPS["aio"]
        functions = [function for function, _ in group.elsewhere]
        assert functions == ["fcsdk._aio.x__forget_after_fork", "fcsdk._aio.x__abandon"]
        source = (ROOT / "tests/test_aio.py").read_text()
        for _, prefixes in group.elsewhere:
            for prefix in prefixes:
                assert f"class {prefix.split('::')[1]}" in source
        assert "os.fork()" in source

    def test_stats_learn_the_tests_once(self, mutation: ModuleType, tmp_path: Path) -> None:
        """The fork tests are added to the function's tests; a second pass changes nothing."""
        stats_file = tmp_path / "mutants" / "mutmut-stats.json"
        stats_file.parent.mkdir()
        stats = {
            "tests_by_mangled_function_name": {"m.x_run": ["t.py::A::one"]},
            "duration_by_test": {"t.py::A::one": 0.1, "t.py::Fork::a": 0.2, "t.py::Fork::b": 0.3},
            "stats_time": 1.0,
        }
        stats_file.write_text(json.dumps(stats))
        group = mutation.Group(("m.py",), ("t.py",), elsewhere=(("m.x_child", ("t.py::Fork::",)),))
        assert mutation._attribute_elsewhere(tmp_path, group) is True
        learnt = json.loads(stats_file.read_text())
        assert learnt["tests_by_mangled_function_name"] == {
            "m.x_run": ["t.py::A::one"],
            "m.x_child": ["t.py::Fork::a", "t.py::Fork::b"],
        }
        assert learnt["stats_time"] == 1.0
        assert mutation._attribute_elsewhere(tmp_path, group) is False
        lost = mutation.Group(("m.py",), ("t.py",), elsewhere=(("m.x_child", ("t.py::Gone::",)),))
        with pytest.raises(SystemExit, match=r"no test starts with t\.py::Gone::"):
            mutation._attribute_elsewhere(tmp_path, lost)

    def test_a_pattern_names_every_function_it_matches(
        self, mutation: ModuleType, tmp_path: Path
    ) -> None:
        """A pattern gives its tests to each mutated function it matches, and no other."""
        (tmp_path / "mutants" / "fcsdk").mkdir(parents=True)
        codes = {"m.x_a__mutmut_1": None, "m.xǁCǁb__mutmut_2": None, "n.x_c__mutmut_1": None}
        (tmp_path / "mutants" / "fcsdk" / "m.py.meta").write_text(
            json.dumps({"exit_code_by_key": codes})
        )
        stats = {"tests_by_mangled_function_name": {}, "duration_by_test": {"t.py::S::x": 1.0}}
        stats_file = tmp_path / "mutants" / "mutmut-stats.json"
        stats_file.write_text(json.dumps(stats))
        group = mutation.Group(("m.py",), ("t.py",), elsewhere=(("m.*", ("t.py::S::",)),))
        assert mutation._attribute_elsewhere(tmp_path, group) is True
        learnt = json.loads(stats_file.read_text())["tests_by_mangled_function_name"]
        assert learnt == {"m.x_a": ["t.py::S::x"], "m.xǁCǁb": ["t.py::S::x"]}
        wanted = mutation._runs_elsewhere(group)
        assert wanted("m.xǁCǁb__mutmut_2")
        assert not wanted("n.x_c__mutmut_1")


class TestSample:
    def test_a_fixed_share_of_each_module(self, mutation: ModuleType, tmp_path: Path) -> None:
        """Each module gives its share (at least 20), the same every run; judged ones are left."""
        mutants = tmp_path / "mutants" / "fcsdk"
        mutants.mkdir(parents=True)
        big: dict[str, int | None] = {f"fcsdk.big.x_f__mutmut_{i}": None for i in range(1, 401)}
        small: dict[str, int | None] = {f"fcsdk.small.x_f__mutmut_{i}": None for i in range(1, 31)}
        small["fcsdk.small.x_f__mutmut_1"] = 1  # already killed
        (mutants / "big.py.meta").write_text(json.dumps({"exit_code_by_key": big}))
        (mutants / "small.py.meta").write_text(json.dumps({"exit_code_by_key": small}))
        first = mutation._sample("g", tmp_path, 1, 0.1)
        assert first == mutation._sample("g", tmp_path, 1, 0.1)
        chosen_big = [m for m in first if m.startswith("fcsdk.big.")]
        chosen_small = [m for m in first if m.startswith("fcsdk.small.")]
        assert 25 <= len(chosen_big) <= 55  # a tenth of 400, drawn
        assert len(chosen_small) in (19, 20)  # 20 drawn, less the one with a verdict
        assert "fcsdk.small.x_f__mutmut_1" not in first
        larger = mutation._sample("g", tmp_path, 1, 0.2)
        assert set(first) <= set(larger)
        assert 60 <= len([m for m in larger if m.startswith("fcsdk.big.")]) <= 100

    def test_a_mutant_keeps_its_place_when_others_come_and_go(
        self, mutation: ModuleType, tmp_path: Path
    ) -> None:
        """An edited function's mutants, renumbered or more, leave the rest of the sample be."""
        mutants = tmp_path / "mutants" / "fcsdk"
        mutants.mkdir(parents=True)
        meta = mutants / "big.py.meta"
        codes: dict[str, int | None] = {f"fcsdk.big.x_f__mutmut_{i}": None for i in range(1, 401)}
        codes |= {f"fcsdk.big.x_g__mutmut_{i}": None for i in range(1, 101)}
        meta.write_text(json.dumps({"exit_code_by_key": codes}))
        before = set(mutation._sample("g", tmp_path, 1, 0.1))
        codes = {m: c for m, c in codes.items() if "x_g__" not in m}
        codes |= {f"fcsdk.big.x_g__mutmut_{i}": None for i in range(1, 161)}  # g edited
        meta.write_text(json.dumps({"exit_code_by_key": codes}))
        after = set(mutation._sample("g", tmp_path, 1, 0.1))
        f_before = {m for m in before if "x_f__" in m}
        assert f_before
        assert f_before == {m for m in after if "x_f__" in m}
        assert {m for m in after if "x_g__" in m}  # g's new mutants are drawn too

    def test_a_sample_claims_no_module_score(self, mutation: ModuleType) -> None:
        """Mutants left out of a sample keep the module unfinished; its cell says over how many."""
        counts = mutation.Tally(killed=9, survived=["s"], unfinished=90)
        assert counts.score == 0.0
        assert counts.verdict == "90% of the 10 run"
        assert mutation.Tally(killed=9, survived=["s"]).verdict == "90%"
        assert mutation.Tally(unfinished=5).verdict == "not run"

    def test_a_sample_is_judged_by_what_it_ran(self, mutation: ModuleType) -> None:
        """The exit status judges a sampled module by its sample; nothing run is no pass."""
        sample = mutation.Tally(killed=17, survived=["a", "b", "c"], unfinished=180)
        assert sample.score_of(sampled=True) == 0.85
        assert sample.score_of(sampled=False) == 0.0
        assert mutation.Tally(unfinished=5).score_of(sampled=True) == 0.0
        assert mutation.Tally(killed=4, equivalent=["e"]).score_of(sampled=False) == 1.0

    def test_the_share_of_a_group(self, mutation: ModuleType) -> None:
        """A share asked for wins; else the group's own; --full runs every mutant."""
        sampled = mutation.Group(("m.py",), ("t.py",), sample=0.1)
        whole = mutation.Group(("m.py",), ("t.py",))
        assert mutation.share(sampled, None, full=False) == 0.1
        assert mutation.share(sampled, 0.3, full=False) == 0.3
        assert mutation.share(whole, 0.3, full=False) == 0.3
        assert mutation.share(whole, None, full=False) is None
        assert mutation.share(sampled, None, full=True) is None
        large = {"ship", "oss", "webfunction"}
        assert {n for n, g in mutation.GROUPS.items() if g.sample is not None} == large

    def test_the_share_is_checked(self, mutation: ModuleType) -> None:
        """A share outside (0, 1] is refused before anything runs, as is a share with --full."""
        with pytest.raises(SystemExit):
            mutation.main(["--sample", "0", "decode"])
        with pytest.raises(SystemExit):
            mutation.main(["--sample", "1.5", "decode"])
        with pytest.raises(SystemExit):
            mutation.main(["--sample", "0.5", "--full", "decode"])


class TestOtherPythons:
    def test_survivors_run_again_on_the_other_python(
        self, mutation: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The survivors run again in .venv-py<version>, marked so that run starts no other."""
        calls: list[tuple[list[str], dict[str, str] | None]] = []

        def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
            calls.append(([str(part) for part in command], kwargs.get("env")))
            return subprocess.CompletedProcess(command, 0, stdout="/opt/py312/bin/python\n")

        (tmp_path / ".venv-py3.12" / "bin").mkdir(parents=True)
        (tmp_path / ".venv-py3.12" / "bin" / "mutmut").touch()
        monkeypatch.setattr(mutation, "ROOT", tmp_path)
        monkeypatch.setattr(mutation.subprocess, "run", run)
        mutation._survivors_on("3.12", "aio", 2)
        assert [command for command, _ in calls] == [
            ["sh", "scripts/find-python.sh", "3.12"],
            [
                str(tmp_path / ".venv-py3.12" / "bin" / "python"),
                mutation.__file__,
                "--children",
                "2",
                "--survivors",
                "aio",
            ],
        ]
        env = calls[1][1]
        assert env is not None
        assert env[mutation._ON_PYTHON] == "3.12"

    def test_no_such_python_leaves_the_survivors(
        self,
        mutation: ModuleType,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Without the interpreter nothing is installed or run, and the run says so."""
        calls: list[list[str]] = []

        def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
            calls.append(command)
            return subprocess.CompletedProcess(command, 1, stdout="")

        monkeypatch.setattr(mutation, "ROOT", tmp_path)
        monkeypatch.setattr(mutation.subprocess, "run", run)
        mutation._survivors_on("3.12", "aio", 2)
        assert calls == [["sh", "scripts/find-python.sh", "3.12"]]
        assert "no Python 3.12; its survivors stay" in capsys.readouterr().out
        assert not (tmp_path / ".venv-py3.12").exists()

    def test_the_aio_group_is_retried_on_312(self, mutation: ModuleType) -> None:
        """The shared loop's 3.12-only branch is run there."""
        assert mutation.GROUPS["aio"].also_on == ("3.12",)
