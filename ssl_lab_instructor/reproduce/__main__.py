"""``python -m ssl_lab_instructor.reproduce``: see the package's docstring or ``--help``."""

import sys

from .cli import main

sys.exit(main())
