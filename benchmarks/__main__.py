"""``python -m benchmarks [options]`` runs ``juanji bench [options]``; see benchmarks/README.md."""

import sys

from juanji.apps.bench.suite import main

sys.exit(main())
