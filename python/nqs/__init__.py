"""nqs from Python: variational Monte Carlo with neural-network quantum states.

A thin layer over the C library libnqs (through ctypes; nothing to compile):

    import nqs
    run = nqs.Run({"system": {"particles": 2, "omega": 1.0}, "optimizer": {"iterations": 100}})
    run.start()
    for it in run.steps(100):          # one optimisation iteration each
        print(it["iteration"], it["energy"], it["error"])
    est = run.evaluate()               # {"energy": Estimate(mean, error, ...), "kinetic": ...}
    run.parameters, run.trace("energy")

    folder = nqs.Run("examples/dot2d_n6.ini").run("runs/n6")   # the whole `nqs run`
    folder.result["energy"], folder.energy["energy"], folder.densities["density_radial"]["rho"]

    nqs.load("runs/n6")                # any run folder: result, log, traces, densities, checkpoint

Errors of the library arrive as nqs.NqsError carrying nqs's own message (and the input key).
Units: those of the model (run.units: "Ha"/"bohr" for Coulomb dots, "ħω₀"/"a_ho" for other traps, "MeV"/"fm", "J"/"sites").
"""
from ._lib import NqsError, version
from .run import Run, Estimate
from .folder import RunFolder, load, read_csv

__all__ = ["Run", "Estimate", "RunFolder", "load", "read_csv", "NqsError", "version"]
__version__ = version()
