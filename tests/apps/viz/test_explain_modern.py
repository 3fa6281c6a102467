"""juanji explain batchnorm / residual: the worked numbers by hand and the engine agreeing."""

import numpy as np

from juanji.apps.cli import main
from juanji.apps.viz.explain import explain


def test_batchnorm_normalises_each_channel_by_the_batch_statistics():
    result = explain("batchnorm")
    # channel 0 is 1, 2, 3, 4: mean 2.5, biased variance 1.25
    np.testing.assert_allclose(result.output[:, 0], (np.arange(1, 5) - 2.5) / np.sqrt(1.25 + 1e-5))
    np.testing.assert_allclose(result.output, result.engine, rtol=1e-5, atol=1e-6)
    assert "train mode gives the same numbers: yes" in result.text
    assert "eval mode gives the same numbers: yes" in result.text
    # running variance uses N - 1: 0.9 * 1 + 0.1 * (5 / 3)
    assert "1.0667" in result.text


def test_residual_keeps_the_gradient_that_a_plain_stack_loses():
    from juanji.apps.viz.explain_modern import _input_gradient

    result = explain("residual")
    np.testing.assert_allclose(result.output, result.engine, rtol=1e-5)
    plain = [_input_gradient(d, residual=False) for d in (1, 10, 40)]
    skip = [_input_gradient(d, residual=True) for d in (1, 10, 40)]
    assert plain[0] > plain[1] > plain[2] and plain[2] < 1e-10
    assert min(skip) > 1


def test_explain_command_knows_the_new_topics(capsys):
    assert main(["explain", "residual"]) == 0
    assert "with x + F(x)" in capsys.readouterr().out
