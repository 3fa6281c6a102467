"""LeNet-5 twice: the textbook network for 28x28 MNIST, and the 1998 network as published.

``LeNet5`` is the layout most courses (and the notes) build: two 5x5 convolutions with 2x2
pooling, then three dense layers; 61,706 parameters. ``LeNet5Classic`` is the network of LeCun,
Bottou, Bengio and Haffner, "Gradient-based learning applied to document recognition", Proc.
IEEE 86(11), 1998, with the parts that frameworks usually drop: trainable subsampling, the
partial connection table of C3, the scaled tanh and the fixed RBF output; 60,000 parameters.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import juanji.nn as nn
import juanji.nn.functional as F
from juanji import _dtype
from juanji.tensor.tensor import Tensor

_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}
_POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


def _default_float() -> Any:
    return _dtype.get_default_dtype().np_dtype


def _choice(owner: str, name: str, value: Any, choices: dict[str, Any]) -> Any:
    if value not in choices:
        expected = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{owner}: {name} must be one of {expected}, got {value!r}")
    return choices[value]


class LeNet5(nn.Module):
    """The textbook LeNet for 28x28 digits (d2l's layout; the notes' "LeNet").

    Two convolution blocks extract features, three dense layers classify::

        input     1 x 28 x 28
        conv 5x5, pad 2      -> 6 x 28 x 28     156 params
        activation, pool 2   -> 6 x 14 x 14
        conv 5x5             -> 16 x 10 x 10    2,416 params
        activation, pool 2   -> 16 x 5 x 5
        flatten              -> 400
        dense                -> 120             48,120 params
        dense                -> 84              10,164 params
        dense                -> 10              850 params      total 61,706

    The 1998 paper's network differs (32x32 input, no padding, partial C3, RBF output): see
    ``LeNet5Classic``. Here the padding of 2 keeps 28x28 MNIST at the size the paper fed its
    first layer, and the output is 10 logits for ``F.cross_entropy``.

    The layers live in two ``Sequential`` blocks, as torchvision's AlexNet and VGG, so the
    ``state_dict`` keys are stable and PyTorch's: ``features.0`` and ``features.3`` are the
    convolutions, ``classifier.0``, ``.2``, ``.4`` the dense layers (activations and pools have
    no parameters and take the other indices). The same two ``nn.Sequential`` blocks in PyTorch
    have the same keys, so a PyTorch LeNet's weights load into this one and back.

    Args:
        num_classes: number of outputs. Default: 10.
        activation: ``'relu'`` (default: trains fast) or ``'sigmoid'`` (the textbook's).
        pool: ``'max'`` (default) or ``'avg'`` (the textbook's), 2x2 with stride 2.
        in_channels: channels of the input image. Default: 1 (grayscale).

    Attributes:
        input_size: ``(in_channels, 28, 28)``, the image size the network expects (tools such
            as ``juanji summary`` feed it).
        features: the convolution blocks.
        classifier: the dense layers.

    Shape:
        - Input: ``(N, in_channels, 28, 28)``
        - Output: ``(N, num_classes)``, logits

    Example:
        >>> import juanji
        >>> model = LeNet5()
        >>> sum(p.numel() for p in model.parameters())
        61706
        >>> model(juanji.zeros(2, 1, 28, 28)).shape
        (2, 10)
        >>> for key, value in model.state_dict().items():
        ...     if key.endswith("weight"):
        ...         print(key, value.shape)
        features.0.weight (6, 1, 5, 5)
        features.3.weight (16, 6, 5, 5)
        classifier.0.weight (120, 400)
        classifier.2.weight (84, 120)
        classifier.4.weight (10, 84)
    """

    def __init__(
        self,
        num_classes: int = 10,
        activation: str = "relu",
        pool: str = "max",
        in_channels: int = 1,
    ) -> None:
        super().__init__()
        act = _choice("LeNet5", "activation", activation, _ACTIVATIONS)
        pool_layer = _choice("LeNet5", "pool", pool, _POOLS)
        self.input_size = (in_channels, 28, 28)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=2),
            act(),
            pool_layer(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5),
            act(),
            pool_layer(kernel_size=2, stride=2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(16 * 5 * 5, 120),
            act(),
            nn.Linear(120, 84),
            act(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Logits for a batch of images (see the class docstring)."""
        return self.classifier(self.features(x).flatten(1))


# ---------------------------------------------------------------------------- LeNet5Classic
# The fixed weights of the output layer: one 7x12 bitmap per digit, '#' = +1 (ink), '.' = -1.
# Our own stylised digits in the spirit of the paper's Fig. 3 (which draws its codes for the whole
# printable ASCII set), not a copy of its pixels: a blank row above and below, the glyph in the
# 10x7 between. The closest pair (6 and 8) differs in 7 of the 84 pixels.
_DIGIT_BITMAPS = """
      0        1        2        3        4        5        6        7        8        9
   .......  .......  .......  .......  .......  .......  .......  .......  .......  .......
   ..###..  ...#...  ..###..  .####..  ....#..  #######  ..###..  #######  ..###..  ..###..
   .#...#.  ..##...  .#...#.  #....#.  ...##..  #......  .#.....  ......#  .#...#.  .#...#.
   #.....#  .#.#...  #.....#  ......#  ..#.#..  #......  #......  .....#.  #.....#  #.....#
   #.....#  ...#...  ......#  .....#.  .#..#..  #####..  #......  ....#..  .#...#.  #.....#
   #.....#  ...#...  .....#.  ..###..  #...#..  .....#.  #.###..  ...#...  ..###..  .#...##
   #.....#  ...#...  ....#..  .....#.  #######  ......#  ##...#.  ...#...  .#...#.  ..###.#
   #.....#  ...#...  ...#...  ......#  ....#..  ......#  #.....#  ..#....  #.....#  ......#
   #.....#  ...#...  ..#....  ......#  ....#..  ......#  #.....#  ..#....  #.....#  ......#
   .#...#.  ...#...  .#.....  #....#.  ....#..  #....#.  .#...#.  ..#....  .#...#.  .....#.
   ..###..  .#####.  #######  .####..  ....#..  .####..  ..###..  ..#....  ..###..  ..###..
   .......  .......  .......  .......  .......  .......  .......  .......  .......  .......
"""


def digit_bitmaps() -> np.ndarray:
    """The output layer's fixed codes: one 12x7 bitmap of +1/-1 per digit, ``(10, 12, 7)``.

    Row ``r``, column ``c`` of digit ``d`` is the target of F6's unit ``7*r + c`` for class
    ``d``. A stand-in for the paper's Fig. 3, drawn for this module (see the source).

    Example:
        >>> bitmaps = digit_bitmaps()
        >>> bitmaps.shape, sorted(set(bitmaps.ravel().tolist()))
        ((10, 12, 7), [-1, 1])
        >>> for row in bitmaps[7]:                      # '#' = +1, '-' = -1
        ...     print("".join("#" if v > 0 else "-" for v in row))
        -------
        #######
        ------#
        -----#-
        ----#--
        ---#---
        ---#---
        --#----
        --#----
        --#----
        --#----
        -------
    """
    rows = [line.split() for line in _DIGIT_BITMAPS.strip().splitlines()[1:]]
    glyphs = [[row[digit] for row in rows] for digit in range(10)]
    return np.array(
        [[[1 if char == "#" else -1 for char in line] for line in glyph] for glyph in glyphs],
        dtype=np.int8,
    )


def c3_connection_table() -> np.ndarray:
    """Which S2 maps each C3 map sees (the paper's Table I), as ``table[c3_map, s2_map]``.

    Table I has one column per C3 map and one row per S2 map; this array is its transpose,
    in the ``(out_channels, in_channels)`` order of a convolution weight. The rule behind it:

    * maps 0-5 see 3 neighbouring S2 maps, ``{o, o+1, o+2}`` (mod 6);
    * maps 6-11 see 4 neighbouring maps, ``{o, ..., o+3}`` (mod 6) with ``o = map - 6``;
    * maps 12-14 see two neighbouring pairs with a gap, ``{o, o+1, o+3, o+4}`` (mod 6),
      ``o = map - 12``;
    * map 15 sees all six.

    That is 6*3 + 6*4 + 3*4 + 6 = 60 connections, each a 5x5 kernel.

    Example:
        >>> table = c3_connection_table()
        >>> table.shape, int(table.sum())
        ((16, 6), 60)
        >>> [int(i) for i in np.flatnonzero(table[14])]
        [0, 2, 3, 5]
    """
    table = np.zeros((16, 6), dtype=bool)
    for o in range(6):
        table[o, [(o + k) % 6 for k in range(3)]] = True
        table[6 + o, [(o + k) % 6 for k in range(4)]] = True
    for o in range(3):
        table[12 + o, [(o + k) % 6 for k in (0, 1, 3, 4)]] = True
    table[15] = True
    return table


def _uniform_rows_(weight: nn.Parameter, bounds: np.ndarray) -> None:
    """Fill ``weight`` in place: row ``r`` (first dimension) from U(-bounds[r], bounds[r])."""
    nn.init.uniform_(weight, -1.0, 1.0)
    shape = (-1,) + (1,) * (weight.ndim - 1)
    weight.data.mul_(np.asarray(bounds, dtype=weight.dtype.np_dtype).reshape(shape))


class ScaledTanh(nn.Module):
    """The paper's squashing function ``f(a) = A * tanh(S * a)`` (Appendix A).

    With ``A = 1.7159`` and ``S = 2/3``, ``f(1) = 1`` and ``f(-1) = -1`` (up to 1e-4), and
    ``f`` saturates at ``+-A``: targets of +-1 sit where the curve bends most, not on its flat
    tails, so they are reachable without driving the weights to infinity.

    Args:
        amplitude: ``A``. Default: 1.7159.
        slope: ``S``. Default: 2/3.

    Shape:
        - Input: ``(*)``
        - Output: ``(*)``, the same shape

    Example:
        >>> import juanji
        >>> ScaledTanh()(juanji.tensor([-1.0, 0.0, 1.0])).tolist()
        [-1.0000..., 0.0, 1.0000...]
    """

    def __init__(self, amplitude: float = 1.7159, slope: float = 2 / 3) -> None:
        super().__init__()
        self.amplitude = amplitude
        self.slope = slope

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply ``A * tanh(S * input)``."""
        return input.mul(self.slope).tanh().mul(self.amplitude)

    def extra_repr(self) -> str:
        """The settings shown by ``repr``."""
        return f"amplitude={self.amplitude}, slope={self.slope:.4g}"


class Subsampling2d(nn.Module):
    """LeNet's trainable subsampling: per map, ``weight * (sum of a k x k window) + bias``.

    Each output unit adds the ``k x k`` inputs of its window (windows do not overlap: stride
    ``k``), multiplies the sum by its map's one trainable coefficient and adds its map's one
    trainable bias: 2 parameters per map, whatever the map size. It is average pooling with a
    learnt scale and offset. The paper follows it with the squashing function: with a small
    coefficient the unit stays in the function's near-linear middle and merely blurs; with a
    large one it saturates and, depending on the bias, acts as a noisy OR or a noisy AND of
    its window.

    Args:
        channels: number of maps ``C``.
        kernel_size: window side ``k`` (also the stride). Default: 2.

    Attributes:
        weight: ``(C,)``, the coefficients; bias: ``(C,)``. Both from U(-1/sqrt(k*k),
            1/sqrt(k*k)), as PyTorch initialises a layer with ``k*k`` inputs per unit.

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``
        - Output: ``(N, C, H // k, W // k)`` or ``(C, H // k, W // k)``

    Example:
        >>> import juanji
        >>> layer = Subsampling2d(6)
        >>> sum(p.numel() for p in layer.parameters())
        12
        >>> layer(juanji.zeros(1, 6, 28, 28)).shape
        (1, 6, 14, 14)
    """

    def __init__(self, channels: int, kernel_size: int = 2) -> None:
        super().__init__()
        self.channels = channels
        self.kernel_size = kernel_size
        self.weight = nn.Parameter(np.zeros(channels, dtype=_default_float()))
        self.bias = nn.Parameter(np.zeros(channels, dtype=_default_float()))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw new coefficients and biases (see Attributes)."""
        bound = 1 / self.kernel_size
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Window sums, scaled and shifted per map."""
        k = self.kernel_size
        sums = F.avg_pool2d(input, k, divisor_override=1)
        return sums * self.weight.reshape(-1, 1, 1) + self.bias.reshape(-1, 1, 1)

    def summary_counts(
        self, input_shape: tuple[int, ...], output_shape: tuple[int, ...]
    ) -> tuple[int, int]:
        """``(connections, multiply_adds)`` for ``juanji.apps.viz.summary``.

        Every output unit has ``k*k + 1`` connections (its window and the bias) and does one
        multiply-add (``coefficient * sum + bias``; the window sum is additions only).
        """
        outputs = math.prod(output_shape)
        return outputs * (self.kernel_size**2 + 1), outputs

    def extra_repr(self) -> str:
        """The settings shown by ``repr``."""
        return f"{self.channels}, kernel_size={self.kernel_size}"


class TableConv2d(nn.Module):
    """2-D convolution through a connection table, as LeNet-5's C3.

    Output map ``o`` sees only the input maps ``i`` with ``connections[o, i]`` True.

    Only the connected kernels are parameters: ``weight`` holds one ``kH x kW`` kernel per
    True entry of the table, in row-major order of the table (output map by output map, input
    maps ascending), so ``sum(p.numel() for p in parameters())`` counts exactly the connected
    weights plus one bias per output map. The forward pass scatters them into a dense
    ``(C_out, C_in, kH, kW)`` weight whose unconnected kernels are zero and runs one ordinary
    convolution (no loop over maps, batch or pixels). The unconnected kernels are not
    parameters, so no gradient or optimiser step can make them non-zero.

    Args:
        connections: ``(C_out, C_in)`` booleans; every output map needs at least one input.
        kernel_size: ``k`` or ``(kH, kW)``.
        bias: learn a bias per output map. Default: True.

    Attributes:
        weight: ``(number of connections, kH, kW)``; bias: ``(C_out,)``. Kernel and bias of
            output map ``o`` from U(-1/sqrt(F_o), 1/sqrt(F_o)), ``F_o = (inputs of o)*kH*kW``
            (PyTorch's rule for a convolution, per map).

    Shape:
        - Input: ``(N, C_in, H, W)``
        - Output: ``(N, C_out, H - kH + 1, W - kW + 1)``

    Example:
        >>> import juanji
        >>> c3 = TableConv2d(c3_connection_table(), 5)
        >>> c3.weight.shape, sum(p.numel() for p in c3.parameters())
        ((60, 5, 5), 1516)
        >>> c3(juanji.zeros(2, 6, 14, 14)).shape
        (2, 16, 10, 10)
    """

    def __init__(self, connections: Any, kernel_size: int | tuple[int, int], bias: bool = True):
        super().__init__()
        table = np.asarray(connections, dtype=bool)
        if table.ndim != 2 or not table.any(axis=1).all():
            raise ValueError(
                "TableConv2d: connections must be a (C_out, C_in) boolean table with at least "
                f"one input per output map, got shape {table.shape}"
            )
        kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
        self.connections = table
        self.out_channels, self.in_channels = table.shape
        self.kernel_size = (kh, kw)
        dtype = _default_float()
        self.weight = nn.Parameter(np.zeros((int(table.sum()), kh, kw), dtype=dtype))
        if bias:
            self.bias = nn.Parameter(np.zeros(self.out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        # Dense slot (o, i) reads row weight_index[o*C_in + i]; unconnected slots read row 0
        # and are zeroed by weight_mask. Structure, not state: kept out of state_dict.
        flat = table.ravel()
        index = np.where(flat, np.cumsum(flat) - 1, 0).astype(np.int64)
        self.register_buffer("weight_index", Tensor(index), persistent=False)
        mask = flat.astype(dtype).reshape(-1, 1, 1)
        self.register_buffer("weight_mask", Tensor(mask), persistent=False)
        self.reset_parameters()

    def fan_in(self) -> np.ndarray:
        """Inputs per unit of each output map: ``(connected input maps) * kH * kW``."""
        return self.connections.sum(axis=1) * math.prod(self.kernel_size)

    def reset_parameters(self) -> None:
        """Draw new kernels and biases (see Attributes)."""
        bounds = 1 / np.sqrt(self.fan_in())
        rows = np.repeat(bounds, self.connections.sum(axis=1))  # one bound per kernel
        _uniform_rows_(self.weight, rows)
        if self.bias is not None:
            _uniform_rows_(self.bias, bounds)

    def dense_weight(self) -> Tensor:
        """The full ``(C_out, C_in, kH, kW)`` weight, zero where the table has no connection."""
        rows = self.weight[self.weight_index] * self.weight_mask
        return rows.reshape(self.out_channels, self.in_channels, *self.kernel_size)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """One convolution with the dense weight."""
        return F.conv2d(input, self.dense_weight(), self.bias)

    def summary_counts(
        self, input_shape: tuple[int, ...], output_shape: tuple[int, ...]
    ) -> tuple[int, int]:
        """``(connections, multiply_adds)`` for ``juanji.apps.viz.summary``.

        A unit of output map ``o`` has ``F_o`` weighted inputs plus its bias; only connected
        kernels count, so C3 gives ``100 * (6*76 + 9*101 + 151) = 151,600`` connections.
        """
        positions = math.prod(output_shape) // self.out_channels  # batch x H_out x W_out
        has_bias = int(self.bias is not None)
        connections = positions * int((self.fan_in() + has_bias).sum())
        return connections, positions * int(self.fan_in().sum())

    def extra_repr(self) -> str:
        """The settings shown by ``repr``."""
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"connections={int(self.connections.sum())}/{self.connections.size}"
            + ("" if self.bias is not None else ", bias=False")
        )


class EuclideanRBF(nn.Module):
    """Radial basis function units with fixed centres: ``y_i = sum_j (x_j - w_ij)^2``.

    Each output is the squared Euclidean distance between the input vector and that unit's
    centre; a small output means a good match. The centres are a buffer (saved in
    ``state_dict`` under ``weight``, moved by ``to()``), never a parameter: no optimiser
    changes them.

    Args:
        centres: ``(out_features, in_features)``, the fixed ``w``.

    Shape:
        - Input: ``(*, in_features)``
        - Output: ``(*, out_features)``, all >= 0

    Example:
        >>> import juanji
        >>> rbf = EuclideanRBF([[1.0, -1.0], [1.0, 1.0]])
        >>> rbf(juanji.tensor([[1.0, 1.0]])).tolist(), list(rbf.parameters())
        ([[4.0, 0.0]], [])
    """

    def __init__(self, centres: Any) -> None:
        super().__init__()
        array = np.asarray(centres, dtype=_default_float())
        self.out_features, self.in_features = array.shape
        self.register_buffer("weight", Tensor(array))

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Squared distance of every input vector to every centre."""
        difference = input.unsqueeze(-2) - self.weight  # (*, out_features, in_features)
        return (difference * difference).sum(-1)

    def summary_counts(
        self, input_shape: tuple[int, ...], output_shape: tuple[int, ...]
    ) -> tuple[int, int]:
        """``(connections, multiply_adds)``: ``in_features`` of each per output unit."""
        outputs = math.prod(output_shape)
        return outputs * self.in_features, outputs * self.in_features

    def extra_repr(self) -> str:
        """The settings shown by ``repr``."""
        return f"in_features={self.in_features}, out_features={self.out_features}, fixed"


class LeNet5Classic(nn.Module):
    """LeNet-5 as LeCun, Bottou, Bengio and Haffner published it in 1998, part for part.

    The reference is "Gradient-based learning applied to document recognition", Proc. IEEE
    86(11):2278-2324, 1998: Section II-B describes the network (Fig. 2 draws it, Table I gives
    C3's connections), Section II-C the loss, Appendix A the squashing function and the
    initialisation. Frameworks usually ship a simplification (max pooling, full C3, softmax);
    here every layer is the paper's::

        layer  maps x size      parameters  connections   what it does
        input  1 x 32 x 32                                 digits (<= 20x20) centred, with room
        C1     6 x 28 x 28             156      122,304    5x5 convolution
        S2     6 x 14 x 14              12        5,880    2x2 sums x coefficient + bias
        C3    16 x 10 x 10           1,516      151,600    5x5 convolution, Table I only
        S4    16 x  5 x  5              32        2,000    as S2
        C5   120 x  1 x  1          48,120       48,120    5x5 convolution over all of S4
        F6    84                    10,164       10,164    dense
        RBF   10                   (fixed)          840    distance to a 7x12 bitmap per digit
        total                       60,000      340,908

    Design points of the paper, in brief:

    * The input is 32x32 although the digits fit in 20x20 (MNIST centres them in 28x28, so
      the training code pads MNIST by 2): features near the edge of a digit, such as stroke
      ends, then lie well inside the receptive fields of C5's units. The paper scales pixels so
      that the background is -0.1 and ink 1.175 (mean about 0, variance about 1):
      ``input_levels``.
    * Every layer up to F6 computes a weighted sum plus a bias and passes it through the
      squashing function ``f(a) = 1.7159 * tanh(2a/3)`` (``ScaledTanh``).
    * S2 and S4 are trainable subsampling layers (``Subsampling2d``): sum of a 2x2 window,
      times one coefficient per map, plus one bias per map. Lowering the resolution makes the
      exact position of a feature matter less.
    * C3 connects each of its 16 maps to only some of S2's 6 maps (Table I, see
      ``c3_connection_table``; ``TableConv2d``): this keeps the number of connections down and,
      more importantly, breaks the symmetry between maps, so that maps fed different inputs
      learn different, complementary features. Only connected weights exist, so the parameter
      count is exact: 60 kernels of 25 weights + 16 biases = 1,516.
    * C5 is a convolution whose 5x5 kernel covers all of S4, so its maps are 1x1; the paper
      calls it a convolution because a larger input would make them larger than 1x1.
    * The output has one Euclidean RBF unit per class, ``y_i = sum_j (x_j - w_ij)^2`` over
      F6's 84 outputs (``EuclideanRBF``). The paper fixes the ``w_ij`` by hand to +1/-1
      drawings of each character on a 7x12 grid (Fig. 3) instead of learning them; we use our
      own stylised digits (``digit_bitmaps``), documented as a stand-in. The values +-1 are
      inside the squashing function's range, where it bends most, so F6 can reach them.
    * The paper initialises every weight and bias from U(-2.4/F_i, 2.4/F_i), ``F_i`` the
      number of inputs of the unit (Appendix A); ``reset_parameters`` does the same.

    Output and loss (a decision of ours): ``forward`` returns ``-y``, the negated distances,
    as logits, so the largest output is the best match, ``argmax`` predicts, and
    ``F.cross_entropy(model(x), target)`` trains it like any classifier. Cross-entropy on
    ``-y`` is exactly the paper's MAP criterion (Section II-C) without its "rubbish class"
    constant ``j``, i.e. with ``j`` -> infinity; ``map_loss(model(x), target, j)`` is the
    paper's criterion with ``j`` kept.

    Parameters and connections are counted as the paper counts them: a parameter is a trained
    value (shared weights count once), a connection is a link from an input or a bias to a
    unit that carries a weight (shared or fixed), counted once per unit; ``juanji summary
    lenet5-classic`` prints both per layer.

    State dict keys: ``c1``, ``s2``, ``c3``, ``s4``, ``c5``, ``f6`` (each ``.weight`` and
    ``.bias``) and ``output.weight`` (the fixed bitmaps, a buffer). ``c3.weight`` has shape
    ``(60, 5, 5)``: the connected kernels in the order of ``c3_connection_table``.

    Attributes:
        input_size: ``(1, 32, 32)``, the image size the network expects.
        input_levels: ``(-0.1, 1.175)``, the paper's pixel values for background and ink.

    Shape:
        - Input: ``(N, 1, 32, 32)``
        - Output: ``(N, 10)``, logits ``-y`` (<= 0)

    Example:
        >>> import juanji
        >>> _ = juanji.manual_seed(0)
        >>> model = LeNet5Classic()
        >>> sum(p.numel() for p in model.parameters() if p.requires_grad)
        60000
        >>> model(juanji.zeros(2, 1, 32, 32)).shape
        (2, 10)
    """

    input_levels = (-0.1, 1.175)

    def __init__(self) -> None:
        super().__init__()
        self.input_size = (1, 32, 32)
        self.c1 = nn.Conv2d(1, 6, kernel_size=5)
        self.s2 = Subsampling2d(6, kernel_size=2)
        self.c3 = TableConv2d(c3_connection_table(), kernel_size=5)
        self.s4 = Subsampling2d(16, kernel_size=2)
        self.c5 = nn.Conv2d(16, 120, kernel_size=5)
        self.f6 = nn.Linear(120, 84)
        self.output = EuclideanRBF(digit_bitmaps().reshape(10, 84))
        self.squash = ScaledTanh()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias from U(-2.4/F_i, 2.4/F_i), ``F_i`` = inputs per unit."""
        for layer, fan_in in [(self.c1, 25), (self.c5, 400), (self.f6, 120)]:
            nn.init.uniform_(layer.weight, -2.4 / fan_in, 2.4 / fan_in)
            nn.init.uniform_(layer.bias, -2.4 / fan_in, 2.4 / fan_in)
        for layer in (self.s2, self.s4):
            nn.init.uniform_(layer.weight, -2.4 / 4, 2.4 / 4)
            nn.init.uniform_(layer.bias, -2.4 / 4, 2.4 / 4)
        bounds = 2.4 / self.c3.fan_in()
        _uniform_rows_(self.c3.weight, np.repeat(bounds, self.c3.connections.sum(axis=1)))
        _uniform_rows_(self.c3.bias, bounds)

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``-y`` (negated RBF distances) for a batch of 32x32 images."""
        x = self.squash(self.s2(self.squash(self.c1(x))))
        x = self.squash(self.s4(self.squash(self.c3(x))))
        x = self.squash(self.c5(x)).flatten(1)
        x = self.squash(self.f6(x))
        return -self.output(x)


def map_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    j: float,
    reduction: str = "mean",
) -> Tensor:
    """The paper's MAP criterion on ``LeNet5Classic``'s logits ``-y`` (Section II-C).

    For one sample with correct class ``t`` and RBF distances ``y``::

        E = y_t + log(exp(-j) + sum_i exp(-y_i))

    The first term pulls the correct unit's distance down; the second pushes the other units'
    distances up (a competition between classes that a plain ``mean(y_t)`` lacks), while the
    constant ``exp(-j)``, a "rubbish class" that no input belongs to, stops pushing distances
    that are already larger than about ``j``. It equals ``F.cross_entropy`` over the logits
    ``-y`` with one extra logit ``-j``; ``j`` -> infinity gives plain cross-entropy on ``-y``.

    Args:
        input: ``(N, C)`` logits ``-y`` as ``LeNet5Classic`` returns them.
        target: ``(N,)`` class indices.
        j: the positive constant of the criterion.
        reduction: ``'mean'`` (the paper's average over samples), ``'sum'`` or ``'none'``.

    Returns:
        The loss, a scalar (or ``(N,)`` with ``reduction='none'``).

    Example:
        >>> import juanji
        >>> logits = juanji.tensor([[-1.0, -5.0]])       # y = [1, 5], correct class 0
        >>> round(map_loss(logits, juanji.tensor([0]), j=3.0).item(), 4)  # 1 + log(e^-3+e^-1+e^-5)
        0.1429
    """
    with_rubbish = F.pad(input, (0, 1), value=-float(j))  # (N, C + 1)
    return F.cross_entropy(with_rubbish, target, reduction=reduction)
