/* spin.c — RBM states of spin-1/2 lattices: amplitudes, flips, local energy, moves. See nqs/lattice/spin.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/lattice/spin.h"

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

nqs_status nqs_spin_rbm_init(nqs_spin_psi *r, int n, int H, int cplx, double init_std, uint64_t seed, nqs_error *err) {
  memset(r, 0, sizeof *r);
  if (n < 1 || H < 1) return nqs_error_setk(err, NQS_EINPUT, "lattice.alpha", "the RBM needs at least one hidden unit");
  r->n = n;
  r->H = H;
  r->cplx = cplx;
  r->nparams = r->nfree = n + H + n * H;
  if (cplx) r->cparams = calloc((size_t)r->nparams, sizeof(double complex));
  else r->params = calloc((size_t)r->nparams, sizeof(double));
  if (!r->params && !r->cparams) return nqs_error_set(err, NQS_ENOMEM, "out of memory for %d RBM parameters", r->nparams);
  r->fparams = cplx ? (double *)r->cparams : r->params;
  nqs_rng rng;
  nqs_rng_seed(&rng, seed, 0x5B1);
  for (int k = n + H; k < r->nparams; k++) {
    const double re = init_std * nqs_rng_normal(&rng);
    if (cplx) r->cparams[k] = re + I * init_std * nqs_rng_normal(&rng);
    else r->params[k] = re;
  }
  return NQS_OK;
}

/* site i moved by translation t of a periodic chain (t in [0, L)) or L x L square (t = ty L + tx) */
static int translate(const nqs_spin_system *sys, int i, int t) {
  const int L = sys->L;
  if (sys->dim == 1) return (i + t) % L;
  return ((i / L + t / L) % L) * L + (i % L + t % L) % L;
}

nqs_status nqs_spin_rbm_init_translation(nqs_spin_psi *r, const nqs_spin_system *sys, int alpha, int cplx,
                                         double init_std, uint64_t seed, nqs_error *err) {
  memset(r, 0, sizeof *r);
  if (sys->dim < 1 || !sys->periodic)
    return nqs_error_setk(err, NQS_EINPUT, "lattice.symmetry",
                          "translation symmetry needs a periodic chain or square lattice; set symmetry = none");
  const int n = sys->nsites;
  nqs_status st = nqs_spin_rbm_init(r, n, alpha * n, cplx, 0, seed, err);
  if (st) return st;
  const int H = r->H, nf = alpha * (n + 1) + 1, per = cplx ? 2 : 1;
  r->nfree = nf;
  r->tie = malloc(sizeof(int) * (size_t)r->nparams);
  r->fparams = calloc((size_t)(per * nf), sizeof(double));
  if (!r->tie || !r->fparams) {
    nqs_spin_psi_free(r);
    return nqs_error_set(err, NQS_ENOMEM, "out of memory for the symmetric RBM");
  }
  /* free parameters: a | b[alpha] | w[alpha][n];  hidden unit j = f n + t */
  for (int i = 0; i < n; i++) r->tie[i] = 0;
  for (int j = 0; j < H; j++) r->tie[n + j] = 1 + j / n;
  for (int j = 0; j < H; j++) {
    const int f = j / n, t = j % n;
    for (int d = 0; d < n; d++) r->tie[n + H + (size_t)translate(sys, d, t) * H + j] = 1 + alpha + f * n + d;
  }
  nqs_rng rng;
  nqs_rng_seed(&rng, seed, 0x5B2);
  for (int k = per * (1 + alpha); k < per * nf; k++) r->fparams[k] = init_std * nqs_rng_normal(&rng);
  nqs_spin_psi_sync(r);
  return NQS_OK;
}

nqs_status nqs_spin_ffnn_init(nqs_spin_psi *r, int n, const int *hidden, int nhidden, nqs_activation act,
                              double init_std, uint64_t seed, nqs_error *err) {
  memset(r, 0, sizeof *r);
  nqs_status st = nqs_mlp_init(&r->mlp, n, hidden, nhidden, act, err);
  if (st) return st;
  r->ffnn = 1;
  r->n = n;
  r->H = r->mlp.w[1];
  r->nparams = r->nfree = r->mlp.nparams;
  r->params = r->fparams = calloc((size_t)r->nparams, sizeof(double));
  if (!r->params) return nqs_error_set(err, NQS_ENOMEM, "out of memory for %d network parameters", r->nparams);
  nqs_rng rng;
  nqs_rng_seed(&rng, seed, 0x5B3);
  const nqs_mlp *m = &r->mlp;
  for (int l = 0; l < m->nlayers; l++) {
    const int in = m->w[l], out = m->w[l + 1];
    const double sd = l == m->nlayers - 1 ? init_std : 1.0 / sqrt((double)in);
    for (int k = 0; k < out * in; k++) r->params[m->off[l] + k] = sd * nqs_rng_normal(&rng);
  }
  return NQS_OK;
}

void nqs_spin_psi_sync(nqs_spin_psi *r) {
  if (!r->tie) return;
  for (int k = 0; k < r->nparams; k++) {
    const int f = r->tie[k];
    if (r->cplx) r->cparams[k] = r->fparams[2 * f] + I * r->fparams[2 * f + 1];
    else r->params[k] = r->fparams[f];
  }
}

void nqs_spin_psi_free(nqs_spin_psi *r) {
  if (r->tie) free(r->fparams);
  free(r->params);
  free(r->cparams);
  free(r->tie);
  r->params = r->fparams = NULL;
  r->cparams = NULL;
  r->tie = NULL;
}

nqs_status nqs_spin_walker_alloc(const nqs_spin_psi *r, nqs_spin_walker *w, nqs_error *err) {
  memset(w, 0, sizeof *w);
  w->s = calloc((size_t)r->n, sizeof(double));
  if (r->ffnn) {
    w->theta = malloc(sizeof(double) * (size_t)r->H);
    w->flipped = malloc(sizeof(double) * (size_t)r->H);
    w->work = malloc(sizeof(double) * (size_t)nqs_mlp_work_size(&r->mlp));
    if (!w->s || !w->theta || !w->flipped || !w->work) return nqs_error_set(err, NQS_ENOMEM, "out of memory for a spin walker");
    return NQS_OK;
  }
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
  free(w->flipped);
  free(w->work);
  w->s = w->theta = w->tanh_theta = w->flipped = w->work = NULL;
  w->ctheta = NULL;
}

void nqs_spin_walker_init(const nqs_spin_psi *r, nqs_spin_walker *w) {
  const int n = r->n, H = r->H;
  if (r->ffnn) { /* z0 (H) = b_0 + W_0 s  with W_0 (H x n) */
    const double *W0 = r->params, *b0 = W0 + (size_t)H * n;
    for (int j = 0; j < H; j++) {
      double z = b0[j];
      for (int i = 0; i < n; i++) z += W0[(size_t)j * n + i] * w->s[i];
      w->theta[j] = z;
    }
    w->lnpsi = nqs_mlp_forward_from_z0(&r->mlp, r->params, w->theta, w->work);
    return;
  }
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

double complex nqs_spin_logpsi(const nqs_spin_psi *r, const double *s) {
  const int n = r->n, H = r->H;
  if (r->ffnn) {
    double *work = malloc(sizeof(double) * (size_t)nqs_mlp_work_size(&r->mlp));
    const double l = work ? nqs_mlp_forward(&r->mlp, r->params, s, NULL, NULL, NULL, work) : NAN;
    free(work);
    return l;
  }
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

double complex nqs_spin_log_ratio(const nqs_spin_psi *r, const nqs_spin_walker *w, const int *flip, int k) {
  const int n = r->n, H = r->H;
  if (r->ffnn) { /* z0' = z0 - 2 sum_q W_0[:, i_q] s_{i_q}, then the rest of the network */
    const double *W0 = r->params;
    memcpy(w->flipped, w->theta, sizeof(double) * H);
    for (int q = 0; q < k; q++) {
      const int i = flip[q];
      const double m2s = -2 * w->s[i];
      for (int j = 0; j < H; j++) w->flipped[j] += m2s * W0[(size_t)j * n + i];
    }
    return nqs_mlp_forward_from_z0(&r->mlp, r->params, w->flipped, w->work) - w->lnpsi;
  }
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

void nqs_spin_flip(const nqs_spin_psi *r, nqs_spin_walker *w, const int *flip, int k) {
  const int n = r->n, H = r->H;
  if (r->ffnn) {
    const double *W0 = r->params;
    for (int q = 0; q < k; q++) {
      const int i = flip[q];
      const double m2s = -2 * w->s[i];
      for (int j = 0; j < H; j++) w->theta[j] += m2s * W0[(size_t)j * n + i];
      w->s[i] = -w->s[i];
    }
    w->lnpsi = nqs_mlp_forward_from_z0(&r->mlp, r->params, w->theta, w->work);
    return;
  }
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

/* Symmetric RBM: each O of a tied parameter added to its free one's. */
static void dlogpsi_tied(const nqs_spin_psi *r, const nqs_spin_walker *w, double *o) {
  const int n = r->n, H = r->H;
  const int *ta = r->tie, *tb = ta + n, *tW = tb + H;
  if (r->cplx) {
    double complex *co = (double complex *)o;
    for (int k = 0; k < r->nfree; k++) co[k] = 0;
    for (int i = 0; i < n; i++) co[ta[i]] += w->s[i];
    for (int j = 0; j < H; j++) {
      const double complex t = ctanh(w->ctheta[j]);
      co[tb[j]] += t;
      for (int i = 0; i < n; i++) co[tW[(size_t)i * H + j]] += w->s[i] * t;
    }
    return;
  }
  for (int k = 0; k < r->nfree; k++) o[k] = 0;
  for (int i = 0; i < n; i++) o[ta[i]] += w->s[i];
  for (int j = 0; j < H; j++) o[tb[j]] += w->tanh_theta[j];
  for (int i = 0; i < n; i++) {
    const int *ti = tW + (size_t)i * H;
    for (int j = 0; j < H; j++) o[ti[j]] += w->s[i] * w->tanh_theta[j];
  }
}

void nqs_spin_dlogpsi(const nqs_spin_psi *r, const nqs_spin_walker *w, double *o) {
  const int n = r->n, H = r->H;
  if (r->ffnn) {
    memset(o, 0, sizeof(double) * (size_t)r->nparams);
    nqs_mlp_backward(&r->mlp, r->params, w->s, 1.0, o, NULL, w->work);
    return;
  }
  if (r->tie) {
    dlogpsi_tied(r, w, o);
    return;
  }
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
static inline double complex ratio(const nqs_spin_psi *r, const nqs_spin_walker *w, const int *flip, int k) {
  const double complex l = nqs_spin_log_ratio(r, w, flip, k);
  return r->cplx ? cexp(l) : exp(creal(l));
}

double complex nqs_spin_local_energy(const nqs_spin_system *sys, const nqs_spin_psi *r, const nqs_spin_walker *w,
                                     const int *sublattice) {
  const double *s = w->s;
  double complex e = 0;
  if (sys->model == NQS_MODEL_TFIM) {
    for (int b = 0; b < sys->nbonds; b++) e -= sys->bond_J[b] * s[sys->bonds[b][0]] * s[sys->bonds[b][1]];
    for (int i = 0; i < sys->nsites; i++) e -= sys->h * ratio(r, w, &i, 1);
    return e;
  }
  for (int b = 0; b < sys->nbonds; b++) {
    const int i = sys->bonds[b][0], j = sys->bonds[b][1];
    const double Jb = sys->bond_J[b];
    e += Jb * sys->delta * s[i] * s[j];
    if (s[i] != s[j]) e += (sublattice && sublattice[i] != sublattice[j] ? -2 * Jb : 2 * Jb) * ratio(r, w, sys->bonds[b], 2);
  }
  return e;
}

long nqs_spin_sweep(const nqs_spin_system *sys, const nqs_spin_psi *r, nqs_spin_walker *w) {
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
  /* colour by repeated relaxation over the bond list, one component after the other */
  for (int seed = 0; seed < n && ok; seed++) {
    if (c[seed] >= 0) continue;
    c[seed] = 0;
    for (int pass = 0; pass < n && ok; pass++) {
      int changed = 0;
      for (int b = 0; b < sys->nbonds_nn; b++) {
        const int i = sys->bonds[b][0], j = sys->bonds[b][1];
        if (c[i] >= 0 && c[j] < 0) c[j] = 1 - c[i], changed = 1;
        else if (c[j] >= 0 && c[i] < 0) c[i] = 1 - c[j], changed = 1;
        else if (c[i] >= 0 && c[i] == c[j]) ok = 0;
      }
      if (!changed) break;
    }
  }
  if (!col) free(c);
  return ok;
}
