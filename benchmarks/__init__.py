"""``python -m benchmarks``: a thin shim over ``juanji.apps.bench`` (the suite ships in juanji)."""
