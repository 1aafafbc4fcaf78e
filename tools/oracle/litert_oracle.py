#!/usr/bin/env python3
"""The test oracle: runs a .tflite model on native LiteRT (ai-edge-litert, pinned in
python/requirements.txt) and reports like the C++ test harness expects (tests/testing/oracle.cpp).

    litert_oracle.py run  --model M --input-raw A,B --output-dir D [--kernels K] [--repeat N]
    litert_oracle.py info --model M [--kernels K]

--kernels: ref (LiteRT's reference kernels, OpResolverType.BUILTIN_REF; the default and the one
tpulab's engine is bit-exact with), builtin (its optimized built-in kernels without XNNPACK,
BUILTIN_WITHOUT_DEFAULT_DELEGATES) or xnnpack (the default resolver, XNNPACK applied).
Prints one JSON line {inputs, outputs, kernels, ms_per_inference}; errors go to stderr as
"error: <what> (<model>)" with exit 1 (2 for usage errors).
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
from ai_edge_litert import interpreter as litert

RESOLVERS = {
    "ref": litert.OpResolverType.BUILTIN_REF,
    "builtin": litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    "xnnpack": litert.OpResolverType.AUTO,
}


class UsageError(Exception):
    pass


def describe(details):
    return [{"name": d["name"], "shape": [int(x) for x in d["shape"]], "dtype": np.dtype(d["dtype"]).name,
             "bytes": int(np.prod(d["shape"])) * np.dtype(d["dtype"]).itemsize} for d in details]


def execute(args):
    if not os.path.isfile(args.model):
        raise FileNotFoundError(f"cannot open {args.model}")
    interp = litert.Interpreter(model_path=args.model, num_threads=1,
                                experimental_op_resolver_type=RESOLVERS[args.kernels])
    interp.allocate_tensors()
    ins, outs = interp.get_input_details(), interp.get_output_details()
    report = {"inputs": describe(ins), "outputs": describe(outs), "kernels": args.kernels}
    if args.command != "run":
        return report
    files = [] if args.input_raw == "" else args.input_raw.split(",")
    if len(files) != len(ins):
        raise ValueError(f"model has {len(ins)} inputs, got {len(files)} files")
    for d, f in zip(ins, files):
        data = np.fromfile(f, dtype=np.uint8)
        want = int(np.prod(d["shape"])) * np.dtype(d["dtype"]).itemsize
        if data.size != want:
            raise ValueError(f"input {d['name']} needs {want} bytes, {f} has {data.size}")
        interp.set_tensor(d["index"], data.view(d["dtype"]).reshape(d["shape"]))
    times = []
    for _ in range(max(args.repeat, 1)):
        t0 = time.perf_counter()
        interp.invoke()
        times.append((time.perf_counter() - t0) * 1e3)
    report["ms_per_inference"] = statistics.median(times)
    for i, d in enumerate(outs):
        np.ascontiguousarray(interp.get_tensor(d["index"])).tofile(os.path.join(args.output_dir, f"output_{i}.bin"))
    return report


def main(argv):
    p = argparse.ArgumentParser(prog="litert_oracle.py")
    p.add_argument("command", choices=["run", "info"])
    p.add_argument("--model", required=True)
    p.add_argument("--kernels", choices=sorted(RESOLVERS), default="ref")
    p.add_argument("--xnnpack", action="store_const", const="xnnpack", dest="kernels")
    p.add_argument("--input-raw")
    p.add_argument("--output-dir")
    p.add_argument("--repeat", type=int, default=1)
    args = p.parse_args(argv)
    if args.command == "run" and (args.input_raw is None or args.output_dir is None):
        p.error("run needs --input-raw and --output-dir")
    try:
        print(json.dumps(execute(args)))
    except Exception as e:  # LiteRT raises ValueError/RuntimeError with its log in the message
        sys.stderr.write(f"error: {' '.join(str(e).split())} ({args.model})\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
