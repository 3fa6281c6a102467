"""``python -m benchmarks``: a thin shim over ``juanji.bench`` (the suite ships in the package)."""
