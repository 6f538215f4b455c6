"""The checks of notebook 05 accept correct answers and reject typical wrong ones.

The answers are the notebook's answer variants (tests/answers/05_time_series.py); here only
the visible checks run, so each wrong variant listed below must be caught by them alone.
"""

import importlib.util
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lab_utils
from lab_utils import timeseries
from lab_utils.checks import CheckFailed
from lab_utils.checks import time_series as checks

_spec = importlib.util.spec_from_file_location(
    "answers_05", Path(__file__).parent / "answers" / "05_time_series.py"
)
ANSWERS = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ANSWERS)

REFERENCE = {
    "sequence_autoencoder": '''
class SequenceAutoencoder(nn.Module):
    def __init__(self, length=50, latent_dim=16):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(length, 64), nn.ReLU(), nn.Linear(64, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 64), nn.ReLU(), nn.Linear(64, length))

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x)).reshape(x.shape)
''',
    "random_span_mask": '''
def random_span_mask(n, length, mask_ratio, span, generator):
    k = max(1, round(mask_ratio * length / span))
    starts = torch.randint(0, length - span + 1, (n, k, 1), generator=generator)
    steps = torch.arange(length)
    return ((steps >= starts) & (steps < starts + span)).any(dim=1)
''',
    "masked_mse": ANSWERS.CORRECT["masked_mse"]["weighted sum over a float mask"],
    "scale_and_jitter": ANSWERS.CORRECT["scale_and_jitter"]["normal_ into empty tensors"],
    "random_crop": ANSWERS.CORRECT["random_crop"]["unfold lists every window"],
    "hierarchical_contrastive_loss": ANSWERS.CORRECT["hierarchical_contrastive_loss"][
        "loops over the steps and the series, logsumexp"],
}

RUN = {
    "sequence_autoencoder": lambda ns: checks.check_sequence_autoencoder(ns["SequenceAutoencoder"]),
    "random_span_mask": lambda ns: checks.check_random_span_mask(ns["random_span_mask"]),
    "masked_mse": lambda ns: checks.check_masked_mse(ns["masked_mse"]),
    "scale_and_jitter": lambda ns: checks.check_scale_and_jitter(ns["scale_and_jitter"]),
    "random_crop": lambda ns: checks.check_random_crop(ns["random_crop"]),
    "hierarchical_contrastive_loss": lambda ns: checks.check_hierarchical_contrastive_loss(
        ns["hierarchical_contrastive_loss"]),
}

# Wrong answers that only the hidden tests catch (the visible checks cannot tell them apart):
# a CPU run hides tensors made on the CPU; the hidden tests run the answer on meta tensors.
HIDDEN_ONLY = {
    ("scale_and_jitter", "draws made on the CPU (no device=)"),
    ("hierarchical_contrastive_loss", "tensors made on the CPU (torch.arange and torch.eye without device)"),
    ("random_crop", "window starts drawn on the CPU, not on x's device (fails for x on a GPU)"),
}


def _namespace(source: str) -> dict:
    namespace = {"torch": torch, "nn": nn, "F": F, "lab_utils": lab_utils, "timeseries": timeseries}
    exec(source, namespace)
    return namespace


def _cases(table):
    return [(gid, name, src) for gid, variants in table.items() for name, src in variants.items()]


@pytest.mark.parametrize("grade_id", sorted(REFERENCE))
def test_reference_answers_pass(grade_id, capsys):
    RUN[grade_id](_namespace(REFERENCE[grade_id]))
    assert "all visible checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("grade_id,name,source", _cases(ANSWERS.CORRECT), ids=lambda v: str(v)[:40])
def test_correct_answers_written_another_way_pass(grade_id, name, source):
    RUN[grade_id](_namespace(source))


@pytest.mark.parametrize(
    "grade_id,name,source",
    [case for case in _cases(ANSWERS.WRONG) if case[:2] not in HIDDEN_ONLY],
    ids=lambda v: str(v)[:40],
)
def test_wrong_answers_fail_with_a_message(grade_id, name, source):
    with pytest.raises(CheckFailed) as error:
        RUN[grade_id](_namespace(source))
    assert "expected" in str(error.value) or "not implemented" in str(error.value)


@pytest.mark.parametrize("grade_id,name,source", _cases(ANSWERS.LAB_UTILS_ONLY), ids=lambda v: str(v)[:40])
def test_answers_from_lab_utils_alone_fail(grade_id, name, source):
    # A failed check, or a helper that the package no longer has.
    with pytest.raises((CheckFailed, AttributeError)):
        RUN[grade_id](_namespace(source))


def test_an_unimplemented_exercise_says_so():
    def random_span_mask(n, length, mask_ratio, span, generator):
        raise NotImplementedError

    with pytest.raises(CheckFailed, match="not implemented"):
        checks.check_random_span_mask(random_span_mask)


def test_single_thread_restores_the_thread_count():
    before = torch.get_num_threads()
    with checks.single_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("latent_dim", [2, 5])
def test_bottleneck_rank_sees_the_code_size_and_a_shortcut_around_it(latent_dim):
    torch.manual_seed(0)
    encoder, decoder = nn.Linear(12, latent_dim), nn.Linear(latent_dim, 12)
    x = torch.randn(1, 1, 12)

    class ThroughCode(nn.Module):
        def forward(self, x):
            return decoder(torch.relu(encoder(x.flatten(1)))).view_as(x)

    class AroundCode(ThroughCode):
        def forward(self, x):
            return x + super().forward(x)

    assert checks.bottleneck_rank(ThroughCode(), x) <= latent_dim
    assert checks.bottleneck_rank(AroundCode(), x) == 12


def test_signed_sequences_span_a_plane_and_reach_the_amplitude():
    x = checks.signed_sequences(8, 20)
    assert x.shape == (8, 1, 20)
    assert torch.linalg.matrix_rank(x.flatten(1)) == 2
    assert torch.allclose(x.abs().amax(dim=(1, 2)), torch.linspace(1.0, 2.5, 8))
