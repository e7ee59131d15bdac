#!/usr/bin/python3
"""Writes the .npz fixtures of RunInputsTest with NumPy itself, so that the
tests read exactly what numpy.savez and numpy.savez_compressed produce
(ZIP64 extra fields included). Run with Debian's NumPy:

    /usr/bin/python3 tests/unit/runtime/data/make_npz_fixtures.py
"""
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
x = np.arange(16, dtype=np.float32)
z = np.full(16, 0.5, dtype=np.float32)
np.savez(os.path.join(here, "x_stored.npz"), x=x)
np.savez_compressed(os.path.join(here, "x_deflated.npz"), x=x)
np.savez(os.path.join(here, "x_z_stored.npz"), x=x, z=z)
np.savez_compressed(os.path.join(here, "x_z_deflated.npz"), x=x, z=z)
