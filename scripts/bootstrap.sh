#!/usr/bin/env bash
# bootstrap.sh: install every Debian 12 package optimize needs to build, test and
# run its benchmarks. Idempotent: packages already installed are skipped, and
# apt-get runs only when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git clang clang-format libclang-rt-14-dev meson ninja-build
  libcurl4-openssl-dev libcjson-dev
  libpfm4-dev libpapi-dev papi-tools
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo
  libdw-dev libelf-dev
  valgrind linux-perf
  libmicrohttpd-dev libcmocka-dev
  python3 python3-jsonschema python3-yaml libxml2-utils
  slurm-wlm munge
  gnuplot-nox
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  [ "${OPTIMIZE_QUIET:-0}" = 1 ] || echo "bootstrap: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "bootstrap: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "bootstrap: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
