"""The one reader of a project's ``s.yaml``: what Serverless Devs' ``fc3`` component deploys.

``fcsdk invoke``, ``fcsdk serve``, ``fcsdk package`` and ``fcsdk coldstart``
read the function a project declares from here, so that they all agree with
what ``s deploy`` will create: its runtime (one default for every command,
:data:`DEFAULT_RUNTIME`, when no ``s.yaml`` says otherwise), handler, memory,
timeout, environment, lifecycle hooks and, for a web function, the startup
command and port of ``customRuntimeConfig``.

PyYAML parses the file. It is imported here only, when a command reads an
``s.yaml``, never by ``import fcsdk``; it is not a dependency of a deployed
function (a 3 MB package in every code package for a file FC never reads).
``${vars.NAME}`` and ``${env.NAME}`` (or ``${env('NAME')}``) are filled in
as Serverless Devs does; other ``${...}`` expressions are kept as written.

Example:
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "s.yaml").write_text(
    ...     "vars: {region: cn-hangzhou}\\n"
    ...     "resources:\\n"
    ...     "  web:\\n"
    ...     "    component: fc3\\n"
    ...     "    props:\\n"
    ...     "      region: ${vars.region}\\n"
    ...     "      functionName: web\\n"
    ...     "      runtime: custom.debian12\\n"
    ...     "      customRuntimeConfig: {command: [/code/bootstrap], port: 9000}\\n"
    ... )
    >>> function = read_project(folder / "s.yaml").function()
    >>> function.runtime, function.region, function.custom_runtime.command
    ('custom.debian12', 'cn-hangzhou', ('/code/bootstrap',))
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from fcsdk.exceptions import ConfigurationError

__all__ = [
    "DEFAULT_RUNTIME",
    "PROJECT_FILES",
    "CustomRuntimeConfig",
    "LifecycleHook",
    "NoYAMLError",
    "Project",
    "ProjectFunction",
    "Trigger",
    "default_runtime",
    "find_project",
    "project_runtime",
    "read_project",
]

DEFAULT_RUNTIME = "python3.12"
"""The runtime every command assumes when no ``s.yaml`` names one: FC 3.0's newest Python."""

PROJECT_FILES = ("s.yaml", "s.yml")
"""The names Serverless Devs looks for, in its order."""

DEFAULT_STARTUP_COMMAND = ("/code/bootstrap",)
"""What FC runs when a custom runtime's ``customRuntimeConfig`` gives no command."""

DEFAULT_PORT = 9000
"""The port FC expects a custom runtime's server on when none is configured."""

_VARIABLE = re.compile(r"\$\{\s*([^{}]+?)\s*\}")
_ENV_CALL = re.compile(r"""env\(\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?\s*\)\Z""")


class NoYAMLError(ConfigurationError):
    """PyYAML is not installed, so an ``s.yaml`` cannot be read."""


class _Props(BaseModel):
    """The part of a function's ``props`` fcsdk reads (Serverless Devs' names, camelCase)."""

    # s.yaml is Serverless Devs' format: fields fcsdk does not read are theirs, not errors.
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


class CustomRuntimeConfig(_Props):
    """``customRuntimeConfig``: how FC starts a custom runtime's server, and where it listens."""

    command: tuple[str, ...] = Field(default=DEFAULT_STARTUP_COMMAND, min_length=1)
    args: tuple[str, ...] = ()
    port: int = Field(default=DEFAULT_PORT, ge=1, le=65535)

    @property
    def argv(self) -> tuple[str, ...]:
        """The whole startup command: ``command`` then ``args``."""
        return self.command + self.args


class LifecycleHook(_Props):
    """One hook of ``instanceLifecycleConfig`` (``initializer`` or ``preStop``)."""

    handler: str | None = None
    timeout: float | None = Field(default=None, gt=0)

    @property
    def configured(self) -> bool:
        """Whether FC calls this hook: a hook with an empty handler is not set."""
        return bool(self.handler)


class _Lifecycle(_Props):
    initializer: LifecycleHook | None = None
    pre_stop: LifecycleHook | None = None


class Trigger(_Props):
    """One entry of ``triggers``."""

    trigger_name: str = ""
    trigger_type: str
    trigger_config: dict[str, Any] = Field(default_factory=dict)


def _as_text(item: Any) -> Any:
    if item is None:
        return ""
    if isinstance(item, bool):
        return "true" if item else "false"
    return str(item) if isinstance(item, (int, float)) else item


class _FunctionProps(_Props):
    function_name: str | None = None
    runtime: str = Field(min_length=1)
    handler: str | None = None
    code: str | dict[str, Any] | None = None
    region: str | None = None
    memory_size: int | None = Field(default=None, ge=1)
    timeout: float | None = Field(default=None, gt=0)
    instance_concurrency: int | None = Field(default=None, ge=1)
    environment_variables: dict[str, str] = Field(default_factory=dict)
    custom_runtime_config: CustomRuntimeConfig | None = None
    instance_lifecycle_config: _Lifecycle | None = None
    triggers: tuple[Trigger, ...] = ()

    @field_validator("environment_variables", mode="before")
    @classmethod
    def _env_as_text(cls, value: Any) -> Any:
        # YAML reads `DEBUG: 1` as an int and `ON: yes` as a bool; FC stores text.
        if isinstance(value, Mapping):
            return {key: _as_text(item) for key, item in value.items()}
        return value


@dataclass(frozen=True, kw_only=True)
class ProjectFunction:
    """One function an ``s.yaml`` declares (a resource of component ``fc3``).

    Attributes:
        resource: its key under ``resources``.
        name: ``functionName`` (the resource key when absent).
        runtime: ``python3.12``, ``custom.debian12``...
        handler: ``handler`` as written (FC ignores it on custom runtimes).
        code: ``code`` when it is a path (a zip or a folder), else None.
        region: ``region``, variables filled in.
        memory: ``memorySize`` in MB, when given.
        timeout: ``timeout`` in seconds, when given.
        instance_concurrency: ``instanceConcurrency``, when given.
        environment: ``environmentVariables``, as text.
        custom_runtime: ``customRuntimeConfig`` (FC's defaults for a custom
            runtime that gives none), None on built-in runtimes.
        initializer: ``instanceLifecycleConfig.initializer`` when configured.
        pre_stop: ``instanceLifecycleConfig.preStop`` when configured.
        triggers: ``triggers``.
    """

    resource: str
    name: str
    runtime: str
    handler: str | None
    code: str | None
    region: str | None
    memory: int | None
    timeout: float | None
    instance_concurrency: int | None
    environment: Mapping[str, str]
    custom_runtime: CustomRuntimeConfig | None
    initializer: LifecycleHook | None
    pre_stop: LifecycleHook | None
    triggers: tuple[Trigger, ...]

    @property
    def is_custom(self) -> bool:
        """Whether FC runs this function's own server: a custom runtime (or container)."""
        return self.runtime.startswith("custom")


@dataclass(frozen=True)
class Project:
    """An ``s.yaml`` and the FC 3.0 functions it declares, in file order."""

    path: Path
    functions: tuple[ProjectFunction, ...]

    def function(self, name: str | None = None) -> ProjectFunction:
        """Return the function called ``name`` (resource key or ``functionName``), or the only one.

        Raises:
            ConfigurationError: no such function, no function at all, or
                several and no name to choose.
        """
        if not self.functions:
            raise ConfigurationError(
                f"{self.path}: no function of component fc3 under resources "
                "(fcsdk reads Serverless Devs 3.x projects)"
            )
        names = ", ".join(repr(f.resource) for f in self.functions)
        if name is None:
            if len(self.functions) == 1:
                return self.functions[0]
            raise ConfigurationError(
                f"{self.path} declares several functions ({names}): name one with --function-name"
            )
        for function in self.functions:
            if name in (function.resource, function.name):
                return function
        raise ConfigurationError(f"{self.path} declares no function {name!r} (it has {names})")


def find_project(*folders: str | os.PathLike[str]) -> Path | None:
    """Return the first ``s.yaml`` (or ``s.yml``) found in ``folders``, in order, or None.

    Example:
        >>> find_project("/nonexistent") is None
        True
    """
    for folder in folders:
        for name in PROJECT_FILES:
            candidate = Path(folder) / name
            if candidate.is_file():
                return candidate
    return None


def _load_yaml(path: Path) -> Any:
    try:
        import yaml
    except ModuleNotFoundError:
        raise NoYAMLError(f"reading {path} needs PyYAML: pip install pyyaml") from None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1}, column {where.column + 1})" if where else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigurationError(f"{path} is not valid YAML{line}: {problem}") from None


def _lookup(variables: Mapping[str, Any], dotted: str) -> Any:
    value: Any = variables
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _variable(expression: str, variables: Mapping[str, Any]) -> Any:
    """The value of one ``${...}`` expression, or None when fcsdk does not evaluate it."""
    if expression.startswith("vars."):
        return _lookup(variables, expression[len("vars.") :])
    if expression.startswith("env."):
        return os.environ.get(expression[len("env.") :])
    call = _ENV_CALL.match(expression)
    if call:
        return os.environ.get(call.group(1))
    return None


def _fill(value: Any, variables: Mapping[str, Any]) -> Any:
    """Fill ``${vars.X}`` and ``${env.X}`` in every string of ``value``."""
    if isinstance(value, str):
        whole = _VARIABLE.fullmatch(value.strip())
        if whole:  # a whole-value reference keeps the variable's type (a number stays one)
            found = _variable(whole.group(1), variables)
            return value if found is None else found

        def one(match: re.Match[str]) -> str:
            found = _variable(match.group(1), variables)
            return match.group(0) if found is None else str(found)

        return _VARIABLE.sub(one, value)
    if isinstance(value, Mapping):
        return {key: _fill(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, variables) for item in value]
    return value


def _field_errors(path: Path, where: str, exc: ValidationError) -> ConfigurationError:
    lines = []
    for error in exc.errors(include_url=False, include_context=False):
        loc = ".".join(str(part) for part in error["loc"])
        shown = f"{where}.{loc}" if loc else where
        lines.append(f"  {shown}: {error['msg']}")
    return ConfigurationError(f"{path}: invalid function settings:\n" + "\n".join(lines))


def _function(path: Path, key: str, props: Any) -> ProjectFunction:
    where = f"resources.{key}.props"
    if not isinstance(props, Mapping):
        raise ConfigurationError(f"{path}: {where} should be a mapping of the function's settings")
    try:
        parsed = _FunctionProps.model_validate(props)
    except ValidationError as exc:
        raise _field_errors(path, where, exc) from None
    custom = parsed.custom_runtime_config
    if custom is None and parsed.runtime.startswith("custom"):
        custom = CustomRuntimeConfig()
    lifecycle = parsed.instance_lifecycle_config or _Lifecycle()
    initializer, pre_stop = lifecycle.initializer, lifecycle.pre_stop
    return ProjectFunction(
        resource=key,
        name=parsed.function_name or key,
        runtime=parsed.runtime,
        handler=parsed.handler,
        code=parsed.code if isinstance(parsed.code, str) else None,
        region=parsed.region,
        memory=parsed.memory_size,
        timeout=parsed.timeout,
        instance_concurrency=parsed.instance_concurrency,
        environment=dict(parsed.environment_variables),
        custom_runtime=custom,
        initializer=initializer if initializer is not None and initializer.configured else None,
        pre_stop=pre_stop if pre_stop is not None and pre_stop.configured else None,
        triggers=parsed.triggers,
    )


def read_project(path: str | os.PathLike[str]) -> Project:
    """Read an ``s.yaml``: every resource of component ``fc3`` (``fc3@0.1.2`` too).

    Raises:
        ConfigurationError: the file cannot be read, is not YAML, or a
            function's settings are invalid; the message names the file and
            the field (``resources.web.props.customRuntimeConfig.port``).
    """
    file = Path(path)
    data = _load_yaml(file)
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"{file}: expected a mapping with a 'resources' section")
    variables = data.get("vars") or {}
    if not isinstance(variables, Mapping):
        raise ConfigurationError(f"{file}: vars should be a mapping")
    resources = data.get("resources")
    if resources is None:
        return Project(file, ())
    if not isinstance(resources, Mapping):
        raise ConfigurationError(f"{file}: resources should be a mapping of resource names")
    functions: list[ProjectFunction] = []
    for key, resource in resources.items():
        if not isinstance(resource, Mapping):
            raise ConfigurationError(f"{file}: resources.{key} should be a mapping")
        component = str(resource.get("component", ""))
        if component.split("@", 1)[0] != "fc3":
            continue
        functions.append(_function(file, str(key), _fill(resource.get("props"), variables)))
    return Project(file, tuple(functions))


def project_runtime(
    folder: str | os.PathLike[str] = ".", *, function: str | None = None
) -> str | None:
    """Return the runtime the ``s.yaml`` in ``folder`` declares, or None without one.

    Raises:
        ConfigurationError: the ``s.yaml`` is invalid, or declares several
            functions of different runtimes and ``function`` names none of them.
    """
    path = find_project(folder)
    if path is None:
        return None
    project = read_project(path)
    if not project.functions:
        return None
    if function is None and len({f.runtime for f in project.functions}) == 1:
        return project.functions[0].runtime
    return project.function(function).runtime


def default_runtime(folder: str | os.PathLike[str] = ".", *, function: str | None = None) -> str:
    """Return the runtime a command should assume: the project's ``s.yaml``'s, else python3.12.

    Every command (``invoke``, ``serve``, ``package``, ``coldstart``, ``init``)
    uses this one default, so a project runs locally as it will be deployed.

    Raises:
        ConfigurationError: as :func:`project_runtime`.

    Example:
        >>> default_runtime("/nonexistent")
        'python3.12'
    """
    return project_runtime(folder, function=function) or DEFAULT_RUNTIME
