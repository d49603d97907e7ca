"""Plugin discovery through entry points, tested with fake distributions (nothing installed)."""

from __future__ import annotations

import sys
import types
from importlib.metadata import EntryPoint

import pytest
from fakes import FakeCollector

from annexa.collectors.registry import ENTRY_POINT_GROUP, load_registry


class _Dist:
    def __init__(self, name: str) -> None:
        self.metadata = {"Name": name}


def _ep(name: str, value: str, dist: str) -> EntryPoint:
    return EntryPoint(name, value, ENTRY_POINT_GROUP)._for(_Dist(dist))  # type: ignore[attr-defined]


@pytest.fixture
def plugin_module(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType("annexa_fake_plugin")

    class OktaCollector(FakeCollector):
        name = "okta.users"
        provider = "okta"
        kinds = ("okta.user",)

    class Clash(FakeCollector):
        pass  # named fake.buckets like the "built-in" below

    class WrongName(FakeCollector):
        name = "something.else"

    module.OktaCollector = OktaCollector  # type: ignore[attr-defined]
    module.Clash = Clash  # type: ignore[attr-defined]
    module.WrongName = WrongName  # type: ignore[attr-defined]
    module.NotACollector = object  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "annexa_fake_plugin", module)
    monkeypatch.setitem(sys.modules, "fakes", sys.modules["fakes"])
    return module


def _registry(plugin_module: types.ModuleType):  # type: ignore[no-untyped-def]
    return load_registry(
        [
            _ep("fake.buckets", "fakes:FakeCollector", "annexa"),
            _ep("okta.users", "annexa_fake_plugin:OktaCollector", "annexa-okta"),
            _ep("fake.buckets", "annexa_fake_plugin:Clash", "annexa-evil"),
            _ep("broken.thing", "annexa_missing_module:Nope", "annexa-broken"),
            _ep("wrong.name", "annexa_fake_plugin:WrongName", "annexa-wrong"),
            _ep("not.one", "annexa_fake_plugin:NotACollector", "annexa-wrong"),
        ]
    )


def test_plugins_load_beside_builtins(plugin_module: types.ModuleType) -> None:
    registry = _registry(plugin_module)
    assert set(registry.collectors) == {"fake.buckets", "okta.users"}
    assert registry.collectors["fake.buckets"] is FakeCollector  # the built-in wins a clash
    assert registry.kinds() == {"fake.bucket", "okta.user"}


def test_problems_name_the_plugin_and_the_fault(plugin_module: types.ModuleType) -> None:
    problems = "\n".join(_registry(plugin_module).problems)
    assert "'fake.buckets' from annexa-evil ignored: the name is already taken" in problems
    assert "'broken.thing' from annexa-broken failed to load: ModuleNotFoundError" in problems
    assert "'wrong.name' from annexa-wrong ignored: its class declares name 'something.else'" in problems
    assert "'not.one' from annexa-wrong ignored" in problems and "not a subclass" in problems


def test_autoload_off_switch(plugin_module: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNEXA_DISABLE_PLUGIN_AUTOLOAD", "1")
    registry = _registry(plugin_module)
    assert set(registry.collectors) == {"fake.buckets"} and registry.problems == []


def test_each_distribution_is_read_once(plugin_module: types.ModuleType) -> None:
    """A distribution's metadata is an email-format file parsed on each read: 75 built-in
    collectors share one, so it is read once per distribution, not once per entry point."""

    class CountingDist:
        def __init__(self, name: str) -> None:
            self.name, self.reads = name, 0

        @property
        def metadata(self) -> dict[str, str]:
            self.reads += 1
            return {"Name": self.name}

    builtin, plugin = CountingDist("annexa"), CountingDist("annexa-okta")
    registry = load_registry(
        [
            EntryPoint("fake.buckets", "fakes:FakeCollector", ENTRY_POINT_GROUP)._for(builtin),  # type: ignore[attr-defined]
            EntryPoint("okta.users", "annexa_fake_plugin:OktaCollector", ENTRY_POINT_GROUP)._for(plugin),  # type: ignore[attr-defined]
            EntryPoint("wrong.name", "annexa_fake_plugin:WrongName", ENTRY_POINT_GROUP)._for(plugin),  # type: ignore[attr-defined]
        ]
    )
    assert set(registry.collectors) == {"fake.buckets", "okta.users"}
    assert registry.problems == [
        "collector 'wrong.name' from annexa-okta ignored: its class declares name 'something.else', but it is registered as 'wrong.name'"
    ]
    assert (builtin.reads, plugin.reads) == (1, 1)


def test_installed_builtins_satisfy_the_contract() -> None:
    """Every collector annexa registers loads, and declares kinds, permissions and a docstring."""
    registry = load_registry()
    assert registry.problems == []
    assert {"aws", "host"} <= registry.providers()
    for name, collector in registry.collectors.items():
        assert collector.__doc__ and collector.__doc__.strip(), name
        assert collector.permissions, f"{name} declares no permissions"
