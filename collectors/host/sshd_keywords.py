"""The sshd_config keywords sshd accepts, since which OpenSSH release, where, and what values.

Taken from openssh/openssh-portable servconf.c (`keywords[]` up to 10.3, the
SSHD_CONFIG_ENTRIES table of servconf.h after it) and read release by release from
7.4 on: OpenSSH never removes a keyword, it turns it into a deprecated or unsupported
one that is logged and ignored. The value checks are those of
process_server_config_line_depth(): yes/no flags and the multistate tables
(case-insensitive), integers (atoi_err: 0..INT_MAX), times (convtime), and how many
arguments a keyword takes ("extra arguments at end of line"). Keywords whose value
sshd checks further (addresses, algorithm lists, paths) are accepted as written.

`DISTRIBUTION` adds keywords that distribution patches add and stock sshd rejects
(Debian and Ubuntu: the GSSAPI key exchange patch and DebianBanner, checked with
Debian 12's sshd -T).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ALIASES", "KEYWORDS", "Keyword", "check_value"]

INT_MAX = 2**31 - 1
_FLAG = ("yes", "no")
_TIME = re.compile(r"(?:[0-9]+[sSmMhHdDwW]?)+")
_INT = re.compile(r"[ \t]*[+-]?[0-9]+")


@dataclass(frozen=True)
class Keyword:
    since: tuple[int, int]  # the first OpenSSH release that accepts it
    match: bool  # allowed inside a Match block
    values: str  # "flag", "int", "time", "one", "some", "rest", "ignored", or "choice"
    choices: tuple[str, ...] = ()
    most: int = 1  # arguments at most for "one"/"choice" (ListenAddress takes 3)
    none_ok: bool = False  # "none" is accepted besides the value kind


def _k(since: str, match: bool, values: str, *choices: str, most: int = 1, none_ok: bool = False) -> Keyword:
    major, minor = since.split(".")
    return Keyword((int(major), int(minor)), match, values, tuple(choices), most, none_ok)


_G, _M = False, True  # global only / also inside Match
KEYWORDS: dict[str, Keyword] = {
    "acceptenv": _k("7.4", _M, "some"),
    "addressfamily": _k("7.4", _G, "choice", "inet", "inet6", "any"),
    "allowagentforwarding": _k("7.4", _M, "flag"),
    "allowgroups": _k("7.4", _M, "some"),
    "allowstreamlocalforwarding": _k("7.4", _M, "choice", "yes", "all", "no", "remote", "local"),
    "allowtcpforwarding": _k("7.4", _M, "choice", "yes", "all", "no", "remote", "local"),
    "allowusers": _k("7.4", _M, "some"),
    "authenticationmethods": _k("7.4", _M, "some"),
    "authorizedkeyscommand": _k("7.4", _M, "rest"),
    "authorizedkeyscommanduser": _k("7.4", _M, "one"),
    "authorizedkeysfile": _k("7.4", _M, "some"),
    "authorizedprincipalscommand": _k("7.4", _M, "rest"),
    "authorizedprincipalscommanduser": _k("7.4", _M, "one"),
    "authorizedprincipalsfile": _k("7.4", _M, "one"),
    "banner": _k("7.4", _M, "one"),
    "casignaturealgorithms": _k("7.9", _M, "one"),
    "channeltimeout": _k("9.2", _M, "some"),
    "chrootdirectory": _k("7.4", _M, "one"),
    "ciphers": _k("7.4", _G, "one"),
    "clientalivecountmax": _k("7.4", _M, "int"),
    "clientaliveinterval": _k("7.4", _M, "time"),
    "compression": _k("7.4", _G, "choice", "yes", "delayed", "no"),
    "denygroups": _k("7.4", _M, "some"),
    "denyusers": _k("7.4", _M, "some"),
    "disableforwarding": _k("7.4", _M, "flag"),
    "exposeauthinfo": _k("7.6", _M, "flag"),
    "fingerprinthash": _k("7.4", _G, "choice", "md5", "sha256"),
    "forcecommand": _k("7.4", _M, "rest"),
    "gatewayports": _k("7.4", _M, "choice", "clientspecified", "yes", "no"),
    "gssapiauthentication": _k("7.4", _M, "flag"),
    "gssapicleanupcredentials": _k("7.4", _G, "flag"),
    "gssapidelegatecredentials": _k("10.3", _G, "flag"),
    "gssapistrictacceptorcheck": _k("7.4", _G, "flag"),
    "hostbasedacceptedalgorithms": _k("8.5", _M, "one"),
    "hostbasedauthentication": _k("7.4", _M, "flag"),
    "hostbasedusesnamefrompacketonly": _k("7.4", _M, "flag"),
    "hostcertificate": _k("7.4", _G, "one"),
    "hostkey": _k("7.4", _G, "one"),
    "hostkeyagent": _k("7.4", _G, "one"),
    "hostkeyalgorithms": _k("7.4", _G, "one"),
    "ignorerhosts": _k("7.4", _M, "choice", "yes", "no", "shosts-only"),
    "ignoreuserknownhosts": _k("7.4", _G, "flag"),
    "include": _k("8.2", _M, "some"),
    "ipqos": _k("7.4", _M, "one", most=2),
    "kbdinteractiveauthentication": _k("7.4", _M, "flag"),
    "kerberosauthentication": _k("7.4", _M, "flag"),
    "kerberosgetafstoken": _k("7.4", _G, "flag"),
    "kerberosorlocalpasswd": _k("7.4", _G, "flag"),
    "kerberosticketcleanup": _k("7.4", _G, "flag"),
    "kexalgorithms": _k("7.4", _G, "one"),
    "listenaddress": _k("7.4", _G, "one", most=3),
    "logingracetime": _k("7.4", _G, "time"),
    "loglevel": _k(
        "7.4", _M, "choice", "quiet", "fatal", "error", "info", "verbose", "debug", "debug1", "debug2", "debug3"
    ),
    "logverbose": _k("8.5", _M, "some"),
    "macs": _k("7.4", _G, "one"),
    "match": _k("7.4", _M, "rest"),
    "maxauthtries": _k("7.4", _M, "int"),
    "maxsessions": _k("7.4", _M, "int"),
    "maxstartups": _k("7.4", _G, "one"),
    "modulifile": _k("8.6", _G, "one"),
    "pamservicename": _k("9.8", _M, "one"),
    "passwordauthentication": _k("7.4", _M, "flag"),
    "permitemptypasswords": _k("7.4", _M, "flag"),
    "permitlisten": _k("7.8", _M, "some"),
    "permitopen": _k("7.4", _M, "some"),
    "permitrootlogin": _k(
        "7.4", _M, "choice", "prohibit-password", "without-password", "forced-commands-only", "yes", "no"
    ),
    "permittty": _k("7.4", _M, "flag"),
    "permittunnel": _k("7.4", _M, "choice", "no", "point-to-point", "ethernet", "yes"),
    "permituserenvironment": _k("7.4", _G, "one"),
    "permituserrc": _k("7.4", _M, "flag"),
    "persourcemaxstartups": _k("8.5", _G, "int", none_ok=True),
    "persourcenetblocksize": _k("8.5", _G, "one"),
    "persourcepenalties": _k("9.8", _G, "some"),
    "persourcepenaltyexemptlist": _k("9.8", _G, "one"),
    "pidfile": _k("7.4", _G, "one"),
    "port": _k("7.4", _G, "one"),
    "printlastlog": _k("7.4", _G, "flag"),
    "printmotd": _k("7.4", _G, "flag"),
    "pubkeyacceptedalgorithms": _k("8.5", _M, "one"),
    "pubkeyauthentication": _k("7.4", _M, "flag"),
    "pubkeyauthoptions": _k("8.2", _M, "some"),
    "rdomain": _k("7.7", _M, "one"),
    "refuseconnection": _k("9.9", _M, "flag"),
    "rekeylimit": _k("7.4", _M, "one", most=2),
    "requiredrsasize": _k("9.1", _M, "int"),
    "revokedkeys": _k("7.4", _M, "some"),
    "securitykeyprovider": _k("8.2", _G, "one"),
    "setenv": _k("7.8", _M, "some"),
    "sshdauthpath": _k("10.0", _G, "one"),
    "sshdsessionpath": _k("9.8", _G, "one"),
    "streamlocalbindmask": _k("7.4", _M, "one"),
    "streamlocalbindunlink": _k("7.4", _M, "flag"),
    "strictmodes": _k("7.4", _G, "flag"),
    "subsystem": _k("7.4", _M, "rest"),
    "syslogfacility": _k("7.4", _G, "choice", "daemon", "user", "auth", "authpriv", *(f"local{n}" for n in range(8))),
    "tcpkeepalive": _k("7.4", _G, "flag"),
    "trustedusercakeys": _k("7.4", _M, "one"),
    "unusedconnectiontimeout": _k("9.2", _M, "time", none_ok=True),
    "usedns": _k("7.4", _G, "flag"),
    "usepam": _k("7.4", _G, "flag"),
    "versionaddendum": _k("7.4", _G, "rest"),
    "x11displayoffset": _k("7.4", _M, "int"),
    "x11forwarding": _k("7.4", _M, "flag"),
    "x11uselocalhost": _k("7.4", _M, "flag"),
    "xauthlocation": _k("7.4", _G, "one"),
    # Deprecated or unsupported: sshd logs them and ignores their arguments.
    **{
        name: _k("7.4", _M, "ignored")
        for name in (
            "afstokenpassing authorizedkeysfile2 checkmail keyregenerationinterval kerberostgtpassing "
            "pamauthenticationviakbdint protocol reversemappingcheck rhostsauthentication rhostsrsaauthentication "
            "rsaauthentication serverkeybits uselogin useprivilegeseparation verifyreversemapping"
        ).split()
    },
}
# Debian/Ubuntu's openssh patches (gssapi.patch, debian-banner.patch).
DISTRIBUTION: dict[str, Keyword] = {
    "debianbanner": _k("7.4", _G, "flag"),
    "gssapikeyexchange": _k("7.4", _G, "flag"),
    "gssapistorecredentialsonrekey": _k("7.4", _G, "flag"),
    "gssapikexalgorithms": _k("7.4", _G, "one"),
}
KEYWORDS.update(DISTRIBUTION)
# Old names sshd still reads as another keyword (SSHCONF_ALIAS).
ALIASES = {
    "challengeresponseauthentication": "kbdinteractiveauthentication",
    "skeyauthentication": "kbdinteractiveauthentication",
    "dsaauthentication": "pubkeyauthentication",
    "keepalive": "tcpkeepalive",
    "hostdsakey": "hostkey",
    "pubkeyacceptedkeytypes": "pubkeyacceptedalgorithms",
    "hostbasedacceptedkeytypes": "hostbasedacceptedalgorithms",
}
KEYWORDS.update(
    {
        "challengeresponseauthentication": _k("7.4", _M, "flag"),
        "skeyauthentication": _k("7.4", _M, "flag"),
        "dsaauthentication": _k("7.4", _G, "flag"),
        "keepalive": _k("7.4", _G, "flag"),
        "hostdsakey": _k("7.4", _G, "one"),
        "pubkeyacceptedkeytypes": _k("7.4", _M, "one"),
        "hostbasedacceptedkeytypes": _k("7.4", _M, "one"),
    }
)


def check_value(keyword: str, spec: Keyword, args: list[str]) -> str | None:
    """Why sshd would refuse these arguments for `keyword` (None: it accepts them)."""
    if spec.values in ("rest", "ignored"):
        return None
    if not args or args[0] == "":
        return "missing argument"
    if spec.values == "some":
        return None
    most = spec.most if spec.values in ("one", "choice") else 1
    if len(args) > most:
        return f"keyword {keyword} extra arguments at end of line"
    value = args[0]
    if spec.none_ok and value.lower() == "none":
        return None
    if spec.values == "flag" and value.lower() not in _FLAG:
        return f'unsupported option "{value}"'
    if spec.values == "choice" and value.lower() not in spec.choices:
        return f'unsupported option "{value}"'
    if spec.values == "int":
        if not _INT.fullmatch(value):
            return f"{keyword} integer value invalid"
        number = int(value)
        if number < 0:
            return f"{keyword} integer value too small"
        if number > INT_MAX:
            return f"{keyword} integer value too large"
    if spec.values == "time" and not _TIME.fullmatch(value):
        return "invalid time value"
    return None
