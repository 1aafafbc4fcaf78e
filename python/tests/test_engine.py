"""Interpreter: invoke equals the CLI byte for byte, details, misuse raises the mapped
exceptions, the GIL is released while a model runs."""

import threading
import time

import numpy as np
import pytest

import tpulab

MOBILENET_V2 = "mobilenet_v2_1.0_224_quant.tflite"


@pytest.mark.parametrize("kernels,threads", [("optimized", 1), ("optimized", 2), ("reference", 1)])
def test_image_classified_in_python_equals_cli_output_bytes(models, images, cli, tmp_path, kernels, threads):
    path = models / MOBILENET_V2
    with tpulab.Interpreter(tpulab.load(path), kernels=kernels, threads=threads) as interp:
        x = interp.load_image(images / "grace_hopper.bmp")
        (scores,) = interp.invoke(x)
    out = tmp_path / "scores.bin"
    cli("run", path, "--input", images / "grace_hopper.bmp", "--output-raw", out, "--kernels", kernels,
        "--threads", threads)
    assert scores.tobytes() == out.read_bytes()
    assert scores.shape == (1, 1001) and scores.dtype == np.uint8
    labels = (images / "imagenet_labels.txt").read_text().splitlines()
    assert "uniform" in labels[int(scores.argmax())]  # Grace Hopper in her Navy uniform


def test_raw_inputs_equal_cli(models, cli, tmp_path):
    path = models / "keras_lstm_mnist_ptq.tflite"
    interp = tpulab.Interpreter(tpulab.load(path))
    (d,) = interp.get_input_details()
    x = np.random.default_rng(7).integers(-128, 128, size=d["shape"], dtype=np.int8).astype(d["dtype"])
    outs = interp.invoke(x)
    (tmp_path / "x.bin").write_bytes(x.tobytes())
    files = [tmp_path / f"o{i}.bin" for i in range(len(outs))]
    cli("run", path, "--input-raw", tmp_path / "x.bin", "--output-raw", ",".join(map(str, files)), "--threads", 1)
    for o, f in zip(outs, files):
        assert o.tobytes() == f.read_bytes()


def test_details(models):
    interp = tpulab.Interpreter(tpulab.load(models / MOBILENET_V2))
    (i,) = interp.get_input_details()
    assert i["shape"] == (1, 224, 224, 3) and i["dtype"] == np.uint8
    assert i["quantization"][1] == 128
    (o,) = interp.get_output_details()
    assert o["shape"] == (1, 1001)
    assert interp.arena_bytes > 0


def test_non_contiguous_input_is_accepted(models):
    interp = tpulab.Interpreter(tpulab.load(models / MOBILENET_V2))
    x = np.random.default_rng(1).integers(0, 256, size=(1, 224, 224, 3), dtype=np.uint8)
    f = np.asfortranarray(x)
    assert interp.invoke(f)[0].tobytes() == interp.invoke(x)[0].tobytes()


def test_misuse_raises(models, tmp_path):
    m = tpulab.load(models / MOBILENET_V2)
    interp = tpulab.Interpreter(m)
    good = np.zeros((1, 224, 224, 3), np.uint8)
    with pytest.raises(tpulab.UsageError, match=r"expected uint8 \[1,224,224,3\], got a float32"):
        interp.invoke(good.astype(np.float32))
    with pytest.raises(tpulab.UsageError, match=r"shape \[1,224,224\]"):
        interp.invoke(good[..., 0])
    with pytest.raises(tpulab.UsageError, match="1 input"):
        interp.invoke()
    with pytest.raises(tpulab.UsageError, match="1 input"):
        interp.invoke(good, good)
    with pytest.raises(tpulab.UsageError, match="numpy array"):
        interp.invoke(good.tolist())
    with pytest.raises(tpulab.UsageError, match="input 3 does not exist"):
        interp.load_image(tmp_path / "x.bmp", input=3)
    with pytest.raises(tpulab.IoError):
        interp.load_image(tmp_path / "missing.bmp")
    with pytest.raises(tpulab.UsageError, match="threads"):
        tpulab.Interpreter(m, threads=-1)
    with pytest.raises(tpulab.UsageError, match="threads"):
        tpulab.Interpreter(m, threads=0)
    with pytest.raises(tpulab.UsageError, match="bogus"):
        tpulab.Interpreter(m, kernels="bogus")
    with pytest.raises(TypeError):
        tpulab.Interpreter("not a model")
    interp.close()
    assert interp.closed
    with pytest.raises(tpulab.UsageError, match="closed"):
        interp.invoke(good)
    with pytest.raises(tpulab.UsageError, match="closed"):
        interp.get_input_details()


def test_edgetpu_model_is_unsupported_on_the_cpu(models):
    with pytest.raises(tpulab.UnsupportedError, match="runs only there") as e:
        tpulab.Interpreter(tpulab.load(models / "mobilenet_v2_1.0_224_quant_edgetpu.tflite"))
    assert "mobilenet_v2_1.0_224_quant_edgetpu.tflite" in e.value.problem


def test_gil_is_released_during_invoke(models):
    interp = tpulab.Interpreter(tpulab.load(models / MOBILENET_V2), kernels="reference")
    x = np.zeros((1, 224, 224, 3), np.uint8)
    ticks = 0
    stop = threading.Event()

    def count():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    time.sleep(0.01)
    before = ticks
    t0 = time.perf_counter()
    interp.invoke(x)  # the reference kernels take well over 50 ms
    elapsed = time.perf_counter() - t0
    during = ticks - before
    stop.set()
    t.join()
    assert elapsed > 0.05
    # With the GIL held the counter could not move at all while the model ran.
    assert during > elapsed * 1000 * 0.2


def test_concurrent_invokes_on_one_interpreter_are_serialized(models):
    interp = tpulab.Interpreter(tpulab.load(models / "mobilenet_v1_0.25_128_quant.tflite"))
    rng = np.random.default_rng(3)
    xs = [rng.integers(0, 256, size=(1, 128, 128, 3), dtype=np.uint8) for _ in range(4)]
    expected = [interp.invoke(x)[0].tobytes() for x in xs]
    got = [None] * 4

    def run(i):
        for _ in range(5):
            got[i] = interp.invoke(xs[i])[0].tobytes()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == expected


def test_evaluate_matches_cli(models, cli, tmp_path):
    pytest.importorskip("numpy")
    import os

    if not os.path.isdir("/usr/share/datasets/fashion-mnist"):
        pytest.skip("!!! Debian's dataset-fashion-mnist is not installed !!!")
    # A zoo model is not a Fashion-MNIST classifier; any model with one 28x28 grey input and
    # class scores would do. The LSTM takes [1,28,28] int8 and gives 10 scores.
    m = tpulab.load(models / "keras_lstm_mnist_ptq.tflite")
    r = tpulab.evaluate(m, limit=50)
    assert r["images"] == 50 and 0 <= r["correct"] <= 50
    assert len(r["confusion"]) == 10 and sum(map(sum, r["confusion"])) == 50
    with pytest.raises(tpulab.UsageError):
        tpulab.evaluate(m, dataset="imagenet")
    with pytest.raises(tpulab.UsageError):
        tpulab.evaluate(m, limit=-3)
