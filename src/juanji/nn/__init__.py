"""PLACEHOLDER: the nn helper writes the module re-exports here."""

from juanji.nn import functional  # noqa: F401
