/* nqs/learn/boltzmann.h — restricted Boltzmann machines as generative models of binary data
 * (seeds 000, 001, 004: p(v, h) = e^{-E(v,h)}/Z, the log-likelihood gradient as
 * "positive phase minus negative phase"), with exact checks for small machines.
 *
 * Binary-binary RBM with visible and hidden units in {0, 1}, parameters a | b | W as in
 * nqs/nn/rbm.h: E(v,h) = -a.v - b.h - v.W.h, ln F(v) = a.v + sum_j softplus(b_j + (vW)_j),
 * p(v) = F(v)/Z. The average log-likelihood of data {v_d} is L = <ln F(v)>_data - ln Z and
 *   dL/dtheta = <d ln F/d theta>_data - <d ln F/d theta>_model.
 * The model expectation is exact (a sum over 2^nv visible states) for small nv, or estimated
 * by persistent contrastive divergence (PCD-k): chains that do k block-Gibbs sweeps
 * (h | v, then v | h) per update and carry over between updates. */
#ifndef NQS_BOLTZMANN_H
#define NQS_BOLTZMANN_H
#include "nqs/core/error.h"
#include "nqs/core/rng.h"
#include "nqs/core/run.h"

#define NQS_EXACT_MAX_UNITS 24

/* ln Z by summing the smaller layer: over h (2^nh terms) if nh <= nv, else over v. */
double nqs_bm_log_z(int nv, int nh, const double *params);
/* ln Z summed over the visible layer (2^nv terms), or over the hidden layer (2^nh terms). */
double nqs_bm_log_z_visible(int nv, int nh, const double *params);
double nqs_bm_log_z_hidden(int nv, int nh, const double *params);

/* Average log-likelihood of nd data rows v (nd x nv, entries 0/1), exact ln Z. */
double nqs_bm_log_likelihood(int nv, int nh, const double *params, const double *data, int nd);

/* Exact gradient of the average log-likelihood (positive minus exact negative phase): g[np]. */
void nqs_bm_exact_gradient(int nv, int nh, const double *params, const double *data, int nd, double *g);

/* One block-Gibbs sweep of a chain: h ~ p(h|v), then v ~ p(v|h). v[nv], h[nh] updated. */
void nqs_bm_gibbs(int nv, int nh, const double *params, double *v, double *h, nqs_rng *rng);

/* PCD gradient estimate: positive phase from the batch (nb rows), negative phase from nc
 * persistent chains (chains: nc x nv, advanced k sweeps each). g[np]. */
void nqs_bm_pcd_gradient(int nv, int nh, const double *params, const double *batch, int nb, double *chains, int nc,
                         int k, nqs_rng *rng, double *g);

/* PCD with parallel tempering: each of nc chain sets holds nt replicas (chains: nc x nt x nv)
 * at inverse temperatures beta_t = 1 - t/nt (t = 0 .. nt-1) of the RBM (parameters beta_t *
 * params); each update does k block-Gibbs sweeps per replica and then proposes swaps of
 * neighbouring replicas, accepted with the ratio of their tempered marginals. The negative
 * phase uses the beta = 1 replicas. g[np]. */
void nqs_bm_pt_gradient(int nv, int nh, const double *params, const double *batch, int nb, double *chains, int nc, int nt,
                        int k, nqs_rng *rng, double *g);

/* Exact KL divergence sum_v q(v) ln(q(v)/p(v)) of the model p from a target q given on all
 * 2^nv states (state index: bit i = v_i). */
double nqs_bm_kl(int nv, int nh, const double *params, const double *q);

/* Draw per_chain samples from each of `chains` block-Gibbs chains of a binary (sigma = 0) or
 * Gaussian-binary (sigma > 0) RBM (after `burn` sweeps; chain c starts at row c mod nstarts of
 * starts, or at random when starts is NULL; its RNG stream is (seed, 0xB5A0 + c)):
 * out (per_chain x chains rows of nv, chains interleaved in sampling order). */
nqs_status nqs_bm_sample(int nv, int nh, double sigma, const double *params, const double *starts, int nstarts, int chains,
                         long per_chain, int burn, uint64_t seed, double *out, nqs_error *err);

/* DIR/rbm.json: visible, hidden, a, b, W (nv rows of nh), and sigma for a Gaussian-binary RBM
 * (sigma > 0; 0: binary), written atomically / read back (params malloc'ed for the caller). */
nqs_status nqs_bm_write_json(const char *dir, int nv, int nh, double sigma, const double *params, nqs_error *err);
nqs_status nqs_bm_read_json(const char *dir, int *nv, int *nh, double *sigma, double **params, nqs_error *err);

typedef struct nqs_train_result {
  char dir[512];
  int nv, nh, epochs;
  double ll_train, ll_test, kl; /* exact average log-likelihoods and KL to the target (NAN: not computable) */
  int has_observables;          /* Ising data: e, de, m, dm, C, dC, chi, dchi of the data and of RBM samples */
  double observables_data[8], observables_model[8];
  double wall_seconds;
} nqs_train_result;

/* nqs train-rbm: the [boltzmann] section of c, the run folder of [output]; progress through o
 * (may be NULL). */
nqs_status nqs_train_rbm(const nqs_config *c, const nqs_run_options *o, nqs_train_result *res, nqs_error *err);

/* Gaussian-binary RBM (real visible v, binary hidden h, fixed width sigma), parameters a | b | W:
 *   E(v,h) = sum_i (v_i - a_i)^2 / (2 sigma^2) - b.h - sum_ij v_i W_ij h_j / sigma^2
 *   ln F(v) = -|v - a|^2 / (2 sigma^2) + sum_j softplus(b_j + (v W)_j / sigma^2)
 *   v | h ~ N(a + W h, sigma^2),  p(h_j = 1 | v) = sigmoid(b_j + (v W)_j / sigma^2).
 * ln Z sums the hidden layer (nh <= 24): each visible integral is Gaussian. theta[nh] receives
 * the angles. The PCD gradient is that of nqs_bm_pcd_gradient for these energies. */
double nqs_gb_log_f(int nv, int nh, double sigma, const double *params, const double *v, double *theta);
double nqs_gb_log_z(int nv, int nh, double sigma, const double *params);
void nqs_gb_dlog(int nv, int nh, double sigma, const double *params, const double *v, const double *theta, double *o);
void nqs_gb_gibbs(int nv, int nh, double sigma, const double *params, double *v, double *h, nqs_rng *rng);
void nqs_gb_pcd_gradient(int nv, int nh, double sigma, const double *params, const double *batch, int nb, double *chains,
                         int nc, int k, nqs_rng *rng, double *g);
/* Mean squared difference between the data and a + W sigmoid(b + v W / sigma^2), per unit. */
double nqs_gb_reconstruction_error(int nv, int nh, double sigma, const double *params, const double *data, int nd);

/* Mean squared difference between the data and its mean-field reconstruction
 * v' = sigmoid(a + W sigmoid(b + v W)), per unit. */
double nqs_bm_reconstruction_error(int nv, int nh, const double *params, const double *data, int nd);

/* Average pseudo-log-likelihood sum_i ln p(v_i | v_-i) of the rows (exact, no ln Z needed). */
double nqs_bm_pseudo_log_likelihood(int nv, int nh, const double *params, const double *data, int nd);

#endif
