"""Course checkpoints: float16 files checked by SHA-256, clear errors, and the pretrain runner."""

from __future__ import annotations

import json

import nbformat
import pytest
import torch

from lab_utils import checkpoints
from lab_utils.checkpoints import CheckpointError
from lab_utils.models import SmallCNN


def save_small_cnn(directory, name="simclr", seed=0):
    torch.manual_seed(seed)
    model = SmallCNN()
    info = checkpoints.save(name, model, method="SimCLR", architecture="SmallCNN",
                            budget=dict(steps=2000, batch_size=256, images=50_000, epochs=10.24),
                            probe_accuracy=0.61, probe="linear probe", commit="abc",
                            hardware="test", directory=directory)
    return model, info


def test_a_saved_backbone_loads_back_in_float32_with_its_registry_entry(tmp_path):
    model, info = save_small_cnn(tmp_path)
    assert (tmp_path / "simclr.pt").stat().st_size < 1.2e6, "a SmallCNN checkpoint is about 1 MB"
    loaded, entry = checkpoints.load_small_cnn("simclr", directory=tmp_path)
    assert entry == info and entry.describe() == "2,000 steps of 256 images (10.24 epochs of 50,000 images)"
    for original, restored in zip(model.state_dict().values(), loaded.state_dict().values(), strict=True):
        assert restored.dtype == original.dtype
        assert torch.allclose(original.float(), restored.float(), rtol=1e-3, atol=1e-3)
    assert not loaded.training and not any(p.requires_grad for p in loaded.parameters())


def test_saving_again_replaces_one_entry_and_keeps_the_others(tmp_path):
    save_small_cnn(tmp_path, "simclr")
    save_small_cnn(tmp_path, "moco")
    _, newer = save_small_cnn(tmp_path, "simclr", seed=1)
    entries = json.loads((tmp_path / "registry.json").read_text())
    assert sorted(entries) == ["moco", "simclr"] and entries["simclr"]["sha256"] == newer.sha256


def test_a_corrupted_checkpoint_is_refused_with_the_fix(tmp_path):
    save_small_cnn(tmp_path)
    data = bytearray((tmp_path / "simclr.pt").read_bytes())
    data[-100] ^= 0xFF
    (tmp_path / "simclr.pt").write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupted.*make pretrain"):
        checkpoints.load_small_cnn("simclr", directory=tmp_path)


def test_missing_and_unknown_checkpoints_say_what_to_do(tmp_path):
    save_small_cnn(tmp_path)
    with pytest.raises(CheckpointError, match="no course checkpoint named 'byol'.*simclr"):
        checkpoints.load_small_cnn("byol", directory=tmp_path)
    (tmp_path / "simclr.pt").unlink()
    with pytest.raises(CheckpointError, match="missing.*Reinstall"):
        checkpoints.load_small_cnn("simclr", directory=tmp_path)


def test_probing_course_backbones_reports_a_broken_one_and_goes_on(tmp_path, capsys):
    save_small_cnn(tmp_path, "simclr")
    save_small_cnn(tmp_path, "moco")
    (tmp_path / "moco.pt").write_bytes(b"not a checkpoint")
    found = checkpoints.probe_course_backbones({"SimCLR": "simclr", "MoCo": "moco"},
                                               evaluate=lambda backbone: 0.5, directory=tmp_path)
    assert list(found) == ["SimCLR"] and found["SimCLR"].accuracy == 0.5
    assert isinstance(found["SimCLR"].backbone, SmallCNN)
    assert "MoCo: no course checkpoint to show" in capsys.readouterr().out


def test_the_shipped_registry_matches_its_files():
    from ssl_lab_instructor.pretrain import CHECKPOINT_ORDER

    entries = checkpoints.registry()
    assert sorted(entries) == sorted(CHECKPOINT_ORDER), "make pretrain trains these; every one ships"
    for name in entries:
        state, info = checkpoints.load_state_dict(name)  # checks the SHA-256
        assert info.probe_accuracy > 0 and info.budget["steps"] > 0 and state


def test_the_pretrain_runner_saves_each_backbone_right_after_the_cell_that_trains_it(tmp_path):
    from ssl_lab_instructor import pretrain

    cells = [
        "import torch, lab_utils\nfrom lab_utils.models import SmallCNN\n"
        "cfg = lab_utils.setup('02_pretext_tasks')\nbudget = cfg.budget\n"
        "unlabeled = torch.zeros(1000, 3, 32, 32, dtype=torch.uint8)",
        "torch.manual_seed(0)\nclass Net(torch.nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.backbone = SmallCNN()\n"
        "rotation_model = Net()\n"
        "lab_utils.train(rotation_model, lambda m, x, y: m.backbone(x.float()).mean(), unlabeled[:64],"
        " steps=budget.steps, batch_size=16, desc='rotation',"
        " optimizer=torch.optim.SGD(rotation_model.parameters(), lr=0.01))",
        "raise RuntimeError('a later cell fails')",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    path = tmp_path / "fake.ipynb"
    nbformat.write(notebook, path)
    export = pretrain._cnn("rotation", "rotation_model", "rotation",
                           images_per_step="budget.batch_size // 4")
    with pytest.raises(Exception, match="a later cell fails"):
        pretrain.run_notebook(path, [export, pretrain._cnn("jigsaw", "jigsaw_model", "jigsaw")],
                              tmp_path / "out", "abc123", "test machine", profile="smoke",
                              resume_dir=tmp_path / "state")
    entry = checkpoints.registry(tmp_path / "out")["rotation"]
    assert entry.budget == dict(steps=4, batch_size=16, images=1000, epochs=0.06)
    assert entry.commit == "abc123" and "500 labelled / 500 test" in entry.probe
    assert 0 < entry.probe_accuracy < 1
    # the training run saved its state, and the registry has its wall time, machine and sessions
    assert (tmp_path / "state" / "fake" / "rotation.pt").exists()
    assert entry.hardware == "test machine" and entry.sessions == 1 and entry.train_seconds > 0


def test_assignment_detection_is_top_level_only():
    from ssl_lab_instructor.pretrain import assigns

    assert assigns("x = 1\nsimclr = SimCLR()\n", "simclr")
    assert not assigns("    simclr = SimCLR()\nsimclr_steps = []\n", "simclr")


def test_the_readme_table_of_checkpoints_is_the_registrys():
    from support import ROOT

    from ssl_lab_instructor.pretrain import checkpoints_markdown

    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- checkpoints:start -->\n", 1)[1].split("<!-- checkpoints:end -->", 1)[0]
    entries = checkpoints.registry()
    expected = checkpoints_markdown(entries) + "\n" if entries else ""
    assert block == expected, "README.md's checkpoint table is stale: python -m ssl_lab_instructor.pretrain --update-readme"


def test_the_pretrain_budgets_train_every_backbone_for_at_least_ten_epochs():
    from lab_utils.profiles import get_budget

    pretext = get_budget("02_pretext_tasks", "pretrain")
    rotation_images_per_step = pretext.batch_size // 4          # the fewest of notebook 02's methods
    assert pretext.steps * rotation_images_per_step / pretext.pretrain_images >= 10
    contrastive = get_budget("03_simclr", "pretrain")
    assert contrastive.steps * contrastive.batch_size / contrastive.train_images >= 20
    mae = get_budget("04_mae_dinov2", "pretrain")
    assert mae.mae_steps * mae.mae_batch_size / mae.mae_train_images >= 10
