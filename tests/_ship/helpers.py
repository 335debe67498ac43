"""Helpers of the _ship tests: small wheels and projects made on the spot."""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = f"{sys.version_info.major}.{sys.version_info.minor}"


ROOT = Path(__file__).resolve().parents[2]
HOST = f"{sys.version_info.major}.{sys.version_info.minor}"


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
