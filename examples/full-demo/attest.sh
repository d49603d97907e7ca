#!/bin/sh
# Attestations for controls no API shows (physical and organisational). Run from this folder
# after `annexa collect`; each stores the file with its sha256 as evidence until --expires.
set -e
annexa attest A.7.1 --file attestations/office-walkthrough.pdf --note "Office perimeter walked and found intact" --by "Jo Park, Office Manager" --expires 2099-12-31
annexa attest A.7.2 --file attestations/office-walkthrough.pdf --note "Badge access reviewed; visitor log kept" --by "Jo Park, Office Manager" --expires 2099-12-31
annexa attest A.7.3 --file attestations/office-walkthrough.pdf --note "Server cupboard locked; keys registered" --by "Jo Park, Office Manager" --expires 2099-12-31
annexa attest A.7.8 --file attestations/office-walkthrough.pdf --note "Network equipment sited in locked rack" --by "Jo Park, Office Manager" --expires 2099-12-31
annexa attest A.7.9 --note "Laptops are full-disk encrypted and tracked in MDM while off-premises" --by "Sam Lee, Head of IT" --expires 2099-12-31
annexa attest A.7.10 --note "USB storage blocked by MDM policy; exceptions approved by the CISO" --by "Sam Lee, Head of IT" --expires 2099-12-31
annexa attest A.7.14 --file attestations/disposal-certificate.txt --note "Retired laptops destroyed by a certified vendor" --by "Sam Lee, Head of IT" --expires 2099-12-31
annexa attest A.6.4 --note "Disciplinary process in the employee handbook, section 9" --by "Rita Gomez, Head of People" --expires 2099-12-31
