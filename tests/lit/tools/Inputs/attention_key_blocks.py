"""Writes the inputs of attention-key-blocks.mlir to an .npz archive.

usage: attention_key_blocks.py OUT.npz

655 keys make flash blocks [0, 256) and [256, 512) and a tail block [512,
655) of their own, and workgroups own 32 query rows. Each batch puts row
spans (and one padding length) on a boundary that an off-by-one in the
block classification, the tail or the GEMMs' key limits would get wrong: a
begin one past a block's start, an end one short of a block's end, ranges
that are exactly one block and exactly the tail, single keys on either
side of the tail's start, ends 1, 33 and 65 keys into a block and into the
tail, tiles whose rows' ranges leave a gap of a whole block, empty and
out-of-range spans, and lengths of -5, 0, 1, 511, 512, 513, 545 and 656.
"""
import sys

import numpy as np

ROWS, KEYS = 64, 655
BOUNDARIES = [-1, 0, 1, 31, 32, 33, 63, 64, 65, 255, 256, 257, 288, 289,
              320, 321, 511, 512, 513, 544, 545, 576, 577, 600, 654, 655,
              656]


def main():
    rng = np.random.default_rng(2026)
    spans = np.zeros((8, ROWS, 2), dtype=np.int32)
    spans[0] = (257, 655)                # begins one past block 1's start
    spans[1, :16] = (0, 511)             # ends one short of block 1's end
    spans[1, 16:32] = (0, 513)           # 1, 33 and 65 keys into the tail
    spans[1, 32:48] = (0, 545)
    spans[1, 48:] = (0, 577)
    spans[2, 0:8] = (257, 511)           # tile 0: four kinds of rows
    spans[2, 8:16] = (256, 512)
    spans[2, 16:24] = (0, 289)           # 33 keys into block 1
    spans[2, 24:32] = (255, 321)         # 65 keys into block 1
    spans[2, 32:] = rng.choice(BOUNDARIES, size=(32, 2))
    spans[3, :32] = (256, 512)           # exactly block 1: fully visible
    spans[3, 32:] = (512, 655)           # exactly the tail: fully visible
    spans[4] = rng.choice(BOUNDARIES, size=(ROWS, 2))
    spans[5, :32] = (512, 513)           # single keys at the tail's start
    spans[5, 32:] = (511, 512)
    spans[6, :16] = (0, 1)               # gaps between the rows' ranges:
    spans[6, 16:32] = (654, 655)         # block 1 meets no row's range
    spans[6, 32:48] = (0, 10)
    spans[6, 48:] = (600, 610)
    spans[7, :32] = (100, 20)            # empty
    spans[7, 32:] = (-5, 700)            # clamped to every key
    lengths = np.array([511, 512, 1, 0, -5, 656, 513, 545], dtype=np.int32)
    np.savez(sys.argv[1],
             q=rng.uniform(-2, 2, (8, ROWS, 32)).astype(np.float32),
             kv=rng.uniform(-2, 2, (8, KEYS, 32)).astype(np.float32),
             spans=spans, len=lengths)


if __name__ == "__main__":
    main()
