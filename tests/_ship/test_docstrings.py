"""Every example in the packaging docstrings runs as written."""

from __future__ import annotations

import pytest


class TestDocstringExamples:
    @pytest.mark.parametrize(
        "module",
        [
            "fcsdk._ship.target",
            "fcsdk._ship.ignore",
            "fcsdk._ship.build",
            "fcsdk._ship.archive",
            "fcsdk._ship.requirements",
            "fcsdk._ship.coldstart",
            "fcsdk._cli.local_oss",
            "fcsdk._scaffold",
        ],
    )
    def test_examples_run(self, module: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """Every example in the packaging and scaffold docstrings runs as written."""
        import doctest
        import importlib

        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
        result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
        assert result.failed == 0


# --------------------------------------------------------------------------- target
