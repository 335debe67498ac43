"""Tests for fcsdk._project: the one reader of a project's s.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from fcsdk._project import (
    DEFAULT_RUNTIME,
    default_runtime,
    find_project,
    project_runtime,
    read_project,
)
from fcsdk._scaffold import create_project
from fcsdk.exceptions import ConfigurationError

WEB = """\
edition: 3.0.0
name: shop
vars:
  region: cn-shanghai
  memory: 1024
resources:
  shop:
    component: fc3
    props:
      region: ${vars.region}
      functionName: shop-web
      description: "runs in ${vars.region}"
      runtime: custom.debian12
      handler: index.handler
      code: ./dist/shop.zip
      memorySize: ${vars.memory}
      timeout: 30
      instanceConcurrency: 20
      environmentVariables:
        DEBUG: 1
        VERBOSE: true
        EMPTY:
        NAME: shop
        HOME_DIR: ${env.FCSDK_TEST_HOME}
      customRuntimeConfig:
        command: [/code/bootstrap]
        args: [--workers, "1"]
        port: 8080
      instanceLifecycleConfig:
        initializer:
          handler: "true"
          timeout: 20
        preStop:
          handler: "true"
          timeout: 10
      triggers:
        - triggerName: http
          triggerType: http
          triggerConfig:
            authType: anonymous
            methods: [GET, POST, OPTIONS]
"""


def write(folder: Path, text: str, name: str = "s.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


class TestReadProject:
    def test_web_function_settings(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Every setting a local run needs is read, with ${vars.X} and ${env.X} filled in."""
        monkeypatch.setenv("FCSDK_TEST_HOME", "/home/me")
        function = read_project(write(tmp_path, WEB)).function()
        assert function.resource == "shop"
        assert function.name == "shop-web"
        assert function.runtime == "custom.debian12"
        assert function.is_custom
        assert function.region == "cn-shanghai"
        assert function.memory == 1024
        assert function.timeout == 30
        assert function.instance_concurrency == 20
        assert function.code == "./dist/shop.zip"
        assert function.custom_runtime is not None
        assert function.custom_runtime.argv == ("/code/bootstrap", "--workers", "1")
        assert function.custom_runtime.port == 8080
        assert function.initializer is not None
        assert function.initializer.timeout == 20
        assert function.pre_stop is not None
        assert function.pre_stop.handler == "true"
        assert function.triggers[0].trigger_config["methods"] == ["GET", "POST", "OPTIONS"]

    def test_environment_is_text(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """YAML numbers, booleans and empty values become the text FC stores."""
        monkeypatch.setenv("FCSDK_TEST_HOME", "/home/me")
        env = read_project(write(tmp_path, WEB)).function().environment
        assert env == {
            "DEBUG": "1",
            "VERBOSE": "true",
            "EMPTY": "",
            "NAME": "shop",
            "HOME_DIR": "/home/me",
        }

    def test_unset_env_reference_is_kept(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A ${env.X} whose variable is unset stays as written, as a visible placeholder."""
        monkeypatch.delenv("FCSDK_TEST_HOME", raising=False)
        env = read_project(write(tmp_path, WEB)).function().environment
        assert env["HOME_DIR"] == "${env.FCSDK_TEST_HOME}"

    def test_custom_runtime_defaults(self, tmp_path: Path) -> None:
        """A custom runtime without customRuntimeConfig gets FC's: /code/bootstrap on 9000."""
        text = "resources:\n  f:\n    component: fc3\n    props: {runtime: custom.debian11}\n"
        function = read_project(write(tmp_path, text)).function()
        assert function.custom_runtime is not None
        assert function.custom_runtime.argv == ("/code/bootstrap",)
        assert function.custom_runtime.port == 9000
        assert function.name == "f"

    def test_built_in_runtime_has_no_startup_command(self, tmp_path: Path) -> None:
        """A python3.12 function is not a web function and has no customRuntimeConfig."""
        text = "resources:\n  f:\n    component: fc3\n    props: {runtime: python3.12}\n"
        function = read_project(write(tmp_path, text)).function()
        assert not function.is_custom
        assert function.custom_runtime is None
        assert function.initializer is None

    def test_empty_hook_is_not_configured(self, tmp_path: Path) -> None:
        """A lifecycle hook with an empty handler is not called by FC, so it reads as None."""
        text = (
            "resources:\n  f:\n    component: fc3\n    props:\n      runtime: custom.debian12\n"
            "      instanceLifecycleConfig:\n        initializer: {handler: ''}\n"
        )
        assert read_project(write(tmp_path, text)).function().initializer is None

    def test_other_components_are_skipped(self, tmp_path: Path) -> None:
        """Only fc3 resources (any version) are functions; a domain or an FC 2.0 one is not."""
        text = (
            "resources:\n"
            "  dom:\n    component: fc3-domain\n    props: {domainName: auto}\n"
            "  old:\n    component: fc\n    props: {service: {name: s}}\n"
            "  new:\n    component: fc3@0.1.5\n    props: {runtime: python3.10}\n"
        )
        project = read_project(write(tmp_path, text))
        assert [f.resource for f in project.functions] == ["new"]

    def test_anchors_and_merge_keys(self, tmp_path: Path) -> None:
        """YAML anchors and merge keys, common in s.yaml, are honoured."""
        text = (
            "base: &base {runtime: python3.10, timeout: 5}\n"
            "resources:\n"
            "  a:\n    component: fc3\n    props: {<<: *base, functionName: a}\n"
            "  b:\n    component: fc3\n    props: {<<: *base, functionName: b, timeout: 9}\n"
        )
        project = read_project(write(tmp_path, text))
        assert [(f.name, f.timeout) for f in project.functions] == [("a", 5), ("b", 9)]

    def test_variable_forms(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """${env('X')} reads the environment; an unknown ${vars.X} or expression stays."""
        monkeypatch.setenv("FCSDK_TEST_NAME", "from-env")
        text = (
            "vars: {a: {b: 1}}\n"
            "resources:\n  f:\n    component: fc3\n    props:\n"
            "      runtime: python3.12\n"
            "      functionName: ${env('FCSDK_TEST_NAME')}\n"
            "      description: x\n"
            "      environmentVariables:\n"
            "        MISSING: ${vars.a.c}\n"
            "        DEEP: v${vars.a.b}\n"
            "        OTHER: ${resources.f.props.runtime}\n"
        )
        function = read_project(write(tmp_path, text)).function()
        assert function.name == "from-env"
        assert function.environment == {
            "MISSING": "${vars.a.c}",
            "DEEP": "v1",
            "OTHER": "${resources.f.props.runtime}",
        }


class TestErrors:
    def test_environment_not_a_mapping(self, tmp_path: Path) -> None:
        """environmentVariables that is not a mapping is refused, naming the field."""
        text = (
            "resources:\n  f:\n    component: fc3\n"
            "    props: {runtime: python3.12, environmentVariables: [A]}\n"
        )
        with pytest.raises(ConfigurationError, match=r"props\.environmentVariables"):
            read_project(write(tmp_path, text))

    def test_invalid_field_names_file_and_field(self, tmp_path: Path) -> None:
        """A bad port names the file and the field path under resources."""
        text = WEB.replace("port: 8080", "port: eighty")
        path = write(tmp_path, text)
        with pytest.raises(ConfigurationError) as caught:
            read_project(path)
        message = str(caught.value)
        assert str(path) in message
        assert "resources.shop.props.customRuntimeConfig.port" in message
        assert "valid integer" in message

    def test_missing_runtime(self, tmp_path: Path) -> None:
        """A function without a runtime is refused, naming the field."""
        path = write(tmp_path, "resources:\n  f:\n    component: fc3\n    props: {handler: x}\n")
        expected = r"resources\.f\.props\.runtime: Field required"
        with pytest.raises(ConfigurationError, match=expected):
            read_project(path)

    def test_not_yaml_gives_line(self, tmp_path: Path) -> None:
        """A YAML syntax error names the file and its line."""
        path = write(tmp_path, "resources:\n  f: [unclosed\n")
        with pytest.raises(ConfigurationError, match=r"s\.yaml is not valid YAML \(line \d+"):
            read_project(path)

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("- a list\n", "expected a mapping"),
            ("vars: [1]\nresources: {}\n", "vars should be a mapping"),
            ("resources: [a]\n", "resources should be a mapping"),
            ("resources:\n  f: text\n", r"resources\.f should be a mapping"),
            ("resources:\n  f: {component: fc3, props: 3}\n", r"resources\.f\.props should be"),
        ],
    )
    def test_wrong_shapes(self, tmp_path: Path, text: str, expected: str) -> None:
        """A section of the wrong shape is refused with a message naming it."""
        with pytest.raises(ConfigurationError, match=expected):
            read_project(write(tmp_path, text))

    def test_unreadable(self, tmp_path: Path) -> None:
        """A file that is not UTF-8 gives a ConfigurationError naming it."""
        path = tmp_path / "s.yaml"
        path.write_bytes(b"\xff\xfe\x00")
        with pytest.raises(ConfigurationError, match="cannot read"):
            read_project(path)

    def test_choosing_among_several(self, tmp_path: Path) -> None:
        """Several functions need a name; an unknown name lists the ones there are."""
        text = (
            "resources:\n"
            "  a:\n    component: fc3\n    props: {runtime: python3.10, functionName: fa}\n"
            "  b:\n    component: fc3\n    props: {runtime: python3.12}\n"
        )
        project = read_project(write(tmp_path, text))
        with pytest.raises(ConfigurationError, match="several functions"):
            project.function()
        assert project.function("fa").resource == "a"
        assert project.function("b").runtime == "python3.12"
        with pytest.raises(ConfigurationError, match="no function 'c'"):
            project.function("c")

    def test_no_function(self, tmp_path: Path) -> None:
        """An s.yaml without fc3 functions says so when a function is asked for."""
        project = read_project(write(tmp_path, "edition: 3.0.0\n"))
        with pytest.raises(ConfigurationError, match="no function of component fc3"):
            project.function()


class TestDefaultRuntime:
    def test_without_project(self, tmp_path: Path) -> None:
        """No s.yaml: the one default, python3.12."""
        assert find_project(tmp_path) is None
        assert project_runtime(tmp_path) is None
        assert default_runtime(tmp_path) == DEFAULT_RUNTIME == "python3.12"

    def test_s_yml_is_found(self, tmp_path: Path) -> None:
        """s.yml is read too, as Serverless Devs does."""
        text = "resources:\n  f: {component: fc3, props: {runtime: python3.10}}\n"
        write(tmp_path, text, "s.yml")
        assert default_runtime(tmp_path) == "python3.10"

    def test_same_runtime_for_all(self, tmp_path: Path) -> None:
        """Several functions of one runtime need no name to give it."""
        write(
            tmp_path,
            "resources:\n"
            "  a: {component: fc3, props: {runtime: python3.10}}\n"
            "  b: {component: fc3, props: {runtime: python3.10}}\n",
        )
        assert default_runtime(tmp_path) == "python3.10"

    def test_different_runtimes_need_a_name(self, tmp_path: Path) -> None:
        """Functions of different runtimes: the named one's, else a clear error."""
        write(
            tmp_path,
            "resources:\n"
            "  a: {component: fc3, props: {runtime: python3.10}}\n"
            "  b: {component: fc3, props: {runtime: custom.debian12}}\n",
        )
        assert default_runtime(tmp_path, function="b") == "custom.debian12"
        with pytest.raises(ConfigurationError, match="name one with --function-name"):
            default_runtime(tmp_path)

    def test_no_functions_gives_default(self, tmp_path: Path) -> None:
        """An s.yaml without fc3 functions leaves the default."""
        write(tmp_path, "resources: {}\n")
        assert default_runtime(tmp_path) == "python3.12"

    @pytest.mark.parametrize("template", ["http", "event", "oss", "timer", "fastapi"])
    def test_scaffolds(self, tmp_path: Path, template: str) -> None:
        """Every template's s.yaml reads, and names the runtime it was made for."""
        project = tmp_path / "proj"
        create_project(project, template=template, runtime="python3.10")
        assert default_runtime(project) == "python3.10"
        assert read_project(project / "s.yaml").function().name == "proj"
