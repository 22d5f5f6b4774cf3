#!/usr/bin/python3
"""The lasso path of `nqs regress` against scikit-learn's Lasso on the same data.

Usage: validate_lasso_sklearn.py PATH/TO/nqs. Runs nqs regress on the built-in Franke data
(degree 5, all rows for training), rebuilds the same standardised design here, fits
scikit-learn's Lasso(alpha, fit_intercept=False) to the centred data at every alpha of nqs's
path, and requires every coefficient of the standardised columns to agree to 1e-6.
Exit 77 (skipped) when numpy or scikit-learn is not installed."""
import csv, os, subprocess, sys, tempfile, warnings

try:
    import numpy as np
    from sklearn.linear_model import Lasso
except ImportError as e:
    print(f"skipped: {e} (Debian: apt-get install python3-sklearn)")
    sys.exit(77)

nqs = sys.argv[1]
out = os.path.join(tempfile.mkdtemp(prefix="nqs-lasso-"), "run")
subprocess.run([nqs, "regress", "--set", "regress.model=lasso", "--set", "regress.degree=5", "--set",
                "regress.test_fraction=0", "--set", "regress.bootstraps=0", "--set", "regress.tolerance=1e-10",
                "--no-plots", "--quiet", "--out", out], check=True, stdout=subprocess.DEVNULL)
data = np.loadtxt(os.path.join(out, "data.csv"), delimiter=",", skiprows=1)
x, y, z = data[:, 0], data[:, 1], data[:, 2]
# every monomial x^a y^b with 1 <= a + b <= 5, graded, the power of x descending (nqs's order)
cols = [x**a * y**(t - a) for t in range(1, 6) for a in range(t, -1, -1)]
X = np.stack(cols, axis=1)
scale = X.std(axis=0)  # 1/n, as nqs and StandardScaler
Xs = (X - X.mean(axis=0)) / scale
zc = z - z.mean()
rows = list(csv.reader(open(os.path.join(out, "path.csv"))))
names, rows = rows[0], rows[1:]
worst, n_alpha, worst_alpha = 0.0, 0, None
for r in rows:
    alpha = float(r[0])
    w_nqs = np.array([float(v) for v in r[6:]]) * scale  # coefficients of the standardised columns
    with warnings.catch_warnings():  # scikit-learn's coordinate descent crawls on these columns; the check is the agreement
        warnings.simplefilter("ignore")
        m = Lasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=4 * 10**6, selection="cyclic").fit(Xs, zc)
    d = np.max(np.abs(m.coef_ - w_nqs))
    if d > worst:
        worst, worst_alpha = d, alpha
    n_alpha += 1
print(f"lasso path of nqs against scikit-learn's Lasso: {n_alpha} alphas, {X.shape[1]} standardised coefficients, "
      f"largest difference {worst:.2e} (at alpha = {worst_alpha})")
sys.exit(0 if worst < 1e-6 else 1)
