"""juanji against PyTorch: the benchmark suite behind ``juanji bench``.

``python -m benchmarks`` (from a checkout) and ``juanji bench`` (installed) run the same code:

* ``workloads``: the table's rows (LeNet5 training step and inference, the convolutions and
  poolings of the issue), each written once for any library with PyTorch's API;
* ``timing``: A/B rounds that alternate juanji and PyTorch and the per-round ratios;
* ``processes``: each side in a worker process of its own (the default), driven over a pipe;
* ``memory``: the peak memory of a LeNet5 training step, measured at each library's allocator;
* ``mnist``: an epoch of ``juanji train lenet5`` and the time to 99 % test accuracy, next to
  the same recipe in PyTorch;
* ``suite``: options, the run, the table and ``--json``.

Benchmarks are not tests: the test suite runs this code in ``--tiny`` mode and asserts nothing
about time. See ``benchmarks/README.md`` for the measured tables.
"""

from juanji.apps.bench.suite import add_arguments, main, run

__all__ = ["add_arguments", "main", "run"]
