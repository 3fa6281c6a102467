"""juanji.apps.viz.experiment: the translation figure from a made-up result."""

import numpy as np
from PIL import Image

from juanji.apps.experiments import TranslationResult, TranslationSettings
from juanji.apps.viz.experiment import draw_translation


def test_draws_a_1000_by_600_png(tmp_path):
    shifts = list(range(4))
    result = TranslationResult(
        TranslationSettings(max_shift=3),
        shifts,
        {"MLP": [0.9, 0.8, 0.5, 0.3], "LeNet5": [0.98, 0.96, 0.9, 0.7], "LeNet5-none": [0.97] * 4},
        examples=np.zeros((4, 28, 28)),
    )
    path = draw_translation(result, tmp_path / "sub" / "t.png")
    with Image.open(path) as image:
        assert image.size == (1000, 600)
    result.examples = None  # no example strip: still drawn
    with Image.open(draw_translation(result, tmp_path / "u.png")) as image:
        assert image.size == (1000, 600)
