"""PLACEHOLDER: being written by a helper; replaced before anything lands."""


def pad(*args, **kwargs):
    raise NotImplementedError('pad')


def same_padding(*args, **kwargs):
    raise NotImplementedError('same_padding')

