#!/bin/sh
# Run the suite's non-slow part on Python VERSION (e.g. 3.10), one of FC's runtimes,
# under coverage: `make test` does this for each of $(RUNTIME_PYTHONS).
#
# The interpreter is found by scripts/find-python.sh; its venv is .venv-pyVERSION,
# (re)installed with the dev extras when pyproject.toml changes. Coverage data goes
# next to the default interpreter's, so `coverage combine` merges all of them (the
# 3.10-only branches count). A missing interpreter fails under CI=true; elsewhere it
# is skipped with a loud message.
set -eu
version=$1
if ! python=$(sh scripts/find-python.sh "$version"); then
    if [ "${CI:-}" = "true" ]; then
        echo "test-on-python: Python $version is required in CI (FC runs python$version)" >&2
        exit 1
    fi
    echo "test-on-python: SKIPPED Python $version: install it (e.g. pyenv install $version) to test on it" >&2
    exit 0
fi
venv=.venv-py$version
if [ ! -f "$venv/.dev-installed" ] || [ pyproject.toml -nt "$venv/.dev-installed" ]; then
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -e '.[dev]'
    touch "$venv/.dev-installed"
fi
echo "test-on-python: $("$venv/bin/python" --version) ($python), tests not marked slow" >&2
"$venv/bin/coverage" run -m pytest -m "not slow" -q -p no:cacheprovider
