"""nqs.Run: one variational Monte Carlo run, stepped from Python or run whole into a folder."""
import collections
import ctypes
import os

import numpy as np

from ._lib import lib, check, NqsError
from .folder import load

Estimate = collections.namedtuple("Estimate", "mean error variance tau_int samples")
Estimate.__doc__ = "A Monte Carlo estimate: mean, blocking error, variance per sample, tau_int, samples."


def _ini_value(v):
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    return str(v)


def _doubles(n):
    return (ctypes.c_double * n)()


class Run:
    """A run of `nqs run`.

    config: None (the built-in demo: 2D quantum dot, N = 2, omega = 1, exact E = 3), the path of
    an INI input file, INI text, or a dict {section: {key: value}} (`seed` at the top level).
    set: {"section.key": value} applied after it, like `nqs run --set`.
    restart: a run folder to continue (its checkpoint's input, then `set`).
    Bad input raises NqsError with the library's message and the key at fault."""

    def __init__(self, config=None, set=None, restart=None):
        self._h = lib.nqs_handle_new()
        if not self._h:
            raise MemoryError("nqs: out of memory")
        if restart is not None:
            check(self._h, lib.nqs_handle_load(self._h, os.fspath(restart).encode()))
        if isinstance(config, dict):
            for section, keys in config.items():
                if isinstance(keys, dict):
                    for k, v in keys.items():
                        self.set("%s.%s" % (section, k), v)
                else:
                    self.set(section, keys)  # top-level keys: seed
        elif isinstance(config, (str, os.PathLike)):
            text = os.fspath(config)
            if "\n" in text or text.lstrip().startswith("["):
                check(self._h, lib.nqs_handle_read_text(self._h, text.encode()))
            else:
                check(self._h, lib.nqs_handle_read(self._h, text.encode()))
        elif config is not None:
            raise TypeError("config must be None, a dict, an INI file's path or INI text")
        for k, v in (set or {}).items():
            self.set(k, v)

    def __del__(self):
        h, self._h = getattr(self, "_h", None), None
        if h:
            lib.nqs_handle_free(h)

    def set(self, key, value):
        """Set one input key, "section.key" (or "seed")."""
        check(self._h, lib.nqs_handle_set(self._h, ("%s=%s" % (key, _ini_value(value))).encode()))

    @property
    def config(self):
        """The resolved input as INI text (every key the run reads, with its value)."""
        return lib.nqs_handle_config(self._h).decode()

    def start(self):
        """Validate the input and build the run: model, walkers, thermalisation."""
        check(self._h, lib.nqs_handle_start(self._h))
        return self

    def step(self):
        """One optimisation iteration: a dict of iteration, energy, error, variance, acceptance,
        learning_rate and rejected (True when the step before was undone)."""
        v = _doubles(7)
        check(self._h, lib.nqs_handle_step(self._h, v))
        return {"iteration": int(v[0]), "energy": v[1], "error": v[2], "variance": v[3], "acceptance": v[4],
                "learning_rate": v[5], "rejected": bool(v[6])}

    def steps(self, n):
        """Iterate n optimisation iterations, yielding each step's dict."""
        for _ in range(n):
            yield self.step()

    @property
    def iteration(self):
        return int(lib.nqs_handle_iteration(self._h))

    def _estimates(self):
        out = {}
        v = _doubles(5)
        for q in range(lib.nqs_handle_series_count(self._h)):
            check(self._h, lib.nqs_handle_estimate(self._h, q, v))
            out[lib.nqs_handle_series_name(self._h, q).decode()] = Estimate(v[0], v[1], v[2], v[3], int(v[4]))
        return out

    def evaluate(self):
        """Sample evaluation.samples with the parameters frozen; returns {name: Estimate} for the
        energy and every component the model measures (kinetic, potentials, r2, ...)."""
        v = _doubles(5)
        check(self._h, lib.nqs_handle_evaluate(self._h, v))
        self.acceptance = v[3]
        return self._estimates()

    def run(self, directory=None):
        """The whole `nqs run` into a run folder (output.dir when None): optimise, evaluate, write
        result.json, logs, trace, densities and checkpoint. Returns nqs.load of the folder. A result
        that failed its health check raises NqsError (the folder keeps everything)."""
        v = _doubles(5)
        status = lib.nqs_handle_run(self._h, os.fspath(directory).encode() if directory else None, v)
        self.acceptance = v[3]
        check(self._h, status)
        return load(lib.nqs_handle_run_dir(self._h).decode())

    @property
    def estimates(self):
        """{name: Estimate} of the last evaluate() or run()."""
        return self._estimates()

    @property
    def units(self):
        """{"energy": ..., "length": ...}: "Ha"/"bohr" (Coulomb) or "ħω₀"/"a_ho" (trap units), "MeV"/"fm", "J"/"sites"."""
        return {"energy": lib.nqs_handle_unit(self._h, 0).decode(), "length": lib.nqs_handle_unit(self._h, 1).decode()}

    @property
    def parameters(self):
        """The variational parameters (a copy), as a numpy array."""
        n = lib.nqs_handle_nparams(self._h)
        x = np.zeros(max(n, 1))
        got = lib.nqs_handle_params(self._h, x.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), x.size)
        if got < 0:
            raise NqsError(lib.nqs_handle_error(self._h).decode())
        return x[:got]

    @property
    def parameter_names(self):
        return [lib.nqs_handle_param_name(self._h, k).decode() for k in range(lib.nqs_handle_nparams(self._h))]

    def trace(self, name="energy"):
        """The last evaluation's local-energy component `name` averaged over the walkers, one value
        per sweep: the series the error bars come from (as trace.csv)."""
        names = [lib.nqs_handle_series_name(self._h, q).decode() for q in range(lib.nqs_handle_series_count(self._h))]
        if name not in names:
            raise NqsError("no component '%s' in the last evaluation (there are: %s); evaluate first"
                           % (name, ", ".join(names) or "none"))
        x = np.zeros(max(lib.nqs_handle_trace_length(self._h), 1))
        got = lib.nqs_handle_trace(self._h, names.index(name), x.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), x.size)
        if got < 0:
            raise NqsError(lib.nqs_handle_error(self._h).decode())
        return x[:got]

    def samples(self):
        """The configurations the last evaluation kept (evaluation.dump_samples), one per row."""
        cols = ctypes.c_int(0)
        rows = lib.nqs_handle_sample_rows(self._h, ctypes.byref(cols))
        x = np.zeros(max(rows * cols.value, 1))
        got = lib.nqs_handle_samples(self._h, x.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), x.size)
        if got < 0:
            raise NqsError(lib.nqs_handle_error(self._h).decode())
        return x[:got].reshape(rows, cols.value)
