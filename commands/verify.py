"""annexa verify: check hashes, the chain and signatures of a store or an audit pack."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from annexa.commands.common import DEFAULT_CONFIG, add_store_options, store_access
from annexa.errors import UsageError
from annexa.evidence_store.trust import Trust, parse_fingerprint
from annexa.evidence_store.verify import Head, StoreSource, parse_head, verify_chain
from annexa.inputfiles import KEY_LIMIT, read_input

if TYPE_CHECKING:
    from annexa.evidence_store.packfile import PackCheck

# Not tampering: the store holds no finished run yet (see cli.EXIT_CODES and the README).
EXIT_NO_COMPLETE_RUN = 5

NAME = "verify"
HELP = "check hashes, the hash chain, signatures and the head; exit 4 on any problem"

# Structured logging is not set up (cli.py): verify logs nothing, it prints its report.
LOGS = False


def pack_checks() -> tuple[PackCheck, ...]:
    """Checks of a pack's reports against its signed evidence (evidence_store/packfile.py, PackCheck):
    the SoA is recomputed from the pack's evidence and compared (reports/pack_check.py). Imported only
    for a pack: the reports' imports would double the start-up of verifying a store."""
    from annexa.reports.pack_check import check_pack_soa

    return (check_pack_soa,)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target", nargs="?", help="store folder, pack .zip or unzipped pack (default: the configured store)"
    )
    add_store_options(parser)
    parser.add_argument(
        "--trusted-key",
        action="append",
        default=[],
        metavar="sha256:FINGERPRINT",
        help="trust only signatures by this key (repeatable); get the fingerprint from the store's owner, "
        "out of band, never from the store or pack itself. Without one, verify proves integrity, not origin",
    )
    parser.add_argument(
        "--public-key",
        action="append",
        default=[],
        metavar="PEM",
        help="as --trusted-key, from a public key file you obtained out of band (repeatable)",
    )
    parser.add_argument(
        "--expect-head",
        metavar="SEQ:SHA256",
        help="the head published earlier (`annexa head`): fail if that run is missing or different",
    )
    parser.add_argument(
        "--tsa-certificate",
        action="append",
        default=[],
        metavar="FILE",
        help="the timestamp authority's certificate (PEM or DER, obtained out of band): RFC 3161 tokens must be "
        "signed by it (repeatable; `signing: {tsa_certificate: F}` in the configuration counts too)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")


def _tsa_certificates(args: argparse.Namespace) -> list[bytes]:
    if not args.tsa_certificate:
        return []  # asn1crypto is loaded only when there is a certificate to read (or a token to check)
    from annexa.evidence_store.timestamps import certificate_der, load_tsa_certificate

    out = []
    for path in args.tsa_certificate:
        try:
            out.append(certificate_der(load_tsa_certificate(read_input(Path(path), KEY_LIMIT, "--tsa-certificate"))))
        except ValueError as err:
            raise UsageError(f"--tsa-certificate {path}: not a PEM or DER certificate ({err})") from None
    return out


def _pinned(args: argparse.Namespace) -> list[str]:
    keys = []
    for text in args.trusted_key:
        try:
            keys.append(parse_fingerprint(text))
        except ValueError as err:
            raise UsageError(f"--trusted-key: {err}") from None
    if args.public_key:
        from annexa.evidence_store.signing import fingerprint, load_public_key
    for path in args.public_key:
        try:
            keys.append(fingerprint(load_public_key(read_input(Path(path), KEY_LIMIT, "--public-key", "a PEM key"))))
        except ValueError as err:
            raise UsageError(f"--public-key {path}: {err}") from None
    return keys


def _expected_head(text: str | None) -> Head | None:
    if text is None:
        return None
    try:
        return parse_head(text)
    except ValueError as err:
        raise UsageError(f"--expect-head: {err}") from None


def run(args: argparse.Namespace) -> int:
    pinned = _pinned(args)
    head = _expected_head(args.expect_head)
    # The configuration's trusted keys apply too, when there is one (an auditor may have none).
    has_config = args.config != DEFAULT_CONFIG or Path(args.config).exists() or not args.target
    # Only the store and trust settings are read (store_settings.py): rules and collectors play no part.
    ws = store_access(args, config_required=False) if has_config else None
    trust = ws.trust(pinned) if ws is not None else Trust.of(pinned)
    tsa = _tsa_certificates(args)
    if tsa:
        trust = replace(trust, tsa_certificates=(*trust.tsa_certificates, *tsa))
    if args.target:
        from annexa.evidence_store.packfile import PACK_JSON, verify_path

        target = Path(args.target)
        store_folder = target.is_dir() and not (target / PACK_JSON).is_file()  # as verify_path tells them apart
        report = verify_path(target, trust, head, () if store_folder else pack_checks())
    else:
        assert ws is not None
        backend = ws.read_backend()
        report = verify_chain(StoreSource(backend), trust=trust, expect_head=head)
        if ws.config.retention is not None and ws.store_url.startswith("s3://"):
            from annexa.evidence_store.s3 import check_object_lock  # only S3 users pay for boto3

            check_object_lock(backend, ws.config.retention, report)
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for problem in report.problems:
            print(f"problem: {problem}")
        for warning in report.warnings:
            print(f"warning: {warning}")
        for note in report.notes:
            print(f"note: {note}")
        for key, (first, last) in report.keys.items():
            print(f"signed by {key}: runs {first} to {last}")
        print(report.summary())
    if not report.ok:
        return 4
    return EXIT_NO_COMPLETE_RUN if report.no_complete_run else 0
