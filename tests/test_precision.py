"""The precision policy: one choice per device, with each GPU and CPU kind mocked."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import lab_utils
from lab_utils import precision
from lab_utils.precision import Precision, UnknownPrecisionError, cpu_has_native_bf16, precision_for


@pytest.fixture(autouse=True)
def no_override(monkeypatch):
    monkeypatch.delenv(precision.PRECISION_ENV_VAR, raising=False)


def fake_gpu(monkeypatch, name: str, capability: tuple[int, int]) -> None:
    """Make torch.cuda describe one GPU without touching a real one."""
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: name)
    # What torch.cuda.is_bf16_supported() says by default on a T4: True, through emulation.
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)


def fake_cpu(monkeypatch, flags: set[str]) -> None:
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset(flags))


@pytest.mark.parametrize("name, capability", [("Tesla T4", (7, 5)), ("Tesla V100-SXM2-16GB", (7, 0))])
def test_gpus_without_native_bf16_train_in_fp16_with_a_gradient_scaler(monkeypatch, name, capability):
    fake_gpu(monkeypatch, name, capability)
    policy = precision_for("cuda")
    assert (policy.name, policy.dtype, policy.grad_scaler) == ("fp16", torch.float16, True)
    assert name in policy.describe() and "gradient scaler" in policy.describe()


@pytest.mark.parametrize("name, capability", [("NVIDIA A100-SXM4-40GB", (8, 0)), ("NVIDIA L4", (8, 9)),
                                              ("NVIDIA H100 80GB HBM3", (9, 0))])
def test_gpus_with_native_bf16_train_in_bf16_without_a_scaler(monkeypatch, name, capability):
    fake_gpu(monkeypatch, name, capability)
    policy = precision_for("cuda")
    assert (policy.name, policy.dtype, policy.grad_scaler) == ("bf16", torch.bfloat16, False)


@pytest.mark.parametrize("flags", [{"avx2", "avx512f", "avx512_bf16"}, {"avx2", "amx_bf16", "amx_tile"},
                                   {"fp", "asimd", "bf16"}])
def test_cpus_with_native_bf16_train_in_bf16_channels_last(monkeypatch, flags):
    fake_cpu(monkeypatch, flags)
    policy = precision_for("cpu")
    assert (policy.name, policy.grad_scaler, policy.channels_last) == ("bf16", False, True)


def test_cpus_without_native_bf16_stay_in_fp32(monkeypatch):
    fake_cpu(monkeypatch, {"avx", "avx2", "fma", "avx512f", "avx512bw"})  # AVX-512 without BF16
    policy = precision_for("cpu")
    assert policy.name == "fp32" and policy.dtype is None and not policy.grad_scaler
    assert "emulated" in policy.describe()


def test_native_bf16_is_read_from_the_cpu_flags():
    assert cpu_has_native_bf16(frozenset({"avx512_bf16"}))
    assert not cpu_has_native_bf16(frozenset({"avx512f", "avx2"}))


def test_the_environment_variable_overrides_the_choice(monkeypatch):
    fake_cpu(monkeypatch, {"avx2"})
    monkeypatch.setenv(precision.PRECISION_ENV_VAR, "bf16")
    policy = precision_for("cpu")
    assert policy.name == "bf16" and "SSL_LAB_PRECISION" in policy.describe()
    monkeypatch.setenv(precision.PRECISION_ENV_VAR, "float8")
    with pytest.raises(UnknownPrecisionError, match="fp32, bf16, fp16"):
        precision_for("cpu")


def test_setup_prints_the_precision(monkeypatch, capsys):
    fake_cpu(monkeypatch, {"avx2"})
    config = lab_utils.setup("01_intro_ssl", profile="smoke")
    assert config.precision.name == "fp32"
    assert "precision: fp32" in capsys.readouterr().out


def test_train_runs_the_forward_pass_in_the_policys_autocast(monkeypatch):
    policy = Precision("cpu", "bf16", False, True, "test")
    monkeypatch.setattr(lab_utils.training, "precision_for", lambda device: policy)
    seen = []

    def loss_fn(model, x, _y):
        seen.append((torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu")))
        return model(x).float().square().mean()

    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.LazyLinear(1))
    model(torch.zeros(1, 3, 6, 6))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    lab_utils.train(model, loss_fn, torch.randn(8, 3, 6, 6), epochs=1, batch_size=4,
                    optimizer=optimizer)
    assert seen == [(True, torch.bfloat16)] * 2
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last)


def test_fp16_training_scales_the_loss_and_still_learns(monkeypatch):
    monkeypatch.setenv(precision.PRECISION_ENV_VAR, "fp16")
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    inputs = torch.randn(64, 4)
    targets = inputs @ torch.tensor([1.0, -2.0, 0.5, 3.0])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    history = lab_utils.train(model, lambda m, x, y: (m(x).squeeze(1).float() - y).square().mean(),
                              inputs, targets, epochs=30, batch_size=16, optimizer=optimizer)
    assert history[-1] < 0.1 * history[0]


def fake_mac(monkeypatch, macos: str, torch_version: str = "2.14.1", chip: str = "Apple M3") -> None:
    """Make this machine look like a Mac with ``chip``, ``macos`` and ``torch_version``."""
    monkeypatch.setattr(precision.platform, "mac_ver", lambda: (macos, ("", "", ""), "arm64"))
    monkeypatch.setattr(precision.torch, "__version__", torch_version)
    monkeypatch.setattr(precision, "apple_chip", lambda: chip)


@pytest.mark.parametrize("macos, chip", [("14.0", "Apple M3"), ("15.3.1", "Apple M4 Pro"),
                                         ("26.1", "Apple M10")])
def test_apple_gpus_with_native_bf16_train_in_bf16_without_a_scaler_in_nchw(monkeypatch, macos, chip):
    fake_mac(monkeypatch, macos, chip=chip)
    policy = precision_for("mps")
    assert (policy.device_type, policy.name, policy.dtype) == ("mps", "bf16", torch.bfloat16)
    assert not policy.grad_scaler and not policy.channels_last
    assert f"macOS {macos}" in policy.describe() and chip in policy.describe()


@pytest.mark.parametrize("chip", ["Apple M1", "Apple M1 Max", "Apple M2 Pro"])
def test_m1_and_m2_gpus_emulate_bf16_so_train_in_fp16_with_a_scaler(monkeypatch, chip):
    fake_mac(monkeypatch, "14.5", chip=chip)
    policy = precision_for("mps")
    assert (policy.name, policy.dtype, policy.grad_scaler) == ("fp16", torch.float16, True)
    assert "emulated" in policy.describe()
    fake_mac(monkeypatch, "14.5", "2.6.0", chip=chip)  # no MPS gradient scaler before 2.8
    assert precision_for("mps").name == "fp32"


@pytest.mark.parametrize("macos, torch_version, why", [("13.6", "2.14.1", "macOS is older than 14"),
                                                        ("14.5", "2.2.2", "torch 2.2.2 is older")])
def test_apple_gpus_without_mps_bf16_autocast_stay_in_fp32(monkeypatch, macos, torch_version, why):
    fake_mac(monkeypatch, macos, torch_version)
    policy = precision_for("mps")
    assert (policy.name, policy.dtype, policy.grad_scaler) == ("fp32", None, False)
    assert why in policy.describe()


def test_the_environment_variable_overrides_the_apple_gpus_choice(monkeypatch):
    fake_mac(monkeypatch, "14.5")
    monkeypatch.setenv(precision.PRECISION_ENV_VAR, "fp16")
    policy = precision_for("mps")
    assert (policy.device_type, policy.name, policy.grad_scaler) == ("mps", "fp16", True)


def test_setup_on_a_mocked_apple_gpu_prints_it(monkeypatch, capsys):
    fake_mac(monkeypatch, "14.5")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(lab_utils.mps_fallback, "TORCH_LOADED_FIRST", False)
    config = lab_utils.setup("01_intro_ssl", profile="smoke")
    assert config.device.type == "mps" and config.precision.name == "bf16"
    printed = capsys.readouterr().out
    assert "mps (Apple GPU" in printed and "bf16 autocast" in printed
