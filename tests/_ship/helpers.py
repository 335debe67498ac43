"""Helpers of the _ship tests: small wheels and projects made on the spot."""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = f"{sys.version_info.major}.{sys.version_info.minor}"


def runtime_python(version: str) -> str:
    """The path of a Python ``version`` found as ``scripts/find-python.sh`` finds it.

    Missing, the test is skipped with a message; under ``CI=true`` it fails:
    a property of every runtime Python must be checked on every one of them.
    """
    import os
    import subprocess

    import pytest

    found = subprocess.run(
        ["sh", str(ROOT / "scripts" / "find-python.sh"), version],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if found.returncode == 0 and found.stdout.strip():
        return found.stdout.strip()
    reason = f"no Python {version} on this machine: {found.stderr.strip()}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"Python {version} is required in CI; {reason}")
    raise pytest.skip.Exception(reason)


def make_wheel(
    folder: Path,
    name: str,
    version: str = "1.0",
    *,
    tag: str = "py3-none-any",
    files: dict[str, bytes] | None = None,
    requires: tuple[str, ...] = (),
) -> Path:
    """Write a minimal valid wheel (METADATA, WHEEL, RECORD) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    content = dict(files if files is not None else {f"{dist}/__init__.py": b"VALUE = 1\n"})
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
    content[f"{info}/METADATA"] = meta.encode()
    content[f"{info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n".encode()
    )
    rows = []
    for path, data in content.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append(f"{path},sha256={digest},{len(data)}")
    rows.append(f"{info}/RECORD,,")
    content[f"{info}/RECORD"] = ("\n".join(rows) + "\n").encode()
    wheel = folder / f"{dist}-{version}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in content.items():
            zf.writestr(path, data)
    return wheel


def make_project(folder: Path, *, requirements_txt: str | None = "demo-dep==1.0\n") -> Path:
    """A small function project: a handler, a helper package, tests and tool litter."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.py").write_text(
        "import demo_dep\n\n\ndef handler(event, context):\n    return event\n"
    )
    (folder / "lib").mkdir()
    (folder / "lib" / "__init__.py").write_text("")
    (folder / "lib" / "util.py").write_text("X = 1\n")
    (folder / "tests").mkdir()
    (folder / "tests" / "test_index.py").write_text("def test_x():\n    pass\n")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "index.cpython-311.pyc").write_bytes(b"\0")
    (folder / ".venv" / "lib").mkdir(parents=True)
    (folder / ".venv" / "lib" / "junk.py").write_text("")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (folder / ".env").write_text("SECRET=1\n")
    (folder / "s.yaml").write_text("edition: 3.0.0\n")
    if requirements_txt is not None:
        (folder / "requirements.txt").write_text(requirements_txt)
    return folder


def names(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as zf:
        return zf.namelist()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_wheelhouse(house: Path) -> Path:
    """A local index: a pure wheel, one that needs another, and one built for Windows only."""
    make_wheel(house, "demo-dep", requires=("demo-base",))
    make_wheel(
        house,
        "demo-base",
        "2.0",
        files={"demo_base/__init__.py": b"BASE = 2\n", "demo_base/data.bin": b"\x00" * 4096},
    )
    make_wheel(house, "winonly", tag="cp312-cp312-win_amd64")
    return house


# A PEP 517 backend that lives inside the sdist (``backend-path``), so pip builds it with no
# download: like crcmod, it compiles an extension when ``$CC`` works and, when ``OPTIONAL``
# is true, falls back to pure Python when it does not. ``SNEAKY`` compiles whatever $CC says
# (as a setup.py that calls gcc itself) yet tags the wheel pure; ``TAG`` overrides the pure
# tag. Each build appends a line to $FCSDK_TEST_BUILD_LOG when set, and, as setuptools does,
# leaves a build/ folder where it runs.
_SDIST_BACKEND = """
import base64, hashlib, os, subprocess, sys, zipfile

NAME, VERSION, OPTIONAL = {name!r}, {version!r}, {optional!r}
SNEAKY, TAG = {sneaky!r}, {tag!r}


def _compiler_works():
    try:
        done = subprocess.run([os.environ.get("CC", "cc"), "--version"], capture_output=True)
    except OSError:
        return False
    return done.returncode == 0


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    log = os.environ.get("FCSDK_TEST_BUILD_LOG")
    if log:
        with open(log, "a") as fh:
            fh.write(NAME + "\\n")
    os.makedirs("build", exist_ok=True)
    dist = NAME.replace("-", "_")
    files = {{dist + "/__init__.py": b"PURE = True\\n"}}
    tag = TAG
    abi = "cpython-%d%d-x86_64-linux-gnu" % sys.version_info[:2]
    if SNEAKY:
        files[dist + "/_speedups." + abi + ".so"] = b"\\x7fELF compiled here"
    elif _compiler_works():
        files[dist + "/_speedups." + abi + ".so"] = b"\\x7fELF compiled here"
        tag = "cp%d%d-cp%d%d-linux_x86_64" % (sys.version_info[:2] * 2)
    elif not OPTIONAL:
        raise SystemExit("error: command 'cc' failed: the extension is required")
    info = "%s-%s.dist-info" % (dist, VERSION)
    meta = "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (NAME, VERSION)
    files[info + "/METADATA"] = meta.encode()
    wheel = "Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: %s\\n" % tag
    files[info + "/WHEEL"] = wheel.encode()
    rows = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append("%s,sha256=%s,%d" % (path, digest, len(data)))
    files[info + "/RECORD"] = ("\\n".join(rows + [info + "/RECORD,,"]) + "\\n").encode()
    name = "%s-%s-%s.whl" % (dist, VERSION, tag)
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return name
"""


def source_files(
    name: str,
    version: str = "1.0",
    *,
    optional_c: bool = True,
    sneaky: bool = False,
    tag: str = "py3-none-any",
) -> dict[str, str]:
    """The files of a source tree with a C extension, like crcmod's (see ``_SDIST_BACKEND``)."""
    return {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
        'backend-path = ["."]\n',
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        "backend.py": _SDIST_BACKEND.format(
            name=name, version=version, optional=optional_c, sneaky=sneaky, tag=tag
        ),
    }


def make_source_folder(folder: Path, name: str, **options: object) -> Path:
    """A local source folder (``../libs/localpkg``) holding the same tree as :func:`make_sdist`."""
    folder.mkdir(parents=True, exist_ok=True)
    for member, text in source_files(name, **options).items():  # type: ignore[arg-type]
        (folder / member).write_text(text)
    return folder


def make_sdist(
    folder: Path,
    name: str,
    version: str = "1.0",
    *,
    optional_c: bool = True,
    sneaky: bool = False,
    tag: str = "py3-none-any",
) -> Path:
    """Write ``name-version.tar.gz``: a source distribution with a C extension, like crcmod's.

    Built with a working ``$CC`` it gives a platform wheel holding a ``.so``;
    without one it gives a pure ``py3-none-any`` wheel when ``optional_c``,
    and fails otherwise. ``sneaky`` always compiles and still tags it pure.
    """
    import io
    import tarfile

    folder.mkdir(parents=True, exist_ok=True)
    root = f"{name}-{version}"
    members = source_files(name, version, optional_c=optional_c, sneaky=sneaky, tag=tag)
    sdist = folder / f"{root}.tar.gz"
    with tarfile.open(sdist, "w:gz") as tar:
        for member, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{root}/{member}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return sdist
