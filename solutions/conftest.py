"""Solution notebooks run under nbval in the smoke profile, also when pytest is pointed at
solutions/ alone (tests/conftest.py does the same for the whole suite)."""

import os
import tempfile
from pathlib import Path

os.environ["SSL_LAB_PROFILE"] = "smoke"
_outputs = Path(tempfile.mkdtemp(prefix="ssl-lab-nbval-outputs-"))
os.environ.setdefault("SSL_LAB_RESULTS_DIR", str(_outputs / "results"))
os.environ.setdefault("SSL_LAB_FIGURES_DIR", str(_outputs / "figures"))
