"""The checks of notebook 04 accept correct answers, reject typical wrong ones and say why."""

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from lab_utils.checks import CheckFailed
from lab_utils.checks import mae_dinov2 as checks


# Correct answers, written here only to prove the checks accept them.
def masking_by_sorting(batch_size, num_patches, mask_ratio, generator=None):
    keep = int(num_patches * (1 - mask_ratio))
    shuffle = torch.rand(batch_size, num_patches, generator=generator).argsort(dim=1)
    restore = shuffle.argsort(dim=1)
    return shuffle[:, :keep], restore, (restore >= keep).float()


def masking_by_permutations(batch_size, num_patches, mask_ratio, generator=None):
    keep = int(num_patches * (1 - mask_ratio))
    orders = torch.stack([torch.randperm(num_patches, generator=generator)
                          for _ in range(batch_size)])
    restore = torch.empty_like(orders).scatter_(
        1, orders, torch.arange(num_patches).expand(batch_size, -1).contiguous())
    mask = torch.ones(batch_size, num_patches).scatter_(1, orders[:, :keep], 0.0)
    return orders[:, :keep], restore, mask


def foreground_by_sorting(attention, mass=0.6):
    mean = attention.float().mean(dim=1)
    share = mean.flatten(1) / mean.flatten(1).sum(dim=1, keepdim=True)
    values, order = share.sort(dim=1, descending=True)
    kept = (values.cumsum(dim=1) - values) < mass
    return torch.zeros_like(kept).scatter(1, order, kept).reshape(mean.shape)


def foreground_in_numpy(attention, mass=0.6):
    masks = []
    for image in attention.float().mean(dim=1).numpy():
        share = np.sort(image.ravel())[::-1] / image.sum()
        count = int(np.searchsorted(np.cumsum(share), mass - 1e-12) + 1)
        masks.append(image >= np.sort(image.ravel())[::-1][count - 1])
    return torch.from_numpy(np.stack(masks))


def knn_weighted(train_x, train_y, test_x, k=20):
    sims, idx = (F.normalize(test_x, dim=1) @ F.normalize(train_x, dim=1).T).topk(k, dim=1)
    votes = torch.zeros(len(test_x), int(train_y.max()) + 1).scatter_add_(1, train_y[idx], sims)
    return votes.argmax(dim=1)


def knn_loop(train_x, train_y, test_x, k=20):
    out = []
    for query in test_x:
        sims = F.cosine_similarity(train_x, query[None], dim=1)
        top = sims.topk(k)
        out.append(int(torch.bincount(train_y[top.indices], weights=top.values).argmax()))
    return torch.tensor(out)


@pytest.mark.parametrize("answer", [masking_by_sorting, masking_by_permutations])
def test_masking_check_accepts_correct_answers(answer, capsys):
    checks.check_random_masking(answer)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [foreground_by_sorting, foreground_in_numpy])
def test_foreground_check_accepts_correct_answers(answer, capsys):
    checks.check_attention_foreground(answer)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [knn_weighted, knn_loop])
def test_knn_check_accepts_correct_answers(answer, capsys):
    checks.check_knn_predict(answer)
    assert "passed" in capsys.readouterr().out


def test_masking_check_rejects_one_mask_for_the_whole_batch():
    def shared(batch_size, num_patches, mask_ratio, generator=None):
        ids_keep, restore, mask = masking_by_sorting(1, num_patches, mask_ratio, generator)
        return (ids_keep.expand(batch_size, -1), restore.expand(batch_size, -1),
                mask.expand(batch_size, -1))

    with pytest.raises(CheckFailed, match="distinct masks"):
        checks.check_random_masking(shared)


def test_masking_check_rejects_an_uninverted_restore_and_names_the_rule():
    def uninverted(batch_size, num_patches, mask_ratio, generator=None):
        ids_keep, restore, mask = masking_by_sorting(batch_size, num_patches, mask_ratio, generator)
        return ids_keep, restore.argsort(dim=1), mask

    with pytest.raises(CheckFailed, match=r"ids_restore\[b, ids_keep\[b, j\]\] == j"):
        checks.check_random_masking(uninverted)


def test_masking_check_rejects_rounding_and_a_fixed_keep_set():
    def rounded(batch_size, num_patches, mask_ratio, generator=None):
        keep = round(num_patches * (1 - mask_ratio))
        shuffle = torch.rand(batch_size, num_patches, generator=generator).argsort(dim=1)
        restore = shuffle.argsort(dim=1)
        return shuffle[:, :keep], restore, (restore >= keep).float()

    def first_patches(batch_size, num_patches, mask_ratio, generator=None):
        keep = int(num_patches * (1 - mask_ratio))
        restore = torch.arange(num_patches).expand(batch_size, -1)
        return restore[:, :keep], restore, (restore >= keep).float()

    with pytest.raises(CheckFailed, match="wrong shape"):
        checks.check_random_masking(rounded)
    with pytest.raises(CheckFailed):
        checks.check_random_masking(first_patches)


def test_masking_check_rejects_a_boolean_mask():
    def boolean(batch_size, num_patches, mask_ratio, generator=None):
        ids_keep, restore, mask = masking_by_sorting(batch_size, num_patches, mask_ratio, generator)
        return ids_keep, restore, mask.bool()

    with pytest.raises(CheckFailed, match="float32"):
        checks.check_random_masking(boolean)


def test_masking_check_rejects_an_ignored_generator():
    def global_rng(batch_size, num_patches, mask_ratio, generator=None):
        return masking_by_sorting(batch_size, num_patches, mask_ratio, None)

    with pytest.raises(CheckFailed, match="generator"):
        checks.check_random_masking(global_rng)


def test_masking_check_reports_an_unimplemented_exercise():
    def todo(*args):
        raise NotImplementedError

    with pytest.raises(CheckFailed, match="not implemented"):
        checks.check_random_masking(todo)


@pytest.mark.parametrize("wrong", [
    lambda a, mass=0.6: foreground_by_sorting(a[:, :1], mass),              # first head only
    lambda a, mass=0.6: a.mean(1) > a.mean(dim=(1, 2, 3))[:, None, None],   # above the mean
    lambda a, mass=0.6: foreground_by_sorting(a.max() - a + 1e-3, mass),    # least attended
    lambda a, mass=0.6: foreground_by_sorting(a, mass + 0.1),               # too many patches
])
def test_foreground_check_rejects_wrong_answers(wrong):
    with pytest.raises(CheckFailed, match="expected"):
        checks.check_attention_foreground(wrong)


def test_foreground_check_rejects_a_batch_wide_normalisation():
    def batch_wide(attention, mass=0.6):
        mean = attention.mean(dim=1)
        share = mean.flatten(1) / mean.sum()
        values, order = share.sort(dim=1, descending=True)
        kept = (values.cumsum(dim=1) - values) < mass
        return torch.zeros_like(kept).scatter(1, order, kept).reshape(mean.shape)

    with pytest.raises(CheckFailed, match="times 10"):
        checks.check_attention_foreground(batch_wide)


def knn_by_dot_product(train_x, train_y, test_x, k=20):
    sims, idx = (test_x @ train_x.T).topk(k, dim=1)
    votes = torch.zeros(len(test_x), int(train_y.max()) + 1).scatter_add_(1, train_y[idx], sims)
    return votes.argmax(dim=1)


@pytest.mark.parametrize("wrong, reason", [
    (lambda tx, ty, qx, k=20: ty[torch.cdist(qx, tx).topk(k, largest=False).indices].mode(1).values,
     "cosine"),
    (lambda tx, ty, qx, k=20: knn_by_dot_product(tx, ty, qx, k), "normalise"),
    (lambda tx, ty, qx, k=20: ty[(F.normalize(qx, dim=1) @ F.normalize(tx, dim=1).T)
                                 .topk(k).indices].mode(1).values,
     "votes"),
])
def test_knn_check_rejects_wrong_answers_and_says_why(wrong, reason):
    with pytest.raises(CheckFailed, match=reason):
        checks.check_knn_predict(wrong)


def test_knn_check_rejects_float_predictions():
    with pytest.raises(CheckFailed, match="integer"):
        checks.check_knn_predict(lambda tx, ty, qx, k=20: knn_weighted(tx, ty, qx, k).float())


# ------------------------------------------------- patchify, MAE's loss and DINO's loss
# The variants of tests/answers/04_mae_dinov2.py, so the visible checks of the new exercises
# are tested against the same answers as the grading round trip (which adds the hidden tests).
def _answers():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parent / "answers" / "04_mae_dinov2.py"
    spec = importlib.util.spec_from_file_location("answers_04_mae_dinov2", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ANSWERS = _answers()
RUN_MAE_CHECK = {
    "patchify": lambda ns: checks.check_patchify(ns["patchify"]),
    "masked_patch_loss": lambda ns: checks.check_masked_patch_loss(ns["masked_patch_loss"]),
    "dino_loss": lambda ns: checks.check_dino_loss(ns["dino_loss"]),
}
# A mistake that only shows on another device: the hidden tests find it on meta tensors.
HIDDEN_ONLY = {("patchify", "patches copied into a buffer made on the CPU (fails for images on a GPU)")}


def _define(source: str) -> dict:
    import lab_utils
    from lab_utils import vit

    namespace = {"torch": torch, "F": F, "np": np, "vit": vit, "lab_utils": lab_utils}
    exec(compile(source, "<answer>", "exec"), namespace)
    return namespace


def _variants(kind: str, skip=frozenset()) -> list:
    return [pytest.param(grade_id, source, id=f"{grade_id}: {name}")
            for grade_id, named in getattr(ANSWERS, kind).items() if grade_id in RUN_MAE_CHECK
            for name, source in named.items() if (grade_id, name) not in skip]


@pytest.mark.parametrize(("grade_id", "source"), _variants("CORRECT"))
def test_mae_loss_checks_accept_correct_answers(grade_id, source, capsys):
    RUN_MAE_CHECK[grade_id](_define(source))
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize(("grade_id", "source"), _variants("WRONG", HIDDEN_ONLY) + _variants("LAB_UTILS_ONLY"))
def test_mae_loss_checks_reject_typical_mistakes_and_say_what_to_fix(grade_id, source):
    with pytest.raises(CheckFailed, match="expected"):
        RUN_MAE_CHECK[grade_id](_define(source))


@pytest.mark.parametrize("grade_id", sorted(RUN_MAE_CHECK))
def test_mae_loss_checks_catch_at_least_half_of_the_typical_mistakes(grade_id):
    mistakes = ANSWERS.WRONG[grade_id]
    assert len(mistakes) >= 4
    caught = [name for name in mistakes if (grade_id, name) not in HIDDEN_ONLY]
    assert 2 * len(caught) >= len(mistakes)
