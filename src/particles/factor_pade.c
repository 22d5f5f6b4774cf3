/* factor_pade.c — Pade-Jastrow correlation factor.
 *
 *   ln J = sum_{i<j} u_ij(r_ij),   u_ij(r) = a_ij r / (1 + beta r)
 *   u'  = a / (1 + beta r)^2,      u'' = -2 a beta / (1 + beta r)^3
 *   grad_i ln J = sum_{j != i} u'(r_ij) (r_i - r_j) / r_ij
 *   lap_i  ln J = sum_{j != i} [ u''(r_ij) + (d - 1) u'(r_ij) / r_ij ]
 *   d ln J / d beta = - sum_{i<j} a_ij r_ij^2 / (1 + beta r_ij)^2
 *
 * a_ij is fixed by the Coulomb cusp (Kato): 1/(d-1) for unlike spins or
 * non-fermions, 1/(d+1) for like spins (2D: 1 and 1/3; 3D: 1/2 and 1/4).
 * The cache holds the full distance table r[n*n] and, during a proposal, the
 * new distances of the moved particle: a move costs O(n d) and touches every
 * pair (p, j), j != p — all n - 1 of them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/particles/factor.h"

typedef struct {
  double *a; /* n*n */
} pade_priv;

static size_t p_cache_size(const nqs_factor *f) {
  const int n = f->sys.n;
  return sizeof(double) * (size_t)(n * n + n);
}

static double dist(const double *x, const double *y, int d) {
  double r2 = 0;
  for (int k = 0; k < d; k++) r2 += (x[k] - y[k]) * (x[k] - y[k]);
  return sqrt(r2);
}

static double p_init(const nqs_factor *f, const double *th, const double *x, void *cache) {
  const pade_priv *P = f->priv;
  const int n = f->sys.n, d = f->sys.dim;
  const double beta = th[0];
  double *r = cache, s = 0;
  for (int i = 0; i < n; i++) {
    r[i * n + i] = 0;
    for (int j = i + 1; j < n; j++) {
      double rij = dist(x + i * d, x + j * d, d);
      r[i * n + j] = r[j * n + i] = rij;
      s += P->a[i * n + j] * rij / (1.0 + beta * rij);
    }
  }
  return s;
}

static double p_propose(const nqs_factor *f, const double *th, const double *x, void *cache, int p,
                        const double *xp, double *grad_new) {
  const pade_priv *P = f->priv;
  const int n = f->sys.n, d = f->sys.dim;
  const double beta = th[0];
  const double *r = (const double *)cache + p * n;
  double *rnew = (double *)cache + n * n;
  const double *a = P->a + p * n;
  double du = 0;
  for (int j = 0; j < n; j++) {
    if (j == p) continue;
    const double rn = dist(xp, x + j * d, d);
    rnew[j] = rn;
    du += a[j] * (rn / (1.0 + beta * rn) - r[j] / (1.0 + beta * r[j]));
    if (grad_new) {
      const double q = 1.0 + beta * rn;
      const double c = a[j] / (q * q * rn);
      for (int k = 0; k < d; k++) grad_new[k] += c * (xp[k] - x[j * d + k]);
    }
  }
  rnew[p] = 0;
  return du;
}

static void p_accept(const nqs_factor *f, const double *th, const double *x, void *cache, int p,
                     const double *xp) {
  const int n = f->sys.n;
  double *r = cache;
  const double *rnew = r + n * n;
  for (int j = 0; j < n; j++) r[p * n + j] = r[j * n + p] = rnew[j];
}

static void p_grad_p(const nqs_factor *f, const double *th, const double *x, const void *cache, int p,
                     double *g) {
  const pade_priv *P = f->priv;
  const int n = f->sys.n, d = f->sys.dim;
  const double beta = th[0];
  const double *r = (const double *)cache + p * n;
  const double *a = P->a + p * n;
  for (int j = 0; j < n; j++) {
    if (j == p) continue;
    const double q = 1.0 + beta * r[j];
    const double c = a[j] / (q * q * r[j]);
    for (int k = 0; k < d; k++) g[k] += c * (x[p * d + k] - x[j * d + k]);
  }
}

static void p_grad_lap(const nqs_factor *f, const double *th, const double *x, const void *cache,
                       double *g, double *lap) {
  const pade_priv *P = f->priv;
  const int n = f->sys.n, d = f->sys.dim;
  const double beta = th[0];
  const double *r = cache;
  double L = 0;
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      const double rij = r[i * n + j], aij = P->a[i * n + j];
      const double q = 1.0 + beta * rij;
      const double u1 = aij / (q * q), u2 = -2.0 * aij * beta / (q * q * q);
      const double c = u1 / rij;
      for (int k = 0; k < d; k++) {
        const double gk = c * (x[i * d + k] - x[j * d + k]);
        g[i * d + k] += gk;
        g[j * d + k] -= gk;
      }
      L += 2.0 * (u2 + (d - 1) * c); /* the pair term enters lap_i and lap_j */
    }
  *lap += L;
}

static void p_dparams(const nqs_factor *f, const double *th, const double *x, const void *cache,
                      double *o) {
  const pade_priv *P = f->priv;
  const int n = f->sys.n;
  const double beta = th[0];
  const double *r = cache;
  double s = 0;
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      const double rij = r[i * n + j], q = 1.0 + beta * rij;
      s -= P->a[i * n + j] * rij * rij / (q * q);
    }
  o[0] = s;
}

static void p_free(nqs_factor *f) {
  pade_priv *P = f->priv;
  if (P) free(P->a);
  free(P);
}

static nqs_factor *p_create(const nqs_system *sys, const nqs_factor_options *o, nqs_error *err);

/* Own input keys ([wavefunction]). */
static const nqs_option own_options[] = {
    {"wavefunction", "beta", NQS_K_REAL, NQS_OPTION_FIELD(wavefunction.beta), "0.5", 0, 1e3, 0, NULL, "initial Pade-Jastrow beta"},
    {0}};

const nqs_factor_type nqs_factor_pade = {
    .name = "pade",
    .help = "Pade-Jastrow exp(sum_{i<j} a_ij r_ij/(1+beta r_ij)), a_ij fixed by the Coulomb cusp, variational beta",
    .binds = 0,
    .fermionic = 0,
    .create = p_create,
    .cache_size = p_cache_size,
    .init = p_init,
    .propose = p_propose,
    .accept = p_accept,
    .grad_p = p_grad_p,
    .grad_lap = p_grad_lap,
    .dparams = p_dparams,
    .free_priv = p_free,
    .options = own_options};

static nqs_factor *p_create(const nqs_system *sys, const nqs_factor_options *o, nqs_error *err) {
  const int n = sys->n, d = sys->dim;
  double a_par = o->pade_a_parallel, a_anti = o->pade_a_antiparallel;
  if (o->pade_cusp) {
    if (sys->pot != &nqs_potential_coulomb) {
      nqs_error_setk(err, NQS_EINPUT, "wavefunction.factors",
                    "factor 'pade' without the Coulomb interaction: the cusp condition gives a = 0 and the factor would be constant; "
                    "remove 'pade' from [wavefunction] factors or set [system] interaction = coulomb");
      return NULL;
    }
    a_anti = 1.0 / (d - 1);
    a_par = (sys->statistics == NQS_FERMIONS) ? 1.0 / (d + 1) : a_anti;
  }
  if (!(o->beta >= 0) || !isfinite(o->beta)) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.beta", "beta = %g: the Pade-Jastrow beta must be a finite number >= 0", o->beta);
    return NULL;
  }
  pade_priv *P = calloc(1, sizeof *P);
  if (P) P->a = malloc(sizeof(double) * (size_t)n * n);
  nqs_factor *f = (P && P->a) ? nqs_factor_alloc(&nqs_factor_pade, sys, 1) : NULL;
  if (!f) {
    if (P) free(P->a);
    free(P);
    nqs_error_set(err, NQS_ENOMEM, "out of memory creating the Pade-Jastrow factor");
    return NULL;
  }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      int same_spin = sys->statistics == NQS_FERMIONS && ((i < sys->n_up) == (j < sys->n_up));
      P->a[i * n + j] = (i == j) ? 0.0 : same_spin ? a_par : a_anti;
    }
  f->priv = P;
  snprintf(f->param_names[0], NQS_PARAM_NAME, "beta");
  f->theta0[0] = o->beta;
  f->lower[0] = 0.0;
  return f;
}
