#!/usr/bin/env bash
# CLI: bad input gets a clear message naming file, line, key and what is
# allowed, and exit code 2; --help lists every key; the demo prints the
# final energy line. Usage: test_cli.sh PATH/TO/nqs
set -u
NQS=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/nqs-test-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
check() { # check NAME CONDITION-STATUS DETAIL
  if [ "$2" -eq 0 ]; then pass=$((pass+1)); echo "ok   $1"; else fail=$((fail+1)); echo "FAIL $1: $3"; fi
}
# expect_error NAME EXPECTED-SUBSTRING... -- ARGS
expect_error() {
  local name=$1; shift
  local pats=()
  while [ "$1" != "--" ]; do pats+=("$1"); shift; done
  shift
  local out rc
  out=$("$NQS" "$@" 2>&1 >/dev/null); rc=$?
  local ok=0
  [ $rc -eq 2 ] || ok=1
  for p in "${pats[@]}"; do grep -qF -- "$p" <<<"$out" || ok=1; done
  check "$name (exit $rc): $out" $ok "expected exit 2 and: ${pats[*]}"
}

base() { printf '[system]\ndimensions = 2\nparticles = 2\nomega = 1.0\n\n[optimizer]\niterations = 2\nsamples = 200\n\n[evaluation]\nsamples = 400\n'; }

base | sed 's/^omega = 1.0/omgea = 1.0/' > "$T/typo.ini"
expect_error "typo'd key" "typo.ini:4" "unknown key 'omgea'" "did you mean [system] omega" -- run "$T/typo.ini"

base | sed 's/^particles = 2/particles = two/' > "$T/type.ini"
expect_error "wrong type" "type.ini:3" "[system] particles" "'two' is not an integer" "allowed: an integer" -- run "$T/type.ini"

base | sed 's/^omega = 1.0/omega = -0.5/' > "$T/neg.ini"
expect_error "negative omega" "neg.ini:4" "[system] omega" "out of range" "> 0" -- run "$T/neg.ini"

base | sed 's/^particles = 2/particles = 4/' > "$T/shell.ini"
expect_error "N not a closed shell" "shell.ini:3" "[system] particles" "not a closed shell" "2, 6, 12, 20, 30, 42, 56" -- run "$T/shell.ini"

expect_error "missing file" "$T/nope.ini" "cannot open" -- run "$T/nope.ini"

{ base; printf '[sampelr]\nwalkers = 4\n'; } > "$T/sec.ini"
expect_error "unknown section" "sec.ini:12" "unknown section [sampelr]" "did you mean [sampler]" -- run "$T/sec.ini"

{ base; printf '[system]\nomega = 2\n'; } > "$T/dup.ini"
expect_error "key given twice" "dup.ini:13" "already set on line 4" -- run "$T/dup.ini"

base | sed 's/^dimensions = 2/dimensions = 2\nstatistics = bosons/' > "$T/bos.ini"
expect_error "slater with bosons" "[wavefunction] factors (default)" "needs statistics = fermions" -- run "$T/bos.ini"

base > "$T/good.ini"
expect_error "bad --set value" "--set system.omega" "'abc' is not a finite number" -- run "$T/good.ini" --set system.omega=abc
expect_error "bad --set value (no file)" "--set system.omega=abc" "not a finite number" -- run --set system.omega=abc
expect_error "unknown factor" "[wavefunction] factors" "'rbmx' is not allowed" "gaussian,slater,pade" -- run --set "wavefunction.factors=slater,rbmx"
expect_error "bad ffnn_layers" "--set wavefunction.ffnn_layers" "comma list" -- run --set "wavefunction.factors=slater,ffnn" --set "wavefunction.ffnn_layers=16,x"
expect_error "ffnn coords for fermions" "--set wavefunction.ffnn_input" "not symmetric" -- run --set "wavefunction.factors=slater,ffnn" --set wavefunction.ffnn_input=coords
expect_error "bad sr_solver" "[optimizer] sr_solver" "one of auto,cholesky,minsr" -- run --set optimizer.sr_solver=qr
expect_error "negative diag_shift" "[optimizer] diag_shift" "out of range" -- run --set optimizer.diag_shift=-1
expect_error "bad rbm_psi" "[wavefunction] rbm_psi" "one of sqrtF,F" -- run --set wavefunction.rbm_psi=psi
expect_error "gibbs with slater" "sampler.method" "gibbs samples" -- run --set sampler.method=gibbs
expect_error "bad checkpoint_every" "[output] checkpoint_every" "not an integer" -- run --set output.checkpoint_every=often
expect_error "coulomb in 1D" "[system] interaction" "not integrable" -- run --set system.dimensions=1
expect_error "samples below walkers" "--set optimizer.samples" "fewer than walkers" -- run --set optimizer.samples=3
expect_error "unknown option" "unknown option '--frobnicate'" -- run --frobnicate

# --help lists every key of the option table with its default
help=$("$NQS" run --help); rc=$?
ok=0
for k in dimensions particles statistics omega lambda interaction factors hidden rbm_psi sigma init_std ffnn_layers \
         ffnn_activation ffnn_input alpha beta method step target_acceptance walkers thermalization learning_rate \
         schedule decay diag_shift diag_shift_rel sr_solver max_step iterations samples dir checkpoint_every seed threads; do
  grep -qE "^    $k +default" <<<"$help" || { ok=1; echo "     missing key in --help: $k"; }
done
check "--help lists every key with its default (exit $rc)" $((ok|rc)) "see above"

# the demo prints the energy line beside the exact value and writes the run folder
out=$(cd "$T" && "$NQS" run --quiet --set optimizer.iterations=20 --set evaluation.samples=20000 --out demo); rc=$?
grep -qE '^E = 3\.[0-9]+ ± [0-9.]+ Ha  σ² = [0-9.e+-]+  acc = [0-9.]+  \(exact 3\)$' <<<"$out"
check "demo prints the final line (exit $rc): $out" $(( $? | rc )) "format"
[ -s "$T/demo/result.json" ] && [ -s "$T/demo/log.jsonl" ] && [ -s "$T/demo/config.ini" ]
check "demo writes result.json, log.jsonl, config.ini" $? "missing files"

# the resolved config.ini is a valid input that reproduces the run exactly
out2=$(cd "$T" && "$NQS" run --quiet demo/config.ini --out demo2); rc=$?
[ "$out" = "$out2" ]
check "rerun from config.ini reproduces the energy line bit for bit (exit $rc)" $(( $? | rc )) "$out vs $out2"

# nqs evaluate re-samples the trained state of a finished run into its own sub-folder and
# leaves the run's files as they were
sums=$(cd "$T/demo" && md5sum result.json trace.csv density_radial.csv)
out3=$("$NQS" evaluate "$T/demo" --quiet --set evaluation.samples=5000); rc=$?
grep -qE '^E = 3\.[0-9]+ ± [0-9.]+ Ha ' <<<"$out3" && [ -s "$T/demo/evaluate/result.json" ] && [ -s "$T/demo/evaluate/trace.csv" ] &&
  [ -s "$T/demo/evaluate/density_radial.csv" ] && grep -q '"kind":[[:space:]]*"evaluate"' "$T/demo/evaluate/result.json" &&
  [ "$sums" = "$(cd "$T/demo" && md5sum result.json trace.csv density_radial.csv)" ]
check "nqs evaluate writes DIR/evaluate/ and leaves the run's files alone (exit $rc): $out3" $(( $? | rc )) "see the folder"

# nqs analyze: the demo's stored trace gives back the run's own blocking estimate; a synthetic
# AR(1) trace (phi = 0.8: tau = (1/2)(1 + phi)/(1 - phi) = 4.5, error of the mean
# sqrt(2 tau / n) for unit variance) gives tau and the error within 10 %
out5=$("$NQS" analyze "$T/demo" --no-equilibration --csv "$T/an.csv" --json "$T/an.json" --plot "$T/an.png"); rc=$?
e_run=$(grep -A2 '"energy":' "$T/demo/result.json" | grep '"mean"' | sed 's/.*"mean":[[:space:]]*//; s/,.*//')
e_an=$(awk -F, 'NR == 2 { print $4 }' "$T/an.csv")
awk -v a="$e_run" -v b="$e_an" 'BEGIN { exit !(a == b) }' && [ -s "$T/an.json" ] && [ -s "$T/an.png" ]
check "nqs analyze of the demo reproduces its energy $e_run (got $e_an; exit $rc)" $(( $? | rc )) "$out5"
mkdir -p "$T/ar1"
awk 'BEGIN { srand(7); n = 200000; phi = 0.8; x = 0; print "sweep,energy"
  for (i = 0; i < n; i++) { u = rand(); v = rand(); g = sqrt(-2 * log(1 - u)) * cos(6.283185307179586 * v)
    x = phi * x + sqrt(1 - phi * phi) * g; printf "%d,%.17g\n", i, x } }' > "$T/ar1/trace.csv"
"$NQS" analyze "$T/ar1" --quiet --csv "$T/ar1.csv"; rc=$?
read -r err tau n cut <<<"$(awk -F, 'NR == 2 { print $5, $8, $11, $12 }' "$T/ar1.csv")"
awk -v e="$err" -v t="$tau" -v n="$n" -v c="$cut" 'BEGIN { exact = sqrt(2 * 4.5 / (n - c)); exit !(t > 0.9 * 4.5 && t < 1.1 * 4.5 && e > 0.9 * exact && e < 1.1 * exact) }'
check "nqs analyze of an AR(1) trace: tau $tau (exact 4.5), error $err (exact sqrt(9/n)), $cut cut (exit $rc)" $(( $? | rc )) "outside 10 %"
expect_error "nqs analyze of a folder without a trace" "trace.csv" -- analyze "$T/typo.ini.nothing"
expect_error "nqs analyze of a column that is not there" "no column named 'kinetc'" "kinetic" -- analyze "$T/demo" --column kinetc

# restart continues the run folder; a damaged checkpoint is refused with exit 2
out4=$("$NQS" run --quiet --restart "$T/demo" --set optimizer.iterations=25 --set evaluation.samples=5000); rc=$?
n=$(grep -c '"iteration"' "$T/demo/log.jsonl")
[ $rc -eq 0 ] && [ "$n" -eq 25 ]
check "restart from iteration 20 to 25 appends to log.jsonl ($n lines, exit $rc)" $? "expected 25 lines"
cp -r "$T/demo" "$T/broken"
head -c 3000 "$T/demo/checkpoint.h5" > "$T/broken/checkpoint.h5"
expect_error "truncated checkpoint" "truncated or extended checkpoint" -- run --restart "$T/broken"
expect_error "restart with a file too" "not both" -- run "$T/good.ini" --restart "$T/demo"
expect_error "restart of a folder without checkpoint" "cannot open the checkpoint" -- run --restart "$T"
cp "$T/demo/config.ini" "$T/config.before"
expect_error "walkers changed on restart" "cannot change on restart" -- run --restart "$T/demo" --set sampler.walkers=8
cmp -s "$T/config.before" "$T/demo/config.ini"
check "a refused restart leaves config.ini as it was" $? "config.ini changed"
expect_error "rerun into a finished folder" "holds an earlier run" "--restart" -- run "$T/good.ini" --out "$T/demo"

# an exploding step is rejected, retried with half the learning rate, and logged; five
# iterations at rate 8 end worse than they began, and the verdict says so (exit 3)
(cd "$T" && "$NQS" run --quiet --set optimizer.method=sgd --set optimizer.learning_rate=8 \
    --set optimizer.iterations=5 --set evaluation.samples=2000 --out explode >/dev/null 2>"$T/explode.err"); rc=$?
grep -q '"event":"step_rejected"' "$T/explode/log.jsonl" 2>/dev/null && [ $rc -eq 3 ] &&
  python3 -c "import json,sys; sys.exit(json.load(open(sys.argv[1]))['verdict']['status'] != 'failed')" "$T/explode/result.json" && grep -q "left its best state" "$T/explode.err"
check "exploding step rejected and logged; the worse final state fails the verdict (exit $rc)" $? "$(tail -2 "$T/explode.err")"

# observables: the run folder holds the densities, and result.json the virial check and <r^2>
for f in density_radial.csv pair_density.csv density_grid.csv observables.h5 energy.csv; do
  [ -s "$T/demo/$f" ]; check "run folder has $f" $? "missing"
done
grep -q '"virial"' "$T/demo/result.json" && grep -q '"r2"' "$T/demo/result.json"
check "result.json reports <r^2> and the virial residual" $? "missing keys"

# PNG check by header: signature, then the IHDR width and height (800 x 600)
png_ok() {
  [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] &&
  [ "$(head -c 24 "$1" | tail -c 8 | od -An -tx1 | tr -d ' \n')" = "0000032000000258" ]
}

# nqs sweep: three frequencies for N = 2, a summary, a plot; E grows with omega
out=$("$NQS" sweep "$T/good.ini" --quiet --param system.omega=1.0,0.5,0.28 --set optimizer.iterations=20 \
      --set evaluation.samples=20000 --out "$T/sweep"); rc=$?
[ $rc -eq 0 ] && [ -s "$T/sweep/summary.csv" ] && [ -s "$T/sweep/summary.json" ] && [ "$(wc -l < "$T/sweep/summary.csv")" -eq 4 ]
check "nqs sweep over 3 values writes summary.csv (3 rows) and summary.json (exit $rc)" $? "$out"
awk -F, 'NR > 1 { e[NR] = $2 } END { exit !(e[2] > e[3] && e[3] > e[4]) }' "$T/sweep/summary.csv"
check "sweep energies decrease with omega: $(cut -d, -f1,2 "$T/sweep/summary.csv" | tail -3 | tr '\n' ' ')" $? "not monotonic"
if command -v gnuplot >/dev/null; then
  png_ok "$T/sweep/sweep.png"; check "sweep.png is an 800 x 600 PNG" $? "bad header"
  for f in energy density_radial pair_density density_2d; do
    png_ok "$T/sweep/omega=0.5/$f.png"; check "run plot $f.png is an 800 x 600 PNG" $? "bad header"
  done
  rm -f "$T/demo/"*.png
  "$NQS" plot "$T/demo" 2>/dev/null && png_ok "$T/demo/energy.png"
  check "nqs plot DIR regenerates the figures" $? "no energy.png"
else
  echo "skip PNG checks: gnuplot is not installed (scripts/install-deps.sh installs gnuplot-nox)"
fi
expect_error "sweep with a bad range" "FROM:TO:COUNT" -- sweep "$T/good.ini" --param system.omega=1:2
expect_error "sweep with an impossible value" "sweep point" -- sweep "$T/good.ini" --param system.omega=1,-1

# progress display on a terminal (a pseudo-terminal from script(1)): a redrawn bar with ETA
if command -v script >/dev/null; then
  script -qec "'$NQS' run --no-plots --set optimizer.iterations=30 --set optimizer.samples=20000 --set evaluation.samples=400000 --out '$T/tty'" \
    "$T/tty.txt" >/dev/null 2>&1
  grep -q $'\r' "$T/tty.txt" && grep -q 'optimize \[#' "$T/tty.txt" && grep -q 'ETA' "$T/tty.txt" && grep -q 'evaluate \[' "$T/tty.txt"
  check "progress on a terminal: bar redrawn in place with ETA for optimise and evaluate" $? "$(tail -c 300 "$T/tty.txt")"
  out=$("$NQS" run --set optimizer.iterations=30 --out "$T/notty" 2>&1 >/dev/null)
  ! grep -q $'\r' <<<"$out" && grep -q 'optimize 30/30' <<<"$out"
  check "progress to a pipe: plain lines, no carriage returns" $? "$out"
fi

# nqs exact: lattice spin models by Lanczos
out=$("$NQS" exact "$SRC/examples/tfim_chain_l12.ini" --set lattice.h=0.5 2>&1); rc=$?
grep -q "E0 = -12.762569151" <<<"$out"
check "nqs exact TFIM L=12 h=0.5 (exit $rc): $(head -1 <<<"$out")" $(( $? | rc )) "$out"
expect_error "lattice Heisenberg run with an odd number of sites" "even number of sites" -- run "$SRC/examples/tfim_chain_l12.ini" --set lattice.model=heisenberg --set lattice.length=9 --set lattice.marshall=no
expect_error "Marshall sign rule on a non-bipartite lattice" "bipartite" -- run "$SRC/examples/tfim_chain_l12.ini" --set lattice.model=heisenberg --set lattice.length=9
expect_error "nqs exact on a continuum system" "type = lattice" -- exact "$T/good.ini"
out=$("$NQS" exact "$SRC/examples/heisenberg_ladder.ini" 2>&1); rc=$?
grep -q "E0 = -23.914768629" <<<"$out"
check "nqs exact on the edge-list ladder (exit $rc): $(head -1 <<<"$out")" $(( $? | rc )) "$out"
out=$("$NQS" exact "$SRC/examples/heisenberg_square_4x4.ini" --correlations "$T/c44.csv" 2>&1); rc=$?
grep -q "^1,0,-0.46785346" "$T/c44.csv" 2>/dev/null
check "nqs exact --correlations: 4x4 Heisenberg C(1,0) = E0/96 (exit $rc)" $(( $? | rc )) "$out"
expect_error "missing edge list" "cannot open the edge list" "nonexistent.edges" -- run "$SRC/examples/heisenberg_ladder.ini" --set lattice.edges=nonexistent.edges
printf '0 1\n1 2 abc\n' > "$T/bad.edges"
expect_error "malformed edge list" "bad.edges:2:" "i j J" -- exact "$SRC/examples/heisenberg_ladder.ini" --set lattice.edges="$T/bad.edges"
expect_error "graph = edges without a file" "edges = FILE" -- run "$SRC/examples/tfim_chain_l12.ini" --set lattice.graph=edges
expect_error "translation symmetry on an edge list" "no translations" -- run "$SRC/examples/heisenberg_ladder.ini" --set lattice.symmetry=translation
expect_error "translation symmetry with open boundaries" "open boundaries" -- run "$SRC/examples/tfim_chain_l12.ini" --set lattice.symmetry=translation --set lattice.boundary=open
expect_error "complex weights with the network on spins" "network on spins is real" -- run "$SRC/examples/tfim_chain_l12.ini" --set lattice.ansatz=ffnn --set lattice.weights=complex
expect_error "translation symmetry with the network on spins" "RBM option" -- run "$SRC/examples/tfim_chain_l12.ini" --set lattice.ansatz=ffnn --set lattice.symmetry=translation
expect_error "J2 on a periodic chain of 4" "at least 5" -- run "$SRC/examples/tfim_chain_l12.ini" --set lattice.J2=0.3 --set lattice.length=4

# every input key added for lattices, Boltzmann learning and tomography refuses a bad value
# (wrong choice, type or range) with exit 2 and names itself
for kv in lattice.graph=ring lattice.J2=abc lattice.symmetry=mirror lattice.ansatz=cnn boltzmann.visible=poisson \
          boltzmann.sigma=0 boltzmann.held_out=0.95 boltzmann.hidden=0 boltzmann.method=gibbs boltzmann.k=0 \
          boltzmann.replicas=1 boltzmann.chains=0 boltzmann.batch=0 boltzmann.epochs=0 boltzmann.optimizer=rmsprop \
          boltzmann.learning_rate=0 boltzmann.decay=-1 boltzmann.momentum=1 boltzmann.weight_decay=-1 \
          boltzmann.init_std=-1 boltzmann.target=potts boltzmann.temperature=0 boltzmann.measurements=0 boltzmann.bases=y; do
  expect_error "bad value $kv" "--set ${kv%%=*}" -- train-rbm "$SRC/examples/rbm_ising_4x4.ini" --set "$kv" --out "$T/never"
done
[ ! -e "$T/never" ]
check "no run folder made by the refused values" $? "$T/never exists"

# Boltzmann learning: Ising data -> RBM (exact negative phase) -> samples
out=$("$NQS" sample-ising --length 3 --temperature 2.5 --samples 20000 --seed 3 --out "$T/is3.csv" 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$(wc -l < "$T/is3.csv")" -eq 20001 ] && head -1 "$T/is3.csv" | grep -q "^v0,v1,"
check "sample-ising 3x3 T=2.5: 20000 rows and a header (exit $rc): $(sed -n 2p <<<"$out")" $? "$out"
out=$("$NQS" train-rbm "$SRC/examples/rbm_ising_4x4.ini" --set boltzmann.data="$T/is3.csv" --set boltzmann.temperature=2.5 \
      --set boltzmann.hidden=9 --set boltzmann.epochs=40 --out "$T/rbm3" --quiet --no-plots 2>&1); rc=$?
kl=$(grep -o '"kl":[[:space:]]*[0-9.e+-]*' "$T/rbm3/result.json" 2>/dev/null | head -1 | sed 's/.*:[[:space:]]*//')
awk -v k="${kl:-9}" 'BEGIN { exit !(k < 0.05) }'
check "train-rbm on 3x3 Ising data (exact phase): KL to the Boltzmann distribution ${kl:-?} < 0.05 nats (exit $rc)" $(( $? | rc )) "$out"
out=$("$NQS" sample-rbm "$T/rbm3" --samples 2000 --chains 20 --temperature 2.5 --out "$T/rbm3.csv" 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$(wc -l < "$T/rbm3.csv")" -eq 2001 ] && grep -q "E/n" <<<"$out"
check "sample-rbm: 2000 samples with energy and magnetisation (exit $rc)" $? "$out"
out=$("$NQS" sample-ising --length 3 --temperature 2.5 --samples 2000 --out "$T/is3.h5" 2>&1 && \
      "$NQS" train-rbm "$SRC/examples/rbm_ising_4x4.ini" --set boltzmann.data="$T/is3.h5" --set boltzmann.temperature=2.5 \
      --set boltzmann.hidden=4 --set boltzmann.epochs=2 --out "$T/rbm_h5" --quiet --no-plots 2>&1); rc=$?
grep -q "RBM 9 visible x 4 hidden" <<<"$out"
check "HDF5 data: sample-ising --out x.h5, then train-rbm on it (exit $rc)" $(( $? | rc )) "$out"
pcd="--set boltzmann.data=$T/is3.h5 --set boltzmann.temperature=2.5 --set boltzmann.hidden=4 --set boltzmann.method=pt --set boltzmann.replicas=3 --set boltzmann.batch=100 --set boltzmann.decay=0.2"
"$NQS" train-rbm "$SRC/examples/rbm_ising_4x4.ini" $pcd --set boltzmann.epochs=6 --out "$T/rs_a" --quiet --no-plots >/dev/null 2>&1
"$NQS" train-rbm "$SRC/examples/rbm_ising_4x4.ini" $pcd --set boltzmann.epochs=3 --out "$T/rs_b" --quiet --no-plots >/dev/null 2>&1
out=$("$NQS" train-rbm --restart "$T/rs_b" --set boltzmann.epochs=6 --quiet --no-plots 2>&1); rc=$?
cmp -s "$T/rs_a/rbm.json" "$T/rs_b/rbm.json" && [ "$(cut -d, -f1-7 "$T/rs_a/training.csv")" = "$(cut -d, -f1-7 "$T/rs_b/training.csv")" ]
check "train-rbm (parallel tempering, decaying rate): 6 epochs straight = 3 + --restart + 3, bit for bit (exit $rc)" $(( $? | rc )) "$out"
expect_error "train-rbm restart with other hidden units" "cannot change on restart" -- train-rbm --restart "$T/rs_b" --set boltzmann.hidden=5
# Gaussian-binary RBM on real data: an even mixture of two 4D Gaussians (width 0.5, centres
# +-0.6 (1,-1,1,-1)), made by awk; the RBM's exact log-likelihood of the training rows must come
# within 0.15 nats of the generating density's (measured: 0.06)
awk 'BEGIN { srand(4); print "x0,x1,x2,x3"; pi = 3.141592653589793;
  for (k = 0; k < 8000; k++) { c = rand() < 0.5 ? 0.6 : -0.6; line = "";
    for (i = 0; i < 4; i++) { z = sqrt(-2 * log(1 - rand())) * cos(2 * pi * rand());
      line = line (i ? "," : "") sprintf("%.6f", c * (i % 2 ? -1 : 1) + 0.5 * z) } print line } }' > "$T/gm.csv"
truth=$(awk -F, 'NR > 1 && NR <= 6401 { s = 0; for (k = 0; k < 2; k++) { c = k ? 0.6 : -0.6; q = 0;
  for (i = 1; i <= 4; i++) { m = c * (i % 2 ? 1 : -1); q += ($i - m) ^ 2 / 0.5 } s += 0.5 * exp(-q) / (2 * 3.141592653589793 * 0.25) ^ 2 }
  t += log(s); n++ } END { printf "%.6f", t / n }' "$T/gm.csv")
out=$("$NQS" train-rbm "$SRC/examples/rbm_ising_4x4.ini" --set boltzmann.data="$T/gm.csv" --set boltzmann.visible=gaussian \
      --set boltzmann.sigma=0.5 --set boltzmann.target=none --set boltzmann.method=pcd --set boltzmann.k=10 --set boltzmann.batch=100 \
      --set boltzmann.learning_rate=0.003 --set boltzmann.hidden=4 --set boltzmann.epochs=60 --out "$T/gb" --quiet --no-plots 2>&1); rc=$?
ll=$(grep -o '"log_likelihood_train":[[:space:]]*[0-9.e+-]*' "$T/gb/result.json" 2>/dev/null | sed 's/.*:[[:space:]]*//')
awk -v a="${ll:-nan}" -v b="$truth" 'BEGIN { exit !(a - b < 0.15 && b - a < 0.15) }'
check "Gaussian-binary RBM on a 4D Gaussian mixture: exact log-likelihood ${ll:-?} vs the generating density's $truth (exit $rc)" $(( $? | rc )) "$out"
out=$("$NQS" sample-rbm "$T/gb" --samples 1000 --chains 10 --out "$T/gb_samples.csv" 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$(wc -l < "$T/gb_samples.csv")" -eq 1001 ] && sed -n 2p "$T/gb_samples.csv" | grep -q '\.'
check "sample-rbm of the Gaussian-binary RBM: 1000 real-valued rows (exit $rc)" $? "$out"
expect_error "Gaussian visible units with parallel tempering" "binary units" -- train-rbm "$SRC/examples/rbm_ising_4x4.ini" --set boltzmann.data="$T/gm.csv" --set boltzmann.visible=gaussian --set boltzmann.target=none --set boltzmann.method=pt --out "$T/gb_bad2"
expect_error "Gaussian visible units with the exact phase" "no exact negative phase" -- train-rbm "$SRC/examples/rbm_ising_4x4.ini" --set boltzmann.data="$T/gm.csv" --set boltzmann.visible=gaussian --set boltzmann.target=none --out "$T/gb_bad"
echo "not hdf5" > "$T/fake.h5"
expect_error "train-rbm on a file that is not HDF5" "as HDF5" -- train-rbm "$SRC/examples/rbm_ising_4x4.ini" --set boltzmann.data="$T/fake.h5" --out "$T/rbm_bad5"
expect_error "sample-ising without a temperature" "--temperature" -- sample-ising --out "$T/x.csv"
printf 'v0,v1\n0,1\n1,2\n' > "$T/bad.csv"
expect_error "train-rbm on non-binary data" "bad.csv:3:" "0 or 1" -- train-rbm "$SRC/examples/rbm_ising_4x4.ini" --set boltzmann.data="$T/bad.csv" --out "$T/rbm_bad"
printf '0,1,1\n1,0\n' > "$T/ragged.csv"
expect_error "train-rbm on ragged rows" "ragged.csv:2:" "wrong number of fields" -- train-rbm "$SRC/examples/rbm_ising_4x4.ini" --set boltzmann.data="$T/ragged.csv" --out "$T/rbm_bad2"
expect_error "train-rbm with a missing data file" "cannot open the data file" -- train-rbm "$SRC/examples/rbm_ising_4x4.ini" --set boltzmann.data="$T/none.csv" --out "$T/rbm_bad3"
printf '0,1,1\n1,0,1\n' > "$T/three.csv"
expect_error "train-rbm with target = ising on 3 visible units" "L x L" -- train-rbm "$SRC/examples/rbm_ising_4x4.ini" --set boltzmann.data="$T/three.csv" --out "$T/rbm_bad4"
out=$("$NQS" tomography "$SRC/examples/tomography_tfim_6.ini" --out "$T/tomo" --quiet 2>&1); rc=$?
fid=$(grep -o '"fidelity":[[:space:]]*[0-9.e+-]*' "$T/tomo/result.json" 2>/dev/null | sed 's/.*:[[:space:]]*//')
awk -v f="${fid:-0}" 'BEGIN { exit !(f >= 0.99) }'
check "tomography of the TFIM ring of 6 from Z and X records: fidelity ${fid:-?} >= 0.99 (exit $rc)" $(( $? | rc )) "$out"
expect_error "tomography of a state with signs" "both signs" -- tomography "$SRC/examples/tomography_tfim_6.ini" --set lattice.model=heisenberg --out "$T/tomo_bad"
expect_error "tomography beyond 20 sites" "at most 20" -- tomography "$SRC/examples/tomography_tfim_6.ini" --set lattice.length=21 --out "$T/tomo_bad2"
expect_error "sample-rbm on a folder without rbm.json" "rbm.json" -- sample-rbm "$T" --out "$T/y.csv"
# densities along the axes: non-interacting bosons in an elliptic trap (alpha = 1 samples |Psi|^2
# exactly) against the Gaussian marginals; each axis integrates to N
out=$("$NQS" run --set system.dimensions=3 --set system.particles=4 --set system.statistics=bosons --set wavefunction.factors=gaussian \
  --set wavefunction.alpha=1 --set system.interaction=none --set system.lambda=2 --set optimizer.iterations=0 \
  --set evaluation.samples=40000 --set observables.grid_bins=24 --out "$T/axes" --quiet --no-plots 2>&1); rc=$?
res=$(awk -F, 'NR==2 { lo = $1 } NR > 1 { n++; for (a = 0; a < 3; a++) { r = $(2+3*a); e = $(3+3*a); f = $(4+3*a); s[a] += r;
  if (e > 0 && (r - f)^2 > 16 * e * e) bad++ } }
  END { dx = -2 * lo / (n - 1); ok = bad == 0 && n == 24; for (a = 0; a < 3; a++) ok = ok && (s[a] * dx - 4)^2 < 1e-6;
        printf "%s: N along x, y, z %.6f %.6f %.6f, %d of %d bins beyond 4 sigma\n", ok ? "ok" : "bad", s[0]*dx, s[1]*dx, s[2]*dx, bad, 3*n }' \
  "$T/axes/density_axes.csv" 2>&1)
[[ $res == ok* ]]
check "density_axes.csv of free bosons in an elliptic trap (exit $rc): $res" $(( $? | rc )) "$out"
# one argument parser: --set may stand before the FILE, for every command that reads one
expect_error "--set before FILE reaches train-rbm" "--set boltzmann.hidden" "out of range" -- train-rbm --set boltzmann.hidden=0 "$SRC/examples/rbm_ising_4x4.ini" --out "$T/never2"
expect_error "--set before FILE reaches tomography" "at most 20" -- tomography --set lattice.length=21 "$SRC/examples/tomography_tfim_6.ini" --out "$T/tomo_bad3"
expect_error "--set before FILE reaches exact" "--set lattice.length" -- exact --set lattice.length=0 "$SRC/examples/tfim_chain_l12.ini"
for cmd in run exact train-rbm tomography sweep; do
  expect_error "two input files for $cmd" "takes one FILE or DIR" -- $cmd "$T/good.ini" "$T/good.ini"
  expect_error "an option with no value for $cmd" "needs a value" -- $cmd "$T/good.ini" --set
done
expect_error "a command-specific option elsewhere" "unknown option '--param' of nqs run" -- run --param system.omega=1,2

# one engine: keys a run would ignore are refused; checkpoints name the command that wrote them
expect_error "sampler.method on a lattice" "--set sampler.method" "does not apply to a lattice run" "spin flips" -- run "$SRC/examples/tfim_chain_l12.ini" --set sampler.method=metropolis --out "$T/lat_bad"
expect_error "observables key on a lattice" "--set observables.radial_bins" "does not apply to a lattice run" -- run --set system.type=lattice --set observables.radial_bins=10 --out "$T/lat_bad2"
expect_error "boltzmann key on nqs run" "--set boltzmann.hidden" "does not apply to a continuum run" -- run --set boltzmann.hidden=3 --out "$T/run_bad"
"$NQS" run "$SRC/examples/tfim_chain_l12.ini" --set optimizer.iterations=3 --set optimizer.samples=400 --set evaluation.samples=4000 \
  --set optimizer.sr_solver=minsr --set optimizer.max_step=0.01 --no-plots --out "$T/lat_ok" > /dev/null 2> "$T/lat_ok.err"; rc=$?
grep -q '"minsr":true' "$T/lat_ok/log.jsonl" && grep -q '"step_norm":0.01' "$T/lat_ok/log.jsonl" && grep -q "evaluate" "$T/lat_ok.err"
check "lattice run honours sr_solver = minsr and max_step, and shows an evaluation progress line (exit $rc)" $(( $? | rc )) "$(cat "$T/lat_ok.err")"
expect_error "train-rbm --restart of a VMC run" "written by nqs run" "kind 'vmc'" -- train-rbm --restart "$T/lat_ok"
"$NQS" sample-ising --length 4 --temperature 2.269185 --samples 500 --out "$T/kind_ising.csv" > /dev/null 2>&1
"$NQS" train-rbm "$SRC/examples/rbm_ising_4x4.ini" --set boltzmann.data="$T/kind_ising.csv" --set boltzmann.epochs=2 --quiet --no-plots --out "$T/rbm_kind" > /dev/null 2>&1
expect_error "nqs run --restart of a train-rbm folder" "written by nqs train-rbm" -- run --restart "$T/rbm_kind"
expect_error "negative core_radius" "--set system.core_radius" "out of range" -- run --set system.interaction=hard_sphere --set system.core_radius=-0.1 --out "$T/hs_bad"
expect_error "zero gaussian_r0" "--set system.gaussian_r0" "out of range" "> 0" -- run --set system.interaction=gaussian --set system.gaussian_r0=0 --out "$T/g_bad"
expect_error "non-finite gaussian_v0" "--set system.gaussian_v0" "not a finite number" -- run --set system.interaction=gaussian --set system.gaussian_v0=inf --out "$T/g_bad2"
expect_error "a potential's key with another interaction" "--set system.core_radius" "belongs to system.interaction = hard_sphere" -- run --set system.core_radius=0.1 --out "$T/pk_bad"
expect_error "an update rule's key with another rule" "--set optimizer.sr_solver" "belongs to optimizer.method = sr" -- run --set optimizer.sr_solver=minsr --out "$T/sr_bad"
# input edges: a folder, an empty file, a NUL byte, hex and non-finite spellings, empty list elements
expect_error "a folder as the input" "is not a regular file" -- run "$T"
: > "$T/empty.ini"
expect_error "an empty input file" "the input file is empty" -- run "$T/empty.ini"
printf '[system]\nomega = 1.0\000\nparticles = 6\n' > "$T/nul.ini"
expect_error "a NUL byte in the input" "nul.ini:2" "NUL byte" -- run "$T/nul.ini"
expect_error "a hexadecimal number" "--set system.omega" "write it in decimal" -- run --set system.omega=0x10
expect_error "inf as a number" "--set system.omega" "write it in decimal" -- run --set system.omega=inf
expect_error "an empty list element" "--set wavefunction.factors" "empty element" -- run --set "wavefunction.factors=slater,,pade"
expect_error "unknown interaction" "[system] interaction" "one of coulomb,none,hard_sphere,gaussian" -- run --set system.interaction=yukawa --out "$T/i_bad"
expect_error "hardcore without hard spheres" "--set wavefunction.factors" "interaction = hard_sphere" -- run --set system.statistics=bosons --set wavefunction.factors=gaussian,hardcore --set system.interaction=none --out "$T/hc_bad"
expect_error "hardcore for fermions" "--set wavefunction.factors" "statistics = bosons" -- run --set wavefunction.factors=slater,hardcore --set system.interaction=hard_sphere --out "$T/hc_bad2"
# backflow: input errors, and the warm start from a Slater x FFNN x Pade folder
expect_error "slater and backflow together" "--set wavefunction.factors" "more than one antisymmetric factor" -- run --set "wavefunction.factors=slater,backflow" --out "$T/bf_bad"
expect_error "bad backflow_layers" "--set wavefunction.backflow_layers" "comma list" -- run --set "wavefunction.factors=backflow,pade" --set "wavefunction.backflow_layers=8,,8" --out "$T/bf_bad2"
expect_error "bad backflow_orbitals" "--set wavefunction.backflow_orbitals" "give none, or a comma list" -- run --set "wavefunction.factors=backflow,pade" --set "wavefunction.backflow_orbitals=16,x" --out "$T/bf_bad3"
expect_error "several determinants without g" "--set wavefunction.determinants" "needs generalised orbitals" -- run --set "wavefunction.factors=backflow,pade" --set wavefunction.determinants=2 --out "$T/bf_bad4"
expect_error "too many determinants" "--set wavefunction.determinants" "an integer from 1 to 16" -- run --set "wavefunction.factors=backflow,pade" --set wavefunction.backflow_orbitals=8 --set wavefunction.determinants=17 --out "$T/bf_bad5"
# nuclei: input errors
expect_error "three protons" "--set nucleus.protons" "from 0 to 2" -- run --set system.type=nucleus --set nucleus.nucleons=4 --set nucleus.protons=3 --out "$T/nuc_bad"
expect_error "five nucleons" "--set nucleus.nucleons" "from 2 to 4" -- run --set system.type=nucleus --set nucleus.nucleons=5 --out "$T/nuc_bad2"
expect_error "own C1 with a published cutoff" "[nucleus] cutoff" "set cutoff = custom" -- run --set system.type=nucleus --set nucleus.C1=-400 --out "$T/nuc_bad3"
expect_error "a trap key on a nucleus" "--set system.omega" "does not apply" -- run --set system.type=nucleus --set system.omega=2 --out "$T/nuc_bad4"
expect_error "nqs exact on 4He" "nucleons = 2, protons = 1" -- exact "$SRC/examples/nucleus_4he.ini"
expect_error "bad jastrow_layers" "--set nucleus.jastrow_layers" "give a comma list" -- run --set system.type=nucleus --set nucleus.jastrow_layers=none --out "$T/nuc_bad6"
expect_error "bad spin_layers" "--set nucleus.spin_layers" "give none, or a comma list" -- run --set system.type=nucleus --set nucleus.spin_layers=0 --out "$T/nuc_bad7"
expect_error "a confinement of zero" "--set nucleus.confine_a" "> 0" -- run --set system.type=nucleus --set nucleus.confine_a=0 --out "$T/nuc_bad8"
expect_error "bad triplet_layers" "--set nucleus.triplet_layers" "comma list" -- run --set system.type=nucleus --set nucleus.triplet_layers=8,,8 --out "$T/nuc_bad5"
expect_error "bad context" "--set nucleus.context" "one of yes,no" -- run --set system.type=nucleus --set nucleus.context=maybe --out "$T/nuc_bad9"
expect_error "init_from a missing folder" "--set run.init_from" "init_from" -- run --set run.init_from="$T/nowhere" --out "$T/warm_bad"
wb() { printf 'seed = 3
[system]
particles = 6
[wavefunction]
factors = %s
ffnn_layers = 4
[sampler]
walkers = 8
thermalization = 20
[optimizer]
iterations = %s
samples = 400
[evaluation]
samples = 4000
' "$1" "$2"; }
wb "slater, ffnn, pade" 3 > "$T/warm_src.ini"
"$NQS" run "$T/warm_src.ini" --quiet --no-plots --out "$T/warm_src" > /dev/null 2>&1
expect_error "init_from a run of another system" "init_from" "another system" "[system] particles" -- run "$T/warm_src.ini" --set system.particles=2 --set run.init_from="$T/warm_src" --out "$T/warm_bad2"
# the same evaluation (iterations = 0) from the trained parameters: with slater, and with backflow (eta = 0)
wb "slater, ffnn, pade" 0 > "$T/warm_a.ini"
wb "backflow, ffnn, pade" 0 > "$T/warm_b.ini"
"$NQS" run "$T/warm_a.ini" --set run.init_from="$T/warm_src" --quiet --no-plots --out "$T/warm_a" > /dev/null 2>&1; ra=$?
"$NQS" run "$T/warm_b.ini" --set run.init_from="$T/warm_src" --quiet --no-plots --out "$T/warm_b" > /dev/null 2>&1; rb=$?
ea=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.12g %.12g" % (r["energy"]["mean"], r["energy"]["error"]))' "$T/warm_a/result.json" 2>/dev/null)
eb=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.12g %.12g" % (r["energy"]["mean"], r["energy"]["error"]))' "$T/warm_b/result.json" 2>/dev/null)
es=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.12g" % r["energy"]["mean"])' "$T/warm_src/result.json" 2>/dev/null)
[ $ra -eq 0 ] && [ $rb -eq 0 ] && [ -n "$ea" ] && [ "$ea" = "$eb" ]
check "init_from: a backflow state (eta = 0) from a trained slater, ffnn, pade folder samples what slater does: $ea = $eb (trained run: $es)" $? "exit $ra/$rb"
wm=$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); print(a["warm_start"]["parameters"], a["parameter_count"], b["warm_start"]["parameters"], b["parameter_count"])' "$T/warm_a/result.json" "$T/warm_b/result.json" 2>/dev/null)
read -r wa na wbm nb <<<"$wm"
[ -n "$wm" ] && [ "$wa" = "$na" ] && [ "$wbm" = "$na" ] && [ "$nb" -gt "$na" ]
check "init_from: result.json says how many parameters came from the folder (slater: $wa of $na; backflow: $wbm of $nb)" $? "$wm"
# nqs regress: the example end to end; bias^2 + variance = the bootstrap MSE at every degree; bad input
out=$("$NQS" regress "$SRC/examples/regress_franke.ini" --set regress.complexity=4 --set regress.bootstraps=20 --no-plots --out "$T/reg" 2>&1); rc=$?
res=$(python3 -c '
import csv, json, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/complexity.csv")))
worst = max(abs(float(r["bootstrap_mse"]) - float(r["bias2"]) - float(r["variance"])) for r in rows)
j = json.load(open(d + "/result.json"))
c = {x["name"]: x for x in j["coefficients"]}
ok = len(rows) == 4 and worst < 1e-9 * float(rows[0]["bootstrap_mse"]) and j["features"] == 20 and "x^2*y" in c and c["x"]["ci95_low"] < c["x"]["value"] < c["x"]["ci95_high"]
print("ok" if ok else "bad", worst, j["test_mse"], j["cross_validation"]["mse"])' "$T/reg" 2>&1)
[[ $res == ok* ]]
check "regress of the Franke example: 20 features with 95 % intervals, bias^2 + variance = bootstrap MSE (exit $rc): $res" $(( $? | rc )) "$out"
"$NQS" regress --set regress.model=lasso --set regress.degree=6 --set regress.points=12 --set regress.bootstraps=0 --no-plots --quiet --out "$T/reg_lasso" > /dev/null 2>&1; rc=$?
nz=$(python3 -c 'import csv,sys; r=list(csv.DictReader(open(sys.argv[1]))); print(r[0]["nonzero"], r[-1]["nonzero"], len(r))' "$T/reg_lasso/path.csv" 2>&1)
[ $rc -eq 0 ] && [ "${nz%% *}" = 0 ]
check "regress with the lasso: a path of 30 penalties from alpha_max (no coefficient) down (nonzero first, last, count: $nz; exit $rc)" $? "$nz"
printf 'a,b,t\n1,2,3\n2,1,4\n3,5,1\n4,4,4\n5,0,2\n6,1,1\n7,3,3\n8,2,5\n9,9,9\n10,4,0\n' > "$T/tiny.csv"
printf '[regress]\ndata = tiny.csv\ninputs = a, c\ntarget = t\n' > "$T/reg_col.ini"
expect_error "regress: an input column that is not there" "reg_col.ini:3" "[regress] inputs" "no column named 'c'" -- regress "$T/reg_col.ini" --out "$T/reg_bad"
expect_error "regress: an input that is the target" "--set regress.inputs" "is the target" -- regress "$T/reg_col.ini" --set regress.inputs=a,t --out "$T/reg_bad2"
expect_error "regress: a malformed penalty list" "--set regress.lambdas" "not a penalty" -- regress --set regress.model=ridge --set regress.lambdas=1e-3,x --out "$T/reg_bad3"
expect_error "regress: a run key" "--set optimizer.iterations" "does not apply to nqs regress" -- regress --set optimizer.iterations=3 --out "$T/reg_bad4"
expect_error "regress: a data file that is not there" "--set regress.data" "cannot open the data file" -- regress --set regress.data="$T/nothere.csv" --out "$T/reg_bad8"
expect_error "regress: a target column that is not there" "--set regress.target" "no column named 'energy'" -- regress "$T/reg_col.ini" --set regress.target=energy --out "$T/reg_bad9"
expect_error "regress: a penalty grid with COUNT 0" "--set regress.lambdas" "COUNT in 1..1000" -- regress --set regress.model=lasso --set regress.lambdas=1e-3:1:0 --out "$T/reg_bad10"
expect_error "regress: too many folds" "[regress] test_fraction" "too few for 9 folds" -- regress "$T/reg_col.ini" --set regress.inputs=a,b --set regress.folds=9 --out "$T/reg_bad5"
"$NQS" regress --set regress.model=pmm --set regress.pmm_size=3 --set regress.pmm_epochs=300 --set regress.points=10 --no-plots --quiet --out "$T/reg_pmm" > "$T/reg_pmm.out" 2>&1; rc=$?
res=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["pmm"]["parameters"], j["test_r2"])' "$T/reg_pmm/result.json" 2>&1)
[ $rc -eq 0 ] && [ "${res%% *}" = 26 ]
check "regress with a 3x3 PMM of (x, y): 26 parameters, trained (parameters, test R2: $res; exit $rc)" $? "$(cat "$T/reg_pmm.out")"
expect_error "regress: a PMM is not scanned over degrees" "--set regress.complexity" "no polynomial degree" -- regress --set regress.model=pmm --set regress.complexity=3 --out "$T/reg_bad6"
expect_error "regress: a PMM needs a gap below the rest" "--set regress.pmm_eigenvectors" "1 <= r < n" -- regress --set regress.model=pmm --set regress.pmm_size=2 --set regress.pmm_eigenvectors=2 --out "$T/reg_bad7"
"$NQS" regress "$T/reg_col.ini" --set regress.inputs=a,1 --set regress.degree=1 --set regress.test_fraction=0 --set regress.folds=2 --set regress.bootstraps=0 --no-plots --quiet --out "$T/reg_tiny" > /dev/null 2>&1
check "regress: columns by header name and by index from a CSV file (exit $?)" $? ""
# nqs classify: well-separated Ising phases (T = 1.5 against 3.5, L = 10) are told apart
"$NQS" sample-ising --length 10 --temperatures 1.5,3.5 --samples 400 --out "$T/sep.csv" > /dev/null 2>&1
printf '[classify]\ndata = sep.csv\nepochs = 4\n' > "$T/sep.ini"
out=$("$NQS" classify "$T/sep.ini" --no-plots --quiet --out "$T/sep" 2>&1); rc=$?
acc=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["test_accuracy"])' "$T/sep/result.json" 2>&1)
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 0.99 else 1)' "$acc" 2>/dev/null
check "classify T = 1.5 against 3.5 on 10 x 10 (CNN, 4 epochs): test accuracy $acc >= 0.99 (exit $rc)" $(( $? | rc )) "$out"
"$NQS" classify "$T/sep.ini" --no-plots --quiet --set classify.epochs=4 --set classify.patience=9 --out "$T/cl_full" > /dev/null 2>&1
"$NQS" classify "$T/sep.ini" --no-plots --quiet --set classify.epochs=2 --set classify.patience=9 --out "$T/cl_cut" > /dev/null 2>&1
"$NQS" classify --restart "$T/cl_cut" --set classify.epochs=4 --no-plots --quiet > /dev/null 2>&1; rc=$?
a=$(grep -o '"test_loss":[^,]*' "$T/cl_full/result.json"); b=$(grep -o '"test_loss":[^,]*' "$T/cl_cut/result.json")
[ $rc -eq 0 ] && [ -n "$a" ] && [ "$a" = "$b" ] && cmp -s <(cut -d, -f1-5 "$T/cl_full/learning_curve.csv") <(cut -d, -f1-5 "$T/cl_cut/learning_curve.csv")
check "classify: 2 epochs, then --restart to 4, equals 4 epochs bit for bit (test loss, learning curve; exit $rc)" $? "$a / $b"
# the gradient is summed in fixed chunks: one thread and three give the same network to the last bit
for th in 1 3; do
  "$NQS" classify "$T/sep.ini" --no-plots --quiet --set classify.epochs=2 --set run.threads=$th --out "$T/cl_t$th" > /dev/null 2>&1
done
a=$(grep -o '"test_loss":[^,]*' "$T/cl_t1/result.json"); b=$(grep -o '"test_loss":[^,]*' "$T/cl_t3/result.json")
[ -n "$a" ] && [ "$a" = "$b" ] && cmp -s <(cut -d, -f1-5 "$T/cl_t1/learning_curve.csv") <(cut -d, -f1-5 "$T/cl_t3/learning_curve.csv")
check "classify with 1 and 3 threads: the same test loss and learning curve to the last bit ($a)" $? "$a / $b"
expect_error "classify --restart with another network" "sizes cannot change on restart" -- classify --restart "$T/cl_cut" --set classify.network=dense3
expect_error "nqs run --restart of a classify folder" "written by nqs classify" -- run --restart "$T/cl_cut"
expect_error "classify: a network layer that does not exist" "--set classify.network" "unknown layer 'conv'" -- classify "$T/sep.ini" --set classify.network=conv --out "$T/cl_bad"
expect_error "classify: a lattice that does not fit the data" "--set classify.lattice" "100 features" -- classify "$T/sep.ini" --set classify.lattice=9 --out "$T/cl_bad2"
expect_error "classify: no data file" "[classify] data" "no data" -- classify "$T/sep.ini" --set classify.data= --out "$T/cl_bad4"
expect_error "classify: a temperature column named but not there" "--set classify.temperature" "no column named 'beta'" -- classify "$T/sep.ini" --set classify.temperature=beta --out "$T/cl_bad5"
expect_error "classify: a label column that is not there" "--set classify.label" "no column named 'phase'" -- classify "$T/sep.ini" --set classify.label=phase --out "$T/cl_bad3"
# nqs gan: samples of a quantum dot from nqs run (evaluation.dump_samples), a short training, the physics comparison
"$NQS" run "$SRC/examples/dot2d_n6.ini" --set optimizer.iterations=5 --set evaluation.samples=4000 --set evaluation.dump_samples=640 \
  --no-plots --quiet --out "$T/dump" > /dev/null 2>&1; rc=$?
rows=$(($(wc -l < "$T/dump/samples.csv") - 1)); cols=$(head -1 "$T/dump/samples.csv" | tr ',' '\n' | wc -l)
[ $rc -eq 0 ] && [ "$rows" -ge 640 ] && [ "$cols" -eq 12 ]
check "nqs run writes evaluation.dump_samples configurations to samples.csv ($rows rows of $cols coordinates; exit $rc)" $? ""
printf '[gan]\ndata = %s/dump/samples.csv\nepochs = 3\ngenerated = 1000\n' "$T" > "$T/gan.ini"
out=$("$NQS" gan "$T/gan.ini" --no-plots --quiet --out "$T/gan" 2>&1); rc=$?
res=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); r=j["r2_per_particle"]; print(j["particles"], r["data"], r["generated"], j["density_l1"]["onebody"])' "$T/gan/result.json" 2>&1)
[ $rc -eq 0 ] && [ "${res%% *}" = 6 ]
check "gan on those samples: 6 particles, <r^2> of data and generated, L1 of the densities ($res; exit $rc)" $? "$out"
"$NQS" gan "$T/gan.ini" --no-plots --quiet --set gan.epochs=4 --out "$T/gan_full" > /dev/null 2>&1
"$NQS" gan "$T/gan.ini" --no-plots --quiet --set gan.epochs=2 --out "$T/gan_cut" > /dev/null 2>&1
"$NQS" gan --restart "$T/gan_cut" --set gan.epochs=4 --no-plots --quiet > /dev/null 2>&1; rc=$?
a=$(grep -A4 '"density_l1"' "$T/gan_full/result.json"); b=$(grep -A4 '"density_l1"' "$T/gan_cut/result.json")
[ $rc -eq 0 ] && [ -n "$a" ] && [ "$a" = "$b" ] && cmp -s <(cut -d, -f1-5 "$T/gan_full/gan_training.csv") <(cut -d, -f1-5 "$T/gan_cut/gan_training.csv")
check "gan: 2 epochs, then --restart to 4, equals 4 epochs bit for bit (density distances, losses; exit $rc)" $? "$a / $b"
expect_error "gan --restart with another generator" "sizes cannot change on restart" -- gan --restart "$T/gan_cut" --set gan.generator=dense8
expect_error "gan: a generator layer that does not exist" "--set gan.generator" "unknown layer 'conv'" -- gan "$T/gan.ini" --set gan.generator=conv --out "$T/gan_bad2"
expect_error "gan: no data file" "[gan] data" "no data" -- gan "$T/gan.ini" --set gan.data= --out "$T/gan_bad3"
expect_error "gan: coordinates that are not whole particles" "[gan] dimensions" "3 columns, not a multiple of 2" -- gan "$T/gan.ini" --set gan.data="$T/tiny.csv" --out "$T/gan_bad"
cmds=$("$NQS" --help | awk '/^commands/ { on = 1; next } on && /^  [a-z]/ && $1 != "nqs" { print $1 } on && /^$/ { on = 0 }')
[ "$(wc -w <<<"$cmds")" -ge 13 ]; rc=$?
check "nqs --help lists every command ($(echo $cmds))" $rc "too few"
for cmd in $cmds; do
  "$NQS" $cmd --help > /dev/null 2>&1
  check "nqs $cmd --help exits 0" $? "exit $?"
done

# nqs plot redraws every kind of run folder: a dot run and its evaluation, a lattice run, a sweep,
# train-rbm, tomography, regress, classify and gan
if command -v gnuplot > /dev/null; then
  ok=0; made=""
  for pair in demo:energy.png demo/evaluate:trace.png lat_ok:correlations.png sweep:sweep.png rbm3:training.png tomo:tomography.png \
              reg:complexity.png sep:learning_curve.png gan_full:gan_training.png; do
    d=${pair%%:*}; png=${pair#*:}
    rm -f "$T/$d/$png"
    if "$NQS" plot "$T/$d" > /dev/null 2>&1 && [ -s "$T/$d/$png" ]; then made="$made $d/$png"; else ok=1; echo "     no $png in $d"; fi
  done
  check "nqs plot on every kind of run folder:$made" $ok "see above"
fi

# the README's first input file runs as printed
sed -n '/^```ini$/,/^```$/p' "$SRC/README.md" | sed '1d;$d' > "$T/readme.ini"
out=$("$NQS" run "$T/readme.ini" --set optimizer.iterations=2 --set evaluation.samples=2000 --out "$T/readme" --quiet --no-plots 2>&1); rc=$?
[ $rc -eq 0 ] && [ -s "$T/readme.ini" ]
check "the README's input file runs (exit $rc): $out" $? "$out"

# docs/input.md is the option table as it is now
cmp -s <(sh "$SRC/scripts/make-input-doc.sh" "$NQS") "$SRC/docs/input.md"
check "docs/input.md matches the option table (regenerate: scripts/make-input-doc.sh build/nqs > docs/input.md)" $? "out of date"

# every CSV nqs wrote above loads with a plain pandas.read_csv: a header row, the same number of
# fields in every row, no comment lines
if /usr/bin/python3 -c "import pandas" 2>/dev/null; then
  mine=$(grep -oE '> "\$T/[a-z0-9_/]+\.csv"' "$0" | sed 's/.*\$T\///; s/"//')  # inputs this script wrote itself
  out=$(/usr/bin/python3 - "$T" $mine <<'PY'
import csv, os, sys
import pandas as pd
bad, names = [], set()
mine = {os.path.join(sys.argv[1], m) for m in sys.argv[2:]}
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.join(root, f)
        if not f.endswith(".csv") or p in mine:
            continue
        try:
            with open(p, newline="") as fh:
                rows = [r for r in csv.reader(fh) if r]
            if not rows:
                continue  # an empty file written on purpose by a failing case
            df = pd.read_csv(p)
            if len(df) != len(rows) - 1 or list(df.columns) != rows[0] or any(c.startswith("Unnamed") for c in df.columns):
                bad.append("%s: %d rows, columns %s" % (p, len(df), list(df.columns)[:6]))
            names.add(f)
        except Exception as e:
            bad.append("%s: %s" % (p, e))
print(" ".join(sorted(names)))
print("\n".join(bad))
sys.exit(1 if bad or len(names) < 15 else 0)
PY
); rc=$?
  check "pandas.read_csv loads every CSV nqs wrote: $(head -1 <<<"$out")" $rc "$(tail -n +2 <<<"$out")"
else
  echo "skipped: the pandas check of the CSV files (python3-pandas is not installed; scripts/install-deps.sh installs it)"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
