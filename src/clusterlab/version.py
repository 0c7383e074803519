"""The package version: one place, read by the package and by what it writes (summary.json)."""

__version__ = "0.1.0"
