"""Worked examples for the chapter after LeNet: ``juanji explain batchnorm`` and ``residual``.

As in ``juanji.apps.viz.explain``, every number is computed step by step with NumPy and then
compared with what juanji's own layer returns (``nn.BatchNorm1d``, autograd through a stack of
blocks), and the text says whether they agree.

Example:
    >>> explain_batchnorm().output.round(4).tolist()[0]
    [-1.3416, -1.3416]
"""

from __future__ import annotations

import numpy as np

import juanji.nn as nn
from juanji.apps.viz.explain_text import Explanation, format_grid, indent
from juanji.autograd.grad_mode import no_grad
from juanji.tensor.creation import tensor

__all__ = ["explain_batchnorm", "explain_residual"]

# Four samples, two channels (feature 0 counts up, feature 1 is on a larger scale).
BATCH = np.array([[1.0, 10.0], [2.0, 30.0], [3.0, 20.0], [4.0, 40.0]])


def _agree(ours: np.ndarray, engine: np.ndarray, what: str) -> str:
    same = np.allclose(ours, engine, rtol=1e-5, atol=1e-6)
    return f"{what} gives the same numbers: {'yes' if same else 'NO (a bug)'}"


def explain_batchnorm() -> Explanation:
    """BatchNorm in train mode (batch statistics per channel) and eval mode (running ones).

    Example:
        >>> explain_batchnorm().engine.shape
        (4, 2)
    """
    bn = nn.BatchNorm1d(2, momentum=0.1)
    mean, var = BATCH.mean(axis=0), BATCH.var(axis=0)  # biased: what normalises the batch
    ours = (BATCH - mean) / np.sqrt(var + bn.eps)  # weight 1, bias 0 at the start
    engine = bn(tensor(BATCH.astype(np.float32))).detach().numpy()
    unbiased = BATCH.var(axis=0, ddof=1)
    running_mean, running_var = 0.9 * 0 + 0.1 * mean, 0.9 * 1 + 0.1 * unbiased
    bn.eval()
    with no_grad():
        eval_out = bn(tensor(BATCH.astype(np.float32))).numpy()
    ours_eval = (BATCH - running_mean) / np.sqrt(running_var + bn.eps)
    lines = [
        "Batch normalisation: make each channel's activations mean 0, variance 1",
        "",
        "A batch of 4 samples with 2 channels (columns):",
        *indent(format_grid(BATCH)),
        "",
        "Train mode: statistics of this batch, per channel (over samples, and over positions",
        "for images), then y = weight * (x - mean) / sqrt(var + eps) + bias:",
        f"  mean {np.round(mean, 4).tolist()}, variance {np.round(var, 4).tolist()} (divided by N)",
        *indent(format_grid(np.round(ours, 4))),
        _agree(ours, engine, "nn.BatchNorm1d(2) in train mode"),
        "",
        "Each step also updates running statistics (momentum 0.1, variance divided by N - 1):",
        f"  running_mean = 0.9 * 0 + 0.1 * mean = {np.round(running_mean, 4).tolist()}",
        f"  running_var  = 0.9 * 1 + 0.1 * var  = {np.round(running_var, 4).tolist()}",
        "",
        "Eval mode uses those instead of the batch's, so one sample's output no longer depends",
        "on the others in its batch (model.eval() before testing, model.train() to go back):",
        *indent(format_grid(np.round(ours_eval, 4))),
        _agree(ours_eval, eval_out, "nn.BatchNorm1d(2) in eval mode"),
        "",
        "Why it helps: every layer sees inputs on the same scale whatever the layers before",
        "do, so larger learning rates train stably; weight and bias let the network undo it.",
    ]
    return Explanation("batchnorm", "\n".join(lines), ours, engine)


def _input_gradient(depth: int, residual: bool) -> float:
    """|d loss / d x| through ``depth`` blocks y = x + f(x) (or y = f(x)), f a small Linear."""
    blocks = [nn.Linear(4, 4) for _ in range(depth)]
    with no_grad():
        for i, block in enumerate(blocks):
            block.weight.copy_(tensor(0.3 * np.eye(4, k=i % 2) + 0.1 * np.eye(4)))
            block.bias.zero_()
    x = tensor(np.ones((1, 4), np.float32), requires_grad=True)
    y = x
    for block in blocks:
        y = y + block(y).tanh() if residual else block(y).tanh()
    y.sum().backward()
    return float(np.abs(x.grad.numpy()).sum())


def explain_residual() -> Explanation:
    """Residual connections: y = x + F(x) keeps a path for the gradient through any depth.

    Example:
        >>> explain_residual().output.round(4).tolist()
        [1.369, 5.369]
    """
    depths = [1, 5, 10, 20, 40]
    plain = [_input_gradient(d, residual=False) for d in depths]
    skip = [_input_gradient(d, residual=True) for d in depths]
    table = np.array([plain, skip]).T
    # Depth 1 by hand: W = 0.4 I, x = 1, so d tanh(Wx)/dx = 0.4 (1 - tanh(0.4)^2) per input.
    slope = 0.4 * (1 - np.tanh(0.4) ** 2)
    by_hand = np.array([4 * slope, 4 * (1 + slope)])
    lines = [
        "Residual blocks: learn a change F(x) to the input, not a whole new output",
        "",
        "A residual block computes relu(F(x) + x) (ResNet; F = conv-BN-ReLU-conv-BN). If F is",
        "zero the block is the identity, so adding blocks cannot make the network worse, and",
        "the gradient has a direct path: dy/dx = 1 + dF/dx instead of dF/dx alone.",
        "",
        "Measured with juanji's autograd: the size of d(output)/d(input) through a stack of",
        "blocks, each a small Linear layer with tanh, without and with the skip connection:",
        "",
        "  depth   plain stack   with x + F(x)",
        *[f"  {d:5d}   {p:11.3e}   {s:13.3e}" for d, p, s in zip(depths, plain, skip, strict=True)],
        "",
        f"Depth 1 by the chain rule: 4 x 0.4 (1 - tanh(0.4)^2) = {by_hand[0]:.4g} and, with the",
        f"skip, 4 x (1 + 0.4 (1 - tanh(0.4)^2)) = {by_hand[1]:.4g}.",
        _agree(by_hand, table[0], "juanji's autograd"),
        "",
        "Without the skip, each layer multiplies the gradient by less than 1 and it vanishes",
        "with depth; with it, the gradient reaches the first layer at full size, which is why",
        "ResNets train at 18, 50 or 152 layers (juanji summary resnet18).",
    ]
    return Explanation("residual", "\n".join(lines), by_hand, table[0])
