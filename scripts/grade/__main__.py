"""``python -m scripts.grade ASSIGNMENT``: see :mod:`scripts.grade.cli`."""

import sys

from .cli import main

sys.exit(main())
