"""The checks of notebooks 02 and 02b accept correct answers, reject wrong ones and say why."""

import itertools
import os

import kornia
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lab_utils.checks import CheckFailed, pretext, rotnet
from lab_utils.models import normalize_cifar

PERMUTATIONS = torch.tensor(list(itertools.permutations(range(4))))


# Correct answers, written here only to prove that the checks accept them.
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


def unshuffle_tiles(tiles, ids):
    b, _, c, h, w = tiles.shape
    ordered = tiles[torch.arange(b)[:, None], PERMUTATIONS[ids].argsort(1)]
    return ordered.reshape(b, 2, 2, c, h, w).permute(0, 3, 1, 4, 2, 5).reshape(b, c, 2 * h, 2 * w)


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


@pytest.mark.filterwarnings("error::UserWarning")  # nbgrader gives 0 to a cell that writes to stderr
def test_the_checks_accept_correct_answers(capsys):
    pretext.check_shuffle_tiles(shuffle_tiles, PERMUTATIONS)
    pretext.check_shuffle_tiles(shuffle_tiles_unfold, PERMUTATIONS)
    pretext.check_unshuffle_tiles(unshuffle_tiles, PERMUTATIONS)
    pretext.check_colorization_net(ColorizationNet)
    pretext.check_colorization_loss(colorization_loss)
    assert capsys.readouterr().out.count("all visible checks passed") == 5


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


def test_unshuffle_check_rejects_applying_the_permutation_again():
    def again(tiles, ids):
        b, _, c, h, w = tiles.shape
        ordered = tiles[torch.arange(b)[:, None], PERMUTATIONS[ids]]
        return ordered.reshape(b, 2, 2, c, h, w).permute(0, 3, 1, 4, 2, 5).reshape(b, c, 2 * h, 2 * w)

    with pytest.raises(CheckFailed, match="inverse permutation"):
        pretext.check_unshuffle_tiles(again, PERMUTATIONS)


def test_unshuffle_check_rejects_a_column_major_grid_and_square_tiles():
    def column_major(tiles, ids):
        b, _, c, h, w = tiles.shape
        ordered = tiles[torch.arange(b)[:, None], PERMUTATIONS[ids].argsort(1)]
        return ordered.reshape(b, 2, 2, c, h, w).permute(0, 3, 2, 4, 1, 5).reshape(b, c, 2 * h, 2 * w)

    def square(tiles, ids):
        b, _, c, h, _ = tiles.shape
        return unshuffle_tiles(tiles[..., :h], ids)

    with pytest.raises(CheckFailed, match="reading order"):
        pretext.check_unshuffle_tiles(column_major, PERMUTATIONS)
    with pytest.raises(CheckFailed, match="need not be square"):
        pretext.check_unshuffle_tiles(square, PERMUTATIONS)


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
        pretext.check_colorization_loss(colour_input)
    with pytest.raises(CheckFailed, match="divided by 128"):
        pretext.check_colorization_loss(unscaled)
    with pytest.raises(CheckFailed, match="wrong shape"):
        pretext.check_colorization_net(RGBOut)


def test_colorization_net_check_rejects_an_unsigned_output_and_a_decoder_built_in_forward():
    class ReluOut(ColorizationNet):
        def forward(self, x):
            return torch.relu(super().forward(x))

    class BuiltInForward(nn.Module):
        def __init__(self, backbone):
            super().__init__()
            self.backbone = backbone

        def forward(self, x):
            return nn.Sequential(nn.Conv2d(256, 2, 1), nn.Upsample(scale_factor=8))(self.backbone.feature_map(x))

    with pytest.raises(CheckFailed, match="signed"):
        pretext.check_colorization_net(ReluOut)
    with pytest.raises(CheckFailed, match="in __init__"):
        pretext.check_colorization_net(BuiltInForward)


def test_colorization_check_requires_the_given_backbone():
    class OwnBackbone(ColorizationNet):
        def __init__(self, backbone):
            from lab_utils.models import SmallCNN

            super().__init__(SmallCNN())

    with pytest.raises(CheckFailed, match="self.backbone"):
        pretext.check_colorization_net(OwnBackbone)


# --------------------------------------------------------------------------- 02b (Keras)
@pytest.fixture(scope="module")
def keras_rotnet():
    """``keras`` and the notebook's RotNet builder (its architecture, written here again)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = pytest.importorskip("keras")

    def build_rotnet():
        return keras.Sequential([
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu", name="conv1"),
            keras.layers.MaxPool2D(2, name="pool1"),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2"),
            keras.layers.MaxPool2D(2, name="pool2"),
            keras.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="conv3"),
            keras.layers.Flatten(), keras.layers.Dense(4, name="rotation"),
        ])

    return keras, build_rotnet


def _classifier(keras, layers, activation=None):
    return keras.Sequential([keras.Input((28, 28, 1)), *layers, keras.layers.Flatten(),
                             keras.layers.Dense(10, activation=activation)])


@pytest.mark.filterwarnings("error::UserWarning")  # nbgrader gives 0 to a cell that writes to stderr
def test_rotnet_check_accepts_shared_frozen_layers(keras_rotnet, capsys):
    keras, build_rotnet = keras_rotnet

    def frozen(rotnet):
        for layer in rotnet.layers[:4]:
            layer.trainable = False
        return _classifier(keras, rotnet.layers[:4])

    def functional(model):  # built on `rotnet.inputs` (a list): Keras warns when it is called
        features = keras.Model(model.inputs, model.get_layer("pool2").output)
        features.trainable = False
        inputs = keras.Input((28, 28, 1))
        return keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(features(inputs))))

    rotnet.check_rotnet_classifier(frozen, build_rotnet)
    rotnet.check_rotnet_classifier(functional, build_rotnet)
    assert capsys.readouterr().out.count("all visible checks passed") == 2


def test_rotnet_check_rejects_unfrozen_layers_fresh_layers_and_a_softmax_head(keras_rotnet):
    keras, build_rotnet = keras_rotnet

    def not_frozen(model):
        return _classifier(keras, model.layers[:4])

    def fresh(model):
        layers = [keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
                  keras.layers.MaxPool2D(2), keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
                  keras.layers.MaxPool2D(2)]
        for layer in layers:
            layer.trainable = False
        return _classifier(keras, layers)

    def softmax_head(model):
        for layer in model.layers[:4]:
            layer.trainable = False
        return _classifier(keras, model.layers[:4], activation="softmax")

    with pytest.raises(CheckFailed, match="missing among its non-trainable weights"):
        rotnet.check_rotnet_classifier(not_frozen, build_rotnet)
    with pytest.raises(CheckFailed, match="pretrained conv1"):
        rotnet.check_rotnet_classifier(fresh, build_rotnet)
    with pytest.raises(CheckFailed, match="from_logits"):
        rotnet.check_rotnet_classifier(softmax_head, build_rotnet)
