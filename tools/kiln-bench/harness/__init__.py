"""kiln-bench: Kiln against its peer engines, same model, same machine, one run.

The parent process (`runner`) prepares a case (weights, inputs, Kiln
artifacts), starts one worker process per engine (`worker`), alternates
timed rounds between them and reports medians, ratios and a cross-check of
every engine's outputs against Kiln's. See docs/benchmarks.md.
"""
