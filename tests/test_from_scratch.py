"""A fair from-scratch baseline: steps that grow with the labels, early stopping, seed spread."""

import numpy as np
import pytest
import torch
from torch import nn

from lab_utils.evaluation import holdout_split, label_efficiency, label_efficiency_scores
from lab_utils.training import EarlyStopping, scaled_steps, train


def test_scaled_steps_grow_with_the_labelled_set_within_their_bounds():
    assert scaled_steps(100, 64, epochs=20) == 32                 # 20 passes of 2 batches of 64
    assert scaled_steps(10, 64, epochs=20) == 20                  # batches of 10: one per epoch
    assert scaled_steps(5_000, 64, epochs=3) == 235
    assert scaled_steps(100, 64, epochs=1, min_steps=50) == 50
    assert scaled_steps(5_000, 64, epochs=30, max_steps=1_000) == 1_000
    steps = [scaled_steps(n, 64, epochs=5, min_steps=20, max_steps=400) for n in (10, 100, 1_000, 5_000)]
    assert steps == sorted(steps) and steps[-1] > steps[0]


@pytest.mark.parametrize("args", [(0, 64, 1.0), (10, 0, 1.0), (10, 64, 0.0)])
def test_scaled_steps_reject_empty_budgets(args):
    with pytest.raises(ValueError, match="scaled_steps needs"):
        scaled_steps(*args)
    with pytest.raises(ValueError, match="below min_steps"):
        scaled_steps(10, 4, 1.0, min_steps=5, max_steps=4)


class _Scripted:
    """An evaluate() that returns a fixed sequence of scores and remembers the model's mode."""

    def __init__(self, scores):
        self.scores, self.modes = list(scores), []

    def __call__(self, model):
        self.modes.append(model.training)
        return self.scores.pop(0)


def _run(stopper, steps=100, seed=0):
    torch.manual_seed(seed)
    model = nn.Linear(3, 1)
    x = torch.randn(16, 3)
    train(model, lambda m, xb, _y: m(xb).pow(2).mean(), x, steps=steps, batch_size=4,
          optimizer=torch.optim.SGD(model.parameters(), lr=0.1), on_step=stopper)
    return model


def test_early_stopping_stops_after_patience_evaluations_without_gain_and_restores_the_best():
    evaluate = _Scripted([0.1, 0.5, 0.4, 0.45, 0.3, 0.9])   # best at the 2nd evaluation (step 10)
    stopper = EarlyStopping(evaluate, every=5, patience=3)
    model = _run(stopper)
    assert [s for s, _ in stopper.scores] == [5, 10, 15, 20, 25], "three evaluations without gain"
    assert stopper.best_step == 10 and stopper.best_score == 0.5
    assert evaluate.modes == [False] * 5, "scored in eval mode"
    best_weights = stopper._best_state["weight"].clone()
    assert not torch.equal(model.weight, best_weights), "training went on after the best step"
    stopper.restore(model)
    assert torch.equal(model.weight, best_weights)


def test_early_stopping_scores_the_last_step_and_never_stops_while_improving():
    stopper = EarlyStopping(_Scripted([0.1, 0.2, 0.3]), every=4, patience=1)
    _run(stopper, steps=10)
    assert [s for s, _ in stopper.scores] == [4, 8, 10] and stopper.best_step == 10
    with pytest.raises(RuntimeError, match="no weights to restore"):
        EarlyStopping(lambda m: 0.0, every=1).restore(nn.Linear(1, 1))
    with pytest.raises(ValueError, match="every >= 1"):
        EarlyStopping(lambda m: 0.0, every=0)


def test_holdout_split_is_balanced_disjoint_and_keeps_singletons_for_training():
    labels = torch.tensor([0] * 10 + [1] * 10 + [2] * 1)
    train_idx, held_idx = holdout_split(labels, 0.2, seed=3)
    assert sorted(torch.cat([train_idx, held_idx]).tolist()) == list(range(21))
    assert labels[held_idx].bincount(minlength=3).tolist() == [2, 2, 0]
    assert torch.equal(holdout_split(labels, 0.2, seed=3)[1], held_idx)
    assert not torch.equal(holdout_split(labels, 0.2, seed=4)[1], held_idx)
    pairs = torch.tensor([0, 0, 1, 1])
    assert pairs[holdout_split(pairs, 0.1)[1]].tolist() == [0, 1], "one held out per class"
    with pytest.raises(ValueError, match="between 0 and 1"):
        holdout_split(labels, 1.0)


def test_label_efficiency_gives_each_seed_to_a_probe_that_asks_and_reports_the_spread():
    x = torch.arange(40.0)[:, None]
    y = torch.arange(4).repeat(10)
    seen = []

    def scratch(train_x, train_y, test_x, test_y, seed):
        assert isinstance(train_x, torch.Tensor), "tensors stay tensors"
        seen.append((len(train_x), seed))
        return 0.1 * seed + len(train_x) / 100

    scores = label_efficiency_scores(x, y, x, y, sizes=(4, 8), seeds=3, probe=scratch)
    assert seen == [(4, 0), (4, 1), (4, 2), (8, 0), (8, 1), (8, 2)]
    assert np.allclose(scores[4], [0.04, 0.14, 0.24])
    curve = label_efficiency(x, y, x, y, sizes=(4,), seeds=3, probe=scratch)
    assert np.allclose(curve[4], (0.14, np.std([0.04, 0.14, 0.24])))
    with pytest.raises(ValueError, match="at least one seed"):
        label_efficiency(x, y, x, y, sizes=(4,), seeds=0)
