"""The benchmark targets table (benchmarks/targets.py) and the runner's verdicts; no timing."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import types
from pathlib import Path

import pytest

from benchmarks.__main__ import main
from benchmarks._runner import Case, Extra, check, verdict_lines
from benchmarks.targets import TARGETS, Target

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
MODULES = sorted(
    m.name for m in pkgutil.iter_modules([str(BENCHMARKS)]) if m.name.startswith("bench_")
)


def all_cases() -> list[Case]:
    """Every module's cases, built (each asserts its subject answers as its floor) but not run."""
    return [
        case for name in MODULES for case in importlib.import_module(f"benchmarks.{name}").cases()
    ]


class TestTable:
    def test_each_target_once_with_its_issue(self) -> None:
        """No figure has two targets, and every row names the issue and point it comes from."""
        figures = [t.figure for t in TARGETS]
        assert len(figures) == len(set(figures))
        for target in TARGETS:
            assert target.issue.replace(".", "").isdigit(), target
            assert target.limit > 0, target

    def test_case_keys_are_unique(self) -> None:
        """Two cases with one key would report each other's figures."""
        keys = [case.key for case in all_cases()]
        assert len(keys) == len(set(keys))

    @pytest.mark.slow
    def test_every_target_names_a_reported_figure(self) -> None:
        """Each target's figure is one a case or an extra report produces (one cold-start round)."""
        produced = {f"{c.key} / {b}" for c in all_cases() for b in c.baselines}
        for name in MODULES:
            extra_report = getattr(
                importlib.import_module(f"benchmarks.{name}"), "extra_report", None
            )
            if extra_report is not None:
                produced |= set(extra_report(rounds=1).figures)
        assert {t.figure for t in TARGETS} - produced == set()


class TestVerdicts:
    TABLE = (Target("a / floor", 1.2, "2.9"), Target("b / floor", 0.85, "5.4"))

    def test_pass_and_miss(self) -> None:
        """A figure at its limit passes; above it misses, and only the miss fails the run."""
        verdicts = check(self.TABLE, {"a / floor": 1.2, "b / floor": 0.86}, complete=True)
        assert [(v.outcome, v.failed) for v in verdicts] == [("PASS", False), ("MISS", True)]

    def test_missing_figure(self) -> None:
        """A figure not reported fails a full run (a renamed case); a partial run says NOT RUN."""
        assert [v.outcome for v in check(self.TABLE, {"a / floor": 1.0}, complete=True)] == [
            "PASS",
            "NO FIGURE",
        ]
        partial = check(self.TABLE, {"a / floor": 1.0}, complete=False)
        assert [(v.outcome, v.failed) for v in partial] == [("PASS", False), ("NOT RUN", False)]

    def test_printed_table(self) -> None:
        """Each row prints issue, figure, value, limit and outcome."""
        lines = verdict_lines(check(self.TABLE, {"a / floor": 1.25}, complete=False))
        assert lines[1].split() == ["2.9", "a", "/", "floor", "1.25x", "<=", "1.20x", "MISS"]
        assert lines[2].split() == ["5.4", "b", "/", "floor", "-", "<=", "0.85x", "NOT", "RUN"]


class TestRun:
    @pytest.fixture
    def fake_module(self, monkeypatch: pytest.MonkeyPatch) -> str:
        """A benchmark module with one tiny case and one extra figure, 3.0."""
        module = types.ModuleType("benchmarks.bench_zz_fake")
        module.cases = lambda: [  # type: ignore[attr-defined]
            Case(
                key="fake.call",
                name="fake",
                subject=int,
                baselines={"floor": int},
                calls=1,
                samples=1,
            )
        ]
        module.extra_report = lambda: Extra(["fake extra line"], {"fake.extra": 3.0})  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, module.__name__, module)
        return "bench_zz_fake"

    def test_exit_1_on_a_miss(self, fake_module: str, capsys: pytest.CaptureFixture[str]) -> None:
        """python -m benchmarks prints each target with its figure and exits 1 on a miss."""
        assert main([fake_module], [Target("fake.extra", 2.0, "16.4")]) == 1
        out = capsys.readouterr().out
        assert "fake extra line" in out
        assert "fake  [fake.call]" in out  # figures of a case: "<key> / <baseline>"
        assert out.splitlines()[-2].split() == [
            "16.4",
            "fake.extra",
            "3.00x",
            "<=",
            "2.00x",
            "MISS",
        ]
        assert out.splitlines()[-1] == "1 of 1 targets missed"

    def test_exit_0_when_all_pass(
        self, fake_module: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Every target met (the others not run, in a partial run) is exit 0."""
        table = [Target("fake.extra", 3.0, "16.4"), Target("http.x / floor", 1.0, "3.8")]
        assert main([fake_module], table) == 0
        assert "NOT RUN" in capsys.readouterr().out
