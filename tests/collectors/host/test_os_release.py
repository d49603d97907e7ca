"""os-release parsing and fallback."""

from __future__ import annotations

from annexa.collectors.host.os_release import OsReleaseCollector, parse_os_release


def test_parse_quoting_and_comments():
    text = (
        "# comment\nNAME='Fedora Linux'\nID=fedora\n"
        'PRETTY_NAME="Fedora Linux 40 (Workstation Edition)"\nBROKEN\nVERSION_ID="40\n'
    )
    values = parse_os_release(text)
    assert values["name"] == "Fedora Linux" and values["id"] == "fedora"
    assert values["pretty_name"] == "Fedora Linux 40 (Workstation Edition)"
    assert "version_id" not in values  # an unbalanced quote is not a shell assignment: nothing is guessed


def test_debian_os_release(debian12, fact_data):
    data = fact_data(OsReleaseCollector, debian12("base-files"))
    assert (data["id"], data["version_id"], data["version_codename"]) == ("debian", "12", "bookworm")


def test_falls_back_to_usr_lib_and_reports_absence(tree, fact_data):
    data = fact_data(OsReleaseCollector, tree({"/usr/lib/os-release": "ID=alpine\nVERSION_ID=3.20.0\n"}))
    assert (data["file"], data["id"], data["version_id"], data["pretty_name"]) == (
        "/usr/lib/os-release",
        "alpine",
        "3.20.0",
        None,
    )
    assert fact_data(OsReleaseCollector, tree())["present"] is False
