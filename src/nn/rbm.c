/* rbm.c — RBM kernels (see nqs/nn/rbm.h). */
#include "nqs/nn/rbm.h"

void nqs_rbm_angles(int nv, int nh, const double *b, const double *W, const double *v, double scale, double *theta) {
  for (int j = 0; j < nh; j++) theta[j] = b[j];
  for (int i = 0; i < nv; i++) {
    const double vi = scale * v[i];
    const double *restrict Wi = W + (long)i * nh;
    for (int j = 0; j < nh; j++) theta[j] += vi * Wi[j];
  }
}

void nqs_rbm_angles_shift(int nh, const double *W, int i, double delta, const double *theta, double *theta_out) {
  const double *Wi = W + (long)i * nh;
  for (int j = 0; j < nh; j++) theta_out[j] = theta[j] + delta * Wi[j];
}

double nqs_rbm_log_hidden(int nh, const double *theta) {
  double s = 0;
  for (int j = 0; j < nh; j++) s += nqs_softplus(theta[j]);
  return s;
}

double nqs_rbm_bb_log_marginal(int nv, int nh, const double *params, const double *v, double *theta) {
  const double *a = params, *b = params + nv, *W = params + nv + nh;
  nqs_rbm_angles(nv, nh, b, W, v, 1.0, theta);
  double s = 0;
  for (int i = 0; i < nv; i++) s += a[i] * v[i];
  return s + nqs_rbm_log_hidden(nh, theta);
}

double nqs_rbm_bb_flip_log_ratio(int nv, int nh, const double *params, const double *theta, int i, double dv) {
  const double *a = params, *W = params + nv + nh;
  const double *Wi = W + (long)i * nh;
  double s = a[i] * dv;
  for (int j = 0; j < nh; j++) s += nqs_softplus(theta[j] + dv * Wi[j]) - nqs_softplus(theta[j]);
  return s;
}

void nqs_rbm_bb_dlog(int nv, int nh, const double *v, const double *theta, double *o) {
  double *oa = o, *ob = o + nv, *oW = o + nv + nh;
  for (int i = 0; i < nv; i++) oa[i] = v[i];
  for (int j = 0; j < nh; j++) ob[j] = nqs_sigmoid(theta[j]);
  for (int i = 0; i < nv; i++)
    for (int j = 0; j < nh; j++) oW[(long)i * nh + j] = v[i] * ob[j];
}
