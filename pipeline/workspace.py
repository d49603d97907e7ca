"""Wiring shared by the commands: registry, catalog, config, rules and store.

Kept out of cli.py so the CLI only parses and prints, and tests can build the
same pieces without a subprocess. `load_store_access` is the store alone, with the
trust settings: what `verify` and `head` read, without loading collectors or rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from annexa.evidence_store.trust import Trust
from annexa.store_settings import StoreSettings, load_store_settings

if TYPE_CHECKING:
    from annexa.collectors.registry import Registry
    from annexa.config import Config
    from annexa.evidence_store.backend import Backend
    from annexa.evidence_store.signing import Ed25519Signer
    from annexa.evidence_store.store import Store
    from annexa.mappings.catalog import Catalog
    from annexa.mappings.rules import Rule

__all__ = ["StoreAccess", "Workspace", "load_store_access", "load_workspace"]


@dataclass
class StoreAccess:
    """The store and whose signatures it trusts (a Config or just its StoreSettings)."""

    config: Config | StoreSettings
    store_url: str
    _signer_cache: Ed25519Signer | None = field(default=None, repr=False)
    # sequence -> why the TSA gave that run no token, for every store this workspace wrote (Store.timestamp_errors)
    timestamp_errors: dict[int, str] = field(default_factory=dict)

    def open_store(self, signed: bool = False) -> Store:
        """The store; `signed=True` (writers) signs manifests with the configured key, if any.
        The configured Object Lock retention applies to whichever s3:// store is opened.
        Readers and writers alike accept only the signatures `trust()` allows."""
        from annexa.evidence_store.store import open_store

        retention = self.config.retention if self.store_url.startswith("s3://") else None
        signer = self.signer() if signed else None
        timestamper = None
        if signed and self.config.timestamp_url is not None and self.config.tsa_certificate is not None:
            from annexa.evidence_store.timestamps import Timestamper  # asn1crypto only for stores that stamp

            timestamper = Timestamper(self.config.timestamp_url, self.config.tsa_certificate)
        store = open_store(self.store_url, signer, retention=retention, trust=self.trust(), timestamper=timestamper)
        store.timestamp_errors = self.timestamp_errors  # one record per workspace: the command reports them
        return store

    def read_store(self) -> Store:
        """The store, for a command that only reads: StoreError (exit 2) if it is not there,
        before anything is created (see `require_existing_store`)."""
        from annexa.evidence_store.store import require_existing_store

        require_existing_store(self.store_url)
        return self.open_store()

    def read_backend(self) -> Backend:
        """The store's backend alone, for `verify` (which reads manifests and objects, never the index):
        checked as `read_store` checks the store, without loading the Store's reading machinery."""
        from annexa.evidence_store.backend import open_backend, require_existing_store

        require_existing_store(self.store_url)
        return open_backend(self.store_url, self.config.retention if self.store_url.startswith("s3://") else None)

    def signer(self) -> Ed25519Signer | None:
        """The configured signing key (`signing:`), loaded once; None without one."""
        if self.config.signing_key is None:
            return None
        if self._signer_cache is None:
            from annexa.evidence_store.signing import Ed25519Signer

            self._signer_cache = Ed25519Signer(self.config.signing_key)
        return self._signer_cache

    def trust(self, extra_keys: Iterable[str] = ()) -> Trust:
        """`trusted_keys`, the configured signing key's own fingerprint and `extra_keys`; signatures are
        required once any key is known, unless `require_signatures: false`."""
        signer = self.signer()
        keys = {*self.config.trusted_keys, *extra_keys, *([signer.fingerprint] if signer else [])}
        tsa = (self.config.tsa_certificate,) if self.config.tsa_certificate is not None else ()
        return Trust.of(keys, self.config.require_signatures, tsa)


@dataclass
class Workspace(StoreAccess):
    config: Config = field(kw_only=True)
    registry: Registry = field(kw_only=True)
    catalog: Catalog = field(kw_only=True)
    rules: list[Rule] = field(kw_only=True)


def load_store_access(config_path: Path, store_url: str | None = None, config_required: bool = True) -> StoreAccess:
    """The store and the trust settings only (store_settings.py): the rest of the configuration is
    not validated, and no collector or rule is loaded."""
    settings = load_store_settings(config_path, required=config_required)
    return StoreAccess(settings, store_url or settings.store)


def load_registry() -> Registry:
    """The collectors (collectors/registry.py), imported here only when a command needs them."""
    from annexa.collectors.registry import load_registry as load

    return load()


def load_workspace(config_path: Path, store_url: str | None = None, config_required: bool = True) -> Workspace:
    """Load and validate everything a command needs; UsageError on any bad input."""
    from annexa.config import load_config
    from annexa.mappings.catalog import load_catalog
    from annexa.mappings.rules import builtin_rule_files, expand_rule_paths, load_rules

    registry = load_registry()
    catalog = load_catalog()
    config = load_config(config_path, registry, catalog, required=config_required)
    rule_files = [*builtin_rule_files(), *registry.rule_files(), *expand_rule_paths(config.mappings)]
    rules = load_rules(rule_files, registry.kinds(), set(catalog.ids()))
    return Workspace(
        config=config, registry=registry, catalog=catalog, rules=rules, store_url=store_url or config.store
    )
