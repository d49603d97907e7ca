"""Collectors for osquery fleets managed by Fleet (fleetdm.com), read through Fleet's REST API."""
