"""tpulab.load and Model: tensors, ops, constants, summary (== `tpulab inspect --format json`),
DOT (== `inspect --dot`), save, Edge TPU package facts, zoo."""

import gc
import json

import numpy as np
import pytest

import tpulab

MOBILENET_V2 = "mobilenet_v2_1.0_224_quant.tflite"


def test_inputs_outputs_ops(models):
    m = tpulab.load(models / MOBILENET_V2)
    (x,) = m.inputs
    assert x.shape == (1, 224, 224, 3)
    assert x.dtype == np.uint8
    assert x.quantization["scale"][0] == pytest.approx(0.0078125)
    assert x.quantization["zero_point"] == [128]
    (y,) = m.outputs
    assert y.shape == (1, 1001) and y.dtype == np.uint8
    conv = m.ops[0]
    assert conv.type == "CONV_2D"
    assert conv.options["stride_h"] == 2 and conv.options["padding"] == "SAME"
    assert conv.options["activation"] == "RELU6"
    assert conv.inputs[0].index == x.index
    assert conv.inputs[1].is_constant and conv.inputs[1].shape == (32, 3, 3, 3)
    assert m.ops[-1].outputs[0].index == y.index


def test_constants_are_read_only_zero_copy_and_outlive_the_model(models):
    m = tpulab.load(models / MOBILENET_V2)
    w = m.ops[0].inputs[1]
    a = w.data
    b = m.constants()[w.index]
    assert np.shares_memory(a, b)  # both views of the file mapping, no copy
    assert not a.flags.writeable
    with pytest.raises(ValueError):
        a[0, 0, 0, 0] = 1
    total = int(a.astype(np.int64).sum())
    del m, w, b
    gc.collect()
    assert int(a.astype(np.int64).sum()) == total  # the array keeps the mapping alive
    assert m_activation_has_no_data(models)


def m_activation_has_no_data(models):
    m = tpulab.load(models / MOBILENET_V2)
    return m.inputs[0].data is None and not m.inputs[0].is_constant


@pytest.mark.parametrize("name", [MOBILENET_V2, "mobilenet_v2_1.0_224_quant_edgetpu.tflite", "keras_lstm_mnist_ptq.tflite"])
def test_summary_equals_inspect_json(models, cli, name):
    path = models / name
    m = tpulab.load(path)
    expected = json.loads(cli("inspect", path, "--format", "json").stdout)
    assert m.summary() == expected


def test_to_dot_equals_inspect_dot(models, cli, tmp_path):
    path = models / MOBILENET_V2
    cli("inspect", path, "--dot", tmp_path / "m.dot")
    assert tpulab.load(path).to_dot() == (tmp_path / "m.dot").read_text()


def test_save_round_trips(models, tmp_path):
    m = tpulab.load(models / MOBILENET_V2)
    m.save(tmp_path / "copy.tflite")
    again = tpulab.load(tmp_path / "copy.tflite")
    assert tpulab.model_to_bytes(again) == tpulab.model_to_bytes(m)
    assert again.summary()["macs"] == m.summary()["macs"]


def test_edgetpu_package_facts(models, cli):
    path = models / "mobilenet_v2_1.0_224_quant_edgetpu.tflite"
    facts = tpulab.load(path).edgetpu
    assert facts == json.loads(cli("inspect", path, "--format", "json").stdout)["edgetpu"]
    assert facts["cached_parameter_bytes"] > 3_000_000
    assert tpulab.load(models / MOBILENET_V2).edgetpu is None


def test_zoo_build_equals_cli(cli, tmp_path):
    assert "mobilenet_v2" in tpulab.zoo.names()
    m = tpulab.zoo.build("mobilenet_v2", input=96, width=0.5, seed=3)
    cli("zoo", "build", "mobilenet_v2", "--input", 96, "--width", 0.5, "--seed", 3, "-o", tmp_path / "z.tflite")
    assert tpulab.model_to_bytes(m) == (tmp_path / "z.tflite").read_bytes()
    assert m.inputs[0].shape == (1, 96, 96, 3)


def test_bad_inputs_raise_the_mapped_errors(models, tmp_path):
    with pytest.raises(tpulab.IoError) as e:
        tpulab.load(tmp_path / "missing.tflite")
    assert "missing.tflite" in str(e.value) and e.value.where
    assert isinstance(e.value, OSError) and isinstance(e.value, tpulab.Error)
    (tmp_path / "junk.tflite").write_bytes(b"\0" * 64)
    with pytest.raises(tpulab.ModelError, match="junk.tflite"):
        tpulab.load(tmp_path / "junk.tflite")
    with pytest.raises(tpulab.ModelError):
        tpulab.model_from_bytes(b"not a model", "x.tflite")
    with pytest.raises(tpulab.UsageError, match="no_such_model"):
        tpulab.zoo.build("no_such_model")
    with pytest.raises(tpulab.UsageError):
        tpulab.zoo.build("mobilenet_v2", input=-5)
    # Option errors name the library's field (the keyword), never a CLI flag.
    with pytest.raises(tpulab.FieldError) as fe:
        tpulab.zoo.build("resnet50_v1", width=0.5)
    assert fe.value.field == "width" and "--" not in str(fe.value)
    with pytest.raises(TypeError):
        tpulab.load(42)
    with pytest.raises(tpulab.IoError):
        tpulab.load(models / MOBILENET_V2).save(tmp_path / "no" / "such" / "dir" / "x.tflite")
