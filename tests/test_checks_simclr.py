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
}

# simclr_view answers call the notebook's random_apply: a correct one stands in for it.
RANDOM_APPLY = _answers.CORRECT["random_apply"]["a 0/1 mask and arithmetic"]


def _define(source: str) -> dict:
    """Run an answer's source in the namespace the notebook gives it."""
    namespace = {"torch": torch, "nn": nn, "F": F, "copy": copy, "math": math,
                 "augment": augment, "lab_utils": lab_utils}
    exec(compile(RANDOM_APPLY + source, "<answer>", "exec"), namespace)
    return namespace


def _cases(variants: dict) -> list:
    return [pytest.param(grade_id, source, id=f"{grade_id}: {name}")
            for grade_id, named in variants.items() for name, source in named.items()]


@pytest.mark.parametrize(("grade_id", "source"), _cases(_answers.CORRECT))
def test_checks_accept_correct_answers(grade_id, source):
    RUN_CHECK[grade_id](_define(source))


@pytest.mark.parametrize(("grade_id", "source"), _cases(_answers.WRONG) + _cases(_answers.LAB_UTILS_ONLY))
def test_checks_reject_wrong_answers(grade_id, source):
    with pytest.raises(Exception):  # noqa: B017  (a failed check or the error it provokes)
        RUN_CHECK[grade_id](_define(source))


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
