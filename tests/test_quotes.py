"""Numbers quoted in the README and the notebooks' text agree with the results files.

The markers, the check and the rewrite live in ``ssl_lab_instructor/reproduce/quotes.py`` (its
docstring has the syntax); here they are tested on small fixtures, then applied to the
course: every marked number of the README and of the solution notebooks' markdown agrees
with ``results/<source>.json``, and no number that reads as a measurement goes unmarked.
"""

import json
import re
from collections import Counter

import nbformat
import pytest
from support import ROOT

from ssl_lab_instructor.reproduce import quotes
from ssl_lab_instructor.reproduce.quotes import QuoteError, Results

# Measured-looking numbers of the course's texts that carry no marker yet, per file and cell:
# each is either a stale measurement to replace by a marked one (or by code that prints
# it), or a published figure to mark <!-- published -->. Remove an entry once its text is
# fixed; the test fails while an entry is no longer found, so the list only shrinks.
KNOWN_UNMARKED: dict[tuple[str, str | None], list[str]] = {
    ("README.md", None): [
        # the course map's smoke column: no results/smoke.json yet. Make it on the machine of
        # results/cpu.json (python -m ssl_lab_instructor.reproduce --profile smoke), then mark each time
        # <!-- smoke: 01_intro_ssl/wall_seconds in s -->7 s and run --tables-only --update-quotes.
        "7 s", "32 s", "13 s", "29 s", "15 s", "8 s",
        # the augmentation benchmark: no results/augment-cpu.json yet. Make it on an idle
        # machine (python -m ssl_lab_instructor.benchmarks.augment), then mark the numbers with
        # <!-- augment-cpu: batched_views_per_second -->, per_image_views_per_second, and
        # batched_views_per_second / per_image_views_per_second for the ratio.
        "37,052 views/s", "6,050 views/s", "6.1 times",
    ],
}


def _run(metrics: dict, wall_seconds: float = 61.0) -> dict:
    return {"status": "ok", "wall_seconds": wall_seconds, "peak_rss_mb": 1843.2, "gpu_peak_mb": None,
            "metrics": metrics}


@pytest.fixture
def results(tmp_path) -> Results:
    """A cpu report with a few metrics, and a benchmark file with top-level numbers."""
    cpu = {"profile": "cpu", "total_seconds": 1045.0, "notebooks": {
        "02_pretext_tasks": _run({"probe_random_init": 0.462, "probe_rotation": 0.5144,
                                  "probe_jigsaw": 0.4938, "probe_simclr_tau_0.1": 0.5108}, 349.2),
        "05_time_series": _run({"gunpoint_rocket_all_labels": 1.0}, 61.0),
    }}
    (tmp_path / "cpu.json").write_text(json.dumps(cpu))
    (tmp_path / "augment-cpu.json").write_text(json.dumps(
        {"batched_views_per_second": 37052.4, "per_image_views_per_second": 6050.2, "images": 5000}))
    return Results(tmp_path)


def _value(text: str, results: Results) -> float:
    (quote,), problems = quotes.find_quotes(text)
    assert problems == []
    return results.value(quote)


# --------------------------------------------------------------------------- the markers


def test_a_marker_names_its_source_expression_and_unit():
    text = "rotation <!-- cpu: 02_pretext_tasks/probe_rotation in % -->51.4 % and <!-- cpu: x/y -->0.99."
    first, second = quotes.find_quotes(text)[0]
    assert (first.source, first.expression, first.unit, first.number) == (
        "cpu", "02_pretext_tasks/probe_rotation", "%", "51.4")
    assert text[first.number_start:first.end] == "51.4"
    assert (second.expression, second.unit, second.number) == ("x/y", None, "0.99")
    assert quotes.find_quotes("<!-- results:cpu:start -->\n| table |")[0] == [], "not a quote"


def test_a_malformed_marker_is_a_problem_not_silence():
    _, problems = quotes.find_quotes("a <!-- cpu: x/y in % --> 51.4 % and <!-- cpu: x/y in percent -->51.4")
    assert len(problems) == 2
    assert "not followed by a number" in problems[0][1] and "unknown unit 'percent'" in problems[1][1]


def test_expressions_combine_metrics_run_numbers_and_top_level_numbers(results):
    gain = "<!-- cpu: 02_pretext_tasks/probe_rotation - 02_pretext_tasks/probe_random_init in pp -->"
    assert _value(gain + "+5.2", results) == pytest.approx(5.24)
    best = "<!-- cpu: max(02_pretext_tasks/probe_rotation, 02_pretext_tasks/probe_jigsaw) in % -->"
    assert _value(best + "51.4", results) == pytest.approx(51.44)
    assert _value("<!-- cpu: 02_pretext_tasks/probe_simclr_tau_0.1 in % -->51.1", results) == pytest.approx(51.08)
    assert _value("<!-- cpu: 02_pretext_tasks/wall_seconds in min -->5.8", results) == pytest.approx(5.82)
    assert _value("<!-- cpu: 02_pretext_tasks/peak_rss_mb in GiB -->1.8", results) == pytest.approx(1.8)
    assert _value("<!-- cpu: total_seconds in min -->17.4", results) == pytest.approx(17.4167, abs=1e-3)
    ratio = "<!-- augment-cpu: batched_views_per_second / per_image_views_per_second -->6.1"
    assert _value(ratio, results) == pytest.approx(6.124, abs=1e-3)


@pytest.mark.parametrize("expression, message", [
    ("02_pretext_tasks/probe_rotaton", "recorded no metric 'probe_rotaton'"),
    ("02_pretext_task/probe_rotation", "no notebook '02_pretext_task' (it has: 02_pretext_tasks, 05_time"),
    ("total_second", "no number 'total_second' at the top level (it has: total_seconds)"),
    ("02_pretext_tasks/probe_rotation ** 2", "may use only names, numbers"),
    ("__import__('os')", "no number '__import__'"),
    ("02_pretext_tasks/probe_rotation -", "cannot read the expression"),
])
def test_an_unresolvable_marker_says_what_is_wrong(results, expression, message):
    with pytest.raises(QuoteError, match=re.escape(message)):
        _value(f"<!-- cpu: {expression} in % -->51.4", results)


def test_a_marker_of_a_missing_results_file_says_how_to_make_it(results):
    with pytest.raises(QuoteError, match=r"gpu.json does not exist: make it with python -m ssl_lab_instructor.reproduce"):
        _value("<!-- gpu: 02_pretext_tasks/probe_rotation in % -->51.4", results)


def test_a_number_agrees_when_it_is_the_value_rounded_as_it_is_written():
    assert quotes.agrees("51.4", 51.44) and quotes.agrees("51", 51.44) and not quotes.agrees("51.5", 51.44)
    assert quotes.agrees("6", 5.82) and quotes.agrees("5.8", 5.82) and not quotes.agrees("5.9", 5.82)
    assert not quotes.agrees("68", 61.0) and quotes.agrees("+5.2", 5.24) and not quotes.agrees("+5.2", -5.24)
    assert quotes.agrees("37,052", 37052.4) and quotes.agrees("5.3", 5.25) and quotes.agrees("5.2", 5.25)


def test_a_rewritten_number_keeps_its_precision_sign_and_separators():
    assert quotes.format_like("51.4", 50.0) == "50.0"
    assert quotes.format_like("68", 61.04) == "61"
    assert quotes.format_like("+5.2", 12.76) == "+12.8" and quotes.format_like("+5.2", -1.04) == "-1.0"
    assert quotes.format_like("+0.1", -0.01) == "0.0", "no signed zero"
    assert quotes.format_like("37,052", 40123.4) == "40,123" and quotes.format_like("0.99", 0.9933) == "0.99"


# --------------------------------------------------------------------------- check and rewrite


def test_a_stale_number_is_reported_with_its_place_marker_and_both_values(tmp_path, results):
    readme = tmp_path / "README.md"
    readme.write_text("# Course\n\n| 05 | <!-- cpu: 05_time_series/wall_seconds in s -->68 s |\n")
    (failure,) = quotes.check_quotes(quotes.course_texts(readme, ()), results)
    assert failure.startswith(f"{readme} line 3: <!-- cpu: 05_time_series/wall_seconds in s -->68 ")
    assert "quotes 68, results/cpu.json gives 61 (61)" in failure


def _notebook(path, *markdown):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(text) for text in markdown]
    notebook.cells.append(nbformat.v4.new_code_cell("x = 1"))
    path.parent.mkdir(parents=True)
    nbformat.write(notebook, path)
    return path


def test_update_quotes_rewrites_the_stale_numbers_of_the_readme_and_the_notebooks(tmp_path, results):
    readme = tmp_path / "README.md"
    readme.write_text("cpu: <!-- cpu: 05_time_series/wall_seconds in s -->68 s, "
                      "<!-- cpu: 02_pretext_tasks/wall_seconds in min -->6 min\n")
    path = _notebook(tmp_path / "solutions" / "02" / "02.ipynb",
                     "Rotation: <!-- cpu: 02_pretext_tasks/probe_rotation in % -->50.9 % "
                     "(<!-- cpu: 02_pretext_tasks/probe_rotation - 02_pretext_tasks/probe_random_init in pp -->"
                     "+4.7 pp), TS2Vec <!-- published -->98.7 %.")
    ids = [cell.id for cell in nbformat.read(path, as_version=4).cells]

    changes = quotes.update_quotes(results, readme, [tmp_path / "solutions"])

    assert readme.read_text() == ("cpu: <!-- cpu: 05_time_series/wall_seconds in s -->61 s, "
                                  "<!-- cpu: 02_pretext_tasks/wall_seconds in min -->6 min\n"), "6 min agrees"
    notebook = nbformat.read(path, as_version=4)
    assert notebook.cells[0].source == (
        "Rotation: <!-- cpu: 02_pretext_tasks/probe_rotation in % -->51.4 % "
        "(<!-- cpu: 02_pretext_tasks/probe_rotation - 02_pretext_tasks/probe_random_init in pp -->"
        "+5.2 pp), TS2Vec <!-- published -->98.7 %.")
    assert [cell.id for cell in notebook.cells] == ids
    assert len(changes) == 3 and quotes.check_quotes(quotes.course_texts(readme, [tmp_path / "solutions"]),
                                                     results) == []


def test_update_quotes_writes_nothing_when_a_marker_cannot_be_resolved(tmp_path, results):
    readme = tmp_path / "README.md"
    readme.write_text("<!-- cpu: 05_time_series/wall_seconds in s -->68 s\n")
    path = _notebook(tmp_path / "solutions" / "02" / "02.ipynb", "<!-- cpu: 02_pretext_tasks/nope in % -->50.9 %")
    before = path.read_bytes()
    with pytest.raises(QuoteError, match="recorded no metric 'nope'"):
        quotes.update_quotes(results, readme, [tmp_path / "solutions"])
    assert readme.read_text() == "<!-- cpu: 05_time_series/wall_seconds in s -->68 s\n"
    assert path.read_bytes() == before


def test_unmarked_measured_numbers_are_found_unless_marked_published_or_code():
    text = ("Rotation 51.4 %, SimCLR <!-- cpu: a/b in % -->50.6 %, TS2Vec <!-- published -->98.7 %,\n"
            "gain <!-- cpu: a/b in pp -->+5.2 pp, loss +1.9 pp, 77.1 ± <!-- cpu: a/c in % -->1.1 %,\n"
            "`51.4 %` in code, 61 s, **37,052 views/s**, 6.1 times as fast, chance 25 %.\n"
            "<!-- results:cpu:start -->\n| 02 | 51.4 % |\n<!-- results:cpu:end -->\n```\n99.9 %\n```\n")
    assert quotes.unmarked_numbers(text, quotes.MEASURED_LOOKING) == [
        "51.4 %", "77.1 ± 1.1 %", "+1.9 pp", "37,052 views/s", "6.1 times"]
    assert "61 s" in quotes.unmarked_numbers(text, quotes.README_MEASURED_LOOKING)
    assert quotes.unmarked_numbers("under <!-- not measured -->15 min each", quotes.README_MEASURED_LOOKING) == []


# --------------------------------------------------------------------------- the course's texts


def test_every_quoted_number_of_the_readme_and_the_notebooks_agrees_with_the_results():
    failures = quotes.check_quotes(quotes.course_texts(), Results())
    assert not failures, ("quoted numbers that disagree with results/ (fix them with "
                          "`python -m ssl_lab_instructor.reproduce --tables-only --update-quotes`):\n"
                          + "\n".join(failures))


def test_no_measured_number_of_the_readme_or_the_notebooks_goes_unmarked():
    found = {}
    for text in quotes.course_texts():
        patterns = quotes.README_MEASURED_LOOKING if text.cell is None else quotes.MEASURED_LOOKING
        hits = quotes.unmarked_numbers(text.source, patterns)
        if hits:
            found[text.key] = hits
    results, profiles = Results(), [path.stem for path in sorted((ROOT / "results").glob("*.json"))]
    new = []
    for key, hits in found.items():
        for hit in (Counter(hits) - Counter(KNOWN_UNMARKED.get(key, []))).elements():
            guesses = quotes.suggest_markers(hit, results, profiles)
            new.append(f"{key[0]}{f' cell {key[1]}' if key[1] else ''}: {hit!r}"
                       + (f" (perhaps {' or '.join(guesses)})" if guesses else ""))
    fixed = [f"{key}: {hit!r}" for key, hits in KNOWN_UNMARKED.items()
             for hit in (Counter(hits) - Counter(found.get(key, []))).elements()]
    assert not new, ("numbers that read as measurements but carry no marker: mark each with "
                     "<!-- cpu: NOTEBOOK/METRIC in % --> (see ssl_lab_instructor/reproduce/quotes.py), a paper's "
                     "or the seed material's figure with <!-- published -->, a target or a setting "
                     "with <!-- not measured -->:\n" + "\n".join(new))
    assert not fixed, "fixed since: remove them from KNOWN_UNMARKED:\n" + "\n".join(fixed)


def test_the_results_tables_are_those_of_the_results_files():
    from ssl_lab_instructor.reproduce.reports import readme_block, report_markdown

    readme = (ROOT / "README.md").read_text()
    reports = [path for path in sorted((ROOT / "results").glob("*.json"))
               if "notebooks" in json.loads(path.read_text())]
    assert reports, "results/cpu.json at least"
    for path in reports:
        report = json.loads(path.read_text())
        assert path.with_suffix(".md").read_text() == report_markdown(report), (
            f"{path.with_suffix('.md').name} is stale: python -m ssl_lab_instructor.reproduce --profile {path.stem} --tables-only")
        start, end = f"<!-- results:{path.stem}:start -->\n", f"\n<!-- results:{path.stem}:end -->"
        if start in readme:
            block = readme.split(start, 1)[1].split(end, 1)[0]
            assert block == readme_block(report), (
                f"the README's {path.stem} block is stale: python -m ssl_lab_instructor.reproduce "
                f"--profile {path.stem} --tables-only --update-readme")
