/* regress.c — OLS, ridge and lasso on design matrices; polynomial features; the Franke
 * function; Student's t for confidence intervals. See nqs/learn/regress.h. */
#define _GNU_SOURCE /* M_PI */
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/learn/regress.h"

int nqs_poly_count(int d, int degree) {
  double c = 1; /* C(d + degree, d) */
  for (int k = 1; k <= d; k++) c = c * (degree + k) / k;
  return (int)lround(c) - 1;
}

/* Exponent vectors of total `left` over variables v..d-1, first variable's power descending. */
static void powers_of(int d, int v, int left, int *cur, int *pw, int *m) {
  if (v == d - 1) {
    cur[v] = left;
    memcpy(pw + (size_t)(*m)++ * d, cur, sizeof(int) * d);
    return;
  }
  for (int e = left; e >= 0; e--) {
    cur[v] = e;
    powers_of(d, v + 1, left - e, cur, pw, m);
  }
}

void nqs_poly_powers(int d, int degree, int *pw) {
  int cur[64] = {0}, m = 0;
  for (int t = 1; t <= degree; t++) powers_of(d, 0, t, cur, pw, &m);
}

void nqs_poly_features(const double *x, long n, int d, const int *pw, int m, double *X) {
  for (long i = 0; i < n; i++)
    for (int k = 0; k < m; k++) {
      double v = 1;
      for (int j = 0; j < d; j++)
        for (int e = 0; e < pw[k * d + j]; e++) v *= x[i * d + j];
      X[i * m + k] = v;
    }
}

double nqs_franke(double x, double y) {
  const double a = 0.75 * exp(-0.25 * (9 * x - 2) * (9 * x - 2) - 0.25 * (9 * y - 2) * (9 * y - 2));
  const double b = 0.75 * exp(-(9 * x + 1) * (9 * x + 1) / 49.0 - 0.1 * (9 * y + 1));
  const double c = 0.5 * exp(-0.25 * (9 * x - 7) * (9 * x - 7) - 0.25 * (9 * y - 3) * (9 * y - 3));
  const double e = -0.2 * exp(-(9 * x - 4) * (9 * x - 4) - (9 * y - 7) * (9 * y - 7));
  return a + b + c + e;
}

/* Column means and scales (the 1/n standard deviation, or 1; a constant column gets 1), and the
 * centred, scaled design stored column by column: Xt[j * n + i]; yc = y - mean y. */
static void centre(const double *X, const double *y, long n, int p, int standardise, double *mean, double *scale, double *Xt,
                   double *yc, double *ymean) {
  double ym = 0;
  for (long i = 0; i < n; i++) ym += y[i];
  ym /= n;
  for (long i = 0; i < n; i++) yc[i] = y[i] - ym;
  *ymean = ym;
  for (int j = 0; j < p; j++) {
    double m = 0, v = 0;
    for (long i = 0; i < n; i++) m += X[i * p + j];
    m /= n;
    for (long i = 0; i < n; i++) v += (X[i * p + j] - m) * (X[i * p + j] - m);
    const double sd = sqrt(v / n);
    mean[j] = m;
    scale[j] = standardise && sd > 0 ? sd : 1;
    for (long i = 0; i < n; i++) Xt[(size_t)j * n + i] = (X[i * p + j] - m) / scale[j];
  }
}

/* OLS or ridge of the centred design by its SVD Xc = U S V^T: w = V diag(f(s)) U^T yc with
 * f = 1/s (ols, on the numerical rank) or s / (s^2 + lambda) (ridge); the OLS covariance
 * sigma^2 V S^-2 V^T gives the standard errors. */
static nqs_status svd_fit(const double *Xt, const double *yc, long n, int p, const nqs_linear_options *o, const double *mean,
                          const double *scale, nqs_linear_fit *f, nqs_error *err) {
  const int k = n < p ? (int)n : p;
  double *A = malloc(sizeof(double) * (size_t)n * p), *s = malloc(sizeof(double) * k), *U = malloc(sizeof(double) * (size_t)n * k);
  double *VT = malloc(sizeof(double) * (size_t)k * p), *c = malloc(sizeof(double) * k);
  nqs_status st = NQS_OK;
  if (!A || !s || !U || !VT || !c) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory for the SVD of a %ld x %d design", n, p);
    goto done;
  }
  memcpy(A, Xt, sizeof(double) * (size_t)n * p); /* column-major n x p */
  const lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', (lapack_int)n, p, A, (lapack_int)n, s, U, (lapack_int)n, VT, k);
  if (info) {
    st = nqs_error_set(err, NQS_ERUNTIME, "the SVD of the %ld x %d design did not converge (LAPACK dgesdd info %d)", n, p, (int)info);
    goto done;
  }
  const double cut = k ? s[0] * (n > p ? n : p) * DBL_EPSILON : 0;
  int rank = 0;
  for (int i = 0; i < k; i++) {
    double uy = 0;
    for (long r = 0; r < n; r++) uy += U[(size_t)i * n + r] * yc[r];
    if (o->kind == NQS_REG_OLS) c[i] = s[i] > cut ? uy / s[i] : 0;
    else c[i] = uy * s[i] / (s[i] * s[i] + o->lambda);
    rank += s[i] > cut;
  }
  for (int j = 0; j < p; j++) {
    double w = 0;
    for (int i = 0; i < k; i++) w += VT[(size_t)j * k + i] * c[i];
    f->w[j] = w / scale[j];
  }
  f->rank = rank;
  if (o->kind != NQS_REG_OLS) goto done;
  /* residual variance and standard errors (NAN without residual degrees of freedom or with a
   * rank-deficient design, whose coefficients are not identified) */
  double rss = 0;
  for (long r = 0; r < n; r++) {
    double yh = 0;
    for (int j = 0; j < p; j++) yh += Xt[(size_t)j * n + r] * f->w[j] * scale[j];
    rss += (yc[r] - yh) * (yc[r] - yh);
  }
  const long dof = n - rank - 1;
  f->sigma2 = dof > 0 ? rss / dof : NAN;
  double vb = 0; /* m^T Cov(w) m with m the column means: V^T (mean / scale), then / s */
  for (int i = 0; i < k; i++) {
    double t = 0;
    for (int j = 0; j < p; j++) t += VT[(size_t)j * k + i] * mean[j] / scale[j];
    vb += s[i] > cut ? (t / s[i]) * (t / s[i]) : 0;
  }
  for (int j = 0; j < p; j++) {
    double v = 0;
    for (int i = 0; i < k; i++) v += s[i] > cut ? VT[(size_t)j * k + i] * VT[(size_t)j * k + i] / (s[i] * s[i]) : 0;
    f->se[j] = rank == p && dof > 0 ? sqrt(f->sigma2 * v) / scale[j] : NAN;
  }
  f->se_b = rank == p && dof > 0 ? sqrt(f->sigma2 * (1.0 / n + vb)) : NAN;
done:
  free(A), free(s), free(U), free(VT), free(c);
  return st;
}

static double dot(const double *a, const double *b, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/* G = Xa^T Xa (k x k) of the columns idx[0..k) of the column-major design Xt. */
static void gram(const double *Xt, long n, const int *idx, int k, double *G) {
  for (int u = 0; u < k; u++)
    for (int v = 0; v <= u; v++) G[(size_t)u * k + v] = G[(size_t)v * k + u] = dot(Xt + (size_t)idx[u] * n, Xt + (size_t)idx[v] * n, n);
}

/* The duality gap of the n-scaled lasso (1/2)|r|^2 + na |w|_1 at residual r (scikit-learn's): the
 * dual point r min(1, na / |Xc^T r|_inf). */
static double lasso_gap(const double *Xt, const double *yc, const double *r, const double *ws, long n, int p, double na) {
  double rr = 0, ry = 0, dual = 0, l1 = 0;
  for (long i = 0; i < n; i++) rr += r[i] * r[i], ry += r[i] * yc[i];
  for (int j = 0; j < p; j++) {
    dual = fmax(dual, fabs(dot(Xt + (size_t)j * n, r, n)));
    l1 += fabs(ws[j]);
  }
  const double cst = dual > na ? na / dual : 1;
  return 0.5 * rr * (1 + cst * cst) + na * l1 - cst * ry;
}

/* The exact lasso solution on the support of ws with its signs s: on that support the
 * optimality conditions are linear, Xa^T Xa w = Xa^T yc - na s. Coordinate descent is slow on
 * the strongly correlated columns of a polynomial design but finds the support early; this
 * step then lands on the minimum to round-off. The candidate is written to cand (and its
 * residual to rc) only if its signs agree with s; returns 1 then. */
static int lasso_support_solve(const double *Xt, const double *yc, const double *ws, long n, int p, double na, double *cand,
                               double *rc) {
  int *a = malloc(sizeof(int) * p), k = 0;
  if (!a) return 0;
  for (int j = 0; j < p; j++)
    if (ws[j] != 0) a[k++] = j;
  double *G = k ? malloc(sizeof(double) * (size_t)k * k) : NULL, *b = k ? malloc(sizeof(double) * k) : NULL;
  int ok = k > 0 && G && b;
  if (ok) gram(Xt, n, a, k, G);
  for (int u = 0; ok && u < k; u++) {
    const double *xu = Xt + (size_t)a[u] * n;
    b[u] = dot(xu, yc, n) - na * (ws[a[u]] > 0 ? 1 : -1);
  }
  ok = ok && LAPACKE_dposv(LAPACK_ROW_MAJOR, 'L', k, 1, G, k, b, 1) == 0;
  for (int u = 0; ok && u < k; u++) ok = (b[u] > 0) == (ws[a[u]] > 0) && b[u] != 0 && isfinite(b[u]);
  if (ok) {
    memset(cand, 0, sizeof(double) * p);
    for (int u = 0; u < k; u++) cand[a[u]] = b[u];
    for (long i = 0; i < n; i++) rc[i] = yc[i];
    for (int u = 0; u < k; u++) {
      const double *x = Xt + (size_t)a[u] * n;
      for (long i = 0; i < n; i++) rc[i] -= b[u] * x[i];
    }
  }
  free(a), free(G), free(b);
  return ok;
}

/* Lasso by cyclic coordinate descent in the n-scaled form (1/2)|r|^2 + n alpha |w|_1 on the
 * centred design, with an exact solve on the current support every few sweeps, stopping when
 * the duality gap falls below tol |yc|^2. ws: coefficients of the scaled columns, in and out. */
static nqs_status lasso_cd(const double *Xt, const double *yc, long n, int p, const nqs_linear_options *o, double *ws,
                           nqs_linear_fit *f, nqs_error *err) {
  double *z = malloc(sizeof(double) * p), *r = malloc(sizeof(double) * n);
  double *cand = malloc(sizeof(double) * p), *rc = malloc(sizeof(double) * n);
  if (!z || !r || !cand || !rc) {
    free(z), free(r), free(cand), free(rc);
    return nqs_error_set(err, NQS_ENOMEM, "out of memory for the lasso of a %ld x %d design", n, p);
  }
  const double na = n * o->lambda, tol = o->tolerance > 0 ? o->tolerance : 1e-12;
  const int max_sweeps = o->max_sweeps > 0 ? o->max_sweeps : 100000;
  double yy = 0;
  for (long i = 0; i < n; i++) yy += yc[i] * yc[i];
  for (long i = 0; i < n; i++) r[i] = yc[i];
  for (int j = 0; j < p; j++) {
    const double *x = Xt + (size_t)j * n;
    z[j] = dot(x, x, n);
    if (ws[j] != 0)
      for (long i = 0; i < n; i++) r[i] -= ws[j] * x[i];
  }
  int sweep;
  double gap = INFINITY;
  for (sweep = 1; sweep <= max_sweeps; sweep++) {
    for (int j = 0; j < p; j++) {
      if (z[j] == 0) { /* a constant column: nothing to fit */
        ws[j] = 0;
        continue;
      }
      const double *x = Xt + (size_t)j * n;
      const double rho = dot(x, r, n) + z[j] * ws[j];
      const double w = (rho > na ? rho - na : rho < -na ? rho + na : 0) / z[j], dw = w - ws[j];
      if (dw == 0) continue;
      for (long i = 0; i < n; i++) r[i] -= dw * x[i];
      ws[j] = w;
    }
    gap = lasso_gap(Xt, yc, r, ws, n, p, na);
    if (gap <= tol * yy || yy == 0) break;
    if (sweep % 5 == 0 && lasso_support_solve(Xt, yc, ws, n, p, na, cand, rc)) {
      const double g2 = lasso_gap(Xt, yc, rc, cand, n, p, na);
      if (g2 < gap) {
        memcpy(ws, cand, sizeof(double) * p), memcpy(r, rc, sizeof(double) * n);
        if ((gap = g2) <= tol * yy) break;
      }
    }
  }
  f->iterations = sweep > max_sweeps ? max_sweeps : sweep;
  f->gap = yy > 0 ? gap / yy : 0;
  free(z), free(r), free(cand), free(rc);
  if (sweep > max_sweeps)
    return nqs_error_set(err, NQS_EFAILED, "the lasso (alpha = %g) did not converge in %d sweeps: duality gap %.3g of |y|^2, "
                         "asked %.3g; raise the sweep limit or the tolerance, or standardise the columns", o->lambda,
                         max_sweeps, f->gap, tol);
  return NQS_OK;
}

/* Lasso by the homotopy (LARS-lasso; Osborne, Presnell & Turlach 2000, Efron et al. 2004): the
 * solution is piecewise linear in lambda = n alpha. Starting from w = 0 at lambda = max |Xc^T yc|
 * with the column of largest correlation c = Xc^T r active, the active coefficients move along
 * G_AA d = s_A (s: the signs of their correlations, all at |c_j| = lambda) while lambda falls,
 * until an inactive correlation reaches lambda (the column joins) or an active coefficient
 * crosses zero (it leaves). Exact up to the round-off of the active Gram matrix's solves;
 * correlations are recomputed from the residual at every step, so nothing drifts. */
static nqs_status lasso_homotopy(const double *Xt, const double *yc, long n, int p, double target, double *ws, nqs_error *err) {
  double *r = malloc(sizeof(double) * n), *u = malloc(sizeof(double) * n), *c = malloc(sizeof(double) * p);
  double *G = malloc(sizeof(double) * (size_t)p * p), *d = malloc(sizeof(double) * p);
  int *A = malloc(sizeof(int) * p), *in = calloc(p, sizeof(int)), k = 0;
  nqs_status st = NQS_OK;
  if (!r || !u || !c || !G || !d || !A || !in) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory for the lasso of a %ld x %d design", n, p);
    goto done;
  }
  memset(ws, 0, sizeof(double) * p);
  memcpy(r, yc, sizeof(double) * n);
  double lam = 0;
  int join = -1;
  for (int j = 0; j < p; j++) {
    c[j] = dot(Xt + (size_t)j * n, yc, n);
    if (fabs(c[j]) > lam) lam = fabs(c[j]), join = j;
  }
  for (int step = 0; lam > target * (1 + 1e-13); step++) { /* within round-off of the target: there */
    if (step > 50 * p + 1000) {
      st = nqs_error_set(err, NQS_ERUNTIME, "the lasso path did not reach alpha = %g in %d steps (cycling on tied "
                         "columns?); remove duplicate columns", target / n, step);
      goto done;
    }
    if (join >= 0 && !in[join]) A[k++] = join, in[join] = 1;
    join = -1;
    /* direction: G_AA d = s_A */
    gram(Xt, n, A, k, G);
    for (int a = 0; a < k; a++) {
      d[a] = c[A[a]] > 0 ? 1 : -1;
    }
    if (LAPACKE_dposv(LAPACK_ROW_MAJOR, 'L', k, 1, G, k, d, 1) != 0) {
      st = nqs_error_set(err, NQS_ERUNTIME, "the lasso path at alpha = %g has %d active columns that are linearly dependent "
                         "(more features than rows, or duplicate columns); lower the degree or raise alpha", lam / n, k);
      goto done;
    }
    memset(u, 0, sizeof(double) * n);
    for (int a = 0; a < k; a++) {
      const double *x = Xt + (size_t)A[a] * n;
      for (long i = 0; i < n; i++) u[i] += d[a] * x[i];
    }
    /* the step in lambda to the next event, or to the target */
    double gam = lam - target;
    int leave = -1;
    join = -1;
    for (int j = 0; j < p; j++) {
      if (in[j]) continue;
      const double aj = dot(Xt + (size_t)j * n, u, n);
      const double g1 = 1 - aj > 1e-15 ? (lam - c[j]) / (1 - aj) : INFINITY, g2 = 1 + aj > 1e-15 ? (lam + c[j]) / (1 + aj) : INFINITY;
      const double g = fmin(g1 > 1e-14 * lam ? g1 : INFINITY, g2 > 1e-14 * lam ? g2 : INFINITY);
      if (g < gam) gam = g, join = j, leave = -1;
    }
    for (int a = 0; a < k; a++) {
      const double g = d[a] != 0 ? -ws[A[a]] / d[a] : INFINITY;
      if (g > 1e-14 * lam && g < gam) gam = g, leave = a, join = -1;
    }
    for (int a = 0; a < k; a++) ws[A[a]] += gam * d[a];
    for (long i = 0; i < n; i++) r[i] -= gam * u[i];
    lam -= gam;
    if (leave >= 0) {
      ws[A[leave]] = 0, in[A[leave]] = 0;
      A[leave] = A[--k];
    }
    for (int j = 0; j < p; j++) c[j] = dot(Xt + (size_t)j * n, r, n);
    if (leave < 0 && join < 0) break; /* reached the target */
  }
done:
  free(r), free(u), free(c), free(G), free(d), free(A), free(in);
  return st;
}

nqs_status nqs_linear_fit_rows(const double *X, const double *y, long n, int p, const nqs_linear_options *o, nqs_linear_fit *f,
                               nqs_error *err) {
  memset(f, 0, sizeof *f);
  if (n < 2 || p < 1)
    return nqs_error_set(err, NQS_EINPUT, "a regression needs at least 2 rows and 1 column (got %ld x %d)", n, p);
  if (!(o->lambda >= 0) || !isfinite(o->lambda))
    return nqs_error_set(err, NQS_EINPUT, "the penalty must be finite and >= 0 (got %g)", o->lambda);
  for (long i = 0; i < n; i++) {
    int ok = isfinite(y[i]);
    for (int j = 0; j < p; j++) ok &= isfinite(X[i * p + j]) != 0;
    if (!ok) return nqs_error_set(err, NQS_EINPUT, "row %ld of the data has a non-finite entry", i + 1);
  }
  double *mean = malloc(sizeof(double) * p), *scale = malloc(sizeof(double) * p), *yc = malloc(sizeof(double) * n);
  double *Xt = malloc(sizeof(double) * (size_t)n * p), *ws = calloc(p, sizeof(double));
  f->p = p;
  f->w = calloc(p, sizeof(double));
  f->se = o->kind == NQS_REG_OLS ? malloc(sizeof(double) * p) : NULL;
  f->se_b = f->sigma2 = NAN;
  nqs_status st = NQS_OK;
  if (!mean || !scale || !yc || !Xt || !ws || !f->w || (o->kind == NQS_REG_OLS && !f->se)) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory for a %ld x %d design", n, p);
    goto done;
  }
  double ym;
  centre(X, y, n, p, o->standardise, mean, scale, Xt, yc, &ym);
  if (o->kind == NQS_REG_LASSO) {
    if (o->lasso_solver == NQS_LASSO_CD) {
      if (o->warm) memcpy(ws, o->warm, sizeof(double) * p);
      st = lasso_cd(Xt, yc, n, p, o, ws, f, err);
    } else if (!(st = lasso_homotopy(Xt, yc, n, p, n * o->lambda, ws, err))) {
      /* polish the round-off of the path's solves by coordinate descent from its end point */
      nqs_linear_options po = *o;
      po.max_sweeps = o->max_sweeps > 0 && o->max_sweeps < 2000 ? o->max_sweeps : 2000;
      st = lasso_cd(Xt, yc, n, p, &po, ws, f, err);
      if (st == NQS_EFAILED)
        nqs_error_set(err, st, "the lasso (alpha = %g) reached a duality gap of only %.3g of |y|^2, asked %.3g: the columns "
                      "are nearly dependent; lower the degree, standardise, or raise the tolerance", o->lambda, f->gap,
                      o->tolerance > 0 ? o->tolerance : 1e-12);
    }
    for (int j = 0; j < p; j++) f->w[j] = ws[j] / scale[j];
    f->rank = -1;
  } else {
    st = svd_fit(Xt, yc, n, p, o, mean, scale, f, err);
  }
  f->b = ym;
  for (int j = 0; j < p; j++) f->b -= mean[j] * f->w[j];
done:
  free(mean), free(scale), free(yc), free(Xt), free(ws);
  if (st && st != NQS_EFAILED) nqs_linear_fit_free(f);
  return st;
}

void nqs_linear_fit_free(nqs_linear_fit *f) {
  free(f->w);
  free(f->se);
  f->w = f->se = NULL;
}

void nqs_linear_predict(const nqs_linear_fit *f, const double *X, long n, double *yhat) {
  for (long i = 0; i < n; i++) {
    double v = f->b;
    for (int j = 0; j < f->p; j++) v += X[i * f->p + j] * f->w[j];
    yhat[i] = v;
  }
}

/* The 1/n standard deviation of column j (1 for a constant column or without standardising). */
static double column_scale(const double *X, long n, int p, int j, int standardise) {
  if (!standardise) return 1;
  double m = 0, v = 0;
  for (long i = 0; i < n; i++) m += X[i * p + j];
  m /= n;
  for (long i = 0; i < n; i++) v += (X[i * p + j] - m) * (X[i * p + j] - m);
  return v > 0 ? sqrt(v / n) : 1;
}

void nqs_lasso_warm_of(const nqs_linear_fit *f, const double *X, long n, int standardise, double *ws) {
  for (int j = 0; j < f->p; j++) ws[j] = f->w[j] * column_scale(X, n, f->p, j, standardise);
}

double nqs_lasso_alpha_max(const double *X, const double *y, long n, int p, int standardise) {
  double ym = 0, amax = 0;
  for (long i = 0; i < n; i++) ym += y[i];
  ym /= n;
  for (int j = 0; j < p; j++) {
    double m = 0, g = 0;
    for (long i = 0; i < n; i++) m += X[i * p + j];
    m /= n;
    for (long i = 0; i < n; i++) g += (X[i * p + j] - m) * (y[i] - ym);
    amax = fmax(amax, fabs(g) / column_scale(X, n, p, j, standardise) / n);
  }
  return amax;
}

double nqs_mse(const double *y, const double *yhat, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) s += (y[i] - yhat[i]) * (y[i] - yhat[i]);
  return s / n;
}

double nqs_r2(const double *y, const double *yhat, long n) {
  double m = 0, tot = 0, res = 0;
  for (long i = 0; i < n; i++) m += y[i];
  m /= n;
  for (long i = 0; i < n; i++) tot += (y[i] - m) * (y[i] - m), res += (y[i] - yhat[i]) * (y[i] - yhat[i]);
  return tot > 0 ? 1 - res / tot : NAN;
}

double nqs_student_t_within(double t, int nu) {
  if (!(t > 0)) return 0;
  if (isinf(t)) return 1;
  const double th = atan(t / sqrt((double)nu)), s = sin(th), c2 = cos(th) * cos(th);
  if (nu % 2 == 0) { /* sin th [1 + (1/2) c^2 + (1.3)/(2.4) c^4 + ... up to c^(nu-2)] */
    double term = 1, sum = 1;
    for (int k = 2; k <= nu - 2; k += 2) sum += term *= c2 * (k - 1) / k;
    return s * sum;
  }
  if (nu == 1) return 2 * th / M_PI; /* odd: (2/pi)[th + sin th cos th (1 + (2/3) c^2 + ... up to c^(nu-3))] */
  double term = 1, sum = 1;
  for (int k = 3; k <= nu - 2; k += 2) sum += term *= c2 * (k - 1) / k;
  return 2 / M_PI * (th + s * cos(th) * sum);
}

double nqs_student_t_quantile(double a, int nu) {
  if (!(a > 0 && a < 1) || nu < 1) return NAN;
  double lo = 0, hi = 1;
  while (nqs_student_t_within(hi, nu) < 1 - a && hi < 1e300) hi *= 2;
  for (int it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
    const double mid = 0.5 * (lo + hi);
    if (nqs_student_t_within(mid, nu) < 1 - a) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

void nqs_permutation(long n, long *perm, nqs_rng *rng) {
  for (long i = 0; i < n; i++) perm[i] = i;
  for (long i = n - 1; i > 0; i--) {
    const long j = (long)(nqs_rng_uniform(rng) * (i + 1));
    const long t = perm[i];
    perm[i] = perm[j < i ? j : i];
    perm[j < i ? j : i] = t;
  }
}
