"""The recording hook: off by default, each Function applied inside a block, one block at once."""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji.autograd import trace


def test_records_each_function_with_its_inputs_params_and_outputs():
    seen = []
    x = juanji.tensor(np.arange(6.0).reshape(1, 1, 2, 3))
    with trace.recording(lambda fn, inputs, params, out: seen.append((fn, inputs, params, out))):
        y = F.max_pool2d(x.relu() + 1, 2, return_indices=True)
    names = [type(fn).__name__ for fn, *_ in seen]
    assert names == ["ReLU", "Add", "MaxPoolNd"]
    fn, inputs, params, out = seen[2]
    assert params["kernel_size"] == (2, 2) and params["return_indices"] is True
    assert isinstance(out, tuple) and out[0] is y[0] and out[1] is y[1]
    assert seen[1][1][1] == 1  # the constant is passed through as given
    assert seen[1][3] is seen[2][1][0]  # the output of one op is the input of the next


def test_off_outside_the_block_and_after_an_error():
    seen = []
    with pytest.raises(ZeroDivisionError), trace.recording(lambda *a: seen.append(a)):
        juanji.ones(2).relu()
        1 / 0
    assert trace._recorder is None
    juanji.ones(2).relu()
    assert len(seen) == 1


def test_blocks_do_not_nest():
    message = "recording: a recording is already open"
    with trace.recording(lambda *a: None), pytest.raises(RuntimeError, match=message):  # noqa: SIM117
        with trace.recording(lambda *a: None):
            pass
    assert trace._recorder is None
