"""``fcsdk coldstart``'s figures, text, JSON and page, measured with a stand-in interpreter.

The stand-in is a small script given as the interpreter: it records the
command line it was run with and answers as the real runner does, with
fixed nanosecond stamps and a fixed ``-X importtime`` tree; the clock of
``measure`` is replaced too. So every figure of the report is known and the
whole output can be compared, without a real package or pip.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from fcsdk._ship import coldstart
from fcsdk._ship.build import format_size
from fcsdk._ship.bytecode import Interpreter
from fcsdk._ship.coldstart import (
    ColdStartError,
    ColdStartReport,
    ImportNode,
    Phases,
    measure,
    parse_importtime,
    unpacked,
)
from tests._ship.helpers import HOST

MARK = "@fcsdk-coldstart: "
SPAWN = 1_000_000_000_000  # what the replaced clock says at each spawn, in ns

# The stand-in interpreter: the k-th measured run answers with stamps that grow with k.
STUB = """\
import json, os, sys
args = sys.argv[1:]
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "calls.jsonl"), "a") as log:
    entry = {"argv": args, "cwd": sorted(os.listdir("."))}
    if args[-1] != "pass":
        code = args[-4]
        entry["event"] = open(args[-2]).read()
        entry["code"] = sorted(os.listdir(code))
        entry["code_mode"] = oct(os.stat(code).st_mode & 0o777)
        entry["secret"] = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        entry["extra"] = os.environ.get("EXTRA")
    log.write(json.dumps(entry) + "\\n")
if args[-1] == "pass":
    sys.exit(0)
mark = args[-1]
if args[0] == "-X":
    sys.stderr.write(
        "import time: self [us] | cumulative | imported package\\n"
        "import time:       150 |        150 | encodings\\n"
        + mark + "import\\n"
        "import time:       300 |        300 |   helper\\n"
        "import time:       280 |        280 |     dep.sub_module_long\\n"
        "import time:      1220 |       1500 |   dep\\n"
        "import time:       200 |        200 |     fcsdk.x\\n"
        "import time:      1800 |       2000 |   fcsdk\\n"
        "import time:      3600 |       7400 | index\\n"
        + mark + "event\\n"
        "import time:       597 |        597 | colorsys\\n"
        "import time:         3 |          3 | tiny\\n"
    )
    k = 0
else:
    counter = os.path.join(here, "runs")
    k = len(open(counter).read()) if os.path.exists(counter) else 0
    with open(counter, "a") as fh:
        fh.write("x")
t0 = 1_001_234_567_890 + k * 111_000_000
t1 = t0 + 2_345_678_901 + k * 222_000_000
t2 = t1 + 3_456_789_012 + k * 333_000_000
sys.stderr.write(mark + json.dumps({"start": t0, "imported": t1, "handled": t2}) + "\\n")
"""

# Each run's wall time in ns, in the order the runs are made: subject, empty; empty, subject; ...
WALLS = [7_100_000_000, 20_250_000, 21_500_000, 7_300_000_000, 7_200_000_000, 19_750_000]


def stub_python(folder: Path) -> Interpreter:
    """The stand-in interpreter, an executable script in ``folder``."""
    folder.mkdir()
    path = folder / "python"
    path.write_text(f"#!{sys.executable}\n{STUB}")
    path.chmod(0o755)
    return Interpreter(str(path), HOST, "cpython-0", "00")


def package(path: Path) -> Path:
    """A small package: your code, fcsdk and a dependency (each with its RECORD), two pycs."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("dep/", "")
        zf.writestr("dep/__init__.py", "VALUE = 1\n")
        zf.writestr("dep-1.0.dist-info/RECORD", "dep/__init__.py,,\ndep-1.0.dist-info/RECORD,,\n")
        zf.writestr("fcsdk/__init__.py", "")
        zf.writestr("fcsdk-0.1.0.dist-info/RECORD", "fcsdk/__init__.py,,\n")
        zf.writestr("helper.py", "X = 1\n")
        zf.writestr("index.py", "import helper\n\ndef handler(event, context):\n    return 1\n")
        zf.writestr("__pycache__/index.cpython-312.pyc", b"\x00" * 16)
        zf.writestr("__pycache__/helper.cpython-311.pyc", b"\x00" * 16)
    return path


@pytest.fixture
def measured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ColdStartReport, Path]:
    """Three runs of the stand-in on the small package, on the replaced clock."""

    def ticks() -> Iterator[int]:
        for wall in WALLS:
            yield SPAWN
            yield SPAWN + wall

    clock = ticks()
    monkeypatch.setattr(coldstart, "time", SimpleNamespace(time_ns=lambda: next(clock)))
    python = stub_python(tmp_path / "stub")
    steps: list[str] = []
    report = measure(
        package(tmp_path / "orders.zip"),
        python,
        runs=3,
        event=b'{"order_id": "A1"}',
        env={"EXTRA": "yes"},
        progress=steps.append,
    )
    assert next(clock, None) is None  # every run was timed, no more
    assert steps == ["tracing the imports", "run 1 of 3", "run 2 of 3", "run 3 of 3"]
    return report, tmp_path / "stub" / "calls.jsonl"


EXPECTED_RUNS = [
    Phases(start=1234.568, imported=2345.679, event=3456.789, wall=7100.0),
    Phases(start=1345.568, imported=2567.679, event=3789.789, wall=7300.0),
    Phases(start=1456.568, imported=2789.679, event=4122.789, wall=7200.0),
]

EXPECTED_STATS = {
    "interpreter start": {"median": 1345.57, "min": 1234.57, "max": 1456.57},
    "import": {"median": 2567.68, "min": 2345.68, "max": 2789.68},
    "first event": {"median": 3789.79, "min": 3456.79, "max": 4122.79},
    "cold start (import + first event)": {"median": 6357.47, "min": 5802.47, "max": 6912.47},
    "whole process": {"median": 7200.0, "min": 7100.0, "max": 7300.0},
    "empty interpreter": {"median": 20.25, "min": 19.75, "max": 21.5},
}


class TestMeasuredFigures:
    def test_each_run_and_the_baseline(self, measured: tuple[ColdStartReport, Path]) -> None:
        """Runs alternate with empty interpreters; each phase is the stamps' difference in ms."""
        report, _ = measured
        assert report.runs == EXPECTED_RUNS
        assert report.baseline == [20.25, 21.5, 19.75]
        assert report.stats() == EXPECTED_STATS
        assert report.cold_start_ms == 6357.47
        assert report.bytecode == "cpython-311"
        assert report.file_count == 8
        assert report.unzipped_size == 170  # the bytes of the files written by package()
        assert report.handler == "index.handler"

    def test_the_command_lines_and_what_a_run_sees(
        self, measured: tuple[ColdStartReport, Path]
    ) -> None:
        """Traced first with -X importtime; then isolated runs of the runner, and of ``pass``."""
        _, log = measured
        calls = [json.loads(line) for line in log.read_text().splitlines()]
        assert len(calls) == 7
        traced, *rest = calls
        code, event_path = traced["argv"][-4], traced["argv"][-2]
        runner = ["-c", coldstart._RUNNER, code, "index.handler", event_path, MARK]
        assert traced["argv"] == ["-X", "importtime", "-I", "-B", *runner]
        empty = ["-I", "-B", "-c", "pass"]
        assert [c["argv"] for c in rest] == [
            ["-I", "-B", *runner],
            empty,
            empty,
            ["-I", "-B", *runner],
            ["-I", "-B", *runner],
            empty,
        ]
        assert Path(event_path).name == "event.json"
        for call in calls:
            assert call["cwd"] == ["event.json"]  # a run's working folder holds only the event
        for call in (traced, rest[0]):
            assert call["event"] == '{"order_id": "A1"}'
            assert call["code_mode"] == "0o555"  # read-only, as FC's /code
            assert call["code"] == [
                "__pycache__",
                "dep",
                "dep-1.0.dist-info",
                "fcsdk",
                "fcsdk-0.1.0.dist-info",
                "helper.py",
                "index.py",
            ]
            assert call["secret"] == "Wb3+c/Tg9x5r7FzA0e="
            assert call["extra"] == "yes"

    def test_the_import_tree_is_marked_with_owners(
        self, measured: tuple[ColdStartReport, Path]
    ) -> None:
        """Two top nodes, your code; below, each module's owner from the package's RECORDs."""
        report, _ = measured
        assert [n.to_dict() for n in report.imports] == [
            {
                "name": "import of the handler's module",
                "owner": "your code",
                "self_ms": 0.0,
                "cumulative_ms": 7.4,
                "children": [
                    {
                        "name": "index",
                        "owner": "your code",
                        "self_ms": 3.6,
                        "cumulative_ms": 7.4,
                        "children": [
                            {
                                "name": "helper",
                                "owner": "your code",
                                "self_ms": 0.3,
                                "cumulative_ms": 0.3,
                                "children": [],
                            },
                            {
                                "name": "dep",
                                "owner": "dep 1.0",
                                "self_ms": 1.22,
                                "cumulative_ms": 1.5,
                                "children": [
                                    {
                                        "name": "dep.sub_module_long",
                                        "owner": "dep 1.0",
                                        "self_ms": 0.28,
                                        "cumulative_ms": 0.28,
                                        "children": [],
                                    }
                                ],
                            },
                            {
                                "name": "fcsdk",
                                "owner": "fcsdk",
                                "self_ms": 1.8,
                                "cumulative_ms": 2.0,
                                "children": [
                                    {
                                        "name": "fcsdk.x",
                                        "owner": "fcsdk",
                                        "self_ms": 0.2,
                                        "cumulative_ms": 0.2,
                                        "children": [],
                                    }
                                ],
                            },
                        ],
                    }
                ],
            },
            {
                "name": "first event",
                "owner": "your code",
                "self_ms": 0.0,
                "cumulative_ms": 0.6,
                "children": [
                    {
                        "name": "colorsys",
                        "owner": "Python",
                        "self_ms": 0.597,
                        "cumulative_ms": 0.597,
                        "children": [],
                    },
                    {
                        "name": "tiny",
                        "owner": "Python",
                        "self_ms": 0.003,
                        "cumulative_ms": 0.003,
                        "children": [],
                    },
                ],
            },
        ]

    def test_json(self, measured: tuple[ColdStartReport, Path]) -> None:
        """--json: the package, the handler, the Python, every figure and the tree."""
        report, _ = measured
        data = report.to_json()
        assert data == {
            "package": {
                "path": str(report.package),
                "zipped_bytes": report.package.stat().st_size,
                "unzipped_bytes": 170,
                "files": 8,
                "bytecode": "cpython-311",
            },
            "handler": "index.handler",
            "python": {"path": report.interpreter.path, "version": HOST},
            "runs_ms": [vars(r) for r in EXPECTED_RUNS],
            "empty_interpreter_ms": [20.25, 21.5, 19.75],
            "stats_ms": EXPECTED_STATS,
            "cold_start_ms": 6357.47,
            "imports": [n.to_dict() for n in report.imports],
        }
        assert json.loads(json.dumps(data)) == data

    def test_text(self, measured: tuple[ColdStartReport, Path]) -> None:
        """The text report: the package line, the phases table, the heaviest imports."""
        report, _ = measured
        size = format_size(report.package.stat().st_size)
        python = report.interpreter.path
        assert report.render() == (
            f"orders.zip: {size} zipped, 170 B unzipped, 8 files, bytecode: cpython-311\n"
            f"index.handler on Python {HOST} ({python}), 3 fresh interpreters, "
            "read-only code folder\n"
            "\n"
            "  phase                                 median       min       max\n"
            "  interpreter start                  1345.6 ms 1234.6 ms 1456.6 ms\n"
            "  import                             2567.7 ms 2345.7 ms 2789.7 ms\n"
            "  first event                        3789.8 ms 3456.8 ms 4122.8 ms\n"
            "  cold start (import + first event)  6357.5 ms 5802.5 ms 6912.5 ms\n"
            "  whole process                      7200.0 ms 7100.0 ms 7300.0 ms\n"
            "  empty interpreter                    20.2 ms   19.8 ms   21.5 ms\n"
            "\n"
            "heaviest imports (cumulative ms, one -X importtime run):\n"
            "      7.4 ms  import of the handler's module  [your code]\n"
            "      7.4 ms    index\n"
            "      2.0 ms      fcsdk  [fcsdk]\n"
            "      1.5 ms      dep  [dep 1.0]\n"
            "      0.6 ms  first event  [your code]\n"
            "      0.6 ms    colorsys  [Python]"
        )
        assert report.render(limit=3).splitlines()[-3:] == [
            "      7.4 ms  import of the handler's module  [your code]",
            "      7.4 ms    index",
            "      2.0 ms      fcsdk  [fcsdk]",
        ]

    def test_page(self, measured: tuple[ColdStartReport, Path]) -> None:
        """--html: the figures' table, the owners' legend and the icicle chart, bar by bar."""
        report, _ = measured
        page = report.html()
        assert "<title>fcsdk coldstart: orders.zip</title>" in page
        assert "<h1>fcsdk coldstart: orders.zip</h1>" in page
        assert f"<p>index.handler on Python {HOST},\n3 fresh interpreters" in page
        assert "\n8 files, bytecode: cpython-311.</p>" in page
        assert (
            "<tr><td>cold start (import + first event)</td><td>6357.5</td><td>5802.5</td>"
            "<td>6912.5</td></tr>"
        ) in page
        assert "<h2>Imports (8.0 ms, one <code>-X importtime</code> run)</h2>" in page
        assert (
            '<p><span class="key"><i style="background:#e15759"></i>your code</span>'
            '<span class="key"><i style="background:#f28e2b"></i>dep 1.0</span>'
            '<span class="key"><i style="background:#2f6fdf"></i>fcsdk</span>'
            '<span class="key"><i style="background:#bab0ac"></i>Python</span></p>'
        ) in page
        svg = page[page.index("<svg") : page.index("</svg>") + 6]
        assert svg == (
            '<svg width="1200" height="88" role="img">'
            "<g><title>import of the handler&#x27;s module [your code]: 7.4 ms cumulative, "
            '0.0 ms self</title><rect x="0.0" y="0" width="1110.0" height="20" fill="#e15759"/>'
            '<text x="3.0" y="15">import of the handler&#x27;s module</text></g>'
            "<g><title>index [your code]: 7.4 ms cumulative, 3.6 ms self</title>"
            '<rect x="0.0" y="22" width="1110.0" height="20" fill="#e15759"/>'
            '<text x="3.0" y="37">index</text></g>'
            "<g><title>helper [your code]: 0.3 ms cumulative, 0.3 ms self</title>"
            '<rect x="0.0" y="44" width="45.0" height="20" fill="#e15759"/>'
            '<text x="3.0" y="59">helper</text></g>'
            "<g><title>dep [dep 1.0]: 1.5 ms cumulative, 1.2 ms self</title>"
            '<rect x="45.0" y="44" width="225.0" height="20" fill="#f28e2b"/>'
            '<text x="48.0" y="59">dep</text></g>'
            "<g><title>dep.sub_module_long [dep 1.0]: 0.3 ms cumulative, 0.3 ms self</title>"
            '<rect x="45.0" y="66" width="42.0" height="20" fill="#f28e2b"/>'
            '<text x="48.0" y="81">dep.s…</text></g>'
            "<g><title>fcsdk [fcsdk]: 2.0 ms cumulative, 1.8 ms self</title>"
            '<rect x="270.0" y="44" width="300.0" height="20" fill="#2f6fdf"/>'
            '<text x="273.0" y="59">fcsdk</text></g>'
            "<g><title>fcsdk.x [fcsdk]: 0.2 ms cumulative, 0.2 ms self</title>"
            '<rect x="270.0" y="66" width="30.0" height="20" fill="#2f6fdf"/></g>'
            "<g><title>first event [your code]: 0.6 ms cumulative, 0.0 ms self</title>"
            '<rect x="1110.0" y="0" width="90.0" height="20" fill="#e15759"/>'
            '<text x="1113.0" y="15">first event</text></g>'
            "<g><title>colorsys [Python]: 0.6 ms cumulative, 0.6 ms self</title>"
            '<rect x="1110.0" y="22" width="89.5" height="20" fill="#bab0ac"/>'
            '<text x="1113.0" y="37">colorsys</text></g>'
            "</svg>"
        )


class TestRunResults:
    """How one run's stderr becomes figures, or the one line the user sees."""

    @staticmethod
    def run(stderr: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        """A finished run with this stderr and exit code."""
        return subprocess.CompletedProcess(["python"], code, "", stderr)

    def test_the_last_marked_json_line_is_the_result(self) -> None:
        """Output of the handler after the marks, even JSON-looking, is not taken for figures."""
        stderr = (
            f"{MARK}import\n{MARK}event\nhandler log\n"
            f'{MARK}{{"start": 1, "imported": 2, "handled": 3}}\n'
            + "x" * len(MARK)
            + '{"start": 9}\n'
        )
        assert coldstart._result(self.run(stderr), "index.handler") == {
            "start": 1,
            "imported": 2,
            "handled": 3,
        }

    def test_an_interpreter_that_dies_names_its_exit_code_and_last_line(self) -> None:
        """No figures: the exit code and the last line of stderr, or that there was none."""
        stderr = f"{MARK}import\n{MARK}event\nFatal Python error: Segmentation fault\n\n"
        with pytest.raises(ColdStartError) as e:
            coldstart._result(self.run(stderr, -11), "index.handler")
        assert str(e.value) == (
            "the interpreter exited with -11 while handling the event: "
            "Fatal Python error: Segmentation fault"
        )
        with pytest.raises(ColdStartError) as e:
            coldstart._result(self.run("", 7), "index.handler")
        assert str(e.value) == "the interpreter exited with 7: no output"

    @pytest.mark.parametrize(
        ("error", "message"),
        [
            (
                {"error": "import", "type": "ModuleNotFoundError", "message": "No module named x"},
                "app.main.handler (app/main.py) failed to import: "
                "ModuleNotFoundError: No module named x",
            ),
            (
                {"error": "event", "type": "KeyError", "message": "'order_id'"},
                "app.main.handler (app/main.py) raised on the event: KeyError: 'order_id'",
            ),
            (
                {"error": "event", "type": "AttributeError", "message": "no attribute 'get'"},
                "app.main.handler (app/main.py) raised on the event: "
                "AttributeError: no attribute 'get'",
            ),
            (
                {"error": "import", "type": "AttributeError", "message": "has no attribute"},
                "app/main.py has no handler: the handler is app.main.handler (s.yaml)",
            ),
        ],
    )
    def test_a_failing_handler_names_the_users_file(
        self, error: dict[str, str], message: str
    ) -> None:
        """An import error, an error on the event, a missing function: one line naming the file."""
        stderr = f"{MARK}import\n{MARK}{json.dumps(error)}\n"
        with pytest.raises(ColdStartError) as e:
            coldstart._result(self.run(stderr, 3), "app.main.handler", " (s.yaml)")
        assert str(e.value) == message


class TestRealInterpreter:
    """The real runner in this Python, on a package of a few lines (no pip)."""

    @staticmethod
    def python() -> Interpreter:
        """This Python."""
        return Interpreter(sys.executable, HOST, "cpython-0", "00")

    def test_a_run_is_measured(self, tmp_path: Path) -> None:
        """One run: figures that add up, the handler's imports under the first node."""
        report = measure(package(tmp_path / "p.zip"), self.python(), runs=1)
        (run,) = report.runs
        assert min(run.start, run.imported, run.event) >= 0
        assert run.wall >= run.start + run.imported + run.event - 0.01  # stamps inside the run
        assert len(report.baseline) == 1
        importing, event = report.imports
        (index,) = [n for n in importing.children if n.name == "index"]
        assert index.owner == "your code"
        assert [c.name for c in index.children] == ["helper"]
        assert importing.owner == event.owner == "your code"

    @pytest.mark.parametrize(
        ("source", "message"),
        [
            (
                "import not_installed_anywhere\n",
                "index.handler (index.py) failed to import: ModuleNotFoundError: "
                "No module named 'not_installed_anywhere'",
            ),
            (
                "def handler(event, context):\n    raise KeyError('order_id')\n",
                "index.handler (index.py) raised on the event: KeyError: 'order_id'",
            ),
            ("x = 1\n", "index.py has no handler: the handler is index.handler"),
            (
                "import os\nos._exit(7)\n",
                "the interpreter exited with 7 while importing the handler: no output",
            ),
            (
                "import os, sys\ndef handler(event, context):\n"
                "    print('giving up', file=sys.stderr); sys.stderr.flush(); os._exit(3)\n",
                "the interpreter exited with 3 while handling the event: giving up",
            ),
        ],
    )
    def test_a_failing_handler(self, tmp_path: Path, source: str, message: str) -> None:
        """A handler that does not import, raises, is missing, or kills the interpreter."""
        with zipfile.ZipFile(tmp_path / "p.zip", "w") as zf:
            zf.writestr("fcsdk/__init__.py", "")
            zf.writestr("index.py", source)
        with pytest.raises(ColdStartError) as e:
            measure(tmp_path / "p.zip", self.python(), runs=1)
        assert str(e.value) == message

    def test_a_handler_missing_only_from_a_measured_run_names_where_it_came_from(
        self, tmp_path: Path
    ) -> None:
        """The traced run finds the handler, a measured run does not: the message names s.yaml."""
        with zipfile.ZipFile(tmp_path / "p.zip", "w") as zf:
            zf.writestr("fcsdk/__init__.py", "")
            zf.writestr(
                "app.py",
                "import sys\n"
                "if 'importtime' in sys._xoptions:  # only in the traced run\n"
                "    def main(event, context):\n"
                "        return 1\n",
            )
        with pytest.raises(ColdStartError) as e:
            measure(
                tmp_path / "p.zip", self.python(), handler="app.main", runs=1, chosen=" (s.yaml)"
            )
        assert str(e.value) == "app.py has no main: the handler is app.main (s.yaml)"


class TestUnpacked:
    def test_read_only_while_measured_with_executables_kept(self, tmp_path: Path) -> None:
        """Inside, no file or folder is writable, executables stay so; after, the folder is gone."""
        with zipfile.ZipFile(tmp_path / "p.zip", "w") as zf:
            zf.writestr("lib/data.txt", "x")
            run = zipfile.ZipInfo("bootstrap")
            run.external_attr = 0o755 << 16
            zf.writestr(run, "#!/bin/sh\n")
        with unpacked(tmp_path / "p.zip") as code:
            modes = {
                p.relative_to(code).as_posix(): stat.S_IMODE(p.stat().st_mode)
                for p in [code, *code.rglob("*")]
            }
            assert modes["."] == 0o555
            assert modes["lib"] == 0o555
            assert modes["lib/data.txt"] & 0o222 == 0
            assert modes["bootstrap"] & 0o111 == 0o111
            assert modes["bootstrap"] & 0o222 == 0
        assert not code.exists()


class TestImportTimeLines:
    def test_an_odd_indent_rounds_to_the_level_above(self) -> None:
        """A line indented by an even number of spaces (not -X importtime's) is not lost."""
        tree = parse_importtime(
            [
                "import time:       10 |         10 |    c",
                "import time:       20 |         30 |  b",
                "import time:        5 |          5 | a",
            ]
        )
        assert [(n.name, [c.name for c in n.children]) for n in tree] == [("b", ["c"]), ("a", [])]

    def test_an_import_of_exactly_the_threshold_is_shown(self, tmp_path: Path) -> None:
        """The heaviest imports keep a module of 0.5 ms (the least shown), not one of 0.499 ms."""
        imports = parse_importtime(
            [
                "import time:       500 |        500 |   shown",
                "import time:       499 |        499 |   hidden",
                "import time:         1 |       1000 | top",
            ]
        )
        report = ColdStartReport(
            package=tmp_path / "p.zip",
            handler="index.handler",
            interpreter=Interpreter(sys.executable, HOST, "cpython-0", "00"),
            zipped_size=1,
            unzipped_size=1,
            file_count=1,
            bytecode=None,
            runs=[Phases(start=1.0, imported=1.0, event=1.0, wall=3.0)],
            baseline=[1.0],
            imports=imports,
        )
        assert report.render().splitlines()[-3:] == [
            "heaviest imports (cumulative ms, one -X importtime run):",
            "      1.0 ms  top  [Python]",
            "      0.5 ms    shown",
        ]

    def test_a_node_defaults_to_python(self) -> None:
        """A node nobody claimed is Python's."""
        assert ImportNode("json", 1, 1).owner == "Python"
