"""annexa: read-only evidence collection for ISO/IEC 27001:2022 Annex A."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("annexa")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
