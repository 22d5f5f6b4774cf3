/* factor_rbm.c — Gaussian-binary restricted Boltzmann machine (DESIGN.md §2; seeds 000, 001).
 *
 * Visible x in R^M (M = n d, x_i = coordinate i of the walker), hidden h in {0,1}^H:
 *   E(x,h) = sum_i (x_i - a_i)^2 / (2 s2) - sum_j b_j h_j - sum_ij x_i W_ij h_j / s2,   s2 = sigma^2
 *   F(x)   = sum_h e^{-E} = exp(-sum_i (x_i - a_i)^2 / (2 s2)) prod_j (1 + e^{theta_j}),
 *   theta_j = b_j + sum_i x_i W_ij / s2.
 * Two conventions: Psi = F (c = 1) or Psi = sqrt(F) (c = 1/2, |Psi|^2 = F, Gibbs-samplable):
 *   ln Psi        = c [ -sum_i (x_i - a_i)^2/(2 s2) + sum_j softplus(theta_j) ]
 *   d/dx_i        = c [ -(x_i - a_i)/s2 + sum_j W_ij sigmoid(theta_j) / s2 ]
 *   d2/dx_i2      = c [ -1/s2 + sum_j W_ij^2 sigmoid(theta_j)(1 - sigmoid(theta_j)) / s2^2 ]
 *   d/da_i = c (x_i - a_i)/s2,  d/db_j = c sigmoid(theta_j),  d/dW_ij = c x_i sigmoid(theta_j)/s2.
 * Parameters, one flat slice with named views: a[M] | b[H] | W[M*H] (row-major, W[i*H + j]).
 * Cache: theta[H] | theta_new[H] | sig[H] | dsig[H]; a move of particle p changes d
 * visible units, so theta is updated in O(d H). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/core/memory.h"
#include "nqs/particles/factor.h"
#include "nqs/nn/rbm.h"
#include "nqs/core/rng.h"
#include "nqs/particles/sampler.h"
#include "nqs/particles/wavefunction.h"

typedef struct {
  int M, H;
  double s2, c; /* sigma^2; exponent 1 or 1/2 */
} rbm_priv;

typedef struct {
  const double *a, *b, *W;
} rbm_params;

static rbm_params views(const rbm_priv *P, const double *th) {
  rbm_params v = {th, th + P->M, th + P->M + P->H};
  return v;
}


static size_t r_cache_size(const nqs_factor *f) {
  const rbm_priv *P = f->priv;
  return sizeof(double) * 4 * (size_t)P->H;
}

static double r_init(const nqs_factor *f, const double *th, const double *x, void *cache) {
  const rbm_priv *P = f->priv;
  const int M = P->M, H = P->H;
  rbm_params v = views(P, th);
  double *theta = cache;
  nqs_rbm_angles(M, H, v.b, v.W, x, 1.0 / P->s2, theta);
  double q = 0;
  for (int i = 0; i < M; i++) q += (x[i] - v.a[i]) * (x[i] - v.a[i]);
  return P->c * (-q / (2 * P->s2) + nqs_rbm_log_hidden(H, theta));
}

static double r_propose(const nqs_factor *f, const double *th, const double *x, void *cache, int p,
                        const double *xp, double *grad_new) {
  const rbm_priv *P = f->priv;
  const int H = P->H, d = f->sys.dim;
  rbm_params v = views(P, th);
  const double *theta = cache;
  double *tn = (double *)cache + H;
  double dq = 0;
  for (int k = 0; k < d; k++) {
    const int i = p * d + k;
    nqs_rbm_angles_shift(H, v.W, i, (xp[k] - x[i]) / P->s2, k == 0 ? theta : tn, tn);
    dq += (xp[k] - v.a[i]) * (xp[k] - v.a[i]) - (x[i] - v.a[i]) * (x[i] - v.a[i]);
  }
  const double dsp = nqs_rbm_log_hidden(H, tn) - nqs_rbm_log_hidden(H, theta);
  if (grad_new) {
    for (int k = 0; k < d; k++) {
      const int i = p * d + k;
      const double *Wi = v.W + (size_t)i * H;
      double s = 0;
      for (int j = 0; j < H; j++) s += Wi[j] * nqs_sigmoid(tn[j]);
      grad_new[k] += P->c * (-(xp[k] - v.a[i]) + s) / P->s2;
    }
  }
  return P->c * (-dq / (2 * P->s2) + dsp);
}

static void r_accept(const nqs_factor *f, const double *th, const double *x, void *cache, int p,
                     const double *xp) {
  const rbm_priv *P = f->priv;
  memcpy(cache, (double *)cache + P->H, sizeof(double) * P->H);
}

static void r_grad_p(const nqs_factor *f, const double *th, const double *x, const void *cache, int p,
                     double *g) {
  const rbm_priv *P = f->priv;
  const int H = P->H, d = f->sys.dim;
  rbm_params v = views(P, th);
  const double *theta = cache;
  for (int k = 0; k < d; k++) {
    const int i = p * d + k;
    const double *Wi = v.W + (size_t)i * H;
    double s = 0;
    for (int j = 0; j < H; j++) s += Wi[j] * nqs_sigmoid(theta[j]);
    g[k] += P->c * (-(x[i] - v.a[i]) + s) / P->s2;
  }
}

static void r_grad_lap(const nqs_factor *f, const double *th, const double *x, const void *cache,
                       double *g, double *lap) {
  const rbm_priv *P = f->priv;
  const int M = P->M, H = P->H;
  rbm_params v = views(P, th);
  const double *theta = cache;
  double *sig = (double *)cache + 2 * H, *dsig = sig + H; /* scratch in the cache */
  for (int j = 0; j < H; j++) {
    sig[j] = nqs_sigmoid(theta[j]);
    dsig[j] = sig[j] * (1 - sig[j]);
  }
  double L = 0;
  for (int i = 0; i < M; i++) {
    const double *Wi = v.W + (size_t)i * H;
    double s1 = 0, s2 = 0;
    for (int j = 0; j < H; j++) {
      s1 += Wi[j] * sig[j];
      s2 += Wi[j] * Wi[j] * dsig[j];
    }
    g[i] += P->c * (-(x[i] - v.a[i]) + s1) / P->s2;
    L += -1.0 / P->s2 + s2 / (P->s2 * P->s2);
  }
  *lap += P->c * L;
}

static void r_dparams(const nqs_factor *f, const double *th, const double *x, const void *cache,
                      double *o) {
  const rbm_priv *P = f->priv;
  const int M = P->M, H = P->H;
  rbm_params v = views(P, th);
  const double *theta = cache;
  double *oa = o, *ob = o + M, *oW = o + M + H;
  for (int i = 0; i < M; i++) oa[i] = P->c * (x[i] - v.a[i]) / P->s2;
  for (int j = 0; j < H; j++) ob[j] = P->c * nqs_sigmoid(theta[j]);
  for (int i = 0; i < M; i++) {
    const double xi = x[i] / P->s2;
    double *oWi = oW + (size_t)i * H;
    for (int j = 0; j < H; j++) oWi[j] = xi * ob[j];
  }
}

static void r_free(nqs_factor *f) { free(f->priv); }

static nqs_factor *r_create(const nqs_system *sys, const nqs_factor_options *o, nqs_error *err);

/* Own input keys ([wavefunction]). */
static const nqs_option own_options[] = {
    {"wavefunction", "hidden", NQS_K_INT, NQS_OPTION_FIELD(wavefunction.hidden), "4", 1, 100000, 0, NULL, "hidden units of the rbm factor"},
    {"wavefunction", "rbm_psi", NQS_K_CHOICE, NQS_OPTION_FIELD(wavefunction.rbm_psi), "sqrtF", 0, 0, 0, "sqrtF|F",
     "RBM convention: Psi = sqrt(F) (|Psi|^2 = F, Gibbs-samplable) or Psi = F"},
    {"wavefunction", "sigma", NQS_K_REAL, NQS_OPTION_FIELD(wavefunction.sigma), "0", 0, 1e3, 0, NULL,
     "RBM visible width sigma; 0 = the trap's: 1/sqrt(omega) for F, 1/sqrt(2 omega) for sqrtF"},
    {"wavefunction", "init_std", NQS_K_REAL, NQS_OPTION_FIELD(wavefunction.init_std), "0.01", 0, 10, 0, NULL,
     "standard deviation of the random initial RBM weights and of the ffnn output layer"},
    {0}};

const nqs_factor_type nqs_factor_rbm = {
    .name = "rbm",
    .help = "Gaussian-binary RBM: Psi = F(x) or sqrt(F(x)), F = sum_h exp(-E(x,h)); hidden units, sigma",
    .binds = 1,
    .fermionic = 0,
    .create = r_create,
    .cache_size = r_cache_size,
    .init = r_init,
    .propose = r_propose,
    .accept = r_accept,
    .grad_p = r_grad_p,
    .grad_lap = r_grad_lap,
    .dparams = r_dparams,
    .free_priv = r_free,
    .options = own_options};

static nqs_factor *r_create(const nqs_system *sys, const nqs_factor_options *o, nqs_error *err) {
  if (o->hidden < 1) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.hidden", "hidden = %d: the RBM needs at least one hidden unit", o->hidden);
    return NULL;
  }
  if (!(o->rbm_sigma > 0) || !isfinite(o->rbm_sigma)) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.sigma", "sigma = %g: the RBM visible width must be > 0", o->rbm_sigma);
    return NULL;
  }
  const int M = sys->n * sys->dim, H = o->hidden;
  const long np = (long)M + H + (long)M * H;
  if (np > 100000000L) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.hidden", "hidden = %d gives %ld RBM parameters; at most 1e8", H, np);
    return NULL;
  }
  char what[96];
  snprintf(what, sizeof what, "an RBM of %ld parameters", np);
  if (nqs_memory_check((double)np * nqs_memory_per_param(o->walkers), o->memory_limit, "wavefunction.hidden", what,
                       "use fewer hidden units", err))
    return NULL;
  rbm_priv *P = calloc(1, sizeof *P);
  nqs_factor *f = P ? nqs_factor_alloc(&nqs_factor_rbm, sys, (int)np) : NULL;
  if (!f) {
    free(P);
    nqs_error_set(err, NQS_ENOMEM, "out of memory for an RBM with %ld parameters", np);
    return NULL;
  }
  P->M = M;
  P->H = H;
  P->s2 = o->rbm_sigma * o->rbm_sigma;
  P->c = o->rbm_sqrt ? 0.5 : 1.0;
  f->priv = P;
  /* Small random initial values break the hidden-unit symmetry; a = 0 centres the Gaussian. */
  nqs_rng rng;
  nqs_rng_seed(&rng, o->seed, 0x5EEDBA5EULL);
  for (long k = 0; k < np; k++) {
    f->theta0[k] = (k < M) ? 0.0 : o->init_std * nqs_rng_normal(&rng);
    if (k < M) snprintf(f->param_names[k], NQS_PARAM_NAME, "a[%ld]", k);
    else if (k < M + H) snprintf(f->param_names[k], NQS_PARAM_NAME, "b[%ld]", k - M);
    else snprintf(f->param_names[k], NQS_PARAM_NAME, "W[%ld,%ld]", (k - M - H) / H, (k - M - H) % H);
  }
  return f;
}

/* Gibbs sweep for Psi = sqrt(F) alone (|Psi|^2 = F is the RBM marginal):
 *   h_j | x ~ Bernoulli(nqs_sigmoid(theta_j)),   x_i | h ~ N(a_i + sum_j W_ij h_j, sigma^2).
 * Every visible unit is redrawn, so the walker is re-initialised afterwards.
 * Cost O(M H). Returns n (every particle moves). */
long nqs_rbm_gibbs_sweep(const nqs_wavefunction *wf, nqs_walker *w, double step) {
  const nqs_factor *f = wf->factors[0];
  const rbm_priv *P = f->priv;
  const int M = P->M, H = P->H;
  rbm_params v = views(P, wf->params + wf->param_off[0]);
  double *theta = w->cache; /* the RBM is the only factor: cache offset 0 */
  double *h = theta + 2 * H; /* scratch (sig) reused for the hidden sample */
  for (int j = 0; j < H; j++) h[j] = nqs_rng_uniform(&w->rng) < nqs_sigmoid(theta[j]) ? 1.0 : 0.0;
  const double sd = sqrt(P->s2);
  for (int i = 0; i < M; i++) {
    const double *Wi = v.W + (size_t)i * H;
    double m = v.a[i];
    for (int j = 0; j < H; j++) m += Wi[j] * h[j];
    w->x[i] = m + sd * nqs_rng_normal(&w->rng);
  }
  nqs_wf_walker_init(wf, w, NULL);
  w->accepted += wf->sys.n;
  w->proposed += wf->sys.n;
  return wf->sys.n;
}

nqs_status nqs_rbm_gibbs_check(const nqs_wavefunction *wf, nqs_error *err) {
  if (wf->nfactors != 1 || wf->factors[0]->type != &nqs_factor_rbm)
    return nqs_error_setk(err, NQS_EINPUT, "sampler.method",
                          "gibbs samples |Psi|^2 = F of an RBM alone: use factors = rbm (with rbm_psi = sqrtF), or "
                          "method = metropolis / langevin for products");
  const rbm_priv *P = wf->factors[0]->priv;
  if (P->c != 0.5)
    return nqs_error_setk(err, NQS_EINPUT, "sampler.method",
                          "gibbs needs rbm_psi = sqrtF (|Psi|^2 = F); with rbm_psi = F use metropolis or langevin");
  return NQS_OK;
}
