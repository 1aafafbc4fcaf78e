#!/usr/bin/env python3
"""Energy per inference of a model on simulated Edge TPUs, metered like hardware: first a check of
the meter against an emulated PowerSensor3 under a known load, then one measurement per platform.

    python examples/measure_energy.py [MODEL.tflite | zoo:NAME] [--platforms usb3-1x pcie-1x]
                                      [--requests 20]
"""
import argparse

import tpulab


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", default="zoo:mobilenet_v1", help="a .tflite file or zoo:NAME")
    ap.add_argument("--platforms", nargs="+", default=["usb3-1x", "usb2-1x", "pcie-1x"])
    ap.add_argument("--requests", type=int, default=20)
    a = ap.parse_args()

    # The meter: an emulated PowerSensor3 drawing 2 A at 12 V, recorded for 2000 samples.
    with tpulab.power.Emulator(waveform="constant", amps=2.0, volts=12.0) as board:
        trace = tpulab.power.record(board.spec, samples=2000)
        print(f"meter check: {len(trace)} samples on {board.device_path}, "
              f"{trace.summary()['average_watts']:.2f} W (24 W applied)")

    if a.model.startswith("zoo:"):
        model = tpulab.zoo.build(a.model[4:])
    else:
        model = tpulab.load(a.model)
    print(f"\n{model.name}, {a.requests} requests per platform")
    print(f"{'platform':<14} {'mJ/inference':>13} {'predicted':>10} {'net mJ':>9} {'ms':>8} {'peak W':>7}")
    for platform in a.platforms:
        m = tpulab.power.measure(model, platform=platform, requests=a.requests, baseline=0.1)
        print(f"{platform:<14} {m['joules_per_inference'] * 1e3:>13.4f} "
              f"{m['device_model']['joules_per_inference'] * 1e3:>10.4f} "
              f"{m['net_joules_per_inference'] * 1e3:>9.4f} {m['ms_per_inference']:>8.3f} "
              f"{m['peak_watts']:>7.3f}")


if __name__ == "__main__":
    main()
