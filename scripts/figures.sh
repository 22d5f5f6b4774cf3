#!/usr/bin/env bash
# Reproduce the figures of docs/figures.md into docs/figures/.
#   scripts/figures.sh            (30-40 minutes on 2 cores; run folders go to runs/figures/)
# Environment: NQS (default build/nqs), OUT (default runs/figures), THREADS (default 0 = all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
NQS=${NQS:-build/nqs}
OUT=${OUT:-runs/figures}
FIG=docs/figures
T="--set run.threads=${THREADS:-0}"
mkdir -p "$OUT" "$FIG"
free="--set system.interaction=none --set wavefunction.factors=slater --set optimizer.iterations=0"

run() { # run NAME ARGS...: skip a run whose folder already has its result
  local name=$1; shift
  [ -s "$OUT/$name/result.json" ] || "$NQS" run --quiet $T --out "$OUT/$name" "$@"
}

# 1. One-body densities, interacting (best ansatz: Slater x FFNN x Pade) against non-interacting
run n6_w0.1 examples/fig_dot2d_n6_w0.1.ini
run n6_w0.1_free examples/fig_dot2d_n6_w0.1.ini $free --set evaluation.samples=320000
run n30_w1 examples/fig_dot2d_n30.ini
run n30_w1_free examples/fig_dot2d_n30.ini $free

# 2. Energies against omega: N = 2 with Slater x FFNN x Pade, N = 6 and 12 with Slater x Pade
sweep() { # sweep NAME FILE ARGS...
  local name=$1 file=$2; shift 2
  [ -s "$OUT/$name/summary.csv" ] || "$NQS" sweep "$file" --quiet $T --out "$OUT/$name" \
    --param system.omega=1.0,0.5,0.28,0.1 "$@"
}
sweep sweep_n2 examples/dot2d_n2_slater_ffnn_pade.ini --set evaluation.samples=400000
sweep sweep_n6 examples/dot2d_n6.ini
sweep sweep_n12 examples/dot2d_n6.ini --set system.particles=12

# 3. Hard-sphere bosons in the elliptic trap: densities along x and z (about 5 minutes)
for n in 10 50 100; do run hs_n$n examples/bosons3d_hard_sphere_n$n.ini; done

# 4. The figures
for r in n6_w0.1 n6_w0.1_free n30_w1 n30_w1_free; do
  cp "$OUT/$r/density_2d.png" "$FIG/density_2d_$r.png"
done
gnuplot -e "out='$FIG'; runs='$OUT'" scripts/figures.gp
echo "figures in $FIG"
