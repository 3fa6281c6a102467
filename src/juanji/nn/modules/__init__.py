"""``juanji.nn.modules``: ``torch.nn.modules``' import paths.

``from torch.nn.modules.conv import Conv2d`` or ``from torch.nn.modules.utils import _pair``
work the same here: each module re-exports the classes that ``juanji.nn`` implements.
"""

from juanji.nn.modules import activation as activation
from juanji.nn.modules import adaptive as adaptive
from juanji.nn.modules import batchnorm as batchnorm
from juanji.nn.modules import channelshuffle as channelshuffle
from juanji.nn.modules import container as container
from juanji.nn.modules import conv as conv
from juanji.nn.modules import distance as distance
from juanji.nn.modules import dropout as dropout
from juanji.nn.modules import flatten as flatten
from juanji.nn.modules import fold as fold
from juanji.nn.modules import instancenorm as instancenorm
from juanji.nn.modules import lazy as lazy
from juanji.nn.modules import linear as linear
from juanji.nn.modules import linear_cross_entropy as linear_cross_entropy
from juanji.nn.modules import loss as loss
from juanji.nn.modules import module as module
from juanji.nn.modules import normalization as normalization
from juanji.nn.modules import padding as padding
from juanji.nn.modules import pixelshuffle as pixelshuffle
from juanji.nn.modules import pooling as pooling
from juanji.nn.modules import sparse as sparse
from juanji.nn.modules import upsampling as upsampling
from juanji.nn.modules import utils as utils
from juanji.nn.modules.activation import *  # noqa: F403
from juanji.nn.modules.adaptive import *  # noqa: F403
from juanji.nn.modules.batchnorm import *  # noqa: F403
from juanji.nn.modules.channelshuffle import *  # noqa: F403
from juanji.nn.modules.container import *  # noqa: F403
from juanji.nn.modules.conv import *  # noqa: F403
from juanji.nn.modules.distance import *  # noqa: F403
from juanji.nn.modules.dropout import *  # noqa: F403
from juanji.nn.modules.flatten import *  # noqa: F403
from juanji.nn.modules.fold import *  # noqa: F403
from juanji.nn.modules.instancenorm import *  # noqa: F403
from juanji.nn.modules.lazy import *  # noqa: F403
from juanji.nn.modules.linear import *  # noqa: F403
from juanji.nn.modules.linear_cross_entropy import *  # noqa: F403
from juanji.nn.modules.loss import *  # noqa: F403
from juanji.nn.modules.module import *  # noqa: F403
from juanji.nn.modules.normalization import *  # noqa: F403
from juanji.nn.modules.padding import *  # noqa: F403
from juanji.nn.modules.pixelshuffle import *  # noqa: F403
from juanji.nn.modules.pooling import *  # noqa: F403
from juanji.nn.modules.sparse import *  # noqa: F403
from juanji.nn.modules.upsampling import *  # noqa: F403
