"""Every module path a CNN program imports from torch imports from juanji the same way.

``from torch.utils.data import DataLoader`` must become ``from juanji.utils.data import
DataLoader``: a real module at the same path, holding the same names. Each row names a torch
path, the names programs take from it, and juanji's path (the same one with ``torch`` replaced,
or juanji's counterpart of a torchvision path). The torch side is imported too, so a row that
PyTorch itself does not have cannot creep in.
"""

from __future__ import annotations

import importlib

import pytest

# (torch path, names programs import from it)
TORCH_PATHS: list[tuple[str, tuple[str, ...]]] = [
    ("torch", ("Tensor", "tensor", "no_grad", "manual_seed", "save", "load")),
    ("torch.nn", ("Module", "Conv2d", "Linear", "Sequential", "Parameter", "functional")),
    ("torch.nn.functional", ("relu", "conv2d", "cross_entropy", "max_pool2d", "softmax")),
    ("torch.nn.functional", ("grid_sample", "affine_grid", "cosine_similarity", "normalize")),
    ("torch.nn.functional", ("embedding", "one_hot", "pairwise_distance", "triplet_margin_loss")),
    ("torch.nn.init", ("kaiming_normal_", "xavier_uniform_", "constant_", "zeros_", "normal_")),
    ("torch.nn.init", ("orthogonal_", "trunc_normal_", "dirac_", "eye_", "calculate_gain")),
    ("torch.nn.parameter", ("Parameter",)),
    ("torch.nn.utils", ("clip_grad_norm_", "clip_grad_value_", "parameters_to_vector")),
    ("torch.nn.utils", ("vector_to_parameters", "weight_norm", "spectral_norm")),
    ("torch.nn.utils", ("remove_weight_norm", "fuse_conv_bn_eval", "fuse_conv_bn_weights")),
    ("torch.nn.utils.rnn", ("pad_sequence", "pack_padded_sequence", "pad_packed_sequence")),
    ("torch.nn.utils.parametrize", ("register_parametrization", "remove_parametrizations")),
    ("torch.nn.utils.parametrizations", ("weight_norm", "spectral_norm", "orthogonal")),
    ("torch.nn.utils.stateless", ("functional_call",)),
    ("torch.nn.utils.clip_grad", ("clip_grad_norm_", "clip_grad_value_")),
    ("torch.nn.utils.convert_parameters", ("parameters_to_vector", "vector_to_parameters")),
    ("torch.nn.utils.fusion", ("fuse_conv_bn_eval", "fuse_conv_bn_weights")),
    ("torch.nn.utils.weight_norm", ("weight_norm", "remove_weight_norm")),
    ("torch.nn.utils.spectral_norm", ("spectral_norm", "remove_spectral_norm")),
    ("torch.nn.modules", ("Module", "Conv2d", "BatchNorm2d", "Linear")),
    ("torch.nn.modules.module", ("Module",)),
    ("torch.nn.modules.conv", ("Conv2d", "_ConvNd", "ConvTranspose2d")),
    ("torch.nn.modules.linear", ("Linear", "Identity")),
    ("torch.nn.modules.batchnorm", ("BatchNorm2d", "_BatchNorm")),
    ("torch.nn.modules.loss", ("_Loss", "_WeightedLoss", "CrossEntropyLoss")),
    ("torch.nn.modules.activation", ("ReLU", "Softmax")),
    ("torch.nn.modules.pooling", ("MaxPool2d", "AdaptiveAvgPool2d")),
    ("torch.nn.modules.container", ("Sequential", "ModuleList", "ModuleDict")),
    ("torch.nn.modules.dropout", ("Dropout", "Dropout2d")),
    ("torch.nn.modules.flatten", ("Flatten", "Unflatten")),
    ("torch.nn.modules.normalization", ("LayerNorm", "GroupNorm")),
    ("torch.nn.modules.instancenorm", ("InstanceNorm2d",)),
    ("torch.nn.modules.padding", ("ReflectionPad2d", "ZeroPad2d")),
    ("torch.nn.modules.pixelshuffle", ("PixelShuffle",)),
    ("torch.nn.modules.upsampling", ("Upsample",)),
    ("torch.nn.modules.utils", ("_pair", "_single", "_triple", "_quadruple", "_ntuple")),
    ("torch.nn.modules.distance", ("CosineSimilarity", "PairwiseDistance")),
    ("torch.nn.modules.sparse", ("Embedding",)),
    ("torch.nn.modules.fold", ("Fold", "Unfold")),
    ("torch.nn.modules.channelshuffle", ("ChannelShuffle",)),
    ("torch.nn.modules.adaptive", ("AdaptiveLogSoftmaxWithLoss",)),
    ("torch.nn.modules.pooling", ("FractionalMaxPool2d", "LPPool2d", "MaxUnpool2d")),
    ("torch.nn.modules.loss", ("CTCLoss", "MultiMarginLoss", "PoissonNLLLoss")),
    ("torch.nn.modules.loss", ("TripletMarginLoss", "CosineEmbeddingLoss", "GaussianNLLLoss")),
    ("torch.optim", ("SGD", "Adam", "AdamW", "Optimizer", "lr_scheduler")),
    ("torch.optim.lr_scheduler", ("StepLR", "CosineAnnealingLR", "OneCycleLR")),
    ("torch.optim.optimizer", ("Optimizer",)),
    ("torch.autograd", ("Function", "Variable", "gradcheck", "no_grad")),
    ("torch.utils", ("data",)),
    ("torch.utils.data", ("DataLoader", "Dataset", "TensorDataset", "random_split")),
    ("torch.utils.data", ("Subset", "ConcatDataset", "Sampler", "SubsetRandomSampler")),
    ("torch.utils.data", ("default_collate", "get_worker_info", "BatchSampler")),
    ("torch.utils.data.dataset", ("Dataset", "TensorDataset", "Subset", "random_split")),
    ("torch.utils.data.dataloader", ("DataLoader", "default_collate")),
    ("torch.utils.data.sampler", ("Sampler", "RandomSampler", "SequentialSampler")),
    ("torch.cuda", ("is_available", "device_count")),
    ("torch.backends", ()),
    ("torch.testing", ("assert_close",)),
]

# torchvision's paths and juanji's counterparts (torchvision does not import without its
# compiled ops, so only juanji's side is imported).
TORCHVISION_PATHS: list[tuple[str, str, tuple[str, ...]]] = [
    ("torchvision.models", "juanji.models", ("resnet18", "vgg16", "mobilenet_v2")),
    ("torchvision.models.resnet", "juanji.models.resnet", ("ResNet", "BasicBlock", "Bottleneck")),
    ("torchvision.transforms", "juanji.data.transforms", ("Compose", "ToTensor", "Normalize")),
    ("torchvision.datasets", "juanji.data", ("MNIST", "CIFAR10", "ImageFolder")),
]

# Paths of issue 28 that other parts of the work add; checked as soon as they import.
PENDING: list[tuple[str, tuple[str, ...]]] = [
    ("juanji.backends.cudnn", ("benchmark",)),
    ("juanji.data.transforms.functional", ("hflip", "resize")),
]


def _juanji_path(torch_path: str) -> str:
    return "juanji" + torch_path[len("torch") :]


def _ids(rows):
    return [f"{row[0]}:{','.join(row[-1]) or '-'}" for row in rows]


@pytest.mark.parametrize(("torch_path", "names"), TORCH_PATHS, ids=_ids(TORCH_PATHS))
def test_torch_path_imports_from_juanji(torch_path, names):
    reference = importlib.import_module(torch_path)
    missing_in_torch = [n for n in names if not hasattr(reference, n)]
    assert not missing_in_torch, f"{torch_path} has no {missing_in_torch}: fix the table"
    module = importlib.import_module(_juanji_path(torch_path))
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"{_juanji_path(torch_path)} lacks {missing}"


@pytest.mark.parametrize(
    ("torchvision_path", "juanji_path", "names"), TORCHVISION_PATHS, ids=_ids(TORCHVISION_PATHS)
)
def test_torchvision_path_has_a_juanji_counterpart(torchvision_path, juanji_path, names):
    module = importlib.import_module(juanji_path)
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"{juanji_path} (for {torchvision_path}) lacks {missing}"


@pytest.mark.parametrize(("path", "names"), PENDING, ids=_ids(PENDING))
def test_pending_paths_once_present(path, names):
    try:
        module = importlib.import_module(path)
    except ModuleNotFoundError:
        pytest.skip(f"{path} is not there yet")
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"{path} lacks {missing}"


def test_from_import_statements_work_as_written():
    """The first lines of typical scripts, verbatim but for the package name."""
    namespace: dict = {}
    exec(  # noqa: S102 - fixed source text, the point of the test
        "from juanji.utils.data import DataLoader, Dataset\n"
        "from juanji.utils.data.sampler import SubsetRandomSampler\n"
        "import juanji.utils.data as data_utils\n"
        "import juanji.nn.utils.rnn as rnn_utils\n"
        "from juanji.nn.utils import clip_grad_norm_\n"
        "from juanji.nn.modules.utils import _pair\n"
        "import juanji.nn.functional as F\n"
        "import juanji.optim.lr_scheduler as lr_scheduler\n",
        namespace,
    )
    assert namespace["data_utils"].DataLoader is namespace["DataLoader"]
    assert namespace["_pair"](3) == (3, 3)
    assert namespace["rnn_utils"].pad_sequence is not None


def test_utils_data_reexports_the_implementation():
    import juanji.data
    import juanji.utils.data

    assert juanji.utils.data.DataLoader is juanji.data.DataLoader
    assert juanji.utils.data.dataset.Subset is juanji.data.Subset
    assert juanji.utils.data.get_worker_info() is None


def test_nn_modules_reexports_the_same_classes():
    import juanji.nn
    import juanji.nn.modules.conv

    assert juanji.nn.modules.conv.Conv2d is juanji.nn.Conv2d
    assert juanji.nn.modules.Conv2d is juanji.nn.Conv2d
