"""The checks of notebook 03 accept correct answers and reject the typical wrong ones.

The answers are those of tests/answers/03_simclr.py, so the visible checks are tested
against the same variants as the grading round trip (which adds the hidden tests).
"""

from __future__ import annotations

import copy
import importlib.util
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lab_utils
from lab_utils import augment
from lab_utils.checks import simclr as checks

ANSWERS = Path(__file__).parent / "answers" / "03_simclr.py"
_spec = importlib.util.spec_from_file_location("answers_03_simclr", ANSWERS)
_answers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_answers)

RUN_CHECK = {
    "random_apply": lambda ns: checks.check_random_apply(ns["random_apply"]),
    "simclr_view": lambda ns: checks.check_simclr_view(ns["simclr_view"]),
    "projection_head": lambda ns: checks.check_projection_head(ns["ProjectionHead"]),
    "nt_xent": lambda ns: checks.check_nt_xent(ns["nt_xent_loss"]),
    "momentum_copy": lambda ns: checks.check_momentum_copy(ns["momentum_copy"]),
    "momentum_update": lambda ns: checks.check_momentum_update(ns["momentum_update"]),
    "key_queue": lambda ns: checks.check_enqueue(ns["enqueue"]),
    "byol_loss": lambda ns: checks.check_byol_loss(ns["byol_loss"]),
    "vicreg_loss": lambda ns: checks.check_vicreg_loss(ns["vicreg_loss"]),
}

# Mistakes that only show on another device: a CPU run of the visible check cannot see them,
# the hidden tests do (on meta tensors).
HIDDEN_ONLY = {
    ("byol_loss", "a constant made on the CPU (fails for inputs on a GPU)"),
    ("vicreg_loss", "the off-diagonal mask made on the CPU (fails for inputs on a GPU)"),
    ("nt_xent", "the diagonal mask and the targets made on the CPU (fails for inputs on a GPU)"),
    # Independent coins and a subset of exactly round(p * N) look alike in one batch; the
    # hidden tests count the transformed images over many small batches.
    ("random_apply", "exactly round(p * N) images chosen (a subset of fixed size, not independent coins)"),
    # Grey then jitter gives the same shares of grey and jittered views; the hidden tests
    # measure the grey levels of jittered red images.
    ("simclr_view", "grayscale before the colour jitter (steps 3 and 4 swapped)"),
}

# simclr_view answers call the notebook's random_apply: a correct one stands in for it.
RANDOM_APPLY = _answers.CORRECT["random_apply"]["a 0/1 mask and arithmetic"]


def _define(source: str) -> dict:
    """Run an answer's source in the namespace the notebook gives it."""
    namespace = {"torch": torch, "nn": nn, "F": F, "copy": copy, "math": math,
                 "augment": augment, "lab_utils": lab_utils}
    exec(compile(RANDOM_APPLY + source, "<answer>", "exec"), namespace)
    return namespace


def _cases(variants: dict, skip: set = frozenset()) -> list:
    return [pytest.param(grade_id, source, id=f"{grade_id}: {name}")
            for grade_id, named in variants.items() for name, source in named.items()
            if (grade_id, name) not in skip]


@pytest.mark.parametrize(("grade_id", "source"), _cases(_answers.CORRECT))
def test_checks_accept_correct_answers(grade_id, source):
    RUN_CHECK[grade_id](_define(source))


@pytest.mark.parametrize(("grade_id", "source"),
                         _cases(_answers.WRONG, HIDDEN_ONLY) + _cases(_answers.LAB_UTILS_ONLY))
def test_checks_reject_wrong_answers(grade_id, source):
    with pytest.raises(Exception):  # noqa: B017  (a failed check or the error it provokes)
        RUN_CHECK[grade_id](_define(source))


@pytest.mark.parametrize("grade_id", ["byol_loss", "vicreg_loss"])
def test_the_new_objectives_checks_name_the_mistake_they_find(grade_id):
    """Each typical mistake fails the visible check with a message that says what to fix."""
    for name, source in _answers.WRONG[grade_id].items():
        if (grade_id, name) in HIDDEN_ONLY:
            continue
        with pytest.raises(checks.CheckFailed) as failure:
            RUN_CHECK[grade_id](_define(source))
        assert "expected" in str(failure.value) and "hint:" in str(failure.value), (name, str(failure.value))
    caught = len(_answers.WRONG[grade_id]) - sum(gid == grade_id for gid, _ in HIDDEN_ONLY)
    assert caught * 2 >= len(_answers.WRONG[grade_id]), "the visible check must catch at least half"


def test_a_missing_answer_is_reported_as_not_implemented():
    def simclr_view(images, generator=None):
        raise NotImplementedError

    with pytest.raises(checks.CheckFailed, match="not implemented"):
        checks.check_simclr_view(simclr_view)


@pytest.mark.parametrize("area", [0.3, 0.5, 0.9])
def test_crop_areas_measures_the_share_of_the_image_each_view_shows(area):
    def fixed_crop(images, generator=None):
        views = augment.random_resized_crop(augment.to_float(images), scale=(area, area),
                                            ratio=(1.0, 1.0), generator=generator)
        return augment.color_jitter(views, generator=generator)  # brightness and contrast vary

    measured = checks.crop_areas(fixed_crop, n=50)
    assert torch.allclose(measured, torch.full((50,), area), atol=0.03)
