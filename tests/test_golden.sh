#!/usr/bin/env bash
# Golden numbers: a short fixed-seed run of every example (and of the optimiser, sampler,
# restart and evaluation paths the examples do not reach) must reproduce the recorded energies,
# errors and final parameters to the last bit. The digests were recorded before the engine was
# restructured; a digest that changes on purpose is re-recorded with the reason written below.
#
# Usage: test_golden.sh NQS GOLDEN_DIGEST [--record]
#
# Deliberate changes since the first recording (one engine for particles and lattices):
#   - every lattice case: the evaluation now re-thermalises the chains after the last parameter
#     change, as particle runs always did (the lattice driver sampled straight on). Parameters of
#     the SR runs are unchanged to the last bit; the evaluation energies changed within errors.
#   - heisenberg_square_4x4 (Adam by default), tfim_l12_adam, tfim_l12_complex_adam: the lattice
#     gradient for Adam/SGD is now accumulated per walker like every other model's, which changes
#     the round-off (the optimisation energies agree to 1e-15 at iteration 3).
#   - dot3d_n8_free: steps after which the variance of E_L grew a hundredfold are now undone for
#     every model (only lattices did before); at the exact non-interacting state Adam's normalised
#     step at iteration 3 raised the variance from 1e-15 to 1e-4 and is now rejected.
#   - heisenberg_chain_l40_sym, heisenberg_j1j2_chain_l16, tfim_chain_l12, tfim_l12_complex_sr,
#     tfim_l12_restart: a step is now undone when the energy rises by more than 5 error bars
#     (not 5 standard deviations of E_L); the second SR step from the random start of these
#     short runs raised the energy by 6 to 16 error bars and is undone now (j1j2: -14.58 ->
#     -4.73). dot3d_n8_free: an undone step now also puts the walkers back where they were, and
#     the re-measurement of the old parameters is not judged again.
set -u
NQS=$(realpath "$1")
DIGEST=$(realpath "$2")
RECORD=${3:-}
SRC=$(cd "$(dirname "$0")/.." && pwd)
GOLDEN="$SRC/tests/golden/golden.txt"
T=$(mktemp -d /tmp/nqs-test-golden-XXXXXX)
trap 'rm -rf "$T"' EXIT
# Round-off must not depend on the machine's thread counts or on OpenBLAS's choice of kernel.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=2
grep -q avx2 /proc/cpuinfo 2>/dev/null && export OPENBLAS_CORETYPE=Haswell
SHORT=(--quiet --no-plots --set optimizer.iterations=3 --set optimizer.samples=800 --set evaluation.samples=2000
       --set sampler.thermalization=20 --set output.checkpoint_every=2)
out="$T/digests.txt"
: > "$out"
# case NAME DIGEST-FILE nqs-ARGS...: run nqs, append "NAME: digest" (or the failure) to $out
case_() {
  local name=$1 file=$2; shift 2
  local dir="$T/$name"
  if "$NQS" "$@" > "$T/$name.log" 2>&1; then
    echo "$name: $("$DIGEST" "$dir" "$file" 2>&1)" >> "$out"
  else
    echo "$name: FAILED (exit $?): $(tail -1 "$T/$name.log")" >> "$out"
  fi
}
for f in "$SRC"/examples/*.ini; do
  b=$(basename "$f" .ini)
  case $b in
    rbm_ising_4x4|tomography_tfim_6|regress_*|classify_*) continue ;;
  esac
  case_ "$b" result.json run "$f" "${SHORT[@]}" --out "$T/$b"
done
# paths the examples do not take
case_ dot2d_n2_sgd result.json run "$SRC/examples/dot2d_n2.ini" "${SHORT[@]}" --set optimizer.method=sgd --out "$T/dot2d_n2_sgd"
case_ dot2d_n6_metropolis result.json run "$SRC/examples/dot2d_n6.ini" "${SHORT[@]}" --set sampler.method=metropolis --out "$T/dot2d_n6_metropolis"
case_ tfim_l12_adam result.json run "$SRC/examples/tfim_chain_l12.ini" "${SHORT[@]}" --set optimizer.method=adam --out "$T/tfim_l12_adam"
case_ tfim_l12_complex_sr result.json run "$SRC/examples/tfim_chain_l12.ini" "${SHORT[@]}" --set lattice.weights=complex --out "$T/tfim_l12_complex_sr"
case_ tfim_l12_complex_adam result.json run "$SRC/examples/tfim_chain_l12.ini" "${SHORT[@]}" --set lattice.weights=complex --set optimizer.method=adam --out "$T/tfim_l12_complex_adam"
# a restart continues bit for bit; an evaluation re-samples the stored state
case_ dot2d_n6_restart result.json run "$SRC/examples/dot2d_n6.ini" "${SHORT[@]}" --set optimizer.iterations=2 --out "$T/dot2d_n6_restart"
case_ dot2d_n6_restart result.json run --restart "$T/dot2d_n6_restart" --quiet --no-plots --set optimizer.iterations=4
case_ dot2d_n6_restart evaluate/result.json evaluate "$T/dot2d_n6_restart" --quiet --no-plots --set evaluation.samples=3000
case_ tfim_l12_restart result.json run "$SRC/examples/tfim_chain_l12.ini" "${SHORT[@]}" --set optimizer.iterations=2 --out "$T/tfim_l12_restart"
case_ tfim_l12_restart result.json run --restart "$T/tfim_l12_restart" --quiet --no-plots --set optimizer.iterations=4
case_ tfim_l12_restart evaluate/result.json evaluate "$T/tfim_l12_restart" --quiet --no-plots --set evaluation.samples=3000
# learning from data
"$NQS" sample-ising --length 4 --temperature 2.269185 --samples 2000 --out "$T/ising.csv" > /dev/null 2>&1
case_ rbm_ising_4x4 result.json train-rbm "$SRC/examples/rbm_ising_4x4.ini" --quiet --no-plots --set boltzmann.data="$T/ising.csv" \
      --set boltzmann.epochs=3 --out "$T/rbm_ising_4x4"
case_ tomography_tfim_6 result.json tomography "$SRC/examples/tomography_tfim_6.ini" --quiet --no-plots --set boltzmann.epochs=30 \
      --set boltzmann.measurements=2000 --out "$T/tomography_tfim_6"
case_ regress_franke result.json regress "$SRC/examples/regress_franke.ini" --quiet --no-plots --set regress.complexity=3 \
      --set regress.bootstraps=10 --out "$T/regress_franke"
case_ regress_lasso result.json regress "$SRC/examples/regress_franke.ini" --quiet --no-plots --set regress.model=lasso \
      --set regress.degree=7 --set regress.complexity=0 --set regress.bootstraps=0 --out "$T/regress_lasso"
case_ regress_pmm result.json regress "$SRC/examples/regress_franke.ini" --quiet --no-plots --set regress.model=pmm \
      --set regress.pmm_epochs=50 --set regress.complexity=0 --set regress.bootstraps=0 --out "$T/regress_pmm"
"$NQS" sample-ising --length 6 --temperatures 1.5,2.0,3.0,3.5 --samples 100 --out "$T/phases.csv" > /dev/null 2>&1
case_ classify_ising result.json classify "$SRC/examples/classify_ising.ini" --quiet --no-plots --set classify.data="$T/phases.csv" \
      --set classify.epochs=2 --set classify.exclude=0.3 --set run.threads=2 --out "$T/classify_ising"
"$NQS" run "$SRC/examples/dot2d_n2.ini" "${SHORT[@]}" --set evaluation.dump_samples=256 --out "$T/dump" > /dev/null 2>&1
printf '[gan]\ndata = %s/dump/samples.csv\nepochs = 2\ngenerated = 500\nbatch = 32\n' "$T" > "$T/gan.ini"
case_ gan_dot2 result.json gan "$T/gan.ini" --quiet --no-plots --out "$T/gan_dot2"

if [ "$RECORD" = "--record" ]; then
  cp "$out" "$GOLDEN"
  echo "recorded $(wc -l < "$GOLDEN") digests in $GOLDEN"
  exit 0
fi
pass=0; fail=0
# compare case by case: the k-th digest of a name against the k-th recorded one of that name
pass=0; fail=0
declare -A seen
while IFS= read -r got; do
  name=${got%%:*}
  k=$(( ${seen[$name]:-0} + 1 )); seen[$name]=$k
  want=$(grep -F -- "$name: " "$GOLDEN" | awk -v n="$name" -v k="$k" 'index($0, n ": ") == 1 && ++c == k')
  if [ -z "$want" ]; then fail=$((fail+1)); echo "FAIL $name: no recorded digest (a new case: record it with --record)"
  elif [ "$want" = "$got" ]; then pass=$((pass+1)); echo "ok   $got"
  else fail=$((fail+1)); echo "FAIL $name"; echo "       want ${want#*: }"; echo "       got  ${got#*: }"; fi
done < "$out"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
