"""``python -m ssl_lab_instructor.grade ASSIGNMENT``: see :mod:`ssl_lab_instructor.grade.cli`."""

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # ~2.5 s of CPU nbformat never needs (see worker.py)

from .cli import main  # noqa: E402

sys.exit(main())
