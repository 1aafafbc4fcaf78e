#!/usr/bin/env python3
"""tpulab's CPU engine against native LiteRT (ai-edge-litert) in the same run.

For each of bench_engine's three models and 1 and 2 threads: tpulab's optimized kernels,
LiteRT with XNNPACK (its default delegate) and LiteRT's built-in kernels without XNNPACK, on the
same random input. Engines are timed in interleaved rounds (each round: a block of invokes per
engine, about 0.2 s each), so load from elsewhere on the machine hits all of them alike; the
median round counts. Each block starts with one untimed invoke, so every engine is timed with
its own data in cache, as in a steady stream of inferences, not right after another engine
evicted it. Each invoke includes the input copy in and the output copy out, for every engine.

    ./run bench-litert [--rounds N] [--invokes N] [--models a,b] [--json FILE]
"""

import argparse
import json
import os
import pathlib
import statistics
import sys
import time

import numpy as np

import tpulab
from ai_edge_litert import interpreter as litert

REPO = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(os.environ.get("TPULAB_SHARED_DIR", REPO.parent / "shared"))
MODELS = ["mobilenet_v1_0.25_128_quant", "mobilenet_v2_1.0_224_quant", "tf2_mobilenet_v2_1.0_224_ptq"]
Resolver = litert.OpResolverType


class Tpulab:
    def __init__(self, path, threads):
        self.interp = tpulab.Interpreter(tpulab.load(path), kernels="optimized", threads=threads)

    def __call__(self, x):
        return self.interp.invoke(x)[0]


class LiteRT:
    def __init__(self, path, threads, resolver):
        self.interp = litert.Interpreter(model_path=str(path), num_threads=threads,
                                         experimental_op_resolver_type=resolver)
        self.interp.allocate_tensors()
        self.inp = self.interp.get_input_details()[0]["index"]
        self.out = self.interp.get_output_details()[0]["index"]

    def __call__(self, x):
        self.interp.set_tensor(self.inp, x)
        self.interp.invoke()
        return self.interp.get_tensor(self.out).copy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=15, help="interleaved rounds (median counts)")
    ap.add_argument("--invokes", type=int, default=0,
                    help="invokes per engine per round (0: about 0.2 s of each engine)")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--json", help="also write the figures to this file")
    a = ap.parse_args()
    if a.rounds < 1 or a.invokes < 0:
        ap.error("--rounds must be >= 1 and --invokes >= 0")
    results = []
    print(f"ai-edge-litert {litert_version()}, tpulab {tpulab.__version__}, {os.cpu_count()} CPUs, "
          f"{a.rounds} interleaved rounds, median ms per inference, load average {os.getloadavg()[0]:.1f}")
    header = f"{'model':32} {'thr':>3} {'tpulab':>8} {'LiteRT+XNNPACK':>15} {'LiteRT built-in':>16} {'tpulab/XNNPACK':>15} {'tpulab/built-in':>16}"
    print(header)
    for name in a.models.split(","):
        path = SHARED / "models" / f"{name}.tflite"
        if not path.exists():
            sys.exit(f"!!! {path} not found: set TPULAB_SHARED_DIR !!!")
        for threads in map(int, a.threads.split(",")):
            engines = {
                "tpulab": Tpulab(path, threads),
                "xnnpack": LiteRT(path, threads, Resolver.AUTO),
                "builtin": LiteRT(path, threads, Resolver.BUILTIN_WITHOUT_DEFAULT_DELEGATES),
            }
            d = tpulab.load(path).inputs[0]
            x = np.random.default_rng(12345).integers(0, 256, size=d.shape, dtype=np.uint8).astype(d.dtype)
            # Same bytes as LiteRT's built-in kernels? (not always: docs/python.md, exactness)
            same = engines["tpulab"](x).tobytes() == engines["builtin"](x).tobytes()
            n = {k: a.invokes for k in engines} if a.invokes else calibrate(engines, x)
            times = {k: [] for k in engines}
            for _ in range(a.rounds):
                for k, run in engines.items():
                    run(x)  # untimed: brings this engine's weights and buffers back into cache
                    t0 = time.perf_counter()
                    for _ in range(n[k]):
                        run(x)
                    times[k].append((time.perf_counter() - t0) * 1000 / n[k])
            med = {k: statistics.median(v) for k, v in times.items()}
            row = dict(model=name, threads=threads, invokes_per_round=n, rounds=a.rounds,
                       tpulab_ms=med["tpulab"], litert_xnnpack_ms=med["xnnpack"], litert_builtin_ms=med["builtin"],
                       ratio_vs_xnnpack=med["tpulab"] / med["xnnpack"], ratio_vs_builtin=med["tpulab"] / med["builtin"],
                       same_bytes_as_builtin=same, loadavg=os.getloadavg()[0])
            results.append(row)
            print(f"{name:32} {threads:>3} {med['tpulab']:>8.3f} {med['xnnpack']:>15.3f} {med['builtin']:>16.3f} "
                  f"{row['ratio_vs_xnnpack']:>14.2f}x {row['ratio_vs_builtin']:>15.2f}x"
                  f"{'' if same else '  (outputs differ from built-in)'}", flush=True)
    if a.json:
        pathlib.Path(a.json).write_text(json.dumps(results, indent=2) + "\n")


def calibrate(engines, x):
    """Invokes per round for each engine, so that each spends about 0.2 s per round."""
    n = {}
    for k, run in engines.items():
        run(x)  # warm-up
        t0 = time.perf_counter()
        for _ in range(3):
            run(x)
        n[k] = max(1, int(0.2 / ((time.perf_counter() - t0) / 3)))
    return n


def litert_version():
    try:
        from importlib.metadata import version

        return version("ai-edge-litert")
    except Exception:  # noqa: BLE001 - only a label
        return "?"


if __name__ == "__main__":
    main()
