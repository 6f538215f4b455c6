"""The headline results: which recorded metrics the course is judged by, and what to expect.

One :class:`Headline` is one line of the headline table (``results/<profile>.md``, the
README's results block) and one bar of the chart. To show a new result, record it in its
notebook with ``lab_utils.record(name, value)`` and add a line to :data:`HEADLINES` at the
place it belongs in the table (course order). Every accuracy is a fraction in [0, 1].

A metric whose data set may come from a substitute (MNIST without internet: the 10,000 test
images split 8,000 / 2,000) names the note its notebook records with
``lab_utils.record_note`` (``data_note``); the tables then say when the substitute was used.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab_utils.datasets import MNIST_FULL_SOURCE

# What each data note says when the full data set was used; any other text is a substitute.
FULL_DATA_SOURCES = {"mnist_source": MNIST_FULL_SOURCE}


@dataclass(frozen=True)
class Headline:
    """One line of the headline table: a recorded metric and what the seed material expects."""

    notebook: str
    metric: str
    label: str
    expected: tuple[float, float] | None = None  # (low, high); low == high for one value
    expected_text: str = "-"
    data_note: str | None = None  # the recorded note naming the data set the metric used


def _one(value: float, text: str | None = None) -> dict:
    return {"expected": (value, value), "expected_text": text or f"{100 * value:.1f} %"}


def _published(value: float, source: str) -> dict:
    return {"expected": (value, value), "expected_text": f"{100 * value:.1f} % ({source}, published)"}


def _range(low: float, high: float) -> dict:
    return {"expected": (low, high), "expected_text": f"{100 * low:.0f}-{100 * high:.0f} %"}


# The results the course is judged by (DESIGN.md section 6, the seed notebooks, and the
# published UCR anchors).
HEADLINES: tuple[Headline, ...] = (
    Headline("01_intro_ssl", "digits_probe_raw_pixels", "digits, probe on raw pixels"),
    Headline("01_intro_ssl", "digits_probe_rotation_network", "digits, probe on rotation-net features"),
    Headline("01_intro_ssl", "mnist_probe_raw_pixels_100_labels", "MNIST 100 labels, raw pixels",
             data_note="mnist_source"),
    Headline("01_intro_ssl", "mnist_probe_autoencoder_100_labels", "MNIST 100 labels, autoencoder",
             data_note="mnist_source"),
    Headline("02_pretext_tasks", "probe_random_init", "CIFAR-10, random-init CNN", **_one(0.28, "~28 %")),
    Headline("02_pretext_tasks", "probe_supervised", "CIFAR-10, supervised CNN", **_range(0.75, 0.85)),
    Headline("02_pretext_tasks", "probe_rotation", "CIFAR-10, rotation", **_one(0.55, "~55 %")),
    Headline("02_pretext_tasks", "probe_jigsaw", "CIFAR-10, jigsaw", **_one(0.52, "~52 %")),
    Headline("02_pretext_tasks", "probe_colorization", "CIFAR-10, colorization", **_one(0.45, "~45 %")),
    Headline("02_pretext_tasks", "course_probe_supervised", "CIFAR-10, supervised CNN, course checkpoint",
             **_range(0.75, 0.85)),
    Headline("02_pretext_tasks", "course_probe_rotation", "CIFAR-10, rotation, course checkpoint",
             **_one(0.55, "~55 %")),
    Headline("02_pretext_tasks", "course_probe_jigsaw", "CIFAR-10, jigsaw, course checkpoint",
             **_one(0.52, "~52 %")),
    Headline("02_pretext_tasks", "course_probe_colorization", "CIFAR-10, colorization, course checkpoint",
             **_one(0.45, "~45 %")),
    Headline("02b_rotnet_keras", "rotnet_1000_labels_mean", "MNIST 1,000 labels, RotNet frozen",
             data_note="mnist_source", **_one(0.81, "81.00 %")),
    Headline("02b_rotnet_keras", "supervised_1000_labels_mean", "MNIST 1,000 labels, from scratch",
             data_note="mnist_source", **_one(0.7867, "78.67 %")),
    Headline("03_simclr", "probe_random_init", "CIFAR-10, random-init CNN"),
    Headline("03_simclr", "probe_simclr", "CIFAR-10, SimCLR", **_range(0.65, 0.70)),
    Headline("03_simclr", "probe_moco", "CIFAR-10, MoCo"),
    Headline("03_simclr", "probe_byol", "CIFAR-10, BYOL"),
    Headline("03_simclr", "course_probe_simclr", "CIFAR-10, SimCLR, course checkpoint", **_range(0.65, 0.70)),
    Headline("03_simclr", "course_probe_moco", "CIFAR-10, MoCo, course checkpoint"),
    Headline("03_simclr", "course_probe_byol", "CIFAR-10, BYOL, course checkpoint"),
    Headline("03_simclr", "labels_100_random_init", "CIFAR-10 100 labels, random-init CNN probe"),
    Headline("03_simclr", "labels_100_from_scratch", "CIFAR-10 100 labels, CNN from scratch"),
    Headline("03_simclr", "labels_100_simclr_course", "CIFAR-10 100 labels, SimCLR checkpoint probe"),
    Headline("03_simclr", "labels_1000_random_init", "CIFAR-10 1,000 labels, random-init CNN probe"),
    Headline("03_simclr", "labels_1000_from_scratch", "CIFAR-10 1,000 labels, CNN from scratch"),
    Headline("03_simclr", "labels_1000_simclr_course", "CIFAR-10 1,000 labels, SimCLR checkpoint probe"),
    Headline("04_mae_dinov2", "mae_pretrained_linear_probe", "CIFAR-10, pretrained MAE, linear",
             **_range(0.60, 0.70)),
    Headline("04_mae_dinov2", "dinov2_knn", "CIFAR-10, DINOv2-S, k-NN", **_range(0.95, 0.97)),
    Headline("04_mae_dinov2", "mini_mae_linear_probe", "CIFAR-10, mini-MAE from scratch"),
    Headline("04_mae_dinov2", "mini_mae_untrained_linear_probe", "CIFAR-10, mini-MAE untrained twin"),
    Headline("04_mae_dinov2", "random_cnn_linear_probe", "CIFAR-10, random-init CNN"),
    Headline("04_mae_dinov2", "course_probe_mini_mae", "CIFAR-10, mini-MAE, course checkpoint"),
    Headline("04_mae_dinov2", "course_mini_mae_untrained_probe", "CIFAR-10, its untrained twin"),
    Headline("05_time_series", "gunpoint_1_nn_euclidean_all_labels", "GunPoint, 1-NN Euclidean",
             **_published(0.913, "1-NN")),
    Headline("05_time_series", "gunpoint_rocket_all_labels", "GunPoint, ROCKET", **_published(1.0, "ROCKET")),
    Headline("05_time_series", "gunpoint_contrastive_all_labels", "GunPoint, contrastive",
             **_published(0.987, "TS2Vec")),
    Headline("05_time_series", "italypowerdemand_1_nn_euclidean_all_labels",
             "ItalyPowerDemand, 1-NN Euclidean", **_published(0.955, "1-NN")),
    Headline("05_time_series", "italypowerdemand_rocket_all_labels", "ItalyPowerDemand, ROCKET",
             **_published(0.970, "ROCKET")),
    Headline("05_time_series", "italypowerdemand_contrastive_all_labels",
             "ItalyPowerDemand, contrastive", **_published(0.960, "TS2Vec")),
)


def missing_headlines(report: dict) -> list[str]:
    """Headline metrics that a notebook which ran to the end did not record (a renamed key?)."""
    return [f"{line.notebook}: {line.metric}" for line in HEADLINES
            if report["notebooks"].get(line.notebook, {}).get("status") == "ok"
            and line.metric not in report["notebooks"][line.notebook]["metrics"]
            and not report["notebooks"][line.notebook]["skipped_cells"]]


def substitute_data(report: dict, line: Headline) -> str | None:
    """The data set ``line``'s notebook recorded, when it is not the full one; else None."""
    if line.data_note is None:
        return None
    run = report["notebooks"].get(line.notebook, {})
    source = run.get("notes", {}).get(line.data_note)
    return source if source is not None and source != FULL_DATA_SOURCES.get(line.data_note) else None
