/* factor_slater.c — D_up * D_down of harmonic-oscillator orbitals (closed shells).
 *
 * Orbital j with quantum numbers (n_1..n_d) and a = alpha*omega:
 *   phi_j(r) = P_j(r) exp(-a r^2 / 2),   P_j(r) = prod_k H_{n_k}(sqrt(a) x_k)
 * The Gaussian factors out of each determinant, so
 *   ln|f| = ln|det P_up| + ln|det P_down| - a/2 sum_i r_i^2.
 *
 * Per spin block of n orbitals, D[i][j] = P_j(r_i) (row = particle). The cache
 * keeps T = (D^-1)^T, so T[i][j] = Dinv[j][i] and particle i's column of the
 * inverse is the contiguous row T[i][.]. For a move of particle i to r':
 *   R = det D'/det D = sum_j P_j(r') T[i][j]                          O(n)
 *   grad_i ln det at r' = sum_j grad P_j(r') T[i][j] / R                O(n d)
 * and on acceptance the Sherman-Morrison update (Ceperley, Chester & Kalos,
 * PRB 16, 3081 (1977)):
 *   S_k = sum_j P_j(r') T[k][j];  T[k][.] -= (S_k/R) T[i][.] (k != i);  T[i][.] /= R   O(n^2)
 * The parameter alpha scales every orbital: dP_j/dalpha = (r . grad P_j) / (2 alpha).
 * In a product with another binding factor (rbm, gaussian), that factor supplies
 * the one-body Gaussian and the determinant is of the bare polynomials P_j
 * ("bare": the Gaussian terms below are multiplied by g = 0 instead of 1). */
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/particles/factor.h"
#include "orbitals.h"

#define SLATER_MAXORB NQS_HO_MAXORB

typedef struct {
  double g; /* 1: orbitals carry exp(-a r^2/2); 0: bare polynomials */
  int n;    /* orbitals per spin = particles per spin */
  nqs_ho_orbitals orb;
} slater_priv;

/* Cache view: ratio | sign | T_up n*n | T_down n*n | lu n*n | phi n | ipiv n */
typedef struct {
  double *ratio, *sign;
  double *T[2];
  double *lu;
  double *phi;
  lapack_int *ipiv;
} sview;

static sview view(const slater_priv *P, void *cache) {
  const int n = P->n;
  double *c = cache;
  sview v;
  v.ratio = c;
  v.sign = c + 1;
  v.T[0] = c + 2;
  v.T[1] = c + 2 + n * n;
  v.lu = c + 2 + 2 * n * n;
  v.phi = c + 2 + 3 * n * n;
  v.ipiv = (lapack_int *)(c + 2 + 3 * n * n + n);
  return v;
}

static size_t s_cache_size(const nqs_factor *f) {
  const slater_priv *P = f->priv;
  const int n = P->n;
  return sizeof(double) * (size_t)(2 + 3 * n * n + n) + sizeof(lapack_int) * (size_t)n;
}

static double s_init(const nqs_factor *f, const double *th, const double *x, void *cache) {
  const slater_priv *P = f->priv;
  const int n = P->n, d = f->sys.dim;
  const double a = th[0] * f->sys.omega;
  sview v = view(P, cache);
  double logdet = 0, r2 = 0;
  *v.sign = 1.0;
  for (int s = 0; s < 2; s++) {
    /* column-major D: lu[i + j n] = P_j(r_i) */
    for (int i = 0; i < n; i++) {
      const double *r = x + (s * n + i) * d;
      nqs_ho_eval(&P->orb, a, r, v.phi, NULL, NULL, NULL);
      for (int j = 0; j < n; j++) v.lu[i + j * n] = v.phi[j];
      for (int k = 0; k < d; k++) r2 += r[k] * r[k];
    }
    lapack_int info = LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, n, n, v.lu, n, v.ipiv);
    if (info != 0) return NAN; /* singular: two equal-spin particles at the same place */
    for (int i = 0; i < n; i++) {
      logdet += log(fabs(v.lu[i + i * n]));
      if ((v.lu[i + i * n] < 0) != (v.ipiv[i] != i + 1)) *v.sign = -*v.sign; /* U's sign, row swaps */
    }
    /* Solve D X = I: X = D^-1 column-major, X[r + c n] = Dinv(r, c), so reading X
     * row-major gives T[i][j] = Dinv(j, i). */
    double *T = v.T[s];
    memset(T, 0, sizeof(double) * (size_t)n * n);
    for (int i = 0; i < n; i++) T[i + i * n] = 1.0;
    info = LAPACKE_dgetrs_work(LAPACK_COL_MAJOR, 'N', n, n, v.lu, n, v.ipiv, T, n);
    if (info != 0) return NAN;
  }
  return logdet - 0.5 * P->g * a * r2;
}

static double s_propose(const nqs_factor *f, const double *th, const double *x, void *cache, int p,
                        const double *xp, double *grad_new) {
  const slater_priv *P = f->priv;
  const int n = P->n, d = f->sys.dim, s = p / n, i = p % n;
  const double a = th[0] * f->sys.omega;
  sview v = view(P, cache);
  double dphi[SLATER_MAXORB * NQS_MAX_DIM];
  nqs_ho_eval(&P->orb, a, xp, v.phi, grad_new ? dphi : NULL, NULL, NULL);
  const double *Ti = v.T[s] + i * n;
  double R = 0;
  for (int j = 0; j < n; j++) R += v.phi[j] * Ti[j];
  *v.ratio = R;
  double dr2 = 0;
  for (int k = 0; k < d; k++) dr2 += xp[k] * xp[k] - x[p * d + k] * x[p * d + k];
  if (grad_new) {
    for (int k = 0; k < d; k++) {
      double gk = 0;
      for (int j = 0; j < n; j++) gk += dphi[j * d + k] * Ti[j];
      grad_new[k] += gk / R - P->g * a * xp[k];
    }
  }
  return log(fabs(R)) - 0.5 * P->g * a * dr2;
}

static void s_accept(const nqs_factor *f, const double *th, const double *x, void *cache, int p,
                     const double *xp) {
  const slater_priv *P = f->priv;
  const int n = P->n, s = p / n, i = p % n;
  sview v = view(P, cache);
  double *T = v.T[s];
  double *restrict Ti = T + i * n;
  const double *restrict phi = v.phi;
  const double invR = 1.0 / *v.ratio;
  for (int k = 0; k < n; k++) {
    if (k == i) continue;
    double *restrict Tk = T + k * n;
    double S = 0;
    for (int j = 0; j < n; j++) S += phi[j] * Tk[j];
    const double c = S * invR;
    for (int j = 0; j < n; j++) Tk[j] -= c * Ti[j];
  }
  for (int j = 0; j < n; j++) Ti[j] *= invR;
  if (invR < 0) *v.sign = -*v.sign;
}

static double s_sign(const nqs_factor *f, const void *cache) {
  return *view(f->priv, (void *)cache).sign;
}

static void s_grad_p(const nqs_factor *f, const double *th, const double *x, const void *cache, int p,
                     double *g) {
  const slater_priv *P = f->priv;
  const int n = P->n, d = f->sys.dim, s = p / n, i = p % n;
  const double a = th[0] * f->sys.omega;
  sview v = view(P, (void *)cache);
  double phi[SLATER_MAXORB], dphi[SLATER_MAXORB * NQS_MAX_DIM];
  nqs_ho_eval(&P->orb, a, x + p * d, phi, dphi, NULL, NULL);
  const double *Ti = v.T[s] + i * n;
  for (int k = 0; k < d; k++) {
    double gk = 0;
    for (int j = 0; j < n; j++) gk += dphi[j * d + k] * Ti[j];
    g[k] += gk - P->g * a * x[p * d + k];
  }
}

static void s_grad_lap(const nqs_factor *f, const double *th, const double *x, const void *cache,
                       double *g, double *lap) {
  const slater_priv *P = f->priv;
  const int n = P->n, d = f->sys.dim;
  const double a = th[0] * f->sys.omega;
  sview v = view(P, (void *)cache);
  double phi[SLATER_MAXORB], dphi[SLATER_MAXORB * NQS_MAX_DIM], lphi[SLATER_MAXORB];
  double L = 0;
  for (int p = 0; p < 2 * n; p++) {
    const double *Ti = v.T[p / n] + (p % n) * n;
    const double *r = x + p * d;
    nqs_ho_eval(&P->orb, a, r, phi, dphi, lphi, NULL);
    double gd2 = 0, lp = 0;
    for (int k = 0; k < d; k++) {
      double gk = 0;
      for (int j = 0; j < n; j++) gk += dphi[j * d + k] * Ti[j];
      g[p * d + k] += gk - P->g * a * r[k];
      gd2 += gk * gk;
    }
    for (int j = 0; j < n; j++) lp += lphi[j] * Ti[j];
    /* lap ln det = (lap det)/det - |grad det/det|^2; the Gaussian adds -a d */
    L += lp - gd2 - P->g * a * d;
  }
  *lap += L;
}

static void s_dparams(const nqs_factor *f, const double *th, const double *x, const void *cache,
                      double *o) {
  const slater_priv *P = f->priv;
  const int n = P->n, d = f->sys.dim;
  const double alpha = th[0], a = alpha * f->sys.omega;
  sview v = view(P, (void *)cache);
  double phi[SLATER_MAXORB], dphi[SLATER_MAXORB * NQS_MAX_DIM];
  double sum = 0, r2 = 0;
  for (int p = 0; p < 2 * n; p++) {
    const double *Ti = v.T[p / n] + (p % n) * n;
    const double *r = x + p * d;
    nqs_ho_eval(&P->orb, a, r, phi, dphi, NULL, NULL);
    for (int j = 0; j < n; j++) {
      double rg = 0;
      for (int k = 0; k < d; k++) rg += r[k] * dphi[j * d + k];
      sum += rg * Ti[j];
    }
    for (int k = 0; k < d; k++) r2 += r[k] * r[k];
  }
  o[0] = sum / (2.0 * alpha) - 0.5 * P->g * f->sys.omega * r2;
}

static void s_free(nqs_factor *f) { free(f->priv); }

static nqs_factor *s_create(const nqs_system *sys, const nqs_factor_options *o, nqs_error *err);

const nqs_factor_type nqs_factor_slater = {
    .name = "slater",
    .help = "Slater determinants D_up*D_down of Hermite-function oscillator orbitals, orbital scale alpha",
    .binds = 1,
    .fermionic = 1,
    .create = s_create,
    .cache_size = s_cache_size,
    .init = s_init,
    .propose = s_propose,
    .accept = s_accept,
    .grad_p = s_grad_p,
    .grad_lap = s_grad_lap,
    .dparams = s_dparams,
    .sign = s_sign,
    .free_priv = s_free,
};

static nqs_factor *s_create(const nqs_system *sys, const nqs_factor_options *o, nqs_error *err) {
  if (sys->statistics != NQS_FERMIONS) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.factors", "factor 'slater' needs statistics = fermions (use 'gaussian' for bosons and distinguishable particles)");
    return NULL;
  }
  if (!(o->alpha > 0)) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.alpha", "alpha = %g: the orbital scale must be > 0", o->alpha);
    return NULL;
  }
  slater_priv *P = calloc(1, sizeof *P);
  if (P && nqs_ho_orbitals_init(&P->orb, sys->dim, sys->n_up)) {
    free(P);
    nqs_error_setk(err, NQS_EINPUT, "system.particles", "factor 'slater': %d particles per spin do not fill closed shells of at most %d orbitals", sys->n_up, NQS_HO_MAXORB);
    return NULL;
  }
  nqs_factor *f = P ? nqs_factor_alloc(&nqs_factor_slater, sys, 1) : NULL;
  if (!f) {
    free(P);
    nqs_error_set(err, NQS_ENOMEM, "out of memory creating the Slater factor");
    return NULL;
  }
  P->n = sys->n_up;
  P->g = o->slater_bare ? 0.0 : 1.0;
  f->priv = P;
  snprintf(f->param_names[0], NQS_PARAM_NAME, "alpha");
  f->theta0[0] = o->alpha;
  f->lower[0] = 1e-6;
  return f;
}
