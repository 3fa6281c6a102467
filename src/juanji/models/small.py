"""The modern-CNN chapter's networks at the size of MNIST and CIFAR, to train on a laptop CPU.

The d2l book trains AlexNet, VGG, NiN, GoogLeNet, ResNet and DenseNet on Fashion-MNIST resized
to 224 or 96 pixels; that takes a GPU. These keep each network's idea and build it for 28x28
(``in_channels=1``) or 32x32 (``in_channels=3``) inputs directly:

* ``LeNetBN``: LeNet with BatchNorm after every convolution and hidden Linear (d2l 8.5).
* ``NiN``: blocks of one spatial convolution and two 1x1 convolutions, no Linear at all; the
  last block makes one map per class, averaged globally (Lin et al., 2013).
* ``VGGSmall``: VGG blocks (3x3 convolutions then a 2x2 max pool), narrower and fewer.
* ``GoogLeNetSmall``: a 3x3 stem and Inception blocks with the four branches.
* ``ResNet18Small``: ResNet-18's four stages of two basic blocks with a 3x3 stem and no max
  pool, as for CIFAR; ``width`` scales every stage (64 is the paper's).
* ``CifarResNet`` (``resnet20``/``32``/``56``): He et al.'s CIFAR networks, 6n+2 layers in three
  stages of 16, 32 and 64 channels with parameter-free shortcuts (option A); ResNet-20 has
  0.27 M parameters and reached 91.25 % on CIFAR-10 in the paper.
* ``DenseNetSmall``: dense blocks of BN-ReLU-3x3 convolutions joined by transitions.
"""

from __future__ import annotations

from typing import Any

import juanji.nn as nn
import juanji.nn.functional as F
from juanji.models.resnet import BasicBlock, init_resnet
from juanji.tensor.functions import cat, flatten
from juanji.tensor.tensor import Tensor

__all__ = ["CifarResNet", "DenseNetSmall", "GoogLeNetSmall", "LeNetBN", "NiN", "ResNet18Small",
           "S2DVGG", "VGGSmall", "resnet20", "resnet32", "resnet56", "s2d_vgg_layers"]


def _size(in_channels: int) -> tuple[int, int, int]:
    """MNIST's 28x28 for one channel, CIFAR's 32x32 for three."""
    return (in_channels, 28, 28) if in_channels == 1 else (in_channels, 32, 32)


class LeNetBN(nn.Module):
    """LeNet-5 with BatchNorm (d2l's ``BNLeNet``): conv-BN-sigmoid-avgpool twice, then MLP."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.input_size = _size(in_channels)
        side = ((self.input_size[1] - 4) // 2 - 4) // 2
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5), nn.BatchNorm2d(6), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
            nn.Linear(16 * side * side, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
            nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


def nin_block(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
              padding: int = 0) -> nn.Sequential:
    """One spatial convolution then two 1x1 convolutions (a per-pixel MLP), each with ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
    )


class NiN(nn.Module):
    """Network in Network: three NiN blocks with max pools, a class-map block, global pool."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, dropout: float = 0.5) -> None:
        super().__init__()
        self.input_size = _size(in_channels)
        self.net = nn.Sequential(
            nin_block(in_channels, 48, kernel_size=5, padding=2),
            nn.MaxPool2d(3, stride=2, padding=1),
            nin_block(48, 96, kernel_size=3, padding=1),
            nn.MaxPool2d(3, stride=2, padding=1),
            nin_block(96, 192, kernel_size=3, padding=1),
            nn.MaxPool2d(3, stride=2, padding=1),
            nn.Dropout(dropout),
            nin_block(192, num_classes, kernel_size=3, padding=1),
            nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


def vgg_block(num_convs: int, in_channels: int, out_channels: int) -> nn.Sequential:
    """``num_convs`` 3x3 convolutions (padding 1) with ReLU, then a 2x2 max pool."""
    layers: list[nn.Module] = []
    for _ in range(num_convs):
        layers += [nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1), nn.ReLU()]
        in_channels = out_channels
    return nn.Sequential(*layers, nn.MaxPool2d(kernel_size=2, stride=2))


class VGGSmall(nn.Module):
    """Three VGG blocks (16, 32, 64x2 channels) and a two-layer classifier with dropout."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1,
                 arch: tuple[tuple[int, int], ...] = ((1, 16), (1, 32), (2, 64)),
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.input_size = _size(in_channels)
        blocks, side = [], self.input_size[1]
        for num_convs, out_channels in arch:
            blocks.append(vgg_block(num_convs, in_channels, out_channels))
            in_channels, side = out_channels, side // 2
        self.features = nn.Sequential(*blocks)
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(in_channels * side * side, 256), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(256, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


class InceptionSmall(nn.Module):
    """d2l's Inception block: 1x1 | 1x1-3x3 | 1x1-5x5 | 3x3 max pool-1x1, with ReLU."""

    def __init__(self, in_channels: int, c1: int, c2: tuple[int, int], c3: tuple[int, int],
                 c4: int) -> None:
        super().__init__()
        self.b1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        self.b2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
        self.b2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
        self.b3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
        self.b3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
        self.b4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.b4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        b1 = F.relu(self.b1(x))
        b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
        b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))
        b4 = F.relu(self.b4_2(self.b4_1(x)))
        return cat((b1, b2, b3, b4), dim=1)


class GoogLeNetSmall(nn.Module):
    """A 3x3 stem, two Inception stages with max pools between, global pool, Linear."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.input_size = _size(in_channels)
        self.stem = nn.Sequential(nn.Conv2d(in_channels, 32, kernel_size=3, padding=1),
                                  nn.ReLU(), nn.MaxPool2d(2))
        self.stage1 = nn.Sequential(InceptionSmall(32, 16, (24, 32), (4, 8), 8),
                                    InceptionSmall(64, 32, (32, 48), (8, 24), 16),
                                    nn.MaxPool2d(3, stride=2, padding=1))
        self.stage2 = nn.Sequential(InceptionSmall(120, 48, (24, 52), (4, 12), 16),
                                    InceptionSmall(128, 64, (40, 80), (8, 32), 32))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
                                  nn.Linear(208, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.stage2(self.stage1(self.stem(x))))


class ResNet18Small(nn.Module):
    """ResNet-18 for small images: 3x3 stem, no max pool, stages of width w, 2w, 4w, 8w."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, width: int = 64) -> None:
        super().__init__()
        self.input_size = _size(in_channels)
        self.conv1 = nn.Conv2d(in_channels, width, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        stages, planes = [], width
        for i, w in enumerate((width, 2 * width, 4 * width, 8 * width)):
            stride = 1 if i == 0 else 2
            down = None
            if stride != 1 or planes != w:
                down = nn.Sequential(nn.Conv2d(planes, w, 1, stride=stride, bias=False),
                                     nn.BatchNorm2d(w))
            stages.append(nn.Sequential(BasicBlock(planes, w, stride, down), BasicBlock(w, w)))
            planes = w
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(planes, num_classes)
        init_resnet(self)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(flatten(self.avgpool(x), 1))


class _ShortcutA(nn.Module):
    """He et al.'s option A: subsample by the stride, pad the new channels with zeros."""

    def __init__(self, stride: int, extra_channels: int) -> None:
        super().__init__()
        self.stride, self.extra = stride, extra_channels

    def forward(self, x: Tensor) -> Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        half = self.extra // 2
        return F.pad(x, (0, 0, 0, 0, half, self.extra - half))


class CifarResNet(nn.Module):
    """He et al.'s CIFAR ResNet: 6n+2 layers, stages of 16, 32, 64 channels (option A)."""

    def __init__(self, depth: int = 20, num_classes: int = 10, in_channels: int = 3) -> None:
        super().__init__()
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f"CifarResNet: depth must be 6n+2 (20, 32, 44, 56...), got {depth}")
        n = (depth - 2) // 6
        self.input_size = _size(in_channels)
        self.conv1 = nn.Conv2d(in_channels, 16, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        planes, stages = 16, []
        for i, w in enumerate((16, 32, 64)):
            stride = 1 if i == 0 else 2
            down = None if stride == 1 and planes == w else _ShortcutA(stride, w - planes)
            rest = [BasicBlock(w, w) for _ in range(n - 1)]
            stages.append(nn.Sequential(BasicBlock(planes, w, stride, down), *rest))
            planes = w
        self.layer1, self.layer2, self.layer3 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, num_classes)
        init_resnet(self)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(flatten(self.avgpool(x), 1))


def resnet20(**kwargs: Any) -> CifarResNet:
    """ResNet-20 for CIFAR (0.27 M parameters)."""
    return CifarResNet(20, **kwargs)


def resnet32(**kwargs: Any) -> CifarResNet:
    """ResNet-32 for CIFAR (0.46 M parameters)."""
    return CifarResNet(32, **kwargs)


def resnet56(**kwargs: Any) -> CifarResNet:
    """ResNet-56 for CIFAR (0.85 M parameters)."""
    return CifarResNet(56, **kwargs)


def _dense_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU(),
                         nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))


class DenseBlockSmall(nn.Module):
    """d2l's dense block: each BN-ReLU-conv sees the concatenation of everything before it."""

    def __init__(self, num_convs: int, in_channels: int, growth: int) -> None:
        super().__init__()
        self.net = nn.Sequential(*[_dense_conv(in_channels + i * growth, growth)
                                   for i in range(num_convs)])

    def forward(self, x: Tensor) -> Tensor:
        for block in self.net:
            x = cat((x, block(x)), dim=1)
        return x


class DenseNetSmall(nn.Module):
    """A 3x3 stem, three dense blocks of four convolutions with transitions, BN, pool, Linear."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, growth: int = 16,
                 blocks: tuple[int, ...] = (4, 4, 4)) -> None:
        super().__init__()
        self.input_size = _size(in_channels)
        channels = 2 * growth
        layers: list[nn.Module] = [nn.Conv2d(in_channels, channels, kernel_size=3, padding=1)]
        for i, num_convs in enumerate(blocks):
            layers.append(DenseBlockSmall(num_convs, channels, growth))
            channels += num_convs * growth
            if i != len(blocks) - 1:
                layers += [nn.BatchNorm2d(channels), nn.ReLU(),
                           nn.Conv2d(channels, channels // 2, kernel_size=1),
                           nn.AvgPool2d(kernel_size=2, stride=2)]
                channels //= 2
        layers += [nn.BatchNorm2d(channels), nn.ReLU(), nn.AdaptiveAvgPool2d((1, 1)),
                   nn.Flatten(), nn.Linear(channels, num_classes)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


def _conv_bn_relu(nn: Any, in_channels: int, out_channels: int) -> list[Any]:
    return [nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU()]


def s2d_vgg_layers(nn: Any, num_classes: int = 10, in_channels: int = 1,
                   width: int = 32) -> list[Any]:
    """The layers of ``S2DVGG`` from the module namespace ``nn`` (juanji.nn or torch.nn).

    ``juanji bench`` builds the same network in PyTorch from this one list.
    """
    return [
        nn.PixelUnshuffle(2),  # (C, 28, 28) -> (4C, 14, 14): every pixel kept, 4x fewer positions
        *_conv_bn_relu(nn, 4 * in_channels, width),
        *_conv_bn_relu(nn, width, 2 * width),
        nn.MaxPool2d(kernel_size=2, stride=2),
        *_conv_bn_relu(nn, 2 * width, 4 * width),
        *_conv_bn_relu(nn, 4 * width, 4 * width),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
        nn.Linear(4 * width, num_classes),
    ]


class S2DVGG(nn.Sequential):
    """Fashion-MNIST's network for ``juanji train``: space-to-depth, four BN convs, average pool.

    ``PixelUnshuffle(2)`` turns each 2x2 block of pixels into four channels (the "patchify"
    stem of later networks, without loss: it is a reshape), so the four 3x3 convolutions with
    BatchNorm run at 14x14 and 7x7 instead of 28x28 and 14x14: a quarter of the positions of a
    VGG at full size, for the same receptive field in input pixels. Global average pooling and
    one Linear layer classify, as in NiN and ResNet. 242,762 parameters at ``width`` 32.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, width: int = 32) -> None:
        super().__init__(*s2d_vgg_layers(nn, num_classes, in_channels, width))
        self.input_size = _size(in_channels)
