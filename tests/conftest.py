"""Shared fixtures and the hypothesis profiles.

``xp`` runs a test once per array library present: NumPy always, CuPy (marked ``gpu``) when it
imports and sees a GPU, so a GPU machine runs the same test bodies unchanged. A test that takes
``xp`` builds its inputs with ``xp.asarray`` and reads results with ``as_numpy``.

The ``ci`` profile (the default) is derandomized so that a failure reproduces on every run;
``HYPOTHESIS_PROFILE=dev`` explores new examples each time, ``=thorough`` many more.
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng():
    """A seeded NumPy generator, fresh for each test."""
    return np.random.default_rng(0)


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    """Run a test once per floating dtype."""
    return request.param


def _cupy_or_skip():
    from juanji.backend import cupy_or_none  # noqa: PLC0415 - checked only when the param runs

    cupy = cupy_or_none()
    if cupy is None:
        pytest.skip("CuPy with a visible GPU is not available")
    return cupy


@pytest.fixture(scope="session", params=["numpy", pytest.param("cupy", marks=pytest.mark.gpu)])
def xp(request):
    """The array module to build test inputs with: numpy, then cupy where a GPU is present.

    Session-scoped, so that hypothesis tests may take it (it holds no per-test state).
    """
    return np if request.param == "numpy" else _cupy_or_skip()
