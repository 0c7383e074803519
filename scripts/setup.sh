#!/usr/bin/env bash
# Creates .venv beside the project and installs clusterlab into it.
# Usage: scripts/setup.sh [EXTRA ...]     e.g. scripts/setup.sh test
#
# PyTorch goes in first: on a machine without an NVIDIA GPU the CPU build (torch==2.13.0) is
# installed before the package, so that the package's plain `torch>=2.4` requirement is already
# met and pip does not pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip --disable-pip-version-check -q)

if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
        echo "setup: NVIDIA GPU found; the default (CUDA) PyTorch build will be installed"
    else
        echo "setup: no GPU found; installing the CPU build of PyTorch first"
        "${pip[@]}" install "torch==${CLUSTERLAB_TORCH_VERSION:-2.13.0}"
    fi
fi

# The report test renders report.html in a headless browser: Debian's chromium.
if [[ " $* " == *" test "* ]] && ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
        && [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian's chromium for the report test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
        || echo "setup: chromium could not be installed; the browser test will say so"
fi

extras=$(IFS=,; echo "${*:-}")
target="."
[ -n "$extras" ] && target=".[$extras]"
echo "setup: installing clusterlab${extras:+ with extras [$extras]}"
"${pip[@]}" install -e "$target"
