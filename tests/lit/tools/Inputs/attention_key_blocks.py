"""Writes the inputs of attention-key-blocks.mlir to an .npz archive.

usage: attention_key_blocks.py OUT.npz

335 keys make flash blocks of 67 ([0, 67), [67, 134), ...) and workgroups
own 32 query rows. Each batch puts row spans (and one padding length) on a
boundary that an off-by-one in the block classification or in the GEMMs'
key limits would get wrong: a begin one past a block's start, an end one
short of a block's end, a range that is exactly one block, single keys on
either side of a boundary, ends 1, 33 and 65 keys into a block, tiles
whose rows' ranges leave a gap of blocks, empty and out-of-range spans,
and lengths of -5, 0, 1, 33, 68, 133, 134 and 336.
"""
import sys

import numpy as np

ROWS, KEYS = 64, 335
BOUNDARIES = [-1, 0, 1, 31, 32, 33, 63, 64, 65, 66, 67, 68, 99, 100, 101,
              131, 132, 133, 134, 135, 199, 200, 201, 202, 266, 267, 268,
              269, 300, 334, 335, 336]


def main():
    rng = np.random.default_rng(2026)
    spans = np.zeros((8, ROWS, 2), dtype=np.int32)
    spans[0] = (68, 335)                 # begins one past block 1's start
    spans[1] = (0, 133)                  # ends one short of block 1's end
    spans[2, 0:8] = (68, 133)            # tile 0: four kinds of rows
    spans[2, 8:16] = (67, 134)
    spans[2, 16:24] = (0, 100)           # 33 keys into block 1
    spans[2, 24:32] = (66, 132)          # 65 keys into block 1
    spans[2, 32:] = rng.choice(BOUNDARIES, size=(32, 2))
    spans[3] = (67, 134)                 # exactly block 1: fully visible
    spans[4] = rng.choice(BOUNDARIES, size=(ROWS, 2))
    spans[5, :32] = (134, 135)           # single keys at a boundary
    spans[5, 32:] = (133, 134)
    spans[6, :16] = (0, 1)               # gaps between the rows' ranges:
    spans[6, 16:32] = (334, 335)         # blocks 1-3 meet no row's range
    spans[6, 32:48] = (0, 10)
    spans[6, 48:] = (300, 310)
    spans[7, :32] = (100, 20)            # empty
    spans[7, 32:] = (-5, 400)            # clamped to every key
    lengths = np.array([133, 134, 1, 0, -5, 336, 68, 33], dtype=np.int32)
    np.savez(sys.argv[1],
             q=rng.uniform(-2, 2, (8, ROWS, 32)).astype(np.float32),
             kv=rng.uniform(-2, 2, (8, KEYS, 32)).astype(np.float32),
             spans=spans, len=lengths)


if __name__ == "__main__":
    main()
