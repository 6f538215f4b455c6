"""Worker entry point: ``python -m scripts.grade.worker JOB_DIR`` (see :mod:`.execution`)."""

import sys

# jsonschema, which nbformat imports, loads the optional rfc3987_syntax package when it is
# installed; building its grammar costs ~2.5 s of CPU in every worker and is never used
# to validate a notebook.
sys.modules.setdefault("rfc3987_syntax", None)

from .execution import main  # noqa: E402

main(sys.argv[1])
