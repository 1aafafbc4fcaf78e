"""Runs a model on native LiteRT in a process of its own (LiteRT's reference kernels abort the
process on some models; the test then reports it instead of dying).

    python litert_worker.py MODEL.tflite RESOLVER IN.npz OUT.npz

IN.npz holds arrays "<set>_<input>", OUT.npz gets "<set>_<output>" for every input set."""

import sys

import numpy as np
from ai_edge_litert import interpreter as litert


def main():
    model, resolver, src, dst = sys.argv[1:5]
    interp = litert.Interpreter(model_path=model, num_threads=1,
                                experimental_op_resolver_type=getattr(litert.OpResolverType, resolver))
    interp.allocate_tensors()
    ins, outs = interp.get_input_details(), interp.get_output_details()
    arrays = np.load(src)
    sets = sorted({int(k.split("_")[0]) for k in arrays.files})
    result = {}
    for s in sets:
        for i, d in enumerate(ins):
            interp.set_tensor(d["index"], arrays[f"{s}_{i}"])
        interp.invoke()
        for o, d in enumerate(outs):
            result[f"{s}_{o}"] = interp.get_tensor(d["index"])
    np.savez(dst, **result)


if __name__ == "__main__":
    main()
