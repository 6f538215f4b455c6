"""The checks of notebooks 02 and 02b accept correct answers, reject wrong ones and say why."""

import itertools

import kornia
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lab_utils.checks import CheckFailed, pretext, rotnet
from lab_utils.models import normalize_cifar

PERMUTATIONS = torch.tensor(list(itertools.permutations(range(4))))


# Correct answers, written here only to prove that the checks accept them.
def rotate_batch(images):
    rotated = torch.cat([torch.rot90(images, k, dims=(2, 3)) for k in range(4)])
    return rotated, torch.arange(4).repeat_interleave(len(images))


def rotate_batch_image_major(images):
    pairs = [(torch.rot90(image, k, dims=(1, 2)), k) for image in images for k in range(4)]
    return torch.stack([p for p, _ in pairs]), torch.tensor([k for _, k in pairs])


def shuffle_tiles(images, ids):
    b, c, h, w = images.shape
    tiles = images.reshape(b, c, 2, h // 2, 2, w // 2).permute(0, 2, 4, 1, 3, 5)
    tiles = tiles.reshape(b, 4, c, h // 2, w // 2)
    return tiles[torch.arange(b)[:, None], PERMUTATIONS[ids]]


def shuffle_tiles_unfold(images, ids):
    b, c, h, w = images.shape
    tiles = images.unfold(2, h // 2, h // 2).unfold(3, w // 2, w // 2)  # (B, C, 2, 2, h, w)
    tiles = tiles.reshape(b, c, 4, h // 2, w // 2).transpose(1, 2)
    index = PERMUTATIONS[ids].view(b, 4, 1, 1, 1).expand(-1, -1, c, h // 2, w // 2)
    return torch.gather(tiles, 1, index)


class ColorizationNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.decoder = nn.Sequential(nn.Conv2d(256, 2, 1), nn.Upsample(scale_factor=8))

    def forward(self, x):
        return self.decoder(self.backbone.feature_map(x))


def colorization_loss(model, images, _labels=None):
    lab = kornia.color.rgb_to_lab(images.float() / 255)
    grey = (lab[:, :1] / 100).expand(-1, 3, -1, -1)
    return F.mse_loss(model(normalize_cifar(grey)), lab[:, 1:] / 128)


def make_rotation_dataset(images):
    x = np.concatenate([np.rot90(images, k, axes=(1, 2)) for k in range(4)])
    return x.astype(np.float32), np.repeat(np.arange(4), len(images)).astype(np.int64)


def test_the_checks_accept_correct_answers(capsys):
    pretext.check_rotate_batch(rotate_batch)
    pretext.check_rotate_batch(rotate_batch_image_major)
    pretext.check_shuffle_tiles(shuffle_tiles, PERMUTATIONS)
    pretext.check_shuffle_tiles(shuffle_tiles_unfold, PERMUTATIONS)
    pretext.check_colorization(ColorizationNet, colorization_loss)
    rotnet.check_rotation_dataset(make_rotation_dataset)
    assert capsys.readouterr().out.count("all visible checks passed") == 6


def test_rotation_check_rejects_clockwise_turns_and_misaligned_labels():
    def clockwise(images):
        rotated = torch.cat([torch.rot90(images, -k, dims=(2, 3)) for k in range(4)])
        return rotated, torch.arange(4).repeat_interleave(len(images))

    def misaligned(images):
        rotated, _ = rotate_batch_image_major(images)
        return rotated, torch.arange(4).repeat_interleave(len(images))

    with pytest.raises(CheckFailed, match="counter-clockwise"):
        pretext.check_rotate_batch(clockwise)
    with pytest.raises(CheckFailed, match="not aligned"):
        pretext.check_rotate_batch(misaligned)


def test_rotation_check_rejects_float_output_and_unimplemented_answers():
    with pytest.raises(CheckFailed, match="dtype"):
        pretext.check_rotate_batch(lambda images: (rotate_batch(images)[0].float(),
                                                   rotate_batch(images)[1]))

    def todo(images):
        raise NotImplementedError

    with pytest.raises(CheckFailed, match="not implemented"):
        pretext.check_rotate_batch(todo)


def test_jigsaw_check_rejects_the_inverse_permutation_and_column_major_tiles():
    def inverse(images, ids):
        tiles = shuffle_tiles(images, torch.zeros_like(ids))
        return tiles[torch.arange(len(ids))[:, None], PERMUTATIONS[ids].argsort(1)]

    def column_major(images, ids):
        b, c, h, w = images.shape
        tiles = images.reshape(b, c, 2, h // 2, 2, w // 2).permute(0, 4, 2, 1, 3, 5)
        return tiles.reshape(b, 4, c, h // 2, w // 2)[torch.arange(b)[:, None], PERMUTATIONS[ids]]

    with pytest.raises(CheckFailed, match="position i holds tile p"):
        pretext.check_shuffle_tiles(inverse, PERMUTATIONS)
    with pytest.raises(CheckFailed, match="reading order"):
        pretext.check_shuffle_tiles(column_major, PERMUTATIONS)


def test_jigsaw_check_rejects_one_permutation_for_the_whole_batch():
    def first_id_only(images, ids):
        return shuffle_tiles(images, ids[:1].expand(len(ids)))

    with pytest.raises(CheckFailed, match="its own permutation"):
        pretext.check_shuffle_tiles(first_id_only, PERMUTATIONS)


def test_colorization_check_rejects_colour_input_rgb_output_and_unscaled_targets():
    def colour_input(model, images, _labels=None):
        lab = kornia.color.rgb_to_lab(images.float() / 255)
        return F.mse_loss(model(normalize_cifar(images)), lab[:, 1:] / 128)

    def unscaled(model, images, _labels=None):
        lab = kornia.color.rgb_to_lab(images.float() / 255)
        return F.mse_loss(model(normalize_cifar((lab[:, :1] / 100).expand(-1, 3, -1, -1))),
                          lab[:, 1:])

    class RGBOut(ColorizationNet):
        def __init__(self, backbone):
            super().__init__(backbone)
            self.decoder = nn.Sequential(nn.Conv2d(256, 3, 1), nn.Upsample(scale_factor=8))

    with pytest.raises(CheckFailed, match="grey channel"):
        pretext.check_colorization(ColorizationNet, colour_input)
    with pytest.raises(CheckFailed, match="divided by 128"):
        pretext.check_colorization(ColorizationNet, unscaled)
    with pytest.raises(CheckFailed, match="wrong shape"):
        pretext.check_colorization(RGBOut, colorization_loss)


def test_colorization_check_requires_the_given_backbone():
    class OwnBackbone(ColorizationNet):
        def __init__(self, backbone):
            from lab_utils.models import SmallCNN

            super().__init__(SmallCNN())

    with pytest.raises(CheckFailed, match="self.backbone"):
        pretext.check_colorization(OwnBackbone, colorization_loss)


def test_rotnet_check_rejects_clockwise_turns_and_misaligned_labels():
    def clockwise(images):
        x = np.concatenate([np.rot90(images, -k, axes=(1, 2)) for k in range(4)])
        return x.astype(np.float32), np.repeat(np.arange(4), len(images)).astype(np.int64)

    def wrapped_like_the_seed(images):  # its loop wrote index 4*i-4: image 0 lands at the end
        x = np.stack([np.rot90(image, k) for image in images for k in range(4)])
        x = np.roll(x, 4, axis=0)
        return x.astype(np.float32), np.tile(np.arange(4), len(images)).astype(np.int64)

    def rotation_major_labels(images):
        x = np.stack([np.rot90(image, k) for image in images for k in range(4)])
        return x.astype(np.float32), np.repeat(np.arange(4), len(images)).astype(np.int64)

    with pytest.raises(CheckFailed, match="counter-clockwise"):
        rotnet.check_rotation_dataset(clockwise)
    with pytest.raises(CheckFailed, match="not aligned"):
        rotnet.check_rotation_dataset(rotation_major_labels)
    # Shifting whole groups of four keeps every (image, label) pair: still a correct answer.
    rotnet.check_rotation_dataset(wrapped_like_the_seed)
