"""``juanji.nn.utils``: ``torch.nn.utils``'s helpers for training and for layers.

* gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_``, ``get_total_norm``,
  ``clip_grads_with_norm_`` (``clip_grad``);
* ``parameters_to_vector`` and ``vector_to_parameters`` (``convert_parameters``);
* reparametrisations by hook: ``weight_norm``, ``spectral_norm`` and their ``remove_*``;
* ``fuse_conv_bn_eval`` and friends (``fusion``); ``rnn.pad_sequence``;
* ``parametrize.register_parametrization`` and ``parametrizations.weight_norm`` /
  ``spectral_norm``; ``stateless.functional_call``; ``skip_init``.
"""

from juanji.nn.utils import (
    clip_grad,
    convert_parameters,
    fusion,
    parametrizations,
    parametrize,
    rnn,
    stateless,
)
from juanji.nn.utils.clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from juanji.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from juanji.nn.utils.fusion import (
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)
from juanji.nn.utils.init import skip_init
from juanji.nn.utils.memory_format import (
    convert_conv2d_weight_memory_format,
    convert_conv3d_weight_memory_format,
)
from juanji.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm
from juanji.nn.utils.weight_norm import remove_weight_norm, weight_norm

__all__ = [
    "clip_grad",
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "convert_conv2d_weight_memory_format",
    "convert_conv3d_weight_memory_format",
    "clip_grads_with_norm_",
    "convert_parameters",
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights",
    "fuse_linear_bn_eval",
    "fuse_linear_bn_weights",
    "fusion",
    "get_total_norm",
    "parametrizations",
    "parametrize",
    "skip_init",
    "stateless",
    "parameters_to_vector",
    "remove_spectral_norm",
    "remove_weight_norm",
    "rnn",
    "spectral_norm",
    "vector_to_parameters",
    "weight_norm",
]
