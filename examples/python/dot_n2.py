#!/usr/bin/env python3
"""The README's demo from Python: two electrons in a 2D harmonic trap (omega = 1, exact E = 3 in
Hartree atomic units), optimised and evaluated through the nqs package, then plotted.

    PYTHONPATH=python python3 examples/python/dot_n2.py [OUT_DIR]     # from the source tree
    python3 examples/python/dot_n2.py                                 # after make install

It prints E = 3.00026 ± 0.00011 Ha (the README's number: the same seed gives the same bits as
`nqs run`) and writes dot_n2.png: the energy against the iteration and the radial density."""
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

import nqs

out = sys.argv[1] if len(sys.argv) > 1 else "runs/python-dot-n2"
folder = nqs.Run().run(out)           # the built-in demo; nqs.Run("file.ini") or a dict for others
E = folder.result["energy"]
unit = folder.units["energy"]
print("E = %.5f ± %.5f %s  (exact %g)" % (E["mean"], E["error"], unit, folder.result["reference"]["value"]))

fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
opt = folder.energy
a.fill_between(opt["iteration"], opt["energy"] - opt["error"], opt["energy"] + opt["error"], color="#a0c0ff", label="E ± error")
a.plot(opt["iteration"], opt["energy"], color="#0030a0", lw=1.5, label="E per iteration")
a.axhline(3.0, color="#c00000", ls="--", label="exact 3")
a.set_xlabel("iteration")
a.set_ylabel("energy (%s)" % unit)
a.set_title("Optimisation (SR); final E = %.5f ± %.5f" % (E["mean"], E["error"]))
a.legend(loc="upper right")
rho = folder.densities["density_radial"]
b.errorbar(rho["r"], rho["rho"], yerr=rho["error"], fmt="o", ms=3, color="#0030a0", label="sampled")
b.plot(rho["r"], rho["rho_free"], color="#c00000", label="non-interacting")
b.set_xlim(0, rho["r"][rho["rho"] > 1e-3 * rho["rho"].max()].max() * 1.05)
b.set_xlabel("r (%s)" % folder.units["length"])
b.set_ylabel("one-body density ρ(r) (per unit area)")
b.set_title("Radial density: the repulsion pushes the electrons apart")
b.legend()
fig.tight_layout()
fig.savefig("dot_n2.png", dpi=110)
print("figure: dot_n2.png; run folder: %s" % folder.path)
