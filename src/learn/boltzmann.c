/* boltzmann.c — binary-binary RBMs as generative models: exact ln Z, likelihoods,
 * gradients and KL for small machines; block Gibbs and PCD. See nqs/learn/boltzmann.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/learn/boltzmann.h"
#include "nqs/nn/rbm.h"

static double logsumexp_add(double acc, double x) { /* ln(e^acc + e^x) */
  if (acc == -INFINITY) return x;
  return acc > x ? acc + log1p(exp(x - acc)) : x + log1p(exp(acc - x));
}

static void unpack(long state, int n, double *x) {
  for (int i = 0; i < n; i++) x[i] = (double)((state >> i) & 1);
}

double nqs_bm_log_z_visible(int nv, int nh, const double *params) {
  double *v = malloc(sizeof(double) * nv), *theta = malloc(sizeof(double) * nh), z = -INFINITY;
  for (long s = 0; v && theta && s < (1L << nv); s++) {
    unpack(s, nv, v);
    z = logsumexp_add(z, nqs_rbm_bb_log_marginal(nv, nh, params, v, theta));
  }
  free(v);
  free(theta);
  return z;
}

double nqs_bm_log_z_hidden(int nv, int nh, const double *params) {
  /* ln sum_v e^{-E} for fixed h = b.h + sum_i softplus(a_i + (W h)_i) */
  const double *a = params, *b = params + nv, *W = params + nv + nh;
  double *h = malloc(sizeof(double) * nh), z = -INFINITY;
  for (long s = 0; h && s < (1L << nh); s++) {
    unpack(s, nh, h);
    double l = 0;
    for (int j = 0; j < nh; j++) l += b[j] * h[j];
    for (int i = 0; i < nv; i++) {
      double t = a[i];
      for (int j = 0; j < nh; j++) t += W[(long)i * nh + j] * h[j];
      l += nqs_softplus(t);
    }
    z = logsumexp_add(z, l);
  }
  free(h);
  return z;
}

double nqs_bm_log_z(int nv, int nh, const double *params) {
  return nh <= nv ? nqs_bm_log_z_hidden(nv, nh, params) : nqs_bm_log_z_visible(nv, nh, params);
}

double nqs_bm_log_likelihood(int nv, int nh, const double *params, const double *data, int nd) {
  double *theta = malloc(sizeof(double) * nh), s = 0;
  for (int d = 0; theta && d < nd; d++) s += nqs_rbm_bb_log_marginal(nv, nh, params, data + (long)d * nv, theta);
  free(theta);
  return s / nd - nqs_bm_log_z(nv, nh, params);
}

void nqs_bm_exact_gradient(int nv, int nh, const double *params, const double *data, int nd, double *g) {
  const int np = nv + nh + nv * nh;
  double *theta = malloc(sizeof(double) * nh), *o = malloc(sizeof(double) * np), *v = malloc(sizeof(double) * nv);
  const double lz = nqs_bm_log_z(nv, nh, params);
  memset(g, 0, sizeof(double) * np);
  for (int d = 0; d < nd; d++) { /* positive phase */
    nqs_rbm_angles(nv, nh, params + nv, params + nv + nh, data + (long)d * nv, 1.0, theta);
    nqs_rbm_bb_dlog(nv, nh, data + (long)d * nv, theta, o);
    for (int k = 0; k < np; k++) g[k] += o[k] / nd;
  }
  for (long s = 0; s < (1L << nv); s++) { /* negative phase, exact: sum_v p(v) O(v) */
    unpack(s, nv, v);
    const double p = exp(nqs_rbm_bb_log_marginal(nv, nh, params, v, theta) - lz);
    nqs_rbm_bb_dlog(nv, nh, v, theta, o);
    for (int k = 0; k < np; k++) g[k] -= p * o[k];
  }
  free(theta);
  free(o);
  free(v);
}

void nqs_bm_gibbs(int nv, int nh, const double *params, double *v, double *h, nqs_rng *rng) {
  const double *a = params, *b = params + nv, *W = params + nv + nh;
  for (int j = 0; j < nh; j++) { /* p(h_j = 1 | v) = sigmoid(b_j + (vW)_j) */
    double t = b[j];
    for (int i = 0; i < nv; i++) t += v[i] * W[(long)i * nh + j];
    h[j] = nqs_rng_uniform(rng) < nqs_sigmoid(t) ? 1.0 : 0.0;
  }
  for (int i = 0; i < nv; i++) { /* p(v_i = 1 | h) = sigmoid(a_i + (W h)_i) */
    double t = a[i];
    for (int j = 0; j < nh; j++) t += W[(long)i * nh + j] * h[j];
    v[i] = nqs_rng_uniform(rng) < nqs_sigmoid(t) ? 1.0 : 0.0;
  }
}

/* g[np] = <d ln F / d theta> over the nb rows of batch (theta[nh], o[np]: workspace) */
static void positive_phase(int nv, int nh, const double *params, const double *batch, int nb, double *theta, double *o,
                           double *g) {
  const int np = nv + nh + nv * nh;
  memset(g, 0, sizeof(double) * np);
  for (int d = 0; d < nb; d++) {
    nqs_rbm_angles(nv, nh, params + nv, params + nv + nh, batch + (long)d * nv, 1.0, theta);
    nqs_rbm_bb_dlog(nv, nh, batch + (long)d * nv, theta, o);
    for (int q = 0; q < np; q++) g[q] += o[q] / nb;
  }
}

void nqs_bm_pcd_gradient(int nv, int nh, const double *params, const double *batch, int nb, double *chains, int nc,
                         int k, nqs_rng *rng, double *g) {
  const int np = nv + nh + nv * nh;
  double *theta = malloc(sizeof(double) * nh), *o = malloc(sizeof(double) * np), *h = malloc(sizeof(double) * nh);
  positive_phase(nv, nh, params, batch, nb, theta, o, g);
  for (int c = 0; c < nc; c++) {
    double *v = chains + (long)c * nv;
    for (int s = 0; s < k; s++) nqs_bm_gibbs(nv, nh, params, v, h, rng);
    nqs_rbm_angles(nv, nh, params + nv, params + nv + nh, v, 1.0, theta);
    nqs_rbm_bb_dlog(nv, nh, v, theta, o); /* Rao-Blackwellised over h: sigmoid(theta), not the sampled h */
    for (int q = 0; q < np; q++) g[q] -= o[q] / nc;
  }
  free(theta);
  free(o);
  free(h);
}

double nqs_bm_kl(int nv, int nh, const double *params, const double *q) {
  double *v = malloc(sizeof(double) * nv), *theta = malloc(sizeof(double) * nh), kl = 0;
  const double lz = nqs_bm_log_z(nv, nh, params);
  for (long s = 0; v && theta && s < (1L << nv); s++) {
    if (q[s] <= 0) continue;
    unpack(s, nv, v);
    kl += q[s] * (log(q[s]) - (nqs_rbm_bb_log_marginal(nv, nh, params, v, theta) - lz));
  }
  free(v);
  free(theta);
  return kl;
}

double nqs_bm_reconstruction_error(int nv, int nh, const double *params, const double *data, int nd) {
  const double *a = params, *W = params + nv + nh;
  double *theta = malloc(sizeof(double) * nh), err = 0;
  for (int d = 0; theta && d < nd; d++) {
    const double *v = data + (long)d * nv;
    nqs_rbm_angles(nv, nh, params + nv, W, v, 1.0, theta);
    for (int j = 0; j < nh; j++) theta[j] = nqs_sigmoid(theta[j]); /* E[h | v] */
    for (int i = 0; i < nv; i++) {
      double t = a[i];
      for (int j = 0; j < nh; j++) t += W[(long)i * nh + j] * theta[j];
      const double r = v[i] - nqs_sigmoid(t);
      err += r * r;
    }
  }
  free(theta);
  return theta ? err / ((double)nd * nv) : NAN;
}

double nqs_bm_pseudo_log_likelihood(int nv, int nh, const double *params, const double *data, int nd) {
  double *theta = malloc(sizeof(double) * nh), pll = 0;
  for (int d = 0; theta && d < nd; d++) {
    const double *v = data + (long)d * nv;
    nqs_rbm_bb_log_marginal(nv, nh, params, v, theta);
    /* ln p(v_i | v_-i) = -softplus(ln F(v with v_i flipped) - ln F(v)) */
    for (int i = 0; i < nv; i++) pll -= nqs_softplus(nqs_rbm_bb_flip_log_ratio(nv, nh, params, theta, i, 1 - 2 * v[i]));
  }
  free(theta);
  return theta ? pll / nd : NAN;
}

/* ---- Gaussian-binary RBM (real visible units, width sigma) ---- */

double nqs_gb_log_f(int nv, int nh, double sigma, const double *params, const double *v, double *theta) {
  const double *a = params, s2 = sigma * sigma;
  nqs_rbm_angles(nv, nh, params + nv, params + nv + nh, v, 1.0 / s2, theta);
  double l = 0;
  for (int i = 0; i < nv; i++) l -= (v[i] - a[i]) * (v[i] - a[i]) / (2 * s2);
  return l + nqs_rbm_log_hidden(nh, theta);
}

double nqs_gb_log_z(int nv, int nh, double sigma, const double *params) {
  /* for fixed h the visible integral is Gaussian:
   * ln int dv e^{-E} = b.h + (nv/2) ln(2 pi sigma^2) + (|a + W h|^2 - |a|^2) / (2 sigma^2) */
  const double *a = params, *b = params + nv, *W = params + nv + nh, s2 = sigma * sigma;
  double *h = malloc(sizeof(double) * nh), z = -INFINITY;
  for (long s = 0; h && s < (1L << nh); s++) {
    unpack(s, nh, h);
    double l = 0.5 * nv * log(6.28318530717958647692 * s2); /* 2 pi sigma^2 */
    for (int j = 0; j < nh; j++) l += b[j] * h[j];
    for (int i = 0; i < nv; i++) {
      double c = 0;
      for (int j = 0; j < nh; j++) c += W[(long)i * nh + j] * h[j];
      l += (c * c + 2 * a[i] * c) / (2 * s2);
    }
    z = logsumexp_add(z, l);
  }
  free(h);
  return h ? z : NAN;
}

void nqs_gb_dlog(int nv, int nh, double sigma, const double *params, const double *v, const double *theta, double *o) {
  const double s2 = sigma * sigma;
  double *oa = o, *ob = o + nv, *oW = o + nv + nh;
  for (int i = 0; i < nv; i++) oa[i] = (v[i] - params[i]) / s2;
  for (int j = 0; j < nh; j++) ob[j] = nqs_sigmoid(theta[j]);
  for (int i = 0; i < nv; i++)
    for (int j = 0; j < nh; j++) oW[(long)i * nh + j] = v[i] * ob[j] / s2;
}

void nqs_gb_gibbs(int nv, int nh, double sigma, const double *params, double *v, double *h, nqs_rng *rng) {
  const double *a = params, *W = params + nv + nh;
  double *theta = h; /* the angles, then overwritten by the sampled h */
  nqs_rbm_angles(nv, nh, params + nv, W, v, 1.0 / (sigma * sigma), theta);
  for (int j = 0; j < nh; j++) h[j] = nqs_rng_uniform(rng) < nqs_sigmoid(theta[j]) ? 1.0 : 0.0;
  for (int i = 0; i < nv; i++) { /* v_i | h ~ N(a_i + (W h)_i, sigma^2) */
    double m = a[i];
    for (int j = 0; j < nh; j++) m += W[(long)i * nh + j] * h[j];
    v[i] = m + sigma * nqs_rng_normal(rng);
  }
}

void nqs_gb_pcd_gradient(int nv, int nh, double sigma, const double *params, const double *batch, int nb, double *chains,
                         int nc, int k, nqs_rng *rng, double *g) {
  const int np = nv + nh + nv * nh;
  double *theta = malloc(sizeof(double) * nh), *o = malloc(sizeof(double) * np), *h = malloc(sizeof(double) * nh);
  memset(g, 0, sizeof(double) * np);
  for (int d = 0; theta && o && h && d < nb; d++) {
    const double *v = batch + (long)d * nv;
    nqs_gb_log_f(nv, nh, sigma, params, v, theta);
    nqs_gb_dlog(nv, nh, sigma, params, v, theta, o);
    for (int q = 0; q < np; q++) g[q] += o[q] / nb;
  }
  for (int c = 0; theta && o && h && c < nc; c++) {
    double *v = chains + (long)c * nv;
    for (int s = 0; s < k; s++) nqs_gb_gibbs(nv, nh, sigma, params, v, h, rng);
    nqs_gb_log_f(nv, nh, sigma, params, v, theta);
    nqs_gb_dlog(nv, nh, sigma, params, v, theta, o);
    for (int q = 0; q < np; q++) g[q] -= o[q] / nc;
  }
  free(theta);
  free(o);
  free(h);
}

double nqs_gb_reconstruction_error(int nv, int nh, double sigma, const double *params, const double *data, int nd) {
  const double *a = params, *W = params + nv + nh;
  double *theta = malloc(sizeof(double) * nh), err = 0;
  for (int d = 0; theta && d < nd; d++) {
    const double *v = data + (long)d * nv;
    nqs_rbm_angles(nv, nh, params + nv, W, v, 1.0 / (sigma * sigma), theta);
    for (int j = 0; j < nh; j++) theta[j] = nqs_sigmoid(theta[j]);
    for (int i = 0; i < nv; i++) {
      double m = a[i];
      for (int j = 0; j < nh; j++) m += W[(long)i * nh + j] * theta[j];
      err += (v[i] - m) * (v[i] - m);
    }
  }
  free(theta);
  return theta ? err / ((double)nd * nv) : NAN;
}

void nqs_bm_pt_gradient(int nv, int nh, const double *params, const double *batch, int nb, double *chains, int nc, int nt,
                        int k, nqs_rng *rng, double *g) {
  const int np = nv + nh + nv * nh;
  double *scaled = malloc(sizeof(double) * (size_t)nt * np), *theta = malloc(sizeof(double) * nh);
  double *h = malloc(sizeof(double) * nh), *o = malloc(sizeof(double) * np);
  if (!scaled || !theta || !h || !o) {
    for (int q = 0; q < np; q++) g[q] = NAN;
    free(scaled), free(theta), free(h), free(o);
    return;
  }
  /* replica t samples p^beta_t: the RBM with parameters beta_t * params, beta_t = 1 - t / nt */
  for (int t = 0; t < nt; t++)
    for (int q = 0; q < np; q++) scaled[(size_t)t * np + q] = (1.0 - (double)t / nt) * params[q];
  positive_phase(nv, nh, params, batch, nb, theta, o, g);
  for (int c = 0; c < nc; c++) {
    double *rep = chains + (size_t)c * nt * nv; /* nt replicas of nv units */
    for (int t = 0; t < nt; t++)
      for (int s = 0; s < k; s++) nqs_bm_gibbs(nv, nh, scaled + (size_t)t * np, rep + (size_t)t * nv, h, rng);
    for (int t = 0; t + 1 < nt; t++) { /* swap neighbours: ratio of the tempered marginals */
      double *x = rep + (size_t)t * nv, *y = rep + (size_t)(t + 1) * nv;
      const double *pt = scaled + (size_t)t * np, *pu = scaled + (size_t)(t + 1) * np;
      const double l = nqs_rbm_bb_log_marginal(nv, nh, pt, y, theta) + nqs_rbm_bb_log_marginal(nv, nh, pu, x, theta) -
                       nqs_rbm_bb_log_marginal(nv, nh, pt, x, theta) - nqs_rbm_bb_log_marginal(nv, nh, pu, y, theta);
      if (l >= 0 || nqs_rng_uniform(rng) < exp(l))
        for (int i = 0; i < nv; i++) {
          const double tmp = x[i];
          x[i] = y[i];
          y[i] = tmp;
        }
    }
    nqs_rbm_angles(nv, nh, params + nv, params + nv + nh, rep, 1.0, theta); /* replica 0: beta = 1 */
    nqs_rbm_bb_dlog(nv, nh, rep, theta, o);
    for (int q = 0; q < np; q++) g[q] -= o[q] / nc;
  }
  free(scaled);
  free(theta);
  free(h);
  free(o);
}
