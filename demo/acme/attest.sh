#!/bin/sh
# Attestations for controls no API shows (physical and organisational). Run from this folder after a
# first `annexa collect`: each records who (one of `attesters:` in annexa.yaml), the outcome and a
# file or note, valid for a year (the maximum by default). A collection run's SoA counts the
# statements recorded before it, so run `annexa collect` again to see them in `annexa soa`.
# Physical controls (A.7.x) need a file (--file); a statement alone is not evidence for them.
set -e
annexa attest A.7.1 --by "Jo Park" --result effective --file attestations/office-walkthrough.pdf --note "Office perimeter walked and found intact"
annexa attest A.7.2 --by "Jo Park" --result effective --file attestations/office-walkthrough.pdf --note "Badge access reviewed; visitor log kept"
annexa attest A.7.3 --by "Jo Park" --result not-effective --file attestations/office-walkthrough.pdf --note "Server cupboard found unlocked during the walkthrough; lock ordered"
annexa attest A.7.8 --by "Jo Park" --result effective --file attestations/office-walkthrough.pdf --note "Network equipment sited in locked rack"
annexa attest A.7.9 --by "Sam Lee" --result effective --file attestations/mdm-compliance-report.txt --note "Laptops are full-disk encrypted and tracked in MDM while off-premises"
annexa attest A.7.10 --by "Sam Lee" --result exception --file attestations/usb-storage-exception.txt --note "Design team may use approved encrypted USB drives until the MDM USB policy reaches macOS"
annexa attest A.7.14 --by "Sam Lee" --result effective --file attestations/disposal-certificate.txt --note "Retired laptops destroyed by a certified vendor"
annexa attest A.6.4 --by "Rita Gomez" --result effective --note "Disciplinary process (handbook section 9) applied in both 2026 cases, per the HR case log"
