"""The seeded Google Cloud estate lives in the package (`annexa demo` serves it)."""

from annexa.demo.gcp_world import (
    DELETED,
    FOLDER,
    ORG,
    PROD,
    SANDBOX,
    TOKEN,
    TOKEN_ENV,
    Collected,
    Seeded,
    new_world,
    seed,
)

__all__ = [
    "DELETED",
    "FOLDER",
    "ORG",
    "PROD",
    "SANDBOX",
    "TOKEN",
    "TOKEN_ENV",
    "Collected",
    "Seeded",
    "new_world",
    "seed",
]
