"""The training-size benchmarks run notebook 03's own code at the size they report."""

from __future__ import annotations

import pytest
import torch

from ssl_lab_instructor.benchmarks import step


@pytest.fixture(scope="module")
def notebook() -> dict:
    return step.notebook_definitions()


@pytest.mark.parametrize("size", [32, 16])
def test_the_notebooks_views_come_at_the_training_size(notebook, size):
    step.at_training_size(notebook, size)
    images = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)
    assert notebook["training_views"](images).shape == (4, 3, size, size)


@pytest.mark.parametrize("method", step.METHODS)
def test_a_16_pixel_step_feeds_16_pixel_views_to_the_network(notebook, method):
    """The network, not just the augmentation, must see the smaller views: that is the saving."""
    step.at_training_size(notebook, 16)
    model, loss_fn = step.build(method, notebook, torch.device("cpu"))
    seen = []
    model.apply(lambda m: m.register_forward_pre_hook(lambda _, args: seen.append(args[0].shape[-1]))
                if isinstance(m, torch.nn.Conv2d) else None)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    batch = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8)
    seconds = step.one_step(model, loss_fn, notebook["training_views"], batch, optimizer,
                            step.precision_for(torch.device("cpu")))
    assert len(seconds) == len(step.PHASES) - 1 and all(s >= 0 for s in seconds)
    assert seen and max(seen) == 16


def test_speed_ups_are_32_pixel_time_over_smaller_size_time():
    rows = [{"method": "SimCLR", "size": 32, "step_seconds": 0.6},
            {"method": "SimCLR", "size": 16, "step_seconds": 0.15},
            {"method": "MoCo", "size": 16, "step_seconds": 0.1}]   # no 32-pixel row: no ratio
    assert step.speedups_over_32px(rows) == {"simclr_speedup_16px": pytest.approx(4.0)}


def test_the_fixres_summary_becomes_quotable_top_level_numbers():
    from ssl_lab_instructor.benchmarks.fixres import figures

    flat = figures({16: {"knn": (0.45, 0.006)}, 32: {"knn": (0.41, 0.002)}})
    assert flat == {"knn_16px": 0.45, "knn_16px_std": 0.006, "knn_32px": 0.41, "knn_32px_std": 0.002}
