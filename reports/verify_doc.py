"""VERIFY.md: how an auditor checks a pack with annexa, or with standard tools only."""

from __future__ import annotations

from typing import Any

__all__ = ["verify_markdown"]


def verify_markdown(meta: dict[str, Any], root: str) -> str:
    runs = meta["runs"]
    last = runs["last"]
    keys = meta["keys"]
    key_lines = (
        "\n".join(f"- `{k}`: `keys/{k.removeprefix('sha256:')}.pem`" for k in keys) or "- none: the runs are not signed"
    )
    key_file = f"keys/{keys[0].removeprefix('sha256:')}.pem" if keys else "keys/FINGERPRINT.pem"
    return f"""# Verifying this audit pack

Period {meta["period"]["from"]} to {meta["period"]["to"]} (UTC): runs {runs["first"]} (`{runs["first_id"]}`)
to {last} (`{runs["last_id"]}`). Generated {meta["generated_at"]} by annexa {meta["tool"]["version"]}.
{f"Resources were sampled: {meta['sample']} per control, seed {meta['seed']}." if meta["sample"] else ""}

Signing keys (compare each fingerprint with the one the organisation gave you, out of band):

{key_lines}

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
- `index.html`, `controls/`, `soa.xlsx` and `nonconformities.*` are reports derived from the
  evidence; `SHA256SUMS` lists every file.

## With annexa

    annexa verify {root}.zip --public-key {key_file}

Exit code 0: everything verifies. Exit code 4: each problem is printed on its own line, naming
the run, object or link at fault. `--public-key` pins the key you trust; without it, annexa
requires one key across the whole chain and prints its fingerprint.

## With standard tools (unzip, sha256sum, openssl 3, jq)

Run these from the unzipped folder `{root}/`. Each prints nothing, or `OK`, when all is well.

1. Every file is as listed, and every object's name is the sha256 of its bytes:

       sha256sum -c --quiet SHA256SUMS
       for f in evidence/objects/*/*; do echo "${{f##*/}}  $f"; done | sha256sum -c --quiet

2. The public key is the one you expect (prints the fingerprint without `sha256:`):

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
"""
