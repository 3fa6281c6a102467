"""``python -m juanji`` runs the ``juanji`` command."""

from juanji.apps.cli import main

raise SystemExit(main())
