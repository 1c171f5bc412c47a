"""Writes reference.safetensors with the Python `safetensors` library (the reference implementation).

SafeTensorsTests writes the same tensors with Finch's SafeTensorsWriter and requires the two files
to be byte-identical, then reads this file back. Regenerate with:

    pip install safetensors torch
    python3 Tests/TensorTests/Fixtures/make_reference.py

Values are integer formulas or raw bit patterns so the Swift test can rebuild them exactly.
"""
import os

import torch
from safetensors.torch import save_file


def formula(count):
    # ((37 i) mod 101 - 50) / 8: exact in every float format used here.
    return [((37 * i) % 101 - 50) / 8 for i in range(count)]


def bits(values, dtype):
    return torch.tensor(values, dtype=torch.int32).to(torch.int16 if dtype in (torch.float16, torch.bfloat16) else dtype).view(dtype)


tensors = {
    "weights": torch.tensor(formula(6), dtype=torch.float32).reshape(2, 3),
    "double": torch.tensor(formula(4), dtype=torch.float64),
    # 1, -2, 65504 (largest), 2^-24 (smallest subnormal), +inf, -0, a quiet NaN
    "half": bits([0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0x8000 - 0x10000, 0x7E00], torch.float16),
    # 1, -2.5, 3.140625, the smallest subnormal
    "brain": bits([0x3F80, 0xC020 - 0x10000, 0x4049, 0x0001], torch.bfloat16).reshape(2, 2),
    "ids": torch.tensor([-1, 0, 2**40, 7], dtype=torch.int64).reshape(2, 2),
    "positions": torch.tensor([-5, 0, 2**31 - 1], dtype=torch.int32),
    "quantized": torch.tensor([-128, -1, 0, 1, 127, 5, -7], dtype=torch.int8),
    "bytes": torch.tensor([0, 255, 9], dtype=torch.uint8),
    "short": torch.tensor([-32768, 300], dtype=torch.int16),
    "mask": torch.tensor([True, False, False, True]),
    "empty": torch.zeros(0, dtype=torch.float32),
    "scalar": torch.tensor(2.5, dtype=torch.float32),
    "zero_rows": torch.zeros(2, 0, dtype=torch.int64),
    "Zebra": torch.tensor([1.0], dtype=torch.float32),
    'na\u00efve "quoted"\tname': torch.tensor([-0.5], dtype=torch.float32),
}
here = os.path.dirname(os.path.abspath(__file__))
save_file(tensors, os.path.join(here, "reference.safetensors"), metadata={"format": "pt"})
