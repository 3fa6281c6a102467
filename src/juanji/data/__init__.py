"""PLACEHOLDER: the data helper writes this."""
