/* nqs/nn/rbm.h — restricted-Boltzmann-machine kernels shared by the Gaussian-binary
 * wave function (factor rbm), binary-binary RBMs for spins, and Boltzmann learning.
 *
 * Parameters, one flat slice with named views: a[nv] | b[nh] | W[nv*nh] (row-major,
 * W[i*nh + j]). Angles theta_j = b_j + scale * sum_i v_i W_ij (scale = 1/sigma^2 for
 * the Gaussian-binary RBM, 1 for binary-binary).
 *
 * Binary-binary (visible v_i in {0,1} or {-1,+1}, hidden h_j in {0,1}):
 *   E(v,h) = - sum_i a_i v_i - sum_j b_j h_j - sum_ij v_i W_ij h_j
 *   ln F(v) = ln sum_h e^{-E} = sum_i a_i v_i + sum_j softplus(theta_j)
 *   d ln F/d a_i = v_i,  d/d b_j = sigmoid(theta_j),  d/d W_ij = v_i sigmoid(theta_j)
 *   P(h_j = 1 | v) = sigmoid(theta_j). */
#ifndef NQS_RBM_H
#define NQS_RBM_H
#include <math.h>

static inline double nqs_softplus(double t) { return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t)); }
static inline double nqs_sigmoid(double t) {
  if (t >= 0) return 1.0 / (1.0 + exp(-t));
  const double e = exp(t);
  return e / (1.0 + e);
}

/* theta[nh] = b + scale * v^T W. Cost O(nv nh). */
void nqs_rbm_angles(int nv, int nh, const double *b, const double *W, const double *v, double scale, double *theta);

/* theta_out = theta + delta * W[i, :] (visible unit i changed by delta/scale). Cost O(nh).
 * theta_out may equal theta. */
void nqs_rbm_angles_shift(int nh, const double *W, int i, double delta, const double *theta, double *theta_out);

/* sum_j softplus(theta_j) */
double nqs_rbm_log_hidden(int nh, const double *theta);

/* Binary-binary: ln F(v); theta[nh] receives the angles. */
double nqs_rbm_bb_log_marginal(int nv, int nh, const double *params, const double *v, double *theta);

/* Binary-binary: ln F(v') - ln F(v) for v'_i = v_i + dv, given the angles of v; Cost O(nh). */
double nqs_rbm_bb_flip_log_ratio(int nv, int nh, const double *params, const double *theta, int i, double dv);

/* Binary-binary: o[nv + nh + nv*nh] = d ln F / d params, given the angles of v. */
void nqs_rbm_bb_dlog(int nv, int nh, const double *v, const double *theta, double *o);

#endif
