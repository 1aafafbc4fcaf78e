"""Power and energy: meters (PowerSensor3/2, RAPL, hwmon, a replayed timeline) opened by the
CLI's spec strings, recordings as numpy columns, trace files, energy per inference on a simulated
Edge TPU, and the PowerSensor emulator (a board on a pseudo-terminal).

    import tpulab
    with tpulab.power.Emulator(waveform="constant", amps=2.0, volts=12.0) as board:
        trace = tpulab.power.record(board.spec, samples=2000)
    print(trace.total_power.mean(), trace.summary()["joules"])
    print(tpulab.power.measure("model.tflite", requests=20)["net_joules_per_inference"])
"""

from __future__ import annotations

import os
from typing import Any, List, Optional, Union

from . import _tpulab
from ._tpulab import Emulator, Model, Platform, PowerSource, Trace
from .errors import UsageError

_Path = Union[str, "os.PathLike[str]"]


def list_sources() -> List[str]:
    """The spec strings open_source() may open on this machine, without opening any: 'rapl',
    'hwmon:NAME' per chip with power readings, 'ps3:/dev/ttyACMn' per USB serial port."""
    return _tpulab.power_list_sources()


def open_source(
    spec: str, timeout: float = 0.0, interval: float = 0.0, sim_rate: float = 1000.0, sim_speed: float = 1.0
) -> PowerSource:
    """Opens a meter by the CLI's --source spec: 'ps3:DEVICE', 'ps2:DEVICE', 'rapl', 'hwmon:NAME'
    or 'sim:TIMELINE.csv'. timeout: seconds to wait for a device's answers (0: its default);
    interval: polling of rapl/hwmon (0: default); sim_rate, sim_speed: the sim source's samples
    per second and timeline seconds per second. UsageError for a bad spec, IoError when the
    device cannot be opened."""
    return _tpulab.power_open_source(spec, timeout, interval, sim_rate, sim_speed)


def record(
    source: Union[str, PowerSource],
    duration: float = 0.0,
    samples: int = 0,
    out: Optional[_Path] = None,
    format: Optional[str] = None,
    timeout: float = 5.0,
) -> Trace:
    """Records `source` (a PowerSource not used before, or a spec string opened with the defaults)
    for `duration` seconds or `samples` samples (whichever comes first; a sim source may also run
    to its end), and returns the Trace. With `out`, the samples also go to that trace file as they
    arrive ('csv' or 'dump' format; default from the extension). timeout: seconds to wait for the
    first sample. The GIL is released while recording. Ctrl-C stops the recording cleanly (`out`
    keeps every sample up to then) and raises KeyboardInterrupt."""
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 0:
        raise UsageError(f"samples must be an int >= 0, not {samples!r}")
    if isinstance(source, str):
        with open_source(source) as s:
            return _tpulab.power_record(s, duration, samples, _fspath(out), format or "", timeout)
    return _tpulab.power_record(source, duration, samples, _fspath(out), format or "", timeout)


def read_trace(path: _Path) -> Trace:
    """Reads a trace file (tpulab's CSV or PowerSensor's dump format). FormatError naming
    file:line for malformed content, IoError for a missing or non-regular file."""
    return _tpulab.power_read_trace(os.fspath(path))


def summary(trace: Union[Trace, _Path]) -> dict:
    """Energy, time, average and peak power and the energy between markers of a Trace or trace
    file: the dict `tpulab power summary --json` prints."""
    if isinstance(trace, Trace):
        return trace.summary()
    return _tpulab.power_summary(os.fspath(trace))


def measure(
    model: Union[Model, _Path],
    platform: Union[str, Platform] = "usb3-1x",
    requests: int = 100,
    warmup: int = 1,
    baseline: float = 1.0,
    timeout: float = 30.0,
    sim_rate: float = 10000.0,
    sim_speed: float = 1.0,
) -> dict:
    """Energy per inference of `model` on a simulated Edge TPU, metered like hardware: the device
    model's timeline replayed by a sim source sampling at `sim_rate`, an idle baseline of
    `baseline` seconds, `warmup` requests, then `requests` requests between markers.

    Returns the dict `tpulab power measure MODEL --device sim-edgetpu --source sim --json`
    prints (joules_per_inference, net_joules_per_inference, ms_per_inference, peak_watts, ...,
    and the device model's prediction under 'device_model'). The GIL is released."""
    from . import _model, load_platform

    for name, value in (("requests", requests), ("warmup", warmup)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise UsageError(f"{name} must be an int, not {type(value).__name__}")
    m = _model(model)
    label = os.fspath(model) if isinstance(model, (str, os.PathLike)) else (m.path or m.name)
    pf = load_platform(platform) if isinstance(platform, str) else platform
    return _tpulab.power_measure(m, label, pf, requests, warmup, baseline, timeout, sim_rate, sim_speed)


def _fspath(path: Optional[_Path]) -> Optional[str]:
    return None if path is None else os.fspath(path)


__all__ = [
    "PowerSource", "Trace", "Emulator",
    "list_sources", "open_source", "record", "read_trace", "summary", "measure",
]
