"""Internal errors (bugs): one line for the user, the whole story in a crash log.

A bug must never look like a usage error (2) or a partial run (1): it exits 70
(EX_SOFTWARE), prints one line with the crash log's path, and writes the traceback
there, redacted like everything else annexa stores, readable by its owner only.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from annexa.commands.terminal import terminal_safe

__all__ = ["EXIT_INTERNAL", "crash_dir", "report_crash"]

EXIT_INTERNAL = 70


def crash_dir() -> Path:
    """$XDG_STATE_HOME/annexa (default ~/.local/state/annexa), where a user's state belongs."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "annexa"


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def report_crash(err: BaseException, argv: Sequence[str]) -> int:
    """Write the crash log, print one line naming it, return the exit code (70)."""
    from annexa import __version__  # here, not at the top: every command imports this module
    from annexa.evidence_store.redact import redact_text

    now = datetime.now(timezone.utc)
    name = f"crash-{now.strftime('%Y%m%dT%H%M%SZ')}-{os.getpid()}.log"
    body = redact_text(
        f"annexa {__version__} internal error at {now.isoformat()}\n"
        f"command: annexa {' '.join(argv)}\n"
        f"python: {sys.version.split()[0]} on {sys.platform}\n\n"
        + "".join(traceback.format_exception(type(err), err, err.__traceback__))
    )
    where = "could not be written"
    for folder in (crash_dir(), Path(tempfile.gettempdir())):
        try:
            where = f"details in {_write(folder, name if folder == crash_dir() else 'annexa-' + name, body)}"
            break
        except OSError:
            continue
    summary = " ".join(redact_text(f"{type(err).__name__}: {err}").split())[:300]
    print(
        f"annexa: internal error (a bug, please report it): {terminal_safe(summary)}; {where}",
        file=sys.stderr,
    )
    return EXIT_INTERNAL
