"""The built wheel carries the pages' templates, CSS and npm assets: installed outside the checkout,
`sanbiao demo` serves its pages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest
from servers import free_port, wait_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent.parent


def fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def test_the_wheel_installed_elsewhere_serves_its_pages_and_assets(tmp_path):
    left_over = not (ROOT / "build").exists()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True,
    )
    if left_over:  # setuptools builds in the checkout: leave it as it was
        shutil.rmtree(ROOT / "build", ignore_errors=True)
    (wheel,) = (tmp_path / "dist").glob("sanbiao-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(
        subprocess.check_output(
            [venv / "bin" / "python", "-c", "import site; print(site.getsitepackages()[0])"], text=True
        ).strip()
    )
    # the dependencies are those of the test environment (a path line: its .pth files, the checkout's
    # editable install among them, are not read), the package itself only the wheel's
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [sys.executable, "-m", "pip", "--python", venv / "bin" / "python"]  # the test env's pip, for the new venv
    subprocess.run([*pip, "install", "--quiet", "--no-deps", "--no-index", str(wheel)], check=True)
    where = subprocess.check_output(
        [venv / "bin" / "python", "-c", "import ui; print(ui.__file__)"], cwd=tmp_path, text=True
    )
    assert Path(where).is_relative_to(venv)

    port = free_port()
    demo = subprocess.Popen(
        [
            venv / "bin" / "sanbiao",
            "--db",
            str(tmp_path / "demo.db"),
            "demo",
            "--residents",
            "200",
            "--port",
            str(port),
        ],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("SANBIAO_")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: fetch(f"{base}/healthz")[0] == 200, seconds=120)
        status, login = fetch(f"{base}/login")
        assert status == 200 and b'name="password"' in login and b"/static/vendor/htmx.min.js" in login
        assert (
            fetch(f"{base}/static/vendor/htmx.min.js")[1]
            == (ROOT / "node_modules/htmx.org/dist/htmx.min.js").read_bytes()
        )
        assert fetch(f"{base}/static/sanbiao.css")[0] == 200
    finally:
        demo.terminate()
        demo.wait(timeout=20)
