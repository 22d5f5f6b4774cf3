/* test_regress.c — OLS, ridge and lasso against direct solutions and their optimality conditions:
 *   OLS and ridge coefficients equal a normal-equations solve by LAPACK (dposv) to 1e-10, with and
 *   without standardising; OLS standard errors equal sigma^2 (A^T A)^-1 of the design with its
 *   column of ones; the lasso (both solvers) satisfies its KKT conditions to 1e-8 along a path,
 *   and the two solvers agree; polynomial features, Student's t (scipy's values) and the Franke
 *   function. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "nqs/learn/regress.h"

/* Random rows with correlated columns: x_j = g_j + 0.5 g_0, y = X beta + noise. */
static void random_data(long n, int p, uint64_t seed, double *X, double *y) {
  nqs_rng r;
  nqs_rng_seed(&r, seed, 7);
  for (long i = 0; i < n; i++) {
    const double g0 = nqs_rng_normal(&r);
    y[i] = 0.3;
    for (int j = 0; j < p; j++) {
      X[i * p + j] = nqs_rng_normal(&r) + 0.5 * g0 + 0.1 * j;
      y[i] += (j % 3 == 0 ? 1.5 : j % 3 == 1 ? -0.7 : 0.05) * X[i * p + j];
    }
    y[i] += 0.3 * nqs_rng_normal(&r);
  }
}

/* Centred (and, with standardise, scaled) design and target; scale[j] as nqs uses it. */
static void centred(const double *X, const double *y, long n, int p, int standardise, double *Xc, double *yc, double *scale,
                    double *mean, double *ym) {
  *ym = 0;
  for (long i = 0; i < n; i++) *ym += y[i] / n;
  for (long i = 0; i < n; i++) yc[i] = y[i] - *ym;
  for (int j = 0; j < p; j++) {
    double m = 0, v = 0;
    for (long i = 0; i < n; i++) m += X[i * p + j] / n;
    for (long i = 0; i < n; i++) v += (X[i * p + j] - m) * (X[i * p + j] - m) / n;
    mean[j] = m, scale[j] = standardise ? sqrt(v) : 1;
    for (long i = 0; i < n; i++) Xc[i * p + j] = (X[i * p + j] - m) / scale[j];
  }
}

/* (Xc^T Xc + lambda I) w = Xc^T yc by Cholesky, w returned for the original columns. */
static void normal_equations(const double *X, const double *y, long n, int p, double lambda, int standardise, double *w, double *b) {
  double *Xc = malloc(sizeof(double) * n * p), *yc = malloc(sizeof(double) * n), *G = malloc(sizeof(double) * p * p);
  double scale[64], mean[64], ym;
  centred(X, y, n, p, standardise, Xc, yc, scale, mean, &ym);
  for (int a = 0; a < p; a++) {
    w[a] = 0;
    for (long i = 0; i < n; i++) w[a] += Xc[i * p + a] * yc[i];
    for (int c = 0; c < p; c++) {
      double g = 0;
      for (long i = 0; i < n; i++) g += Xc[i * p + a] * Xc[i * p + c];
      G[a * p + c] = g + (a == c ? lambda : 0);
    }
  }
  LAPACKE_dposv(LAPACK_ROW_MAJOR, 'L', p, 1, G, p, w, 1);
  *b = ym;
  for (int j = 0; j < p; j++) w[j] /= scale[j], *b -= mean[j] * w[j];
  free(Xc), free(yc), free(G);
}

static double max_diff(const double *a, const double *b, int n) {
  double d = 0;
  for (int i = 0; i < n; i++) d = fmax(d, fabs(a[i] - b[i]));
  return d;
}

static void test_ols_ridge(void) {
  enum { N = 60, P = 7 };
  double X[N * P], y[N], w[P], b;
  random_data(N, P, 11, X, y);
  for (int standardise = 0; standardise < 2; standardise++)
    for (int kind = 0; kind < 2; kind++) {
      const double lambda = kind ? 3.7 : 0;
      nqs_linear_options o = {.kind = kind ? NQS_REG_RIDGE : NQS_REG_OLS, .lambda = lambda, .standardise = standardise};
      nqs_linear_fit f;
      const nqs_status st = nqs_linear_fit_rows(X, y, N, P, &o, &f, NULL);
      normal_equations(X, y, N, P, lambda, standardise, w, &b);
      const double d = fmax(max_diff(f.w, w, P), fabs(f.b - b));
      CHECK(st == NQS_OK && d < 1e-10, "%s%s: coefficients and intercept equal the normal equations' (max difference %.2e)",
            kind ? "ridge (lambda 3.7)" : "ols", standardise ? ", standardised" : "", d);
      nqs_linear_fit_free(&f);
    }
  /* OLS standard errors: sigma^2 (A^T A)^-1 with A = [1 X], sigma^2 = RSS / (n - p - 1) */
  nqs_linear_options o = {.kind = NQS_REG_OLS, .standardise = 1};
  nqs_linear_fit f;
  nqs_linear_fit_rows(X, y, N, P, &o, &f, NULL);
  double A[(P + 1) * (P + 1)] = {0}, inv[(P + 1) * (P + 1)] = {0}, rss = 0;
  for (long i = 0; i < N; i++) {
    double row[P + 1] = {1}, yh = f.b;
    for (int j = 0; j < P; j++) row[j + 1] = X[i * P + j], yh += X[i * P + j] * f.w[j];
    rss += (y[i] - yh) * (y[i] - yh);
    for (int a = 0; a <= P; a++)
      for (int c = 0; c <= P; c++) A[a * (P + 1) + c] += row[a] * row[c];
  }
  for (int a = 0; a <= P; a++) inv[a * (P + 1) + a] = 1;
  LAPACKE_dposv(LAPACK_ROW_MAJOR, 'L', P + 1, P + 1, A, P + 1, inv, P + 1);
  const double s2 = rss / (N - P - 1);
  double rel = fabs(f.se_b / sqrt(s2 * inv[0]) - 1);
  for (int j = 0; j < P; j++) rel = fmax(rel, fabs(f.se[j] / sqrt(s2 * inv[(j + 1) * (P + 2)]) - 1));
  CHECK(f.rank == P && fabs(f.sigma2 / s2 - 1) < 1e-10 && rel < 1e-8,
        "ols: residual variance and the standard errors of w and b equal sigma^2 (A^T A)^-1 (max relative difference %.2e)", rel);
  nqs_linear_fit_free(&f);
  /* a repeated column: rank-deficient, minimum-norm solution, no standard errors */
  double X2[N * (P + 1)];
  for (long i = 0; i < N; i++) memcpy(X2 + i * (P + 1), X + i * P, sizeof(double) * P), X2[i * (P + 1) + P] = X[i * P];
  o.standardise = 0;
  const nqs_status st = nqs_linear_fit_rows(X2, y, N, P + 1, &o, &f, NULL);
  CHECK(st == NQS_OK && f.rank == P && isnan(f.se[0]) && fabs(f.w[0] - f.w[P]) < 1e-10,
        "ols on a repeated column: rank %d of %d, the two equal halves of one coefficient (%.6f, %.6f), standard errors NAN",
        f.rank, P + 1, f.w[0], f.w[P]);
  nqs_linear_fit_free(&f);
}

/* KKT of (1/2n)|yc - Xc w|^2 + alpha |w|_1 on the (scaled) design: g_j = Xc_j . r / n equals alpha
 * sign(w_j) where w_j != 0 and |g_j| <= alpha where w_j = 0. Returns the largest violation. */
static double kkt(const double *X, const double *y, long n, int p, int standardise, const nqs_linear_fit *f, double alpha, int *nz) {
  double *Xc = malloc(sizeof(double) * n * p), *yc = malloc(sizeof(double) * n), scale[128], mean[128], ym, v = 0;
  centred(X, y, n, p, standardise, Xc, yc, scale, mean, &ym);
  *nz = 0;
  for (int j = 0; j < p; j++) {
    double g = 0;
    for (long i = 0; i < n; i++) {
      double r = yc[i];
      for (int k = 0; k < p; k++) r -= Xc[i * p + k] * f->w[k] * scale[k];
      g += Xc[i * p + j] * r / n;
    }
    const double wj = f->w[j];
    v = fmax(v, wj != 0 ? fabs(g - alpha * (wj > 0 ? 1 : -1)) : fmax(fabs(g) - alpha, 0));
    *nz += wj != 0;
  }
  free(Xc), free(yc);
  return v;
}

static void test_lasso(const char *what, const double *X, const double *y, long n, int p, int standardise, int cd_too) {
  const double amax = nqs_lasso_alpha_max(X, y, n, p, standardise);
  double worst[2] = {0, 0}, agree = 0, *warm = calloc(p, sizeof(double));
  int nzmin = p, nzmax = 0, ok = 1;
  for (int k = 0; k < 12; k++) {
    const double alpha = amax * pow(10, -4.0 * k / 11) * (k ? 1 : 1 + 1e-10); /* all zero just above alpha_max */
    nqs_linear_fit f[2];
    for (int s = 0; s < 1 + cd_too; s++) {
      nqs_linear_options o = {.kind = NQS_REG_LASSO, .lambda = alpha, .standardise = standardise, .tolerance = 1e-12,
                              .max_sweeps = 1000000, .lasso_solver = s ? NQS_LASSO_CD : NQS_LASSO_LARS, .warm = s ? warm : NULL};
      ok &= nqs_linear_fit_rows(X, y, n, p, &o, &f[s], NULL) == NQS_OK;
      int nz;
      worst[s] = fmax(worst[s], kkt(X, y, n, p, standardise, &f[s], alpha, &nz));
      if (s == 0) nzmin = nz < nzmin ? nz : nzmin, nzmax = nz > nzmax ? nz : nzmax;
      if (s) nqs_lasso_warm_of(&f[1], X, n, standardise, warm);
    }
    if (cd_too) agree = fmax(agree, max_diff(f[0].w, f[1].w, p));
    for (int s = 0; s < 1 + cd_too; s++) nqs_linear_fit_free(&f[s]);
  }
  CHECK(ok && worst[0] < 1e-8 && nzmin == 0 && nzmax > 1,
        "lasso %s, homotopy: KKT conditions hold to %.2e on 12 alphas from alpha_max (0 active) down to 1e-4 alpha_max (%d active)",
        what, worst[0], nzmax);
  if (cd_too)
    CHECK(ok && worst[1] < 1e-8 && agree < 1e-7, "lasso %s, coordinate descent warm-started along the path: KKT to %.2e; "
          "coefficients equal the homotopy's to %.2e", what, worst[1], agree);
  free(warm);
}

static void test_features(void) {
  CHECK(nqs_poly_count(2, 5) == 20 && nqs_poly_count(3, 2) == 9 && nqs_poly_count(1, 7) == 7,
        "polynomial features: C(d + degree, d) - 1 monomials (2 inputs to degree 5: %d)", nqs_poly_count(2, 5));
  int pw[9 * 2];
  nqs_poly_powers(2, 3, pw);
  static const int want[] = {1, 0, 0, 1, 2, 0, 1, 1, 0, 2, 3, 0, 2, 1, 1, 2, 0, 3};
  const double x[2] = {2, 3};
  double X[9];
  nqs_poly_features(x, 1, 2, pw, 9, X);
  CHECK(memcmp(pw, want, sizeof want) == 0 && X[4] == 9 && X[7] == 18 && X[8] == 27,
        "degree-3 monomials of (x, y) in graded order x, y, x^2, xy, y^2, x^3, x^2y, xy^2, y^3 and their values at (2, 3)");
  const double f00 = nqs_franke(0, 0), f = nqs_franke(0.5, 0.25);
  CHECK(fabs(f00 - 0.7664205912849231) < 1e-15 && fabs(f - 0.538112110427719) < 1e-15,
        "Franke function: f(0, 0) = %.16f, f(0.5, 0.25) = %.15f", f00, f);
  static const int nu[] = {1, 2, 3, 5, 10, 30, 1000};
  static const double t975[] = {12.706204736432095, 4.302652729911275, 3.182446305284263, 2.5705818366147395,
                                2.2281388519649385, 2.0422724563012373, 1.9623390808264074};
  double d = 0, a = 0;
  for (int k = 0; k < 7; k++) {
    const double t = nqs_student_t_quantile(0.05, nu[k]);
    d = fmax(d, fabs(t / t975[k] - 1)), a = fmax(a, fabs(nqs_student_t_within(t, nu[k]) - 0.95));
  }
  /* scipy's ppf inverts its CDF to about 1e-10 only: at its nu = 5 quantile both its CDF and the
   * series give P(|T| < t) = 0.95000000005937 */
  CHECK(d < 1e-9 && a < 1e-14 && fabs(nqs_student_t_within(2.5705818366147395, 5) - 0.9500000000593665) < 1e-15,
        "Student's t: the 97.5 %% quantiles for nu = 1, 2, 3, 5, 10, 30, 1000 equal scipy's to %.1e relative, and P(|T| < t) "
        "= 0.95 at them to %.1e", d, a);
}

/* PMM: every parameter derivative against a central difference, for r = 1 and r = 2. */
static void test_pmm(void) {
  for (int r = 1; r <= 2; r++) {
    nqs_pmm m;
    nqs_pmm_init(&m, 5, 3, r, NULL);
    double th[400], g[400], work[200], x[3] = {0.3, -0.7, 1.1}, worst = 0, gmax = 0;
    nqs_rng rng;
    nqs_rng_seed(&rng, 9, r);
    nqs_pmm_init_params(&m, th, &rng);
    for (int k = 0; k < m.np; k++) th[k] += 0.3 * nqs_rng_normal(&rng); /* c and g away from their start */
    const double y = nqs_pmm_eval(&m, th, x, g, work);
    for (int k = 0; k < m.np; k++) {
      const double h = 1e-5, t0 = th[k];
      th[k] = t0 + h;
      const double yp = nqs_pmm_eval(&m, th, x, NULL, work);
      th[k] = t0 - h;
      const double ym = nqs_pmm_eval(&m, th, x, NULL, work);
      th[k] = t0;
      worst = fmax(worst, fabs((yp - ym) / (2 * h) - g[k]));
      gmax = fmax(gmax, fabs(g[k]));
    }
    CHECK(isfinite(y) && worst < 1e-7 * fmax(1, gmax), "PMM n = 5, 3 inputs, r = %d: all %d parameter derivatives (eigenvalues "
          "and the secondary-matrix term by perturbation theory) equal central differences to %.1e (largest %.2f)", r, m.np,
          worst, gmax);
  }
  nqs_pmm m;
  CHECK(nqs_pmm_init(&m, 4, 2, 4, NULL) == NQS_EINPUT, "PMM: r must be below n (no gap to the rest otherwise)");
}

int main(void) {
  test_pmm();
  test_features();
  test_ols_ridge();
  enum { N = 80, P = 10 };
  double X[N * P], y[N];
  random_data(N, P, 5, X, y);
  test_lasso("(random correlated data, standardised)", X, y, N, P, 1, 1);
  test_lasso("(random correlated data, centred only)", X, y, N, P, 0, 1);
  /* the Franke design to degree 5 on a 12 x 12 grid */
  enum { M = 144 };
  double xy[2 * M], z[M], F[M * 20];
  int pw[40];
  nqs_rng r;
  nqs_rng_seed(&r, 3, 1);
  for (int i = 0; i < M; i++) xy[2 * i] = (i % 12) / 11.0, xy[2 * i + 1] = (i / 12) / 11.0;
  for (int i = 0; i < M; i++) z[i] = nqs_franke(xy[2 * i], xy[2 * i + 1]) + 0.1 * nqs_rng_normal(&r);
  nqs_poly_powers(2, 5, pw);
  nqs_poly_features(xy, M, 2, pw, 20, F);
  test_lasso("(Franke, degree 5, standardised)", F, z, M, 20, 1, 0);
  return check_done();
}
