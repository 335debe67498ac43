"""``fcsdk coldstart``'s engine: where a packaged function's cold start goes.

The package is unpacked into a read-only folder (FC's code folder is
read-only too, so nothing gets compiled and cached between runs), then fresh
interpreters of the target's Python import the handler's module and handle
one event, ``runs`` times, interleaved with an empty interpreter as the
baseline. One more run with ``-X importtime`` gives the import tree, each
module marked with who brought it: your code, fcsdk, a dependency, Python.
"""

from __future__ import annotations

import html
import json
import os
import stat
import statistics
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fcsdk._ship.bytecode import Interpreter
from fcsdk._ship.native import distribution_label
from fcsdk._ship.progress import Step, quiet
from fcsdk.exceptions import ConfigurationError

__all__ = [
    "ColdStartError",
    "ColdStartReport",
    "ImportNode",
    "measure",
    "parse_importtime",
    "unpacked",
]

RUN_TIMEOUT = 120.0
_MARK = "@fcsdk-coldstart: "
YOUR_CODE = "your code"
PYTHON = "Python"

# What a fresh interpreter runs: the runtime's part of a cold start. It
# imports nothing of its own before the handler's module (json comes after).
_RUNNER = r"""
import time
t0 = time.time_ns()
import sys
code, spec, event_path, mark = sys.argv[1:5]
with open(event_path, "rb") as fh:
    event = fh.read()
sys.path.insert(0, code)
name, _, attr = spec.rpartition(".")
sys.stderr.write(mark + "import\n"); sys.stderr.flush()
stage = "import"
try:
    __import__(name)
    func = getattr(sys.modules[name], attr)
    t1 = time.time_ns()
    sys.stderr.write(mark + "event\n"); sys.stderr.flush()
    stage = "event"
    from types import SimpleNamespace as NS
    creds = NS(
        access_key_id="STS.NUgYrLnoC37mZZCNnAbez2ZgL",
        access_key_secret="Wb3+c/Tg9x5r7FzA0e=",
        security_token="CAIS+a/b=c0ld5tart/T0ken==",
    )
    context = NS(
        request_id="1-6560a1b2-c01d57a7",
        credentials=creds,
        function=NS(name="coldstart", handler=spec, memory=512, timeout=60),
        service=NS(
            name="coldstart", log_project="", log_store="", qualifier="LATEST", version_id=""
        ),
        region="cn-hangzhou",
        account_id="1234567890123456",
        retry_count=0,
        tracing=None,
        logger=None,
    )
    func(event, context)
    t2 = time.time_ns()
except BaseException as exc:
    import json
    sys.stdout.flush()
    error = {"error": stage, "type": type(exc).__name__, "message": str(exc)[:500]}
    sys.stderr.write(mark + json.dumps(error) + "\n")
    sys.exit(3)
import json
sys.stderr.write(mark + json.dumps({"start": t0, "imported": t1, "handled": t2}) + "\n")
"""

_CREDENTIAL_ENV = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.NUgYrLnoC37mZZCNnAbez2ZgL",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "Wb3+c/Tg9x5r7FzA0e=",
    "ALIBABA_CLOUD_SECURITY_TOKEN": "CAIS+a/b=c0ld5tart/T0ken==",
    "FC_REGION": "cn-hangzhou",
}


class ColdStartError(Exception):
    """The package cannot be measured: its message is the one line the user sees."""


@dataclass
class ImportNode:
    """One module in the ``-X importtime`` tree.

    Attributes:
        name: the module's dotted name.
        self_us: microseconds spent in the module itself.
        cumulative_us: microseconds including what it imported.
        owner: ``your code``, ``fcsdk``, ``pydantic 2.14.4`` (a dependency) or ``Python``.
        children: the modules it imported first, in import order.
    """

    name: str
    self_us: int
    cumulative_us: int
    owner: str = PYTHON
    children: list[ImportNode] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """This node and its children as plain data, in milliseconds."""
        return {
            "name": self.name,
            "owner": self.owner,
            "self_ms": round(self.self_us / 1000, 3),
            "cumulative_ms": round(self.cumulative_us / 1000, 3),
            "children": [c.to_dict() for c in self.children],
        }


def parse_importtime(lines: list[str]) -> list[ImportNode]:
    """Build the import tree from ``-X importtime`` lines (children come before parents).

    Example:
        >>> tree = parse_importtime([
        ...     "import time: self [us] | cumulative | imported package",
        ...     "import time:       120 |        120 |   b",
        ...     "import time:       300 |        420 | a",
        ... ])
        >>> [(n.name, n.cumulative_us, [c.name for c in n.children]) for n in tree]
        [('a', 420, ['b'])]
    """
    pending: dict[int, list[ImportNode]] = {}
    for line in lines:
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        raw = parts[2].rstrip("\n")
        name = raw.lstrip(" ")
        depth = (len(raw) - len(name) - 1) // 2
        node = ImportNode(name, int(parts[0]), int(parts[1]))
        node.children = pending.pop(depth + 1, [])
        pending.setdefault(depth, []).append(node)
    return pending.get(0, [])


def owners_of(code: Path) -> dict[str, str]:
    """Map the top-level names importable from ``code`` to who they belong to."""
    owners: dict[str, str] = {}
    for dist_info in sorted(code.glob("*.dist-info")):
        label = distribution_label(dist_info)
        record = dist_info / "RECORD"
        if not record.is_file():
            continue
        for row in record.read_text(encoding="utf-8", errors="replace").splitlines():
            top = row.split(",", 1)[0].split("/", 1)[0]
            if not top or top.endswith((".dist-info", ".data")) or top == "..":
                continue
            top = top.split(".", 1)[0]
            owners.setdefault(top, "fcsdk" if label.startswith("fcsdk ") else label)
    for entry in code.iterdir():
        top = entry.name.split(".", 1)[0]
        if entry.name.endswith((".dist-info", ".data")) or top in owners or not top:
            continue
        if entry.is_dir() or entry.suffix in (".py", ".so", ".pyd"):
            owners[top] = YOUR_CODE
    return owners


def _mark_owners(nodes: list[ImportNode], owners: dict[str, str]) -> None:
    for node in nodes:
        node.owner = owners.get(node.name.split(".", 1)[0], PYTHON)
        _mark_owners(node.children, owners)


def _chmod_tree(root: Path, *, writable: bool) -> None:
    for folder, dirs, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            mode = path.stat().st_mode
            path.chmod((mode | stat.S_IWUSR) if writable else (mode & ~0o222))
        for name in dirs:
            path = Path(folder, name)
            path.chmod(0o755 if writable else 0o555)
    root.chmod(0o755 if writable else 0o555)


@contextmanager
def unpacked(zip_path: Path) -> Iterator[Path]:
    """Unpack ``zip_path`` (a zip already opened once) into a read-only temporary folder.

    FC's ``/code`` is read-only too, so nothing is compiled and cached between runs.
    """
    with tempfile.TemporaryDirectory(prefix="fcsdk-coldstart-") as tmp:
        code = Path(tmp) / "code"
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(code)
            for info in zf.infolist():  # extractall drops the mode bits: keep "executable"
                if not info.is_dir() and (info.external_attr >> 16) & 0o111:
                    path = code / info.filename
                    path.chmod(path.stat().st_mode | 0o111)
        code.mkdir(exist_ok=True)
        _chmod_tree(code, writable=False)
        try:
            yield code
        finally:
            _chmod_tree(code, writable=True)


@dataclass
class Phases:
    """One run's figures, in milliseconds."""

    start: float
    imported: float
    event: float
    wall: float


@dataclass
class ColdStartReport:
    """What ``fcsdk coldstart`` measured.

    Attributes:
        package: the zip measured.
        handler: the handler string.
        interpreter: the Python the runs used.
        zipped_size, unzipped_size, file_count: the package's size.
        bytecode: the pycs' ``__pycache__`` tag, or ``None`` without bytecode.
        runs: each run's phases.
        baseline: each empty interpreter's wall time, in ms.
        imports: the import tree of the handler's module and of the first event.
    """

    package: Path
    handler: str
    interpreter: Interpreter
    zipped_size: int
    unzipped_size: int
    file_count: int
    bytecode: str | None
    runs: list[Phases]
    baseline: list[float]
    imports: list[ImportNode]

    def stats(self) -> dict[str, dict[str, float]]:
        """Median, min and max of each phase, in ms."""
        series = {
            "interpreter start": [r.start for r in self.runs],
            "import": [r.imported for r in self.runs],
            "first event": [r.event for r in self.runs],
            "cold start (import + first event)": [r.imported + r.event for r in self.runs],
            "whole process": [r.wall for r in self.runs],
            "empty interpreter": self.baseline,
        }
        return {
            name: {
                "median": round(statistics.median(values), 2),
                "min": round(min(values), 2),
                "max": round(max(values), 2),
            }
            for name, values in series.items()
        }

    @property
    def cold_start_ms(self) -> float:
        """The median of import + first event: what ``--budget-ms`` is checked against."""
        return self.stats()["cold start (import + first event)"]["median"]

    def to_json(self) -> dict[str, Any]:
        """The raw figures, for ``--json``."""
        return {
            "package": {
                "path": str(self.package),
                "zipped_bytes": self.zipped_size,
                "unzipped_bytes": self.unzipped_size,
                "files": self.file_count,
                "bytecode": self.bytecode,
            },
            "handler": self.handler,
            "python": {"path": self.interpreter.path, "version": self.interpreter.version},
            "runs_ms": [vars(r) for r in self.runs],
            "empty_interpreter_ms": self.baseline,
            "stats_ms": self.stats(),
            "cold_start_ms": self.cold_start_ms,
            "imports": [n.to_dict() for n in self.imports],
        }

    def render(self, *, limit: int = 30) -> str:
        """The text ``fcsdk coldstart`` prints."""
        from fcsdk._ship.build import format_size

        lines = [
            f"{self.package.name}: {format_size(self.zipped_size)} zipped, "
            f"{format_size(self.unzipped_size)} unzipped, {self.file_count} files, "
            f"bytecode: {self.bytecode or 'none'}",
            f"{self.handler} on Python {self.interpreter.version} ({self.interpreter.path}), "
            f"{len(self.runs)} fresh interpreters, read-only code folder",
            "",
            f"  {'phase':<34} {'median':>9} {'min':>9} {'max':>9}",
        ]
        for name, s in self.stats().items():
            lines.append(
                f"  {name:<34} {s['median']:>6.1f} ms {s['min']:>6.1f} ms {s['max']:>6.1f} ms"
            )
        total = sum(n.cumulative_us for n in self.imports) or 1
        lines += ["", "heaviest imports (cumulative ms, one -X importtime run):"]
        shown = _tree_lines(self.imports, total, limit)
        lines += shown or ["  (nothing imported)"]
        return "\n".join(lines)

    def html(self) -> str:
        """A self-contained page: the figures and the import tree as an icicle chart."""
        return _html_page(self)


def _tree_lines(nodes: list[ImportNode], total: int, limit: int) -> list[str]:
    threshold = max(500, total // 100)  # 0.5 ms, or 1% of the whole
    out: list[str] = []

    def walk(items: list[ImportNode], depth: int, parent_owner: str | None) -> None:
        for node in sorted(items, key=lambda n: -n.cumulative_us):
            if node.cumulative_us < threshold or len(out) >= limit:
                continue
            tag = f"  [{node.owner}]" if node.owner != parent_owner else ""
            ms = node.cumulative_us / 1000
            out.append(f"  {ms:7.1f} ms  {'  ' * depth}{node.name}{tag}")
            walk(node.children, depth + 1, node.owner)

    walk(nodes, 0, None)
    return out


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False, env=env, cwd=cwd
        )
    except subprocess.TimeoutExpired as exc:  # pragma: no cover - a handler that hangs
        raise ColdStartError(f"a run took longer than {RUN_TIMEOUT:.0f} s and was stopped") from exc
    except OSError as exc:
        raise ColdStartError(f"cannot run {cmd[0]}: {exc}") from exc


def _result(
    done: subprocess.CompletedProcess[str], handler: str, chosen: str = ""
) -> dict[str, Any]:
    """The run's figures; a failure is a ColdStartError naming the user's own file.

    ``chosen`` says where the handler string came from (`` (s.yaml)``), for the message.
    """
    for line in reversed(done.stderr.splitlines()):
        if line.startswith(_MARK) and line[len(_MARK) :].startswith("{"):
            data: dict[str, Any] = json.loads(line[len(_MARK) :])
            if "error" in data:
                module, _, attr = handler.rpartition(".")
                source = module.replace(".", "/") + ".py"
                if data["error"] == "import" and data["type"] == "AttributeError":
                    raise ColdStartError(
                        f"{source} has no {attr}: the handler is {handler}{chosen}"
                    )
                what = "failed to import" if data["error"] == "import" else "raised on the event"
                raise ColdStartError(
                    f"{handler} ({source}) {what}: {data['type']}: {data['message']}"
                )
            return data
    phase = ""
    said: list[str] = []
    for line in done.stderr.strip().splitlines():
        if line.startswith(_MARK):  # the runner's own marks: where it got to, not output
            phase = _PHASES.get(line[len(_MARK) :], phase)
        elif not line.startswith("import time:"):  # nor -X importtime's table
            said.append(line)
    last = said[-1] if said else "no output"
    raise ColdStartError(f"the interpreter exited with {done.returncode}{phase}: {last}")


_PHASES = {"import": " while importing the handler", "event": " while handling the event"}


def measure(
    zip_path: Path,
    interpreter: Interpreter,
    *,
    handler: str = "index.handler",
    event: bytes = b"{}",
    runs: int = 10,
    env: dict[str, str] | None = None,
    chosen: str = "",
    require_fcsdk: bool = True,
    progress: Step = quiet,
) -> ColdStartReport:
    """Measure the cold start of the package ``zip_path`` with ``interpreter``.

    ``chosen`` says where ``handler`` came from, for messages; ``require_fcsdk``
    refuses a zip without ``fcsdk/`` (one the user named); ``progress`` is
    called with each step.

    Raises:
        ColdStartError: the zip is not an fcsdk package, the handler does not
            import or raises on the event, or the interpreter does not run.
        ConfigurationError: ``runs`` is below 1, or ``handler`` has no module part.
    """
    if runs < 1:
        raise ConfigurationError(f"runs must be at least 1, got {runs}")
    module, _, attr = handler.rpartition(".")
    if not module or not attr:
        raise ConfigurationError(f"handler {handler!r} must be module.function, like index.handler")
    try:
        with zipfile.ZipFile(zip_path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ColdStartError(f"{zip_path} is not a zip file") from exc
    names = {i.filename for i in infos}
    if require_fcsdk and "fcsdk/__init__.py" not in names:
        hint = (
            " (it is a layer: measure the function's package)"
            if any(n.startswith("python/fcsdk/") for n in names)
            else ""
        )
        raise ColdStartError(
            f"{zip_path.name} is not an fcsdk package: it has no fcsdk/ at its root{hint}"
        )
    tags = {
        n.rsplit(".", 2)[-2] for n in names if "/__pycache__/" in f"/{n}" and n.endswith(".pyc")
    }
    child_env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "COVERAGE"))}
    child_env.update(_CREDENTIAL_ENV)
    child_env.update(env or {})
    with (
        tempfile.TemporaryDirectory(prefix="fcsdk-coldstart-run-") as tmp,
        unpacked(zip_path) as code,
    ):
        event_path = Path(tmp) / "event.json"
        event_path.write_bytes(event)
        base = [interpreter.path, "-I", "-B"]
        subject = [*base, "-c", _RUNNER, str(code), handler, str(event_path), _MARK]
        empty = [*base, "-c", "pass"]
        # The traced run comes first: it warms the page cache and fails early on a bad handler.
        progress("tracing the imports")
        traced = _run([*base[:1], "-X", "importtime", *subject[1:]], child_env, Path(tmp))
        _result(traced, handler, chosen)
        phases: list[Phases] = []
        baseline: list[float] = []
        for i in range(runs):
            progress(f"run {i + 1} of {runs}")
            order = [True, False] if i % 2 == 0 else [False, True]
            for is_subject in order:
                spawn = time.time_ns()
                done = _run(subject if is_subject else empty, child_env, Path(tmp))
                wall = (time.time_ns() - spawn) / 1e6
                if not is_subject:
                    baseline.append(round(wall, 3))
                    continue
                r = _result(done, handler, chosen)
                phases.append(
                    Phases(
                        start=round((r["start"] - spawn) / 1e6, 3),
                        imported=round((r["imported"] - r["start"]) / 1e6, 3),
                        event=round((r["handled"] - r["imported"]) / 1e6, 3),
                        wall=round(wall, 3),
                    )
                )
        imports = _split_importtime(traced.stderr)
        owners = owners_of(code)
        for top in imports:  # the two sections are your code's; what they import is marked
            _mark_owners(top.children, owners)
        unzipped = sum(i.file_size for i in infos)
    return ColdStartReport(
        package=zip_path,
        handler=handler,
        interpreter=interpreter,
        zipped_size=zip_path.stat().st_size,
        unzipped_size=unzipped,
        file_count=sum(1 for i in infos if not i.is_dir()),
        bytecode=sorted(tags)[0] if tags else None,
        runs=phases,
        baseline=baseline,
        imports=imports,
    )


def _split_importtime(stderr: str) -> list[ImportNode]:
    """The handler module's import tree and the first event's, as two top nodes."""
    sections: dict[str, list[str]] = {"import": [], "event": []}
    current: str | None = None
    for line in stderr.splitlines():
        if line.startswith(_MARK):
            word = line[len(_MARK) :]
            current = word if word in sections else None
        elif current is not None:
            sections[current].append(line)
    tops: list[ImportNode] = []
    for label, key in (("import of the handler's module", "import"), ("first event", "event")):
        children = parse_importtime(sections[key])
        cumulative = sum(c.cumulative_us for c in children)
        tops.append(ImportNode(label, 0, cumulative, YOUR_CODE, children))
    return tops


# --------------------------------------------------------------------------- the page

_PALETTE = ["#f28e2b", "#59a14f", "#b07aa1", "#d4a017", "#76b7b2", "#ff9da7", "#9c755f", "#8cd17d"]
_FIXED = {YOUR_CODE: "#e15759", "fcsdk": "#2f6fdf", PYTHON: "#bab0ac"}
_ROW = 22
_WIDTH = 1200


def _colours(nodes: list[ImportNode]) -> dict[str, str]:
    seen: list[str] = []

    def walk(items: list[ImportNode]) -> None:
        for n in items:
            if n.owner not in seen:
                seen.append(n.owner)
            walk(n.children)

    walk(nodes)
    colours = dict(_FIXED)
    others = [o for o in seen if o not in _FIXED]
    for i, owner in enumerate(others):
        colours[owner] = _PALETTE[i % len(_PALETTE)]
    return {o: colours[o] for o in seen}


def _rects(nodes: list[ImportNode], scale: float, colours: dict[str, str]) -> tuple[list[str], int]:
    out: list[str] = []
    depth_max = 0

    def place(items: list[ImportNode], x: float, depth: int) -> None:
        nonlocal depth_max
        for n in items:
            w = n.cumulative_us * scale
            if w >= 0.5:
                depth_max = max(depth_max, depth)  # a row only for the bars drawn
                ms = n.cumulative_us / 1000
                label = html.escape(n.name)
                tip = html.escape(
                    f"{n.name} [{n.owner}]: {ms:.1f} ms cumulative, {n.self_us / 1000:.1f} ms self"
                )
                y = depth * _ROW
                text = ""
                if w > 40:
                    chars = int(w / 7)
                    shown = (
                        label if len(n.name) <= chars else html.escape(n.name[: chars - 1]) + "…"
                    )
                    text = f'<text x="{x + 3:.1f}" y="{y + 15}">{shown}</text>'
                out.append(
                    f'<g><title>{tip}</title><rect x="{x:.1f}" y="{y}" width="{w:.1f}" '
                    f'height="{_ROW - 2}" fill="{colours[n.owner]}"/>{text}</g>'
                )
                place(n.children, x, depth + 1)
            x += w

    place(nodes, 0.0, 0)
    return out, depth_max + 1


def _html_page(report: ColdStartReport) -> str:
    from fcsdk._ship.build import format_size

    total = sum(n.cumulative_us for n in report.imports) or 1
    colours = _colours(report.imports)
    rects, rows = _rects(report.imports, _WIDTH / total, colours)
    stats_rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{s['median']:.1f}</td><td>{s['min']:.1f}</td>"
        f"<td>{s['max']:.1f}</td></tr>"
        for name, s in report.stats().items()
    )
    legend = "".join(
        f'<span class="key"><i style="background:{c}"></i>{html.escape(o)}</span>'
        for o, c in colours.items()
    )
    title = html.escape(f"fcsdk coldstart: {report.package.name}")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }} td, th {{ padding: 2px 12px; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }}
svg text {{ font: 12px monospace; fill: #fff; pointer-events: none; }}
.key {{ margin-right: 1.2em; }} .key i {{ display: inline-block; width: 12px; height: 12px;
  margin-right: 4px; vertical-align: middle; }}
</style></head><body>
<h1>{title}</h1>
<p>{html.escape(report.handler)} on Python {html.escape(report.interpreter.version)},
{len(report.runs)} fresh interpreters, read-only code folder.
Package: {format_size(report.zipped_size)} zipped, {format_size(report.unzipped_size)} unzipped,
{report.file_count} files, bytecode: {html.escape(report.bytecode or "none")}.</p>
<table><tr><th>phase (ms)</th><th>median</th><th>min</th><th>max</th></tr>{stats_rows}</table>
<h2>Imports ({total / 1000:.1f} ms, one <code>-X importtime</code> run)</h2>
<p>Each bar is a module; its width is its cumulative import time; the modules it
imported sit below it. Hover for the figures.</p>
<p>{legend}</p>
<svg width="{_WIDTH}" height="{rows * _ROW}" role="img">{"".join(rects)}</svg>
</body></html>
"""
