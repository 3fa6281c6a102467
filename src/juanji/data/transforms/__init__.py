"""Image transforms with torchvision's names, for one sample or a whole batch at once.

Every transform here has two entry points:

* ``t(sample)`` transforms one sample, like torchvision: an image of shape (H, W), (H, W, C)
  before ``ToTensor`` and (C, H, W) after it;
* ``t.batch(samples)`` transforms a stack of N samples, the array that stacking N samples would
  give: (N, H, W) or (N, H, W, C) before ``ToTensor``, (N, C, H, W) after. Random transforms draw
  their parameters for all N samples in one call, one independent draw per sample.

``t.batch(stack(xs))`` equals ``stack([t(x) for x in xs])`` whenever the random draws are the
same; they are, draw for draw, when the generator starts in the same state, because a batch of
N draws consumes the stream exactly as N single draws do. ``batch_apply(t, samples)`` uses
``t.batch`` when it exists and falls back to a loop over samples otherwise (a plain function, a
``Lambda``), so any callable can sit in a ``Compose``.

This is how ``MNIST.__getitems__`` augments on the training hot path: it gathers the batch's
images as one (N, 28, 28) uint8 tensor and calls ``batch_apply(transform, images)``; with
``Compose([ToTensor(), RandomShift(2)])`` that is a handful of array operations per batch and
no Python loop over images.

Inputs may be PIL images, NumPy arrays or Tensors; each transform returns the kind and layout
it was given, except ``ToTensor``, whose single-sample call always returns a Tensor (as
torchvision's does). Before ``ToTensor`` an image is what torchvision takes there, a PIL image,
or what juanji's datasets give in its place: a uint8 image (H, W) or (H, W, C) (CIFAR-10,
``ImageFolder``; a batch (N, H, W, C)); after it, a (..., C, H, W) tensor. The rule that tells
the two apart (``_layout``): a uint8 image whose last axis has 1 to 4 entries and whose first
has more is channels last; anything else is channels first. So
``Compose([RandomCrop(32, padding=4), RandomHorizontalFlip(), ToTensor()])`` runs on CIFAR-10
as it does with torchvision. Random draws
come from the ``generator`` given to the transform, else from the default generator that
``juanji.manual_seed`` resets; the streams are NumPy's, not torchvision's.

Basic transforms (``_base``): ``Compose``, ``ToTensor``, ``Normalize``, ``Pad``, ``RandomCrop``,
``RandomShift``, ``Lambda``. Augmentations for CIFAR-style training (``_augment``):
``RandomHorizontalFlip``, ``RandomVerticalFlip``, ``Resize``, ``CenterCrop``,
``RandomResizedCrop``, ``ColorJitter``, ``RandomErasing``. One sample at a time (``_extra``):
``ToPILImage``, ``PILToTensor``, ``ConvertImageDtype``, ``Grayscale``, ``RandomGrayscale``,
``RandomApply``, ``RandomChoice``, ``RandomOrder``, ``RandomRotation``, ``RandomAffine``,
``FiveCrop``, ``TenCrop``, ``RandomInvert``, ``RandomPosterize``, ``RandomSolarize``,
``RandomAutocontrast``, ``RandomEqualize``, ``RandomAdjustSharpness``, ``GaussianBlur``,
``RandomPerspective``, ``ElasticTransform``, ``LinearTransformation``; ``RandAugment``,
``TrivialAugmentWide`` and ``AugMix`` (``_autoaugment``); and ``InterpolationMode``.

``juanji.data.transforms.functional`` is torchvision's ``transforms.functional`` (``hflip``,
``resize``, ``rotate``, ``adjust_brightness``, ``to_pil_image``...). The import paths follow
the rest of juanji's torchvision counterparts (``torchvision.datasets`` is ``juanji.data``,
``torchvision.models`` is ``juanji.models``)::

    import juanji.data.transforms as transforms          # import torchvision.transforms as ...
    import juanji.data.transforms.functional as TF       # ... torchvision.transforms.functional
"""

from juanji.data.transforms import functional
from juanji.data.transforms._augment import (
    CenterCrop,
    ColorJitter,
    RandomErasing,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomVerticalFlip,
    Resize,
)
from juanji.data.transforms._autoaugment import (
    AugMix,
    RandAugment,
    TrivialAugmentWide,
)
from juanji.data.transforms._base import (
    Compose,
    Lambda,
    Normalize,
    Pad,
    RandomCrop,
    RandomShift,
    ToTensor,
    batch_apply,
)
from juanji.data.transforms._extra import (
    ConvertImageDtype,
    ElasticTransform,
    FiveCrop,
    GaussianBlur,
    Grayscale,
    LinearTransformation,
    PILToTensor,
    RandomAdjustSharpness,
    RandomAffine,
    RandomApply,
    RandomAutocontrast,
    RandomChoice,
    RandomEqualize,
    RandomGrayscale,
    RandomInvert,
    RandomOrder,
    RandomPerspective,
    RandomPosterize,
    RandomRotation,
    RandomSolarize,
    TenCrop,
    ToPILImage,
)
from juanji.data.transforms._layout import InterpolationMode

__all__ = [
    "Compose",
    "ToTensor",
    "Normalize",
    "Pad",
    "RandomCrop",
    "RandomShift",
    "Lambda",
    "batch_apply",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "Resize",
    "CenterCrop",
    "RandomResizedCrop",
    "ColorJitter",
    "RandomErasing",
    "InterpolationMode",
    "functional",
    "ToPILImage",
    "PILToTensor",
    "ConvertImageDtype",
    "Grayscale",
    "RandomGrayscale",
    "RandomApply",
    "RandomChoice",
    "RandomOrder",
    "RandomRotation",
    "RandomAffine",
    "FiveCrop",
    "TenCrop",
    "RandomInvert",
    "RandomPosterize",
    "RandomSolarize",
    "RandomAutocontrast",
    "RandomEqualize",
    "RandomAdjustSharpness",
    "GaussianBlur",
    "RandAugment",
    "TrivialAugmentWide",
    "RandomPerspective",
    "ElasticTransform",
    "LinearTransformation",
    "AugMix",
]
