#!/usr/bin/env python3
"""Writes the seed corpora of every fuzz target except tflite (whose seeds come from tpulab's
writer) into fuzz/corpus/<target>/. Every seed is made here from scratch or from files of this
repo; run it again after changing a format. Standard library only (JPEG through libstb)."""
import ctypes
import ctypes.util
import os
import shutil
import struct
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def reset(target):
    shutil.rmtree(os.path.join(CORPUS, target), ignore_errors=True)


# --- Edge TPU package: the custom options of the tflite seed's edgetpu-custom-op -------------
def fb_table_field(buf, table, index):
    """Absolute position of field `index` of the flatbuffer table at `table`, or None."""
    vtable = table - struct.unpack_from("<i", buf, table)[0]
    vsize = struct.unpack_from("<H", buf, vtable)[0]
    slot = 4 + 2 * index
    if slot >= vsize:
        return None
    off = struct.unpack_from("<H", buf, vtable + slot)[0]
    return table + off if off else None


def fb_deref(buf, pos):
    return pos + struct.unpack_from("<I", buf, pos)[0]


def fb_vector(buf, pos):
    v = fb_deref(buf, pos)
    return v + 4, struct.unpack_from("<I", buf, v)[0]


def edgetpu_options():
    with open(os.path.join(CORPUS, "tflite", "edgetpu_package.tflite"), "rb") as f:
        buf = f.read()
    model = fb_deref(buf, 0)
    subgraphs, _ = fb_vector(buf, fb_table_field(buf, model, 2))  # Model.subgraphs
    sg = fb_deref(buf, subgraphs)
    ops, _ = fb_vector(buf, fb_table_field(buf, sg, 3))  # SubGraph.operators
    op = fb_deref(buf, ops)
    data, n = fb_vector(buf, fb_table_field(buf, op, 5))  # Operator.custom_options
    return buf[data:data + n]


def edgetpu_package():
    reset("edgetpu_package")
    options = edgetpu_options()
    write("edgetpu_package", "parameter_caching.flexbuf", options)
    # Cut in half: the FlexBuffer verifier must refuse it.
    write("edgetpu_package", "truncated.flexbuf", options[: len(options) // 2])


# --- plan.json --------------------------------------------------------------------------------
def plan_json():
    reset("plan_json")
    write("plan_json", "starts.json", '{"starts": [0, 9, 20], "num_ops": 31}\n')
    write("plan_json", "segments.json", '{"segments": [[0, 12], [12, 31]]}\n')
    write("plan_json", "cuts.json",
          '{"model": "mobilenet_v1", "starts": [0, 5], "num_ops": 31, "cuts": '
          '[{"tensors": [{"name": "conv_2", "bytes": 1024}]}], "segments": []}\n')
    write("plan_json", "bad_range.json", '{"segments": [[0, 40], [-1, 3]]}\n')


# --- platform and profile TOML: the repo's built-in files ------------------------------------
def toml():
    reset("platform_toml")
    reset("profile_toml")
    src = os.path.join(ROOT, "src", "device", "platforms")
    for name in sorted(os.listdir(src)):
        if not name.endswith(".toml"):
            continue
        with open(os.path.join(src, name)) as f:
            text = f.read()
        write("profile_toml" if name == "calibrated_profile.toml" else "platform_toml", name, text)


# --- PowerSensor2 and PowerSensor3 streams ----------------------------------------------------
def ps2_packet(sensor, level):
    return bytes([(sensor << 5) | ((level >> 5) & 0x1F), 0xE0 | (level & 0x1F)])


def ps2_config():
    # Per sensor: float volt, float type (V/A), float null level.
    recs = [(12.0, 0.185, 0.0), (5.0, 0.100, 0.1), (3.3, 0.066, 0.0), (0, 0, 0), (0, 0, 0)]
    return b"".join(struct.pack("<fff", *r) for r in recs)


def powersensor2():
    reset("powersensor2")
    stream = b"".join(ps2_packet(s, (100 * i + 37 * s) % 1024) for i in range(20) for s in range(3))
    # First byte: bit 0 expects the stop sequence, the rest sets the read size.
    write("powersensor2", "clean.bin", bytes([0x10]) + stream)
    write("powersensor2", "stop.bin", bytes([0x21]) + stream[:30] + b"\xff\xe0" + stream[30:])
    write("powersensor2", "resync.bin", bytes([0x06]) + stream[:7] + b"\x13" + stream[7:40])
    write("powersensor2", "config.bin", ps2_config() + stream[:20])


def ps3_frame(ts, levels, marker=False):
    out = bytes([0x80 | (7 << 4) | ((ts >> 6) & 0x0F), 0x40 | (ts & 0x3F)])
    for s, level in enumerate(levels):
        mark = 0x40 if s == 0 and marker else 0
        out += bytes([0x80 | (s << 4) | ((level >> 6) & 0x0F), mark | (level & 0x3F)])
    return out


def ps3_config():
    rec = b"INA240".ljust(16, b"\0") + b"pair0".ljust(16, b"\0")
    return rec + struct.pack("<ff", 1.65, 0.05) + b"\x01"


def powersensor3():
    reset("powersensor3")
    frames = [ps3_frame((i * 50) % 1024, [(i * 7 + s * 100) % 1024 for s in range(8)], i == 5)
              for i in range(40)]
    stream = b"".join(frames)
    write("powersensor3", "clean.bin", bytes([0x40]) + stream)
    write("powersensor3", "stop.bin", bytes([0x23]) + stream[:18 * 10] + b"\xff\x3f" + stream[18 * 10:])
    # A dropped byte, a repeated packet and a wrapped timestamp.
    corrupt = stream[:20] + stream[21:60] + stream[58:60] + stream[60:]
    write("powersensor3", "corrupt.bin", bytes([0x08]) + corrupt)
    write("powersensor3", "config.bin", ps3_config() + stream[:36])


# --- traces and timelines (first byte: even = trace reader, odd = timeline reader) ------------
def trace_csv():
    reset("trace_csv")
    csv = ["sample,time_s,marker,device_timestamp,pair0_current_a,pair0_voltage_v,pair0_power_w,"
           "pair0_energy_j,total_power_w,total_energy_j"]
    dump = ["marker time dt_micro device_timestamp current0 voltage0 power0 current1 voltage1 "
            "power1 power_total"]
    energy = 0.0
    for i in range(12):
        t = i * 0.001
        p = 2.0 + 0.1 * i
        energy += p * 0.001
        mark = "A" if i == 4 else ""
        csv.append(f"{i},{t:.6f},{mark},{(i * 50) % 1024},{p / 5:.6g},5,{p:.6g},{energy:.9g},"
                   f"{p:.6g},{energy:.9g}")
        dump.append(f"{mark or 'S'} {t:.6f} {1000 if i else 0} {(i * 50) % 1024} {p / 10:.6g} 5 "
                    f"{p / 2:.6g} {p / 24:.6g} 12 {p / 2:.6g} {p:.6g}")
    dump.insert(6, "M B")
    write("trace_csv", "trace.csv", "0" + "\n".join(csv) + "\n")
    write("trace_csv", "trace_cut_short.csv", "0" + "\n".join(csv)[:-7])
    write("trace_csv", "trace.dump", "0" + "\n".join(dump) + "\n")
    timeline = ("# simulated\ndevice,start_s,duration_s,watts,state\n"
                "tpu0,0,0.002,2.5,infer\ntpu0,0.002,0.001,0.9,idle\nhost,0,0.003,6\n")
    write("trace_csv", "timeline.csv", "1" + timeline)


# --- images behind `run --input` (first byte: odd = 3 channels, even = 1) ---------------------
def bmp(w, h):
    row = (w * 3 + 3) // 4 * 4
    pixels = b"".join(bytes((x * 40 + y * 10 + c * 60) % 256 for x in range(w) for c in range(3))
                      .ljust(row, b"\0") for y in range(h))
    header = struct.pack("<2sIHHI", b"BM", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + pixels


def png(w, h, grey):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    per = 1 if grey else 3
    raw = b"".join(b"\0" + bytes((x * 30 + y * 20 + c * 50) % 256 for x in range(w) for c in range(per))
                   for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0 if grey else 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def jpeg(w, h):
    lib = ctypes.util.find_library("stb")
    if lib is None:
        print("libstb not found: no JPEG seed", file=sys.stderr)
        return None
    stb = ctypes.CDLL(lib)
    pixels = bytes((x * 25 + y * 15 + c * 70) % 256 for y in range(h) for x in range(w) for c in range(3))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "seed.jpg").encode()
        if not stb.stbi_write_jpg(path, w, h, 3, pixels, 80):
            raise RuntimeError("stbi_write_jpg failed")
        with open(path, "rb") as f:
            return f.read()


def image():
    reset("image")
    write("image", "rgb.bmp", b"\x01" + bmp(5, 3))
    write("image", "grey.png", b"\x00" + png(6, 4, True))
    write("image", "rgb.png", b"\x01" + png(3, 3, False))
    j = jpeg(8, 8)
    if j is not None:
        write("image", "rgb.jpg", b"\x01" + j)


if __name__ == "__main__":
    edgetpu_package()
    plan_json()
    toml()
    powersensor2()
    powersensor3()
    trace_csv()
    image()
