"""The scripts in examples/ run and say what the library says."""

import subprocess
import sys

import tpulab
from conftest import REPO


def run(*args):
    r = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_classify(models, images, cli):
    path = models / "mobilenet_v2_1.0_224_quant.tflite"
    out = run(REPO / "examples/classify.py", path, images / "grace_hopper.bmp", "--labels",
              images / "imagenet_labels.txt", "--top", 3)
    cli_out = cli("run", path, "--input", images / "grace_hopper.bmp", "--labels", images / "imagenet_labels.txt",
                  "--top", 3, "--json").stdout
    import json

    top = json.loads(cli_out)["outputs"][0]["top"]
    lines = out.strip().splitlines()
    assert [int(l.split()[0]) for l in lines] == [t["class"] for t in top]
    assert [float(l.split()[1]) for l in lines] == [round(t["score"], 5) for t in top]


def test_split_and_simulate():
    out = run(REPO / "examples/split_and_simulate.py", "--model", "mobilenet_v2", "--strategy", "params")
    rows = [l.split() for l in out.strip().splitlines()[2:]]
    assert [int(r[0]) for r in rows] == list(range(1, 9))
    m = tpulab.zoo.build("mobilenet_v2")
    s4 = tpulab.simulate(m, platform="asus-8x-pcie", plan=tpulab.segment(m, 4, strategy="params"))
    assert float(rows[3][1]) == round(s4.throughput_ips, 1)


def test_measure_energy(models):
    path = models / "mobilenet_v1_0.25_128_quant.tflite"
    out = run(REPO / "examples/measure_energy.py", path, "--platforms", "usb3-1x", "pcie-1x", "--requests", 10)
    lines = out.strip().splitlines()
    assert "2000 samples" in lines[0]
    assert abs(float(lines[0].split(", ")[-1].split()[0]) - 24.0) < 0.5
    rows = {l.split()[0]: l.split() for l in lines[-2:]}
    for platform in ("usb3-1x", "pcie-1x"):
        predicted = tpulab.simulate(path, platform=platform).energy_mj
        assert float(rows[platform][2]) == round(predicted, 4)
        # Metered within 1% of what the device model predicts.
        assert abs(float(rows[platform][1]) - predicted) <= 0.01 * predicted + 1e-4
