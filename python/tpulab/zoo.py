"""The model zoo: quantized graphs with the published layer structure of big networks (seeded
weights), as `tpulab zoo` builds them."""

from __future__ import annotations

from typing import List, Optional

from . import _tpulab
from ._tpulab import Model


def names() -> List[str]:
    """Every zoo model's name, in a stable order."""
    return _tpulab.zoo_names()


def build(name: str, input: Optional[int] = None, width: Optional[float] = None, seed: int = 1) -> Model:
    """Builds zoo model `name` (input: square resolution, width: MobileNet width multiplier,
    seed: weight seed; None = the model's default). UsageError for unknown names or bad values."""
    return _tpulab.zoo_build(name, 0 if input is None else input, 0.0 if width is None else width, seed)


__all__ = ["names", "build"]
