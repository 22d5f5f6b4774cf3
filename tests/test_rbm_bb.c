/* Binary-binary RBM kernels against brute force, on a tiny RBM (6 visible, 4 hidden,
 * random parameters of size 0.7):
 *  - ln F(v) = ln sum_h e^{-E(v,h)} by explicit enumeration of the 16 hidden states;
 *  - the flip ratio against recomputation, for {0,1} and {-1,+1} visible units (1e-12);
 *  - d ln F/d params against fourth-order central differences (1e-8);
 *  - P(h_j = 1 | v) = sigmoid(theta_j) against the enumeration of E(v,h);
 *  - ln Z summed over the hidden layer equals ln Z summed over the visible layer (1e-12). */
#include <math.h>
#include <string.h>
#include "check.h"
#include "nqs/nqs.h"

enum { NV = 6, NH = 4, NP = NV + NH + NV * NH };

static double energy(const double *p, const double *v, const int *h) {
  const double *a = p, *b = p + NV, *W = p + NV + NH;
  double e = 0;
  for (int i = 0; i < NV; i++) e -= a[i] * v[i];
  for (int j = 0; j < NH; j++) e -= b[j] * h[j];
  for (int i = 0; i < NV; i++)
    for (int j = 0; j < NH; j++) e -= v[i] * W[i * NH + j] * h[j];
  return e;
}

static double brute_log_f(const double *p, const double *v) {
  double s = 0;
  for (int m = 0; m < (1 << NH); m++) {
    int h[NH];
    for (int j = 0; j < NH; j++) h[j] = (m >> j) & 1;
    s += exp(-energy(p, v, h));
  }
  return log(s);
}

int main(void) {
  double p[NP], theta[NH], o[NP];
  nqs_rng r;
  nqs_rng_seed(&r, 77, 0);
  for (int k = 0; k < NP; k++) p[k] = 0.7 * nqs_rng_normal(&r);
  double e_lf = 0, e_flip = 0, e_fd = 0, e_cond = 0;
  for (int spins = 0; spins < 2; spins++) {
    for (int trial = 0; trial < 10; trial++) {
      double v[NV];
      for (int i = 0; i < NV; i++) {
        int bit = nqs_rng_uniform(&r) < 0.5;
        v[i] = spins ? (bit ? 1.0 : -1.0) : bit;
      }
      double lf = nqs_rbm_bb_log_marginal(NV, NH, p, v, theta);
      e_lf = fmax(e_lf, fabs(lf - brute_log_f(p, v)));
      for (int i = 0; i < NV; i++) {
        double dv = spins ? -2 * v[i] : 1 - 2 * v[i];
        double ratio = nqs_rbm_bb_flip_log_ratio(NV, NH, p, theta, i, dv);
        double w[NV], th2[NH];
        memcpy(w, v, sizeof w);
        w[i] += dv;
        e_flip = fmax(e_flip, fabs(ratio - (nqs_rbm_bb_log_marginal(NV, NH, p, w, th2) - lf)));
      }
      nqs_rbm_bb_dlog(NV, NH, v, theta, o);
      for (int k = 0; k < NP; k++) {
        const double h = 1e-3, t = p[k];
        double f[5];
        for (int s = 0; s < 5; s++) {
          p[k] = t + (s - 2) * h;
          f[s] = nqs_rbm_bb_log_marginal(NV, NH, p, v, theta);
        }
        p[k] = t;
        e_fd = fmax(e_fd, fabs(o[k] - (-f[4] + 8 * f[3] - 8 * f[1] + f[0]) / (12 * h)));
      }
      nqs_rbm_bb_log_marginal(NV, NH, p, v, theta);
      for (int j = 0; j < NH; j++) { /* P(h_j = 1 | v) by enumeration */
        double num = 0, den = 0;
        for (int m = 0; m < (1 << NH); m++) {
          int h[NH];
          for (int q = 0; q < NH; q++) h[q] = (m >> q) & 1;
          double wgt = exp(-energy(p, v, h));
          den += wgt;
          if (h[j]) num += wgt;
        }
        e_cond = fmax(e_cond, fabs(num / den - nqs_sigmoid(theta[j])));
      }
    }
  }
  CHECK(e_lf < 1e-12, "ln F(v) vs enumeration of the hidden layer: max err %.1e", e_lf);
  CHECK(e_flip < 1e-12, "flip log-ratio vs recomputation ({0,1} and {-1,1}): max err %.1e", e_flip);
  CHECK(e_fd < 1e-8, "d ln F/d params vs 4th-order FD: max err %.1e", e_fd);
  CHECK(e_cond < 1e-12, "P(h_j=1|v) = sigmoid(theta_j) vs enumeration: max err %.1e", e_cond);
  /* ln Z both ways, v in {0,1}: sum_v F(v) = sum_h e^{b.h} prod_i (1 + e^{a_i + sum_j W_ij h_j}) */
  double zv = 0, zh = 0;
  for (int m = 0; m < (1 << NV); m++) {
    double v[NV];
    for (int i = 0; i < NV; i++) v[i] = (m >> i) & 1;
    zv += exp(nqs_rbm_bb_log_marginal(NV, NH, p, v, theta));
  }
  for (int m = 0; m < (1 << NH); m++) {
    double lz = 0;
    for (int j = 0; j < NH; j++) lz += p[NV + j] * ((m >> j) & 1);
    for (int i = 0; i < NV; i++) {
      double t = p[i];
      for (int j = 0; j < NH; j++) t += p[NV + NH + i * NH + j] * ((m >> j) & 1);
      lz += nqs_softplus(t);
    }
    zh += exp(lz);
  }
  CHECK(fabs(log(zv) - log(zh)) < 1e-12, "ln Z over the visible layer %.12f = over the hidden layer %.12f", log(zv), log(zh));
  return check_done();
}
