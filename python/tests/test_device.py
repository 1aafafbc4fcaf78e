"""simulate, segment and platforms equal the CLI's JSON and files."""

import json

import pytest

import tpulab

MOBILENET_V2 = "mobilenet_v2_1.0_224_quant.tflite"


@pytest.mark.parametrize("platform,segments", [("usb3-1x", 1), ("pcie-1x", 1), ("asus-8x-pcie", 4)])
def test_simulate_equals_cli_json(models, cli, platform, segments):
    path = models / MOBILENET_V2
    s = tpulab.simulate(path, platform=platform, segments=segments)
    expected = json.loads(cli("simulate", path, "--platform", platform, "--segments", segments, "--json").stdout)
    assert dict(s) == expected
    assert s.latency_ms == expected["latency_ms"] and len(s.segments) == segments


def test_segment_equals_cli_json_and_files(models, cli, tmp_path):
    path = models / MOBILENET_V2
    plan = tpulab.segment(path, 4, strategy="optimal", platform="asus-8x-pcie")
    written = plan.write(tmp_path / "py")
    expected = json.loads(cli("segment", path, "-n", 4, "--strategy", "optimal", "--platform", "asus-8x-pcie",
                              "--out", tmp_path / "cli", "--json").stdout)
    assert plan.to_dict() == expected
    assert plan.starts == expected["starts"]
    names = sorted(p.rsplit("/", 1)[-1] for p in written)
    assert names == sorted(p.name for p in (tmp_path / "cli").iterdir())
    for n in names:
        assert (tmp_path / "py" / n).read_bytes() == (tmp_path / "cli" / n).read_bytes(), n
    # The segments as Models are the written files.
    for seg in plan.segments:
        assert tpulab.model_to_bytes(seg) == (tmp_path / "py" / seg.name).read_bytes()
    # simulate over the plan (object or file) equals the plan's own costs.
    assert dict(tpulab.simulate(path, platform="asus-8x-pcie", plan=plan)) == plan.simulation
    assert dict(tpulab.simulate(path, platform="asus-8x-pcie", plan=tmp_path / "py" / "plan.json")) == plan.simulation


def test_platforms(tmp_path):
    names = tpulab.platforms()
    assert "usb3-1x" in names and "asus-8x-pcie" in names
    p = tpulab.load_platform("asus-8x-pcie")
    assert p.tpus == 8 and p.name == "asus-8x-pcie"
    f = tmp_path / "mine.toml"
    f.write_text(tpulab.platform_toml("usb3-1x"))
    mine = tpulab.load_platform_file(f)
    assert mine.tpus == 1 and mine.link == tpulab.load_platform("usb3-1x").link
    m = tpulab.zoo.build("mobilenet_v1", input=128, width=0.25)
    assert dict(tpulab.simulate(m, platform=mine)) == dict(tpulab.simulate(m, platform="usb3-1x"))


def test_bad_arguments(models, tmp_path):
    m = tpulab.load(models / MOBILENET_V2)
    with pytest.raises(tpulab.UsageError, match="nope"):
        tpulab.simulate(m, platform="nope")
    with pytest.raises(tpulab.UsageError):
        tpulab.simulate(m, segments=0)
    with pytest.raises(tpulab.UsageError):
        tpulab.simulate(m, segments=-2)
    with pytest.raises(tpulab.UsageError):
        tpulab.simulate(m, segments="4")
    with pytest.raises(tpulab.UsageError):
        tpulab.segment(m, 0)
    with pytest.raises(tpulab.UsageError):
        tpulab.segment(m, 9, platform="asus-8x-pcie")  # more segments than TPUs
    with pytest.raises(tpulab.UsageError, match="bogus"):
        tpulab.segment(m, 2, strategy="bogus")
    with pytest.raises(tpulab.IoError):
        tpulab.simulate(m, plan=tmp_path / "missing.json")
    with pytest.raises(tpulab.IoError):
        tpulab.load_platform_file(tmp_path / "missing.toml")
    with pytest.raises(tpulab.IoError):
        tpulab.simulate(tmp_path / "missing.tflite")
    with pytest.raises(tpulab.UsageError):
        tpulab.simulate(12)
