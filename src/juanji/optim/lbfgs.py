"""``LBFGS``: limited-memory BFGS with an optional strong-Wolfe line search (PyTorch's).

L-BFGS builds a quasi-Newton direction from the last ``history_size`` pairs of parameter
steps ``s`` and gradient changes ``y`` (the two-loop recursion), so it needs the loss at
several points per ``step()``: the closure recomputes it. All parameters are handled as one
flat vector, as in PyTorch, so there is exactly one parameter group.

Notation: ``x`` the flat parameters, ``g`` the flat gradient, ``d`` the search direction,
``t`` the step length along ``d``, ``gtd = g . d`` the directional derivative.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from juanji.autograd import enable_grad
from juanji.backend import device_of, to_device, xp_of
from juanji.optim.optimizer import Optimizer, _check_range
from juanji.tensor.tensor import Tensor

__all__ = ["LBFGS"]

_VECTOR_KEYS = ("d", "prev_flat_grad")
_LIST_KEYS = ("old_dirs", "old_stps")


class LBFGS(Optimizer):
    """Limited-memory BFGS, as PyTorch's ``torch.optim.LBFGS`` computes it.

    One ``step(closure)`` runs up to ``max_iter`` iterations. Each iteration takes the
    direction ``d = -H g`` from the two-loop recursion over the stored ``(s, y)`` pairs (a pair
    is kept only when ``y . s > 1e-10``; ``H`` starts as ``(y . s) / (y . y)`` of the newest
    pair), then moves ``x += t d``: with ``line_search_fn=None`` ``t = lr`` (and, on the very
    first iteration, ``min(1, 1 / sum|g|) * lr``); with ``'strong_wolfe'`` ``t`` satisfies the
    strong Wolfe conditions (``c1 = 1e-4``, ``c2 = 0.9``), found by bracketing and cubic
    interpolation. Iterations stop early when ``max|g| <= tolerance_grad``, when ``g . d >
    -tolerance_change``, when ``max|t d|`` or the change of the loss is below
    ``tolerance_change``, or after ``max_eval`` closure calls. The history carries over
    between ``step()`` calls in ``state``.

    Args:
        params: the tensors to optimise (one group only; parameter groups raise).
        lr: learning rate, >= 0. Default 1.
        max_iter: iterations per ``step()``. Default 20.
        max_eval: closure calls per ``step()``. Default ``max_iter * 5 // 4``.
        tolerance_grad: stop when the largest gradient entry is at most this. Default 1e-7.
        tolerance_change: stop when the step or the loss changes by less. Default 1e-9.
        history_size: the number of ``(s, y)`` pairs kept. Default 100.
        line_search_fn: None (a fixed step) or ``'strong_wolfe'``. Default None.

    Raises:
        ValueError: ``lr < 0``, more than one parameter group, or an unknown
            ``line_search_fn`` (at construction; PyTorch raises RuntimeError at ``step()``).

    Example:
        >>> import juanji
        >>> x = juanji.tensor([1.5, -0.5], requires_grad=True, dtype=juanji.float64)
        >>> opt = juanji.optim.LBFGS([x], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = ((x - juanji.tensor([3.0, 1.0], dtype=juanji.float64)) ** 2).sum()
        ...     loss.backward()
        ...     return loss
        >>> _ = opt.step(closure)
        >>> [round(v, 6) for v in x.tolist()]
        [3.0, 1.0]
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_iter * 5 // 4 if max_eval is None else max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(
                "LBFGS doesn't support per-parameter options (parameter groups): got "
                f"{len(self.param_groups)} groups, expected one"
            )
        self._params: list[Tensor] = self.param_groups[0]["params"]

    def _check_group(self, group: dict[str, Any]) -> None:
        _check_range("LBFGS", "learning rate", "lr", group["lr"], 0.0)
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(
                "LBFGS: only 'strong_wolfe' is supported (line_search_fn expected None or "
                f"'strong_wolfe', got {group['line_search_fn']!r})"
            )

    def add_param_group(self, param_group: dict[str, Any]) -> None:  # noqa: D102 - base's
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    # ------------------------------------------------------------------ flat vectors
    def _gather_flat_grad(self) -> Any:
        xp = xp_of(self._params[0]._data)
        views = [
            xp.zeros(p._data.size, dtype=p._data.dtype) if p.grad is None else p.grad._data.ravel()
            for p in self._params
        ]
        return xp.concatenate(views)

    def _add_grad(self, step_size: Any, update: Any) -> None:
        """``x += step_size * update`` parameter by parameter (``update`` is flat)."""
        offset = 0
        for p in self._params:
            n = p._data.size
            chunk = update[offset : offset + n].reshape(p._data.shape)
            p._data += chunk * step_size
            offset += n

    def _directional_evaluate(
        self, closure: Callable[[], Any], x: list[Any], t: Any, d: Any
    ) -> tuple[float, Any]:
        """The loss and flat gradient at ``x + t d``; the parameters are left at ``x``."""
        self._add_grad(t, d)
        loss = float(_call(closure))
        flat_grad = self._gather_flat_grad()
        for p, saved in zip(self._params, x, strict=True):
            p._data[...] = saved
        return loss, flat_grad

    # ------------------------------------------------------------------ the step
    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations.

        Args:
            closure: a function that clears the gradients, computes the loss, calls
                ``backward()`` and returns the loss (required: L-BFGS evaluates it several
                times per step).

        Returns:
            The loss the first closure call returned.

        Raises:
            TypeError: no closure.
        """
        if closure is None or not callable(closure):
            raise TypeError(
                "LBFGS.step: a closure is required (a function that clears the gradients, "
                f"computes the loss, calls backward() and returns it), got {closure!r}"
            )
        self._opt_called = True  # read by LRScheduler, as for the other optimisers
        group = self.param_groups[0]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = _call(closure)
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if abs(flat_grad).max() <= group["tolerance_grad"]:
            return orig_loss
        run = _Iterations(self, group, state, closure, float(orig_loss), flat_grad)
        run.loop()
        run.save()
        return orig_loss

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state from ``state_dict()``: options and the L-BFGS history."""
        saved = dict(state_dict["state"])
        super().load_state_dict({"state": {}, "param_groups": state_dict["param_groups"]})
        self._params = self.param_groups[0]["params"]
        if not saved:
            return
        like = self._params[0]._data
        values = dict(next(iter(saved.values())))
        for key in _VECTOR_KEYS:
            if values.get(key) is not None:
                values[key] = _as_vector(values[key], like)
        for key in _LIST_KEYS:
            if key in values:
                values[key] = [_as_vector(v, like) for v in values[key]]
        self.state[self._params[0]] = values


class _Iterations:
    """The inner loop of one ``LBFGS.step``: the state it reads and writes, as attributes."""

    def __init__(
        self,
        opt: LBFGS,
        group: dict[str, Any],
        state: dict[str, Any],
        closure: Callable[[], Any],
        loss: float,
        flat_grad: Any,
    ) -> None:
        self.opt, self.group, self.state, self.closure = opt, group, state, closure
        self.loss, self.flat_grad = loss, flat_grad
        vec = state.get("d")
        self.d = None if vec is None else vec._data
        self.t = state.get("t")
        self.old_dirs = [v._data for v in state.get("old_dirs", [])]
        self.old_stps = [v._data for v in state.get("old_stps", [])]
        self.ro = list(state.get("ro", []))
        self.H_diag = state.get("H_diag")
        prev = state.get("prev_flat_grad")
        self.prev_flat_grad = None if prev is None else prev._data
        self.prev_loss = state.get("prev_loss")
        self.evals = 1

    def direction(self) -> None:
        """Set ``d``: ``-g`` on the first iteration, else the two-loop recursion's ``-H g``."""
        g = self.flat_grad
        if self.state["n_iter"] == 1:
            self.d, self.old_dirs, self.old_stps, self.ro, self.H_diag = -g, [], [], [], 1
            return
        y = g - self.prev_flat_grad
        s = self.d * self.t
        ys = y.dot(s)
        if ys > 1e-10:
            if len(self.old_dirs) == self.group["history_size"]:
                del self.old_dirs[0], self.old_stps[0], self.ro[0]
            self.old_dirs.append(y)
            self.old_stps.append(s)
            self.ro.append(1.0 / ys)
            self.H_diag = ys / y.dot(y)
        al = [None] * len(self.old_dirs)
        q = -g
        for i in range(len(self.old_dirs) - 1, -1, -1):
            al[i] = self.old_stps[i].dot(q) * self.ro[i]
            q -= self.old_dirs[i] * al[i]
        r = q * self.H_diag
        for i in range(len(self.old_dirs)):
            be_i = self.old_dirs[i].dot(r) * self.ro[i]
            r += self.old_stps[i] * (al[i] - be_i)
        self.d = r

    def loop(self) -> None:
        """Iterate until one of the stopping rules of ``LBFGS`` holds."""
        group, state = self.group, self.state
        tolerance_change = group["tolerance_change"]
        n_iter = 0
        while n_iter < group["max_iter"]:
            n_iter += 1
            state["n_iter"] += 1
            self.direction()
            self.prev_flat_grad = self.flat_grad.copy()
            self.prev_loss = self.loss
            if state["n_iter"] == 1:
                self.t = min(1.0, 1.0 / abs(self.flat_grad).sum()) * group["lr"]
            else:
                self.t = group["lr"]
            gtd = self.flat_grad.dot(self.d)
            if gtd > -tolerance_change:
                break
            opt_cond = self.move(gtd, last=n_iter == group["max_iter"])
            if n_iter == group["max_iter"] or self.evals >= group["max_eval"] or opt_cond:
                break
            if abs(self.d * self.t).max() <= tolerance_change:
                break
            if abs(self.loss - self.prev_loss) < tolerance_change:
                break

    def move(self, gtd: Any, last: bool) -> bool:
        """Step along ``d`` (line search or fixed ``t``); True when the gradient is small."""
        opt, group = self.opt, self.group
        evals = 0
        opt_cond = False
        if group["line_search_fn"] == "strong_wolfe":
            x_init = [p._data.copy() for p in opt._params]

            def evaluate(t: Any) -> tuple[float, Any]:
                return opt._directional_evaluate(self.closure, x_init, t, self.d)

            search = _StrongWolfe(evaluate, self.d, self.loss, self.flat_grad, gtd)
            self.loss, self.flat_grad, self.t, evals = search.run(
                self.t, max_ls=group["max_eval"] - self.evals
            )
            opt._add_grad(self.t, self.d)
            opt_cond = bool(abs(self.flat_grad).max() <= group["tolerance_grad"])
        else:
            opt._add_grad(self.t, self.d)
            if not last:
                self.loss = float(_call(self.closure))
                self.flat_grad = opt._gather_flat_grad()
                opt_cond = bool(abs(self.flat_grad).max() <= group["tolerance_grad"])
                evals = 1
        self.evals += evals
        self.state["func_evals"] += evals
        return opt_cond

    def save(self) -> None:
        """Keep the history in ``state`` for the next ``step()`` (scalars as Python floats)."""
        state = self.state
        if self.d is None:  # max_iter == 0: nothing ran
            return
        state["d"] = Tensor(self.d)
        state["t"] = float(self.t)
        state["old_dirs"] = [Tensor(v) for v in self.old_dirs]
        state["old_stps"] = [Tensor(v) for v in self.old_stps]
        state["ro"] = [float(v) for v in self.ro]
        state["H_diag"] = float(self.H_diag)
        state["prev_flat_grad"] = Tensor(self.prev_flat_grad)
        state["prev_loss"] = self.prev_loss


def _call(closure: Callable[[], Any]) -> Any:
    with enable_grad():
        return closure()


def _as_vector(value: Any, like: Any) -> Tensor:
    """A saved flat vector as a Tensor on ``like``'s device and dtype."""
    array = value._data if isinstance(value, Tensor) else value
    return Tensor(to_device(array, device_of(like)).astype(like.dtype, copy=True))


def _cubic_interpolate(
    x1: Any, f1: Any, g1: Any, x2: Any, f2: Any, g2: Any, bounds: tuple[Any, Any] | None = None
) -> Any:
    """The minimiser of the cubic through two points with their slopes, clipped to ``bounds``.

    Without bounds the interval between the points; where the cubic has no minimum, the
    interval's midpoint.
    """
    low, high = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = d2_square**0.5
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(min_pos, low), high)


class _StrongWolfe:
    """A line search along ``d`` for a ``t`` meeting the strong Wolfe conditions.

    ``f(t) <= f(0) + c1 t gtd`` (enough decrease) and ``|g(t) . d| <= -c2 gtd`` (the slope has
    flattened). First the step grows (cubic extrapolation) until an interval brackets such a
    point; then the interval shrinks by cubic interpolation (the "zoom"), guarded against steps
    too close to its ends. ``evaluate(t)`` returns the loss and flat gradient at ``x + t d``.
    """

    def __init__(
        self,
        evaluate: Callable[[Any], tuple[float, Any]],
        d: Any,
        f: float,
        g: Any,
        gtd: Any,
        c1: float = 1e-4,
        c2: float = 0.9,
        tolerance_change: float = 1e-9,
    ) -> None:
        self.evaluate, self.d, self.f, self.g, self.gtd = evaluate, d, f, g.copy(), gtd
        self.c1, self.c2, self.tolerance_change = c1, c2, tolerance_change
        self.evals = 0

    def _at(self, t: Any) -> tuple[float, Any, Any]:
        self.evals += 1
        f_new, g_new = self.evaluate(t)
        return f_new, g_new, g_new.dot(self.d)

    def run(self, t: Any, max_ls: int = 25) -> tuple[float, Any, Any, int]:
        """Search from step ``t``; return the loss, gradient and step found, and the calls."""
        found = self._bracket(t, max_ls)
        if found is None:  # every extrapolation was still descending
            return self.f_new, self.g_new, self.t, self.evals
        bracket, done = found
        low = self._zoom(bracket, done, max_ls)
        return bracket[1][low], bracket[2][low], bracket[0][low], self.evals

    def _bracket(self, t: Any, max_ls: int) -> tuple[list[list[Any]], bool] | None:
        """Grow the step until ``[t_prev, t]`` brackets a Wolfe point (or ``t`` is one).

        Returns the bracket as lists ``[steps, losses, gradients, slopes]`` and whether ``t``
        already satisfies both conditions.
        """
        f, gtd = self.f, self.gtd
        f_new, g_new, gtd_new = self._at(t)
        t_prev, f_prev, g_prev, gtd_prev = 0, f, self.g, gtd
        self.ls_iter = 0
        while self.ls_iter < max_ls:
            if f_new > (f + self.c1 * t * gtd) or (self.ls_iter > 1 and f_new >= f_prev):
                return [[t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]], False
            if abs(gtd_new) <= -self.c2 * gtd:
                return [[t, t], [f_new, f_new], [g_new, g_new], [gtd_new, gtd_new]], True
            if gtd_new >= 0:
                return [[t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]], False
            bounds = (t + 0.01 * (t - t_prev), t * 10)
            t_next = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds)
            t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
            t = t_next
            f_new, g_new, gtd_new = self._at(t)
            self.ls_iter += 1
        # Out of evaluations while descending: PyTorch keeps [0, t] and returns the lower end.
        self.f_new, self.g_new, self.t = (f, self.g, 0) if f <= f_new else (f_new, g_new, t)
        return None

    def _zoom(self, bracket: list[list[Any]], done: bool, max_ls: int) -> int:
        """Shrink ``bracket`` in place around a Wolfe point; return the index of its low end."""
        steps, losses, grads, slopes = bracket
        low, high = (0, 1) if losses[0] <= losses[-1] else (1, 0)
        insufficient = False
        while not done and self.ls_iter < max_ls:
            if abs(steps[1] - steps[0]) * abs(self.d).max() < self.tolerance_change:
                break
            t = _cubic_interpolate(steps[0], losses[0], slopes[0], steps[1], losses[1], slopes[1])
            t, insufficient = _away_from_ends(t, steps, insufficient)
            f_new, g_new, gtd_new = self._at(t)
            self.ls_iter += 1
            if f_new > (self.f + self.c1 * t * self.gtd) or f_new >= losses[low]:
                steps[high], losses[high], grads[high], slopes[high] = t, f_new, g_new, gtd_new
                low, high = (0, 1) if losses[0] <= losses[1] else (1, 0)
                continue
            if abs(gtd_new) <= -self.c2 * self.gtd:
                done = True
            elif gtd_new * (steps[high] - steps[low]) >= 0:
                steps[high], losses[high] = steps[low], losses[low]
                grads[high], slopes[high] = grads[low], slopes[low]
            steps[low], losses[low], grads[low], slopes[low] = t, f_new, g_new, gtd_new
        return low


def _away_from_ends(t: Any, steps: list[Any], insufficient: bool) -> tuple[Any, bool]:
    """Move ``t`` to 10 % inside the bracket when it is that close to an end twice in a row.

    Returns the step to try and the new "insufficient progress" flag.
    """
    top, bottom = max(steps), min(steps)
    eps = 0.1 * (top - bottom)
    if min(top - t, t - bottom) >= eps:
        return t, False
    if insufficient or t >= top or t <= bottom:
        t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
        return t, False
    return t, True
