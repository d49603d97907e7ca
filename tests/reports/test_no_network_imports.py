"""Reports read bundles; they never call a cloud or the network (DESIGN.md, EXAMPLES.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import annexa.reports

FORBIDDEN = ("boto3", "botocore", "requests", "azure", "urllib3", "httpx", "socket", "http.client", "urllib.request")


def test_no_report_module_imports_a_network_client() -> None:
    root = Path(annexa.reports.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN or n in FORBIDDEN]
    assert offenders == []


def test_importing_every_report_loads_no_network_client() -> None:
    code = (
        "import importlib, pkgutil, sys, annexa.reports as r\n"
        "[importlib.import_module('annexa.reports.' + m.name) for m in pkgutil.iter_modules(r.__path__)]\n"
        f"print(sorted(k for k in sys.modules if k.split('.')[0] in {FORBIDDEN[:6]!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_reports_read_runs_not_the_configuration() -> None:
    """A report is judged with the settings its run stored (reports/settings.py): importing every
    report loads neither annexa.config nor the collectors or the pipeline."""
    code = (
        "import importlib, pkgutil, sys, annexa.reports as r\n"
        "[importlib.import_module('annexa.reports.' + m.name) for m in pkgutil.iter_modules(r.__path__)]\n"
        "print(sorted(k for k in sys.modules if k in ('annexa.config', 'annexa.pipeline', 'annexa.collectors')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
