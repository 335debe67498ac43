"""``fcsdk serve`` and ``fcsdk invoke`` for a project's function as its ``s.yaml`` declares it.

The runtime every local command assumes comes from the project's ``s.yaml``
(in the code folder, else the current one), else python3.12. A function on a
custom runtime is a web function: its startup command runs as a child process
(:mod:`fcsdk._local.webfunction`) behind a uvicorn front
(:mod:`fcsdk._local.webproxy`), as FC runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from fcsdk._cli._arguments import positive_number
from fcsdk._project import (
    DEFAULT_RUNTIME,
    CustomRuntimeConfig,
    NoYAMLError,
    Project,
    ProjectFunction,
    find_project,
    read_project,
)
from fcsdk.exceptions import ConfigurationError, LocalRuntimeError

__all__ = [
    "CUSTOM_RUNTIMES",
    "add_web_options",
    "invoke_web",
    "is_web_function",
    "local_runtime",
    "project_function",
    "serve_web",
    "web_config",
]

CUSTOM_RUNTIMES = ("custom.debian12", "custom.debian11", "custom.debian10", "custom")
"""FC's custom runtimes: a function on one of them is a web function."""


def add_web_options(parser: argparse.ArgumentParser) -> None:
    """Add the options of a web function's local run (``serve`` and ``invoke``)."""
    parser.add_argument(
        "--startup-command",
        metavar="CMD",
        help="run a web function: its startup command (default: customRuntimeConfig's in "
        "s.yaml, for a custom runtime), run in the code folder; /code/ means that folder",
    )
    parser.add_argument(
        "--startup-timeout",
        type=positive_number("seconds"),
        default=120.0,
        metavar="S",
        help="how long a web function's command may take to listen on its port (default 120, "
        "as FC)",
    )


def project_function(args: argparse.Namespace) -> ProjectFunction | None:
    """The function the project's ``s.yaml`` declares (read once per command), or None.

    The ``s.yaml`` is looked for in ``--code-dir``, then in the current
    folder; with several functions, ``--function-name`` chooses.

    Raises:
        ConfigurationError: the ``s.yaml`` is invalid, or it declares several
            functions and none is named.
    """
    if hasattr(args, "_project_function"):
        cached: ProjectFunction | None = args._project_function
        return cached
    found: ProjectFunction | None = None
    path = find_project(Path(args.code_dir), Path.cwd())
    if path is not None:
        try:
            project = read_project(path)
        except NoYAMLError as exc:
            if args.handler is None or getattr(args, "startup_command", None):
                raise  # nothing to run without it
            # a handler is given: run it with the defaults rather than refuse
            sys.stderr.write(f"fcsdk: warning: {exc}; until then {path.name} is not read\n")
            project = Project(path, ())
        if project.functions:
            name = getattr(args, "function_name", None)
            if name is not None and len(project.functions) == 1:
                found = project.functions[0]  # --function-name renames the only function
            else:
                found = project.function(name)
    args._project_function = found
    return found


def local_runtime(args: argparse.Namespace) -> str:
    """The runtime to run: ``--runtime``, else the project's ``s.yaml``'s, else python3.12.

    Raises:
        ConfigurationError: ``s.yaml`` names a runtime fcsdk cannot run locally.
    """
    from fcsdk._ship.target import RUNTIME_NAMES

    if args.runtime is not None:
        return str(args.runtime)
    function = project_function(args)
    if function is None:
        return DEFAULT_RUNTIME
    runtime = function.runtime
    if runtime not in RUNTIME_NAMES and not runtime.startswith("custom"):
        known = ", ".join([*RUNTIME_NAMES, *CUSTOM_RUNTIMES])
        raise ConfigurationError(
            f"s.yaml's function {function.name!r} has runtime {runtime!r}, which fcsdk does "
            f"not run locally (it runs {known}): give --runtime"
        )
    return runtime


def choose_handler(args: argparse.Namespace) -> bool:
    """Say whether to run a web function; else fill a missing handler from ``s.yaml``.

    Raises:
        ConfigurationError: as :func:`project_function` and :func:`local_runtime`.
    """
    if is_web_function(args):
        return True
    if args.handler is None:
        function = project_function(args)
        if function is not None and function.handler:
            args.handler = function.handler
    return False


def is_web_function(args: argparse.Namespace) -> bool:
    """Whether the options describe a web function (a startup command, or a custom runtime)."""
    if getattr(args, "startup_command", None):
        return True
    return local_runtime(args).startswith("custom")


def web_config(args: argparse.Namespace, *, credentials: dict[str, str] | None = None) -> Any:
    """Build the :class:`WebFunctionConfig` that the options and the ``s.yaml`` describe.

    Options win over ``s.yaml``; ``s.yaml`` wins over the defaults.

    Raises:
        ConfigurationError: a missing code folder, a malformed ``--env``.
    """
    from fcsdk._local.env import parse_env_assignments, parse_env_file
    from fcsdk._local.webfunction import WebFunctionConfig, split_command

    code_dir = Path(args.code_dir)
    if not code_dir.is_dir():
        raise ConfigurationError(f"--code-dir: the folder {args.code_dir} does not exist")
    function = project_function(args)
    custom = function.custom_runtime if function is not None else None
    # FC's default command when s.yaml gives none (CustomRuntimeConfig's defaults)
    command = (custom or CustomRuntimeConfig()).argv
    if args.startup_command is not None:
        command = split_command(args.startup_command)
        if not command:
            raise ConfigurationError("--startup-command is empty")
    env: dict[str, str] = dict(function.environment) if function is not None else {}
    for path in args.env_file:
        env.update(parse_env_file(path))
    env.update(parse_env_assignments(args.env))
    initializer = function.initializer if function is not None else None
    pre_stop = function.pre_stop if function is not None else None
    values: dict[str, Any] = {
        "command": command,
        "code_dir": code_dir,
        "name": args.function_name or (function.name if function else "my-function"),
        "handler": args.handler or (function.handler if function else None) or "index.handler",
        "runtime": args.runtime or (function.runtime if function else "custom.debian12"),
        "memory": args.memory or (function.memory if function else None) or 512,
        "timeout": args.timeout or (function.timeout if function else None) or 60.0,
        "region": (function.region if function else None) or args.region,
        "initializer": args.initializer or (initializer.handler if initializer else None),
        "initialization_timeout": initializer.timeout if initializer else None,
        "pre_stop": args.pre_stop or (pre_stop.handler if pre_stop else None),
        "pre_stop_timeout": pre_stop.timeout if pre_stop else None,
        "env": env,
        "startup_timeout": args.startup_timeout,
    }
    if args.region != "cn-hangzhou":  # given on the command line: it wins
        values["region"] = args.region
    if credentials:
        values.update(credentials)
    return WebFunctionConfig(**values)


def _credentials(oss: dict[str, Any] | None) -> dict[str, str] | None:
    if oss is None:
        return None
    creds: dict[str, str] = oss["credentials"]
    return {
        "access_key_id": creds["access_key_id"],
        "access_key_secret": creds["access_key_secret"],
        "security_token": creds["security_token"],
    }


def serve_web(args: argparse.Namespace) -> int:
    """``fcsdk serve`` for a web function: the startup command behind a local front."""
    from fcsdk._local.embedded_oss import local_oss, oss_banner, oss_port_for
    from fcsdk._local.logs import RuntimeLogs
    from fcsdk._local.supervisor import busy_port_message, listen

    logs = RuntimeLogs(sys.stderr)
    try:
        from fcsdk._local.webproxy import require_front

        require_front()
        web_config(args)  # a bad option is reported before anything starts
        if args.config is not None or args.single_process:
            raise ConfigurationError(
                "a web function runs its startup command in its own process: "
                "not with --config or --single-process"
            )
    except ConfigurationError as exc:
        sys.stderr.write(f"fcsdk serve: {exc}\n")
        return 2
    try:
        sock = listen(args.host, args.port)
    except OSError as exc:
        sys.stderr.write(busy_port_message(args.host, args.port, exc))
        return 2
    with contextlib.ExitStack() as stack:
        stack.callback(sock.close)
        oss = None
        if not args.no_oss:
            try:
                oss = stack.enter_context(
                    local_oss(
                        root=Path(args.oss_dir),
                        buckets=list(args.bucket),
                        port=oss_port_for(sock.getsockname()[1] if args.port else 0),
                    )
                )
            except ConfigurationError as exc:
                sys.stderr.write(f"fcsdk serve: {exc}\n")
                return 2
        config = web_config(args, credentials=_credentials(oss))
        if oss is not None:
            config = _with_env(config, {"FCSDK_OSS_ENDPOINT": oss["endpoint"]})
        return _serve(args, config, sock, oss_line=oss_banner(oss) if oss else None, logs=logs)


def _with_env(config: Any, extra: dict[str, str]) -> Any:
    import dataclasses

    return dataclasses.replace(config, env={**extra, **config.env})


def _serve(
    args: argparse.Namespace, config: Any, sock: Any, *, oss_line: str | None, logs: Any
) -> int:
    from fcsdk._local.reload import watcher
    from fcsdk._local.webfunction import WebInstance
    from fcsdk._local.webproxy import serve_web_function

    instance = WebInstance(config, log=logs.message)
    watch = watcher([config.code_dir.resolve()]) if args.reload else None
    port = sock.getsockname()[1]
    url = f"http://{args.host}:{port}"
    logs.message(f"starting {config.name}: {config.shown_command} (web function, {config.runtime})")
    try:
        instance.start()
    except LocalRuntimeError as exc:
        if watch is None:
            logs.message(str(exc))
            return 1
        logs.message(f"{exc}; waiting for a code change")
    except KeyboardInterrupt:
        if watch is not None:
            watch.close()
        logs.message("stopped while the function was starting")
        return 130
    from fcsdk._local.server import is_loopback

    if not is_loopback(args.host):  # pragma: no cover - the tests bind loopback only
        logs.message(
            f"warning: listening on {args.host}, reachable from other machines; "
            "fcsdk serve is for local development only"
        )
    logs.message(f"serving {config.name} (web function, HTTP trigger) on {url}")
    logs.message(f"event invocation: curl -X POST {url}/invoke {_event_data(config.code_dir)}")
    if oss_line is not None:
        logs.message(oss_line)
    if watch is not None:
        logs.message(f"reloading on changes under {config.code_dir.resolve()}")
    code = serve_web_function(instance, sock, message=logs.message, watcher=watch)
    logs.message("stopped")
    return code


def _event_data(code_dir: Path) -> str:
    """The banner's curl data: the project's example event when it has one, else ``{}``."""
    example = code_dir / "event.json"
    if not example.is_file():
        return "-d '{}'"
    shown = os.path.relpath(example)
    return f"--data-binary @{example if shown.startswith('..') else shown}"


def invoke_web(args: argparse.Namespace, event: bytes) -> int:
    """``fcsdk invoke`` for a web function: start it, ``POST /invoke`` the event, stop it."""
    try:
        return _invoke(args, event)
    except ConfigurationError as exc:
        sys.stderr.write(f"fcsdk invoke: {exc}\n")
        return 2


def _invoke(args: argparse.Namespace, event: bytes) -> int:
    from fcsdk._local.webproxy import require_front

    require_front()
    import httpx

    from fcsdk._local.webfunction import WebInstance

    web_config(args)  # a bad option is reported before anything starts
    with contextlib.ExitStack() as stack:
        credentials = None
        extra_env: dict[str, str] = {}
        if args.local_oss:
            from fcsdk._cli.local_oss import serving_event_objects

            oss_env = stack.enter_context(serving_event_objects(event))
            extra_env["FCSDK_OSS_ENDPOINT"] = oss_env["FCSDK_OSS_ENDPOINT"]
            credentials = {
                "access_key_id": oss_env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
                "access_key_secret": oss_env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
                "security_token": oss_env.get("ALIBABA_CLOUD_SECURITY_TOKEN", ""),
            }
        config = _with_env(web_config(args, credentials=credentials), extra_env)
        instance = WebInstance(config, log=lambda text: sys.stderr.write(text + "\n"))
        try:
            instance.start()
        except LocalRuntimeError as exc:
            sys.stderr.write(f"fcsdk invoke: {exc}\n")
            return 1
        except KeyboardInterrupt:
            sys.stderr.write("fcsdk invoke: stopped while the function was starting\n")
            return 130
        stack.callback(instance.stop)
        out = sys.stdout.buffer
        failed = False
        with httpx.Client(timeout=config.timeout + 3, trust_env=False) as client:
            for _ in range(args.repeat):
                headers = {"content-type": "application/octet-stream", **config.headers()}
                try:
                    response = client.post(
                        f"{instance.base_url}/invoke", content=event, headers=headers
                    )
                except httpx.HTTPError as exc:
                    failed = True
                    body = json.dumps(
                        {
                            "errorMessage": f"the function's server did not answer: {exc}; "
                            f"its process {instance.describe_exit(wait=2.0)}",
                            "errorType": "FunctionNotStarted",
                        }
                    ).encode()
                else:
                    body = response.content
                    status = response.headers.get("x-fc-status")
                    failed |= response.is_error or (status is not None and status != "200")
                # as fcsdk invoke ends a built-in runtime's answer
                ended = body.endswith(b"\n") or getattr(args, "raw", False)
                body = body if ended else body + b"\n"
                out.write(body)
                out.flush()
        return 1 if failed else 0
