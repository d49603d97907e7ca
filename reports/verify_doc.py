"""VERIFY.md: how an auditor checks a pack with annexa, or with standard tools only."""

from __future__ import annotations

from typing import Any

__all__ = ["verify_markdown"]


def verify_markdown(meta: dict[str, Any], root: str, sealed: bool = True) -> str:
    """VERIFY.md; a pack without signing keys gets the steps that apply to it, and says what it cannot prove."""
    if not meta["keys"]:
        return _unsigned(meta, root)
    return _signed(meta, root, sealed)


def _recomputed(meta: dict[str, Any]) -> str:
    run = (meta.get("soa_run") or {}).get("sequence", "?")
    return (
        f"annexa also recomputes the SoA of run {run} (the period's last collection run) from the evidence\n"
        "in this pack and compares it with `soa.html` and `soa.xlsx`: a report that does not say what the\n"
        "evidence says is a problem, even in a sealed pack. A run dated before the run chained before it\n"
        "is a `warning:` line (a skewed clock or a backdated statement)."
    )


def _sampled(meta: dict[str, Any]) -> str:
    if meta["sample"] is None:
        return ""
    return f"A sample was drawn: {meta['sample']} (resource, day) pairs per control across the period, seed {meta['seed']}."


def _unsigned(meta: dict[str, Any], root: str) -> str:
    runs = meta["runs"]
    last = runs["last"]
    head = meta.get("head") or {}
    return f"""# Verifying this audit pack

Period {meta["period"]["from"]} to {meta["period"]["to"]} (UTC): runs {runs["first"]} (`{runs["first_id"]}`)
to {last} (`{runs["last_id"]}`). Generated {meta["generated_at"]} by annexa {meta["tool"]["version"]}.
{_sampled(meta)}

## This pack is not signed

None of its runs is signed and the pack has no seal, so there is no key to check. What can be
verified is **integrity only**: every file matches `SHA256SUMS`, every object matches its name and
the runs form an unbroken hash chain. That proves the pack is consistent with itself, not who
produced it: anyone could have written a consistent pack. To prove origin, the organisation
configures a signing key (`annexa keygen`, then `signing:` in annexa.yaml) and gives you its
fingerprint out of band. If it publishes the head of its evidence chain (`annexa head` prints
`SEQ:SHA256`), compare it with run {head.get("sequence", last)}, manifest sha256 `{head.get("sha256", "?")}`.

## What the evidence is

- `evidence/manifests/NNNNNNNN.json`: one manifest per run, from run 1 to run {last}, so the hash
  chain can be checked from its start. Runs before {runs["first"]} are included for the chain only.
- `evidence/objects/xx/<sha256>`: facts, fact and result deltas, rules and configuration, as
  canonical JSON (sorted keys, no insignificant white space, UTF-8). Each file is named by the
  sha256 of its bytes.
- Each manifest records the sha256 of the manifest before it (`previous.sha256`): deleting,
  editing or reordering a run breaks the chain.
- `index.html`, `controls/`, `soa.xlsx` and `nonconformities.*` are reports derived from the
  evidence; `SHA256SUMS` lists every file.

## With annexa

    annexa verify {root}.zip [--expect-head SEQ:SHA256]

Exit code 0: everything verifies, and the result line says `integrity only, origin not proven`.
Exit code 4: each problem is printed on its own line, naming the run, object, file or link at fault.
{_recomputed(meta)}

## With standard tools (unzip, sha256sum, jq)

Run these from the unzipped folder `{root}/`. Each prints nothing when all is well.

1. Every file is as listed, and every object's name is the sha256 of its bytes:

       sha256sum -c --quiet SHA256SUMS
       for f in evidence/objects/*/*; do echo "${{f##*/}}  $f"; done | sha256sum -c --quiet

2. The chain is unbroken, with no run missing:

       for n in $(seq 2 {last}); do
         cur=evidence/manifests/$(printf %08d "$n").json; prev=evidence/manifests/$(printf %08d $((n - 1))).json
         [ "$(jq -r .previous.sha256 "$cur")" = "$(sha256sum < "$prev" | cut -d' ' -f1)" ] || echo "BROKEN LINK at run $n"
       done

3. Each run's objects are present: `jq -r '.facts.delta, .results.delta, .mappings.object' MANIFEST`
   names them; the fact objects of a run are the `add` entries (third field) of the fact deltas.
"""


def _signed(meta: dict[str, Any], root: str, sealed: bool) -> str:
    runs = meta["runs"]
    last = runs["last"]
    keys = meta["keys"]
    key_lines = (
        "\n".join(f"- `{k}`: `keys/{k.removeprefix('sha256:')}.pem`" for k in keys) or "- none: the runs are not signed"
    )
    key_file = "keys/FINGERPRINT.pem"
    seal_text = (
        "`SEAL.json` is the signed seal over `SHA256SUMS` (so over every file), the period, the runs and that\n"
        "last manifest: a file edited, the period changed or a run dropped breaks it."
        if sealed
        else "This pack has no `SEAL.json` (it was built without a signing key): the runs are signed, the\n"
        "pack's reports and file list are not, so step 6 below does not apply."
    )
    head = meta.get("head") or {}
    return f"""# Verifying this audit pack

Period {meta["period"]["from"]} to {meta["period"]["to"]} (UTC): runs {runs["first"]} (`{runs["first_id"]}`)
to {last} (`{runs["last_id"]}`). Generated {meta["generated_at"]} by annexa {meta["tool"]["version"]}.
{_sampled(meta)}

## Before anything else: get the key fingerprint out of band

Everything in this pack, this file and the `keys/` folder included, could have been written by
whoever handed it to you. A signature proves who signed only if you compare the signing key with
one you obtained **from the organisation directly** (in person, a signed letter, a phone call to a
known number), never with a key or fingerprint taken from inside the pack. Ask the organisation
for its signing key's fingerprint (`sha256:` and 64 hex digits, what `annexa keygen` printed) and,
if it publishes one, for the head of its evidence chain (`annexa head` prints `SEQ:SHA256`).

The pack says it was signed with the keys below. They count only if a fingerprint matches the one
you were given:

{key_lines}

The last run in this pack is run {head.get("sequence", last)}, manifest sha256 `{head.get("sha256", "?")}`.
{seal_text}

## What the evidence is

- `evidence/manifests/NNNNNNNN.json`: one manifest per run, from run 1 to run {last}, so the hash
  chain can be checked from its start. Runs before {runs["first"]} are included for the chain only.
- `evidence/objects/xx/<sha256>`: facts, fact and result deltas, rules and configuration, as
  canonical JSON (sorted keys, no insignificant white space, UTF-8). Each file is named by the
  sha256 of its bytes.
- Each manifest records the sha256 of the manifest before it (`previous.sha256`): deleting,
  editing or reordering a run breaks the chain.
- A signed manifest has a `signature` member (Ed25519). It signs exactly the canonical JSON of
  the manifest **without** its `signature` member. Those bytes are in
  `evidence/signatures/NNNNNNNN.signed.json`, the raw 64-byte signature in `NNNNNNNN.sig`.
{_timestamp_evidence(meta)}- `index.html`, `controls/`, `soa.xlsx` and `nonconformities.*` are reports derived from the
  evidence; `SHA256SUMS` lists every file.

## With annexa

    annexa verify {root}.zip --trusted-key sha256:<the fingerprint you were given> [--expect-head SEQ:SHA256]

Exit code 0: everything verifies, and the result line says `integrity and origin`. Exit code 4:
each problem is printed on its own line, naming the run, object, file or link at fault.
{_recomputed(meta)}
Without `--trusted-key` annexa can only prove integrity, not origin (anyone can sign a rewritten
chain with a key of their own), and its result line says so. `--expect-head` fails when runs up
to a head the organisation published earlier are missing or different.{_timestamp_option(meta)}

## With standard tools (unzip, sha256sum, openssl 3, jq)

Run these from the unzipped folder `{root}/`. Each prints nothing, or `OK`, when all is well.

1. Every file is as listed, and every object's name is the sha256 of its bytes:

       sha256sum -c --quiet SHA256SUMS
       for f in evidence/objects/*/*; do echo "${{f##*/}}  $f"; done | sha256sum -c --quiet

2. The public key is the one you were given out of band: its fingerprint (printed without
   `sha256:`) must equal that one, or stop here. Use only a key file that passes this check:

       openssl pkey -pubin -in {key_file} -outform DER | sha256sum

3. Every signature is valid, and the signed bytes are the manifest without its signature:

       for s in evidence/signatures/*.sig; do n=${{s%.sig}}; m=evidence/manifests/${{n##*/}}.json
         openssl pkeyutl -verify -pubin -inkey {key_file} -rawin -in "$n.signed.json" -sigfile "$s" >/dev/null || echo "BAD SIGNATURE $m"
         jq -S 'del(.signature)' "$m" | cmp -s - <(jq -S . "$n.signed.json") || echo "SIGNED BYTES DIFFER $m"
       done
       ls evidence/manifests | wc -l; ls evidence/signatures/*.sig | wc -l   # both {last} when every run is signed

4. The chain is unbroken, with no run missing:

       for n in $(seq 2 {last}); do
         cur=evidence/manifests/$(printf %08d "$n").json; prev=evidence/manifests/$(printf %08d $((n - 1))).json
         [ "$(jq -r .previous.sha256 "$cur")" = "$(sha256sum < "$prev" | cut -d' ' -f1)" ] || echo "BROKEN LINK at run $n"
       done

5. Each run's objects are present: `jq -r '.facts.delta, .results.delta, .mappings.object' MANIFEST`
   names them; the fact objects of a run are the `add` entries (third field) of the fact deltas.

6. The seal: it signs `SHA256SUMS` and the period and runs in `pack.json`, like a manifest (the
   canonical JSON of `SEAL.json` without its `signature` member):

       [ "$(jq -r .sums.sha256 SEAL.json)" = "$(sha256sum < SHA256SUMS | cut -d' ' -f1)" ] || echo "SEAL DOES NOT COVER SHA256SUMS"
       jq -r .signature.value SEAL.json | base64 -d > /tmp/seal.sig
       jq -cSj 'del(.signature)' SEAL.json > /tmp/seal.signed.json
       openssl pkeyutl -verify -pubin -inkey {key_file} -rawin -in /tmp/seal.signed.json -sigfile /tmp/seal.sig
       jq -S '{{period, runs}}' SEAL.json | cmp -s - <(jq -S '{{period, runs}}' pack.json) || echo "PERIOD OR RUNS CHANGED"
{_timestamp_steps(meta)}"""


def _timestamp_evidence(meta: dict[str, Any]) -> str:
    stamped = meta.get("timestamped") or []
    if not stamped:
        return ""
    return f"""- `evidence/timestamps/NNNNNNNN.json`: RFC 3161 timestamp records, for {len(stamped)} of the runs.
  A signed manifest that was timestamped commits to `timestamp: {{tsa, nonce}}`; its record holds the
  timestamp authority's answer over the sha256 of the manifest's bytes (`response`, base64 DER). A
  signature proves who wrote a manifest; the token proves it existed at the TSA's `genTime`.
"""


def _timestamp_option(meta: dict[str, Any]) -> str:
    if not meta.get("timestamped"):
        return ""
    return (
        "\nAdd `--tsa-certificate tsa.pem` (the timestamp authority's certificate, obtained from the TSA)\n"
        "to check the timestamps against it (step 7); without it annexa checks each token against the\n"
        "certificate the token carries, which proves the token is intact, not who issued it."
    )


def _timestamp_steps(meta: dict[str, Any]) -> str:
    if not meta.get("timestamped"):
        return ""
    return """
7. The timestamps. Get the timestamp authority's certificate (the `tsa` URL in the manifests names
   it) from the TSA itself, never from this pack or from the organisation, as `tsa.pem`; then, for
   every manifest that commits to a timestamp, the token must verify over that manifest's sha256
   and carry the manifest's nonce (a record with `error` and no `response` is a run whose TSA
   failed at collect time: its time is unproven, its integrity still rests on the signed chain):

       for m in evidence/manifests/*.json; do n=$(jq -r '.timestamp.nonce // empty' "$m"); [ -n "$n" ] || continue
         t=evidence/timestamps/${m##*/}; jq -r '.response // empty' "$t" | base64 -d > /tmp/token.tsr
         [ -s /tmp/token.tsr ] || { echo "NOT TIMESTAMPED $m: $(jq -r .error "$t")"; continue; }
         openssl ts -verify -in /tmp/token.tsr -digest "$(sha256sum < "$m" | cut -d' ' -f1)" -CAfile tsa.pem >/dev/null 2>&1 || echo "BAD TIMESTAMP $m"
         h=$(printf '%X' "$n"); [ $((${#h} % 2)) -eq 0 ] || h=0$h  # OpenSSL prints whole bytes: 0x0ABC
         openssl ts -reply -in /tmp/token.tsr -text | grep -qx "Nonce: 0x$h" || echo "WRONG NONCE $m"
       done
"""
