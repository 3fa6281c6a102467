"""PLACEHOLDER: being written by a helper; replaced before anything lands."""


def adaptive_avg_pool1d(*args, **kwargs):
    raise NotImplementedError('adaptive_avg_pool1d')


def adaptive_avg_pool2d(*args, **kwargs):
    raise NotImplementedError('adaptive_avg_pool2d')


def adaptive_max_pool2d(*args, **kwargs):
    raise NotImplementedError('adaptive_max_pool2d')


def avg_pool1d(*args, **kwargs):
    raise NotImplementedError('avg_pool1d')


def avg_pool2d(*args, **kwargs):
    raise NotImplementedError('avg_pool2d')


def avg_pool3d(*args, **kwargs):
    raise NotImplementedError('avg_pool3d')


def max_pool1d(*args, **kwargs):
    raise NotImplementedError('max_pool1d')


def max_pool2d(*args, **kwargs):
    raise NotImplementedError('max_pool2d')


def max_pool3d(*args, **kwargs):
    raise NotImplementedError('max_pool3d')

