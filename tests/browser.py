"""A real headless Chromium for the HTML reports (CI installs it: .ci/run).

`load` returns the DOM after load and Chromium's log; `probe` runs a test script in a copy of a
page (its Content-Security-Policy removed so the script may run) and returns what the script
wrote into `<pre id="probe">` as JSON: layout measurements and interactions a static DOM cannot show.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

__all__ = ["chromium", "console_lines", "load", "probe"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and not os.environ.get("CI"):
        pytest.skip("chromium is not installed (CI installs it: .ci/run)")
    assert found, "CI must have chromium: .ci/run installs it"
    return found


def load(page: Path, profile: Path, width: int = 1280) -> tuple[str, str]:
    """The page's DOM after load and chromium's log (console messages appear as `:CONSOLE` lines)."""
    done = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--window-size={width},900",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


def console_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if ":CONSOLE" in line]


def probe(page: Path, script: str, profile: Path, width: int = 1280) -> Any:
    """Run `script` (JavaScript that sets `result`) after the page's own scripts, in a copy of the page."""
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text(encoding="utf-8"))
    runner = (
        "<script>window.addEventListener('load', () => { let result = null; "
        + script
        + "; const out = document.createElement('pre'); out.id = 'probe'; "
        "out.textContent = JSON.stringify(result); document.body.append(out); });</script>"
    )
    copy = page.with_name(f".probe-{page.name}")
    copy.write_text(text.replace("</body>", runner + "</body>"), encoding="utf-8")
    try:
        dom, log = load(copy, profile, width)
    finally:
        copy.unlink()
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found is not None, console_lines(log)
    return json.loads(html.unescape(found.group(1)))
