#!/usr/bin/env python3
"""Split a zoo model over 1..8 Edge TPUs of the 8-TPU PCIe board and simulate each pipeline;
plot throughput and latency with matplotlib when it is installed.

    python examples/split_and_simulate.py [--model inception_v3] [--strategy optimal] [--plot out.png]
"""
import argparse

import tpulab


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="inception_v3", help="zoo model (tpulab.zoo.names())")
    ap.add_argument("--strategy", default="optimal", choices=["params", "profile", "optimal"])
    ap.add_argument("--platform", default="asus-8x-pcie")
    ap.add_argument("--plot", help="write a PNG here (needs matplotlib)")
    a = ap.parse_args()

    model = tpulab.zoo.build(a.model)
    platform = tpulab.load_platform(a.platform)
    rows = []
    print(f"{a.model} on {platform.name}, {a.strategy} split")
    print(f"{'TPUs':>4} {'inferences/s':>13} {'latency ms':>11} {'mJ/inference':>13}")
    for k in range(1, platform.tpus + 1):
        plan = tpulab.segment(model, k, strategy=a.strategy, platform=platform)
        s = tpulab.simulate(model, platform=platform, plan=plan)
        rows.append((k, s.throughput_ips, s.latency_ms, s.energy_mj))
        print(f"{k:>4} {s.throughput_ips:>13.1f} {s.latency_ms:>11.2f} {s.energy_mj:>13.3f}")
    if a.plot:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib is not installed: no plot")
            return
        fig, ax = plt.subplots()
        ax.plot([r[0] for r in rows], [r[1] for r in rows], marker="o", label="inferences/s")
        ax.set_xlabel("Edge TPUs (pipeline segments)")
        ax.set_ylabel("inferences/s")
        ax2 = ax.twinx()
        ax2.plot([r[0] for r in rows], [r[2] for r in rows], marker="s", color="tab:red", label="latency ms")
        ax2.set_ylabel("latency ms")
        ax.set_title(f"{a.model} on {platform.name}")
        fig.savefig(a.plot, dpi=100)
        print(f"plot: {a.plot}")


if __name__ == "__main__":
    main()
