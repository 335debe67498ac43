"""Tests for fcsdk/_local/env.py: --env, --env-file and the runtime's FC_* variables."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fcsdk._local.env import (
    applied_environment,
    parse_env_assignments,
    parse_env_file,
    runtime_variables,
)
from fcsdk.exceptions import ConfigurationError


class TestEnvAssignments:
    def test_later_wins_and_value_keeps_equals(self) -> None:
        """KEY=VALUE items parse in order; a value may hold '=' and be empty."""
        assert parse_env_assignments(["A=1", "B=x=y", "A=2", "C="]) == {
            "A": "2",
            "B": "x=y",
            "C": "",
        }

    @pytest.mark.parametrize(
        ("item", "message"),
        [("NOVALUE", "expected KEY=VALUE"), ("1A=x", "not a valid"), ("A-B=x", "not a valid")],
    )
    def test_bad_items(self, item: str, message: str) -> None:
        """A malformed item is a ConfigurationError naming it."""
        with pytest.raises(ConfigurationError, match=message):
            parse_env_assignments([item])


class TestEnvFile:
    def test_forms(self, tmp_path: Path) -> None:
        """Comments, export, bare, single- and double-quoted values, escapes, inline comments."""
        path = tmp_path / ".env"
        path.write_text(
            "# a comment\n"
            "\n"
            "export PLAIN=value\n"
            "SPACED = padded value  \n"
            "INLINE=kept # dropped\n"
            "HASH=a#b\n"
            "SINGLE='lit\\n $x'\n"
            'DOUBLE="line\\nnext \\"q\\" \\\\ \\z"  # note\n'
            "EMPTY=\n"
            'QUOTED_EMPTY=""\n'
            "SEPARATOR='a\u2028b'\r\n"
        )
        assert parse_env_file(path) == {
            "PLAIN": "value",
            "SPACED": "padded value",
            "INLINE": "kept",
            "HASH": "a#b",
            "SINGLE": "lit\\n $x",
            "DOUBLE": 'line\nnext "q" \\ \\z',
            "EMPTY": "",
            "QUOTED_EMPTY": "",
            "SEPARATOR": "a\u2028b",
        }

    @pytest.mark.parametrize(
        ("line", "message"),
        [
            ("JUSTAWORD", "expected KEY=VALUE"),
            ("9X=1", "not a valid environment variable name"),
            ("A='open", "unterminated ' quote"),
            ('A="x" trailing', "unexpected text after the closing quote"),
        ],
    )
    def test_bad_lines_name_file_and_line(self, tmp_path: Path, line: str, message: str) -> None:
        """A malformed line is a ConfigurationError with file:line."""
        path = tmp_path / ".env"
        path.write_text(f"OK=1\n{line}\n")
        with pytest.raises(ConfigurationError, match=message) as info:
            parse_env_file(path)
        assert f"{path}:2" in str(info.value)

    def test_missing_file(self, tmp_path: Path) -> None:
        """A file that cannot be read is a ConfigurationError."""
        with pytest.raises(ConfigurationError, match="cannot read the env file"):
            parse_env_file(tmp_path / "nope.env")

    def test_not_utf8(self, tmp_path: Path) -> None:
        """A file that is not UTF-8 is a ConfigurationError."""
        path = tmp_path / ".env"
        path.write_bytes(b"A=\xff\xfe\n")
        with pytest.raises(ConfigurationError, match="cannot read the env file"):
            parse_env_file(path)


class TestRuntimeVariables:
    def _vars(self, runtime: str) -> dict[str, str]:
        return runtime_variables(
            function_name="f",
            handler="index.handler",
            code_dir="/code",
            runtime=runtime,
            memory=1024,
            region="cn-shanghai",
            account_id="123",
            service_name="svc",
            qualifier="LATEST",
            version_id="",
            instance_id="c-1",
            access_key_id="AK",
            access_key_secret="SK",
            security_token="TOKEN",
        )

    def test_every_fc_variable(self) -> None:
        """Every FC_* variable of the reference is set, as strings."""
        assert self._vars("python3.10") == {
            "FC_FUNCTION_NAME": "f",
            "FC_REGION": "cn-shanghai",
            "FC_ACCOUNT_ID": "123",
            "FC_SERVICE_NAME": "svc",
            "FC_QUALIFIER": "LATEST",
            "FC_VER_ID": "",
            "FC_INSTANCE_ID": "c-1",
            "FC_FUNCTION_HANDLER": "index.handler",
            "FC_FUNCTION_MEMORY_SIZE": "1024",
            "FC_RUNTIME_VERSION": "python3.10",
            "FC_FUNC_CODE_PATH": "/code",
        }

    def test_python312_credentials(self) -> None:
        """python3.12 also gets the credentials in ALIBABA_CLOUD_* variables."""
        env = self._vars("python3.12")
        assert env["ALIBABA_CLOUD_ACCESS_KEY_ID"] == "AK"
        assert env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] == "SK"
        assert env["ALIBABA_CLOUD_SECURITY_TOKEN"] == "TOKEN"


class TestAppliedEnvironment:
    def test_sets_and_restores(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Variables are set inside the block; old values come back, new ones go."""
        monkeypatch.setenv("FCSDK_T_OLD", "before")
        monkeypatch.delenv("FCSDK_T_NEW", raising=False)
        with applied_environment({"FCSDK_T_OLD": "during", "FCSDK_T_NEW": "x"}):
            assert os.environ["FCSDK_T_OLD"] == "during"
            assert os.environ["FCSDK_T_NEW"] == "x"
        assert os.environ["FCSDK_T_OLD"] == "before"
        assert "FCSDK_T_NEW" not in os.environ


class TestEnvFileProperties:
    @settings(max_examples=200, deadline=None)
    @given(st.text(max_size=300))
    def test_any_text_is_a_dict_or_a_clear_error(self, text: str) -> None:
        """Whatever the file holds, the result is a dict or a ConfigurationError."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / ".env"
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
            message = ""
            try:
                result = parse_env_file(path)
            except ConfigurationError as exc:
                message = str(exc)
            if message:
                assert str(path) in message
            else:
                assert all(isinstance(v, str) for v in result.values())

    @settings(max_examples=200, deadline=None)
    @given(
        st.dictionaries(
            st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True),
            st.text(
                alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="'\r\n"),
                max_size=20,
            ),
            max_size=5,
        )
    )
    def test_single_quoted_round_trip(self, values: dict[str, str]) -> None:
        """KEY='value' lines give back exactly the values written."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / ".env"
            lines = "".join(f"{key}='{value}'\n" for key, value in values.items())
            path.write_text(lines, encoding="utf-8")
            assert parse_env_file(path) == values
