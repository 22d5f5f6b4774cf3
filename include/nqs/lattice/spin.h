/* nqs/lattice/spin.h — RBM wave functions of spin-1/2 lattice models (Carleo & Troyer,
 * Science 355, 602 (2017)) and their variational Monte Carlo.
 *
 * Spins s_i = +-1 (sz eigenvalues), n visible units, H = alpha n hidden units:
 *   ln Psi(s) = sum_i a_i s_i + sum_j ln cosh(theta_j),  theta_j = b_j + sum_i W_ij s_i
 * with real parameters (a | b | W, W row-major n x H in one flat array). A walker caches
 * theta, so the ratio Psi(s')/Psi(s) for k flipped spins costs O(k H):
 *   theta_j' = theta_j - 2 sum_{i flipped} W_ij s_i.
 * O_k = d ln Psi / d theta_k: s_i (a), tanh(theta_j) (b), s_i tanh(theta_j) (W).
 *
 * Translation-symmetric RBM (Carleo & Troyer): alpha filters w_f (one weight per site), one
 * hidden unit per filter and translation T_t, theta_{f,t} = b_f + sum_d w_f[d] s_{T_t(d)},
 * and one visible bias a: ln Psi is invariant under every translation of the lattice. It is the
 * plain RBM with tied parameters (W_{i,(f,t)} = w_f[T_t^-1 i], b_{(f,t)} = b_f, a_i = a), so
 * the kernels below are shared; only the alpha (n + 1) + 1 free parameters are optimised, and
 * their O is the sum of the O of the tied ones.
 *
 * Feed-forward network (nqs/nn/mlp.h): ln Psi(s) = NN(s), real, inputs the n spins +-1, any depth,
 * widths and activation; the last layer is linear. A walker caches the first layer's
 * pre-activations z0 = W_0 s + b_0 and ln Psi(s): a k-spin flip changes z0 by k columns of W_0
 * (O(k w1)), and the rest of the network is one forward pass from there; O by back-propagation. Real only (with the
 * Marshall rule for Heisenberg models, whose ground state is then positive).
 *
 * Local energy through the connected configurations (Pauli units, nqs/lattice/lattice.h):
 *   tfim:       E_L = -J sum_<ij> s_i s_j - h sum_i Psi(s^i)/Psi(s)
 *   heisenberg: E_L = sum_b J_b Delta s_i s_j + sum_{b: s_i != s_j} (+-2 J_b) Psi(s^ij)/Psi(s)
 * The Marshall sign rule (bipartite lattices) rotates the sublattice B so the ground state
 * is positive (for J2 = 0), turning +2J into -2J on the bonds between the sublattices: what a
 * real RBM can represent. */
#ifndef NQS_SPIN_H
#define NQS_SPIN_H
#include <complex.h>
#include "nqs/lattice/lattice.h"
#include "nqs/nn/mlp.h"
#include "nqs/core/rng.h"

/* Real weights (params) or complex weights (cparams, the same layout; then ln Psi, the
 * angles, the ratios, O_k and E_L are complex, and |Psi|^2 = exp(2 Re ln Psi)). */
typedef struct nqs_spin_psi {
  int n, H, nparams;       /* nparams: count of (real or complex) parameters */
  int cplx;
  double *params;          /* real: a[n] | b[H] | W[n*H] (owned) */
  double complex *cparams; /* complex: the same (owned) */
  int nfree;               /* free parameters: nparams, or alpha (n + 1) + 1 with translation symmetry */
  int *tie;                /* nparams: the free parameter behind each parameter (NULL: all free) (owned) */
  double *fparams;         /* the free parameters as real numbers, nfree (real) or 2 nfree (Re, Im interleaved):
                            * params / cparams themselves when tie == NULL (else owned). After changing
                            * them, call nqs_spin_psi_sync. */
  int ffnn;                /* 1: the feed-forward network mlp, whose parameters are params (H: first width) */
  nqs_mlp mlp;
} nqs_spin_psi;

typedef struct nqs_spin_walker {
  double *s;              /* n spins, +-1 */
  double *theta;          /* H angles (real weights); ffnn: the first layer's pre-activations z0 (H = w1) */
  double *tanh_theta;     /* H: tanh of the angles (real weights), for O(H) ratios with one exp per unit */
  double complex *ctheta; /* H angles (complex weights) */
  double lnpsi;           /* ffnn: ln Psi(s) */
  double *flipped, *work; /* ffnn: z0 of a proposed flip (H), the network's workspace */
  nqs_rng rng;
} nqs_spin_walker;

/* Weights ~ N(0, init_std^2) (complex: real and imaginary parts each), biases 0, from
 * the stream (seed, 0x5B1). */
nqs_status nqs_spin_rbm_init(nqs_spin_psi *r, int n, int H, int cplx, double init_std, uint64_t seed, nqs_error *err);
/* The translation-symmetric RBM of a periodic chain or square lattice, alpha filters; free
 * weights ~ N(0, init_std^2), biases 0. */
nqs_status nqs_spin_rbm_init_translation(nqs_spin_psi *r, const nqs_spin_system *sys, int alpha, int cplx,
                                         double init_std, uint64_t seed, nqs_error *err);
/* The feed-forward network on n spins: hidden widths[nhidden], activation act; hidden weights
 * ~ N(0, 1/fan_in), output weights ~ N(0, init_std^2) (ln Psi starts nearly constant), biases 0. */
nqs_status nqs_spin_ffnn_init(nqs_spin_psi *r, int n, const int *hidden, int nhidden, nqs_activation act,
                              double init_std, uint64_t seed, nqs_error *err);
/* Expand the free parameters into params / cparams (a no-op without symmetry). */
void nqs_spin_psi_sync(nqs_spin_psi *r);
void nqs_spin_psi_free(nqs_spin_psi *r);

nqs_status nqs_spin_walker_alloc(const nqs_spin_psi *r, nqs_spin_walker *w, nqs_error *err);
void nqs_spin_walker_free(nqs_spin_walker *w);
/* Recompute theta from s. */
void nqs_spin_walker_init(const nqs_spin_psi *r, nqs_spin_walker *w);

double complex nqs_spin_logpsi(const nqs_spin_psi *r, const double *s);
/* ln Psi(s with sites flip[0..k) flipped) - ln Psi(s), from the cached angles. */
double complex nqs_spin_log_ratio(const nqs_spin_psi *r, const nqs_spin_walker *w, const int *flip, int k);
/* Flip the sites and update the angles. */
void nqs_spin_flip(const nqs_spin_psi *r, nqs_spin_walker *w, const int *flip, int k);
/* O_k of the free parameters written to o: nfree doubles (real weights) or nfree double complex
 * (2 nfree doubles). */
void nqs_spin_dlogpsi(const nqs_spin_psi *r, const nqs_spin_walker *w, double *o);

/* Local energy (real for real weights). sublattice (n colours 0 / 1, from nqs_spin_bipartite)
 * applies the Marshall sign rule (Heisenberg): an exchange across the sublattices gets -2 J_b;
 * NULL: no sign rule. */
double complex nqs_spin_local_energy(const nqs_spin_system *sys, const nqs_spin_psi *r, const nqs_spin_walker *w,
                                     const int *sublattice);

/* One sweep of n Metropolis moves: single spin flips (tfim), or exchanges of an
 * anti-aligned bond's two spins, which keep the magnetisation (heisenberg). Returns accepted moves. */
long nqs_spin_sweep(const nqs_spin_system *sys, const nqs_spin_psi *r, nqs_spin_walker *w);

/* Are the nearest-neighbour bonds two-colourable (the Marshall sign rule applies)? Colours to
 * col[n] (0 / 1) if given. */
int nqs_spin_bipartite(const nqs_spin_system *sys, int *col);

#endif
