"""The student checks accept correct answers, reject wrong ones and say why."""

import numpy as np
import pytest
import torch
from torch import nn

from lab_utils.checks import CheckFailed, check_close, check_shape, intro


def test_a_wrong_shape_message_names_both_shapes():
    with pytest.raises(CheckFailed) as error:
        check_shape("features", torch.zeros(4, 3), (4, 256))
    assert "(4, 256)" in str(error.value) and "(4, 3)" in str(error.value)


def test_check_close_reports_expected_and_got():
    with pytest.raises(CheckFailed, match=r"expected: 1\.\s+got:\s+1\.5"):
        check_close("loss", 1.5, 1.0)
    with pytest.raises(CheckFailed, match="NaN or inf"):
        check_close("loss", float("nan"), 1.0)


# Correct answers, written here only to prove the checks accept them.
def rotations(images):
    rows = [(np.rot90(img, k).ravel(), k) for img in images for k in range(4)]
    return np.array([r for r, _ in rows], dtype=np.float32), np.array([k for _, k in rows], dtype=np.int64)


def softmax_ce(logits, labels):
    shifted = logits - logits.max(1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    n = len(labels)
    return float(-log_p[np.arange(n), labels].mean()), (np.exp(log_p) - np.eye(log_p.shape[1])[labels]) / n


def forward(params, x):
    h = np.tanh(x @ params["W1"] + params["b1"])
    return h @ params["W2"] + params["b2"], (x, h)


def backward(params, cache, g):
    x, h = cache
    d = g @ params["W2"].T * (1 - h**2)
    return {"W1": x.T @ d, "b1": d.sum(0), "W2": h.T @ g, "b2": g.sum(0)}


class AE(nn.Module):
    def __init__(self, latent_dim=32):
        super().__init__()
        self.enc = nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, latent_dim))
        self.dec = nn.Sequential(nn.Linear(latent_dim, 784), nn.Sigmoid())

    def encode(self, x):
        return self.enc(x)

    def forward(self, x):
        return self.dec(self.encode(x)).reshape(-1, 1, 28, 28)


@pytest.mark.filterwarnings("error::UserWarning")  # a warning in a check cell costs its points
def test_intro_checks_accept_correct_answers(capsys):
    intro.check_rotation_dataset(rotations)
    intro.check_softmax_cross_entropy(softmax_ce)
    intro.check_two_layer_backward(forward, backward)
    intro.check_autoencoder(AE)
    assert capsys.readouterr().out.count("all visible checks passed") == 4


def test_rotation_check_rejects_clockwise_turns():
    def clockwise(images):
        x, y = rotations(images)
        return np.array([np.rot90(r.reshape(images.shape[1:]), -2 * k).ravel() for r, k in zip(x, y, strict=True)],
                        dtype=np.float32), y

    with pytest.raises(CheckFailed, match="counter-clockwise"):
        intro.check_rotation_dataset(clockwise)


def test_rotation_check_reports_an_unimplemented_exercise():
    def todo(images):
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match="not implemented yet"):
        intro.check_rotation_dataset(todo)


def test_softmax_check_rejects_a_sum_instead_of_a_mean():
    def summed(logits, labels):
        loss, grad = softmax_ce(logits, labels)
        return loss * len(labels), grad * len(labels)

    with pytest.raises(CheckFailed, match="loss"):
        intro.check_softmax_cross_entropy(summed)


def test_softmax_check_rejects_the_log_of_the_softmax_with_a_hint_at_log_sum_exp():
    def log_of_softmax(logits, labels):
        p = np.exp(logits - logits.max(1, keepdims=True))
        p = p / p.sum(1, keepdims=True)
        n = len(labels)
        with np.errstate(divide="ignore"):
            return float(-np.log(p[np.arange(n), labels]).mean()), (p - np.eye(p.shape[1])[labels]) / n

    with pytest.raises(CheckFailed, match="log-sum-exp"):
        intro.check_softmax_cross_entropy(log_of_softmax)


def test_softmax_check_rejects_logits_shifted_in_place():
    def in_place(logits, labels):
        logits -= logits.max(1, keepdims=True)
        return softmax_ce(logits, labels)

    with pytest.raises(CheckFailed, match="modified in place"):
        intro.check_softmax_cross_entropy(in_place)


def test_backward_check_rejects_writing_into_the_cache():
    def squares_the_cache(params, cache, g):
        cache[1][...] = cache[1] ** 2
        return backward(params, cache, g)

    with pytest.raises(CheckFailed, match="writes into its inputs"):
        intro.check_two_layer_backward(forward, squares_the_cache)


def test_backward_check_rejects_the_wrong_tanh_derivative():
    def wrong(params, cache, g):
        x, h = cache
        d = g @ params["W2"].T * (1 - h)
        return {"W1": x.T @ d, "b1": d.sum(0), "W2": h.T @ g, "b2": g.sum(0)}

    with pytest.raises(CheckFailed, match="gradient of W1"):
        intro.check_two_layer_backward(forward, wrong)


def test_autoencoder_check_rejects_a_decoder_without_sigmoid():
    class NoSigmoid(AE):
        def forward(self, x):
            return self.dec[0](self.encode(x)).reshape(-1, 1, 28, 28)

    with pytest.raises(CheckFailed, match=r"\[0, 1\]"):
        intro.check_autoencoder(NoSigmoid)


def test_autoencoder_check_rejects_a_relu_on_the_code():
    class ReluCode(AE):
        def encode(self, x):
            return torch.relu(self.enc(x))

    with pytest.raises(CheckFailed, match="no activation after"):
        intro.check_autoencoder(ReluCode)


def test_autoencoder_check_rejects_a_fixed_code_size():
    class Fixed(AE):
        def __init__(self, latent_dim=32):
            super().__init__(32)

    with pytest.raises(CheckFailed, match=r"\(5, 8\)"):
        intro.check_autoencoder(Fixed)
