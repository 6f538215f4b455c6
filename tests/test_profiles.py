import pytest
import torch

import lab_utils
from lab_utils.profiles import (
    BUDGETS,
    PRETRAIN_NOTEBOOKS,
    PROFILES,
    UnknownProfileError,
    get_budget,
    resolve_profile,
)


def test_profile_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SSL_LAB_PROFILE", "CPU")
    assert resolve_profile() == "cpu"


def test_an_explicit_profile_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("SSL_LAB_PROFILE", "cpu")
    assert resolve_profile("gpu") == "gpu"


def test_without_a_choice_the_profile_follows_cuda(monkeypatch):
    monkeypatch.delenv("SSL_LAB_PROFILE", raising=False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_profile() == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_profile() == "gpu"


def test_an_apple_gpu_gets_the_mps_profile_and_device(monkeypatch, capsys):
    """An M-series Mac, mocked as CUDA is: no CUDA, MPS available."""
    monkeypatch.delenv("SSL_LAB_PROFILE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert resolve_profile() == "mps"
    assert lab_utils.runtime.pick_device() == torch.device("mps")
    assert get_budget("03_simclr") == get_budget("03_simclr", "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # CUDA wins where both exist
    assert resolve_profile() == "gpu" and lab_utils.runtime.pick_device().type == "cuda"


def test_the_mps_device_says_whether_missing_operators_fall_back_to_the_cpu(monkeypatch):
    from lab_utils import runtime

    monkeypatch.setenv("PYTORCH_ENABLE_MPS_FALLBACK", "1")
    monkeypatch.setattr(lab_utils.mps_fallback, "TORCH_LOADED_FIRST", False)
    assert "run on the CPU" in runtime.describe_device(torch.device("mps"))
    monkeypatch.setattr(lab_utils.mps_fallback, "TORCH_LOADED_FIRST", True)  # set too late to count
    described = runtime.describe_device(torch.device("mps"))
    assert "NotImplementedError" in described and "PYTORCH_ENABLE_MPS_FALLBACK=1" in described


def test_importing_lab_utils_enables_the_mps_fallback():
    import os

    assert os.environ.get("PYTORCH_ENABLE_MPS_FALLBACK") == "1"


def test_an_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("SSL_LAB_PROFILE", "fast")
    with pytest.raises(UnknownProfileError) as error:
        resolve_profile()
    message = str(error.value)
    assert "'fast'" in message and "SSL_LAB_PROFILE" in message
    assert all(name in message for name in PROFILES)


@pytest.mark.parametrize("notebook", sorted(BUDGETS))
def test_every_profile_of_a_notebook_has_the_same_budget_keys(notebook):
    keys = {profile: set(budget) for profile, budget in BUDGETS[notebook].items()}
    assert {"smoke", "cpu", "gpu"} <= set(keys) <= set(PROFILES)
    assert all(entries == keys["smoke"] for entries in keys.values()), keys


def test_only_the_checkpoint_notebooks_have_a_pretrain_budget():
    assert {name for name, budgets in BUDGETS.items() if "pretrain" in budgets} == set(PRETRAIN_NOTEBOOKS)
    assert get_budget("03_simclr", "pretrain").train_images == 50_000
    with pytest.raises(UnknownProfileError, match="course checkpoints"):
        get_budget("01_intro_ssl", "pretrain")


def test_budget_entries_read_as_attributes_and_unknown_ones_say_what_exists():
    budget = get_budget("01_intro_ssl", "smoke")
    assert budget.ae_epochs == budget["ae_epochs"]
    with pytest.raises(AttributeError, match="ae_epochs"):
        _ = budget.not_an_entry


def test_unknown_notebook_lists_the_known_ones():
    with pytest.raises(KeyError, match="01_intro_ssl"):
        get_budget("99_missing", "cpu")


def test_setup_seeds_prints_and_returns_the_configuration(capsys):
    config = lab_utils.setup("01_intro_ssl", seed=5, profile="smoke")
    first = torch.rand(3)
    lab_utils.setup("01_intro_ssl", seed=5, profile="smoke")
    assert torch.equal(first, torch.rand(3)), "setup must make torch's random numbers repeat"
    printed = capsys.readouterr().out
    assert "profile:   smoke" in printed and "seed:      5" in printed and "budget:" in printed
    assert "precision: " in printed
    assert config.device.type in ("cpu", "cuda") and config.budget.ae_epochs == 1
