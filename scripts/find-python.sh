#!/bin/sh
# Print the path of a Python VERSION (e.g. 3.10) interpreter, found as on a user's
# machine: `pythonVERSION` on PATH, else pyenv's versions folder
# (${PYENV_ROOT:-~/.pyenv}/versions/VERSION.*/bin/python, the newest patch release).
# Exits 1, saying where it looked, when there is none.
set -eu
version=$1

works() {  # the interpreter runs and is that version (a pyenv shim for another one is not)
    "$1" -c "import sys; sys.exit('%d.%d' % sys.version_info[:2] != '$version')" >/dev/null 2>&1
}

if candidate=$(command -v "python$version" 2>/dev/null) && works "$candidate"; then
    echo "$candidate"
    exit 0
fi
root=${PYENV_ROOT:-$HOME/.pyenv}
for candidate in $(ls -d "$root/versions/$version".*/bin/python 2>/dev/null | sort -r -V); do
    if works "$candidate"; then
        echo "$candidate"
        exit 0
    fi
done
echo "find-python: no Python $version: no working python$version on PATH, none in $root/versions/$version.*" >&2
exit 1
