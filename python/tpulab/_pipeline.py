"""Pipelines of segments on a platform's simulated Edge TPUs: pipeline() and topologies(), the
reports of `tpulab pipeline --json` and `tpulab pipeline --topologies --json`."""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence, Union

from ._tpulab import Model, Plan, Platform, load_platform
from ._tpulab import pipeline_dict as _pipeline_dict
from ._tpulab import topologies_dict as _topologies_dict
from .errors import UsageError

# A Model, a .tflite path or "zoo:NAME" (a zoo model with its default options).
PipelineModel = Union[Model, str, "os.PathLike[str]"]


class _Fields(dict):
    """A JSON report: its keys readable as attributes too."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def to_dict(self) -> dict:
        return dict(self)


class PipelineReport(_Fields):
    """The result of pipeline(): exactly the fields of `tpulab pipeline --json` (clock, dispatch,
    load, platform, tpus, requests, throughput_ips, analytic_throughput_ips, latency_ms,
    energy_mj, models [...], devices [... with their stages], ...), as attributes or dict keys."""


class TopologySweep(_Fields):
    """The result of topologies(): exactly the fields of `tpulab pipeline --topologies --json`
    (model, platform, clock and topologies [{pipelines, segments, starts, throughput_ips, ...}])."""


def _int(value: Any, name: str, bits: int = 32) -> int:
    """An int the library's `bits`-bit field can hold (its own checks then bound the value)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{name} must be an int, not {type(value).__name__}")
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise UsageError(f"{name} is out of range: {value}")
    return value


def _platform(platform: Union[str, Platform]) -> Platform:
    if isinstance(platform, Platform):
        return platform
    if isinstance(platform, str):
        return load_platform(platform)
    raise UsageError(f"platform must be a name or a tpulab.Platform, not {type(platform).__name__}")


def _model_arg(model: Any) -> Union[Model, str]:
    if isinstance(model, Model):
        return model
    if isinstance(model, (str, os.PathLike)):
        return os.fspath(model)
    raise UsageError(f"expected a tpulab.Model, a path or 'zoo:NAME', got {type(model).__name__}")


def _load(requests, load, rate, in_flight, seed, dispatch, queue_size, clock) -> dict:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
        raise UsageError(f"rate must be a number, not {type(rate).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**64:
        raise UsageError(f"seed must be an int in [0, 2**64), not {seed!r}")
    return dict(requests=_int(requests, "requests", 64), load=load or "", rate=float(rate),
                in_flight=_int(in_flight, "in_flight"), seed=seed, dispatch=dispatch,
                queue_size=_int(queue_size, "queue_size", 64), clock=clock)


def pipeline(
    models: Union[PipelineModel, Sequence[PipelineModel]],
    platform: Union[str, Platform] = "asus-8x-pcie",
    segments: int = 1,
    pipelines: int = 1,
    plan: Union[None, Plan, str, "os.PathLike[str]"] = None,
    strategy: str = "optimal",
    timing_only: bool = False,
    requests: int = 1000,
    load: Optional[str] = None,
    rate: float = 0.0,
    in_flight: int = 0,
    seed: int = 1,
    dispatch: str = "round-robin",
    queue_size: int = 1,
    clock: str = "virtual",
) -> PipelineReport:
    """Runs models as pipelines of segments on a platform's simulated Edge TPUs under a load, as
    `tpulab pipeline` does.

    models       a Model, a .tflite path or "zoo:NAME", or a list of them (the same name twice
                 is reported as NAME and NAME#2)
    platform     a built-in platform name or a tpulab.Platform
    segments     K segments per pipeline, one TPU each (cut by `strategy`)
    pipelines    P replicas of each model's pipeline
    plan         instead of `segments` (one model): a Plan from tpulab.segment() or a plan.json
    strategy     'params', 'profile' or 'optimal'
    timing_only  devices only keep time (no engine, zero outputs): fast for big models
    requests     requests per model
    load         'closed', 'poisson' or 'periodic' (default: closed; poisson when `rate` > 0)
    rate         open loops: arrivals per second per model
    in_flight    closed loop: requests in flight per model (0: 2 per stage)
    seed         seed of the poisson arrivals
    dispatch     'round-robin' or 'least-loaded' (how requests pick a replica)
    queue_size   queue between stages (0 = unbounded)
    clock        'virtual' (discrete-event, instant) or 'realtime' (threads, modeled device times)

    Returns a PipelineReport with exactly the fields of `tpulab pipeline --json`. Raises
    UsageError (FieldError naming the field) for invalid arguments. The GIL is released while
    the models load and run.
    """
    listed = list(models) if isinstance(models, (list, tuple)) else [models]
    args = [_model_arg(m) for m in listed]
    kw = _load(requests, load, rate, in_flight, seed, dispatch, queue_size, clock)
    if isinstance(plan, Plan):
        kw["starts"] = plan.starts
    elif plan is not None:
        kw["plan"] = os.fspath(plan)
    return PipelineReport(_pipeline_dict(
        args, _platform(platform), segments=_int(segments, "segments"),
        pipelines=_int(pipelines, "pipelines"), strategy=strategy, timing_only=bool(timing_only), **kw))


def topologies(
    model: PipelineModel,
    platform: Union[str, Platform] = "asus-8x-pcie",
    strategy: str = "optimal",
    timing_only: bool = False,
    requests: int = 1000,
    load: Optional[str] = None,
    rate: float = 0.0,
    in_flight: int = 0,
    seed: int = 1,
    dispatch: str = "round-robin",
    queue_size: int = 1,
    clock: str = "virtual",
) -> TopologySweep:
    """Runs one model in every P x K = TPUs topology of the platform (1x8, 2x4, 4x2, 8x1 on 8
    TPUs) under the same load, as `tpulab pipeline --topologies` does; arguments as pipeline().

    Returns a TopologySweep with exactly the fields of `tpulab pipeline --topologies --json`.
    """
    kw = _load(requests, load, rate, in_flight, seed, dispatch, queue_size, clock)
    return TopologySweep(_topologies_dict(_model_arg(model), _platform(platform), strategy=strategy,
                                          timing_only=bool(timing_only), **kw))


__all__ = ["PipelineReport", "TopologySweep", "pipeline", "topologies"]
