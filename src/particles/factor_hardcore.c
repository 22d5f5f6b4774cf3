/* factor_hardcore.c — the hard-core Jastrow factor of hard-sphere bosons (the classic correlated
 * trial function of the dilute Bose gas in a trap):
 *
 *   f = prod_{i<j} u(r_ij),   u(r) = 1 - a/r for r > a, 0 for r <= a,
 *
 * with a the potential's hard-core radius (nqs_system.core, [system] core_radius). With
 * g(r) = ln u(r) = ln(1 - a/r):
 *   g'(r)  = a / (r (r - a))
 *   g''(r) = -a (2 r - a) / (r (r - a))^2
 *   grad_i ln f = sum_{j != i} g'(r_ij) (x_i - x_j) / r_ij
 *   lap_i ln f  = sum_{j != i} [ g''(r_ij) + (d - 1) g'(r_ij) / r_ij ]
 * A configuration with a pair inside the core is singular (init returns NaN, so walkers start
 * outside), and a move into the core has ratio 0 (propose returns -inf): no walker ever stands
 * inside a hard core. No parameters; no cache (a move costs O(N d)). */
#include <math.h>
#include <stdio.h>
#include "nqs/particles/factor.h"

static double dist(const nqs_system *s, const double *a, const double *b, double *dx) {
  double r2 = 0;
  for (int k = 0; k < s->dim; k++) {
    dx[k] = a[k] - b[k];
    r2 += dx[k] * dx[k];
  }
  return sqrt(r2);
}

static size_t h_cache_size(const nqs_factor *f) { return 0; }

static double h_init(const nqs_factor *f, const double *th, const double *x, void *cache) {
  const nqs_system *s = &f->sys;
  const double a = s->core;
  double sum = 0, dx[NQS_MAX_DIM];
  for (int i = 0; i < s->n; i++)
    for (int j = i + 1; j < s->n; j++) {
      const double r = dist(s, x + i * s->dim, x + j * s->dim, dx);
      if (r <= a) return NAN;
      sum += log(1 - a / r);
    }
  return sum;
}

static double h_propose(const nqs_factor *f, const double *th, const double *x, void *cache, int p, const double *xp,
                        double *grad_new) {
  const nqs_system *s = &f->sys;
  const int d = s->dim;
  const double a = s->core;
  double dl = 0, dx[NQS_MAX_DIM], g[NQS_MAX_DIM] = {0};
  for (int j = 0; j < s->n; j++) {
    if (j == p) continue;
    const double rn = dist(s, xp, x + j * d, dx);
    if (rn <= a) return -INFINITY;
    const double gp = a / (rn * (rn - a));
    for (int k = 0; k < d; k++) g[k] += gp * dx[k] / rn;
    const double ro = dist(s, x + p * d, x + j * d, dx);
    dl += log(1 - a / rn) - log(1 - a / ro);
  }
  if (grad_new)
    for (int k = 0; k < d; k++) grad_new[k] += g[k];
  return dl;
}

static void h_accept(const nqs_factor *f, const double *th, const double *x, void *cache, int p, const double *xp) {}

static void h_grad_p(const nqs_factor *f, const double *th, const double *x, const void *cache, int p, double *g) {
  const nqs_system *s = &f->sys;
  const int d = s->dim;
  double dx[NQS_MAX_DIM];
  for (int j = 0; j < s->n; j++) {
    if (j == p) continue;
    const double r = dist(s, x + p * d, x + j * d, dx), gp = s->core / (r * (r - s->core));
    for (int k = 0; k < d; k++) g[k] += gp * dx[k] / r;
  }
}

static void h_grad_lap(const nqs_factor *f, const double *th, const double *x, const void *cache, double *g, double *lap) {
  const nqs_system *s = &f->sys;
  const int d = s->dim;
  const double a = s->core;
  double dx[NQS_MAX_DIM];
  for (int i = 0; i < s->n; i++)
    for (int j = i + 1; j < s->n; j++) {
      const double r = dist(s, x + i * d, x + j * d, dx), q = r * (r - a);
      const double gp = a / q, gpp = -a * (2 * r - a) / (q * q);
      for (int k = 0; k < d; k++) {
        g[i * d + k] += gp * dx[k] / r;
        g[j * d + k] -= gp * dx[k] / r;
      }
      *lap += 2 * (gpp + (d - 1) * gp / r); /* particles i and j alike */
    }
}

static void h_dparams(const nqs_factor *f, const double *th, const double *x, const void *cache, double *o) {}

static nqs_factor *h_create(const nqs_system *sys, const nqs_factor_options *o, nqs_error *err) {
  if (sys->statistics != NQS_BOSONS && sys->statistics != NQS_DISTINGUISHABLE) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.factors", "factor 'hardcore' is a symmetric Jastrow for bosons: set statistics = bosons");
    return NULL;
  }
  if (!sys->pot->core) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.factors",
                   "factor 'hardcore' needs a hard-core interaction (its radius): set [system] interaction = hard_sphere");
    return NULL;
  }
  nqs_factor *f = nqs_factor_alloc(&nqs_factor_hardcore, sys, 0);
  if (!f) nqs_error_set(err, NQS_ENOMEM, "out of memory creating the hard-core factor");
  return f;
}

const nqs_factor_type nqs_factor_hardcore = {
    .name = "hardcore",
    .help = "hard-core Jastrow prod_{i<j} (1 - a/r_ij), zero inside the core radius a (interaction = hard_sphere)",
    .binds = 0,
    .fermionic = 0,
    .create = h_create,
    .cache_size = h_cache_size,
    .init = h_init,
    .propose = h_propose,
    .accept = h_accept,
    .grad_p = h_grad_p,
    .grad_lap = h_grad_lap,
    .dparams = h_dparams,
    .free_priv = NULL,
};
