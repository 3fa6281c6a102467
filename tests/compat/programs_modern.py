"""Programs after LeNet: BatchNorm residual nets, torchvision init, lazy d2l nets, DCGAN,
CycleGAN blocks, MobileNet blocks, the pytorch/examples MNIST recipe and checkpoints."""

from __future__ import annotations

import io

from tests.compat.harness import data, fill_parameters, labels


def resnet_residual_with_batchnorm(torch):
    """d2l's Residual with BatchNorm2d, trained two steps, then eval (running stats)."""
    nn, F = torch.nn, torch.nn.functional

    class Residual(nn.Module):
        def __init__(self, input_channels, num_channels, use_1x1conv=False, strides=1):
            super().__init__()
            self.conv1 = nn.Conv2d(input_channels, num_channels, 3, padding=1, stride=strides)
            self.conv2 = nn.Conv2d(num_channels, num_channels, 3, padding=1)
            self.conv3 = (
                nn.Conv2d(input_channels, num_channels, 1, stride=strides) if use_1x1conv else None
            )
            self.bn1 = nn.BatchNorm2d(num_channels)
            self.bn2 = nn.BatchNorm2d(num_channels)

        def forward(self, X):
            Y = F.relu(self.bn1(self.conv1(X)))
            Y = self.bn2(self.conv2(Y))
            if self.conv3:
                X = self.conv3(X)
            Y += X
            return F.relu(Y)

    net = nn.Sequential(Residual(3, 3), Residual(3, 6, use_1x1conv=True, strides=2))
    fill_parameters(torch, net)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    X = torch.tensor(data((4, 3, 6, 6)))
    losses = []
    for _ in range(2):
        optimizer.zero_grad()
        loss = (net(X) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    net.eval()
    return losses, net(X), net[0].bn1.running_mean, net[0].bn1.num_batches_tracked


def torchvision_init_references_norm_layers(torch):
    """torchvision's ResNet init loop names BatchNorm2d and GroupNorm even in nets without them."""
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)
    fill_parameters(torch, model)
    return model(torch.tensor(data((2, 1, 6, 6))))


def d2l_lazy_lenet(torch):
    """The d2l chapters' Lazy modules: shapes materialise at the first forward."""
    nn = torch.nn
    net = nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.LazyLinear(10),
    )  # fmt: skip
    X = torch.tensor(data((2, 1, 28, 28)))
    net(X)
    fill_parameters(torch, net)
    return net(X), [tuple(p.shape) for p in net.parameters()]


def dcgan_generator_and_discriminator(torch):
    """DCGAN: ConvTranspose2d, BatchNorm2d, LeakyReLU, BCELoss, classname.find('Conv') init."""
    nn = torch.nn

    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)

    netG = nn.Sequential(
        nn.ConvTranspose2d(4, 8, 4, 1, 0, bias=False), nn.BatchNorm2d(8), nn.ReLU(True),
        nn.ConvTranspose2d(8, 1, 4, 2, 1, bias=False), nn.Tanh(),
    )  # fmt: skip
    netD = nn.Sequential(
        nn.Conv2d(1, 8, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(8, 1, 4, 1, 0, bias=False), nn.Sigmoid(),
    )  # fmt: skip
    netG.apply(weights_init)
    fill_parameters(torch, netG)
    fill_parameters(torch, netD, seed=1)
    criterion = nn.BCELoss()
    noise = torch.tensor(data((2, 4, 1, 1)))
    fake = netG(noise)
    output = netD(fake.detach()).view(-1)
    errD = criterion(output, torch.full((2,), 0.0))
    errD.backward()
    return fake.shape, errD.item(), netD[0].weight.grad


def cyclegan_reflection_pad_instance_norm(torch):
    """CycleGAN's ResnetBlock: ReflectionPad2d, InstanceNorm2d, Dropout2d in eval."""
    nn = torch.nn
    block = nn.Sequential(
        nn.ReflectionPad2d(1), nn.Conv2d(2, 2, 3), nn.InstanceNorm2d(2), nn.ReLU(True),
        nn.Dropout2d(0.5), nn.ReflectionPad2d(1), nn.Conv2d(2, 2, 3), nn.InstanceNorm2d(2),
    )  # fmt: skip
    fill_parameters(torch, block)
    block.eval()
    x = torch.tensor(data((1, 2, 5, 5)))
    return x + block(x)


def mobilenet_relu6_and_upsample(torch):
    """MobileNet's ReLU6 and a decoder's F.interpolate(scale_factor=2, mode='bilinear')."""
    nn, F = torch.nn, torch.nn.functional
    conv = nn.Conv2d(2, 2, 3, padding=1)
    fill_parameters(torch, conv)
    x = torch.tensor(data((1, 2, 4, 4)))
    y = nn.ReLU6(inplace=True)(conv(x) * 10)
    return F.interpolate(y, scale_factor=2, mode="bilinear", align_corners=False)


def examples_mnist_adadelta_steplr(torch):
    """pytorch/examples' MNIST optimiser: Adadelta(lr=1.0) with StepLR(gamma=0.7)."""
    nn, F = torch.nn, torch.nn.functional
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 10))
    fill_parameters(torch, model)
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    x, y = torch.tensor(data((4, 1, 6, 6))), torch.tensor(labels(4, 10))
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        loss = F.nll_loss(F.log_softmax(model(x), dim=1), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


def checkpoint_save_and_load(torch):
    """The tutorials' checkpoint: torch.save({'model_state_dict': ..., ...}) and torch.load."""
    nn = torch.nn
    model = nn.Linear(3, 2)
    fill_parameters(torch, model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.tensor(data((2, 3)))).sum().backward()
    optimizer.step()
    buffer = io.BytesIO()
    torch.save(
        {"epoch": 3, "model_state_dict": model.state_dict(),
         "optimizer_state_dict": optimizer.state_dict(), "loss": 0.25},
        buffer,
    )  # fmt: skip
    buffer.seek(0)
    checkpoint = torch.load(buffer, weights_only=True)
    restored = nn.Linear(3, 2)
    restored.load_state_dict(checkpoint["model_state_dict"])
    return checkpoint["epoch"], checkpoint["loss"], restored.weight
