"""Issue 28's public programs, training side: kuangliu's CIFAR script, the PyTorch quickstart
(two device lines), transfer learning with a frozen resnet18, a CIFAR-100 zoo loop, knowledge
distillation (soft targets, cosine on hidden representations), a siamese net and FGSM.

Each is written the way its authors write it (torchvision imported next to torch, datasets that
hand out PIL images, the tutorial's loops); the data are small fakes built here.
"""

from __future__ import annotations

import copy
import io

import numpy as np
from tests.compat.harness import data, fill_parameters, labels, torchvision


def _uint8_images(shape, seed=0):
    return np.random.default_rng(seed + 3000).integers(0, 256, size=shape).astype(np.uint8)


def _fake_vision_dataset(torch, images, targets):
    """A dataset the way torchvision's CIFAR10 and FashionMNIST are: uint8 arrays, PIL out."""
    from PIL import Image

    class FakeVisionDataset(torch.utils.data.Dataset):
        def __init__(self, train=True, transform=None, target_transform=None):
            self.train = train
            self.data, self.targets = images, [int(t) for t in targets]
            self.transform, self.target_transform = transform, target_transform

        def __getitem__(self, index):
            img, target = self.data[index], self.targets[index]
            img = Image.fromarray(img)
            if self.transform is not None:
                img = self.transform(img)
            if self.target_transform is not None:
                target = self.target_transform(target)
            return img, target

        def __len__(self):
            return len(self.data)

    return FakeVisionDataset


def _is_augmentation(batch, sources, mean, std, padding=4):
    """Whether each image of a batch is one crop (and maybe flip) of one padded source image."""
    images = batch * std.reshape(1, 3, 1, 1) + mean.reshape(1, 3, 1, 1)
    pads = ((0, 0), (padding, padding), (padding, padding), (0, 0))
    padded = np.pad(sources.astype(np.float64) / 255.0, pads).transpose(0, 3, 1, 2)
    size = sources.shape[1]
    found = []
    for image in images:
        match = False
        for dy in range(2 * padding + 1):
            for dx in range(2 * padding + 1):
                window = padded[:, :, dy : dy + size, dx : dx + size]
                for candidate in (window, window[..., ::-1]):
                    match = match or bool(
                        np.any(np.all(np.abs(candidate - image) < 1e-5, axis=(1, 2, 3)))
                    )
        found.append(match)
    return found


def kuangliu_cifar_training(torch):
    """kuangliu/pytorch-cifar's main.py: RandomCrop/Flip on PIL images, SGD + cosine, test().

    The crops and flips come from each library's own stream (torchvision's from torch's, juanji's
    from NumPy's), so the augmented epoch is checked by what does not depend on the draws: every
    training image is a crop-and-flip of one source image, shapes, labels seen; the test pass on
    the deterministic ``transform_test`` is compared number for number.
    """
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim
    transforms = torchvision(torch).transforms
    mean, std = (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)
    transform_train = transforms.Compose([
        transforms.RandomCrop(32, padding=4),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(mean, std),
    ])  # fmt: skip
    transform_test = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
    images, targets = _uint8_images((8, 32, 32, 3)), labels(8, 10)
    CIFAR10 = _fake_vision_dataset(torch, images, targets)
    trainset = CIFAR10(train=True, transform=transform_train)
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=4, shuffle=True, num_workers=0)
    testset = CIFAR10(train=False, transform=transform_test)
    testloader = torch.utils.data.DataLoader(testset, batch_size=4, shuffle=False, num_workers=0)

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            out = F.relu(self.conv1(x))
            out = F.max_pool2d(out, 2)
            out = F.relu(self.conv2(out))
            out = F.max_pool2d(out, 2)
            out = out.view(out.size(0), -1)
            out = F.relu(self.fc1(out))
            out = F.relu(self.fc2(out))
            return self.fc3(out)

    device = "cuda" if torch.cuda.is_available() else "cpu"
    net = LeNet().to(device)
    if device == "cuda":
        net = torch.nn.DataParallel(net)
        torch.backends.cudnn.benchmark = True
    fill_parameters(torch, net, scale=0.1)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=200)
    best_acc, record = 0, {}

    def train(epoch):
        net.train()
        train_loss, correct, total, seen, valid = 0, 0, 0, [], []
        for _batch_idx, (inputs, targets_) in enumerate(trainloader):
            inputs, targets_ = inputs.to(device), targets_.to(device)
            valid += _is_augmentation(inputs.numpy(), images, np.array(mean), np.array(std))
            seen += targets_.tolist()
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, targets_)
            loss.backward()
            optimizer.step()
            train_loss += loss.item()
            _, predicted = outputs.max(1)
            total += targets_.size(0)
            correct += predicted.eq(targets_).sum().item()
        record[f"train{epoch}"] = [total, sorted(seen), all(valid), bool(np.isfinite(train_loss))]

    def test(epoch):
        nonlocal best_acc
        net.eval()
        test_loss, correct, total = 0, 0, 0
        with torch.no_grad():
            for _batch_idx, (inputs, targets_) in enumerate(testloader):
                inputs, targets_ = inputs.to(device), targets_.to(device)
                outputs = net(inputs)
                loss = criterion(outputs, targets_)
                test_loss += loss.item()
                _, predicted = outputs.max(1)
                total += targets_.size(0)
                correct += predicted.eq(targets_).sum().item()
        acc = 100.0 * correct / total
        record[f"test{epoch}"] = [test_loss, acc]
        if acc >= best_acc:  # '>' in the script; '>=' so that this run always saves one
            state = {"net": net.state_dict(), "acc": acc, "epoch": epoch}
            checkpoint_file.seek(0)
            torch.save(state, checkpoint_file)
            best_acc = acc

    checkpoint_file = io.BytesIO()  # ./checkpoint/ckpt.pth in the script
    test(-1)
    for epoch in range(0, 2):
        train(epoch)
        scheduler.step()
    # --resume: a fresh net from the best checkpoint
    net = LeNet().to(device)
    checkpoint_file.seek(0)
    checkpoint = torch.load(checkpoint_file)
    net.load_state_dict(checkpoint["net"])
    best_acc, start_epoch = checkpoint["acc"], checkpoint["epoch"]
    test(start_epoch + 1)
    return record, scheduler.get_last_lr(), _sample_shape(trainset), best_acc, start_epoch


def _sample_shape(dataset):
    image, target = dataset[0]
    return list(image.shape), str(image.dtype).split(".")[-1], target


def pytorch_quickstart_fashion_mnist(torch):
    """The PyTorch quickstart as published since 2025: torch.accelerator picks the device."""
    device = (
        torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
    )
    return _quickstart(torch, device)


def pytorch_quickstart_2023_device_line(torch):
    """The quickstart as published until 2024: cuda, else mps, else cpu."""
    device = (
        "cuda"
        if torch.cuda.is_available()
        else "mps"
        if torch.backends.mps.is_available()
        else "cpu"
    )
    return _quickstart(torch, device)


def _quickstart(torch, device):
    """The quickstart after its device line: ToTensor on FashionMNIST, a Flatten + Linear
    stack, train/test loops, save and load the state dict, one prediction by class name."""
    nn = torch.nn
    ToTensor = torchvision(torch).transforms.ToTensor
    DataLoader = torch.utils.data.DataLoader
    FashionMNIST = _fake_vision_dataset(torch, _uint8_images((12, 28, 28)), labels(12, 10))
    training_data = FashionMNIST(train=True, transform=ToTensor())
    test_data = FashionMNIST(train=False, transform=ToTensor())
    batch_size = 4
    train_dataloader = DataLoader(training_data, batch_size=batch_size)
    test_dataloader = DataLoader(test_data, batch_size=batch_size)
    for X, y in test_dataloader:
        shapes = [list(X.shape), list(y.shape), str(y.dtype).split(".")[-1]]
        break

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(28 * 28, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10)
            )

        def forward(self, x):
            x = self.flatten(x)
            return self.linear_relu_stack(x)

    model = NeuralNetwork().to(device)
    fill_parameters(torch, model, scale=0.05)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    history = []

    def train(dataloader, model, loss_fn, optimizer):
        model.train()
        for batch, (X, y) in enumerate(dataloader):
            X, y = X.to(device), y.to(device)
            pred = model(X)
            loss = loss_fn(pred, y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            if batch % 1 == 0:
                loss, current = loss.item(), (batch + 1) * len(X)
                history.append([loss, current, len(dataloader.dataset)])

    def test(dataloader, model, loss_fn):
        size = len(dataloader.dataset)
        num_batches = len(dataloader)
        model.eval()
        test_loss, correct = 0, 0
        with torch.no_grad():
            for X, y in dataloader:
                X, y = X.to(device), y.to(device)
                pred = model(X)
                test_loss += loss_fn(pred, y).item()
                correct += (pred.argmax(1) == y).type(torch.float).sum().item()
        history.append([test_loss / num_batches, correct / size])

    for _t in range(2):
        train(train_dataloader, model, loss_fn, optimizer)
        test(test_dataloader, model, loss_fn)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    model = NeuralNetwork().to(device)
    model.load_state_dict(torch.load(buffer, weights_only=True))
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]  # fmt: skip
    model.eval()
    x, y = test_data[0][0], test_data[0][1]
    with torch.no_grad():
        x = x.to(device)
        pred = model(x)
        predicted, actual = classes[pred[0].argmax(0)], classes[y]
    return history, shapes, predicted, actual, pred


def transfer_learning_frozen_resnet18(torch):
    """The transfer-learning tutorial's 'ConvNet as fixed feature extractor', pretrained=False."""
    nn, optim, lr_scheduler = torch.nn, torch.optim, torch.optim.lr_scheduler
    models = torchvision(torch).models
    model_conv = models.resnet18(pretrained=False)
    for param in model_conv.parameters():
        param.requires_grad = False
    num_ftrs = model_conv.fc.in_features
    model_conv.fc = nn.Linear(num_ftrs, 2)
    fill_parameters(torch, model_conv, scale=0.1)
    criterion = nn.CrossEntropyLoss()
    optimizer_conv = optim.SGD(model_conv.fc.parameters(), lr=0.001, momentum=0.9)
    exp_lr_scheduler = lr_scheduler.StepLR(optimizer_conv, step_size=7, gamma=0.1)
    dataloaders = {
        phase: [(torch.tensor(data((4, 3, 32, 32), seed=s)), torch.tensor(labels(4, 2, seed=s)))
                for s in seeds]
        for phase, seeds in (("train", (1, 2)), ("val", (3,)))
    }  # fmt: skip
    dataset_sizes = {phase: 4 * len(batches) for phase, batches in dataloaders.items()}
    best_model_wts, best_acc, history = copy.deepcopy(model_conv.state_dict()), 0.0, []
    for _epoch in range(2):
        for phase in ["train", "val"]:
            model_conv.train() if phase == "train" else model_conv.eval()
            running_loss, running_corrects = 0.0, 0
            for inputs, label in dataloaders[phase]:
                optimizer_conv.zero_grad()
                with torch.set_grad_enabled(phase == "train"):
                    outputs = model_conv(inputs)
                    _, preds = torch.max(outputs, 1)
                    loss = criterion(outputs, label)
                    if phase == "train":
                        loss.backward()
                        optimizer_conv.step()
                running_loss += loss.item() * inputs.size(0)
                running_corrects += torch.sum(preds == label.data)
            if phase == "train":
                exp_lr_scheduler.step()
            epoch_loss = running_loss / dataset_sizes[phase]
            epoch_acc = running_corrects.double() / dataset_sizes[phase]
            history.append([phase, epoch_loss, epoch_acc.item()])
            if phase == "val" and epoch_acc > best_acc:
                best_acc = epoch_acc
                best_model_wts = copy.deepcopy(model_conv.state_dict())
    model_conv.load_state_dict(best_model_wts)
    frozen = [name for name, p in model_conv.named_parameters() if not p.requires_grad]
    return history, len(frozen), model_conv.fc.weight, model_conv.layer1[0].bn1.running_mean


def cifar100_model_zoo_loop(torch):
    """weiaicunzai/pytorch-cifar100's train.py over several torchvision builders (weights=None,
    num_classes=100): its WarmUpLR subclass of _LRScheduler stepped per batch in the warm-up
    epoch, MultiStepLR after it, and eval_training's loss and accuracy."""
    nn, optim = torch.nn, torch.optim
    _LRScheduler = torch.optim.lr_scheduler._LRScheduler
    models = torchvision(torch).models

    class WarmUpLR(_LRScheduler):
        def __init__(self, optimizer, total_iters, last_epoch=-1):
            self.total_iters = total_iters
            super().__init__(optimizer, last_epoch)

        def get_lr(self):
            return [base_lr * self.last_epoch / (self.total_iters + 1e-8)
                    for base_lr in self.base_lrs]  # fmt: skip

    training_loader = [(torch.tensor(data((4, 3, 32, 32), seed=s)),
                        torch.tensor(labels(4, 100, seed=s))) for s in range(1)]  # fmt: skip
    test_loader = training_loader[:1]
    warm, milestones, results = 1, [60, 120, 160], {}
    for name in ["resnet18", "mobilenet_v2", "squeezenet1_1"]:
        net = models.__dict__[name](weights=None, num_classes=100)
        fill_parameters(torch, net, scale=0.05)
        for m in net.modules():  # dropout off so both libraries draw nothing at random
            if isinstance(m, nn.Dropout):
                m.p = 0.0
        loss_function = nn.CrossEntropyLoss()
        optimizer = optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
        train_scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=0.2)
        iter_per_epoch = len(training_loader)
        warmup_scheduler = WarmUpLR(optimizer, iter_per_epoch * warm)
        history = []
        for epoch in range(1, 3):
            if epoch > warm:
                train_scheduler.step(epoch)
            net.train()
            for _batch_index, (images, targets) in enumerate(training_loader):
                optimizer.zero_grad()
                outputs = net(images)
                loss = loss_function(outputs, targets)
                loss.backward()
                optimizer.step()
                history.append([loss.item(), optimizer.param_groups[0]["lr"]])
                if epoch <= warm:
                    warmup_scheduler.step()
            net.eval()
            test_loss, correct = 0.0, 0.0
            with torch.no_grad():
                for images, targets in test_loader:
                    outputs = net(images)
                    test_loss += loss_function(outputs, targets).item()
                    _, preds = outputs.max(1)
                    correct += preds.eq(targets).sum()
            history.append([test_loss / 4, correct.float() / 4])
        results[name] = history
    return results


def knowledge_distillation_kl_temperature(torch):
    """The KD tutorial's soft-target loss, and the common KLDivLoss(batchmean) * T^2 form."""
    nn, F = torch.nn, torch.nn.functional

    def net(width):
        return nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(width * 4 * 4, 10),
        )  # fmt: skip

    teacher, student = net(8), net(4)
    fill_parameters(torch, teacher, seed=1)
    fill_parameters(torch, student, seed=2)
    optimizer = torch.optim.Adam(student.parameters(), lr=1e-3)
    ce_loss = nn.CrossEntropyLoss()
    T, soft_target_loss_weight, ce_loss_weight, alpha = 2, 0.25, 0.75, 0.9
    inputs, label = torch.tensor(data((4, 3, 8, 8))), torch.tensor(labels(4, 10))
    teacher.eval()
    student.train()
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        with torch.no_grad():
            teacher_logits = teacher(inputs)
        student_logits = student(inputs)
        soft_targets = nn.functional.softmax(teacher_logits / T, dim=-1)
        soft_prob = nn.functional.log_softmax(student_logits / T, dim=-1)
        soft_targets_loss = (
            torch.sum(soft_targets * (soft_targets.log() - soft_prob)) / soft_prob.size()[0]
        ) * (T**2)
        label_loss = ce_loss(student_logits, label)
        loss = soft_target_loss_weight * soft_targets_loss + ce_loss_weight * label_loss
        kd = nn.KLDivLoss(reduction="batchmean")(
            F.log_softmax(student_logits / T, dim=1), F.softmax(teacher_logits / T, dim=1)
        ) * (alpha * T * T) + F.cross_entropy(student_logits, label) * (1.0 - alpha)
        (loss + kd).backward()
        optimizer.step()
        losses.append([loss.item(), kd.item(), soft_targets_loss.item()])
    return losses, student[-1].weight.grad


def siamese_cosine_triplet_contrastive(torch):
    """A siamese embedding net under CosineEmbeddingLoss, TripletMarginLoss and contrastive loss."""
    nn, F = torch.nn, torch.nn.functional

    class SiameseNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.cnn1 = nn.Sequential(
                nn.Conv2d(1, 4, kernel_size=3), nn.ReLU(inplace=True), nn.MaxPool2d(2, stride=2),
                nn.Conv2d(4, 8, kernel_size=3), nn.ReLU(inplace=True),
            )  # fmt: skip
            self.fc1 = nn.Sequential(nn.Linear(8 * 2 * 2, 16), nn.ReLU(inplace=True),
                                     nn.Linear(16, 8))  # fmt: skip

        def forward_once(self, x):
            output = self.cnn1(x)
            output = output.view(output.size()[0], -1)
            return self.fc1(output)

        def forward(self, input1, input2):
            return self.forward_once(input1), self.forward_once(input2)

    class ContrastiveLoss(torch.nn.Module):
        def __init__(self, margin=2.0):
            super().__init__()
            self.margin = margin

        def forward(self, output1, output2, label):
            euclidean_distance = F.pairwise_distance(output1, output2, keepdim=True)
            return torch.mean(
                (1 - label) * torch.pow(euclidean_distance, 2)
                + label * torch.pow(torch.clamp(self.margin - euclidean_distance, min=0.0), 2)
            )

    net = SiameseNetwork()
    fill_parameters(torch, net)
    cosine = nn.CosineEmbeddingLoss(margin=0.5)
    triplet = nn.TripletMarginLoss(margin=1.0, p=2)
    contrastive = ContrastiveLoss()
    optimizer = torch.optim.Adam(net.parameters(), lr=0.0005)
    img0, img1, img2 = (torch.tensor(data((4, 1, 10, 10), seed=s)) for s in (1, 2, 3))
    same = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
    target = torch.tensor([1.0, -1.0, -1.0, 1.0])
    history = []
    for _ in range(3):
        optimizer.zero_grad()
        output1, output2 = net(img0, img1)
        anchor, positive, negative = output1, net.forward_once(img0 * 0.9), output2
        losses = [cosine(output1, output2, target), triplet(anchor, positive, negative),
                  contrastive(output1, output2, same)]  # fmt: skip
        sum(losses).backward()
        optimizer.step()
        history.append([loss.item() for loss in losses])
    similarity = F.cosine_similarity(*net(img0, img2))
    return history, similarity


def fgsm_attack_tutorial(torch):
    """The FGSM tutorial: input gradients, sign, clamp to [0, 1], accuracy per epsilon."""
    nn, F = torch.nn, torch.nn.functional

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

    def fgsm_attack(image, epsilon, data_grad):
        sign_data_grad = data_grad.sign()
        perturbed_image = image + epsilon * sign_data_grad
        return torch.clamp(perturbed_image, 0, 1)

    def denorm(batch, mean=(0.1307,), std=(0.3081,)):
        mean = torch.tensor(mean).to(batch.device)
        std = torch.tensor(std).to(batch.device)
        return batch * std.view(1, -1, 1, 1) + mean.view(1, -1, 1, 1)

    trained = Net()  # lenet_mnist_model.pth in the tutorial
    fill_parameters(torch, trained)
    pretrained_model = io.BytesIO()
    torch.save(trained.state_dict(), pretrained_model)
    pretrained_model.seek(0)
    use_cuda = True
    device = torch.device("cuda" if use_cuda and torch.cuda.is_available() else "cpu")
    model = Net().to(device)
    model.load_state_dict(torch.load(pretrained_model, map_location=device, weights_only=True))
    model.eval()
    accuracies, examples = [], []
    for epsilon in [0, 0.05, 0.1]:
        correct, adv_examples = 0, []
        test_loader = [
            (torch.tensor(data((1, 1, 14, 14), s)), torch.tensor(labels(1, 10, s)))
            for s in range(4)
        ]  # a DataLoader hands out new tensors every epoch
        for data_, target in test_loader:
            data_.requires_grad = True
            output = model(data_)
            init_pred = output.max(1, keepdim=True)[1]
            loss = F.nll_loss(output, target)
            model.zero_grad()
            loss.backward()
            data_grad = data_.grad.data
            data_denorm = denorm(data_)
            perturbed_data = fgsm_attack(data_denorm, epsilon, data_grad)
            perturbed_data_normalized = torchvision(torch).transforms.Normalize(
                (0.1307,), (0.3081,))(perturbed_data)  # fmt: skip
            output = model(perturbed_data_normalized)
            final_pred = output.max(1, keepdim=True)[1]
            if final_pred.item() == target.item():
                correct += 1
            adv_ex = perturbed_data.squeeze().detach().cpu().numpy()
            adv_examples.append((init_pred.item(), final_pred.item(), adv_ex))
        accuracies.append(correct / float(len(test_loader)))
        examples.append(adv_examples)
    return accuracies, examples


def knowledge_distillation_cosine_hidden(torch):
    """The KD tutorial's cosine run: the teacher's hidden representation pooled with avg_pool1d
    on a 2-D (unbatched) input, matched by CosineEmbeddingLoss with an all-ones target."""
    nn, F = torch.nn, torch.nn.functional

    class ModifiedDeepNNCosine(nn.Module):
        def __init__(self, num_classes=10, width=8):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, width, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2)
            )
            self.classifier = nn.Sequential(nn.Linear(width * 4 * 4, 16), nn.ReLU(),
                                            nn.Linear(16, num_classes))  # fmt: skip

        def forward(self, x):
            x = self.features(x)
            flattened_conv_output = torch.flatten(x, 1)
            x = self.classifier(flattened_conv_output)
            flattened_conv_output_after_pooling = F.avg_pool1d(flattened_conv_output, 2)
            return x, flattened_conv_output_after_pooling

    class ModifiedLightNNCosine(ModifiedDeepNNCosine):
        def __init__(self, num_classes=10):
            super().__init__(num_classes, width=4)  # 64 features, the teacher's after pooling

        def forward(self, x):
            x = self.features(x)
            flattened_conv_output = torch.flatten(x, 1)
            x = self.classifier(flattened_conv_output)
            return x, flattened_conv_output

    teacher, student = ModifiedDeepNNCosine(), ModifiedLightNNCosine()
    fill_parameters(torch, teacher, seed=3)
    fill_parameters(torch, student, seed=4)
    device = "cpu"
    ce_loss, cosine_loss = nn.CrossEntropyLoss(), nn.CosineEmbeddingLoss()
    optimizer = torch.optim.Adam(student.parameters(), lr=1e-3)
    hidden_rep_loss_weight, ce_loss_weight = 0.25, 0.75
    teacher.eval()
    student.train()
    inputs, label = torch.tensor(data((4, 3, 8, 8), seed=5)), torch.tensor(labels(4, 10, 5))
    history = []
    for _ in range(3):
        optimizer.zero_grad()
        with torch.no_grad():
            _, teacher_hidden_representation = teacher(inputs)
        student_logits, student_hidden_representation = student(inputs)
        hidden_rep_loss = cosine_loss(
            student_hidden_representation,
            teacher_hidden_representation,
            target=torch.ones(inputs.size(0)).to(device),
        )
        label_loss = ce_loss(student_logits, label)
        loss = hidden_rep_loss_weight * hidden_rep_loss + ce_loss_weight * label_loss
        loss.backward()
        optimizer.step()
        history.append([loss.item(), hidden_rep_loss.item()])
    return history, student_hidden_representation.shape
