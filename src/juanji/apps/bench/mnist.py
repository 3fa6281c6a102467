"""The two main jobs of ``juanji train`` on real data, next to the same recipe in PyTorch.

``LENET`` is ``juanji train lenet5`` on MNIST, ``FASHION`` the Fashion-MNIST main job,
``juanji train s2d-vgg --dataset fashion-mnist``.

juanji's side is the training command's own code: ``juanji.apps.training.make_config`` (the default
recipe), ``build_model``, ``build_loaders``, ``build_optimizer``, ``train_one_epoch`` and
``evaluate``. PyTorch's side builds the same network (juanji's initial weights copied in), the
same optimiser and one-cycle schedule from the same ``config.hyperparameters``, and trains on
batches from a second juanji ``DataLoader`` of the same config and seed (same shuffles, same
shifts; ``torch.from_numpy`` shares their memory). Data preparation therefore costs the same on
both sides and the difference is the engine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from juanji.apps.bench.workloads import lenet5

DATA_HINT = "MNIST not found: set JUANJI_DATA or run `juanji train lenet5` once to fetch it"
# (model, dataset) of the two main jobs
LENET = ("lenet5", "mnist")
FASHION = ("s2d-vgg", "fashion-mnist")


def _config(epochs: int | None, job: tuple[str, str] = LENET) -> Any:
    from juanji.apps.training import make_config  # noqa: PLC0415

    return make_config(job[0], job[1], epochs=epochs)


def _torch_model(torch: Any, config: Any) -> Any:
    """The run's network in PyTorch, with the initial weights juanji's run starts from."""
    from juanji.apps.training import build_model  # noqa: PLC0415
    from juanji.models import s2d_vgg_layers  # noqa: PLC0415

    if config.model == "lenet5":
        return lenet5(torch)
    reference = build_model(config)  # seeded by the caller as _JuanjiRun is
    model = torch.nn.Sequential(*s2d_vgg_layers(torch.nn, **config.model_kwargs))
    state = {k: torch.from_numpy(v.numpy().copy()) for k, v in reference.state_dict().items()}
    model.load_state_dict(state)
    return model


def _loaders(config: Any, root: Any, tiny: bool) -> tuple[Any, Any]:
    """The run's loaders (shuffle generator seeded as ``train_run`` seeds it)."""
    from juanji.apps.training import build_loaders  # noqa: PLC0415
    from juanji.data import DataLoader, Subset  # noqa: PLC0415
    from juanji.random import Generator  # noqa: PLC0415

    generator = Generator().manual_seed(config.hyperparameters.seed + 1)
    train, test = build_loaders(config, generator, root=root, download=False)
    if tiny:  # a slice, so that the test suite exercises this path in a second
        batch = config.hyperparameters.batch_size
        subset = Subset(train.dataset, range(8 * batch))
        train = DataLoader(subset, batch, shuffle=True, generator=generator)
        test = DataLoader(Subset(test.dataset, range(200)), batch_size=100)
    return train, test


def _torch_optimizer(torch: Any, hp: Any, model: Any, steps: int) -> tuple[Any, Any]:
    """``juanji.apps.training.build_optimizer``'s optimiser and schedule, in PyTorch."""
    if hp.optimizer == "sgd":
        optimizer = torch.optim.SGD(
            model.parameters(),
            lr=hp.lr,
            momentum=hp.momentum,
            nesterov=hp.nesterov and hp.momentum > 0,
            weight_decay=hp.weight_decay,
        )
    else:
        cls = torch.optim.AdamW if hp.optimizer == "adamw" else torch.optim.Adam
        optimizer = cls(model.parameters(), lr=hp.lr, weight_decay=hp.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=hp.lr,
        epochs=hp.epochs,
        steps_per_epoch=steps,
        pct_start=hp.pct_start,
        cycle_momentum=hp.optimizer != "sgd" or hp.momentum > 0,
    )
    return optimizer, scheduler


class _TorchRun:
    """PyTorch's side of a run: model, optimiser, schedule, and one epoch / one evaluation."""

    def __init__(self, torch: Any, config: Any, root: Any, tiny: bool) -> None:
        from juanji.random import manual_seed  # noqa: PLC0415

        self.torch = torch
        self.hp = config.hyperparameters
        torch.manual_seed(config.hyperparameters.seed)
        manual_seed(config.hyperparameters.seed)  # juanji's initial weights, as _JuanjiRun
        self.model = _torch_model(torch, config)
        self.train_loader, self.test_loader = _loaders(config, root, tiny)
        self.optimizer, self.scheduler = _torch_optimizer(
            torch, config.hyperparameters, self.model, len(self.train_loader)
        )

    def _batches(self, loader: Any) -> Any:
        from_numpy = self.torch.from_numpy
        for x, y in loader:
            yield from_numpy(x.numpy()), from_numpy(y.numpy())

    def epoch(self) -> None:
        """As ``juanji.apps.training.train_one_epoch``: loss and accuracy kept as tensors."""
        F = self.torch.nn.functional
        self.model.train()
        loss_sum: Any = 0.0
        correct: Any = 0
        for x, y in self._batches(self.train_loader):
            scores = self.model(x)
            loss = F.cross_entropy(scores, y, label_smoothing=self.hp.label_smoothing)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            with self.torch.no_grad():
                loss_sum = loss.detach() * y.shape[0] + loss_sum
                correct = (scores.argmax(1) == y).sum() + correct
        float(loss_sum), int(correct)

    def accuracy(self) -> float:
        self.model.eval()
        correct = count = 0
        with self.torch.no_grad():
            for x, y in self._batches(self.test_loader):
                scores = self.model(x).softmax(1)
                if self.hp.test_flip:  # as juanji.apps.training.MirrorAveraged
                    scores = scores + self.model(x.flip(-1)).softmax(1)
                correct += int((scores.argmax(1) == y).sum())
                count += y.shape[0]
        return correct / count


class _JuanjiRun:
    """juanji's side: exactly what ``juanji train`` builds for the config."""

    def __init__(self, config: Any, root: Any, tiny: bool) -> None:
        from juanji.apps.training import build_model, build_optimizer  # noqa: PLC0415
        from juanji.apps.training.runs import _training_loss  # noqa: PLC0415
        from juanji.random import manual_seed  # noqa: PLC0415

        manual_seed(config.hyperparameters.seed)
        self.config = config
        self.loss = _training_loss(config.hyperparameters.label_smoothing)
        self.model = build_model(config)
        self.train_loader, self.test_loader = _loaders(config, root, tiny)
        self.optimizer, self.scheduler = build_optimizer(config, self.model, len(self.train_loader))

    def epoch(self) -> None:
        from juanji.apps.training import train_one_epoch  # noqa: PLC0415

        train_one_epoch(
            self.model,
            self.optimizer,
            self.train_loader,
            scheduler=self.scheduler,
            loss_fn=self.loss,
        )

    def accuracy(self) -> float:
        from juanji.apps.training import evaluate, for_testing  # noqa: PLC0415

        return evaluate(for_testing(self.model, self.config), self.test_loader).accuracy


EPOCH_ROW = "mnist epoch (juanji train lenet5)"


def _run(side: str, torch: Any, config: Any, root: Any, tiny: bool) -> Any:
    return (
        _JuanjiRun(config, root, tiny) if side == "juanji" else _TorchRun(torch, config, root, tiny)
    )


def epoch_call(
    side: str, rounds: int, root: Any = None, tiny: bool = False, torch: Any = None
) -> Callable[[], Any]:
    """One training epoch per call on ``side`` (``"juanji"`` or ``"torch"``).

    The one-cycle schedule spans the warm-up call and the rounds, so it never runs out.

    Raises:
        DataError: MNIST is not on this machine (nothing is downloaded here).
    """
    if side == "torch" and torch is None:
        import torch  # noqa: PLC0415 - the torch side of a bench worker

    return _run(side, torch, _config(rounds + 1), root, tiny).epoch


def epoch_calls(
    rounds: int, torch: Any, root: Any = None, tiny: bool = False
) -> tuple[dict[str, Callable[[], Any]], int]:
    """``epoch_call`` for juanji and, when given, PyTorch; and the images of an epoch."""
    run = _JuanjiRun(_config(rounds + 1), root, tiny)
    calls: dict[str, Callable[[], Any]] = {"juanji": run.epoch}
    if torch is not None:
        calls["torch"] = epoch_call("torch", rounds, root, tiny, torch)
    return calls, len(run.train_loader.dataset)


def epoch_images(tiny: bool) -> int:
    """Training images in one epoch of the bench's MNIST row."""
    return 8 * _config(1).hyperparameters.batch_size if tiny else 60_000


def side_time_to_accuracy(
    side: str,
    target: float,
    job: tuple[str, str] = LENET,
    root: Any = None,
    tiny: bool = False,
    stream: Any = None,
    torch: Any = None,
) -> dict[str, Any]:
    """Train ``job``'s default recipe on ``side`` until test accuracy reaches ``target``.

    Returns the wall seconds (training and the evaluation after each epoch) when the target
    was first reached (None if the recipe's epochs ran out), the total seconds and the
    accuracy after every epoch.
    """
    if side == "torch" and torch is None:
        import torch  # noqa: PLC0415 - the torch side of a bench worker

    config = _config(None, job)
    run = _run(side, torch, config, root, tiny)
    seconds, accuracies, reached = 0.0, [], None
    for epoch in range(1, config.hyperparameters.epochs + 1):
        start = time.perf_counter()
        run.epoch()
        accuracies.append(run.accuracy())
        seconds += time.perf_counter() - start
        if stream is not None:
            print(
                f"  {side}: epoch {epoch}, test accuracy {100 * accuracies[-1]:.2f}%, "
                f"{seconds:.1f} s",
                file=stream,
                flush=True,
            )
        if accuracies[-1] >= target:
            reached = seconds
            break
    return {"seconds": reached, "accuracies": accuracies, "total_seconds": seconds}


def time_to_accuracy(
    target: float,
    torch: Any,
    root: Any = None,
    tiny: bool = False,
    stream: Any = None,
    job: tuple[str, str] = LENET,
) -> Any:
    """``side_time_to_accuracy`` for juanji and, when given, PyTorch, in this process."""
    result: Any = {"target": target, "epochs": _config(None, job).hyperparameters.epochs}
    result["job"] = list(job)
    for side in ("juanji",) if torch is None else ("juanji", "torch"):
        result[side] = side_time_to_accuracy(side, target, job, root, tiny, stream, torch)
    return result
