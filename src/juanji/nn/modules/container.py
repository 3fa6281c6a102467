"""``torch.nn.modules.container``'s names (implemented elsewhere in ``juanji.nn``)."""

from juanji.nn.container import (
    Container,
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)

__all__ = [
    "Container",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "ParameterList",
    "ParameterDict",
]
