"""Find headless Chromium and its driver on PATH; on Debian, install them when missing.

``python -m tests.browser [--install]`` prints the two paths or says, in one line per
system, which package to install. Tests never download a browser of their own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

#: Names Chromium and ChromeDriver go by on Debian, Ubuntu (snap) and macOS (Homebrew).
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "Chromium")
DRIVERS = ("chromedriver", "chromium.chromedriver")
MAC_APP = "/Applications/Chromium.app/Contents/MacOS/Chromium"
REMEDY = (
    "install Chromium and its driver: Debian: `sudo apt-get install chromium "
    "chromium-driver`; Ubuntu: `sudo snap install chromium` (driver: "
    "chromium.chromedriver); macOS: `brew install --cask chromium chromedriver`; or set "
    "DLBOOK_CHROMIUM and DLBOOK_CHROMEDRIVER to their paths"
)


def find_browser() -> tuple[str | None, str | None]:
    """Return the paths of Chromium and ChromeDriver (None where not found)."""
    browser = os.environ.get("DLBOOK_CHROMIUM") or next(
        filter(None, map(shutil.which, BROWSERS)), None
    )
    if browser is None and os.path.exists(MAC_APP):
        browser = MAC_APP
    driver = os.environ.get("DLBOOK_CHROMEDRIVER") or next(
        filter(None, map(shutil.which, DRIVERS)), None
    )
    return browser, driver


def install_on_debian() -> bool:
    """Install Debian's chromium and chromium-driver with apt-get; True on success."""
    if not shutil.which("apt-get"):
        return False
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    for command in (
        [*sudo, "apt-get", "update", "-q"],
        [
            *sudo,
            "apt-get",
            "install",
            "-y",
            "-q",
            "--no-install-recommends",
            "chromium",
            "chromium-driver",
        ],
    ):
        if subprocess.run(command).returncode != 0:
            return False
    return True


def main(argv: list[str]) -> int:
    """Print the browser and driver, installing them on Debian with ``--install``."""
    browser, driver = find_browser()
    if (browser is None or driver is None) and "--install" in argv:
        print("Chromium or its driver is missing: installing Debian's packages")
        install_on_debian()
        browser, driver = find_browser()
    if browser is None or driver is None:
        missing = "Chromium" if browser is None else "ChromeDriver"
        print(f"error: {missing} not found on PATH; {REMEDY}", file=sys.stderr)
        return 1
    print(f"browser: {browser}\ndriver: {driver}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
