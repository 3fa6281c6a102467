"""Collection rules for the whole checkout (doctests of src/juanji and tests/).

The compiled kernels (``juanji._ops.compiled``) import Numba at module level: without the
optional ``fast`` extra their modules are not collected for doctests; the library itself never
imports them then (``juanji._ops.compiled`` is reached only when Numba is present).
"""

import importlib.util

collect_ignore_glob = (
    [] if importlib.util.find_spec("numba") else ["src/juanji/_ops/compiled/*.py"]
)
