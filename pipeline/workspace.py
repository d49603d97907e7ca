"""Wiring shared by the commands: registry, catalog, config, rules and store.

Kept out of cli.py so the CLI only parses and prints, and tests can build the
same pieces without a subprocess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from annexa.collectors.registry import Registry, load_registry
from annexa.config import Config, load_config
from annexa.evidence_store.signing import Ed25519Signer
from annexa.evidence_store.store import Store, open_store, require_existing_store
from annexa.evidence_store.trust import Trust
from annexa.mappings.catalog import Catalog, load_catalog
from annexa.mappings.rules import Rule, builtin_rule_files, expand_rule_paths, load_rules

__all__ = ["Workspace", "load_workspace"]


@dataclass
class Workspace:
    config: Config
    registry: Registry
    catalog: Catalog
    rules: list[Rule]
    store_url: str
    _signer_cache: Ed25519Signer | None = field(default=None, repr=False)
    # sequence -> why the TSA gave that run no token, for every store this workspace wrote (Store.timestamp_errors)
    timestamp_errors: dict[int, str] = field(default_factory=dict)

    def open_store(self, signed: bool = False) -> Store:
        """The store; `signed=True` (writers) signs manifests with the configured key, if any.
        The configured Object Lock retention applies to whichever s3:// store is opened.
        Readers and writers alike accept only the signatures `trust()` allows."""
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
        require_existing_store(self.store_url)
        return self.open_store()

    def signer(self) -> Ed25519Signer | None:
        """The configured signing key (`signing:`), loaded once; None without one."""
        if self.config.signing_key is None:
            return None
        if self._signer_cache is None:
            self._signer_cache = Ed25519Signer(self.config.signing_key)
        return self._signer_cache

    def trust(self, extra_keys: Iterable[str] = ()) -> Trust:
        """`trusted_keys`, the configured signing key's own fingerprint and `extra_keys`; signatures are
        required once any key is known, unless `require_signatures: false`."""
        signer = self.signer()
        keys = {*self.config.trusted_keys, *extra_keys, *([signer.fingerprint] if signer else [])}
        tsa = (self.config.tsa_certificate,) if self.config.tsa_certificate is not None else ()
        return Trust.of(keys, self.config.require_signatures, tsa)


def load_workspace(config_path: Path, store_url: str | None = None, config_required: bool = True) -> Workspace:
    """Load and validate everything a command needs; UsageError on any bad input."""
    registry = load_registry()
    catalog = load_catalog()
    config = load_config(config_path, registry, catalog, required=config_required)
    rule_files = [*builtin_rule_files(), *registry.rule_files(), *expand_rule_paths(config.mappings)]
    rules = load_rules(rule_files, registry.kinds(), set(catalog.ids()))
    return Workspace(config, registry, catalog, rules, store_url or config.store)
