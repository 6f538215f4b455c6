import json

import pytest

import lab_utils
from lab_utils import results, runtime


def test_record_merges_metrics_into_the_notebook_results_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SSL_LAB_RESULTS_DIR", str(tmp_path))
    lab_utils.setup("01_intro_ssl", profile="smoke")
    lab_utils.record("accuracy", 0.5)
    lab_utils.record("loss", 1.25)
    lab_utils.record("accuracy", 0.75)
    data = json.loads((tmp_path / "01_intro_ssl.smoke.json").read_text())
    assert data["metrics"] == {"accuracy": 0.75, "loss": 1.25}
    assert data["notebook"] == "01_intro_ssl" and data["profile"] == "smoke"


def test_record_before_setup_explains_what_to_do(monkeypatch):
    monkeypatch.setattr(runtime, "_current", None)
    with pytest.raises(RuntimeError, match="lab_utils.setup"):
        results.record("accuracy", 0.5)


def test_record_refuses_nan(tmp_path, monkeypatch):
    monkeypatch.setenv("SSL_LAB_RESULTS_DIR", str(tmp_path))
    lab_utils.setup("01_intro_ssl", profile="smoke")
    with pytest.raises(ValueError, match="finite"):
        lab_utils.record("accuracy", float("nan"))


def test_record_note_stores_text_beside_the_metrics(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SSL_LAB_RESULTS_DIR", str(tmp_path))
    lab_utils.setup("01_intro_ssl", profile="smoke")
    lab_utils.record("accuracy", 0.5)
    assert lab_utils.record_note("mnist_source", "MNIST test set only") == "MNIST test set only"
    data = json.loads((tmp_path / "01_intro_ssl.smoke.json").read_text())
    assert data["metrics"] == {"accuracy": 0.5} and data["notes"] == {"mnist_source": "MNIST test set only"}
    assert "noted mnist_source: MNIST test set only" in capsys.readouterr().out
    with pytest.raises(ValueError, match="non-empty string"):
        lab_utils.record_note("mnist_source", 0.5)
