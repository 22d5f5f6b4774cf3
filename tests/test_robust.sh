#!/usr/bin/env bash
# The run folder under stress: a checkpoint from another run is refused, a second process on a
# running folder is refused, a run killed early resumes and its logs then equal an uninterrupted
# run's, a full disk ends with one clear line and a restartable folder, an impossible --out or
# memory estimate is bad input, a verdict that fails exits 3 with every file written, a crafted
# data file exits 2, and a finished training restarts without losing its log-likelihoods.
# Usage: test_robust.sh PATH/TO/nqs PATH/TO/fault_write.so
set -u
NQS=$(realpath "$1")
FAULT=$(realpath "$2")
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/nqs-test-robust-XXXXXX)
trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
pass=0; fail=0
check() { # check NAME CONDITION-STATUS DETAIL
  if [ "$2" -eq 0 ]; then pass=$((pass+1)); echo "ok   $1"; else fail=$((fail+1)); echo "FAIL $1: $3"; fi
}
Q=(--quiet --no-plots)
FAST=(--set optimizer.samples=800 --set evaluation.samples=4000 --set sampler.thermalization=20)
# the logs without their wall-clock columns
logs() { sed -E 's/,"wall_seconds":[^,}]*//' "$1/log.jsonl"; cut -d, -f1-5 "$1/energy.csv"; }

# 1. a checkpoint from another run (N = 6 copied into an N = 2 folder) is refused, naming both
"$NQS" run "${Q[@]}" "${FAST[@]}" --set optimizer.iterations=2 --out "$T/n2" >/dev/null 2>&1
"$NQS" run "$SRC/examples/dot2d_n6.ini" "${Q[@]}" "${FAST[@]}" --set optimizer.iterations=2 --out "$T/n6" >/dev/null 2>&1
cp "$T/n2/log.jsonl" "$T/n2.log"
cp "$T/n6/checkpoint.h5" "$T/n2/checkpoint.h5"
out=$("$NQS" run --restart "$T/n2" "${Q[@]}" --set optimizer.iterations=4 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "does not belong to this run folder" <<<"$out" && grep -q "particles = 6" <<<"$out" &&
  grep -q "particles = 2" <<<"$out" && cmp -s "$T/n2.log" "$T/n2/log.jsonl"
check "a checkpoint of N = 6 in an N = 2 folder refused, the log untouched (exit $rc): $out" $? "$out"

# 2. a second process on a running folder is refused; 3. the run, killed after its first
# (thermalised) checkpoint, resumes, and its logs equal an uninterrupted run's
LONG=(--set output.checkpoint_every=100000000 --set optimizer.samples=2000 --set evaluation.samples=4000)
"$NQS" run "${Q[@]}" "${LONG[@]}" --set optimizer.iterations=100000 --out "$T/killed" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 300); do [ -s "$T/killed/log.jsonl" ] && [ "$(wc -l < "$T/killed/log.jsonl")" -ge 3 ] && break; sleep 0.1; done
out=$("$NQS" run --restart "$T/killed" "${Q[@]}" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "another nqs process (pid $pid) is working in" <<<"$out"
check "a restart of a running folder refused by its lock (exit $rc): $out" $? "$out"
kill -9 $pid; wait $pid 2>/dev/null
n=$(wc -l < "$T/killed/log.jsonl")
printf '{"iteration":99,"energy":{"me' >> "$T/killed/log.jsonl" # a line torn by the kill
"$NQS" run "${Q[@]}" "${LONG[@]}" --set optimizer.iterations=6 --out "$T/straight" >/dev/null 2>&1
out=$("$NQS" run --restart "$T/killed" "${Q[@]}" --set optimizer.iterations=6 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$(logs "$T/killed")" = "$(logs "$T/straight")" ] &&
  [ "$(grep -o '"energy":{[^}]*' "$T/killed/result.json" | head -1)" = "$(grep -o '"energy":{[^}]*' "$T/straight/result.json" | head -1)" ]
check "killed at iteration $n before any periodic checkpoint: --restart from the start checkpoint gives the uninterrupted run's log.jsonl, energy.csv and energy (exit $rc)" $? "$out; $(diff <(logs "$T/killed") <(logs "$T/straight") | head -4)"

# 4. a full disk while writing a checkpoint (the third write fails with ENOSPC): exit 1, one
# clear line, no temporary left, and the previous checkpoint continues to the straight result
CK=(--set output.checkpoint_every=2 --set optimizer.samples=800 --set evaluation.samples=4000)
"$NQS" run "${Q[@]}" "${CK[@]}" --set optimizer.iterations=6 --out "$T/full_ref" >/dev/null 2>&1
out=$(ASAN_OPTIONS=verify_asan_link_order=0 LD_PRELOAD="$FAULT" NQS_FAULT_PATH=checkpoint.h5.tmp NQS_FAULT_AFTER=2 \
      "$NQS" run "${Q[@]}" "${CK[@]}" --set optimizer.iterations=6 --out "$T/full" 2>&1); rc=$?
errors=$(grep -c "^nqs: error:" <<<"$out")
[ $rc -eq 1 ] && [ "$errors" -eq 1 ] && grep -q "No space left on device" <<<"$out" && ! grep -qi "hdf5" <<<"$out" &&
  [ ! -e "$T/full/checkpoint.h5.tmp" ]
check "disk full at the checkpoint of iteration 4: exit $rc, one error line, no HDF5 noise, no temporary: $(grep "^nqs: error" <<<"$out")" $? "$out"
out=$("$NQS" run --restart "$T/full" "${Q[@]}" 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$(logs "$T/full")" = "$(logs "$T/full_ref")" ]
check "the kept checkpoint (iteration 2) continues to the uninterrupted run's logs (exit $rc)" $? "$out"

# 5. impossible output folders and memory are bad input, and nothing is written
touch "$T/afile"
out=$("$NQS" run "${Q[@]}" --out "$T/afile" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "is not a folder" <<<"$out"
check "--out naming a file: exit $rc: $out" $? "$out"
out=$("$NQS" run "${Q[@]}" --set wavefunction.factors=slater,ffnn,pade --set run.memory_limit=4 \
      --set wavefunction.ffnn_layers=4096,4096,4096,4096,4096,4096,4096 --out "$T/huge" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "1.01e+08 parameters needs about" <<<"$out" && [ ! -e "$T/huge" ]
check "ffnn_layers of 7 x 4096 refused with its memory estimate, nothing written (exit $rc): $out" $? "$out"

out=$("$NQS" run "${Q[@]}" --set run.memory_limit=-1 --out "$T/neglimit" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "\[run\] memory_limit" <<<"$out" && grep -q "out of range" <<<"$out"
check "run.memory_limit = -1 refused (exit $rc): $out" $? "$out"

# 6. a result that fails its health check: exit 3, the energy printed, every file written
out=$("$NQS" run "${Q[@]}" --set sampler.method=metropolis --set sampler.step=100 --set sampler.thermalization=0 \
      --set optimizer.iterations=0 --set evaluation.samples=20000 --out "$T/stuck" 2>&1); rc=$?
[ $rc -eq 3 ] && grep -q "^E = " <<<"$out" && grep -q "health check (acceptance): the walkers are stuck" <<<"$out" &&
  grep -q '"status":[[:space:]]*"failed"' "$T/stuck/result.json" && [ -s "$T/stuck/density_radial.csv" ]
check "stuck walkers: exit $rc, verdict failed in result.json, densities written" $? "$out"

# 7. a crafted data file: exit 2, never a crash
head -c 4096 /dev/urandom > "$T/noise.h5"
printf '\211HDF\r\n\032\n' | cat - "$T/noise.h5" > "$T/fake.h5"
for f in noise fake; do
  out=$("$NQS" train-rbm "$SRC/examples/rbm_ising_4x4.ini" --set boltzmann.data="$T/$f.h5" --out "$T/rbm_$f" "${Q[@]}" 2>&1); rc=$?
  [ $rc -eq 2 ] && grep -q "^nqs: error: " <<<"$out" && ! grep -qi "hdf5-diag" <<<"$out"
  check "data file of random bytes ($f.h5): exit $rc: $out" $? "$out"
done

# 8. a finished training restarted keeps its log-likelihoods in result.json
"$NQS" sample-ising --length 3 --temperature 2.5 --samples 2000 --seed 3 --out "$T/is3.csv" >/dev/null 2>&1
"$NQS" train-rbm "$SRC/examples/rbm_ising_4x4.ini" --set boltzmann.data="$T/is3.csv" --set boltzmann.temperature=2.5 \
  --set boltzmann.hidden=4 --set boltzmann.epochs=3 --out "$T/rbm" "${Q[@]}" >/dev/null 2>&1
ll() { grep -o '"log_likelihood_train":[[:space:]]*[0-9.e+-]*' "$1/result.json"; }
before=$(ll "$T/rbm")
out=$("$NQS" train-rbm --restart "$T/rbm" "${Q[@]}" 2>&1); rc=$?
[ $rc -eq 0 ] && [ -n "$before" ] && [ "$(ll "$T/rbm")" = "$before" ]
check "train-rbm --restart of a finished training keeps $before (exit $rc)" $? "$out; now $(ll "$T/rbm")"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
