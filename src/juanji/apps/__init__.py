"""What juanji does with its engine: the applications, above the library.

``training`` (loops, recipes, typed config, run folders), ``experiments`` (the notes'
experiments, each with its figure), ``filters`` (the classic image kernels), ``viz`` (pictures
and tables), ``bench`` (juanji against PyTorch) and ``cli`` (the ``juanji`` command). Nothing
below ``juanji.apps`` imports from here.
"""
