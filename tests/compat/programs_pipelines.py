"""Issue 28's public programs, around the model: the transfer-learning tutorial's ImageFolder
pipeline, make_grid/save_image as GAN scripts dump samples, and the seed_everything block.

Each is written the way its authors write it; the data are small fakes built here.
"""

from __future__ import annotations

import io

import numpy as np
from tests.compat.harness import data, fill_parameters, torchvision


def gan_samples_make_grid_save_image(torch):
    """PyTorch-GAN's sample dump and the STN tutorial's figure: torchvision.utils.make_grid
    (normalize, nrow, padding) and save_image to a PNG, read back with Pillow."""
    from PIL import Image

    vutils = torchvision(torch).utils
    gen_imgs = torch.tanh(torch.tensor(data((6, 3, 8, 8))) * 2)
    grid = vutils.make_grid(gen_imgs[:4], nrow=2, padding=2, normalize=True)
    buffer = io.BytesIO()
    vutils.save_image(gen_imgs.data[:4], buffer, format="png", nrow=2, normalize=True)
    buffer.seek(0)
    png = np.asarray(Image.open(buffer))
    in_grid = vutils.make_grid(gen_imgs).numpy().transpose((1, 2, 0))
    return grid, png, in_grid


def _hymenoptera_folder(root):
    """hymenoptera_data/{train,val}/{ants,bees}/*.png: small RGB pictures of several sizes."""
    import os

    from PIL import Image

    rng = np.random.default_rng(11)
    for split, count in (("train", 3), ("val", 2)):
        for label in ("ants", "bees"):
            os.makedirs(os.path.join(root, split, label))
            for i in range(count):
                size = (int(rng.integers(36, 48)), int(rng.integers(36, 48)), 3)
                picture = rng.integers(0, 256, size).astype(np.uint8)
                Image.fromarray(picture).save(os.path.join(root, split, label, f"{i}.png"))


def transfer_learning_imagefolder_pipeline(torch):
    """The transfer-learning tutorial's data: ImageFolder on train/val folders, RandomResizedCrop
    and flips for train, Resize + CenterCrop for val, a frozen resnet18 scored on val.

    The training crops come from each library's own stream, so the train loader is checked by
    shapes and labels; the val pass (deterministic transforms, before any step) by its numbers.
    """
    import os
    import tempfile

    nn, tv = torch.nn, torchvision(torch)
    datasets, models, transforms = tv.datasets, tv.models, tv.transforms
    data_transforms = {
        "train": transforms.Compose([
            transforms.RandomResizedCrop(32),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        ]),
        "val": transforms.Compose([
            transforms.Resize(36),
            transforms.CenterCrop(32),
            transforms.ToTensor(),
            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        ]),
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as data_dir:
        _hymenoptera_folder(data_dir)
        image_datasets = {x: datasets.ImageFolder(os.path.join(data_dir, x), data_transforms[x])
                          for x in ["train", "val"]}  # fmt: skip
        dataloaders = {x: torch.utils.data.DataLoader(image_datasets[x], batch_size=4,
                                                      shuffle=True, num_workers=0)
                       for x in ["train", "val"]}  # fmt: skip
        dataset_sizes = {x: len(image_datasets[x]) for x in ["train", "val"]}
        class_names = image_datasets["train"].classes
        inputs, classes = next(iter(dataloaders["train"]))
        train_view = [list(inputs.shape), sorted(classes.tolist()), inputs.abs().max().item() < 3]
        model_conv = models.resnet18(weights=None)
        for param in model_conv.parameters():
            param.requires_grad = False
        model_conv.fc = nn.Linear(model_conv.fc.in_features, len(class_names))
        fill_parameters(torch, model_conv, scale=0.1)
        criterion = nn.CrossEntropyLoss()
        model_conv.eval()
        running_loss, running_corrects = 0.0, 0
        for inputs, labels_ in dataloaders["val"]:
            with torch.set_grad_enabled(False):
                outputs = model_conv(inputs)
                _, preds = torch.max(outputs, 1)
                loss = criterion(outputs, labels_)
            running_loss += loss.item() * inputs.size(0)
            running_corrects += torch.sum(preds == labels_.data)
        epoch_loss = running_loss / dataset_sizes["val"]
        epoch_acc = running_corrects.double() / dataset_sizes["val"]
        sample, target = image_datasets["val"][1]
    return class_names, dataset_sizes, train_view, epoch_loss, epoch_acc, sample, target


def seed_everything_reproducibility(torch):
    """The seed_everything block at the top of most training scripts (Python, NumPy, torch,
    CUDA, cuDNN flags, deterministic algorithms), then the same short run twice."""
    import random

    nn = torch.nn

    def seed_everything(seed=42):
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        torch.cuda.manual_seed(seed)
        torch.cuda.manual_seed_all(seed)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        torch.use_deterministic_algorithms(True)

    def run():
        seed_everything(42)
        model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
        fill_parameters(torch, model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        x = torch.tensor(data((2, 1, 6, 6), seed=random.randint(0, 99)))
        losses = []
        for _ in range(2):
            optimizer.zero_grad()
            loss = model(x).pow(2).mean()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, np.random.randint(0, 1000)

    try:
        first, second = run(), run()
        return first, second, first == second, torch.backends.cudnn.deterministic
    finally:
        torch.use_deterministic_algorithms(False)
        torch.backends.cudnn.deterministic = False
