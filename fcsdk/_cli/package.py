"""``fcsdk package``: a deployable zip (or layer) of a project for an FC Python runtime.

Every path option is read from the current folder, as pip reads its own.
"""

from __future__ import annotations

import argparse
import sys

from fcsdk._cli._arguments import positive_number
from fcsdk._ship.target import ARCHES, DEFAULT_MAX_MB, PACKAGE_RUNTIMES

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``fcsdk package``'s options to ``parser``."""
    parser.add_argument(
        "project",
        nargs="?",
        default=".",
        help="the project folder, relative to the current one (default: the current one)",
    )
    parser.add_argument(
        "--runtime",
        choices=list(PACKAGE_RUNTIMES),
        default=None,
        help="the FC runtime to build for: a built-in Python runtime, or a web function's "
        "custom runtime (default: the one s.yaml declares, else python3.12)",
    )
    parser.add_argument(
        "--arch", choices=list(ARCHES), default="x86_64", help="CPU architecture (x86_64)"
    )
    parser.add_argument(
        "--python-version",
        metavar="3.X",
        help="build for this CPython instead of the runtime's own (a custom runtime's, say)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="the zip to write, relative to the current folder "
        "(default dist/<name>-<runtime>.zip in the project)",
    )
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument(
        "--layer",
        action="store_true",
        help="build an FC layer: the dependencies only, under python/",
    )
    kind.add_argument(
        "--no-deps",
        action="store_true",
        help="your code only, for a function whose dependencies come from a layer",
    )
    parser.add_argument(
        "--include-tests", action="store_true", help="ship the tests too (left out by default)"
    )
    parser.add_argument(
        "--handler",
        metavar="MODULE.FUNCTION",
        help="the function's handler, checked to be in the package "
        "(default: the one the project's s.yaml declares)",
    )
    add_pip_options(
        parser,
        requirements_help="a requirements file, relative to the current folder "
        "(default the project's requirements.txt, else its pyproject.toml dependencies)",
    )
    add_bytecode_options(parser)
    parser.add_argument(
        "--fcsdk-wheel",
        metavar="DIR",
        help="write the running fcsdk's wheel into DIR (relative to the current folder) and "
        "exit: the scaffold's Makefile installs it when no index serves fcsdk",
    )
    parser.add_argument(
        "--max-zip-mb",
        type=positive_number("megabytes"),
        metavar="MB",
        default=DEFAULT_MAX_MB,
        help=f"fail when the zip passes this size (default {DEFAULT_MAX_MB}, FC's limit for "
        "a ZIP uploaded by a developer tool or OSS; 100 in smaller regions or through the API)",
    )
    parser.add_argument(
        "--max-unzipped-mb",
        type=positive_number("megabytes"),
        metavar="MB",
        default=DEFAULT_MAX_MB,
        help=f"fail when the unpacked files pass this size (default {DEFAULT_MAX_MB})",
    )


def add_pip_options(parser: argparse.ArgumentParser, *, requirements_help: str) -> None:
    """Add ``-r``, ``--find-links``, ``--index-url`` and ``--no-index``, shared with coldstart."""
    parser.add_argument("-r", "--requirements", metavar="FILE", help=requirements_help)
    parser.add_argument(
        "--find-links",
        action="append",
        default=[],
        metavar="DIR_OR_URL",
        help="also look for wheels here, a folder relative to the current one or a URL "
        "(pip --find-links; repeatable)",
    )
    parser.add_argument(
        "--index-url", metavar="URL", help="a package index other than PyPI (pip --index-url)"
    )
    parser.add_argument(
        "--no-index", action="store_true", help="look only in --find-links (pip --no-index)"
    )
    parser.add_argument(
        "--build-sdists",
        action="store_true",
        help="build requirements that have no wheel (a source distribution, a local folder, "
        "an archive or a VCS URL) into pure-Python wheels here: their build code runs on this "
        "machine, with the C compiler off, and a wheel with compiled code is refused "
        "(default: refused)",
    )


def add_bytecode_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--python`` and ``--no-compile``, shared with ``fcsdk coldstart``."""
    bytecode = parser.add_mutually_exclusive_group()
    bytecode.add_argument(
        "--python",
        metavar="PATH",
        help="the interpreter that compiles the bytecode, of the target's Python version "
        "(a path relative to the current folder, or a command on PATH; default: found "
        "as python3.X on PATH or in ~/.pyenv/versions)",
    )
    bytecode.add_argument(
        "--no-compile",
        action="store_true",
        help="ship sources only, no bytecode (every cold start then compiles its imports)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``fcsdk package``: 0 built, 1 the build failed, 2 a usage error."""
    from fcsdk._ship.build import build_package
    from fcsdk._ship.requirements import PipOptions
    from fcsdk.exceptions import ConfigurationError, PackageError

    if args.fcsdk_wheel is not None:
        from fcsdk._ship.selfwheel import write_fcsdk_wheel

        try:
            wheel = write_fcsdk_wheel(args.fcsdk_wheel)
        except (ConfigurationError, OSError) as exc:
            sys.stderr.write(f"fcsdk package: {exc}\n")
            return 2
        sys.stdout.write(f"{wheel}\n")
        return 0

    pip = PipOptions(
        find_links=tuple(args.find_links), index_url=args.index_url, no_index=args.no_index
    )
    from fcsdk._ship.progress import Progress

    progress = Progress()
    try:
        report = build_package(
            args.project,
            runtime=args.runtime,
            arch=args.arch,
            python_version=args.python_version,
            output=args.output,
            layer=args.layer,
            with_deps=not args.no_deps,
            include_tests=args.include_tests,
            requirements=args.requirements,
            pip=pip,
            max_zip_mb=args.max_zip_mb,
            max_unzipped_mb=args.max_unzipped_mb,
            compile_bytecode=not args.no_compile,
            python=args.python,
            build_sdists=args.build_sdists,
            handler=args.handler,
            progress=progress.step,
        )
    except ConfigurationError as exc:
        progress.close()
        sys.stderr.write(f"fcsdk package: {exc}\n")
        return 2
    except PackageError as exc:
        progress.close()
        sys.stderr.write(f"fcsdk package: error: {exc}\n")
        return 1
    progress.close()
    sys.stdout.write(report.render() + "\n")
    return 0
