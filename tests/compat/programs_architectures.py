"""Issue 28's public programs, architecture side: a spatial transformer, Grad-CAM three ways,
a 1-D speech CNN, a 3-D ResNet, a convolutional autoencoder, PyTorch-GAN's MLP GAN and Kim's
sentence CNN over word embeddings.

Each follows its best-known public version (the official tutorials, pytorch-grad-cam,
kenshohara's 3-D ResNets, eriklindernoren/PyTorch-GAN, Shawn1993's text CNN) with the sizes
shrunk so a step takes milliseconds; the code around the layers is the authors'.
"""

# The authors' names are kept: ``input`` arguments.
# ruff: noqa: A002

from __future__ import annotations

import numpy as np
from tests.compat.harness import data, fill_parameters, labels, torchvision


def spatial_transformer_tutorial(torch):
    """The spatial-transformer tutorial: localisation net, F.affine_grid, F.grid_sample."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.conv2_drop = nn.Dropout2d()
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)
            self.localization = nn.Sequential(
                nn.Conv2d(1, 8, kernel_size=7),
                nn.MaxPool2d(2, stride=2),
                nn.ReLU(True),
                nn.Conv2d(8, 10, kernel_size=5),
                nn.MaxPool2d(2, stride=2),
                nn.ReLU(True),
            )
            self.fc_loc = nn.Sequential(
                nn.Linear(10 * 3 * 3, 32), nn.ReLU(True), nn.Linear(32, 3 * 2)
            )
            self.fc_loc[2].weight.data.zero_()
            self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

        def stn(self, x):
            xs = self.localization(x)
            xs = xs.view(-1, 10 * 3 * 3)
            theta = self.fc_loc(xs)
            theta = theta.view(-1, 2, 3)
            grid = F.affine_grid(theta, x.size())
            return F.grid_sample(x, grid)

        def forward(self, x):
            x = self.stn(x)
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
            x = x.view(-1, 320)
            x = F.relu(self.fc1(x))
            x = F.dropout(x, training=self.training)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = Net().to(device)
    fill_parameters(torch, model, scale=0.1)
    with torch.no_grad():  # near the identity, as the tutorial's init, but not exactly on it
        model.fc_loc[2].bias.add_(torch.tensor([1.0, 0, 0, 0, 1, 0]))
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    train_loader = [(torch.tensor(data((4, 1, 28, 28), seed=s, low=0.0)),
                     torch.tensor(labels(4, 10, seed=s))) for s in range(2)]  # fmt: skip
    model.eval()  # dropout off so both libraries draw nothing at random
    losses = []
    for _epoch in range(2):
        for _batch_idx, (data_, target) in enumerate(train_loader):
            data_, target = data_.to(device), target.to(device)
            optimizer.zero_grad()
            output = model(data_)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with torch.no_grad():
        data_ = train_loader[0][0].to(device)
        transformed_input_tensor = model.stn(data_).cpu()
    return losses, transformed_input_tensor


def _resnet18_and_images(torch):
    model = torchvision(torch).models.resnet18(weights=None, num_classes=10)
    fill_parameters(torch, model, scale=0.1)
    model.eval()
    return model, torch.tensor(data((2, 3, 64, 64)))  # layer4 2x2: a map, not a constant


def _grad_cam_map(torch, activations, gradients, size):
    """The Grad-CAM formula: channel weights from pooled gradients, ReLU, upsample, min-max."""
    F = torch.nn.functional
    weights = gradients.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * activations).sum(dim=1, keepdim=True))
    cam = F.interpolate(cam, size=size, mode="bilinear", align_corners=False)
    cam = cam - cam.amin(dim=(2, 3), keepdim=True)
    return cam / (cam.amax(dim=(2, 3), keepdim=True) + 1e-8)


def grad_cam_with_hooks(torch):
    """Grad-CAM on torchvision's resnet18: a forward and a full backward hook on layer4."""

    class GradCAM:
        def __init__(self, model, target_layer):
            self.model, self.gradients, self.activations = model, None, None
            self.handles = [
                target_layer.register_forward_hook(self.save_activation),
                target_layer.register_full_backward_hook(self.save_gradient),
            ]

        def save_activation(self, module, input, output):
            self.activations = output.detach()

        def save_gradient(self, module, grad_input, grad_output):
            self.gradients = grad_output[0].detach()

        def __call__(self, x, class_idx=None):
            output = self.model(x)
            if class_idx is None:
                class_idx = output.argmax(dim=1)
            self.model.zero_grad()
            one_hot = torch.zeros_like(output)
            one_hot[torch.arange(output.size(0)), class_idx] = 1
            output.backward(gradient=one_hot, retain_graph=True)
            cam = _grad_cam_map(torch, self.activations, self.gradients, x.shape[2:])
            return cam, class_idx

        def remove(self):
            for handle in self.handles:
                handle.remove()

    model, images = _resnet18_and_images(torch)
    cam_extractor = GradCAM(model, model.layer4[-1])
    heatmap, class_idx = cam_extractor(images)
    cam_extractor.remove()
    again = model(images)  # the hooks are gone: nothing recorded any more
    return heatmap, class_idx, cam_extractor.gradients, again


def grad_cam_tensor_hook(torch):
    """pytorch-grad-cam's way: the forward hook registers a hook on the output tensor."""

    class ActivationsAndGradients:
        def __init__(self, model, target_layers):
            self.model, self.gradients, self.activations, self.handles = model, [], [], []
            for target_layer in target_layers:
                self.handles.append(target_layer.register_forward_hook(self.save_activation))
                self.handles.append(target_layer.register_forward_hook(self.save_gradient))

        def save_activation(self, module, input, output):
            self.activations.append(output.cpu().detach())

        def save_gradient(self, module, input, output):
            if not hasattr(output, "requires_grad") or not output.requires_grad:
                return

            def _store_grad(grad):
                self.gradients = [grad.cpu().detach()] + self.gradients

            output.register_hook(_store_grad)

        def __call__(self, x):
            self.gradients, self.activations = [], []
            return self.model(x)

        def release(self):
            for handle in self.handles:
                handle.remove()

    model, images = _resnet18_and_images(torch)
    recorder = ActivationsAndGradients(model, [model.layer4[-1]])
    outputs = recorder(images)
    targets = [3, 7]
    model.zero_grad()
    loss = sum(output[target] for output, target in zip(outputs, targets, strict=True))
    loss.backward(retain_graph=True)
    cam = _grad_cam_map(torch, recorder.activations[0], recorder.gradients[0], images.shape[2:])
    recorder.release()
    return cam, loss, recorder.gradients[0]


def grad_cam_retain_grad(torch):
    """A blog's Grad-CAM: the forward hook keeps the output, retain_grad() keeps its gradient."""
    model, images = _resnet18_and_images(torch)
    features = {}

    def hook(module, input, output):
        output.retain_grad()
        features["layer4"] = output

    handle = model.layer4.register_forward_hook(hook)
    scores = model(images)
    pred = scores.argmax(dim=1)
    scores.gather(1, pred.unsqueeze(1)).sum().backward()
    activations = features["layer4"]
    cam = _grad_cam_map(torch, activations.detach(), activations.grad, images.shape[2:])
    handle.remove()
    return cam, pred, model.conv1.weight.grad


def speech_commands_m5(torch):
    """The speech-command tutorial's M5: Conv1d on raw waveforms, avg_pool1d, nll on dim 2."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim

    class M5(nn.Module):
        def __init__(self, n_input=1, n_output=35, stride=16, n_channel=32):
            super().__init__()
            self.conv1 = nn.Conv1d(n_input, n_channel, kernel_size=80, stride=stride)
            self.bn1 = nn.BatchNorm1d(n_channel)
            self.pool1 = nn.MaxPool1d(4)
            self.conv2 = nn.Conv1d(n_channel, n_channel, kernel_size=3)
            self.bn2 = nn.BatchNorm1d(n_channel)
            self.pool2 = nn.MaxPool1d(4)
            self.conv3 = nn.Conv1d(n_channel, 2 * n_channel, kernel_size=3)
            self.bn3 = nn.BatchNorm1d(2 * n_channel)
            self.pool3 = nn.MaxPool1d(4)
            self.conv4 = nn.Conv1d(2 * n_channel, 2 * n_channel, kernel_size=3)
            self.bn4 = nn.BatchNorm1d(2 * n_channel)
            self.pool4 = nn.MaxPool1d(4)
            self.fc1 = nn.Linear(2 * n_channel, n_output)

        def forward(self, x):
            x = self.pool1(F.relu(self.bn1(self.conv1(x))))
            x = self.pool2(F.relu(self.bn2(self.conv2(x))))
            x = self.pool3(F.relu(self.bn3(self.conv3(x))))
            x = self.pool4(F.relu(self.bn4(self.conv4(x))))
            x = F.avg_pool1d(x, x.shape[-1])
            x = x.permute(0, 2, 1)
            x = self.fc1(x)
            return F.log_softmax(x, dim=2)

    model = M5(n_input=1, n_output=35, n_channel=4)
    fill_parameters(torch, model)
    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=0.0001)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.1)
    waveform = torch.tensor(data((4, 1, 8000)))
    target = torch.tensor(labels(4, 35))
    model.train()
    losses = []
    for _ in range(2):
        output = model(waveform)
        loss = F.nll_loss(output.squeeze(), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    scheduler.step()
    model.eval()
    pred = model(waveform).argmax(dim=-1)
    correct = pred.squeeze().eq(target).sum().item()
    return losses, n, correct, pred


def resnet3d_video(torch):
    """kenshohara's 3D-ResNets: conv3x3x3, BatchNorm3d, MaxPool3d, AdaptiveAvgPool3d, a step."""
    nn = torch.nn

    def conv3x3x3(in_planes, out_planes, stride=1):
        return nn.Conv3d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)

    def conv1x1x1(in_planes, out_planes, stride=1):
        return nn.Conv3d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)

    class BasicBlock(nn.Module):
        expansion = 1

        def __init__(self, in_planes, planes, stride=1, downsample=None):
            super().__init__()
            self.conv1 = conv3x3x3(in_planes, planes, stride)
            self.bn1 = nn.BatchNorm3d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = conv3x3x3(planes, planes)
            self.bn2 = nn.BatchNorm3d(planes)
            self.downsample = downsample

        def forward(self, x):
            residual = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.downsample is not None:
                residual = self.downsample(x)
            out += residual
            return self.relu(out)

    class ResNet(nn.Module):
        def __init__(self, block, layers, block_inplanes, n_input_channels=3, n_classes=4):
            super().__init__()
            self.in_planes = block_inplanes[0]
            self.conv1 = nn.Conv3d(n_input_channels, self.in_planes, kernel_size=(7, 7, 7),
                                   stride=(1, 2, 2), padding=(3, 3, 3), bias=False)  # fmt: skip
            self.bn1 = nn.BatchNorm3d(self.in_planes)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool3d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(block, block_inplanes[0], layers[0])
            self.layer2 = self._make_layer(block, block_inplanes[1], layers[1], stride=2)
            self.avgpool = nn.AdaptiveAvgPool3d((1, 1, 1))
            self.fc = nn.Linear(block_inplanes[1] * block.expansion, n_classes)
            for m in self.modules():
                if isinstance(m, nn.Conv3d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, nn.BatchNorm3d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

        def _make_layer(self, block, planes, blocks, stride=1):
            downsample = None
            if stride != 1 or self.in_planes != planes * block.expansion:
                downsample = nn.Sequential(
                    conv1x1x1(self.in_planes, planes * block.expansion, stride),
                    nn.BatchNorm3d(planes * block.expansion),
                )
            layers = [block(self.in_planes, planes, stride=stride, downsample=downsample)]
            self.in_planes = planes * block.expansion
            for _i in range(1, blocks):
                layers.append(block(self.in_planes, planes))
            return nn.Sequential(*layers)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer2(self.layer1(x))
            x = self.avgpool(x)
            x = x.view(x.size(0), -1)
            return self.fc(x)

    model = ResNet(BasicBlock, [1, 1], [4, 8])
    fill_parameters(torch, model)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, dampening=0.0,
                                weight_decay=1e-3, nesterov=True)  # fmt: skip
    clips, targets = torch.tensor(data((4, 3, 4, 16, 16))), torch.tensor(labels(4, 4))
    losses = []
    for _ in range(2):
        outputs = model(clips)
        loss = criterion(outputs, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    return losses, model(clips), model.bn1.running_var


def conv_autoencoder(torch):
    """A convolutional autoencoder: strided Conv2d down, ConvTranspose2d with output_padding up."""
    nn = torch.nn

    class Autoencoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(
                nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(),
                nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.ReLU(),
                nn.Conv2d(8, 16, 7),
            )  # fmt: skip
            self.decoder = nn.Sequential(
                nn.ConvTranspose2d(16, 8, 7), nn.ReLU(),
                nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid(),
            )  # fmt: skip

        def forward(self, x):
            encoded = self.encoder(x)
            return self.decoder(encoded)

    model = Autoencoder()
    fill_parameters(torch, model)
    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    img = torch.tensor(data((4, 1, 28, 28), low=0.0))
    outputs = []
    for epoch in range(3):
        recon = model(img)
        loss = criterion(recon, img)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        outputs.append((epoch, loss.item()))
    return outputs, model.encoder(img).shape, recon[0, 0, :4, :4]


def pytorch_gan_variable_float_tensor(torch):
    """eriklindernoren/PyTorch-GAN's gan.py: ``Tensor = torch.cuda.FloatTensor if cuda else
    torch.FloatTensor``, Variable, BatchNorm1d(out, 0.8), BCELoss, NumPy noise, MNIST through
    Resize + ToTensor + Normalize([0.5], [0.5])."""
    from PIL import Image

    nn, transforms = torch.nn, torchvision(torch).transforms
    Variable = torch.autograd.Variable
    latent_dim, img_size, channels = 8, 8, 1
    img_shape = (channels, img_size, img_size)
    cuda = True if torch.cuda.is_available() else False  # noqa: SIM210 - the authors

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()

            def block(in_feat, out_feat, normalize=True):
                layers = [nn.Linear(in_feat, out_feat)]
                if normalize:
                    layers.append(nn.BatchNorm1d(out_feat, 0.8))
                layers.append(nn.LeakyReLU(0.2, inplace=True))
                return layers

            self.model = nn.Sequential(
                *block(latent_dim, 16, normalize=False),
                *block(16, 32),
                nn.Linear(32, int(np.prod(img_shape))),
                nn.Tanh(),
            )

        def forward(self, z):
            img = self.model(z)
            return img.view(img.size(0), *img_shape)

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = nn.Sequential(
                nn.Linear(int(np.prod(img_shape)), 16), nn.LeakyReLU(0.2, inplace=True),
                nn.Linear(16, 1), nn.Sigmoid(),
            )  # fmt: skip

        def forward(self, img):
            img_flat = img.view(img.size(0), -1)
            return self.model(img_flat)

    adversarial_loss = torch.nn.BCELoss()
    generator, discriminator = Generator(), Discriminator()
    fill_parameters(torch, generator, seed=1)
    fill_parameters(torch, discriminator, seed=2)
    if cuda:
        generator.cuda()
        discriminator.cuda()
    transform = transforms.Compose(
        [transforms.Resize(img_size), transforms.ToTensor(), transforms.Normalize([0.5], [0.5])]
    )
    digits = np.random.default_rng(9).integers(0, 256, (4, 28, 28)).astype(np.uint8)
    imgs = torch.stack([transform(Image.fromarray(digit)) for digit in digits])
    optimizer_G = torch.optim.Adam(generator.parameters(), lr=0.0002, betas=(0.5, 0.999))
    optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=0.0002, betas=(0.5, 0.999))
    Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor
    np.random.seed(0)
    history = []
    for _i in range(2):
        valid = Variable(Tensor(imgs.size(0), 1).fill_(1.0), requires_grad=False)
        fake = Variable(Tensor(imgs.size(0), 1).fill_(0.0), requires_grad=False)
        real_imgs = Variable(imgs.type(Tensor))
        optimizer_G.zero_grad()
        z = Variable(Tensor(np.random.normal(0, 1, (imgs.shape[0], latent_dim))))
        gen_imgs = generator(z)
        g_loss = adversarial_loss(discriminator(gen_imgs), valid)
        g_loss.backward()
        optimizer_G.step()
        optimizer_D.zero_grad()
        real_loss = adversarial_loss(discriminator(real_imgs), valid)
        fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
        d_loss = (real_loss + fake_loss) / 2
        d_loss.backward()
        optimizer_D.step()
        history.append([d_loss.item(), g_loss.item()])
    return history, gen_imgs.data[:2], real_imgs[0, 0, :3]


def text_cnn_kim_embedding(torch):
    """Kim's sentence CNN (Shawn1993/cnn-text-classification-pytorch): nn.Embedding, Conv2d over
    (width, embedding) windows, max_pool1d over time, train() and eval()'s accuracy count."""
    nn, F = torch.nn, torch.nn.functional

    class CNN_Text(nn.Module):  # noqa: N801 - the authors
        def __init__(self, args):
            super().__init__()
            self.args = args
            V, D, C = args.embed_num, args.embed_dim, args.class_num
            Ci, Co, Ks = 1, args.kernel_num, args.kernel_sizes
            self.embed = nn.Embedding(V, D, padding_idx=0)
            self.convs1 = nn.ModuleList([nn.Conv2d(Ci, Co, (K, D)) for K in Ks])
            self.dropout = nn.Dropout(args.dropout)
            self.fc1 = nn.Linear(len(Ks) * Co, C)

        def forward(self, x):
            x = self.embed(x)  # (N, W, D)
            if self.args.static:
                x = torch.autograd.Variable(x)
            x = x.unsqueeze(1)  # (N, Ci, W, D)
            x = [F.relu(conv(x)).squeeze(3) for conv in self.convs1]  # [(N, Co, W), ...]
            x = [F.max_pool1d(i, i.size(2)).squeeze(2) for i in x]  # [(N, Co), ...]
            x = torch.cat(x, 1)
            x = self.dropout(x)
            return self.fc1(x)

    class Args:  # argparse's namespace in the script
        embed_num, embed_dim, class_num, kernel_num, kernel_sizes = 20, 6, 3, 4, [3, 4, 5]
        dropout, static, lr, epochs = 0.0, False, 0.001, 2  # dropout 0: no random draws

    args = Args()
    model = CNN_Text(args)
    fill_parameters(torch, model)
    rng = np.random.default_rng(13)
    batches = [(torch.tensor(rng.integers(0, 20, (4, 9))), torch.tensor(labels(4, 3, seed=s)))
               for s in range(2)]  # fmt: skip
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    history = []
    model.train()
    for _epoch in range(1, args.epochs + 1):
        for feature, target in batches:
            optimizer.zero_grad()
            logit = model(feature)
            loss = F.cross_entropy(logit, target)
            loss.backward()
            optimizer.step()
            corrects = (torch.max(logit, 1)[1].view(target.size()).data == target.data).sum()
            accuracy = 100.0 * corrects / feature.shape[0]
            history.append([loss.item(), accuracy.item()])
    model.eval()
    return history, model.embed.weight[0], model(batches[0][0])
