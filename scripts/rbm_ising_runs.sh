#!/bin/bash
# The documented 4x4 Ising runs of docs/boltzmann.md: Wolff data at three
# temperatures, then an RBM trained with the exact negative phase, with PCD-10
# and with parallel tempering (about 30 minutes on 2 cores). Usage: scripts/rbm_ising_runs.sh [OUT]  (default runs/rbm_ising)
set -e
cd "$(dirname "$0")/.."
OUT=${1:-runs/rbm_ising}
mkdir -p "$OUT"
NQS=$PWD/build/nqs
for T in 1.5 2.269185 3.5; do
  $NQS sample-ising --length 4 --temperature $T --samples 20000 --out $OUT/ising_4x4_T$T.csv > $OUT/sample_T$T.txt 2>&1
  $NQS train-rbm examples/rbm_ising_4x4.ini --set boltzmann.data=$OUT/ising_4x4_T$T.csv --set boltzmann.temperature=$T --out $OUT/exact_T$T --quiet > $OUT/exact_T$T.txt 2>&1 &
  $NQS train-rbm examples/rbm_ising_4x4.ini --set boltzmann.data=$OUT/ising_4x4_T$T.csv --set boltzmann.temperature=$T --set boltzmann.method=pcd --set boltzmann.k=10 --set boltzmann.chains=1000 --set boltzmann.batch=100 --set boltzmann.learning_rate=0.001 --set boltzmann.epochs=100 --out $OUT/pcd_T$T --quiet > $OUT/pcd_T$T.txt 2>&1
  wait
  $NQS train-rbm examples/rbm_ising_4x4.ini --set boltzmann.data=$OUT/ising_4x4_T$T.csv --set boltzmann.temperature=$T --set boltzmann.method=pt --set boltzmann.k=1 --set boltzmann.chains=100 --set boltzmann.replicas=10 --set boltzmann.batch=100 --set boltzmann.learning_rate=0.003 --set boltzmann.decay=0.05 --set boltzmann.epochs=100 --out $OUT/ptd_T$T --quiet > $OUT/ptd_T$T.txt 2>&1
  echo "T=$T done $(date +%T)"
done
gnuplot -e "dir='$OUT'" scripts/rbm_ising_kl.gp
