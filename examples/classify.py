#!/usr/bin/env python3
"""Classify an image with a quantized TFLite model on tpulab's CPU engine.

    python examples/classify.py MODEL.tflite IMAGE [--labels FILE] [--top 5] [--threads 2]
"""
import argparse

import numpy as np

import tpulab


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("image")
    ap.add_argument("--labels")
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()

    model = tpulab.load(a.model)
    with tpulab.Interpreter(model, threads=a.threads) as interp:
        (scores,) = interp.invoke(interp.load_image(a.image))
    scores = scores.reshape(-1)
    q = model.outputs[0].quantization
    real = (scores.astype(np.float64) - q["zero_point"][0]) * q["scale"][0] if q else scores
    labels = open(a.labels).read().splitlines() if a.labels else []
    # Highest score first, the lower class index first on ties (as `tpulab run`).
    for c in sorted(range(real.size), key=lambda i: (-real[i], i))[: a.top]:
        print(f"{c:5d}  {real[c]:.5f}  {labels[c] if c < len(labels) else ''}")


if __name__ == "__main__":
    main()
