"""A fake *installed* plugin for subprocess tests: a dist-info with an entry point, so a real
`annexa` process discovers it exactly like a third-party package (nothing is pip-installed)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["install_slow_plugin", "subprocess_env"]

_MODULE = '''
import time
from annexa.collectors.base import Collector
from annexa.model import Fact, Source, utc_now


class SlowCollector(Collector):
    """Synthetic items, produced slowly, for crash and concurrency tests."""

    name = "synthetic.items"
    provider = "synthetic"
    kinds = ("synthetic.item",)
    permissions = ("none",)
    rules = "synthetic_rules.yaml"
    target_options = {"items": int, "delay": float, "variant": str}

    def collect(self, target, context):
        scope = {"provider": "synthetic", "account": "lab"}
        for i in range(target.options.get("items", 100)):
            yield Fact(
                kind="synthetic.item", resource=f"item-{i:05d}", scope=scope,
                data={"i": i, "ok": i % 7 != 0, "variant": target.options.get("variant", ""), "pad": "x" * 300},
                source=Source(operations=("synthetic:List",), principal="tester"),
                collected_at=utc_now(),
            )
            time.sleep(target.options.get("delay", 0.0))
'''

_RULES = """\
rules:
  - id: synthetic.item-ok
    title: Synthetic items are ok
    controls: [A.8.9]
    fact: synthetic.item
    expect: ok
    severity: low
    remediation: Make it ok.
"""


def install_slow_plugin(site: Path) -> Path:
    """Write the plugin module, its rules and a dist-info into `site`; returns `site`."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "annexa_synthetic.py").write_text(_MODULE)
    (site / "synthetic_rules.yaml").write_text(_RULES)
    dist = site / "annexa_synthetic-1.0.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: annexa-synthetic\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[annexa.collectors]\nsynthetic.items = annexa_synthetic:SlowCollector\n")
    return site


def subprocess_env(site: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "ANNEXA_DISABLE_PLUGIN_AUTOLOAD"}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


ANNEXA = str(Path(sys.executable).with_name("annexa"))
