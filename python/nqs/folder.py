"""nqs.load: everything in a run folder as Python objects and numpy arrays."""
import csv
import json
import os

import numpy as np


def read_csv(path):
    """A CSV file nqs wrote (header row, then numbers) as {column: numpy array}; columns that are
    not numbers stay lists of strings."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return {}
    out = {}
    for k, name in enumerate(rows[0]):
        col = [r[k] if k < len(r) else "" for r in rows[1:]]
        try:
            out[name] = np.array([float(x) for x in col])
        except ValueError:
            out[name] = col
    return out


class RunFolder:
    """A run folder of any nqs command. Attributes (None when the folder has no such file):
    result (result.json as a dict), config (config.ini text), log (log.jsonl as a list of dicts),
    energy (energy.csv: the optimisation, by column), trace (trace.csv: the evaluation, one row per
    sweep), densities ({name: {column: array}} of every other CSV), evaluation (the sub-folder
    evaluate/ of `nqs evaluate`, a RunFolder), and checkpoint() (checkpoint.h5 as {name: array},
    through h5py)."""

    def __init__(self, path):
        path = os.fspath(path)
        if not os.path.isdir(path):
            raise FileNotFoundError("%s is not a run folder" % path)
        self.path = path
        self.result = self._json("result.json")
        self.config = self._text("config.ini")
        self.log = None
        if os.path.exists(self._p("log.jsonl")):
            with open(self._p("log.jsonl")) as f:
                self.log = [json.loads(line) for line in f if line.strip()]
        self.energy = self._csv("energy.csv")
        self.trace = self._csv("trace.csv")
        self.densities = {}
        for name in sorted(os.listdir(path)):
            if name.endswith(".csv") and name not in ("energy.csv", "trace.csv"):
                self.densities[name[:-4]] = read_csv(self._p(name))
        sub = self._p("evaluate")
        self.evaluation = RunFolder(sub) if os.path.isdir(sub) else None

    def _p(self, name):
        return os.path.join(self.path, name)

    def _text(self, name):
        if not os.path.exists(self._p(name)):
            return None
        with open(self._p(name)) as f:
            return f.read()

    def _json(self, name):
        text = self._text(name)
        return json.loads(text) if text is not None else None

    def _csv(self, name):
        return read_csv(self._p(name)) if os.path.exists(self._p(name)) else None

    def checkpoint(self):
        """checkpoint.h5 as {record: numpy array or str} (needs python3-h5py)."""
        import h5py
        out = {}
        with h5py.File(self._p("checkpoint.h5"), "r") as f:
            for name, ds in f.items():
                v = ds[()]
                out[name] = v.decode() if isinstance(v, bytes) else np.asarray(v)
        return out

    @property
    def units(self):
        return (self.result or {}).get("units", {})

    def __repr__(self):
        e = (self.result or {}).get("energy", {})
        return "RunFolder(%r, E = %s ± %s %s)" % (self.path, e.get("mean"), e.get("error"), self.units.get("energy", ""))


def load(path):
    """Read a run folder (result, log, traces, densities, checkpoint)."""
    return RunFolder(path)
