/* pmm.c — Parametric Matrix Models: a symmetric matrix affine in the inputs, its eigenvalues
 * and eigenvectors as the output, gradients by first-order perturbation theory. See
 * nqs/learn/regress.h. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/core/optimizer.h"
#include "nqs/learn/regress.h"

nqs_status nqs_pmm_init(nqs_pmm *m, int n, int d, int r, nqs_error *err) {
  if (n < 2 || n > 64 || d < 1 || r < 1 || r >= n)
    return nqs_error_set(err, NQS_EINPUT, "a parametric matrix model needs 2 <= n <= 64, d >= 1 inputs and 1 <= r < n "
                         "eigenvectors (got n = %d, d = %d, r = %d)", n, d, r);
  const int t = n * (n + 1) / 2;
  *m = (nqs_pmm){n, d, r, (d + 2) * t + r + 1};
  return NQS_OK;
}

int nqs_pmm_work_size(const nqs_pmm *m) { return 4 * m->n * m->n + 2 * m->n; }

/* Add the upper triangle s (packed by rows) times f into the full symmetric matrix M. */
static void add_sym(int n, const double *s, double f, double *M) {
  for (int a = 0, k = 0; a < n; a++)
    for (int b = a; b < n; b++, k++) {
      M[a * n + b] += f * s[k];
      if (b != a) M[b * n + a] += f * s[k];
    }
}

/* d/d(theta_ab) of a function of the symmetric matrix whose derivative in each entry is H_ab:
 * H_ab + H_ba off the diagonal, H_aa on it, times f, into g (packed by rows). */
static void pack_grad(int n, const double *H, double f, double *g) {
  for (int a = 0, k = 0; a < n; a++)
    for (int b = a; b < n; b++, k++) g[k] = f * (b == a ? H[a * n + a] : H[a * n + b] + H[b * n + a]);
}

double nqs_pmm_eval(const nqs_pmm *m, const double *theta, const double *x, double *grad, double *work) {
  const int n = m->n, t = n * (n + 1) / 2, r = m->r;
  const double *A = theta, *B = theta + t, *D = theta + (size_t)(m->d + 1) * t, *c = D + t, g = c[r];
  double *M = work, *lam = M + n * n, *Dm = lam + n, *DV = Dm + n * n, *H = DV + n * n;
  memset(M, 0, sizeof(double) * n * n);
  add_sym(n, A, 1, M);
  for (int l = 0; l < m->d; l++) add_sym(n, B + (size_t)l * t, x[l], M);
  if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', n, M, n, lam)) return NAN; /* M: eigenvectors in columns */
  memset(Dm, 0, sizeof(double) * n * n);
  add_sym(n, D, 1, Dm);
  /* DV = D V, then Dt_km = v_k . (D v_m) */
  for (int a = 0; a < n; a++)
    for (int k = 0; k < n; k++) {
      double s = 0;
      for (int b = 0; b < n; b++) s += Dm[a * n + b] * M[b * n + k];
      DV[a * n + k] = s;
    }
  double y = g;
  for (int k = 0; k < r; k++) {
    double e = 0;
    for (int a = 0; a < n; a++) e += M[a * n + k] * DV[a * n + k];
    y += c[k] * lam[k] + e;
  }
  if (!grad) return y;
  /* H = sum_{k<r} [c_k v_k v_k^T + sum_{m>=r} 2 Dt_km / (lambda_k - lambda_m) v_m v_k^T] */
  memset(H, 0, sizeof(double) * n * n);
  for (int k = 0; k < r; k++) {
    for (int a = 0; a < n; a++)
      for (int b = 0; b < n; b++) H[a * n + b] += c[k] * M[a * n + k] * M[b * n + k];
    for (int q = r; q < n; q++) {
      double dkm = 0;
      for (int a = 0; a < n; a++) dkm += M[a * n + k] * DV[a * n + q];
      const double f = 2 * dkm / (lam[k] - lam[q]);
      for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++) H[a * n + b] += f * M[a * n + q] * M[b * n + k];
    }
  }
  pack_grad(n, H, 1, grad);
  for (int l = 0; l < m->d; l++) pack_grad(n, H, x[l], grad + (size_t)(l + 1) * t);
  /* D: sum_{k<r} v_k v_k^T */
  memset(H, 0, sizeof(double) * n * n);
  for (int k = 0; k < r; k++)
    for (int a = 0; a < n; a++)
      for (int b = 0; b < n; b++) H[a * n + b] += M[a * n + k] * M[b * n + k];
  pack_grad(n, H, 1, grad + (size_t)(m->d + 1) * t);
  for (int k = 0; k < r; k++) grad[(size_t)(m->d + 2) * t + k] = lam[k];
  grad[m->np - 1] = 1;
  return y;
}

void nqs_pmm_init_params(const nqs_pmm *m, double *theta, nqs_rng *rng) {
  const int t = m->n * (m->n + 1) / 2;
  for (int k = 0; k < (m->d + 2) * t; k++) theta[k] = nqs_rng_normal(rng) / sqrt((double)m->n);
  for (int k = 0; k < m->r; k++) theta[(size_t)(m->d + 2) * t + k] = 1.0 / m->r;
  theta[m->np - 1] = 0;
}

nqs_status nqs_pmm_train(const nqs_pmm *m, double *theta, const double *x, const double *y, long n, int epochs, double lr,
                         nqs_error *err) {
  const int np = m->np;
  double *g = malloc(sizeof(double) * np), *gi = malloc(sizeof(double) * np), *m1 = calloc(np, sizeof(double));
  double *m2 = calloc(np, sizeof(double)), *work = malloc(sizeof(double) * nqs_pmm_work_size(m));
  nqs_status st = !g || !gi || !m1 || !m2 || !work ? nqs_error_set(err, NQS_ENOMEM, "out of memory for the PMM") : NQS_OK;
  for (int e = 1; e <= epochs && !st; e++) {
    memset(g, 0, sizeof(double) * np);
    for (long i = 0; i < n && !st; i++) {
      const double yi = nqs_pmm_eval(m, theta, x + i * m->d, gi, work);
      if (!isfinite(yi)) {
        st = nqs_error_set(err, NQS_ERUNTIME, "the PMM's output is not finite at epoch %d (row %ld): lower the learning rate", e, i + 1);
        break;
      }
      for (int k = 0; k < np; k++) g[k] += 2 * (yi - y[i]) * gi[k] / n;
    }
    if (!st) nqs_adam_step(theta, g, m1, m2, np, lr, 0.9, e);
  }
  free(g), free(gi), free(m1), free(m2), free(work);
  return st;
}
