"""``juanji.nn.parallel``: data-parallel training over ``juanji.distributed``.

* ``DistributedDataParallel`` (``distributed.py``): a model per rank, gradients averaged in
  buckets during backward (``_reducer.py``);
* ``SyncBatchNorm`` (``sync_batchnorm.py``, exported as ``juanji.nn.SyncBatchNorm``): batch
  statistics over every rank's batch.
"""

from juanji.nn.parallel.distributed import DistributedDataParallel
from juanji.nn.parallel.sync_batchnorm import SyncBatchNorm

__all__ = ["DistributedDataParallel", "SyncBatchNorm"]
