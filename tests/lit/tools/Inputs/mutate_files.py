"""Feeds the tools damaged files and checks that each one fails cleanly.

usage: mutate_files.py BIN_DIR WORK_DIR ARTIFACT WEIGHTS MODEL COUNT [-D ...]

Starting from valid files, it flips, overwrites, inserts and truncates bytes
(with a fixed seed) of:
  - ARTIFACT, run by kiln-run and checked by kiln-inspect --verify; damage
    outside the unused padding must be noticed by one of them;
  - .npy and .npz inputs of ARTIFACT, run by kiln-run;
  - WEIGHTS (safetensors), loaded by kiln-compile MODEL -D ... --emit=kiln.
Every run must end by itself within the time limit with exit status 0 or 1,
and status 1 must come with an "error:" line on stderr. A signal, a hang or
a silent failure is reported with the case, and the damaged file is kept in
WORK_DIR. Prints one summary line per kind. COUNT cases of each kind.
"""
import json
import os
import random
import struct
import subprocess
import sys
import zipfile

TIMEOUT_S = 60


def check(kind, case, cmd, data, suffix, work, failures):
    """Runs cmd; records a failure (and keeps the file) unless it ends well."""
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S)
        err = r.stderr.decode(errors="replace")
        if r.returncode == 0 or (r.returncode == 1 and "error:" in err):
            return r.returncode
        problem = "exit status %d: %s" % (r.returncode, err[-300:].strip())
    except subprocess.TimeoutExpired:
        problem = "no exit within %d s" % TIMEOUT_S
    kept = os.path.join(work, "failed-%s-%d%s" % (kind, case, suffix))
    with open(kept, "wb") as f:
        f.write(data)
    failures.append("%s case %d (%s): %s" % (kind, case, kept, problem))
    return None


def mutate(rng, data, protect=0):
    """One to three random edits of the bytes (the first `protect` kept)."""
    data = bytearray(data)
    for _ in range(rng.randrange(1, 4)):
        if len(data) <= protect + 1:
            break
        at = rng.randrange(protect, len(data))
        edit = rng.randrange(5)
        if edit == 0:
            data[at] ^= 1 << rng.randrange(8)
        elif edit == 1:
            data[at] = rng.choice([0x00, 0x01, 0x7F, 0x80, 0xFF,
                                   rng.randrange(256)])
        elif edit == 2:
            data = data[:at]
        elif edit == 3:
            data[at:at] = rng.choice([b"\x00", b"\xff\xff\xff\xff", b",", b"(",
                                      b"]", b"999999999999999999999", b"-1"])
        else:
            word = rng.choice([0, 1, 0xFFFFFFFF, rng.randrange(1 << 32)])
            data[at:at + 4] = struct.pack("<I", word)
    return bytes(data)


def npy_bytes(dtype, shape, values):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        dtype, "".join("%d, " % d for d in shape))
    header += " " * ((64 - (len(header) + 11) % 64) % 64) + "\n"
    return (b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) +
            header.encode() + values)


def main():
    bin_dir, work, artifact, weights, model, count = sys.argv[1:7]
    defines = sys.argv[7:]
    count = int(count)
    run = os.path.join(bin_dir, "kiln-run")
    inspect = os.path.join(bin_dir, "kiln-inspect")
    compile_ = os.path.join(bin_dir, "kiln-compile")
    rng = random.Random(20261129)
    failures = []

    info = json.loads(subprocess.run([inspect, "--json", artifact],
                                     check=True, capture_output=True).stdout)
    with open(artifact, "rb") as f:
        good_artifact = f.read()
    # The padding between the FlatBuffer and the data section is read by
    # nothing; damage anywhere else must be noticed by kiln-run (header,
    # metadata, code) or at least by kiln-inspect --verify (weights).
    flatbuffer_end = 128 + struct.unpack_from("<Q", good_artifact, 24)[0]
    data_offset, _, weights_offset = struct.unpack_from("<QQQ", good_artifact,
                                                        32)
    code_end = data_offset + weights_offset
    path = os.path.join(work, "damaged.kbin")
    refused = verified = 0
    for case in range(count):
        # Most edits go to the header, metadata and code, the rest anywhere.
        data = (mutate(rng, good_artifact[:code_end]) +
                good_artifact[code_end:] if rng.random() < 0.8 else
                mutate(rng, good_artifact))
        with open(path, "wb") as f:
            f.write(data)
        ran = check("kbin", case, [run, path], data, ".kbin", work, failures)
        checked = check("kbin-verify", case, [inspect, "--verify", path], data,
                        ".kbin", work, failures)
        refused += ran == 1
        verified += checked == 1
        harmless = len(data) == len(good_artifact) and all(
            flatbuffer_end <= i < data_offset
            for i in range(len(data)) if data[i] != good_artifact[i])
        if ran == 0 and checked == 0 and not harmless:
            kept = os.path.join(work, "failed-unnoticed-%d.kbin" % case)
            with open(kept, "wb") as f:
                f.write(data)
            failures.append("kbin case %d (%s): damage went unnoticed" %
                            (case, kept))
    print("kbin: %d damaged artifacts, %d refused by kiln-run, %d by "
          "kiln-inspect --verify, %d failures" %
          (count, refused, verified,
           sum(f.startswith("kbin") for f in failures)))

    # Inputs as .npy files (one damaged per case) and as one .npz archive.
    sizes = {"f32": 4, "i32": 4, "i64": 8}
    descr = {"f32": "<f4", "i32": "<i4", "i64": "<i8"}
    good_inputs = {}
    for t in info["inputs"]:
        elements = 1
        for d in t["shape"]:
            elements *= d
        good_inputs[t["name"]] = npy_bytes(descr[t["dtype"]], t["shape"],
                                           bytes(elements * sizes[t["dtype"]]))
    before = len(failures)
    for case in range(count):
        victim = rng.choice(sorted(good_inputs))
        args = []
        for name, data in good_inputs.items():
            if name == victim:
                data = mutate(rng, data)
                damaged = data
            file = os.path.join(work, name + ".npy")
            with open(file, "wb") as f:
                f.write(data)
            args += ["--input", "%s=%s" % (name, file)]
        check("npy", case, [run, artifact] + args, damaged, ".npy", work,
              failures)
    npz = os.path.join(work, "inputs.npz")
    for case in range(count):
        with zipfile.ZipFile(npz, "w", rng.choice(
                [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])) as z:
            for name, data in good_inputs.items():
                z.writestr(name + ".npy", data)
        with open(npz, "rb") as f:
            data = mutate(rng, f.read())
        with open(npz, "wb") as f:
            f.write(data)
        check("npz", case, [run, artifact, "--inputs", npz], data, ".npz",
              work, failures)
    print("inputs: %d damaged .npy and %d damaged .npz inputs, %d failures" %
          (count, count, len(failures) - before))

    with open(weights, "rb") as f:
        good_weights = f.read()
    path = os.path.join(work, "damaged.safetensors")
    before = len(failures)
    for case in range(count):
        # Most edits go to the 8-byte length and the JSON header.
        header_end = 8 + struct.unpack("<Q", good_weights[:8])[0]
        data = mutate(rng, good_weights[:header_end]) + good_weights[
            header_end:] if rng.random() < 0.8 else mutate(rng, good_weights)
        with open(path, "wb") as f:
            f.write(data)
        check("safetensors", case,
              [compile_, model, "--weights", path, "--emit=kiln", "-o",
               os.devnull] + defines, data, ".safetensors", work, failures)
    print("weights: %d damaged safetensors files, %d failures" %
          (count, len(failures) - before))

    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
