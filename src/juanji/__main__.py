"""``python -m juanji`` runs the ``juanji`` command."""

from juanji.cli import main

raise SystemExit(main())
