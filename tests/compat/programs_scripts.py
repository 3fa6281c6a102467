"""Programs in the style of pytorch/examples, the official tutorials and popular blog scripts."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from tests.compat.harness import data, fill_parameters, labels


def examples_mnist_train_and_test(torch):
    """pytorch/examples' MNIST loop: device choice, log_softmax + nll_loss, a test pass."""
    nn, F = torch.nn, torch.nn.functional
    use_cuda = torch.cuda.is_available()
    torch.manual_seed(1)
    device = torch.device("cuda" if use_cuda else "cpu")
    kwargs = {"num_workers": 1, "pin_memory": True} if use_cuda else {}

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, 1)
            self.conv2 = nn.Conv2d(4, 8, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.fc1 = nn.Linear(8 * 5 * 5, 16)
            self.fc2 = nn.Linear(16, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            return F.log_softmax(self.fc2(x), dim=1)

    model = Net().to(device)
    fill_parameters(torch, model)
    dataset = torch.utils.data.TensorDataset(
        torch.tensor(data((12, 1, 14, 14), low=0.0)), torch.tensor(labels(12, 10))
    )
    loader = torch.utils.data.DataLoader(dataset, batch_size=4, shuffle=False, **kwargs)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    model.eval()  # dropout off so both libraries draw nothing at random
    losses = []
    for _epoch in range(2):
        for _batch_idx, (data_, target) in enumerate(loader):
            data_, target = data_.to(device), target.to(device)
            optimizer.zero_grad()
            output = model(data_)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for data_, target in loader:
            output = model(data_.to(device))
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(loader.dataset)
    return losses, test_loss, correct, str(device), optimizer.param_groups[0]["lr"]


def cifar_tutorial_classifier(torch):
    """The official 'training a classifier' tutorial: Net, CrossEntropyLoss, SGD momentum."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    net = Net()
    fill_parameters(torch, net, scale=0.1)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    inputs, targets = torch.tensor(data((4, 3, 32, 32))), torch.tensor(labels(4, 10))
    running_loss = 0.0
    for _ in range(3):
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    correct, total = 0, 0
    with torch.no_grad():
        outputs = net(inputs)
        _, predicted = torch.max(outputs, 1)
        total += targets.size(0)
        correct += (predicted == targets).sum().item()
    return running_loss, correct, total, outputs


def kaggle_mnist_cnn_loop(torch):
    """A Kaggle-style loop: running_loss * size(0), torch.max(outputs.data, 1), .double()."""
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 4, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(8 * 3 * 3, 10),
    )  # fmt: skip
    fill_parameters(torch, model)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    images = torch.tensor(np.round(data((6, 1, 12, 12), low=0.0) * 255))
    targets = torch.tensor(labels(6, 10))
    history = []
    for _epoch in range(2):
        model.train()
        running_loss, running_corrects = 0.0, 0
        for start in range(0, 6, 3):
            inputs, y = images[start : start + 3].clone(), targets[start : start + 3]
            inputs.div_(255.0)
            optimizer.zero_grad(set_to_none=True)
            outputs = model(inputs)
            loss = criterion(outputs, y)
            _, preds = torch.max(outputs.data, 1)
            loss.backward()
            optimizer.step()
            running_loss += loss.item() * inputs.size(0)
            running_corrects += torch.sum(preds == y.data)
        epoch_acc = running_corrects.double() / len(targets)
        history.append((running_loss / len(targets), epoch_acc.item()))
    model.eval()
    with torch.no_grad():
        probabilities = torch.softmax(model(images / 255.0), dim=1).detach().numpy()
    return history, probabilities


def legacy_variable_and_type_strings(torch):
    """Old tutorials: Variable, LongTensor/FloatTensor constructors, x.type() == '...'."""
    from_autograd = torch.autograd.Variable
    x = from_autograd(torch.FloatTensor(data((3, 4))), requires_grad=True)
    target = from_autograd(torch.LongTensor([0, 2, 1]))
    w = from_autograd(
        torch.randn(4, 3) * 0 + torch.tensor(data((4, 3), seed=1)), requires_grad=True
    )
    loss = torch.nn.functional.cross_entropy(x.mm(w), target)
    loss.backward()
    checks = [
        x.type() == "torch.FloatTensor",
        target.type() == "torch.LongTensor",
        x.data.type() == "torch.FloatTensor",
        isinstance(x, torch.FloatTensor),
        isinstance(target, torch.FloatTensor),
        torch.IntTensor([1, 2]).type(),
        torch.DoubleTensor(2, 3).shape == (2, 3),
        torch.BoolTensor([True, False]).dtype == torch.bool,
        torch.ByteTensor([1, 255]).tolist(),
        x.type(torch.DoubleTensor).type(),
        x.type("torch.DoubleTensor").dtype == torch.float64,
    ]
    return loss.data.item(), x.grad.data.numpy(), w.grad.cpu().numpy(), checks


def device_selection_idioms(torch):
    """device = torch.device(...), .to(device), is_cuda, DCGAN's is_xpu, cuda seeding no-ops."""
    nn = torch.nn
    torch.cuda.manual_seed(0)
    torch.cuda.manual_seed_all(0)
    ngpu = torch.cuda.device_count()
    device = torch.device("cuda:0" if (torch.cuda.is_available() and ngpu > 0) else "cpu")
    gpu_device = torch.device("cuda")  # making the object is allowed without a GPU
    model = nn.Linear(3, 2).to(device)
    fill_parameters(torch, model)
    x = torch.tensor(data((2, 3))).to(device)
    if x.is_cuda and ngpu > 1:  # DCGAN-style branch, never taken on the CPU
        out = nn.parallel.data_parallel(model, x, range(ngpu))
    elif getattr(x, "is_xpu", False):
        out = None
    else:
        out = model(x)
    moved = x.to(device=device, dtype=torch.float64)
    refused = False
    if not torch.cuda.is_available():
        try:
            x.to(gpu_device)
        except (RuntimeError, AssertionError):
            refused = True
    return (
        out,
        str(device),
        device.type,
        gpu_device.type,
        ngpu,
        x.is_cuda,
        x.device == torch.device("cpu"),
        next(model.parameters()).device.type,
        moved.dtype == torch.float64,
        refused,
    )


def torchvision_style_sequential_and_init(torch):
    """nn.Sequential(OrderedDict(...)), init over self.modules() with isinstance, flatten(x, 1)."""
    nn = torch.nn

    class SmallVGG(nn.Module):
        def __init__(self, num_classes=5):
            super().__init__()
            self.features = nn.Sequential(
                OrderedDict(
                    [
                        ("conv0", nn.Conv2d(3, 4, kernel_size=3, padding=1)),
                        ("relu0", nn.ReLU(inplace=True)),
                        ("pool0", nn.MaxPool2d(kernel_size=2, stride=2)),
                        ("conv1", nn.Conv2d(4, 8, kernel_size=3, padding=1)),
                        ("relu1", nn.ReLU(inplace=True)),
                    ]
                )
            )
            self.avgpool = nn.AdaptiveAvgPool2d((2, 2))
            self.classifier = nn.Sequential(
                nn.Linear(8 * 2 * 2, 16), nn.ReLU(True), nn.Dropout(), nn.Linear(16, num_classes)
            )
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

        def forward(self, x):
            x = self.features(x)
            x = self.avgpool(x)
            x = torch.flatten(x, 1)
            return self.classifier(x)

    model = SmallVGG()
    biases_zero = all(float(m.bias.abs().sum()) == 0 for m in model.modules() if hasattr(m, "bias"))
    fill_parameters(torch, model)
    model.eval()
    x = torch.tensor(data((2, 3, 10, 10)))
    out = model(x)
    out.sum().backward()
    return out, model.features.conv0.weight.grad, list(model.state_dict().keys()), biases_zero


def apply_init_function(torch):
    """model.apply(init_fn) with isinstance checks, bias.data.fill_(0.01), then a few steps."""
    nn = torch.nn

    def init_weights(m):
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            m.bias.data.fill_(0.01)

    net = nn.Sequential(nn.Conv2d(2, 3, 3), nn.Tanh(), nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
    net.apply(init_weights)
    bias_after_init = net[0].bias.detach().numpy().copy()
    fill_parameters(torch, net)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    x, y = torch.tensor(data((3, 2, 6, 6))), torch.tensor(data((3, 2), seed=7))
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        loss = nn.MSELoss()(net(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return bias_after_init, losses


def linear_regression_from_scratch(torch):
    """d2l's from-scratch regression: normal(size=, requires_grad=), manual SGD in no_grad."""
    true_w, true_b = torch.tensor([2.0, -3.4]), 4.2
    X = torch.tensor(data((20, 2)))
    y = torch.matmul(X, true_w) + true_b
    y = y.reshape((-1, 1))
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    with torch.no_grad():
        w.copy_(torch.tensor([[0.01], [-0.02]]))

    def sgd(params, lr, batch_size):
        with torch.no_grad():
            for param in params:
                param -= lr * param.grad / batch_size
                param.grad.zero_()

    losses = []
    for _epoch in range(3):
        for start in range(0, 20, 5):
            Xb, yb = X[start : start + 5], y[start : start + 5]
            l = (torch.matmul(Xb, w) + b - yb.reshape((-1, 1))) ** 2 / 2  # noqa: E741
            l.sum().backward()
            sgd([w, b], 0.1, 5)
        with torch.no_grad():
            losses.append(float(((torch.matmul(X, w) + b - y) ** 2 / 2).mean()))
    return losses, w, b


def d2l_library_bindings(torch):
    """What d2l/torch.py binds at import, then used the way its helpers use them."""
    names = [
        "ones_like",
        "ones",
        "zeros_like",
        "zeros",
        "tensor",
        "arange",
        "meshgrid",
        "sin",
        "sinh",
        "cos",
        "cosh",
        "tanh",
        "linspace",
        "exp",
        "log",
        "normal",
        "rand",
        "randn",
        "matmul",
        "int32",
        "int64",
        "float32",
        "concat",
        "stack",
        "abs",
        "eye",
        "sigmoid",
        "bmm",
    ]
    bound = {name: getattr(torch, name) for name in names}
    size = lambda x, *args, **kwargs: x.numel(*args, **kwargs)  # noqa: E731 - d2l's form
    reshape = lambda x, *args, **kwargs: x.reshape(*args, **kwargs)  # noqa: E731
    reduce_sum = lambda x, *args, **kwargs: x.sum(*args, **kwargs)  # noqa: E731
    argmax = lambda x, *args, **kwargs: x.argmax(*args, **kwargs)  # noqa: E731
    astype = lambda x, *args, **kwargs: x.type(*args, **kwargs)  # noqa: E731
    transpose = lambda x, *args, **kwargs: x.t(*args, **kwargs)  # noqa: E731
    expand_dims = lambda x, *args, **kwargs: x.unsqueeze(*args, **kwargs)  # noqa: E731
    swapaxes = lambda x, *args, **kwargs: x.swapaxes(*args, **kwargs)  # noqa: E731

    x = bound["linspace"](-2.0, 2.0, 9)
    grid_x, grid_y = bound["meshgrid"](x[:3], x[3:7], indexing="ij")
    xy_x, xy_y = torch.meshgrid(x[:3], x[3:7], indexing="xy")
    curves = bound["stack"](
        [
            f(x)
            for f in (
                bound["sin"],
                bound["sinh"],
                bound["cos"],
                bound["cosh"],
                bound["tanh"],
                bound["sigmoid"],
            )
        ]
    )  # noqa: E501
    y_hat = bound["tensor"]([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    y = bound["tensor"]([0, 2])
    cmp = astype(argmax(y_hat, axis=1), y.dtype) == y
    batch = bound["arange"](24, dtype=bound["float32"]).reshape(2, 3, 4)
    products = bound["bmm"](batch, swapaxes(batch, 1, 2))
    return (
        curves,
        grid_x + grid_y * 10,
        xy_x.shape,
        xy_y,
        float(reduce_sum(astype(cmp, y.dtype))),
        size(batch),
        reshape(transpose(bound["eye"](3) * 2 + bound["ones"](3, 3)), (9,)),
        expand_dims(bound["exp"](x[:2]), 0).shape,
        bound["concat"]((bound["zeros"](2), bound["log"](bound["abs"](x[-2:])))),
        products,
        bound["normal"](0, 1, (3, 2)).shape,
        bound["rand"](2, 3).dtype == bound["float32"],
        bound["arange"](1, 4).dtype == bound["int64"],
        bound["arange"](0, 1, 0.25),
        bound["zeros_like"](batch[0]).shape,
        bound["int32"] == torch.int32,
    )
