"""``fcsdk coldstart``: where a packaged function's cold start goes, measured in fresh interpreters.

Given a project it builds the package first (as ``fcsdk package`` does, into
a temporary folder); given a zip it measures that. Paths are read from the
current folder. Exit codes: 0 measured (and within ``--budget-ms``), 1 over
the budget, 2 bad input (no target interpreter, not an fcsdk package, a
handler that fails, an event that is not JSON).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import zipfile
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from fcsdk._cli._arguments import positive_int, positive_number
from fcsdk._cli.package import add_bytecode_options, add_pip_options
from fcsdk._ship.progress import Progress

if TYPE_CHECKING:
    from fcsdk._ship.bytecode import Interpreter
    from fcsdk._ship.declared import Declared
from fcsdk._ship.target import PACKAGE_RUNTIMES, RUNTIMES

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``fcsdk coldstart``'s options to ``parser``."""
    parser.add_argument(
        "target",
        nargs="?",
        default=".",
        metavar="PROJECT|ZIP",
        help="a project folder (packaged first) or a zip built by fcsdk package, "
        "relative to the current folder (default: the current folder)",
    )
    parser.add_argument(
        "--runtime",
        choices=list(PACKAGE_RUNTIMES),
        default=None,
        help="the FC runtime; a custom one measures a web function (default: the one s.yaml "
        "declares, else a zip's bytecode version, else python3.12)",
    )
    parser.add_argument(
        "--command",
        dest="startup_command",  # `command` is the sub-command's name
        metavar="COMMAND",
        help="a web function's startup command, /code/ meaning the package's folder "
        "(default: s.yaml's customRuntimeConfig.command, else /code/bootstrap)",
    )
    parser.add_argument(
        "--python-version", metavar="3.X", help="another CPython than the runtime's own"
    )
    add_bytecode_options(parser)
    parser.add_argument(
        "--handler",
        metavar="MODULE.FUNCTION",
        help="the handler (default: the one the project's s.yaml declares, else index.handler)",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--event", help="the event, as JSON text")
    source.add_argument(
        "--event-file",
        metavar="FILE",
        help="a JSON file holding the event, relative to the current folder "
        "(default: event.json of the project or zip, else {})",
    )
    parser.add_argument(
        "-n",
        "--runs",
        type=positive_int,
        default=10,
        metavar="N",
        help="fresh interpreters to time (default 10), interleaved with as many empty ones",
    )
    parser.add_argument(
        "--html", metavar="FILE", help="also write a self-contained page with an icicle chart"
    )
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    parser.add_argument(
        "--budget-ms",
        type=positive_number("milliseconds"),
        metavar="MS",
        help="exit 1 when the median cold start (import + first event) is above MS",
    )
    parser.add_argument(
        "--local-oss",
        action="store_true",
        help="serve the objects an OSS trigger event names on a loopback OSS server",
    )
    add_pip_options(
        parser, requirements_help="a project's requirements file, relative to the current folder"
    )


def _zip_runtime(zip_path: Path) -> str | None:
    """The runtime whose bytecode a zip carries (``cpython-310`` -> ``python3.10``)."""
    try:
        with zipfile.ZipFile(zip_path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return None
    for name in names:
        if "__pycache__/" in name and ".cpython-3" in name and name.endswith(".pyc"):
            minor = name.rsplit(".cpython-3", 1)[1].split(".", 1)[0]
            runtime = f"python3.{minor}"
            return runtime if runtime in RUNTIMES else None
    return None


def _default_event(target: Path, is_zip: bool) -> bytes:
    if not is_zip:
        path = target / "event.json"
        return path.read_bytes() if path.is_file() else b"{}"
    try:
        with zipfile.ZipFile(target) as zf:
            return zf.read("event.json")
    except (KeyError, zipfile.BadZipFile, OSError):
        return b"{}"


def run(args: argparse.Namespace) -> int:
    """Run ``fcsdk coldstart``: 0 measured, 1 over the budget, 2 bad input."""
    from fcsdk._ship.bytecode import find_interpreter
    from fcsdk._ship.coldstart import ColdStartError, measure
    from fcsdk._ship.target import Target
    from fcsdk.exceptions import ConfigurationError, PackageError

    def fail(message: str) -> int:
        sys.stderr.write(f"fcsdk coldstart: {message}\n")
        return 2

    target = Path(args.target).absolute()
    if not target.exists():
        return fail(f"no such project folder or zip: {target}")
    is_zip = target.is_file()
    if is_zip and args.no_compile:
        return fail("--no-compile builds a project: a zip is measured as it is")
    try:
        if args.event is not None:
            event = args.event.encode("utf-8")
        elif args.event_file is not None:
            event = Path(args.event_file).read_bytes()
        else:
            event = _default_event(target, is_zip)
        json.loads(event)
    except OSError as exc:
        return fail(f"cannot read the event: {exc}")
    except ValueError as exc:
        return fail(f"the event is not JSON: {exc}")
    # A zip in a project's dist/ folder: the project is the folder above it.
    folders = [target.parent, target.parent.parent] if is_zip else [target]
    declared = _declared(folders)
    runtime = (
        args.runtime
        or (declared.runtime if declared and declared.runtime in PACKAGE_RUNTIMES else None)
        or (_zip_runtime(target) if is_zip else None)
        or "python3.12"
    )
    handler, chosen = _handler(args.handler, declared)
    progress = Progress()
    with ExitStack() as stack:
        stack.callback(progress.close)
        try:
            wanted = Target.for_runtime(runtime, python_version=args.python_version)
            interpreter = find_interpreter(wanted.python_version, args.python)
            if interpreter is None:
                return fail(
                    f"no Python {wanted.python_version} found to run {runtime}'s cold start "
                    f"(tried python{wanted.python_version} on PATH and "
                    f"~/.pyenv/versions/{wanted.python_version}.*): "
                    "install it or pass --python PATH"
                )
            if not is_zip:
                progress.step(f"building the package of {target.name}/")
            zip_path = target if is_zip else _build(args, target, runtime, stack, progress)
            if wanted.custom:
                return _web(args, zip_path, interpreter, declared, progress)
            env: dict[str, str] = {}
            if args.local_oss:
                from fcsdk._cli.local_oss import serving_event_objects
                from fcsdk._ship.coldstart import _CREDENTIAL_ENV

                env = stack.enter_context(
                    serving_event_objects(
                        event,
                        access_key_id=_CREDENTIAL_ENV["ALIBABA_CLOUD_ACCESS_KEY_ID"],
                        access_key_secret=_CREDENTIAL_ENV["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
                    )
                )
                env = {k: v for k, v in env.items() if k == "FCSDK_OSS_ENDPOINT"}
            report = measure(
                zip_path,
                interpreter,
                handler=handler,
                event=event,
                runs=args.runs,
                env=env,
                chosen=chosen,
                require_fcsdk=is_zip,
                progress=progress.step,
            )
        except (ConfigurationError, ColdStartError) as exc:
            progress.close()
            return fail(str(exc))
        except PackageError as exc:
            progress.close()
            return fail(f"cannot build the package of {target.name}/: {exc}")
    if args.html:
        html_path = Path(args.html)
        try:
            html_path.write_text(report.html(), encoding="utf-8")
        except OSError as exc:
            return fail(f"cannot write {html_path}: {exc}")
    if args.json:
        sys.stdout.write(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        sys.stdout.write(report.render() + "\n")
        if args.html:
            sys.stdout.write(f"\nwrote {args.html}\n")
    if args.budget_ms is not None and report.cold_start_ms > args.budget_ms:
        sys.stderr.write(
            f"fcsdk coldstart: the cold start's median, {report.cold_start_ms:.1f} ms, is over "
            f"the {args.budget_ms:g} ms budget\n"
        )
        return 1
    return 0


def _declared(folders: list[Path]) -> Declared | None:
    """What the first ``s.yaml`` of ``folders`` declares."""
    from fcsdk._ship.declared import declared_function

    for folder in folders:
        found = declared_function(folder)
        if found is not None:
            return found
    return None


def _handler(given: str | None, declared: Declared | None) -> tuple[str, str]:
    """The handler to measure, and where it came from (for messages)."""
    if given is not None:
        return given, " (--handler)"
    if declared is not None and declared.handler:
        return declared.handler, f" (from {declared.source})"
    return "index.handler", " (the default: pass --handler, or declare it in s.yaml)"


def _web(
    args: argparse.Namespace,
    zip_path: Path,
    interpreter: Interpreter,
    declared: Declared | None,
    progress: Progress,
) -> int:
    """Measure a web function: its startup command's spawn to its first HTTP answer."""
    import shlex

    from fcsdk._ship.webstart import measure_web

    if args.html or args.local_oss:
        progress.close()
        sys.stderr.write(
            "fcsdk coldstart: --html and --local-oss are for event functions; a web "
            "function is measured from its startup command to its first answer\n"
        )
        return 2
    if args.startup_command is not None:
        command = tuple(shlex.split(args.startup_command))
    elif declared is not None and declared.command:
        command = declared.command
    else:
        command = ("/code/bootstrap",)
    report = measure_web(
        zip_path, interpreter, command=command, runs=args.runs, progress=progress.step
    )
    progress.close()
    if args.json:
        sys.stdout.write(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        sys.stdout.write(report.render() + "\n")
    if args.budget_ms is not None and report.cold_start_ms > args.budget_ms:
        sys.stderr.write(
            f"fcsdk coldstart: the median first answer, {report.cold_start_ms:.1f} ms, is over "
            f"the {args.budget_ms:g} ms budget\n"
        )
        return 1
    return 0


def _build(
    args: argparse.Namespace, project: Path, runtime: str, stack: ExitStack, progress: Progress
) -> Path:
    from fcsdk._ship.build import build_package
    from fcsdk._ship.requirements import PipOptions

    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fcsdk-coldstart-")))
    report = build_package(
        project,
        runtime=runtime,
        python_version=args.python_version,
        output=tmp / f"{project.name}.zip",
        requirements=args.requirements,
        pip=PipOptions(
            find_links=tuple(args.find_links), index_url=args.index_url, no_index=args.no_index
        ),
        compile_bytecode=not args.no_compile,
        python=args.python,
        build_sdists=args.build_sdists,
        progress=progress.step,
    )
    progress.close()
    for warning in report.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    return report.path
