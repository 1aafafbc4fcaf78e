"""tpulab: TFLite models, a bit-exact CPU engine and a model of Coral Edge TPUs, from Python.

    import numpy as np, tpulab
    model = tpulab.load("mobilenet_v2_1.0_224_quant.tflite")
    with tpulab.Interpreter(model, threads=2) as interp:
        scores, = interp.invoke(interp.load_image("cat.bmp"))
    print(tpulab.simulate(model, platform="usb3-1x").latency_ms)
    plan = tpulab.segment(model, 4, strategy="optimal")
    plan.write("segments/")

Library errors are raised as tpulab.errors classes (Error and its subclasses IoError,
ModelError, FormatError, UsageError and its FieldError, UnsupportedError).
"""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence, Union

from . import errors
from .errors import (
    Error,
    FieldError,
    FormatError,
    IoError,
    ModelError,
    UnsupportedError,
    UsageError,
)
from ._tpulab import (
    Interpreter,
    Model,
    Op,
    Plan,
    Platform,
    Tensor,
    evaluate,
    load,
    load_platform,
    load_platform_file,
    model_from_bytes,
    model_to_bytes,
    parse_platform,
    platform_toml,
    platforms,
)
from ._tpulab import segment as _segment
from ._tpulab import simulate_dict as _simulate_dict
from ._tpulab import PipelinedRunner
from ._pipeline import PipelineReport, TopologySweep, _Fields, pipeline, topologies
from . import zoo
from . import power

__version__ = "0.1.0"

ModelLike = Union[Model, str, "os.PathLike[str]"]
PlatformLike = Union[str, Platform]


def _model(model: ModelLike) -> Model:
    if isinstance(model, Model):
        return model
    if isinstance(model, (str, os.PathLike)):
        return load(os.fspath(model))
    raise UsageError(f"expected a tpulab.Model or a path, got {type(model).__name__}")


class Simulation(_Fields):
    """The result of simulate(): exactly the fields of `tpulab simulate --json` (platform,
    latency_ms, throughput_ips, bottleneck_ms, energy_mj, average_power_w, segments, ...),
    readable as attributes or as dict keys. ``warnings`` (an attribute, not a key) holds what the
    CLI prints on stderr."""

    def __init__(self, fields: dict):
        fields = dict(fields)
        self.__dict__["warnings"] = fields.pop("warnings", [])
        super().__init__(fields)


def simulate(
    model: ModelLike,
    platform: PlatformLike = "usb3-1x",
    segments: int = 1,
    plan: Union[None, Plan, str, "os.PathLike[str]"] = None,
) -> Simulation:
    """Costs `model` on a simulated Edge TPU platform, as `tpulab simulate --json` does.

    model     a tpulab.Model or a .tflite path
    platform  a built-in platform name (tpulab.platforms()) or a tpulab.Platform
    segments  split into this many segments by parameter bytes (the Edge TPU compiler's rule)
    plan      instead of `segments`: a Plan from tpulab.segment() or a plan.json path

    Returns a Simulation (a dict with attribute access) with exactly the fields of
    `tpulab simulate --json`. Raises UsageError for invalid arguments.
    """
    m = _model(model)
    if isinstance(segments, bool) or not isinstance(segments, int):
        raise UsageError(f"segments must be an int, not {type(segments).__name__}")
    if isinstance(plan, Plan):
        return Simulation(_simulate_dict(m, platform, segments, starts=plan.starts))
    if plan is not None:
        return Simulation(_simulate_dict(m, platform, segments, plan=os.fspath(plan)))
    return Simulation(_simulate_dict(m, platform, segments))


def segment(
    model: ModelLike,
    k: int,
    strategy: str = "optimal",
    platform: PlatformLike = "asus-8x-pcie",
    objective: str = "throughput",
    min_throughput: float = 0.0,
    diff_threshold_ms: float = 1.0,
) -> Plan:
    """Cuts `model` into `k` pipeline segments, one Edge TPU each, as `tpulab segment` does.

    strategy   'params' (the compiler's rule), 'profile' (libcoral's) or 'optimal'
    objective  'throughput' (minimum bottleneck) or 'latency' (over a throughput floor)

    Returns a Plan: ``starts`` (cut points), ``segments`` (stand-alone Models),
    ``simulation`` (costs), ``to_dict()`` (plan.json) and ``write(dir)``.
    """
    if isinstance(k, bool) or not isinstance(k, int):
        raise UsageError(f"k must be an int, not {type(k).__name__}")
    return _segment(_model(model), k, strategy, platform, objective, min_throughput, diff_threshold_ms)


__all__ = [
    "Error", "IoError", "ModelError", "FormatError", "UsageError", "FieldError", "UnsupportedError",
    "errors",
    "Model", "Tensor", "Op", "load", "model_from_bytes", "model_to_bytes", "zoo",
    "Interpreter", "evaluate",
    "Platform", "platforms", "load_platform", "load_platform_file", "parse_platform", "platform_toml",
    "Simulation", "simulate", "Plan", "segment",
    "power",
]
__all__ += ["PipelineReport", "TopologySweep", "pipeline", "topologies", "PipelinedRunner"]
