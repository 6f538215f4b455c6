"""The checks of notebook 05 accept correct answers and reject typical wrong ones.

The answers are the notebook's answer variants (tests/answers/05_time_series.py); here only
the visible checks run, so each wrong variant listed below must be caught by them alone.
"""

import importlib.util
from pathlib import Path

import pytest
import torch
from torch import nn

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
    "augmentations": ANSWERS._augment(),
}

RUN = {
    "sequence_autoencoder": lambda ns: checks.check_sequence_autoencoder(ns["SequenceAutoencoder"]),
    "random_span_mask": lambda ns: checks.check_random_span_mask(ns["random_span_mask"]),
    "masked_mse": lambda ns: checks.check_masked_mse(ns["masked_mse"]),
    "augmentations": lambda ns: checks.check_augmentations(ns["jitter"], ns["scale"], ns["random_crop"]),
}

# Wrong answers that only the hidden tests catch (the visible checks cannot tell them apart).
HIDDEN_ONLY = {("random_span_mask", "number of spans truncated with int()")}


def _namespace(source: str) -> dict:
    namespace = {"torch": torch, "nn": nn}
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
