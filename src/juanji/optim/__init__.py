"""PLACEHOLDER: the optim helper writes this."""
