"""The notes' experiments, each in one file with its figure.

* ``translation``: MLP vs CNN, and max vs average vs no pooling, on moved digits.
"""
