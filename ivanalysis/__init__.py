"""Improving Value analysis book: NHS England's Improving Value schemes, analysed for England and every hub."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ivanalysis")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
