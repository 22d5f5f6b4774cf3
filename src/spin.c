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

/* ln cosh(z) for complex z, without overflow: with w = +-z and Re w >= 0,
 * ln cosh w = w + ln(1 + e^{-2w}) - ln 2 (up to 2 pi i, which no ratio sees). */
static inline double complex clncosh(double complex z) {
  const double complex w = creal(z) < 0 ? -z : z;
  return w + clog(1.0 + cexp(-2.0 * w)) - 0.69314718055994530942;
}

nqs_status nqs_spin_rbm_init(nqs_spin_rbm *r, int n, int H, int cplx, double init_std, uint64_t seed, nqs_error *err) {
  memset(r, 0, sizeof *r);
  if (n < 1 || H < 1) return nqs_error_setk(err, NQS_EINPUT, "lattice.alpha", "the RBM needs at least one hidden unit");
  r->n = n;
  r->H = H;
  r->cplx = cplx;
  r->nparams = n + H + n * H;
  if (cplx) r->cparams = calloc((size_t)r->nparams, sizeof(double complex));
  else r->params = calloc((size_t)r->nparams, sizeof(double));
  if (!r->params && !r->cparams) return nqs_error_set(err, NQS_ENOMEM, "out of memory for %d RBM parameters", r->nparams);
  nqs_rng rng;
  nqs_rng_seed(&rng, seed, 0x5B1);
  for (int k = n + H; k < r->nparams; k++) {
    const double re = init_std * nqs_rng_normal(&rng);
    if (cplx) r->cparams[k] = re + I * init_std * nqs_rng_normal(&rng);
    else r->params[k] = re;
  }
  return NQS_OK;
}

void nqs_spin_rbm_free(nqs_spin_rbm *r) {
  free(r->params);
  free(r->cparams);
  r->params = NULL;
  r->cparams = NULL;
}

nqs_status nqs_spin_walker_alloc(const nqs_spin_rbm *r, nqs_spin_walker *w, nqs_error *err) {
  w->s = calloc((size_t)r->n, sizeof(double));
  w->theta = r->cplx ? NULL : calloc((size_t)r->H, sizeof(double));
  w->tanh_theta = r->cplx ? NULL : calloc((size_t)r->H, sizeof(double));
  w->ctheta = r->cplx ? calloc((size_t)r->H, sizeof(double complex)) : NULL;
  if (!w->s || (r->cplx ? !w->ctheta : (!w->theta || !w->tanh_theta)))
    return nqs_error_set(err, NQS_ENOMEM, "out of memory for a spin walker");
  return NQS_OK;
}

void nqs_spin_walker_free(nqs_spin_walker *w) {
  free(w->s);
  free(w->theta);
  free(w->tanh_theta);
  free(w->ctheta);
  w->s = w->theta = w->tanh_theta = NULL;
  w->ctheta = NULL;
}

void nqs_spin_walker_init(const nqs_spin_rbm *r, nqs_spin_walker *w) {
  const int n = r->n, H = r->H;
  /* theta (H) = b + W^T s   with W (n x H) */
  if (r->cplx) {
    const double complex *b = r->cparams + n, *W = b + H;
    for (int j = 0; j < H; j++) w->ctheta[j] = b[j];
    for (int i = 0; i < n; i++)
      for (int j = 0; j < H; j++) w->ctheta[j] += W[(size_t)i * H + j] * w->s[i];
    return;
  }
  const double *b = r->params + n, *W = b + H;
  for (int j = 0; j < H; j++) w->theta[j] = b[j];
  for (int i = 0; i < n; i++)
    for (int j = 0; j < H; j++) w->theta[j] += W[(size_t)i * H + j] * w->s[i];
  for (int j = 0; j < H; j++) w->tanh_theta[j] = tanh(w->theta[j]);
}

double complex nqs_spin_rbm_logpsi(const nqs_spin_rbm *r, const double *s) {
  const int n = r->n, H = r->H;
  if (r->cplx) {
    const double complex *a = r->cparams, *b = a + n, *W = b + H;
    double complex l = 0;
    for (int i = 0; i < n; i++) l += a[i] * s[i];
    for (int j = 0; j < H; j++) {
      double complex t = b[j];
      for (int i = 0; i < n; i++) t += W[(size_t)i * H + j] * s[i];
      l += clncosh(t);
    }
    return l;
  }
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

double complex nqs_spin_log_ratio(const nqs_spin_rbm *r, const nqs_spin_walker *w, const int *flip, int k) {
  const int n = r->n, H = r->H;
  if (r->cplx) {
    const double complex *a = r->cparams, *W = a + n + H;
    double complex l = 0;
    for (int q = 0; q < k; q++) l -= 2 * a[flip[q]] * w->s[flip[q]];
    for (int j = 0; j < H; j++) {
      double complex t = w->ctheta[j];
      for (int q = 0; q < k; q++) t -= 2 * W[(size_t)flip[q] * H + j] * w->s[flip[q]];
      l += clncosh(t) - clncosh(w->ctheta[j]);
    }
    return l;
  }
  /* Real weights: with u_j = sum_q W_{q j} s_q and t_j = tanh(theta_j) (cached),
   *   cosh(theta_j - 2 u_j) / cosh(theta_j) = cosh(2 u_j) - t_j sinh(2 u_j)
   *                                        = ((1 - t_j) e^{2u_j} + (1 + t_j) e^{-2u_j}) / 2 > 0,
   * one exponential per hidden unit; the factors are multiplied in groups of 8 and the
   * logarithms of the groups added. |u_j| > 40 (whose factor could overflow a group) takes ln cosh. */
  const double *a = r->params, *W = a + n + H;
  double l = 0, prod = 1;
  for (int q = 0; q < k; q++) l -= 2 * a[flip[q]] * w->s[flip[q]];
  for (int j = 0; j < H; j++) {
    double u = 0;
    for (int q = 0; q < k; q++) u += W[(size_t)flip[q] * H + j] * w->s[flip[q]];
    const double t = w->tanh_theta[j];
    if (fabs(u) > 40) {
      l += lncosh(w->theta[j] - 2 * u) - lncosh(w->theta[j]);
    } else {
      const double e = exp(2 * u);
      prod *= 0.5 * ((1 - t) * e + (1 + t) / e); /* each factor below e^{80}: 8 of them stay finite */
    }
    if ((j & 7) == 7) {
      l += log(prod);
      prod = 1;
    }
  }
  return l + log(prod);
}

void nqs_spin_flip(const nqs_spin_rbm *r, nqs_spin_walker *w, const int *flip, int k) {
  const int n = r->n, H = r->H;
  for (int q = 0; q < k; q++) {
    const int i = flip[q];
    if (r->cplx) {
      const double complex *Wi = r->cparams + n + H + (size_t)i * H;
      for (int j = 0; j < H; j++) w->ctheta[j] -= 2 * Wi[j] * w->s[i];
    } else {
      const double *Wi = r->params + n + H + (size_t)i * H;
      for (int j = 0; j < H; j++) w->theta[j] -= 2 * Wi[j] * w->s[i];
    }
    w->s[i] = -w->s[i];
  }
  if (!r->cplx)
    for (int j = 0; j < H; j++) w->tanh_theta[j] = tanh(w->theta[j]);
}

void nqs_spin_dlogpsi(const nqs_spin_rbm *r, const nqs_spin_walker *w, double *o) {
  const int n = r->n, H = r->H;
  if (r->cplx) {
    double complex *co = (double complex *)o, *ob = co + n, *oW = ob + H;
    for (int i = 0; i < n; i++) co[i] = w->s[i];
    for (int j = 0; j < H; j++) ob[j] = ctanh(w->ctheta[j]);
    for (int i = 0; i < n; i++)
      for (int j = 0; j < H; j++) oW[(size_t)i * H + j] = w->s[i] * ob[j];
    return;
  }
  double *ob = o + n, *oW = ob + H;
  for (int i = 0; i < n; i++) o[i] = w->s[i];
  for (int j = 0; j < H; j++) ob[j] = w->tanh_theta[j];
  for (int i = 0; i < n; i++)
    for (int j = 0; j < H; j++) oW[(size_t)i * H + j] = w->s[i] * ob[j];
}

/* Psi(s')/Psi(s): real for real weights (no complex exponential on that path). */
static inline double complex ratio(const nqs_spin_rbm *r, const nqs_spin_walker *w, const int *flip, int k) {
  const double complex l = nqs_spin_log_ratio(r, w, flip, k);
  return r->cplx ? cexp(l) : exp(creal(l));
}

double complex nqs_spin_local_energy(const nqs_spin_system *sys, const nqs_spin_rbm *r, const nqs_spin_walker *w,
                                     int marshall) {
  const double *s = w->s;
  double complex e = 0;
  if (sys->model == NQS_MODEL_TFIM) {
    for (int b = 0; b < sys->nbonds; b++) e -= sys->J * s[sys->bonds[b][0]] * s[sys->bonds[b][1]];
    for (int i = 0; i < sys->nsites; i++) e -= sys->h * ratio(r, w, &i, 1);
    return e;
  }
  const double amp = marshall ? -2 * sys->J : 2 * sys->J;
  for (int b = 0; b < sys->nbonds; b++) {
    const int i = sys->bonds[b][0], j = sys->bonds[b][1];
    e += sys->J * sys->delta * s[i] * s[j];
    if (s[i] != s[j]) e += amp * ratio(r, w, sys->bonds[b], 2);
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
    const double lr = creal(nqs_spin_log_ratio(r, w, flip, k)); /* |Psi'/Psi|^2 = exp(2 Re ln ratio) */
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
