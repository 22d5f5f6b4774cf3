#!/usr/bin/env python3
"""The Python package over libnqs: the demo from Python equals `nqs run` bit for bit and lies
within 3 error bars of the exact 3; a lattice run steps; a run folder loads; bad input raises
nqs.NqsError with nqs's message. Usage: test_python.py NQS (the program), with PYTHONPATH
holding python/ and NQS_LIBRARY the built libnqs.so. Exit 77 (skipped) only without numpy."""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("skipped: python3-numpy is not installed (scripts/install-deps.sh installs it)")
    sys.exit(77)

import nqs

NQS = sys.argv[1]
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + name)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, detail))


tmp = tempfile.mkdtemp(prefix="nqs-test-python-")

# the demo: Run() with no input is `nqs run` with no input, to the last bit
folder = nqs.Run().run(os.path.join(tmp, "demo_py"))
subprocess.run([NQS, "run", "--quiet", "--no-plots", "--out", os.path.join(tmp, "demo_cli")], check=True, stdout=subprocess.DEVNULL)
cli = nqs.load(os.path.join(tmp, "demo_cli"))
e, err = folder.result["energy"]["mean"], folder.result["energy"]["error"]
check("demo from Python: E = %.6f ± %.6f %s, within 3 error bars of the exact 3" % (e, err, folder.units["energy"]),
      abs(e - 3) < 3 * err and folder.units["energy"] == "Ha", "E - 3 = %.2e" % (e - 3))
check("demo from Python equals nqs run bit for bit", e == cli.result["energy"]["mean"] and err == cli.result["energy"]["error"],
      "%r vs %r" % (e, cli.result["energy"]["mean"]))

# the folder: result, log, optimisation and evaluation traces, densities, checkpoint
tr = folder.trace["energy"]
check("trace.csv: %d sweeps whose mean is the run's energy" % tr.size, abs(tr.mean() - e) < 1e-12 * abs(e), "%r vs %r" % (tr.mean(), e))
check("log.jsonl and energy.csv: one entry per iteration", len([l for l in folder.log if "iteration" in l]) == folder.energy["iteration"].size
      == folder.result["iterations"], "%d vs %d" % (len(folder.log), folder.energy["iteration"].size))
rho = folder.densities["density_radial"]
check("density_radial: r, rho, error columns as arrays", {"r", "rho", "error"} <= set(rho) and rho["r"].size > 10 and np.all(rho["rho"] >= 0),
      str(list(rho)))
ck = folder.checkpoint()
check("checkpoint.h5 through h5py: kind %r, %d parameters" % (ck["kind"], ck["parameters"].size),
      ck["kind"] == "vmc" and np.array_equal(ck["parameters"], [folder.result["parameters"][k] for k in folder.result["parameters"]]),
      str(ck.get("parameters")))

# stepping a lattice run by hand, then evaluating
run = nqs.Run({"seed": 3, "system": {"type": "lattice"},
               "lattice": {"graph": "chain", "length": 8, "model": "tfim", "h": 1.0},
               "optimizer": {"method": "sr", "learning_rate": 0.05, "samples": 1000},
               "evaluation": {"samples": 8000}, "sampler": {"walkers": 8, "thermalization": 50}})
run.start()
its = list(run.steps(15))
check("lattice run: 15 steps (E from %.3f to %.3f)" % (its[0]["energy"], its[-1]["energy"]),
      run.iteration == 15 and its[-1]["energy"] < its[0]["energy"] and all(math.isfinite(i["energy"]) for i in its), str(its[-1]))
est = run.evaluate()
p = run.parameters
check("lattice evaluate: E = %.4f ± %.4f %s, %d parameters, trace of %d sweeps" % (est["energy"].mean, est["energy"].error,
      run.units["energy"], p.size, run.trace().size),
      est["energy"].error > 0 and p.size == len(run.parameter_names) > 0 and abs(run.trace().mean() - est["energy"].mean) < 1e-12 * 10,
      str(est))
# exact TFIM L = 8, h = J: free fermions, E0 = -2 sum_k sqrt(1 + 1 + 2 cos k) over k = pi (2n+1)/8 (periodic, even parity)
exact = -sum(math.sqrt(2 + 2 * math.cos(math.pi * (2 * n + 1) / 8)) for n in range(8))
check("lattice energy %.4f within 2 %% of the exact %.4f after 15 steps" % (est["energy"].mean, exact),
      abs(est["energy"].mean / exact - 1) < 0.02, "%.4f" % est["energy"].mean)

# errors carry nqs's message
try:
    nqs.Run({"system": {"particls": 2}})
    check("a misspelt key raises NqsError", False, "no exception")
except nqs.NqsError as x:
    check("a misspelt key raises NqsError: %s" % x, "unknown key 'particls'" in str(x) and "did you mean [system] particles" in str(x))
try:
    nqs.Run({"system": {"particles": 4}}).start()
    check("an impossible value raises NqsError", False, "no exception")
except nqs.NqsError as x:
    check("an impossible value raises NqsError (%s): %s" % (x.status, x), "closed shell" in str(x) and x.status == "bad input")
try:
    run.set("system.omega", 2.0)
    check("settings after start are refused", False, "no exception")
except nqs.NqsError as x:
    check("settings after start are refused: %s" % x, "has started" in str(x))
try:
    nqs.Run(restart=os.path.join(tmp, "nowhere"))
    check("a missing run folder raises NqsError", False, "no exception")
except nqs.NqsError as x:
    check("a missing run folder raises NqsError: %s" % x, "nowhere" in str(x))

# continuing a run folder from Python: its checkpoint's input, then more iterations
more = nqs.Run(restart=os.path.join(tmp, "demo_py"), set={"optimizer.iterations": 105, "evaluation.samples": 4000})
f2 = more.run()
check("restart from Python continues to iteration %d" % f2.result["iterations"], f2.result["iterations"] == 105, str(f2))

shutil.rmtree(tmp, ignore_errors=True)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
