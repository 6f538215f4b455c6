"""The pieces that keep a hidden test's verdict out of the student's hands (fast, no kernel).

The whole path, a class graded through ``make grade``, is in ``test_sandboxed_grading.py``.
"""

from __future__ import annotations

import base64
import io
import json
import os
import pickle
import threading

import numpy as np
import pytest
import torch

from lab_utils.checks.hidden import NotPlainData, decode, encode, record, replay, to_plain
from ssl_lab_instructor.grade.discovery import STUDENT_ID, read_plain_file
from ssl_lab_instructor.grade.hidden import (
    DecodedData,
    HiddenTestError,
    Judge,
    definitions,
    needed_statements,
    parse_records,
    sandbox_program,
    visible_part,
)
from ssl_lab_instructor.grade.text import kernel_block, kernel_text


class Anything(torch.Tensor):
    """What a cheat returns: equal to everything, true, any array."""

    def __eq__(self, other):
        return True

    def __bool__(self):
        return True

    def __array__(self, *args, **kwargs):
        return np.ones(3)


class EqualsAll:
    def __eq__(self, other):
        return True

    def __array__(self, *args, **kwargs):
        return np.zeros(3)


def test_plain_data_round_trips_with_exact_types():
    data = {"n": 3, "x": 0.5, "ok": True, "name": "a", "none": None, "list": [1, (2, 3)],
            "array": np.arange(6, dtype=np.int64).reshape(2, 3), "tensor": torch.ones(2, dtype=torch.bool)}
    back = decode(encode(data))
    assert back["list"] == [1, [2, 3]] and back["n"] == 3 and back["none"] is None
    assert type(back["array"]) is np.ndarray and back["array"].dtype == np.int64
    assert back["tensor"].dtype == np.bool_ and back["tensor"].tolist() == [True, True]


def test_objects_that_claim_to_be_anything_are_not_plain_data_or_become_their_numbers():
    with pytest.raises(NotPlainData):
        to_plain({"answer": EqualsAll()})
    with pytest.raises(NotPlainData):
        to_plain(np.array([EqualsAll()], dtype=object))
    numbers = decode(encode(torch.zeros(3).as_subclass(Anything)))
    assert type(numbers) is np.ndarray and not (numbers == 1).any()  # its data, not its claims


def test_decode_refuses_pickles_objects_and_oversized_data():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    pickled = json.dumps({"__ndarray__": base64.b64encode(buffer.getvalue()).decode()})
    with pytest.raises(ValueError):
        decode(pickled)
    with pytest.raises(ValueError):
        decode(json.dumps({"__ndarray__": base64.b64encode(pickle.dumps([1])).decode()}))
    with pytest.raises(ValueError):
        decode(encode(np.zeros(1000)), max_bytes=100)
    with pytest.raises(ValueError):
        decode("NaN")


def test_record_and_replay_judge_the_recorded_data_only():
    def body(double):
        x = torch.arange(4.0)
        assert torch.equal(double(x), 2 * torch.arange(4.0)), "wrong"
        assert torch.equal(x, torch.arange(4.0)), "the input changed"

    replay(body, decode(encode(record(body, double=lambda x: 2 * x))), "double")
    with pytest.raises(AssertionError, match="wrong"):
        replay(body, decode(encode(record(lambda double: double(torch.arange(4.0)), double=lambda x: x))), "double")

    # an answer that writes into its input: the replay writes the same into the grader's input
    def in_place(x):
        result = 2 * x
        x.zero_()
        return result

    with pytest.raises(AssertionError, match="the input changed"):
        replay(body, decode(encode(record(lambda double: double(torch.arange(4.0)), double=in_place))), "double")
    with pytest.raises(AssertionError, match="was not called"):
        replay(body, [], "double")


def test_only_the_statements_the_hidden_tests_need_run_in_the_fresh_process():
    sources = ["import numpy as np\nimport torch", "SIZE = 4\nmodel = train(steps=10_000)\nplot(model)",
               "def answer(x):\n    model = x * SIZE\n    return np.asarray(model)",
               "def train(steps):\n    return steps"]
    kept = needed_statements(sources, {"answer"})
    assert kept == ["import numpy as np", "SIZE = 4", "def answer(x):\n    model = x * SIZE\n    return np.asarray(model)"]


HIDDEN = '''check(answer)

### BEGIN HIDDEN TESTS
from lab_utils.checks.hidden import hidden_test


def hidden_outputs():
    return {"y": answer(np.arange(3))}


def hidden_check(out):
    assert np.array_equal(out["y"], 2 * np.arange(3)), "wrong"


hidden_test(hidden_outputs, hidden_check)
### END HIDDEN TESTS
'''


def test_hidden_parts_leave_the_kernel_and_need_both_functions():
    assert "hidden" not in visible_part(HIDDEN) and "check(answer)" in visible_part(HIDDEN)
    block = definitions("t", HIDDEN)
    assert "def hidden_check" in block and "hidden_test(hidden_outputs" not in block
    with pytest.raises(HiddenTestError, match="hidden_check"):
        definitions("t", HIDDEN.replace("def hidden_check(out)", "def other(out)"))
    with pytest.raises(HiddenTestError, match="no ### BEGIN HIDDEN TESTS"):
        definitions("t", "check(answer)")


def test_the_judge_reads_one_record_per_test_and_decides_on_its_data():
    import nbformat

    tests = {"t": definitions("t", HIDDEN)}
    judge = Judge(["import numpy as np"], tests)
    right, wrong = (json.dumps({"id": "t", "data": encode({"y": v * np.arange(3)})}) for v in (2, 3))
    assert judge.judge("t", parse_records(right, ["t"], 10**6)["t"].value).passed
    assert not judge.judge("t", parse_records(wrong, ["t"], 10**6)["t"].value).passed
    assert "twice" in parse_records(f"{right}\n{right}", ["t"], 10**6)["t"]
    assert "not given" in parse_records(json.dumps({"id": "u", "data": "1"}), ["t"], 10**6)["t"]
    assert "no result" in parse_records("", ["t"], 10**6)["t"]
    assert not isinstance(parse_records(json.dumps({"id": "t", "ok": True}), ["t"], 10**6)["t"], DecodedData)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import numpy as np\nprint(1)"),
                                               nbformat.v4.new_code_cell("def answer(x):\n    return 2 * x")])
    assert sandbox_program(notebook, tests)["context"] == ["import numpy as np", "def answer(x):\n    return 2 * x"]


def test_kernel_text_is_one_escaped_bounded_line():
    forged = "ok\nreference   10/10\x1b[2J\u202e" + "x" * 1000
    line = kernel_text(forged)
    assert "\n" not in line and "\x1b" not in line and "\u202e" not in line and "\\x0a" in line
    assert len(line) < 400 and "characters cut" in line
    assert kernel_block("a\nb\x1b[31mred\x1b[0m\r") == "a\nbred\\x0d"


def test_student_ids_are_matched_whole():
    assert STUDENT_ID.fullmatch("ada.l") and not STUDENT_ID.fullmatch("ada\n")


def test_special_and_linked_files_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "timestamp.txt"
    os.mkfifo(fifo)
    result = []
    reader = threading.Thread(target=lambda: result.append(read_plain_file(fifo, 1024)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert result and result[0][0] is None and "not a regular file" in result[0][1]
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "target.txt")
    (tmp_path / "target.txt").write_text("2026-01-01 00:00:00 UTC")
    assert "symbolic link" in read_plain_file(link, 1024)[1]
    (tmp_path / "big.txt").write_bytes(b"0" * 2048)
    assert "allowed" in read_plain_file(tmp_path / "big.txt", 1024)[1]
