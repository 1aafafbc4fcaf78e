"""tpulab.power: recordings from the emulated PowerSensor as numpy columns, trace files and their
summary, energy per inference on the simulated Edge TPU (= the CLI's JSON), misuse."""

import json
import os
import signal
import threading
import time

import numpy as np
import pytest

import tpulab
from tpulab import power

SMALL = "mobilenet_v1_0.25_128_quant.tflite"


@pytest.fixture
def board():
    """An emulated PowerSensor3 drawing 2 A at 12 V, noise-free."""
    with power.Emulator(waveform="constant", amps=2.0, volts=12.0, noise=0.0) as b:
        yield b


def test_record_gives_numpy_columns_whose_energy_is_the_summary(board):
    t = power.record(board.spec, samples=1000)
    assert len(t) == 1000 and t.channels == ["pair0"]
    assert t.time.dtype == np.float64 and t.time.shape == (1000,)
    assert t.power.shape == t.current.shape == t.voltage.shape == t.energy.shape == (1000, 1)
    assert t.device_timestamp.dtype == np.int32 and t.marker.dtype == np.uint8
    assert not t.marker.any() and t.markers == []
    assert np.all(np.diff(t.time) >= 0)
    # 20 kHz frames of 2 A x 12 V, timed by the device's clock.
    assert t.time[-1] - t.time[0] == pytest.approx(999 / 20000, abs=1e-5)
    assert np.allclose(t.total_power, 24.0, atol=0.3)
    s = t.summary()
    assert s["samples"] == 1000
    assert s["joules"] == t.total_energy[-1] - t.total_energy[0]
    # E += P * dt with each new sample's power, from the numpy columns.
    assert np.sum(t.total_power[1:] * np.diff(t.time)) == pytest.approx(s["joules"], rel=1e-9)
    assert s["peak_watts"] == t.total_power.max()
    assert np.array_equal(t.power.sum(axis=1), t.total_power)


def test_record_to_a_file_equals_the_cli_summary(board, cli, tmp_path):
    with power.open_source(board.spec) as source:
        assert source.kind == "ps3" and source.channels == ["pair0"]
        assert source.info["where"] == board.device_path
        t = power.record(source, duration=0.05, out=tmp_path / "run.csv")
        with pytest.raises(tpulab.UsageError, match="once"):
            power.record(source, duration=0.05)
    back = power.read_trace(tmp_path / "run.csv")
    assert len(back) == len(t) > 500
    assert np.allclose(back.time, t.time, atol=1e-6) and np.allclose(back.total_power, t.total_power, rtol=1e-5)
    expected = json.loads(cli("power", "summary", tmp_path / "run.csv", "--json").stdout)
    assert power.summary(tmp_path / "run.csv") == expected == back.summary()
    # Written back from memory, in both formats.
    back.write(tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "run.csv").read_bytes()
    back.write(tmp_path / "again.txt")
    dump = power.read_trace(tmp_path / "again.txt")
    assert dump.format == "dump" and np.array_equal(dump.total_power, back.total_power)


def test_measure_equals_cli_json(models, cli):
    path = models / SMALL
    args = dict(requests=10, warmup=2, baseline=0.05)
    py = power.measure(path, platform="pcie-1x", **args)
    out = cli("power", "measure", path, "--device", "sim-edgetpu", "--source", "sim", "--platform", "pcie-1x",
              "--requests", 10, "--warmup", 2, "--baseline", 0.05, "--json").stdout
    expected = json.loads(out)
    assert py.keys() == expected.keys()
    # The idle baseline ends wherever the poll saw the source's clock pass it; idle power is
    # constant, so only its length differs between two runs. Everything between the markers is
    # placed on exact samples.
    assert py.pop("baseline_seconds") == pytest.approx(expected.pop("baseline_seconds"), abs=0.01)
    assert py == expected
    assert py["model"] == str(path) and py["device"] == "sim-edgetpu"
    sim = tpulab.simulate(path, platform="pcie-1x")
    assert py["device_model"]["joules_per_inference"] * 1e3 == pytest.approx(sim.energy_mj, rel=1e-12)


def test_ctrl_c_stops_a_recording_cleanly_and_keeps_the_file(board, tmp_path):
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            power.record(board.spec, duration=60, out=tmp_path / "run.csv")
    finally:
        timer.cancel()
    assert time.monotonic() - t0 < 10
    t = power.read_trace(tmp_path / "run.csv")
    assert len(t) > 1000 and t.summary()["average_watts"] == pytest.approx(24.0, abs=0.3)


def test_emulator_is_a_context_manager_giving_its_device(tmp_path):
    with power.Emulator(ps2=True, waveform="square") as b:
        assert b.running and b.spec == "ps2:" + b.device_path
        assert os.path.exists(b.device_path)
        path = b.device_path
        t = power.record(b.spec, samples=50)
        assert len(t) == 50
    assert not os.path.exists(path)
    with pytest.raises(tpulab.UsageError, match="closed"):
        b.device_path
    assert isinstance(power.list_sources(), list)


def test_misuse_raises_mapped_errors(tmp_path, board):
    with pytest.raises(tpulab.UsageError, match="unknown power source"):
        power.open_source("bogus:thing")
    with pytest.raises(tpulab.IoError):
        power.open_source("ps3:" + str(tmp_path / "no-such-device"), timeout=0.2)
    with pytest.raises(tpulab.UsageError, match="duration"):
        power.record(board.spec, duration=-1)
    with pytest.raises(tpulab.UsageError, match="duration or a number of samples"):
        power.record(board.spec)
    with pytest.raises(tpulab.UsageError):
        power.record(board.spec, samples=-5)
    with pytest.raises(tpulab.IoError):
        power.read_trace(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("sample,time_s,marker,device_timestamp,p_current_a,p_voltage_v,p_power_w,p_energy_j,"
                   "total_power_w,total_energy_j\n0,0,,1,1,12,12,0,12,0\n1,0.1,,1,1,12,nan,0,12,1\n")
    with pytest.raises(tpulab.FormatError, match="bad.csv:3"):
        power.read_trace(bad)
    with pytest.raises(tpulab.FormatError, match="bad.csv:3"):
        power.summary(bad)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(bad.read_text().splitlines()[0] + "\n0,0,,1\n")
    with pytest.raises(tpulab.FormatError, match="expected 10 fields, found 4"):
        power.read_trace(ragged)
    with pytest.raises(tpulab.UsageError):
        power.Emulator(amps=1e9)
    with pytest.raises(tpulab.FormatError):
        power.Emulator(waveform=str(bad))
    t = power.record(board.spec, samples=5)
    with pytest.raises(tpulab.FieldError) as e:
        t.write(tmp_path / "t.csv", "xml")
    assert e.value.field == "format"


def test_measure_refuses_bad_arguments(models):
    path = models / SMALL
    with pytest.raises(tpulab.UsageError, match="requests"):
        power.measure(path, requests=0)
    with pytest.raises(tpulab.UsageError, match="baseline"):
        power.measure(path, baseline=-1.0)
    with pytest.raises(tpulab.UsageError, match="sample_rate"):
        power.measure(path, sim_rate=0.0)
    with pytest.raises(tpulab.UsageError):
        power.measure(path, platform="nope")
    with pytest.raises(tpulab.IoError):
        power.measure(path.parent / "missing.tflite")
