"""Set-up for every pytest run, whether it collects tests/, solutions/ or one notebook.

Notebooks run under the smoke profile and write their results and figures to a temp folder,
so a test run never overwrites the figures a student or instructor made. The variables are
set before any kernel starts, so nbval's and nbgrader's kernels inherit them.
"""

import os
import tempfile
from pathlib import Path

os.environ["SSL_LAB_PROFILE"] = "smoke"
_outputs = Path(tempfile.mkdtemp(prefix="ssl-lab-test-outputs-"))
os.environ.setdefault("SSL_LAB_RESULTS_DIR", str(_outputs / "results"))
os.environ.setdefault("SSL_LAB_FIGURES_DIR", str(_outputs / "figures"))
os.environ.setdefault("MPLBACKEND", "Agg")  # this process only: kernels use the inline backend
