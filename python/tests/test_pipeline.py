"""pipeline() and topologies() equal the CLI's JSON; PipelinedRunner over real segments equals the
whole model byte for byte, in order, also with a producer and a consumer thread; misuse raises
the mapped exceptions."""

import json
import threading

import numpy as np
import pytest

import tpulab

SMALL = "mobilenet_v1_0.25_128_quant.tflite"
MEDIUM = "mobilenet_v1_0.5_160_quant.tflite"


def cli_report(cli, *args):
    return json.loads(cli("pipeline", *args, "--json").stdout)


def without_wall(report):
    """The report without its wall-clock time (the one field two runs cannot share)."""
    d = dict(report)
    assert d.pop("wall_ms") >= 0
    return d


@pytest.mark.parametrize(
    "cli_args,kwargs",
    [
        (["--segments", 4, "--timing-only", "--requests", 300],
         dict(segments=4, timing_only=True, requests=300)),
        # The same model twice: NAME and NAME#2, 12 stages wrapping around 8 TPUs.
        (["{small}", "--segments", 2, "--pipelines", 3, "--timing-only", "--requests", 100,
          "--dispatch", "least-loaded"],
         dict(segments=2, pipelines=3, timing_only=True, requests=100, dispatch="least-loaded", twice=True)),
        (["--rate", 200, "--requests", 150, "--segments", 3, "--strategy", "params", "--timing-only"],
         dict(rate=200, requests=150, segments=3, strategy="params", timing_only=True)),
        (["--load", "periodic", "--rate", 50, "--requests", 40, "--queue-size", 0, "--platform", "usb3-1x"],
         dict(load="periodic", rate=50, requests=40, queue_size=0, platform="usb3-1x")),
        # Not timing-only: the devices run the engine.
        (["--segments", 2, "--requests", 30, "--in-flight", 3], dict(segments=2, requests=30, in_flight=3)),
    ],
)
def test_pipeline_equals_cli_json(models, cli, cli_args, kwargs):
    path = models / SMALL
    kwargs = dict(kwargs)
    twice = kwargs.pop("twice", False)
    args = [str(path) if a == "{small}" else a for a in cli_args]
    expected = cli_report(cli, path, *args)
    report = tpulab.pipeline([path, tpulab.load(path)] if twice else path, **kwargs)
    assert isinstance(report, tpulab.PipelineReport)
    assert without_wall(report) == without_wall(expected)
    assert report.throughput_ips == expected["throughput_ips"]
    if twice:
        assert [m["name"] for m in report.models] == ["mobilenet_v1_0.25_128_quant", "mobilenet_v1_0.25_128_quant#2"]


def test_zoo_models_and_several_models_equal_cli_json(models, cli):
    expected = cli_report(cli, "zoo:mobilenet_v1", models / MEDIUM, "--segments", 2, "--pipelines", 2,
                          "--requests", 100, "--timing-only")
    report = tpulab.pipeline(["zoo:mobilenet_v1", models / MEDIUM], segments=2, pipelines=2, requests=100,
                             timing_only=True)
    assert without_wall(report) == without_wall(expected)
    # A zoo Model built in Python is reported under its zoo name, as "zoo:NAME" is.
    built = tpulab.pipeline([tpulab.zoo.build("mobilenet_v1"), models / MEDIUM], segments=2, pipelines=2,
                            requests=100, timing_only=True)
    assert without_wall(built) == without_wall(expected)


def test_segment_then_pipeline_equals_cli_with_the_plan(models, cli, tmp_path):
    path = models / SMALL
    plan = tpulab.segment(path, 3, strategy="optimal", platform="asus-8x-pcie")
    plan.write(tmp_path)
    expected = cli_report(cli, path, "--plan", tmp_path / "plan.json", "--requests", 200, "--timing-only")
    by_object = tpulab.pipeline(path, plan=plan, requests=200, timing_only=True)
    by_file = tpulab.pipeline(path, plan=tmp_path / "plan.json", requests=200, timing_only=True)
    assert without_wall(by_object) == without_wall(expected)
    assert without_wall(by_file) == without_wall(expected)
    assert by_object.models[0]["starts"] == plan.starts
    assert by_object.devices[2]["stages"] == ["mobilenet_v1_0.25_128_quant/p0/s2"]


def test_topologies_equal_cli_json(models, cli):
    path = models / SMALL
    expected = json.loads(cli("pipeline", path, "--topologies", "--timing-only", "--requests", 100, "--json").stdout)
    sweep = tpulab.topologies(path, timing_only=True, requests=100)
    assert isinstance(sweep, tpulab.TopologySweep)
    assert dict(sweep) == expected
    assert [(t["pipelines"], t["segments"]) for t in sweep.topologies] == [(1, 8), (2, 4), (4, 2), (8, 1)]


def test_realtime_clock_completes_every_request(models):
    r = tpulab.pipeline(models / SMALL, segments=2, requests=40, clock="realtime", timing_only=True)
    assert r.clock == "realtime" and r.requests == 40 and r.invocations == 80
    assert r.throughput_ips > 0 and r.wall_ms > 0


def random_inputs(interp, n, seed=3):
    (d,) = interp.get_input_details()
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, size=d["shape"], dtype=np.uint8) for _ in range(n)]


@pytest.fixture
def split_small(models):
    """The small MobileNet, its 3 segments, and an interpreter of the whole model."""
    model = tpulab.load(models / SMALL)
    plan = tpulab.segment(model, 3, strategy="params")
    with tpulab.Interpreter(model) as whole:
        yield model, plan.segments, whole


def test_runner_outputs_equal_the_whole_model_in_order(split_small):
    model, segments, whole = split_small
    xs = random_inputs(whole, 6)
    expected = [whole.invoke(x)[0].tobytes() for x in xs]
    with tpulab.PipelinedRunner(segments) as runner:
        assert runner.num_stages == 3
        assert runner.input_names == [t.name for t in model.inputs]
        assert runner.output_names == [t.name for t in model.outputs]
        for x in xs:
            runner.push([x])
        runner.push([])
        got = []
        while (out := runner.pop()) is not None:
            (y,) = out
            assert y.dtype == np.uint8 and y.shape == tuple(model.outputs[0].shape)
            got.append(y.tobytes())
        assert runner.pop() is None  # the end stays the end
        assert [s["count"] for s in runner.stats()] == [6, 6, 6]
    assert got == expected
    assert runner.closed


def test_runner_producer_and_consumer_threads(split_small):
    _, segments, whole = split_small
    xs = random_inputs(whole, 12, seed=5)
    expected = [whole.invoke(x)[0].tobytes() for x in xs]
    got, errors = [], []
    # Queues of one everywhere: the producer blocks in push until the consumer pops, which only
    # works if a blocked push or pop lets go of the GIL.
    runner = tpulab.PipelinedRunner(segments, input_queue_size=1, output_queue_size=1)

    def produce():
        try:
            for x in xs:
                runner.push([x])
            runner.push([])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    def consume():
        try:
            while (out := runner.pop()) is not None:
                got.append(out[0].tobytes())
        except Exception as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=produce, daemon=True), threading.Thread(target=consume, daemon=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    alive = [t for t in threads if t.is_alive()]
    runner.close()
    assert not alive and not errors
    assert got == expected


def test_close_wakes_a_blocked_pop(split_small):
    _, segments, _ = split_small
    runner = tpulab.PipelinedRunner(segments)
    raised = []

    def consume():
        try:
            runner.pop()  # nothing was pushed: only close() ends this
        except tpulab.UsageError as e:
            raised.append(e)

    t = threading.Thread(target=consume, daemon=True)
    t.start()
    t.join(timeout=0.1)
    assert t.is_alive()
    runner.close()
    t.join(timeout=10)
    assert not t.is_alive() and len(raised) == 1


def test_runner_misuse_raises(split_small):
    _, segments, whole = split_small
    (x,) = random_inputs(whole, 1)
    runner = tpulab.PipelinedRunner(segments)
    with pytest.raises(tpulab.UsageError, match="uint8"):
        runner.push([x.astype(np.int8)])
    with pytest.raises(tpulab.UsageError, match="shape"):
        runner.push([x[:, :64]])
    with pytest.raises(tpulab.UsageError, match="1 input"):
        runner.push([x, x])
    with pytest.raises(tpulab.UsageError, match="list of arrays"):
        runner.push(x)
    with pytest.raises(tpulab.UsageError, match="numpy array"):
        runner.push([x.tolist()])
    runner.push([x])  # the pipeline still works after rejected pushes
    assert runner.pop()[0].tobytes() == whole.invoke(x)[0].tobytes()
    runner.push([])
    with pytest.raises(tpulab.UsageError, match="shut down"):
        runner.push([x])
    assert runner.pop() is None
    runner.close()
    runner.close()  # twice is fine
    with pytest.raises(tpulab.UsageError, match="closed"):
        runner.push([x])
    with pytest.raises(tpulab.UsageError, match="closed"):
        runner.pop()
    with pytest.raises(tpulab.UsageError, match="closed"):
        runner.stats()
    with pytest.raises(tpulab.UsageError):
        tpulab.PipelinedRunner([])
    with pytest.raises(tpulab.FieldError) as e:
        tpulab.PipelinedRunner(segments, queue_size=-1)
    assert e.value.field == "queue_size"
    with pytest.raises(tpulab.UsageError, match="nope"):
        tpulab.PipelinedRunner(segments, outputs=["nope"])


def test_pipeline_misuse_raises(models, tmp_path):
    path = models / SMALL
    with pytest.raises(tpulab.FieldError) as e:
        tpulab.pipeline(path, requests=-5, timing_only=True)
    assert e.value.field == "requests"
    with pytest.raises(tpulab.UsageError, match="no-such-platform"):
        tpulab.pipeline(path, platform="no-such-platform")
    with pytest.raises(tpulab.FieldError) as e:
        tpulab.pipeline(path, load="closed", rate=10, timing_only=True)
    assert e.value.field == "rate"
    with pytest.raises(tpulab.FieldError) as e:
        tpulab.pipeline(path, load="poisson", timing_only=True)
    assert e.value.field == "rate"
    with pytest.raises(tpulab.FieldError) as e:
        tpulab.pipeline(path, rate=10, in_flight=4, timing_only=True)
    assert e.value.field == "in_flight"
    with pytest.raises(tpulab.FieldError) as e:
        tpulab.pipeline(path, rate=float("inf"), timing_only=True)
    assert e.value.field == "rate"
    with pytest.raises(tpulab.FieldError) as e:
        tpulab.pipeline(path, queue_size=-1, timing_only=True)
    assert e.value.field == "queue_size"
    with pytest.raises(tpulab.FieldError):
        tpulab.pipeline(path, in_flight=-1, timing_only=True)
    with pytest.raises(tpulab.FieldError):
        tpulab.pipeline(path, segments=0, timing_only=True)
    for bad in [dict(load="bursty"), dict(clock="wall"), dict(dispatch="random"), dict(strategy="magic"),
                dict(segments=9), dict(segments=4, pipelines=3), dict(segments="4"), dict(requests=1.5),
                dict(seed=-1), dict(seed=2**64), dict(in_flight=2**31), dict(requests=2**63)]:
        with pytest.raises(tpulab.UsageError):
            tpulab.pipeline(path, timing_only=True, **bad)
    plan = tpulab.segment(path, 2)
    with pytest.raises(tpulab.UsageError, match="several models"):
        tpulab.pipeline([path, path], plan=plan)
    with pytest.raises(tpulab.UsageError, match="not both"):
        tpulab.pipeline(path, plan=plan, segments=2)
    with pytest.raises(tpulab.IoError):
        tpulab.pipeline(tmp_path / "missing.tflite")
    with pytest.raises(tpulab.UsageError, match="no_such_net"):
        tpulab.pipeline("zoo:no_such_net")
    with pytest.raises(tpulab.UsageError):
        tpulab.pipeline([])
    with pytest.raises(tpulab.UsageError):
        tpulab.pipeline(12)
    with pytest.raises(tpulab.FieldError):
        tpulab.topologies(path, requests=0)


def test_help_is_useful():
    for f in (tpulab.pipeline, tpulab.topologies, tpulab.PipelinedRunner.push, tpulab.PipelinedRunner.pop):
        assert f.__doc__ and len(f.__doc__) > 80, f
