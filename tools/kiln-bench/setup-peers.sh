#!/usr/bin/env bash
# Installs the peer engines that kiln-bench compares Kiln with into a
# virtual environment of their own (docs/benchmarks.md). Kiln's build and
# tests never use it. Idempotent: packages already in the environment are
# left alone; the script ends by listing what the environment holds.
#
#   tools/kiln-bench/setup-peers.sh [VENV]
#
# VENV defaults to $BUILD_DIR/peers (BUILD_DIR defaults to build/).
# Environment: PYTHON, the interpreter that creates the environment (default
# python3); TORCH_INDEX_URL, a pip index to take torch from (for instance
# one serving CPU-only wheels); without it torch comes from the default
# index, CUDA libraries included.
set -euo pipefail

case "${1:-}" in
  -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
venv=${1:-$build/peers}
python=${PYTHON:-python3}

if [ ! -x "$venv/bin/python" ]; then
  echo "== creating $venv with $($python --version 2>&1)"
  "$python" -m venv "$venv"
fi
py="$venv/bin/python"

# pip name -> module to import. torch.compile also needs a C++ compiler
# (g++, from the project's own set-up).
declare -A modules=(
  [numpy]=numpy [safetensors]=safetensors [onnx]=onnx
  [onnxruntime]=onnxruntime [torch]=torch
  [iree-base-compiler]=iree.compiler [iree-base-runtime]=iree.runtime)
order=(numpy safetensors onnx onnxruntime torch iree-base-compiler
  iree-base-runtime)

installed=()
for pkg in "${order[@]}"; do
  if "$py" -c "import ${modules[$pkg]}" 2>/dev/null; then
    continue
  fi
  echo "== installing $pkg"
  if [ "$pkg" = torch ] && [ -n "${TORCH_INDEX_URL:-}" ]; then
    "$py" -m pip install -q --index-url "$TORCH_INDEX_URL" torch ||
      "$py" -m pip install -q torch
  else
    "$py" -m pip install -q "$pkg"
  fi
  installed+=("$pkg")
done

if ((${#installed[@]})); then
  echo "== installed: ${installed[*]}"
else
  echo "== nothing to install"
fi
echo "== $venv holds:"
"$py" -m pip list --format=freeze 2>/dev/null |
  grep -iE '^(numpy|safetensors|onnx|onnxruntime|torch|iree-base-compiler|iree-base-runtime)==' |
  sed 's/^/  /'
