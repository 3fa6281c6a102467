"""Programs in the style of the d2l book's convolution chapters (from scratch, then nn layers)."""

from __future__ import annotations

from tests.compat.harness import data, fill_parameters, labels


def _corr2d(torch, X, K):
    """Two-dimensional cross-correlation with a Python double loop (d2l's from-scratch form)."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + h, j : j + w] * K).sum()
    return Y


def corr2d_from_scratch_trains_its_weight(torch):
    """A Conv2D module built on corr2d learns an edge kernel (needs autograd through Y[i, j])."""
    nn = torch.nn

    class Conv2D(nn.Module):
        def __init__(self, kernel_size):
            super().__init__()
            self.weight = nn.Parameter(torch.rand(kernel_size))
            self.bias = nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return _corr2d(torch, x, self.weight) + self.bias

    X = torch.ones((4, 6))
    X[:, 2:4] = 0
    K = torch.tensor([[1.0, -1.0]])
    Y = _corr2d(torch, X, K)
    net = Conv2D(kernel_size=(1, 2))
    fill_parameters(torch, net)
    losses = []
    for _ in range(4):
        Y_hat = net(X)
        loss = ((Y_hat - Y) ** 2).sum()
        net.zero_grad()
        loss.backward()
        with torch.no_grad():
            net.weight -= 0.03 * net.weight.grad
            net.bias -= 0.03 * net.bias.grad
        losses.append(loss.item())
    return losses, net.weight.data, Y


def edge_detector_with_nn_conv2d(torch):
    """d2l's 'learning a kernel': nn.Conv2d, reshape to NCHW, weight.data[:] -= lr * grad."""
    nn = torch.nn
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    Y = _corr2d(torch, X, torch.tensor([[1.0, -1.0]]))
    conv2d = nn.Conv2d(1, 1, kernel_size=(1, 2), bias=False)
    fill_parameters(torch, conv2d)
    X, Y = X.reshape((1, 1, 6, 8)), Y.reshape((1, 1, 6, 7))
    lr, losses = 3e-2, []
    for _ in range(6):
        Y_hat = conv2d(X)
        loss = (Y_hat - Y) ** 2
        conv2d.zero_grad()
        loss.sum().backward()
        conv2d.weight.data[:] -= lr * conv2d.weight.grad
        losses.append(loss.sum().item())
    return losses, conv2d.weight.data.reshape((1, 2))


def multi_channel_correlation(torch):
    """corr2d_multi_in (sum over a zip), multi_in_out (torch.stack) and 1x1 as matmul."""
    X = torch.tensor(data((2, 3, 3)))
    K = torch.tensor(data((2, 2, 2), seed=1))

    def corr2d_multi_in(X, K):
        return sum(_corr2d(torch, x, k) for x, k in zip(X, K, strict=True))

    def corr2d_multi_in_out(X, K):
        return torch.stack([corr2d_multi_in(X, k) for k in K], 0)

    def corr2d_multi_in_out_1x1(X, K):
        c_i, h, w = X.shape
        c_o = K.shape[0]
        X = X.reshape((c_i, h * w))
        K = K.reshape((c_o, c_i))
        return torch.matmul(K, X).reshape((c_o, h, w))

    K3 = torch.stack((K, K + 1, K + 2), 0)
    X1 = torch.normal(0, 1, (3, 3, 3)) * 0 + torch.tensor(data((3, 3, 3), seed=2))
    K1 = torch.normal(0, 1, (2, 3, 1, 1)) * 0 + torch.tensor(data((2, 3, 1, 1), seed=3))
    Y1 = corr2d_multi_in_out_1x1(X1, K1)
    Y2 = corr2d_multi_in_out(X1, K1)
    return (
        corr2d_multi_in(X, K),
        corr2d_multi_in_out(X, K3).shape,
        Y1,
        float((Y1 - Y2).abs().sum()) < 1e-5,
    )


def padding_and_strides(torch):
    """comp_conv2d: (1, 1) + X.shape, Y.reshape(Y.shape[2:]), torch.rand(size=...)."""
    nn = torch.nn

    def comp_conv2d(conv2d, X):
        X = X.reshape((1, 1) + X.shape)
        Y = conv2d(X)
        return Y.reshape(Y.shape[2:])

    X = torch.rand(size=(8, 8))
    shapes = []
    for conv in (
        nn.Conv2d(1, 1, kernel_size=3, padding=1),
        nn.Conv2d(1, 1, kernel_size=(5, 3), padding=(2, 1)),
        nn.Conv2d(1, 1, kernel_size=3, padding=1, stride=2),
        nn.Conv2d(1, 1, kernel_size=(3, 5), padding=(0, 1), stride=(3, 4)),
    ):
        shapes.append(tuple(comp_conv2d(conv, X).shape))
    return shapes, X.shape == (8, 8), list(X.shape)


def pooling_from_scratch(torch):
    """pool2d with Y[i, j] = window.max() / .mean(); nn.MaxPool2d with padding; torch.cat."""
    nn = torch.nn

    def pool2d(X, pool_size, mode="max"):
        p_h, p_w = pool_size
        Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
        for i in range(Y.shape[0]):
            for j in range(Y.shape[1]):
                if mode == "max":
                    Y[i, j] = X[i : i + p_h, j : j + p_w].max()
                elif mode == "avg":
                    Y[i, j] = X[i : i + p_h, j : j + p_w].mean()
        return Y

    X = torch.tensor(data((3, 3)), requires_grad=True)
    Y = pool2d(X, (2, 2)) + pool2d(X, (2, 2), "avg") * 2
    Y.sum().backward()
    X4 = torch.arange(16, dtype=torch.float32).reshape((1, 1, 4, 4))
    pooled = nn.MaxPool2d(3, padding=1, stride=2)(X4)
    X8 = torch.cat((X4, X4 + 1), 1)
    pooled2 = nn.MaxPool2d((2, 3), stride=(2, 3), padding=(0, 1))(X8)
    return Y, X.grad, pooled, pooled2, nn.AvgPool2d(3, padding=1, stride=2)(X8)


def lenet_shapes_and_training(torch):
    """d2l LeNet: Sequential of layers, per-layer shapes, xavier init by type(), accuracy."""
    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10),
    )  # fmt: skip

    def init_weights(m):
        if type(m) == nn.Linear or type(m) == nn.Conv2d:  # noqa: E721 - d2l's idiom
            nn.init.xavier_uniform_(m.weight)

    net.apply(init_weights)
    fill_parameters(torch, net, scale=0.2)
    X = torch.rand(size=(1, 1, 28, 28))
    shapes = []
    for layer in net:
        X = layer(X)
        shapes.append((layer.__class__.__name__, tuple(X.shape)))

    def accuracy(y_hat, y):
        if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
            y_hat = y_hat.argmax(axis=1)
        cmp = y_hat.type(y.dtype) == y
        return float(cmp.type(y.dtype).sum())

    images, targets = torch.tensor(data((8, 1, 28, 28), low=0.0)), torch.tensor(labels(8, 10))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.9)
    loss = nn.CrossEntropyLoss()
    losses, accs = [], []
    net.train()
    for _ in range(3):
        optimizer.zero_grad()
        y_hat = net(images)
        l = loss(y_hat, targets)  # noqa: E741 - d2l's name
        l.backward()
        optimizer.step()
        with torch.no_grad():
            losses.append(l.item())
            accs.append(accuracy(y_hat, targets))
    return shapes, losses, accs


def alexnet_style_eval(torch):
    """A scaled-down AlexNet: big strided kernel, ReLU, MaxPool, Dropout; eval mode output."""
    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(1, 8, kernel_size=11, stride=4, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(8, 16, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(16, 16, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 1 * 1, 32), nn.ReLU(), nn.Dropout(p=0.5),
        nn.Linear(32, 10),
    )  # fmt: skip
    fill_parameters(torch, net)
    net.eval()
    X = torch.tensor(data((2, 1, 96, 96)))
    with torch.no_grad():
        out = net(X)
    return out, [tuple(p.shape) for p in net.parameters()]


def vgg_blocks(torch):
    """vgg_block appends layers to a list; the architecture is a tuple of (convs, channels)."""
    nn = torch.nn

    def vgg_block(num_convs, in_channels, out_channels):
        layers = []
        for _ in range(num_convs):
            layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
            layers.append(nn.ReLU())
            in_channels = out_channels
        layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        return nn.Sequential(*layers)

    def vgg(conv_arch):
        conv_blks = []
        in_channels = 1
        for num_convs, out_channels in conv_arch:
            conv_blks.append(vgg_block(num_convs, in_channels, out_channels))
            in_channels = out_channels
        return nn.Sequential(
            *conv_blks, nn.Flatten(),
            nn.Linear(out_channels * 2 * 2, 16), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(16, 10),
        )  # fmt: skip

    net = vgg(((1, 4), (1, 8), (2, 8)))
    fill_parameters(torch, net)
    net.eval()
    X = torch.tensor(data((2, 1, 16, 16)))
    grad_out = torch.tensor(data((2, 10), seed=5))
    out = net(X)
    out.backward(grad_out)
    return out, net[0][0].weight.grad, len(list(net.modules()))


def nin_blocks(torch):
    """NiN: 1x1 convolutions, AdaptiveAvgPool2d((1, 1)) and Flatten instead of dense layers."""
    nn = torch.nn

    def nin_block(in_channels, out_channels, kernel_size, strides, padding):
        return nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding), nn.ReLU(),
            nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
            nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        )  # fmt: skip

    net = nn.Sequential(
        nin_block(1, 8, kernel_size=5, strides=2, padding=0),
        nn.MaxPool2d(3, stride=2),
        nin_block(8, 10, kernel_size=3, strides=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
    )
    fill_parameters(torch, net)
    X = torch.tensor(data((2, 1, 24, 24)))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    y = torch.tensor(labels(2, 10))
    losses = []
    for _ in range(3):
        optimizer.zero_grad(set_to_none=True)
        l = torch.nn.functional.cross_entropy(net(X), y)  # noqa: E741
        l.backward()
        optimizer.step()
        losses.append(l.item())
    return losses


def googlenet_inception(torch):
    """An Inception block: four branches joined by torch.cat on the channel dimension."""
    nn, F = torch.nn, torch.nn.functional

    class Inception(nn.Module):
        def __init__(self, in_channels, c1, c2, c3, c4, **kwargs):
            super().__init__(**kwargs)
            self.p1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
            self.p2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
            self.p2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
            self.p3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
            self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
            self.p4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
            self.p4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)

        def forward(self, x):
            p1 = F.relu(self.p1_1(x))
            p2 = F.relu(self.p2_2(F.relu(self.p2_1(x))))
            p3 = F.relu(self.p3_2(F.relu(self.p3_1(x))))
            p4 = F.relu(self.p4_2(self.p4_1(x)))
            return torch.cat((p1, p2, p3, p4), dim=1)

    block = Inception(3, 2, (2, 4), (1, 2), 2)
    fill_parameters(torch, block)
    X = torch.tensor(data((2, 3, 8, 8)), requires_grad=True)
    out = block(X)
    (out * out).mean().backward()
    return out.shape[1], out, X.grad, [name for name, _ in block.named_children()]


def batch_norm_from_scratch(torch):
    """d2l's batch_norm: torch.is_grad_enabled(), mean over (0, 2, 3), moving stats via .data."""
    nn = torch.nn

    def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
        if not torch.is_grad_enabled():
            X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
        else:
            assert len(X.shape) in (2, 4)
            if len(X.shape) == 2:
                mean = X.mean(dim=0)
                var = ((X - mean) ** 2).mean(dim=0)
            else:
                mean = X.mean(dim=(0, 2, 3), keepdim=True)
                var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
            X_hat = (X - mean) / torch.sqrt(var + eps)
            moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
            moving_var = (1.0 - momentum) * moving_var + momentum * var
        Y = gamma * X_hat + beta
        return Y, moving_mean.data, moving_var.data

    class BatchNorm(nn.Module):
        def __init__(self, num_features, num_dims):
            super().__init__()
            shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
            self.gamma = nn.Parameter(torch.ones(shape))
            self.beta = nn.Parameter(torch.zeros(shape))
            self.moving_mean = torch.zeros(shape)
            self.moving_var = torch.ones(shape)

        def forward(self, X):
            if self.moving_mean.device != X.device:
                self.moving_mean = self.moving_mean.to(X.device)
                self.moving_var = self.moving_var.to(X.device)
            Y, self.moving_mean, self.moving_var = batch_norm(
                X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1
            )
            return Y

    net = nn.Sequential(
        nn.Conv2d(1, 4, kernel_size=3), BatchNorm(4, num_dims=4), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.Linear(4 * 3 * 3, 6), BatchNorm(6, num_dims=2), nn.Sigmoid(), nn.Linear(6, 3),
    )  # fmt: skip
    fill_parameters(torch, net)
    X, y = torch.tensor(data((4, 1, 8, 8))), torch.tensor(labels(4, 3))
    trainer = torch.optim.SGD(net.parameters(), lr=1.0)
    losses = []
    for _ in range(3):
        l = nn.CrossEntropyLoss()(net(X), y)  # noqa: E741
        trainer.zero_grad()
        l.backward()
        trainer.step()
        losses.append(l.item())
    with torch.no_grad():
        evaluated = net(X)
    return losses, net[1].moving_mean, net[6].moving_var, evaluated


def residual_blocks_without_bn(torch):
    """A ResNet Residual block (BN left out): 1x1 shortcut conv and ``Y += X`` on graph tensors."""
    nn, F = torch.nn, torch.nn.functional

    class Residual(nn.Module):
        def __init__(self, input_channels, num_channels, use_1x1conv=False, strides=1):
            super().__init__()
            self.conv1 = nn.Conv2d(
                input_channels, num_channels, kernel_size=3, padding=1, stride=strides
            )
            self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
            self.conv3 = (
                nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides)
                if use_1x1conv
                else None
            )

        def forward(self, X):
            Y = F.relu(self.conv1(X))
            Y = self.conv2(Y)
            if self.conv3:
                X = self.conv3(X)
            Y += X
            return F.relu(Y)

    net = nn.Sequential(Residual(3, 3), Residual(3, 6, use_1x1conv=True, strides=2))
    fill_parameters(torch, net)
    X = torch.tensor(data((2, 3, 6, 6)))
    out = net(X)
    loss = (out**2).sum()
    loss.backward()
    return out.shape, loss.item(), net[1].conv3.weight.grad, net[0].conv1.bias.grad


def densenet_without_bn(torch):
    """A DenseBlock (BN left out): each conv block's output is concatenated onto the input."""
    nn = torch.nn

    def conv_block(input_channels, num_channels):
        return nn.Sequential(nn.ReLU(), nn.Conv2d(input_channels, num_channels, 3, padding=1))

    class DenseBlock(nn.Module):
        def __init__(self, num_convs, input_channels, num_channels):
            super().__init__()
            layer = []
            for i in range(num_convs):
                layer.append(conv_block(num_channels * i + input_channels, num_channels))
            self.net = nn.Sequential(*layer)

        def forward(self, X):
            for blk in self.net:
                Y = blk(X)
                X = torch.cat((X, Y), dim=1)
            return X

    def transition_block(input_channels, num_channels):
        return nn.Sequential(
            nn.ReLU(), nn.Conv2d(input_channels, num_channels, kernel_size=1),
            nn.AvgPool2d(kernel_size=2, stride=2),
        )  # fmt: skip

    blk = DenseBlock(2, 3, 4)
    trans = transition_block(11, 5)
    fill_parameters(torch, blk)
    fill_parameters(torch, trans, seed=1)
    X = torch.tensor(data((2, 3, 4, 4)))
    Y = trans(blk(X))
    Y.sum().backward()
    return Y, blk.net[1][1].weight.grad
