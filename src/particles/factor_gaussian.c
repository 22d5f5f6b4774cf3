/* factor_gaussian.c — one-body Gaussian, the exact non-interacting boson ground state.
 *
 *   ln f = -1/2 alpha omega sum_i sum_k c_k x_ik^2,   c_k = 1, lambda on the last axis (elliptic)
 *
 * One parameter alpha (> 0). No cache: every quantity is O(dim) per particle. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "nqs/particles/factor.h"

static double axis_c(const nqs_system *s, int k) {
  return (s->dim > 1 && k == s->dim - 1) ? s->lambda : 1.0;
}

static size_t g_cache_size(const nqs_factor *f) { return 0; }

/* q = sum_i sum_k c_k x_ik^2 */
static double g_q(const nqs_system *s, const double *x) {
  double q = 0;
  for (int i = 0; i < s->n; i++)
    for (int k = 0; k < s->dim; k++) q += axis_c(s, k) * x[i * s->dim + k] * x[i * s->dim + k];
  return q;
}

static double g_init(const nqs_factor *f, const double *th, const double *x, void *cache) {
  return -0.5 * th[0] * f->sys.omega * g_q(&f->sys, x);
}

static double g_propose(const nqs_factor *f, const double *th, const double *x, void *cache, int p,
                        const double *xp, double *grad_new) {
  const nqs_system *s = &f->sys;
  const double a = th[0] * s->omega;
  double dq = 0;
  for (int k = 0; k < s->dim; k++) {
    double c = axis_c(s, k), xo = x[p * s->dim + k];
    dq += c * (xp[k] * xp[k] - xo * xo);
    if (grad_new) grad_new[k] += -a * c * xp[k];
  }
  return -0.5 * a * dq;
}

static void g_accept(const nqs_factor *f, const double *th, const double *x, void *cache, int p,
                     const double *xp) {}

static void g_grad_p(const nqs_factor *f, const double *th, const double *x, const void *cache, int p,
                     double *g) {
  const nqs_system *s = &f->sys;
  for (int k = 0; k < s->dim; k++) g[k] += -th[0] * s->omega * axis_c(s, k) * x[p * s->dim + k];
}

static void g_grad_lap(const nqs_factor *f, const double *th, const double *x, const void *cache,
                       double *g, double *lap) {
  const nqs_system *s = &f->sys;
  const double a = th[0] * s->omega;
  double csum = 0;
  for (int k = 0; k < s->dim; k++) csum += axis_c(s, k);
  for (int i = 0; i < s->n; i++)
    for (int k = 0; k < s->dim; k++) g[i * s->dim + k] += -a * axis_c(s, k) * x[i * s->dim + k];
  *lap += -a * csum * s->n;
}

static void g_dparams(const nqs_factor *f, const double *th, const double *x, const void *cache,
                      double *o) {
  o[0] = -0.5 * f->sys.omega * g_q(&f->sys, x);
}

static nqs_factor *g_create(const nqs_system *sys, const nqs_factor_options *o, nqs_error *err);

/* Own input keys ([wavefunction]). */
static const nqs_option own_options[] = {
    {"wavefunction", "alpha", NQS_K_REAL, NQS_OPTION_FIELD(wavefunction.alpha), "1.0", 0, 1e3, 1, NULL,
     "initial Gaussian width / orbital scale (1 = non-interacting optimum)"},
    {0}};

const nqs_factor_type nqs_factor_gaussian = {
    .name = "gaussian",
    .binds = 1,
    .fermionic = 0,
    .create = g_create,
    .help = "one-body Gaussian exp(-alpha*omega*sum c_k x_k^2/2); exact for non-interacting bosons at alpha = 1",
    .cache_size = g_cache_size,
    .init = g_init,
    .propose = g_propose,
    .accept = g_accept,
    .grad_p = g_grad_p,
    .grad_lap = g_grad_lap,
    .dparams = g_dparams,
    .free_priv = NULL,
    .options = own_options};
static nqs_factor *g_create(const nqs_system *sys, const nqs_factor_options *o, nqs_error *err) {
  if (!(o->alpha > 0)) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.alpha", "alpha = %g: the Gaussian width parameter must be > 0", o->alpha);
    return NULL;
  }
  nqs_factor *f = nqs_factor_alloc(&nqs_factor_gaussian, sys, 1);
  if (!f) {
    nqs_error_set(err, NQS_ENOMEM, "out of memory creating the Gaussian factor");
    return NULL;
  }
  snprintf(f->param_names[0], NQS_PARAM_NAME, "alpha");
  f->theta0[0] = o->alpha;
  f->lower[0] = 1e-6;
  return f;
}
