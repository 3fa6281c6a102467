"""The notes' experiments, each in one file with its figure.

* ``translation``: MLP vs CNN, and max vs average vs no pooling, on moved digits.
* ``structure``: MLP vs CNN on digits whose pixels are shuffled by one fixed permutation (the
  structure in images), beside the translation result (invariance).
* ``layers`` (pictures in ``layers_figures``): why CNNs work, layer by layer: linear probes,
  PCA projections, receptive fields and top-activating patches of a trained LeNet.
* ``dims``: the notes' 1-D and 3-D: Conv1d on digits' ink profiles, Conv3d on moving digits.
"""
