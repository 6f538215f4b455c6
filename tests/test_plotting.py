import matplotlib
import numpy as np
import pytest
import torch

import lab_utils
from lab_utils import plotting


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    matplotlib.pyplot.close("all")


def test_to_display_handles_uint8_and_single_channel():
    images = torch.full((2, 1, 4, 4), 255, dtype=torch.uint8)
    shown = plotting.to_display(images)
    assert shown.shape == (2, 4, 4, 1) and shown.max() == 1.0


def test_show_images_titles_each_image_and_saves(tmp_path, monkeypatch):
    monkeypatch.setenv("SSL_LAB_FIGURES_DIR", str(tmp_path))
    lab_utils.setup("01_intro_ssl", profile="smoke")
    fig = plotting.show_images(torch.rand(5, 3, 8, 8), titles=list("abcde"), ncols=3, title="grid")
    assert fig._suptitle.get_text() == "grid"
    assert [ax.get_title() for ax in fig.axes[:5]] == list("abcde")
    path = plotting.save_figure(fig, "grid")
    assert path == tmp_path / "01_intro_ssl" / "grid.png" and path.stat().st_size > 1_000


def test_reconstructions_must_match_the_originals_shape():
    with pytest.raises(ValueError, match=r"\(4, 1, 28, 28\).*\(4, 784\)"):
        plotting.plot_reconstructions(torch.zeros(4, 1, 28, 28), torch.zeros(4, 784))


def test_every_chart_has_a_title_and_axis_labels():
    figures = [
        plotting.plot_tsne(np.random.rand(20, 2), np.arange(20) % 2, ["a", "b"]),
        plotting.plot_similarity_matrix(torch.eye(4)),
        plotting.plot_histograms({"pos": np.random.rand(50), "neg": np.random.rand(50)}, "sims", "cosine"),
        plotting.plot_label_efficiency({"ae": {10: (0.5, 0.1), 100: (0.8, 0.05)}}),
        plotting.plot_results_bar({"random": 0.4, "rotation": 0.6}, {"rotation": 0.55}, baseline=0.4),
        plotting.plot_grouped_bars({"here": {"a": 0.5, "b": 0.6}, "course": {"b": 0.7}}, baseline=0.4),
    ]
    for fig in figures:
        ax = fig.axes[0]
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel(), fig


def test_grouped_bars_leave_a_gap_where_a_series_lacks_a_method():
    fig = plotting.plot_grouped_bars({"here": {"a": 0.5, "b": 0.6}, "course": {"b": 0.7}})
    heights = [[bar.get_height() for bar in container] for container in fig.axes[0].containers]
    assert heights[0] == [0.5, 0.6] and np.isnan(heights[1][0]) and heights[1][1] == 0.7


def test_label_efficiency_draws_error_bars_and_dashed_partners_in_their_colour():
    curves = {"probe": {10: (0.5, 0.1), 100: (0.8, 0.05)}, "probe, k-NN": {10: (0.4, 0.02), 100: (0.6, 0.0)}}
    fig = plotting.plot_label_efficiency(curves, dashed={"probe, k-NN": "probe"})
    solid, dashed = fig.axes[0].containers
    assert solid.lines[0].get_color() == dashed.lines[0].get_color()
    assert solid.lines[0].get_linestyle() == "-" and dashed.lines[0].get_linestyle() == "--"
    bar_heights = [segment[1, 1] - segment[0, 1] for segment in solid.lines[2][0].get_segments()]
    assert np.allclose(bar_heights, [0.2, 0.1]), "error bars span mean +- std"
    with pytest.raises(ValueError, match="must both be curves"):
        plotting.plot_label_efficiency(curves, dashed={"probe, k-NN": "missing"})
