#!/usr/bin/env python3
"""Writes the GGUF quant-type fixtures that Tests/WorkerTests/GGUFQuantTests.swift checks bit for bit.

The reference is the PyPI `gguf` package 0.19.0 (llama.cpp's gguf-py): `gguf.quants.dequantize` for every type
the worker widens, `gguf.quants.quantize` for BF16 and Q8_0, numpy's `astype(float16)` (what gguf-py uses for F16),
and `GGML_QUANT_SIZES` for the block table. Q8_K has no gguf-py dequantizer; its expected output is this script's own
float32 product d * q (ggml's `dequantize_row_q8_K`). Run it without touching any Python environment (numpy only):

    pip download --no-deps gguf==0.19.0 -d /tmp/gguf-0.19.0
    (cd /tmp/gguf-0.19.0 && unzip -q -o gguf-0.19.0-py3-none-any.whl)
    PYTHONPATH=/tmp/gguf-0.19.0 python3 Benchmarks/Reference/make_gguf_quant_fixtures.py

It writes into Tests/Fixtures/gguf-quants (or the directory given as the one argument), deterministically (fixed
seed), one file per type and direction, every number little-endian:

    <TYPE>.dequant.bin   header, then the quantized bytes, then the expected float32 values
    <TYPE>.quant.bin     header, then the float32 inputs, then the expected quantized bytes
    header               b"PZGQ", then uint32 version (1), ggml type id, kind (0 dequant, 1 quant),
                         element count, byte count
    sizes.json           {"<TYPE>": [type id, block size, type size]} for every type in GGML_QUANT_SIZES

Data: random bytes for the quants and the K-quants' packed scales, with the fp16 scales (d, m, dmin) overwritten by
finite values: zero, -0, ±65504, the smallest subnormal and normal, ±1, random ones of either sign; plus blocks whose
quant bytes are all 0x00 or all 0xFF. The plain types get random bit patterns plus zeros, subnormals, infinities and
(signalling) NaNs.
"""
import json
import struct
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType as T
from gguf import quants

assert version("gguf") == "0.19.0", f"expected gguf 0.19.0, found {version('gguf')}"

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "Tests/Fixtures/gguf-quants"
rng = np.random.default_rng(20240531)

# Offsets of the fp16 scale fields in one block, (d-like, m-like): m is a signed min for Q4_1/Q5_1, dmin for K.
SCALE_FIELDS = {
    T.Q4_0: ([0], []), T.Q4_1: ([0], [2]), T.Q5_0: ([0], []), T.Q5_1: ([0], [2]), T.Q8_0: ([0], []),
    T.Q2_K: ([80], [82]), T.Q3_K: ([108], []), T.Q4_K: ([0], [2]), T.Q5_K: ([0], [2]), T.Q6_K: ([208], []),
}
SPECIAL_SCALES = [0.0, -0.0, 65504.0, -65504.0, 2.0**-24, 2.0**-14, 1.0, -1.0]


def write(name, type_id, kind, count, first: bytes, second: bytes):
    byte_count = len(first) if kind == 0 else len(second)
    header = b"PZGQ" + struct.pack("<5I", 1, type_id, kind, count, byte_count)
    (OUT / name).write_bytes(header + first + second)


def scale(i):
    """The i-th block's scale: the special values first, then random ones of either sign."""
    if i < len(SPECIAL_SCALES):
        return SPECIAL_SCALES[i]
    return float(rng.normal(0, 0.05))


def quant_blocks(qtype, n_blocks):
    block_size, type_size = GGML_QUANT_SIZES[qtype]
    data = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    data[n_blocks - 2, :] = 0x00
    data[n_blocks - 1, :] = 0xFF
    if qtype == T.Q8_K:
        ds = np.array([scale(i) for i in range(n_blocks)], dtype=np.float32)
        data[:, 0:4] = ds.view(np.uint8).reshape(n_blocks, 4)
        return data
    d_offsets, m_offsets = SCALE_FIELDS[qtype]
    for b in range(n_blocks):
        # The all-0x00 / all-0xFF blocks get ordinary scales, so their quants are what is tested.
        d = scale(b) if b < n_blocks - 2 else 0.03 * (1 if b % 2 else -1)
        for off in d_offsets:
            data[b, off:off + 2] = np.array([d], dtype=np.float16).view(np.uint8)
        for off in m_offsets:
            m = -abs(float(rng.normal(0, 0.1))) if b % 3 else float(rng.normal(0, 0.1))
            if b == 2:
                m = -65504.0
            data[b, off:off + 2] = np.array([m], dtype=np.float16).view(np.uint8)
    return data


def q8_k_reference(data):
    d = data[:, 0:4].copy().view(np.float32)
    q = data[:, 4:4 + 256].copy().view(np.int8).astype(np.float32)
    return (d * q).astype(np.float32)


def plain_bits(nbits, count, specials):
    dtype = np.uint16 if nbits == 16 else np.uint32
    bits = rng.integers(0, 2**nbits, size=count, dtype=np.uint64).astype(dtype)
    bits[: len(specials)] = specials
    return bits


def dequant_fixtures():
    f16_specials = [0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7C01,
                    0x7E00, 0xFE01, 0x7FFF, 0x3C00, 0xBC00]
    bf16_specials = [0x0000, 0x8000, 0x0001, 0x007F, 0x0080, 0x7F7F, 0x7F80, 0xFF80, 0x7F81, 0x7FC0, 0xFFC1,
                     0x7FFF, 0x3F80, 0xBF80]
    f32_specials = [0x00000000, 0x80000000, 0x00000001, 0x7F800000, 0xFF800000, 0x7F800001, 0x7FC00000, 0xFFFFFFFF]
    plain = {
        T.F32: plain_bits(32, 256, f32_specials).view(np.float32),
        T.F16: plain_bits(16, 512, f16_specials).view(np.float16),
        T.BF16: plain_bits(16, 512, bf16_specials),
    }
    for qtype, values in plain.items():
        raw = values.view(np.uint8)
        out = quants.dequantize(raw, qtype).astype(np.float32, copy=False)
        write(f"{qtype.name}.dequant.bin", qtype.value, 0, values.size, raw.tobytes(), out.tobytes())

    for qtype in [T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K, T.Q8_K]:
        block_size, _ = GGML_QUANT_SIZES[qtype]
        n_blocks = 24 if block_size == 32 else 10
        data = quant_blocks(qtype, n_blocks)
        out = q8_k_reference(data) if qtype == T.Q8_K else quants.dequantize(data.reshape(-1), qtype)
        assert out.dtype == np.float32 and out.size == n_blocks * block_size
        write(f"{qtype.name}.dequant.bin", qtype.value, 0, out.size, data.tobytes(), out.tobytes())


def q8_0_inputs():
    blocks = [rng.normal(0, s, 32) for s in (0.02, 0.5, 3.0, 100.0)]
    blocks.append(np.zeros(32))                                   # all zero: d = 0, id = 0
    pruned = rng.normal(0, 0.1, 32)
    pruned[rng.permutation(32)[:16]] = 0.0                        # half pruned: zeros stay zero
    blocks.append(pruned)
    negzero = rng.normal(0, 1, 32)
    negzero[::4] = -0.0
    blocks.append(negzero)
    blocks.append(np.array([127, 63.5, -63.5, 0.5, -0.5, 1.5, -1.5, 2.5] * 4))  # d = 1: ties round away from zero
    blocks.append(rng.normal(0, 1e-9, 32))                        # d underflows fp16
    blocks.append(rng.normal(0, 1e-5, 32))                        # d subnormal in fp16
    big = rng.normal(0, 1e6, 32)
    big[0] = 1e7                                                  # d = 78740 overflows fp16 to inf
    blocks.append(big)
    blocks.append(np.full(32, -3.25))                             # constant: q = -127 everywhere
    blocks += [rng.normal(0, 1, 32) * np.exp(rng.normal(0, 2, 32)) for _ in range(4)]
    return np.concatenate(blocks).astype(np.float32)


def quant_fixtures():
    x = q8_0_inputs()
    with np.errstate(over="ignore"):
        out = quants.quantize(x, T.Q8_0)
    write("Q8_0.quant.bin", T.Q8_0.value, 1, x.size, x.tobytes(), out.tobytes())

    bits = plain_bits(32, 512, [0x00000000, 0x80000000, 0x3F808000, 0x3F818000, 0x3F80_7FFF, 0x3F80_8001,
                                0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7F800001, 0xFF800001,
                                0x7FC00000, 0x7FFFFFFF, 0xFFFFFFFF, 0x00000001, 0x0000FFFF, 0x00008000])
    x = bits.view(np.float32)
    out = quants.quantize(x, T.BF16)
    write("BF16.quant.bin", T.BF16.value, 1, x.size, x.tobytes(), out.tobytes())

    # F16 (gguf-py's quantize is numpy's astype): finite inputs over fp16's whole range and past it; NaN payloads
    # are not compared (neither side promises them).
    x = (rng.choice([-1.0, 1.0], 512) * np.exp2(rng.uniform(-30, 20, 512))).astype(np.float32)
    x[:10] = [0.0, -0.0, 65504.0, 65519.996, 65520.0, 2.0**-24, 2.0**-25, 2.0**-25 * 1.0000001, 1 + 2.0**-11, np.inf]
    with np.errstate(over="ignore"):
        out = quants.quantize(x, T.F16).view(np.uint8)
    write("F16.quant.bin", T.F16.value, 1, x.size, x.tobytes(), out.tobytes())


def sizes():
    table = {t.name: [t.value, *GGML_QUANT_SIZES[t]] for t in T if t in GGML_QUANT_SIZES}
    rows = [f' "{name}": {json.dumps(row)}' for name, row in table.items()]
    (OUT / "sizes.json").write_text("{\n" + ",\n".join(rows) + "\n}\n")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    dequant_fixtures()
    quant_fixtures()
    sizes()
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(list(OUT.iterdir()))} files, {total} bytes, to {OUT}")
