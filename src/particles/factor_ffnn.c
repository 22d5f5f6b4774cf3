/* factor_ffnn.c — feed-forward neural-network correlator ln J = NN(inputs).
 *
 * input = pairs (default; symmetric under exchange of identical particles):
 *   ln J = sum_{i<j} u(r_ij, s_ij),  u = NN(r, s),  s = 1 for like spins (fermions), else 0
 *   grad_i ln J = sum_j u'(r_ij) (r_i - r_j)/r_ij,   lap_i = sum_j u'' + (d-1) u'/r
 *   with u' = du/dr and u'' = d2u/dr2 from one forward-mode pass along the r input.
 *   The cache keeps r_ij, u_ij, u'_ij and u''_ij; a move costs one batched pass over
 *   the n - 1 pairs of the new row (derivatives included), and the drift and the
 *   local energy then need no network pass at all. Batches put the pairs in the
 *   inner loops, which vectorise (nqs_mlp_forward_batch).
 * input = coords (distinguishable particles only: not symmetric):
 *   ln J = NN(x_1 ... x_M), M = n d; grad by back-propagation, the Laplacian by
 *   M forward-mode passes along the unit vectors (exact second derivatives).
 * d ln J / d theta by back-propagation (summed over pairs in the pair form). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/core/memory.h"
#include "nqs/particles/factor.h"
#include "nqs/nn/mlp.h"
#include "nqs/core/rng.h"

/* Pair networks are evaluated in batches of up to BATCH pairs (nqs_mlp_*_batch). */
#define BATCH 64

typedef struct {
  nqs_mlp net;
  int coords;
  int ws;        /* doubles of MLP workspace */
  int npairs;    /* n (n - 1) / 2 */
  int *pi, *pj;  /* npairs: pair k is (pi[k], pj[k]), i < j */
} ffnn_priv;

/* Cache views. pairs: r | u | u1 | u2 (n*n each) | rnew | unew | u1new | u2new (n each)
 *                     | X (2 BATCH) | Y (3 BATCH) | work
 *              coords: y | ynew | xs[M] | gx[M] | work */
typedef struct {
  double *r, *u, *u1, *u2, *rn, *un, *u1n, *u2n, *X, *Y, *work;
} pview;

static pview pairs_view(int n, const void *cache) {
  double *c = (double *)cache;
  const size_t nn = (size_t)n * n, e = 4 * nn + 4 * (size_t)n;
  pview v = {c, c + nn, c + 2 * nn, c + 3 * nn, c + 4 * nn, c + 4 * nn + n, c + 4 * nn + 2 * n, c + 4 * nn + 3 * n,
             c + e, c + e + 2 * BATCH, c + e + 5 * BATCH};
  return v;
}

static size_t f_cache_size(const nqs_factor *f) {
  const ffnn_priv *P = f->priv;
  const int n = f->sys.n, M = n * f->sys.dim;
  size_t d = P->coords ? (size_t)(2 + 2 * M) : (size_t)(4 * n * n + 4 * n + 5 * BATCH);
  return sizeof(double) * (d + (size_t)P->ws);
}

static double same_spin(const nqs_system *s, int i, int j) {
  return (s->statistics == NQS_FERMIONS && ((i < s->n_up) == (j < s->n_up))) ? 1.0 : 0.0;
}

static double dist(const double *a, const double *b, int d) {
  double r2 = 0;
  for (int k = 0; k < d; k++) r2 += (a[k] - b[k]) * (a[k] - b[k]);
  return sqrt(r2);
}

/* u, du/dr and d2u/dr2 for the B <= BATCH pairs whose inputs the caller put in
 * v->X (r in X[0..B), like-spin flag in X[B..2B)); results in v->Y, v->Y + B, v->Y + 2B. */
static void pair_batch(const ffnn_priv *P, const double *th, int B, const pview *v) {
  static const double dir[2] = {1.0, 0.0}; /* d/dr */
  double *Y = v->Y;
  nqs_mlp_forward_batch(&P->net, th, B, v->X, dir, Y, Y + B, Y + 2 * B, v->work);
}

static double f_init(const nqs_factor *f, const double *th, const double *x, void *cache) {
  const ffnn_priv *P = f->priv;
  const int n = f->sys.n, d = f->sys.dim;
  double *c = cache;
  if (P->coords) {
    c[0] = nqs_mlp_forward(&P->net, th, x, NULL, NULL, NULL, c + 2 + 2 * n * d);
    return c[0];
  }
  pview v = pairs_view(n, cache);
  double s = 0;
  for (int i = 0; i < n; i++) v.r[i * n + i] = v.u[i * n + i] = v.u1[i * n + i] = v.u2[i * n + i] = 0;
  for (int k0 = 0; k0 < P->npairs; k0 += BATCH) {
    const int B = P->npairs - k0 < BATCH ? P->npairs - k0 : BATCH;
    for (int t = 0; t < B; t++) {
      const int i = P->pi[k0 + t], j = P->pj[k0 + t];
      v.X[t] = dist(x + i * d, x + j * d, d);
      v.X[B + t] = same_spin(&f->sys, i, j);
    }
    pair_batch(P, th, B, &v);
    for (int t = 0; t < B; t++) {
      const int i = P->pi[k0 + t], j = P->pj[k0 + t];
      v.r[i * n + j] = v.r[j * n + i] = v.X[t];
      v.u[i * n + j] = v.u[j * n + i] = v.Y[t];
      v.u1[i * n + j] = v.u1[j * n + i] = v.Y[B + t];
      v.u2[i * n + j] = v.u2[j * n + i] = v.Y[2 * B + t];
      s += v.Y[t];
    }
  }
  return s;
}

static double f_propose(const nqs_factor *f, const double *th, const double *x, void *cache, int p, const double *xp,
                        double *grad_new) {
  const ffnn_priv *P = f->priv;
  const int n = f->sys.n, d = f->sys.dim, M = n * d;
  double *c = cache;
  if (P->coords) {
    double *xs = c + 2, *gx = c + 2 + M, *work = c + 2 + 2 * M;
    memcpy(xs, x, sizeof(double) * M);
    for (int k = 0; k < d; k++) xs[p * d + k] = xp[k];
    c[1] = nqs_mlp_forward(&P->net, th, xs, NULL, NULL, NULL, work);
    if (grad_new) {
      memset(gx, 0, sizeof(double) * M);
      nqs_mlp_backward(&P->net, th, xs, 1.0, NULL, gx, work);
      for (int k = 0; k < d; k++) grad_new[k] += gx[p * d + k];
    }
    return c[1] - c[0];
  }
  pview v = pairs_view(n, cache);
  const double *u = v.u + p * n;
  double du = 0;
  /* the new row u(|x' - x_j|) for j != p, in batches over j */
  for (int j0 = 0; j0 < n; j0 += BATCH) {
    const int B = n - j0 < BATCH ? n - j0 : BATCH;
    for (int t = 0; t < B; t++) {
      const int j = j0 + t;
      v.X[t] = j == p ? 1.0 : dist(xp, x + j * d, d); /* j == p: a harmless placeholder, dropped below */
      v.X[B + t] = same_spin(&f->sys, p, j);
    }
    pair_batch(P, th, B, &v);
    for (int t = 0; t < B; t++) {
      const int j = j0 + t;
      if (j == p) {
        v.rn[j] = v.un[j] = v.u1n[j] = v.u2n[j] = 0;
        continue;
      }
      v.rn[j] = v.X[t];
      v.un[j] = v.Y[t];
      v.u1n[j] = v.Y[B + t];
      v.u2n[j] = v.Y[2 * B + t];
      du += v.un[j] - u[j];
      if (grad_new)
        for (int k = 0; k < d; k++) grad_new[k] += v.u1n[j] * (xp[k] - x[j * d + k]) / v.rn[j];
    }
  }
  return du;
}

static void f_accept(const nqs_factor *f, const double *th, const double *x, void *cache, int p, const double *xp) {
  const ffnn_priv *P = f->priv;
  const int n = f->sys.n;
  double *c = cache;
  if (P->coords) {
    c[0] = c[1];
    return;
  }
  pview v = pairs_view(n, cache);
  for (int j = 0; j < n; j++) {
    v.r[p * n + j] = v.r[j * n + p] = v.rn[j];
    v.u[p * n + j] = v.u[j * n + p] = v.un[j];
    v.u1[p * n + j] = v.u1[j * n + p] = v.u1n[j];
    v.u2[p * n + j] = v.u2[j * n + p] = v.u2n[j];
  }
}

static void f_grad_p(const nqs_factor *f, const double *th, const double *x, const void *cache, int p, double *g) {
  const ffnn_priv *P = f->priv;
  const int n = f->sys.n, d = f->sys.dim, M = n * d;
  double *c = (double *)cache;
  if (P->coords) {
    double *gx = c + 2 + M, *work = c + 2 + 2 * M;
    memset(gx, 0, sizeof(double) * M);
    nqs_mlp_backward(&P->net, th, x, 1.0, NULL, gx, work);
    for (int k = 0; k < d; k++) g[k] += gx[p * d + k];
    return;
  }
  pview v = pairs_view(n, cache);
  const double *r = v.r + p * n, *u1 = v.u1 + p * n;
  for (int j = 0; j < n; j++) {
    if (j == p) continue;
    for (int k = 0; k < d; k++) g[k] += u1[j] * (x[p * d + k] - x[j * d + k]) / r[j];
  }
}

static void f_grad_lap(const nqs_factor *f, const double *th, const double *x, const void *cache, double *g,
                       double *lap) {
  const ffnn_priv *P = f->priv;
  const int n = f->sys.n, d = f->sys.dim, M = n * d;
  double *c = (double *)cache, L = 0;
  if (P->coords) {
    double *v = c + 2 + M, *work = c + 2 + 2 * M; /* gx slot reused as the direction */
    for (int i = 0; i < M; i++) {
      double dy, d2y;
      memset(v, 0, sizeof(double) * M);
      v[i] = 1;
      nqs_mlp_forward(&P->net, th, x, v, &dy, &d2y, work);
      g[i] += dy;
      L += d2y;
    }
    *lap += L;
    return;
  }
  pview v = pairs_view(n, cache);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      const double rij = v.r[i * n + j], u1 = v.u1[i * n + j], u2 = v.u2[i * n + j];
      for (int k = 0; k < d; k++) {
        const double gk = u1 * (x[i * d + k] - x[j * d + k]) / rij;
        g[i * d + k] += gk;
        g[j * d + k] -= gk;
      }
      L += 2 * (u2 + (d - 1) * u1 / rij);
    }
  *lap += L;
}

static void f_dparams(const nqs_factor *f, const double *th, const double *x, const void *cache, double *o) {
  const ffnn_priv *P = f->priv;
  const int n = f->sys.n, M = n * f->sys.dim;
  double *c = (double *)cache;
  memset(o, 0, sizeof(double) * P->net.nparams);
  if (P->coords) {
    nqs_mlp_backward(&P->net, th, x, 1.0, o, NULL, c + 2 + 2 * M);
    return;
  }
  pview v = pairs_view(n, cache);
  for (int k0 = 0; k0 < P->npairs; k0 += BATCH) {
    const int B = P->npairs - k0 < BATCH ? P->npairs - k0 : BATCH;
    for (int t = 0; t < B; t++) {
      const int i = P->pi[k0 + t], j = P->pj[k0 + t];
      v.X[t] = v.r[i * n + j];
      v.X[B + t] = same_spin(&f->sys, i, j);
    }
    nqs_mlp_backward_batch(&P->net, th, B, v.X, NULL, o, v.work);
  }
}

static void f_free(nqs_factor *f) {
  ffnn_priv *P = f->priv;
  if (P) {
    free(P->pi);
    free(P->pj);
  }
  free(P);
}

static nqs_factor *f_create(const nqs_system *sys, const nqs_factor_options *o, nqs_error *err);

/* Own input keys ([wavefunction]). */
static const nqs_option own_options[] = {
    {"wavefunction", "ffnn_layers", NQS_K_STRING, NQS_OPTION_FIELD(wavefunction.ffnn_layers), "16, 16", 0, 0, 0, NULL,
     "hidden-layer widths of the ffnn factor, comma list (at most 7 layers of 1..4096)"},
    {"wavefunction", "ffnn_activation", NQS_K_CHOICE, NQS_OPTION_FIELD(wavefunction.ffnn_activation), "tanh", 0, 0, 0,
     "tanh|sigmoid|softplus|elu|gelu", "activation of the ffnn hidden layers"},
    {"wavefunction", "ffnn_input", NQS_K_CHOICE, NQS_OPTION_FIELD(wavefunction.ffnn_input), "pairs", 0, 0, 0, "pairs|coords",
     "ffnn inputs: pairs = sum over pairs of NN(r_ij, like-spin) (symmetric); coords = NN(all coordinates), distinguishable only"},
    {0}};

const nqs_factor_type nqs_factor_ffnn = {
    .name = "ffnn",
    .help = "feed-forward network correlator: sum over pairs of NN(r_ij, like-spin), or NN(all coordinates)",
    .binds = 0,
    .fermionic = 0,
    .create = f_create,
    .cache_size = f_cache_size,
    .init = f_init,
    .propose = f_propose,
    .accept = f_accept,
    .grad_p = f_grad_p,
    .grad_lap = f_grad_lap,
    .dparams = f_dparams,
    .free_priv = f_free,
    .options = own_options};

static nqs_factor *f_create(const nqs_system *sys, const nqs_factor_options *o, nqs_error *err) {
  if (o->ffnn_coords && sys->statistics != NQS_DISTINGUISHABLE) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.ffnn_input",
                   "ffnn_input = coords is not symmetric under exchange of identical particles; use pairs for bosons "
                   "and fermions (coords is for statistics = distinguishable)");
    return NULL;
  }
  if (!o->ffnn_coords && sys->n < 2) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.ffnn_input", "ffnn_input = pairs needs at least two particles");
    return NULL;
  }
  /* the parameter count from the widths, before anything is allocated */
  double np = 0;
  for (int l = 0, in = o->ffnn_coords ? sys->n * sys->dim : 2; l <= o->ffnn_nhidden; l++) {
    const int out = l < o->ffnn_nhidden ? o->ffnn_hidden[l] : 1;
    np += (double)(in + 1) * out;
    in = out;
  }
  char what[96];
  snprintf(what, sizeof what, "an ffnn factor of %.3g parameters", np);
  if (nqs_memory_check(np * nqs_memory_per_param(o->walkers), o->memory_limit, "wavefunction.ffnn_layers", what,
                       "use fewer or narrower layers", err))
    return NULL;
  ffnn_priv *P = calloc(1, sizeof *P);
  if (!P) {
    nqs_error_set(err, NQS_ENOMEM, "out of memory creating the ffnn factor");
    return NULL;
  }
  P->coords = o->ffnn_coords;
  if (nqs_mlp_init(&P->net, P->coords ? sys->n * sys->dim : 2, o->ffnn_hidden, o->ffnn_nhidden,
                   (nqs_activation)o->ffnn_activation, err)) {
    free(P);
    return NULL;
  }
  P->ws = P->coords ? nqs_mlp_work_size(&P->net) : nqs_mlp_batch_work_size(&P->net, BATCH);
  P->npairs = sys->n * (sys->n - 1) / 2;
  P->pi = malloc(sizeof(int) * (size_t)(P->npairs > 0 ? P->npairs : 1));
  P->pj = malloc(sizeof(int) * (size_t)(P->npairs > 0 ? P->npairs : 1));
  nqs_factor *f = (P->pi && P->pj) ? nqs_factor_alloc(&nqs_factor_ffnn, sys, P->net.nparams) : NULL;
  if (!f) {
    free(P->pi);
    free(P->pj);
    free(P);
    nqs_error_set(err, NQS_ENOMEM, "out of memory for the ffnn parameters");
    return NULL;
  }
  f->priv = P;
  for (int i = 0, k = 0; i < sys->n; i++)
    for (int j = i + 1; j < sys->n; j++, k++) {
      P->pi[k] = i;
      P->pj[k] = j;
    }
  /* Hidden layers: W ~ N(0, 1/fan_in) (keeps activations of order one);
   * output layer: W ~ N(0, init_std^2), so J starts close to a constant. Biases 0. */
  nqs_rng rng;
  nqs_rng_seed(&rng, o->seed, 0xFF0Eull);
  const nqs_mlp *m = &P->net;
  for (int l = 0; l < m->nlayers; l++) {
    const int in = m->w[l], out = m->w[l + 1];
    const double sd = (l == m->nlayers - 1) ? o->init_std : 1.0 / sqrt((double)in);
    for (int k = 0; k < out * in; k++) f->theta0[m->off[l] + k] = sd * nqs_rng_normal(&rng);
    for (int k = 0; k < out; k++) f->theta0[m->off[l] + out * in + k] = 0;
  }
  for (int k = 0; k < m->nparams; k++) nqs_mlp_param_name(m, k, "", f->param_names[k], NQS_PARAM_NAME);
  return f;
}
