"""``fcsdk web``: the fast command path, the port FC gives, and clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from fcsdk.exceptions import ConfigurationError
from fcsdk.webfunction import listen_port
from tests.webfunction.server import APPS, WebServer, child_environment

pytestmark = pytest.mark.slow


class TestListenPort:
    def test_order_of_the_variables(self) -> None:
        """FC_CUSTOM_LISTEN_PORT wins over FC_SERVER_PORT; 9000 without either."""
        assert listen_port({"FC_CUSTOM_LISTEN_PORT": "9100", "FC_SERVER_PORT": "9200"}) == 9100
        assert listen_port({"FC_SERVER_PORT": "9200"}) == 9200
        assert listen_port({}) == 9000

    @pytest.mark.parametrize("value", ["abc", "0", "70000", "-1"])
    def test_a_bad_port_is_a_configuration_error(self, value: str) -> None:
        """A port variable that is not a port says which and why."""
        with pytest.raises(ConfigurationError, match="FC_CUSTOM_LISTEN_PORT"):
            listen_port({"FC_CUSTOM_LISTEN_PORT": value})


class TestCommand:
    def test_binds_all_interfaces_on_fc_custom_listen_port(self, tmp_path: Path) -> None:
        """Without --host/--port the server listens on 0.0.0.0 at FC_CUSTOM_LISTEN_PORT."""
        with WebServer("events_only", tmp_path, host=None) as server:
            answer = httpx.post(server.url + "/invoke", content=b"{}", timeout=30)
            assert answer.json() == {"n": 0}
        assert f"http://0.0.0.0:{server.port}" in server.stderr()

    def test_web_imports_no_other_command(self) -> None:
        """`fcsdk web` parses its arguments without importing the other sub-commands' modules."""
        code = (
            "import sys\n"
            "from fcsdk.cli import main\n"
            "code = main(['web', 'no_such_module_here', '--app-dir', sys.argv[1]])\n"
            "mine = ('fcsdk._cli.web', 'fcsdk._cli._arguments')\n"
            "others = sorted(\n"
            "    m for m in sys.modules if m.startswith('fcsdk._cli.') and m not in mine\n"
            ")\n"
            "print(code, others)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, str(APPS)],
            capture_output=True,
            text=True,
            timeout=120,
            env=child_environment(),
            check=False,
        )
        assert done.stdout.strip() == "1 []", done.stderr
        assert "no module named 'no_such_module_here'" in done.stderr

    def test_module_without_app_or_handler(self) -> None:
        """A module with neither ``app`` nor ``handler`` exits 1 naming both."""
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "fcsdk",
                "web",
                "server",
                "--app-dir",
                str(Path(__file__).parent),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env=child_environment(),
            check=False,
        )
        assert done.returncode == 1
        assert "neither 'app'" in done.stderr

    def test_listed_in_the_help(self) -> None:
        """`fcsdk --help` lists the web command."""
        done = subprocess.run(
            [sys.executable, "-m", "fcsdk", "--help"],
            capture_output=True,
            text=True,
            timeout=120,
            env=child_environment(),
            check=True,
        )
        assert "web" in done.stdout
