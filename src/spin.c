/* spin.c — RBM states of spin-1/2 lattices: amplitudes, flips, local energy, moves. See nqs/spin.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/spin.h"

/* ln cosh(x) without overflow: |x| + ln(1 + e^{-2|x|}) - ln 2 */
static inline double lncosh(double x) {
  const double a = fabs(x);
  return a + log1p(exp(-2 * a)) - 0.69314718055994530942;
}

nqs_status nqs_spin_rbm_init(nqs_spin_rbm *r, int n, int H, double init_std, uint64_t seed, nqs_error *err) {
  memset(r, 0, sizeof *r);
  if (n < 1 || H < 1) return nqs_error_setk(err, NQS_EINPUT, "lattice.alpha", "the RBM needs at least one hidden unit");
  r->n = n;
  r->H = H;
  r->nparams = n + H + n * H;
  r->params = calloc((size_t)r->nparams, sizeof(double));
  if (!r->params) return nqs_error_set(err, NQS_ENOMEM, "out of memory for %d RBM parameters", n + H + n * H);
  nqs_rng rng;
  nqs_rng_seed(&rng, seed, 0x5B1);
  for (int k = n + H; k < r->nparams; k++) r->params[k] = init_std * nqs_rng_normal(&rng);
  return NQS_OK;
}

void nqs_spin_rbm_free(nqs_spin_rbm *r) {
  free(r->params);
  r->params = NULL;
}

nqs_status nqs_spin_walker_alloc(const nqs_spin_rbm *r, nqs_spin_walker *w, nqs_error *err) {
  w->s = calloc((size_t)r->n, sizeof(double));
  w->theta = calloc((size_t)r->H, sizeof(double));
  if (!w->s || !w->theta) return nqs_error_set(err, NQS_ENOMEM, "out of memory for a spin walker");
  return NQS_OK;
}

void nqs_spin_walker_free(nqs_spin_walker *w) {
  free(w->s);
  free(w->theta);
  w->s = w->theta = NULL;
}

void nqs_spin_walker_init(const nqs_spin_rbm *r, nqs_spin_walker *w) {
  const int n = r->n, H = r->H;
  const double *b = r->params + n, *W = b + H;
  /* theta (H) = b + W^T s   with W (n x H) */
  for (int j = 0; j < H; j++) w->theta[j] = b[j];
  for (int i = 0; i < n; i++)
    for (int j = 0; j < H; j++) w->theta[j] += W[(size_t)i * H + j] * w->s[i];
}

double nqs_spin_rbm_logpsi(const nqs_spin_rbm *r, const double *s) {
  const int n = r->n, H = r->H;
  const double *a = r->params, *b = a + n, *W = b + H;
  double l = 0;
  for (int i = 0; i < n; i++) l += a[i] * s[i];
  for (int j = 0; j < H; j++) {
    double t = b[j];
    for (int i = 0; i < n; i++) t += W[(size_t)i * H + j] * s[i];
    l += lncosh(t);
  }
  return l;
}

double nqs_spin_log_ratio(const nqs_spin_rbm *r, const nqs_spin_walker *w, const int *flip, int k) {
  const int n = r->n, H = r->H;
  const double *a = r->params, *W = a + n + H;
  double l = 0;
  for (int q = 0; q < k; q++) l -= 2 * a[flip[q]] * w->s[flip[q]];
  for (int j = 0; j < H; j++) {
    double t = w->theta[j];
    for (int q = 0; q < k; q++) t -= 2 * W[(size_t)flip[q] * H + j] * w->s[flip[q]];
    l += lncosh(t) - lncosh(w->theta[j]);
  }
  return l;
}

void nqs_spin_flip(const nqs_spin_rbm *r, nqs_spin_walker *w, const int *flip, int k) {
  const int n = r->n, H = r->H;
  const double *W = r->params + n + H;
  for (int q = 0; q < k; q++) {
    const int i = flip[q];
    const double *Wi = W + (size_t)i * H;
    for (int j = 0; j < H; j++) w->theta[j] -= 2 * Wi[j] * w->s[i];
    w->s[i] = -w->s[i];
  }
}

void nqs_spin_dlogpsi(const nqs_spin_rbm *r, const nqs_spin_walker *w, double *o) {
  const int n = r->n, H = r->H;
  double *ob = o + n, *oW = ob + H;
  for (int i = 0; i < n; i++) o[i] = w->s[i];
  for (int j = 0; j < H; j++) ob[j] = tanh(w->theta[j]);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < H; j++) oW[(size_t)i * H + j] = w->s[i] * ob[j];
}

double nqs_spin_local_energy(const nqs_spin_system *sys, const nqs_spin_rbm *r, const nqs_spin_walker *w, int marshall) {
  const double *s = w->s;
  double e = 0;
  if (sys->model == NQS_MODEL_TFIM) {
    for (int b = 0; b < sys->nbonds; b++) e -= sys->J * s[sys->bonds[b][0]] * s[sys->bonds[b][1]];
    for (int i = 0; i < sys->nsites; i++) e -= sys->h * exp(nqs_spin_log_ratio(r, w, &i, 1));
    return e;
  }
  const double amp = marshall ? -2 * sys->J : 2 * sys->J;
  for (int b = 0; b < sys->nbonds; b++) {
    const int i = sys->bonds[b][0], j = sys->bonds[b][1];
    e += sys->J * sys->delta * s[i] * s[j];
    if (s[i] != s[j]) e += amp * exp(nqs_spin_log_ratio(r, w, sys->bonds[b], 2));
  }
  return e;
}

long nqs_spin_sweep(const nqs_spin_system *sys, const nqs_spin_rbm *r, nqs_spin_walker *w) {
  const int n = sys->nsites;
  long acc = 0;
  for (int m = 0; m < n; m++) {
    int flip[2], k;
    if (sys->model == NQS_MODEL_TFIM) {
      flip[0] = (int)(nqs_rng_uniform(&w->rng) * n);
      if (flip[0] >= n) flip[0] = n - 1;
      k = 1;
    } else {
      const int b = (int)(nqs_rng_uniform(&w->rng) * sys->nbonds);
      flip[0] = sys->bonds[b < sys->nbonds ? b : sys->nbonds - 1][0];
      flip[1] = sys->bonds[b < sys->nbonds ? b : sys->nbonds - 1][1];
      k = 2;
      if (w->s[flip[0]] == w->s[flip[1]]) {
        nqs_rng_uniform(&w->rng); /* same draws per move whatever happens: reproducible streams */
        continue;
      }
    }
    const double lr = nqs_spin_log_ratio(r, w, flip, k);
    if (log(nqs_rng_uniform(&w->rng)) < 2 * lr) {
      nqs_spin_flip(r, w, flip, k);
      acc++;
    }
  }
  return acc;
}

int nqs_spin_bipartite(const nqs_spin_system *sys, int *col) {
  const int n = sys->nsites;
  int *c = col ? col : malloc(sizeof(int) * n);
  if (!c) return 0;
  for (int i = 0; i < n; i++) c[i] = -1;
  int ok = 1;
  /* colour by repeated relaxation over the bond list (graphs here are connected and small) */
  c[0] = 0;
  for (int pass = 0; pass < n && ok; pass++) {
    int changed = 0;
    for (int b = 0; b < sys->nbonds; b++) {
      const int i = sys->bonds[b][0], j = sys->bonds[b][1];
      if (c[i] >= 0 && c[j] < 0) c[j] = 1 - c[i], changed = 1;
      else if (c[j] >= 0 && c[i] < 0) c[i] = 1 - c[j], changed = 1;
      else if (c[i] >= 0 && c[i] == c[j]) ok = 0;
    }
    if (!changed) break;
  }
  if (!col) free(c);
  return ok;
}
