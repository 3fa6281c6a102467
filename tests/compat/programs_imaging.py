"""Issue 28's public programs, image-to-image side: two U-Nets (milesial's, Aladdin
Persson's), a segmentation dataset with paired transforms.functional, neural style and
super-resolution.

Each follows its best-known public version (milesial/Pytorch-UNet, the official tutorials,
pytorch/examples) with the channel counts shrunk so a step takes milliseconds; the code around
the layers is the authors'.
"""

# The authors' names are kept: ``input`` arguments, their isinstance chain.
# ruff: noqa: A001, A002, SIM101

from __future__ import annotations

import math

import numpy as np
from tests.compat.harness import data, fill_parameters, torchvision


def unet_milesial_segmentation(torch):
    """milesial/Pytorch-UNet: DoubleConv, Down, bilinear Up with F.pad, BCE + Dice, RMSprop."""
    nn, F = torch.nn, torch.nn.functional

    class DoubleConv(nn.Module):
        def __init__(self, in_channels, out_channels, mid_channels=None):
            super().__init__()
            if not mid_channels:
                mid_channels = out_channels
            self.double_conv = nn.Sequential(
                nn.Conv2d(in_channels, mid_channels, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(mid_channels),
                nn.ReLU(inplace=True),
                nn.Conv2d(mid_channels, out_channels, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True),
            )

        def forward(self, x):
            return self.double_conv(x)

    class Down(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            self.maxpool_conv = nn.Sequential(
                nn.MaxPool2d(2), DoubleConv(in_channels, out_channels)
            )

        def forward(self, x):
            return self.maxpool_conv(x)

    class Up(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
            self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)

        def forward(self, x1, x2):
            x1 = self.up(x1)
            diffY = x2.size()[2] - x1.size()[2]
            diffX = x2.size()[3] - x1.size()[3]
            x1 = F.pad(x1, [diffX // 2, diffX - diffX // 2, diffY // 2, diffY - diffY // 2])
            x = torch.cat([x2, x1], dim=1)
            return self.conv(x)

    class UNet(nn.Module):
        def __init__(self, n_channels, n_classes):
            super().__init__()
            self.n_channels, self.n_classes = n_channels, n_classes
            self.inc = DoubleConv(n_channels, 4)
            self.down1 = Down(4, 8)
            self.down2 = Down(8, 8)
            self.up1 = Up(16, 4)
            self.up2 = Up(8, 4)
            self.outc = nn.Conv2d(4, n_classes, kernel_size=1)

        def forward(self, x):
            x1 = self.inc(x)
            x2 = self.down1(x1)
            x3 = self.down2(x2)
            x = self.up1(x3, x2)
            x = self.up2(x, x1)
            return self.outc(x)

    def dice_coeff(input, target, reduce_batch_first=False, epsilon=1e-6):
        sum_dim = (-1, -2) if input.dim() == 2 or not reduce_batch_first else (-1, -2, -3)
        inter = 2 * (input * target).sum(dim=sum_dim)
        sets_sum = input.sum(dim=sum_dim) + target.sum(dim=sum_dim)
        sets_sum = torch.where(sets_sum == 0, inter, sets_sum)
        dice = (inter + epsilon) / (sets_sum + epsilon)
        return dice.mean()

    def dice_loss(input, target):
        return 1 - dice_coeff(input, target, reduce_batch_first=True)

    model = UNet(n_channels=3, n_classes=1)
    model = model.to(memory_format=torch.channels_last)
    fill_parameters(torch, model)
    optimizer = torch.optim.RMSprop(
        model.parameters(), lr=1e-3, weight_decay=1e-8, momentum=0.999, foreach=True
    )
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, "max", patience=5)
    criterion = nn.CrossEntropyLoss() if model.n_classes > 1 else nn.BCEWithLogitsLoss()
    images = torch.tensor(data((2, 3, 15, 15))).to(memory_format=torch.channels_last)
    true_masks = torch.tensor((data((2, 15, 15), seed=1) > 0).astype("int64"))
    model.train()
    losses = []
    for _ in range(3):
        masks_pred = model(images)
        loss = criterion(masks_pred.squeeze(1), true_masks.float())
        loss += dice_loss(F.sigmoid(masks_pred.squeeze(1)), true_masks.float())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        mask_pred = (F.sigmoid(model(images)) > 0.5).float()
        val_score = dice_coeff(mask_pred.squeeze(1), true_masks.float(), reduce_batch_first=False)
    scheduler.step(val_score)
    return losses, val_score, mask_pred


def unet_aladdin_persson_amp(torch):
    """Aladdin Persson's U-Net: ConvTranspose2d up, TF.resize when a skip is larger, and his
    train_fn with torch.cuda.amp's GradScaler and autocast (disabled without CUDA), then
    check_accuracy's pixel accuracy and Dice score."""
    nn = torch.nn
    TF = torchvision(torch).transforms.functional

    class DoubleConv(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            self.conv = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 3, 1, 1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True),
                nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True),
            )

        def forward(self, x):
            return self.conv(x)

    class UNET(nn.Module):
        def __init__(self, in_channels=3, out_channels=1, features=[4, 8]):  # noqa: B006
            super().__init__()
            self.ups, self.downs = nn.ModuleList(), nn.ModuleList()
            self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
            for feature in features:
                self.downs.append(DoubleConv(in_channels, feature))
                in_channels = feature
            for feature in reversed(features):
                self.ups.append(nn.ConvTranspose2d(feature * 2, feature, kernel_size=2, stride=2))
                self.ups.append(DoubleConv(feature * 2, feature))
            self.bottleneck = DoubleConv(features[-1], features[-1] * 2)
            self.final_conv = nn.Conv2d(features[0], out_channels, kernel_size=1)

        def forward(self, x):
            skip_connections = []
            for down in self.downs:
                x = down(x)
                skip_connections.append(x)
                x = self.pool(x)
            x = self.bottleneck(x)
            skip_connections = skip_connections[::-1]
            for idx in range(0, len(self.ups), 2):
                x = self.ups[idx](x)
                skip_connection = skip_connections[idx // 2]
                if x.shape != skip_connection.shape:
                    x = TF.resize(x, size=skip_connection.shape[2:])
                concat_skip = torch.cat((skip_connection, x), dim=1)
                x = self.ups[idx + 1](concat_skip)
            return self.final_conv(x)

    DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
    model = UNET(in_channels=3, out_channels=1).to(DEVICE)
    fill_parameters(torch, model)
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    scaler = torch.cuda.amp.GradScaler()
    loader = [(torch.tensor(data((2, 3, 18, 18), seed=s)),
               torch.tensor((data((2, 18, 18), seed=s + 5) > 0).astype(np.float32)))
              for s in range(2)]  # fmt: skip
    losses = []
    for _batch_idx, (data_, targets) in enumerate(loader):
        data_ = data_.to(device=DEVICE)
        targets = targets.float().unsqueeze(1).to(device=DEVICE)
        with torch.cuda.amp.autocast():
            predictions = model(data_)
            loss = loss_fn(predictions, targets)
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        losses.append(loss.item())
    num_correct, num_pixels, dice_score = 0, 0, 0
    model.eval()
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(DEVICE), y.to(DEVICE).unsqueeze(1)
            preds = torch.sigmoid(model(x))
            preds = (preds > 0.5).float()
            num_correct += (preds == y).sum()
            num_pixels += torch.numel(preds)
            dice_score += (2 * (preds * y).sum()) / ((preds + y).sum() + 1e-8)
    model.train()
    return losses, num_correct / num_pixels * 100, dice_score / len(loader)


def segmentation_paired_transforms_functional(torch):
    """The forum recipe for image/mask pairs: one draw from Python's ``random`` applied to both
    through torchvision.transforms.functional (resize, flips, rotate, crop, to_tensor, normalize),
    then a small fully convolutional net under CrossEntropyLoss over the mask's classes."""
    import random

    from PIL import Image

    nn = torch.nn
    transforms = torchvision(torch).transforms
    TF = transforms.functional
    rng = np.random.default_rng(7)
    images = rng.integers(0, 256, (4, 24, 24, 3)).astype(np.uint8)
    masks = rng.integers(0, 3, (4, 24, 24)).astype(np.uint8)

    class SegmentationDataset(torch.utils.data.Dataset):
        def __init__(self, images, masks):
            self.images, self.masks = images, masks

        def transform(self, image, mask):
            resize = transforms.Resize(size=(20, 20))
            image = resize(image)
            mask = TF.resize(mask, [20, 20], interpolation=TF.InterpolationMode.NEAREST)
            if random.random() > 0.5:
                image, mask = TF.hflip(image), TF.hflip(mask)
            if random.random() > 0.5:
                image, mask = TF.vflip(image), TF.vflip(mask)
            angle = random.choice([-30, -15, 0, 15, 30])
            image, mask = TF.rotate(image, angle), TF.rotate(mask, angle)
            i, j = random.randint(0, 4), random.randint(0, 4)
            image, mask = TF.crop(image, i, j, 16, 16), TF.crop(mask, i, j, 16, 16)
            image = TF.to_tensor(image)
            image = TF.normalize(image, [0.5, 0.5, 0.5], [0.25, 0.25, 0.25])
            return image, torch.from_numpy(np.array(mask, dtype=np.int64))

        def __getitem__(self, index):
            image = Image.fromarray(self.images[index])
            mask = Image.fromarray(self.masks[index])
            return self.transform(image, mask)

        def __len__(self):
            return len(self.images)

    random.seed(0)
    loader = torch.utils.data.DataLoader(SegmentationDataset(images, masks), batch_size=2)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 3, 1))
    fill_parameters(torch, model)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses, batches = [], []
    for _epoch in range(2):
        for image, mask in loader:
            optimizer.zero_grad()
            loss = criterion(model(image), mask)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            batches.append([image[:, :, :3, :3], mask[:, :4, :4]])
    return losses, batches


def neural_style_lbfgs(torch):
    """The neural-style tutorial: PIL images through Resize + ToTensor, Gram matrices, loss
    modules spliced into a Sequential, LBFGS on the input image, ToPILImage at the end."""
    from PIL import Image

    nn, F, optim = torch.nn, torch.nn.functional, torch.optim
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.set_default_device(device)

    class ContentLoss(nn.Module):
        def __init__(self, target):
            super().__init__()
            self.target = target.detach()

        def forward(self, input):
            self.loss = F.mse_loss(input, self.target)
            return input

    def gram_matrix(input):
        a, b, c, d = input.size()
        features = input.view(a * b, c * d)
        G = torch.mm(features, features.t())
        return G.div(a * b * c * d)

    class StyleLoss(nn.Module):
        def __init__(self, target_feature):
            super().__init__()
            self.target = gram_matrix(target_feature).detach()

        def forward(self, input):
            G = gram_matrix(input)
            self.loss = F.mse_loss(G, self.target)
            return input

    class Normalization(nn.Module):
        def __init__(self, mean, std):
            super().__init__()
            self.mean = torch.tensor(mean).view(-1, 1, 1)
            self.std = torch.tensor(std).view(-1, 1, 1)

        def forward(self, img):
            return (img - self.mean) / self.std

    cnn = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2), nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(),
    ).eval()  # fmt: skip
    fill_parameters(torch, cnn)
    cnn_normalization_mean = torch.tensor([0.485, 0.456, 0.406])
    cnn_normalization_std = torch.tensor([0.229, 0.224, 0.225])
    content_layers_default, style_layers_default = ["conv_2"], ["conv_1", "conv_2", "conv_3"]
    transforms = torchvision(torch).transforms
    imsize = 32 if torch.cuda.is_available() else 16
    loader = transforms.Compose([transforms.Resize(imsize), transforms.ToTensor()])
    unloader = transforms.ToPILImage()

    def image_loader(image_name):
        image = Image.fromarray(pictures[image_name])  # Image.open(image_name) in the tutorial
        image = loader(image).unsqueeze(0)
        return image.to(device, torch.float)

    pictures = {
        name: np.random.default_rng(seed).integers(0, 256, (24, 20, 3)).astype(np.uint8)
        for seed, name in enumerate(["picasso.jpg", "dancing.jpg"])
    }
    style_img = image_loader("picasso.jpg")
    content_img = image_loader("dancing.jpg")
    assert style_img.size() == content_img.size(), "style and content images of the same size"

    def get_style_model_and_losses(cnn, mean, std, style_img, content_img):
        normalization = Normalization(mean, std)
        content_losses, style_losses = [], []
        model = nn.Sequential(normalization)
        i = 0
        for layer in cnn.children():
            if isinstance(layer, nn.Conv2d):
                i += 1
                name = f"conv_{i}"
            elif isinstance(layer, nn.ReLU):
                name = f"relu_{i}"
                layer = nn.ReLU(inplace=False)
            elif isinstance(layer, nn.MaxPool2d):
                name = f"pool_{i}"
            else:
                raise RuntimeError(f"Unrecognized layer: {layer.__class__.__name__}")
            model.add_module(name, layer)
            if name in content_layers_default:
                content_loss = ContentLoss(model(content_img).detach())
                model.add_module(f"content_loss_{i}", content_loss)
                content_losses.append(content_loss)
            if name in style_layers_default:
                style_loss = StyleLoss(model(style_img).detach())
                model.add_module(f"style_loss_{i}", style_loss)
                style_losses.append(style_loss)
        for i in range(len(model) - 1, -1, -1):
            if isinstance(model[i], ContentLoss) or isinstance(model[i], StyleLoss):
                break
        model = model[: (i + 1)]
        return model, style_losses, content_losses

    def run_style_transfer(cnn, mean, std, content_img, style_img, input_img, num_steps=4,
                           style_weight=1000, content_weight=1):  # fmt: skip
        model, style_losses, content_losses = get_style_model_and_losses(
            cnn, mean, std, style_img, content_img
        )
        input_img.requires_grad_(True)
        model.eval()
        model.requires_grad_(False)
        optimizer = optim.LBFGS([input_img])
        run, scores = [0], []
        while run[0] <= num_steps:

            def closure():
                with torch.no_grad():
                    input_img.clamp_(0, 1)
                optimizer.zero_grad()
                model(input_img)
                style_score = sum(sl.loss for sl in style_losses) * style_weight
                content_score = sum(cl.loss for cl in content_losses) * content_weight
                loss = style_score + content_score
                loss.backward()
                run[0] += 1
                scores.append([style_score.item(), content_score.item()])
                return style_score + content_score

            optimizer.step(closure)
        with torch.no_grad():
            input_img.clamp_(0, 1)
        return input_img, scores, [name for name, _ in model.named_children()]

    input_img = content_img.clone()
    try:
        output, scores, names = run_style_transfer(
            cnn, cnn_normalization_mean, cnn_normalization_std, content_img, style_img, input_img
        )
    finally:
        torch.set_default_device(None)
    image = unloader(output.cpu().clone().squeeze(0))
    return output, scores, names, list(style_img.shape), np.asarray(image), image.size


def _super_resolution_dataset(torch, upscale_factor):
    """pytorch/examples' DatasetFromFolder: the Y channel of YCbCr images, CenterCrop + Resize
    for the input and CenterCrop for the target (four RGB pictures stand in for BSDS300)."""
    from PIL import Image

    transforms = torchvision(torch).transforms
    Compose, CenterCrop, ToTensor, Resize = (
        transforms.Compose,
        transforms.CenterCrop,
        transforms.ToTensor,
        transforms.Resize,
    )

    def calculate_valid_crop_size(crop_size, upscale_factor):
        return crop_size - (crop_size % upscale_factor)

    def input_transform(crop_size, upscale_factor):
        return Compose([CenterCrop(crop_size), Resize(crop_size // upscale_factor), ToTensor()])

    def target_transform(crop_size):
        return Compose([CenterCrop(crop_size), ToTensor()])

    def load_img(picture):
        img = Image.fromarray(picture).convert("YCbCr")  # Image.open(filepath) in the example
        y, _cb, _cr = img.split()
        return y

    class DatasetFromFolder(torch.utils.data.Dataset):
        def __init__(self, pictures, input_transform=None, target_transform=None):
            super().__init__()
            self.pictures = pictures
            self.input_transform, self.target_transform = input_transform, target_transform

        def __getitem__(self, index):
            input = load_img(self.pictures[index])
            target = input.copy()
            if self.input_transform:
                input = self.input_transform(input)
            if self.target_transform:
                target = self.target_transform(target)
            return input, target

        def __len__(self):
            return len(self.pictures)

    crop_size = calculate_valid_crop_size(20, upscale_factor)
    pictures = np.random.default_rng(5).integers(0, 256, (4, 22, 21, 3)).astype(np.uint8)
    return DatasetFromFolder(
        pictures,
        input_transform=input_transform(crop_size, upscale_factor),
        target_transform=target_transform(crop_size),
    )


def super_resolution_pixel_shuffle(torch):
    """pytorch/examples super_resolution: Y-channel data, orthogonal init, PixelShuffle, MSE,
    Adam, PSNR."""
    nn, init, optim = torch.nn, torch.nn.init, torch.optim

    class Net(nn.Module):
        def __init__(self, upscale_factor):
            super().__init__()
            self.relu = nn.ReLU()
            self.conv1 = nn.Conv2d(1, 8, (5, 5), (1, 1), (2, 2))
            self.conv2 = nn.Conv2d(8, 8, (3, 3), (1, 1), (1, 1))
            self.conv3 = nn.Conv2d(8, 4, (3, 3), (1, 1), (1, 1))
            self.conv4 = nn.Conv2d(4, upscale_factor**2, (3, 3), (1, 1), (1, 1))
            self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
            self._initialize_weights()

        def forward(self, x):
            x = self.relu(self.conv1(x))
            x = self.relu(self.conv2(x))
            x = self.relu(self.conv3(x))
            return self.pixel_shuffle(self.conv4(x))

        def _initialize_weights(self):
            init.orthogonal_(self.conv1.weight, init.calculate_gain("relu"))
            init.orthogonal_(self.conv2.weight, init.calculate_gain("relu"))
            init.orthogonal_(self.conv3.weight, init.calculate_gain("relu"))
            init.orthogonal_(self.conv4.weight)

    model = Net(upscale_factor=3)
    fill_parameters(torch, model)
    criterion = nn.MSELoss()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    training_data_loader = torch.utils.data.DataLoader(
        dataset=_super_resolution_dataset(torch, upscale_factor=3), batch_size=2, shuffle=False
    )
    history = []
    for _epoch in range(2):
        epoch_loss = 0
        for _iteration, batch in enumerate(training_data_loader, 1):
            input, target = batch[0], batch[1]
            optimizer.zero_grad()
            loss = criterion(model(input), target)
            epoch_loss += loss.item()
            loss.backward()
            optimizer.step()
        avg_psnr = 0
        with torch.no_grad():
            for batch in training_data_loader:
                prediction = model(batch[0])
                mse = criterion(prediction, batch[1])
                psnr = 10 * math.log10(1 / mse.item())
                avg_psnr += psnr
        history.append([epoch_loss / len(training_data_loader), avg_psnr / 2])
    input, target = next(iter(training_data_loader))
    return history, model(input).shape, input, target


def neural_style_adam_generated_image(torch):
    """The blog version of neural style (Aladdin Persson's): a VGG wrapper that collects chosen
    feature maps, Gram matrices by mm, the generated image optimised by Adam."""
    nn, optim = torch.nn, torch.optim

    features = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(4, 4, 3, padding=1),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2, 2),
        nn.Conv2d(4, 8, 3, padding=1),
        nn.ReLU(inplace=True),
    )  # fmt: skip  (models.vgg19(pretrained=True).features[:29] in the original)

    class VGG(nn.Module):
        def __init__(self):
            super().__init__()
            self.chosen_features = ["0", "2", "5"]
            self.model = features

        def forward(self, x):
            features = []
            for layer_num, layer in enumerate(self.model):
                x = layer(x)
                if str(layer_num) in self.chosen_features:
                    features.append(x)
            return features

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = VGG().to(device).eval()
    fill_parameters(torch, model)
    original_img = torch.tensor(data((1, 3, 12, 12), seed=1, low=0.0))
    style_img = torch.tensor(data((1, 3, 12, 12), seed=2, low=0.0))
    generated = original_img.clone().requires_grad_(True)
    total_steps, learning_rate, alpha, beta = 4, 0.01, 1, 0.01
    optimizer = optim.Adam([generated], lr=learning_rate)
    history = []
    for _step in range(total_steps):
        generated_features = model(generated)
        original_img_features = model(original_img)
        style_features = model(style_img)
        style_loss = original_loss = 0
        for gen_feature, orig_feature, style_feature in zip(
            generated_features, original_img_features, style_features, strict=True
        ):
            batch_size, channel, height, width = gen_feature.shape
            original_loss += torch.mean((gen_feature - orig_feature) ** 2)
            G = gen_feature.view(channel, height * width).mm(
                gen_feature.view(channel, height * width).t()
            )
            A = style_feature.view(channel, height * width).mm(
                style_feature.view(channel, height * width).t()
            )
            style_loss += torch.mean((G - A) ** 2)
        total_loss = alpha * original_loss + beta * style_loss
        optimizer.zero_grad()
        total_loss.backward()
        optimizer.step()
        history.append(total_loss.item())
    return history, generated
