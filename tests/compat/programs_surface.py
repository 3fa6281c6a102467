"""Programs exercising the Tensor surface that real scripts lean on (shapes, new_*, views...)."""

from __future__ import annotations

from tests.compat.harness import data


def size_and_shape_idioms(torch):
    """torch.Size comparisons, list(x.shape), x.size(1), shape slicing and numel."""
    x = torch.zeros(2, 3, 4)
    return (
        x.shape == (2, 3, 4),
        x.shape == torch.Size([2, 3, 4]),
        x.size() == x.shape,
        list(x.shape),
        x.size(1),
        x.shape[1:] == (3, 4),
        isinstance(x.shape, tuple),
        tuple(x.shape[-2:]),
        x.shape.numel(),
        x.numel(),
        len(x),
        x.dim(),
        x.reshape(x.shape[0], -1).shape == (2, 12),
        torch.Size([2, 3]) + (4,) == (2, 3, 4),
    )


def new_factories_and_in_place_shape(torch):
    """x.new_tensor/new_zeros/new_ones/new_full, squeeze_/unsqueeze_, swapaxes, moveaxis."""
    x = torch.tensor(data((1, 3, 1, 2)))
    a = x.new_tensor([[1, 2], [3, 4]])
    b = x.new_zeros((2, 2)) + x.new_ones(2, 2) * 3 + x.new_full((2, 2), 0.5)
    c = x.new_empty((2,)).shape
    y = x.clone()
    y.squeeze_()
    z = y.clone()
    z.unsqueeze_(0)
    w = torch.tensor(data((2, 3, 4), seed=1))
    return (
        a, a.dtype == x.dtype, b, c, y.shape, z.shape,
        w.swapaxes(0, 2), torch.swapaxes(w, 1, 2), w.swapdims(0, 1).shape,
        torch.moveaxis(w, 0, -1), w.movedim((0, 1), (2, 0)).shape,
    )  # fmt: skip


def comparisons_as_functions(torch):
    """torch.eq/ne/lt/le/gt/ge and the methods; accuracy by (pred == y).sum().item()."""
    a = torch.tensor([1.0, 2.0, 3.0, 4.0])
    b = torch.tensor([1.0, 0.0, 3.0, 5.0])
    pred = torch.tensor([0, 2, 1, 1])
    y = torch.tensor([0, 2, 2, 1])
    return (
        torch.eq(a, b), torch.ne(a, b), torch.lt(a, b), torch.le(a, 2.0),
        torch.gt(a, b), torch.ge(a, 3), a.eq(b).sum().item(), a.gt(2).float().mean().item(),
        (pred == y).sum().item(), torch.eq(pred, y).float().mean(),
        torch.equal(a, a.clone()), torch.greater(a, 2.5), torch.less(a, 2.5),
    )  # fmt: skip


def random_factories_with_size_keyword(torch):
    """torch.rand(size=...), randn(size=...), zeros(size=...), manual_seed reproducibility."""
    torch.manual_seed(42)
    a = torch.rand(size=(2, 3))
    torch.manual_seed(42)
    b = torch.rand(size=(2, 3))
    c = torch.randn(size=(4,))
    return (
        a.shape, bool((a == b).all()), c.shape, torch.zeros(size=(2, 2)), torch.ones(size=(1, 3)),
        bool(((a >= 0) & (a < 1)).all()), torch.rand(3, dtype=torch.float64).dtype == torch.float64,
    )  # fmt: skip


def trig_and_hyperbolic_gradients(torch):
    """sin/cos/tan/sinh/cosh/asin/atan and their gradients, as functions and methods."""
    x = torch.tensor(data((5,), low=-0.9, high=0.9), requires_grad=True)
    y = (
        torch.sin(x) * 2 + torch.cos(x) + x.tan() + torch.sinh(x) * torch.cosh(x)
        + torch.asin(x) + torch.atan(x) + x.acos()
    )  # fmt: skip
    y.sum().backward()
    return y, x.grad


def detach_numpy_item_idioms(torch):
    """.item(), .detach().numpy(), .cpu().numpy(), .tolist(), float(loss), torch.no_grad()."""
    w = torch.tensor(data((3,)), requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    with torch.no_grad():
        doubled = w * 2
    return (
        loss.item(), float(loss), w.detach().numpy(), w.grad.cpu().numpy(), w.tolist(),
        doubled.requires_grad, w.detach().requires_grad, w.data.numpy(),
    )  # fmt: skip


def indexed_writes_keep_the_graph(torch):
    """out[:, i] = f(x[:, i]), masked_fill_, index_put_, copy_ into a slice: gradients flow."""
    x = torch.tensor(data((3, 4)), requires_grad=True)
    out = torch.zeros(3, 4)
    for i in range(4):
        out[:, i] = x[:, i] * (i + 1)
    mask = x > 0.5
    masked = (x * 3).masked_fill_(mask, 0.0)
    buffer = torch.zeros(2, 4)
    buffer[0].copy_(x[0] ** 2)
    buffer.index_put_((torch.tensor([1, 1]), torch.tensor([0, 3])), x[2, :2], accumulate=True)
    total = (out * out).sum() + masked.sum() + (buffer * torch.arange(8.0).reshape(2, 4)).sum()
    total.backward()
    return total, x.grad, out.grad_fn is not None


def batch_div_in_place_on_graph(torch):
    """batch.div_(255.0) where batch came out of a differentiable step; y += x."""
    w = torch.tensor(data((2, 3), low=0.5, high=1.5), requires_grad=True)
    batch = w * 255.0
    batch.div_(255.0)
    batch += w
    batch.mul_(2).sub_(1.0)
    loss = (batch**2).sum()
    loss.backward()
    return loss, w.grad
