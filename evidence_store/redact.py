"""Secret redaction, applied to every string annexa stores or logs, before it is hashed.

Facts, the configuration copy and collection errors (messages built from API answers,
raw response bodies included) go through `redact`; free text (error messages, log
lines, crash logs) through `redact_text`. Two nets, so that neither has to be perfect:

- **Key names.** A value whose key names a secret is replaced and the key kept, so an
  auditor sees that a secret exists without seeing it. A key names a secret when it
  contains `pass`, `pwd`, `secret`, `token`, `credential`, `private`, `apikey`/`api_key`
  (any case, any separator: `DB_PASS`, `PASSWORD1`, `SECRET_KEY_BASE`, `db_password_prod`,
  `x-api-key`) or ends in a compound secret noun (`AccountKey`, `UserData`, `Signature`, ...).
  Keys that only *describe* a secret keep their value: those ending in a word such as
  `enabled`, `policy`, `length`, `last_used`, `date`, `status`, `id`, `name`, `type`,
  `address` (`PasswordLastUsed`, `secret_scanning`, `PrivateIpAddress`, `client_secret_env`),
  and paging cursors (`NextToken`). Under a secret key, containers are walked and every
  string redacted except those under such describing keys (an app's `passwordCredentials`
  keep `keyId` and `endDateTime`), and values that plainly hold no secret are kept:
  settings words (`required`, `no`: EC2's `HttpTokens`, sshd's `passwordauthentication`),
  timestamps, ARNs and Azure resource ids. Numbers, booleans and null are always kept:
  they say whether a secret is set or how long it must be, not what it is.
- **Values.** Wherever a string is, the maintained detectors of `detect-secrets` find
  private keys, JWTs, Slack, Stripe, GitHub, GitLab, AWS, Azure storage, SendGrid, Twilio,
  npm, PyPI, OpenAI and Discord tokens, basic-auth URLs and `password = ...` style
  assignments; annexa adds what that project lacks (Google `AIza` keys, GitHub
  fine-grained tokens, `Bearer`/`Basic` authorization values, SAS and pre-signed URL
  signatures, connection-string keys) and the key-name rule applied to `NAME=value`,
  `"name": "value"` and `<Name>value</Name>` inside text. Only the secret part is
  replaced, extended to the whole token it sits in (a private key to its END line).
  Random-looking strings (detect-secrets' base64 entropy above 4.5, 20 characters or
  more) are redacted in free text only: in facts they are also resource ids, hashes and
  encoded policies, which are evidence. Hex is never judged by entropy (sha256 digests).
  AWS access key *ids* (`AKIA...`) are identifiers that IAM evidence names, not secrets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, NamedTuple

__all__ = ["REDACTED", "redact", "redact_text", "secret_key"]

REDACTED = "[REDACTED]"

# --- key names ---------------------------------------------------------------------------

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_STEM_WORDS = ("pass", "pwd", "secret", "token", "credential", "private")  # a word starting with one
_NOT_STEM_WORDS = frozenset({"passive", "passage", "passenger", "passthrough", "passthru", "passport"})
_STEMS_ANYWHERE = ("password", "passwd", "passphrase", "secret", "token", "credential", "apikey", "privatekey")
_SECRET_SUFFIXES = (
    "accountkey",
    "accesskey",
    "sharedkey",
    "primarykey",
    "secondarykey",
    "connectionstring",
    "userdata",
    "signature",
    "sastoken",
)
# A key whose last word is one of these describes a secret (or is an address), it does not hold one.
_DESCRIBES = frozenset(
    """enabled disabled enable active required require status state policy policies length len age days day
    hours minutes seconds ttl last used changed rotated rotation date datetime time timestamp expiry expires
    expiration expired created updated modified scanning protection detection patterns checks count type types
    kind name names id ids identifier arn arns env version reuse prevention window period validity lifetime
    configured exists present mode format algorithm method fingerprint thumbprint address addresses ip ips dns
    endpoint endpoints connection connections link links network networks subnet zone metadata location region
    path file authentication requirement requirements complexity strength history issuer audience scope scopes
    permissions roles""".split()
)
# Paging cursors: opaque, but they open nothing.
_NOT_SECRET_KEYS = frozenset(
    {"nexttoken", "continuationtoken", "paginationtoken", "skiptoken", "pagetoken", "nextpagetoken", "synctoken"}
)
# Values that plainly hold no secret, kept even under a secret-named key.
_SETTING_WORDS = frozenset(
    """yes no true false on off enabled disabled enable disable required optional none null n/a not_supported
    always never default unknown set unset present absent""".split()
)
_PLAIN_VALUE = re.compile(
    r"^(?:\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"  # a date or time
    r"|arn:aws[\w-]*:\S*"  # an ARN
    r"|/subscriptions/[0-9a-fA-F-]{36}(?:/\S*)?)$"  # an Azure resource id
)


@lru_cache(maxsize=16384)  # the same few hundred key names recur in every fact
def _key_class(key: str) -> str:
    """`secret` (holds one), `describes` (metadata about one, or nothing to do with one) or `plain`."""
    words = [w.lower() for w in _WORDS.findall(key)]
    if not words:
        return "plain"
    norm = "".join(words)
    if norm in _NOT_SECRET_KEYS or words[-1] in _DESCRIBES:
        return "describes"
    if (
        any(w.startswith(_STEM_WORDS) and w not in _NOT_STEM_WORDS for w in words)
        or any(stem in norm for stem in _STEMS_ANYWHERE)
        or norm.endswith(_SECRET_SUFFIXES)
    ):
        return "secret"
    return "plain"


def secret_key(key: str) -> bool:
    """Whether a value under `key` is redacted."""
    return _key_class(key) == "secret"


def _plain_value(value: str) -> bool:
    text = value.strip()
    return text.lower() in _SETTING_WORDS or text == REDACTED or _PLAIN_VALUE.match(text) is not None


# --- values ----------------------------------------------------------------------------------


class _Detectors(NamedTuple):
    plugins: tuple[Any, ...]
    private_key: Any
    entropy: Any


@lru_cache(maxsize=1)
def _detectors() -> _Detectors:
    """detect-secrets' plugins, imported on first use: the package pulls in `requests` (for its
    optional online verification, never used here), which readers of a store need not load."""
    from detect_secrets.plugins.aws import AWSKeyDetector
    from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
    from detect_secrets.plugins.basic_auth import BasicAuthDetector
    from detect_secrets.plugins.cloudant import CloudantDetector
    from detect_secrets.plugins.discord import DiscordBotTokenDetector
    from detect_secrets.plugins.github_token import GitHubTokenDetector
    from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString
    from detect_secrets.plugins.ibm_cloud_iam import IbmCloudIamDetector
    from detect_secrets.plugins.ibm_cos_hmac import IbmCosHmacDetector
    from detect_secrets.plugins.jwt import JwtTokenDetector
    from detect_secrets.plugins.keyword import CONFIG_DENYLIST_REGEX_TO_GROUP, KeywordDetector
    from detect_secrets.plugins.mailchimp import MailchimpDetector
    from detect_secrets.plugins.npm import NpmDetector
    from detect_secrets.plugins.openai import OpenAIDetector
    from detect_secrets.plugins.private_key import PrivateKeyDetector
    from detect_secrets.plugins.pypi_token import PypiTokenDetector
    from detect_secrets.plugins.sendgrid import SendGridDetector
    from detect_secrets.plugins.slack import SlackDetector
    from detect_secrets.plugins.softlayer import SoftlayerDetector
    from detect_secrets.plugins.square_oauth import SquareOAuthDetector
    from detect_secrets.plugins.stripe import StripeDetector
    from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
    from detect_secrets.plugins.twilio import TwilioKeyDetector

    class KeywordAssignments(KeywordDetector):  # type: ignore[misc]
        """The keyword plugin with its config-file rules (`password: x`, `secret = "x"`)."""

        def analyze_string(self, string: str) -> Any:
            return super().analyze_string(string, CONFIG_DENYLIST_REGEX_TO_GROUP)

    # Left out: ArtifactoryDetector (`AP` + 9 letters matches resource names such as `APEastBackupVault`),
    # IPPublicDetector (addresses are network evidence), HexHighEntropyString (sha256 digests, commit ids).
    plugins = (
        AWSKeyDetector(),
        AzureStorageKeyDetector(),
        BasicAuthDetector(),
        CloudantDetector(),
        DiscordBotTokenDetector(),
        GitHubTokenDetector(),
        GitLabTokenDetector(),
        IbmCloudIamDetector(),
        IbmCosHmacDetector(),
        JwtTokenDetector(),
        KeywordAssignments(),
        MailchimpDetector(),
        NpmDetector(),
        OpenAIDetector(),
        PypiTokenDetector(),
        SendGridDetector(),
        SlackDetector(),
        SoftlayerDetector(),
        SquareOAuthDetector(),
        StripeDetector(),
        TelegramBotTokenDetector(),
        TwilioKeyDetector(),
    )
    return _Detectors(plugins, PrivateKeyDetector(), Base64HighEntropyString(limit=4.5))


_ACCESS_KEY_ID = re.compile(r"^(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}$")
_PEM_BLOCK = re.compile(r"-----BEGIN[^-\n]*-----.*?(?:-----END[^-\n]*-----|\Z)", re.S)
_PUTTY_KEY = re.compile(r"PuTTY-User-Key-File-\d.*\Z", re.S)

# What detect-secrets lacks; the secret is the `s` group.
_EXTRA = (
    re.compile(r"(?P<s>AIza[0-9A-Za-z_\-]{35})"),  # Google API key
    re.compile(r"(?P<s>github_pat_[A-Za-z0-9_]{22,})"),  # GitHub fine-grained token
    re.compile(r"(?P<s>gh[pousr]_[A-Za-z0-9]{30,})"),  # GitHub classic tokens of other lengths
    re.compile(r"(?P<s>xox[a-z]-[A-Za-z0-9-]{10,})", re.I),  # Slack tokens of newer kinds (xoxe-, ...)
    re.compile(r"(?P<s>[rs]k_(?:live|test)_[0-9A-Za-z]{16,})"),  # Stripe keys of any length
    re.compile(r"(?i)\b(?:bearer|basic|token)\s+(?P<s>[A-Za-z0-9._~+/\-]{8,}=*)"),  # Authorization values
    re.compile(r"(?i)\b(?:AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd)\s*=\s*(?P<s>[^;\s\"']+)"),
    re.compile(r"(?i)[?&](?:sig|X-Amz-Signature|X-Amz-Security-Token|X-Goog-Signature)=(?P<s>[^&\s\"'#]+)"),
)
# Every detector above needs one of these words (matched in lower case) or a run of 20 letters and
# digits (every token format without a fixed prefix is that long): two cheap checks skip the
# detectors for almost every value, which matters because every value of every fact is checked.
_MARKER_WORDS = (
    "pass", "pwd", "secret", "token", "credential", "private", "api", "key", "auth", "bearer", "basic", "sig",
    "userdata", "connectionstring", "://", "-----", "eyj", "xox", "putty", "cloudant", "aiza",
)  # fmt: skip
_LONG_RUN = re.compile(r"[A-Za-z0-9]{20}")
# `NAME=value`, `NAME: value`, `"name": "value"`, `<Name>value</Name>`, `<Key>name</Key><Value>v</Value>`.
_ASSIGNMENT = re.compile(r"""(?P<k>[A-Za-z_][\w.\-]{0,80})["']?\s*(?::=|=>|[=:])\s*(?P<q>["']?)(?P<s>[^\s"',;&}<]+)""")
_XML_ELEMENT = re.compile(r"<(?P<k>[A-Za-z_][\w.\-]{0,80})>(?P<s>[^<]+)</(?P=k)>")
_XML_PAIR = re.compile(r"<(?P<kt>Key|Name)>(?P<k>[^<]{1,80})</(?P=kt)>\s*<(?P<vt>Value)>(?P<s>[^<]*)</(?P=vt)>", re.I)
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-+/=.~%]")
_CANDIDATE_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-]{20,}")
_CACHEABLE = 256  # short strings recur (regions, states, names): their verdicts are cached


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """A secret's span grown to the whole token around it (a detector may match a prefix only);
    never leftwards over `=` or `:`, so `AccountKey=` and `password:` stay readable."""
    while start > 0 and _TOKEN_CHARS.match(text[start - 1]) and text[start - 1] != "=":
        start -= 1
    while end < len(text) and _TOKEN_CHARS.match(text[end]):
        end += 1
    return start, end


def _occurrences(text: str, secret: str) -> Iterable[tuple[int, int]]:
    start = text.find(secret)
    while secret and start >= 0:
        yield start, start + len(secret)
        start = text.find(secret, start + len(secret))


def _detected(text: str) -> list[tuple[int, int]]:
    """Spans the detectors and the key-name rule find in `text`."""
    spans: list[tuple[int, int]] = []
    detectors = _detectors()
    if any(True for _ in detectors.private_key.analyze_string(text)):
        spans += [m.span() for m in _PEM_BLOCK.finditer(text)] + [m.span() for m in _PUTTY_KEY.finditer(text)]
    for plugin in detectors.plugins:
        for secret in plugin.analyze_string(text):
            if not secret or _ACCESS_KEY_ID.match(secret) or _plain_value(secret):
                continue
            spans += [_widen(text, *span) for span in _occurrences(text, secret)]
    for pattern in _EXTRA:
        spans += [_widen(text, *m.span("s")) for m in pattern.finditer(text)]
    for pattern in (_ASSIGNMENT, _XML_ELEMENT, _XML_PAIR):
        for m in pattern.finditer(text):
            if secret_key(m.group("k")) and not _plain_value(m.group("s")):
                spans.append(m.span("s"))
    return spans


def _random_looking(text: str) -> list[tuple[int, int]]:
    """Spans of 20+ base64 characters above detect-secrets' entropy limit (free text only)."""
    candidates = list(_CANDIDATE_TOKEN.finditer(text))
    if not candidates:
        return []
    entropy = _detectors().entropy
    return [m.span() for m in candidates if entropy.calculate_shannon_entropy(m.group()) > entropy.entropy_limit]


def _replace(text: str, spans: list[tuple[int, int]]) -> str:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:  # overlapping or touching: one marker
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, last = [], 0
    for start, end in merged:
        out += [text[last:start], REDACTED]
        last = end
    return "".join(out) + text[last:]


def _may_hold_secret(text: str) -> bool:
    lower = text.lower()
    return any(word in lower for word in _MARKER_WORDS) or _LONG_RUN.search(text) is not None


def _redact_string(text: str, free_text: bool) -> str:
    if len(text) < 8:
        return text
    spans = _random_looking(text) if free_text else []
    # ARNs, resource ids and timestamps name things: they are evidence, never secrets
    if _may_hold_secret(text) and (free_text or not _PLAIN_VALUE.match(text)):
        spans += _detected(text)
    return _replace(text, spans) if spans else text


@lru_cache(maxsize=65536)
def _redact_short(text: str) -> str:
    return _redact_string(text, free_text=False)


def _value(text: str) -> str:
    return _redact_short(text) if len(text) <= _CACHEABLE else _redact_string(text, free_text=False)


def redact_text(text: str) -> str:
    """Free text (an error message, a response body, a log line) with every secret in it replaced.

    Embedded JSON is judged structurally as well, so a body such as `{"password": "x"}` loses `x`.
    """
    text = _redact_string(text, free_text=True)
    return _redact_embedded_json(text)


def _redact_embedded_json(text: str) -> str:
    start = text.find("{")
    if start < 0 or len(text) > 1_000_000:
        return text
    try:
        doc, end = json.JSONDecoder().raw_decode(text, start)
    except ValueError:
        return text
    cleaned = redact(doc)
    if cleaned == doc:
        return text
    return text[:start] + json.dumps(cleaned, separators=(",", ":")) + _redact_embedded_json(text[end:])


def redact(value: Any, _secret: bool = False) -> Any:
    """A copy of `value` with secret values replaced by `[REDACTED]` (see the module docstring).

    A `{Key: ..., Value: ...}` pair (AWS tags, environment lists) is judged by its `Key`.
    """
    if isinstance(value, dict):
        secret_pair = False
        if "Value" in value or "value" in value:
            pair_key = value.get("Key", value.get("key", value.get("Name", value.get("name"))))
            secret_pair = isinstance(pair_key, str) and secret_key(pair_key)
        out: dict[str, Any] = {}
        for key, item in value.items():
            kind = _key_class(key) if isinstance(key, str) else "plain"
            if kind == "secret" or (secret_pair and key in ("Value", "value")):
                out[key] = redact(item, True)
            elif kind == "describes":
                out[key] = redact(item, False)
            else:
                out[key] = redact(item, _secret)
        return out
    if isinstance(value, list):
        return [redact(item, _secret) for item in value]
    if isinstance(value, str):
        if _secret and value and not _plain_value(value):
            return REDACTED
        return _value(value)
    return value
