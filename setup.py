"""Build hook: before packaging, copy the npm assets the pages load (pinned in package.json, installed
by `npm ci`) into ui/static/vendor, so a wheel or an editable install serves them from the package.

Everything else about the package is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
VENDOR = ROOT / "ui" / "static" / "vendor"
NPM_ASSETS = {  # node_modules path -> file served under /static/vendor/
    "htmx.org/dist/htmx.min.js": "htmx.min.js",
    "idb-keyval/dist/index.js": "idb-keyval.js",  # the phone's outbox (ui/static/offline.js)
}


class BuildPyWithNpmAssets(build_py):
    def run(self) -> None:
        VENDOR.mkdir(parents=True, exist_ok=True)
        for source, name in NPM_ASSETS.items():
            origin, target = ROOT / "node_modules" / source, VENDOR / name
            if origin.exists():
                shutil.copyfile(origin, target)
            elif not target.exists():
                raise SystemExit(f"{origin} is missing: run `npm ci` before building or installing sanbiao")
        super().run()


setup(cmdclass={"build_py": BuildPyWithNpmAssets})
