"""The reproduce command: runs notebooks, survives a failing one, reports and writes tables."""

import json

import nbformat
import pytest
from support import ROOT

from lab_utils.profiles import BUDGETS
from ssl_lab_instructor.reproduce import (
    cli,
    collect,
    execute,
    headlines,
    paths,
    readme,
    reports,
    tables,
)


def _notebook(path, *cells):
    """Write a notebook of code cells; a cell given as (source, tags) carries those tags."""
    notebook = nbformat.v4.new_notebook()
    for cell in cells:
        source, tags = cell if isinstance(cell, tuple) else (cell, [])
        notebook.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": tags}))
    nbformat.write(notebook, path)
    return path


def _setup(notebook: str) -> str:
    return f"import lab_utils\ncfg = lab_utils.setup({notebook!r})"


def test_prepare_drops_tagged_cells_and_appends_the_gpu_probe(tmp_path):
    path = _notebook(tmp_path / "a.ipynb", "x = 1", ("download()", ["needs-hub"]), "y = 2")
    prepared, kept = execute.prepare(nbformat.read(path, as_version=4), ["needs-hub"])
    assert kept == [0, 2], "original indices of the kept cells"
    assert [cell.source for cell in prepared.cells[:-1]] == ["x = 1", "y = 2"]
    assert "REPRODUCE_GPU_PEAK_BYTES" in prepared.cells[-1].source


def test_a_failing_notebook_is_reported_with_its_cell_and_the_next_one_still_runs(tmp_path):
    # Notebooks are named by their lab_utils.setup name, as the solution notebooks are.
    failing = _notebook(tmp_path / "01_intro_ssl.ipynb", _setup("01_intro_ssl"), ("download()", ["needs-hub"]),
                        "lab_utils.record('before_failure', 0.25)", "raise ValueError('broken on purpose')",
                        "lab_utils.record('after_failure', 1.0)")
    working = _notebook(tmp_path / "05_time_series.ipynb", _setup("05_time_series"),
                        "lab_utils.record('accuracy', 0.5)", "lab_utils.record_note('data', 'UCR')")
    runs = tmp_path / "out" / "runs" / "reproduce-smoke"
    runs.mkdir(parents=True)
    (runs / "05_time_series.smoke.json").write_text('{"metrics": {"stale": 1.0}}')
    report = collect.reproduce("smoke", {"01_intro_ssl": failing, "05_time_series": working},
                                 tmp_path / "out", skip_tags=["needs-hub"], timeout=120)

    failed, ok = report["notebooks"]["01_intro_ssl"], report["notebooks"]["05_time_series"]
    assert failed["status"] == "failed"
    assert failed["error"]["cell"] == 3, "the failing cell in the original notebook's numbering"
    assert failed["error"]["ename"] == "ValueError" and "broken on purpose" in failed["error"]["evalue"]
    assert failed["skipped_cells"] == 1
    assert failed["metrics"] == {"before_failure": 0.25}, "what was recorded before the failure is kept"
    assert ok["status"] == "ok" and ok["wall_seconds"] > 0 and ok["peak_rss_mb"] > 10
    assert ok["cpu_seconds"] > 0.5, "importing torch alone takes more CPU time"
    assert ok["metrics"] == {"accuracy": 0.5}, "a stale metrics file from an earlier run is not merged"
    assert ok["notes"] == {"data": "UCR"} and failed["notes"] == {}
    assert (runs / "executed" / "05_time_series.ipynb").exists()


def test_the_kernel_runs_under_the_chosen_profile(tmp_path):
    path = _notebook(tmp_path / "01_intro_ssl.ipynb", _setup("01_intro_ssl"),
                     "lab_utils.record('cpu_profile', float(cfg.profile == 'cpu'))")
    # The test session runs under smoke (root conftest): the kernel must get cpu all the same.
    report = collect.reproduce("cpu", {"01_intro_ssl": path}, tmp_path / "out", skip_tags=[], timeout=120)
    assert report["notebooks"]["01_intro_ssl"]["metrics"]["cpu_profile"] == 1.0


def _run(metrics=None, status="ok", date="2026-01-01T00:00:00+00:00", commit="abc1234"):
    return dict(status=status, wall_seconds=125.0, peak_rss_mb=2048.0, gpu_peak_mb=None, error=None,
                skipped_cells=0, skipped_tags=[], metrics=metrics or {}, date=date, commit=commit)


def _report(metrics_02=None, status="ok", cores=2, **notebooks):
    return {"profile": "cpu", "date": "2026-01-01T00:00:00+00:00", "commit": "abc1234",
            "total_seconds": 125.0,
            "hardware": {"cpu": "Test CPU", "cores": cores, "memory_gb": 24.0, "gpu": None,
                         "python": "3.11", "torch": "2.14.1"},
            "notebooks": notebooks or {"02_pretext_tasks": _run(metrics_02, status)}}


def test_a_partial_run_updates_its_notebooks_and_keeps_the_others(tmp_path):
    previous = _report(**{"05_time_series": _run({"a": 0.9}), "01_intro_ssl": _run({"b": 0.5})})
    (tmp_path / "cpu.json").write_text(json.dumps(previous))
    rerun = _report(**{"01_intro_ssl": _run({"b": 0.7}, date="2026-02-02T00:00:00+00:00", commit="def5678")})
    merged = collect.merge_into_previous(rerun, tmp_path / "cpu.json")
    assert list(merged["notebooks"]) == ["01_intro_ssl", "05_time_series"], "course order"
    assert merged["notebooks"]["01_intro_ssl"]["metrics"] == {"b": 0.7}
    assert merged["notebooks"]["05_time_series"]["metrics"] == {"a": 0.9}
    assert merged["total_seconds"] == 250.0
    line = tables.machine_line(merged)
    assert "2026-01-01 to 2026-02-02" in line and "`abc1234`, `def5678`" in line


def test_runs_from_another_machine_are_not_merged(tmp_path):
    (tmp_path / "cpu.json").write_text(json.dumps(_report(**{"05_time_series": _run({"a": 0.9})})))
    rerun = _report(cores=16, **{"01_intro_ssl": _run({"b": 0.7})})
    assert list(collect.merge_into_previous(rerun, tmp_path / "cpu.json")["notebooks"]) == ["01_intro_ssl"]


def test_reports_show_measured_values_next_to_the_seed_expectations(tmp_path):
    report = _report({"probe_random_init": 0.461, "probe_rotation": 0.509, "pretext_colorization_test_mse": 0.0123})
    paths = reports.write_reports(report, tmp_path)
    markdown = (tmp_path / "cpu.md").read_text()
    assert "| 02_pretext_tasks | CIFAR-10, rotation | 50.9 % | ~55 % |" in markdown
    assert "| 02_pretext_tasks | CIFAR-10, jigsaw | - | ~52 % |" in markdown, "unmeasured shows as -"
    assert "| pretext_colorization_test_mse | 0.0123 |" in markdown, "every metric, MSE not as %"
    assert "| 02_pretext_tasks | ok | 2.1 min | - | 2.0 GiB |" in markdown
    assert json.loads((tmp_path / "cpu.json").read_text()) == report
    assert (tmp_path / "cpu.png").read_bytes()[:4] == b"\x89PNG" and len(paths) == 3


def test_missing_headline_metrics_are_named():
    assert "02_pretext_tasks: probe_jigsaw" in headlines.missing_headlines(_report({"probe_rotation": 0.5}))
    assert headlines.missing_headlines(_report({}, status="failed")) == []


def test_update_readme_replaces_only_the_profile_block(tmp_path):
    path = tmp_path / "README.md"
    path.write_text("intro\n<!-- results:cpu:start -->\nold\n<!-- results:cpu:end -->\noutro\n")
    readme.update_readme(path, "cpu", "| new | table |")
    assert path.read_text() == "intro\n<!-- results:cpu:start -->\n| new | table |\n<!-- results:cpu:end -->\noutro\n"
    with pytest.raises(SystemExit, match="results:gpu:start"):
        readme.update_readme(path, "gpu", "x")


def test_unknown_notebook_names_list_the_valid_ones():
    with pytest.raises(SystemExit, match="01_intro_ssl"):
        paths.select_notebooks(["01_intro"])


def test_every_notebook_with_a_budget_is_reproduced_and_every_headline_names_one():
    assert list(paths.solution_notebooks()) == list(BUDGETS)
    assert {line.notebook for line in headlines.HEADLINES} <= set(BUDGETS)


def test_the_readme_has_a_block_for_the_cpu_table():
    text = (ROOT / "README.md").read_text()
    assert "<!-- results:cpu:start -->" in text and "<!-- results:cpu:end -->" in text


def test_tables_only_rewrites_the_reports_from_the_json(tmp_path, capsys):
    (tmp_path / "cpu.json").write_text(json.dumps(_report({"probe_rotation": 0.509})))
    assert cli.main(["--profile", "cpu", "--tables-only", "--output-dir", str(tmp_path)]) == 0
    assert "| 02_pretext_tasks | CIFAR-10, rotation | 50.9 % | ~55 % |" in (tmp_path / "cpu.md").read_text()
    assert "headline metrics not recorded: 02_pretext_tasks: probe_random_init" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="gpu.json does not exist"):
        cli.main(["--profile", "gpu", "--tables-only", "--output-dir", str(tmp_path)])


def test_the_tables_say_when_mnist_figures_come_from_the_offline_fallback():
    fallback = "MNIST test set only (8,000 train / 2,000 test)"
    report = _report(**{"01_intro_ssl": _run({"mnist_probe_raw_pixels_100_labels": 0.744,
                                              "digits_probe_raw_pixels": 0.972}),
                        "02b_rotnet_keras": _run({"rotnet_1000_labels_mean": 0.868})})
    report["notebooks"]["01_intro_ssl"]["notes"] = {"mnist_source": fallback}
    report["notebooks"]["02b_rotnet_keras"]["notes"] = {"mnist_source": "MNIST"}
    summary = tables.summary_markdown(report)
    assert "| 01_intro_ssl | MNIST 100 labels, raw pixels | 74.4 % † | - |" in summary
    assert "| 01_intro_ssl | digits, probe on raw pixels | 97.2 % | - |" in summary, "digits are no MNIST"
    assert "| 02b_rotnet_keras | MNIST 1,000 labels, RotNet frozen | 86.8 % | 81.00 % |" in summary, "full MNIST"
    assert f"† Measured on {fallback}, the offline fallback for the full MNIST" in summary
    assert f"Notes: `mnist_source`: {fallback}." in tables.full_markdown(report)
    report["notebooks"]["01_intro_ssl"]["notes"] = {"mnist_source": "MNIST"}
    assert "†" not in tables.full_markdown(report)


def _dry_run_report(status="ok"):
    metrics = {"dry_run_train_flops": 16.25e12 * 120, "dry_run_train_activation_bytes": 0.0,
               "dry_run_train_steps": 1000, "dry_run_inference_flops": 16.25e12 * 30,
               "dry_run_inference_batches": 500, "dry_run_capped_seconds": 40.0,
               "dry_run_max_activation_bytes": 2 * 2**30, "dry_run_max_parameter_bytes": 2**28}
    run = {"status": status, "wall_seconds": 100.0, "peak_rss_mb": 3 * 1024, "metrics": metrics,
           "error": None if status == "ok" else {"cell": 7, "ename": "OutOfMemoryError"}}
    return {"profile": "gpu-dryrun", "date": "2026-11-30T00:00:00+00:00", "commit": "abc",
            "total_seconds": 100.0, "hardware": {"cpu": "test", "cores": 2, "memory_gb": 24, "gpu": None,
                                                 "python": "3.11", "torch": "2.14"},
            "notebooks": {"03_simclr": run}}


def test_the_t4_estimate_adds_compute_overheads_and_the_cpu_side_time():
    from ssl_lab_instructor.reproduce import t4

    run = t4.add_estimates(_dry_run_report()["notebooks"]["03_simclr"])
    metrics = run["metrics"]
    assert metrics["t4_training_seconds"] == pytest.approx(120 + 1000 * t4.STEP_OVERHEAD_S)
    assert metrics["t4_features_seconds"] == pytest.approx(30 + 500 * t4.BATCH_OVERHEAD_S)
    assert metrics["t4_cpu_side_seconds"] == pytest.approx(60.0)   # 100 s wall, 40 s in capped loops
    assert metrics["t4_estimate_seconds"] == pytest.approx(124 + 31 + 60)
    # fp16 activations (half of the fp32 2 GiB) plus weights, gradients and two AdamW moments
    assert metrics["t4_training_memory_mib"] == pytest.approx(1024 + 4 * 256)


def test_a_memory_bound_step_is_timed_by_its_traffic():
    from ssl_lab_instructor.reproduce import t4

    metrics = {"dry_run_train_flops": 1.0, "dry_run_train_activation_bytes": 224e9}
    assert t4.gpu_seconds(metrics)["training"] == pytest.approx(t4.ACTIVATION_PASSES * t4.FP16_OVER_FP32)


def test_a_dry_run_report_is_a_memory_and_t4_table_without_a_chart(tmp_path):
    from ssl_lab_instructor.reproduce.reports import write_reports

    report = _dry_run_report()
    report["notebooks"]["04_mae_dinov2"] = _dry_run_report("failed")["notebooks"]["03_simclr"]
    paths = write_reports(report, tmp_path)
    assert [p.name for p in paths] == ["gpu-dryrun.json", "gpu-dryrun.md"]
    text = (tmp_path / "gpu-dryrun.md").read_text()
    assert "| 03_simclr | ok | 1.7 min | 3.0 GiB | 2.0 GiB | 2.0 GiB | 3.6 min (2.1 + 0.5 + 1.0) |" in text
    assert "failed (cell 7: OutOfMemoryError)" in text
    saved = json.loads((tmp_path / "gpu-dryrun.json").read_text())
    assert saved["notebooks"]["03_simclr"]["metrics"]["t4_estimate_seconds"] == pytest.approx(215.0)


def test_a_dry_run_caps_the_loops_and_collects_their_costs(tmp_path):
    train = ("import torch\nmodel = torch.nn.Linear(8, 1)\n"
             "lab_utils.train(model, lambda m, x, y: m(x).square().mean(), torch.randn(1000, 8),"
             " epochs=5, batch_size=100, optimizer=torch.optim.SGD(model.parameters(), lr=0.1))")
    notebook = _notebook(tmp_path / "03_simclr.ipynb", _setup("03_simclr"), train)
    report = collect.reproduce("smoke", {"03_simclr": notebook}, tmp_path / "out", skip_tags=[],
                               timeout=120, max_steps=2)
    assert report["profile"] == "smoke-dryrun"
    metrics = report["notebooks"]["03_simclr"]["metrics"]
    assert metrics["dry_run_train_steps"] == 50, "the budget's 50 steps are accounted for, 2 are run"
    assert metrics["dry_run_train_flops"] == 50 * 2 * (2 * 100 * 8)   # forward and weight gradient
