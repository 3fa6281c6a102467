"""The single source of juanji's version number."""

__version__ = "0.1.0"
