#!/usr/bin/env bash
# The deuteron: the VMC energy of examples/nucleus_2h.ini (optimised from its start with the
# example's fixed seed) must agree with `nqs exact` (the radial equation) within 3 of its error
# bars: the exact solution is the oracle for the whole nucleus path (Hamiltonian, spin-isospin
# sums, sampler, gradients, SR). The same run must not lie below the exact energy by more
# than 3 error bars (it is a variational bound).
set -u
NQS=$1
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/nqs-test-deuteron-XXXXXX)
trap 'rm -rf "$T"' EXIT
exact=$("$NQS" exact "$SRC/examples/nucleus_2h.ini" | sed -n 's/^E(2H) = \([-0-9.]*\) MeV.*/\1/p')
"$NQS" run "$SRC/examples/nucleus_2h.ini" --quiet --no-plots --out "$T/d" > "$T/log" 2>&1
rc=$?
python3 - "$T/d/result.json" "$exact" "$rc" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
exact, rc = float(sys.argv[2]), int(sys.argv[3])
e, err = r["energy"]["mean"], r["energy"]["error"]
z = (e - exact) / err
ok = rc == 0 and abs(z) < 3
print("%s deuteron VMC %.4f +- %.4f MeV vs exact %.6f: %+.1f error bars (exit %d)" % ("ok  " if ok else "FAIL", e, err, exact, z, rc))
rr = r["r2"]["mean"] ** 0.5
print("     point-nucleon radius %.3f fm (exact 1.658)" % rr)
sys.exit(0 if ok else 1)
PY
