"""Random number generation: ``manual_seed``, ``Generator`` and the default generator.

Everything random in juanji (initialisation, dropout masks, shuffling, augmentation) draws from a
``Generator`` passed in, or from the default one that ``manual_seed`` resets, so a seed fixes a
whole run. The streams are NumPy's PCG64, so they do not equal PyTorch's for the same seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from juanji.backend import Device, as_device

__all__ = [
    "Generator",
    "manual_seed",
    "seed",
    "initial_seed",
    "default_generator",
    "get_rng_state",
    "set_rng_state",
]


def _fresh_seed() -> int:
    """A seed from the operating system's entropy (an int below 2**63)."""
    entropy = np.random.SeedSequence().entropy
    assert isinstance(entropy, int), "SeedSequence() without arguments draws an int"
    return entropy % (2**63)


class Generator:
    """A source of random numbers, like ``torch.Generator``; ``manual_seed`` returns ``self``.

    Args:
        device: ``'cpu'`` (default) or ``'cuda'``, kept as ``.device``. A ``cuda`` generator
            needs CuPy and a GPU (refused otherwise); its stream is the same host-side PCG64
            as a CPU one, so a seed gives the same numbers on either device.

    Example:
        >>> g = Generator().manual_seed(0)
        >>> a = g.numpy.random(3); _ = g.manual_seed(0)
        >>> bool((a == g.numpy.random(3)).all())
        True
    """

    def __init__(self, device: Any = "cpu") -> None:
        try:
            self.device: Device = as_device(device)
        except (TypeError, ValueError, RuntimeError) as error:
            raise type(error)(f"Generator: {error}") from None
        self._seed = _fresh_seed()
        self.numpy = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        """Reset the stream to ``seed``, a 64-bit int (a negative one is read as unsigned)."""
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
        if not -(2**63) <= seed < 2**64:  # PyTorch's range: an int64 or a uint64
            raise ValueError(
                f"manual_seed: seed must be in [-2**63, 2**64 - 1] (a 64-bit int), got {seed}"
            )
        self._seed = int(seed) % (2**64)
        self.numpy = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Seed from fresh entropy and return the seed used."""
        self.manual_seed(_fresh_seed())
        return self._seed

    def initial_seed(self) -> int:
        """The seed the stream was last reset with."""
        return self._seed

    def get_state(self) -> dict:
        """The generator's state (a dict), for checkpoints."""
        return {"seed": self._seed, "bit_generator": self.numpy.bit_generator.state}

    def set_state(self, state: dict) -> None:
        """Restore a state from ``get_state``."""
        self._seed = int(state["seed"])
        self.numpy = np.random.default_rng(self._seed)
        self.numpy.bit_generator.state = state["bit_generator"]


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator, like ``torch.manual_seed``; returns it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from fresh entropy; return the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The default generator's last seed."""
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    """The default generator's state."""
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    """Restore the default generator's state."""
    default_generator.set_state(state)


def numpy_rng(generator: Generator | None) -> np.random.Generator:
    """The NumPy generator behind ``generator``, or behind the default one when it is None."""
    return (generator or default_generator).numpy


_CHUNK = 2**20


def sample(
    generator: Generator | None, method: str, shape: Any, np_dtype: Any, **kwargs: Any
) -> Any:
    """``numpy_rng(generator).<method>(size=shape, **kwargs)`` stored as ``np_dtype``.

    Draws float64 values a chunk at a time into the result, so a float32 tensor never needs a
    float64 copy of its own size; the numbers are those of one full-size call (each draw takes
    the next values of the stream), so a seed gives the same values in every dtype.
    """
    draw = getattr(numpy_rng(generator), method)
    if np.dtype(np_dtype) == np.float64:
        return np.asarray(draw(size=shape, **kwargs), dtype=np.float64)
    out = np.empty(shape, dtype=np_dtype)
    flat = out.reshape(-1)
    for start in range(0, flat.size, _CHUNK):
        stop = min(start + _CHUNK, flat.size)
        flat[start:stop] = draw(size=stop - start, **kwargs)
    return out
