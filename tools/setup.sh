#!/usr/bin/env bash
# Sets Kiln up on a fresh Debian 12 machine and builds it; then runs the
# default model or the whole test suite. Idempotent: packages already there
# are not reinstalled, an existing build directory is reused, and Ninja and
# ccache rebuild only what changed.
#
#   tools/setup.sh run    build, compile the default model and run it
#   tools/setup.sh test   build and run every test through ctest
#   tools/setup.sh build  build only
#
# Environment: BUILD_DIR (default: build), KILN_JOBS (default: all cores).
set -euo pipefail

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
}

mode=${1:-}
case "$mode" in
  run|test|build) ;;
  -h|--help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
jobs=${KILN_JOBS:-$(nproc)}

# Debian packages the build and the tests need (LLVM/MLIR 22 from Debian).
packages=(cmake ninja-build g++ ccache pkg-config
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools lld-22 liblld-22-dev
  libgtest-dev libgmock-dev libtbb-dev libflatbuffers-dev flatbuffers-compiler
  zlib1g-dev libbenchmark-dev clang-format-22 python3
  python3-numpy libopenblas0-pthread)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if [ ! -f "$build/build.ninja" ]; then
  echo "== configuring $build"
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
fi
echo "== building"
cmake --build "$build" -- -j "$jobs"

case "$mode" in
  run)
    # The default model: BLIP-2's Q-Former at full size (B=1), seeded
    # parameters and inputs.
    model=$root/models/qformer.kiln
    echo "== compiling $model"
    start=$(date +%s%N)
    "$build/bin/kiln-compile" "$model" -o "$build/default-model.kbin"
    ms=$((($(date +%s%N) - start) / 1000000))
    printf 'compiled in %d.%d s\n' $((ms / 1000)) $((ms % 1000 / 100))
    echo "== running"
    "$build/bin/kiln-run" "$build/default-model.kbin" --repeat 10
    # With the benchmark peers installed (tools/kiln-bench/setup-peers.sh):
    # the same model under ONNX Runtime, alternating with Kiln.
    if [ -x "$build/peers/bin/python" ]; then
      echo "== the same model under ONNX Runtime (kiln-bench, docs/benchmarks.md)"
      "$root/tools/kiln-bench/kiln-bench" model qformer --engines kiln,onnxruntime \
        --rounds 3 --quiet --build-dir "$build" ||
        echo "kiln-bench failed; see docs/benchmarks.md"
    fi
    ;;
  test)
    cd "$build"
    exec ctest --output-on-failure -j "$jobs"
    ;;
esac
