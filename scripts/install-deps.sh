#!/usr/bin/env bash
# Install the Debian packages nqs needs to build, test and run — only those missing.
# Called by `make demo`, `make check`, `make bench` (which adds the PyTorch peer: install-deps.sh bench); safe to run again.
set -euo pipefail

# What each package is for (keep docs/install.md "Dependencies" in step with this list):
#   gcc make cmake pkg-config   compiler and build system
#   libopenblas-dev             BLAS/LAPACK: Slater-matrix LU and inverse (dgetrf/dgetrs)
#   liblapacke-dev              C interface to LAPACK
#   libinih-dev                 the INI input-file parser
#   libcjson-dev                JSON writer for log.jsonl and result.json
#   libhdf5-dev                 HDF5 checkpoints (restart, nqs evaluate) and observables.h5
#   gnuplot-nox                 PNG plots of runs and sweeps (nqs plot)
#   libarpack2-dev              ARPACK Lanczos: exact ground states of spin models (nqs exact)
#   libopenmpi-dev openmpi-bin  MPI: mpirun -np K nqs run splits the walkers over K processes
#   python3-numpy python3-h5py      the Python package (python/nqs: numpy arrays, checkpoint.h5)
#   python3-pandas python3-matplotlib  tests that every CSV loads with pandas.read_csv; the Python example's plots
#   python3-sklearn                 test oracle only (make validate: the lasso path against scikit-learn)
#   python3-torch (make bench only)  the PyTorch peer of the classification rows of make bench
PKGS=(gcc make cmake pkg-config libopenblas-dev liblapacke-dev libinih-dev libcjson-dev libhdf5-dev gnuplot-nox libopenmpi-dev openmpi-bin libarpack2-dev python3-numpy python3-h5py python3-pandas python3-matplotlib python3-sklearn)

[ "${1:-}" = bench ] && PKGS+=(python3-torch)

missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing missing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
