"""Resumable training: stopped after k steps and continued, a run ends where an uninterrupted one does."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lab_utils import resume
from lab_utils.training import train

STEPS, BATCH, N = 13, 4, 20          # 5 batches per epoch: the run ends inside its third epoch


class Interrupted(Exception):
    pass


class WithQueue(nn.Module):
    """A network with BatchNorm, a buffer it writes (a queue) and a plain int pointer, like MoCo."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
        self.register_buffer("queue", torch.zeros(5))
        self.pointer = 0


def _loss(model, x, y):
    keep = (torch.rand_like(x) > 0.2).float()           # draws from the global generator
    out = model.net(x * keep)
    with torch.no_grad():
        model.queue[model.pointer] = out.mean()
    model.pointer = (model.pointer + 1) % 5
    return F.cross_entropy(out, y) + 0.1 * (out.mean() - model.queue.mean()) ** 2


def _session(stop_after=None, steps=STEPS):
    """One process: build the run from the same seed and train it, maybe killed mid-way."""
    resume.new_process()
    torch.manual_seed(0)
    x, y = torch.randn(N, 3), torch.randint(0, 2, (N,))
    model = WithQueue()
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05, total_steps=steps)
    calls = []

    def loss_fn(m, xb, yb):
        calls.append(1)
        if stop_after is not None and len(calls) > stop_after:
            raise Interrupted
        return _loss(m, xb, yb)

    history = train(model, loss_fn, x, y, steps=steps, batch_size=BATCH, optimizer=optimizer,
                    scheduler=scheduler, seed=3, desc="toy run")
    return model, history, len(calls), torch.get_rng_state()


@pytest.fixture
def resume_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(resume.RESUME_DIR_ENV_VAR, str(tmp_path))
    monkeypatch.setenv(resume.RESUME_EVERY_ENV_VAR, "0")   # save after every step
    monkeypatch.setenv(resume.MACHINE_ENV_VAR, "test machine")
    resume.finished_runs.clear()
    return tmp_path


@pytest.mark.parametrize("stop_after", [7, 5])   # inside an epoch, at its end
def test_a_stopped_and_resumed_run_equals_an_uninterrupted_one(resume_dir, monkeypatch, stop_after):
    monkeypatch.delenv(resume.RESUME_DIR_ENV_VAR)
    whole, whole_history, whole_calls, whole_rng = _session()
    assert whole_calls == STEPS
    monkeypatch.setenv(resume.RESUME_DIR_ENV_VAR, str(resume_dir))
    with pytest.raises(Interrupted):
        _session(stop_after=stop_after)
    assert (resume_dir / "toy_run.pt").exists()
    resumed, history, calls, rng = _session()
    assert calls == STEPS - stop_after, "only the steps left are trained"
    for (name, a), (_, b) in zip(whole.state_dict().items(), resumed.state_dict().items(), strict=True):
        assert torch.equal(a, b), f"{name} differs after resuming"
    assert resumed.pointer == whole.pointer
    assert history == pytest.approx(whole_history, rel=1e-6) and len(history) == 3
    assert torch.equal(rng, whole_rng), "the random generator continues as in one run"
    record = resume.finished_runs[-1]
    assert (record.steps, record.sessions, record.machines) == (STEPS, 2, ["test machine"])


def test_a_finished_run_is_loaded_not_trained_again(resume_dir):
    first, history, _, _ = _session()
    again, history_again, calls, _ = _session()
    assert calls == 0 and history_again == history
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), again.state_dict().values(), strict=True))
    assert resume.finished_runs[-1].sessions == 1


def test_state_is_saved_every_few_seconds_only(resume_dir, monkeypatch):
    monkeypatch.setenv(resume.RESUME_EVERY_ENV_VAR, "3600")
    with pytest.raises(Interrupted):
        _session(stop_after=7)
    assert not (resume_dir / "toy_run.pt").exists(), "nothing saved before the interval"
    _, _, calls, _ = _session()
    assert calls == STEPS


def test_a_state_of_another_budget_is_a_clear_error(resume_dir):
    _session()
    with pytest.raises(resume.ResumeError, match="delete it"):
        _session(steps=STEPS + 1)


def test_runs_with_the_same_name_get_their_own_files_and_resuming_is_off_by_default(
        resume_dir, monkeypatch):
    resume.new_process()
    assert [resume.state_file("SimCLR").name for _ in range(2)] == ["simclr.pt", "simclr-2.pt"]
    monkeypatch.delenv(resume.RESUME_DIR_ENV_VAR)
    assert resume.state_file("SimCLR") is None
