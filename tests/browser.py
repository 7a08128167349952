"""Headless Chromium (Debian's `chromium` package) for the tests of what people look at: opens a page from disk
with every network request refused, lets its scripts run, returns the rendered DOM and the console messages, and
takes a screenshot."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

HOW_TO_ENABLE = "headless Chromium is not installed: `apt-get install -y chromium` (as root) enables this test"
# every request that is not file:// fails: no proxy is reachable and no host name resolves
NO_NETWORK = ["--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-bypass-list=<-loopback>"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(HOW_TO_ENABLE)


@dataclass
class Page:
    dom: str
    console: list[str]


def _run(args: list[str], profile: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    cmd = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=30000",
        *NO_NETWORK,
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def open_page(path: Path, profile: Path) -> Page:
    """The DOM after the page's scripts ran (Chromium's virtual time lets every timer and promise finish) and
    every console message the page wrote (console.* calls and uncaught errors)."""
    proc = _run(["--dump-dom", path.resolve().as_uri()], profile)
    assert proc.returncode == 0, proc.stderr[-3000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return Page(proc.stdout, console)


def screenshot(path: Path, out: Path, profile: Path, width: int = 1280, height: int = 2200) -> Path:
    proc = _run([f"--window-size={width},{height}", f"--screenshot={out}", path.resolve().as_uri()], profile)
    assert proc.returncode == 0 and out.exists(), proc.stderr[-3000:]
    return out
