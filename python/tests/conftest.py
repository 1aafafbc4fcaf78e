"""Shared fixtures: where the shared data, the CLI and the examples are."""

import os
import pathlib
import subprocess
import sys
import warnings

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(os.environ.get("TPULAB_SHARED_DIR", REPO.parent / "shared"))
MODELS = SHARED / "models"
IMAGES = SHARED / "images"


def pytest_report_header(config):
    if not MODELS.is_dir():
        return f"!!! WARNING: shared data not found at {SHARED}: tests that need models are SKIPPED !!!"
    return f"shared data: {SHARED}"


def needs_shared():
    if not MODELS.is_dir():
        warnings.warn(f"shared data not found at {SHARED}")
        pytest.skip(f"!!! shared data not found at {SHARED} !!!")


@pytest.fixture
def models():
    needs_shared()
    return MODELS


@pytest.fixture
def images():
    needs_shared()
    return IMAGES


@pytest.fixture(scope="session")
def cli():
    """Runs the tpulab CLI built next to the extension (TPULAB_CLI overrides)."""
    exe = os.environ.get("TPULAB_CLI")
    if not exe:
        import tpulab

        exe = str(pathlib.Path(tpulab.__file__).resolve().parents[2] / "bin" / "tpulab")
    if not os.access(exe, os.X_OK):
        pytest.fail(f"the tpulab CLI is not built at {exe} (set TPULAB_CLI)")

    # Under ./run pytest-asan the interpreter has the ASan runtime preloaded; the CLI links its
    # own, and two runtimes in one process refuse to start.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}

    def run(*args, check=True):
        r = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, env=env)
        if check and r.returncode != 0:
            raise AssertionError(f"tpulab {' '.join(map(str, args))} failed ({r.returncode}): {r.stderr}")
        return r

    return run


def cpu_models():
    """Every shared model that runs on the CPU (not compiled for the Edge TPU, not a broken file)."""
    if not MODELS.is_dir():
        return []
    return sorted(
        p for p in MODELS.glob("*.tflite") if not p.name.endswith("_edgetpu.tflite")
    )


def pytest_collection_modifyitems(items):
    """Known failures listed by a test module (KNOWN_FAILURES: test id -> reason) become strict
    xfails: reported with their reason, and failing the run once they pass."""
    for item in items:
        known = getattr(item.module, "KNOWN_FAILURES", {})
        if item.name in known:
            item.add_marker(pytest.mark.xfail(reason=known[item.name], strict=True))
