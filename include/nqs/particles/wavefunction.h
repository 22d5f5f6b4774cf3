/* nqs/particles/wavefunction.h — product wave function and walkers.
 *
 * All parameters live in one flat array (params) with per-factor views
 * (param_off); a walker's per-factor caches live in one buffer (cache_off). */
#ifndef NQS_WAVEFUNCTION_H
#define NQS_WAVEFUNCTION_H
#include "nqs/particles/factor.h"
#include "nqs/core/rng.h"

#define NQS_MAX_FACTORS 8

typedef struct nqs_wavefunction {
  nqs_system sys;
  int nfactors;
  nqs_factor *factors[NQS_MAX_FACTORS];
  int param_off[NQS_MAX_FACTORS + 1]; /* factor f owns params[param_off[f] .. param_off[f+1]) */
  size_t cache_off[NQS_MAX_FACTORS + 1];
  int nparams;
  double *params; /* nparams, owned */
  double *lower;  /* nparams lower bounds */
  char (*param_names)[2 * NQS_PARAM_NAME]; /* "factor.name" */
} nqs_wavefunction;

/* Build Psi from a comma list of factor names, e.g. "slater, pade".
 * Checks that the factors suit the system (Slater needs fermions, ...). */
nqs_wavefunction *nqs_wf_create(const nqs_system *sys, const char *factors,
                                const nqs_factor_options *opt, nqs_error *err);
void nqs_wf_free(nqs_wavefunction *wf);

/* Clamp params to their lower bounds (after an optimiser step). */
void nqs_wf_project(nqs_wavefunction *wf);

/* One Markov chain: positions, factor caches, ln|Psi|, its own RNG stream; and a second set of
 * positions and caches for all-particle moves (nqs_wf_propose_all). */
typedef struct nqs_walker {
  double *x;     /* n*dim */
  void *cache;   /* cache_off[nfactors] bytes */
  double logpsi; /* ln|Psi(x)|, kept up to date by accept */
  double *x_new; /* n*dim: the proposed positions of an all-particle move */
  void *cache_new;
  double logpsi_new;
  double *grad;  /* 2*n*dim scratch for the samplers (gradients at x and x_new) */
  nqs_rng rng;
  long accepted, proposed;
} nqs_walker;

nqs_status nqs_walker_alloc(const nqs_wavefunction *wf, nqs_walker *w, nqs_error *err);
void nqs_walker_free(nqs_walker *w);

/* Recompute all caches and logpsi from w->x. NQS_ERUNTIME if singular. */
nqs_status nqs_wf_walker_init(const nqs_wavefunction *wf, nqs_walker *w, nqs_error *err);

/* ln|Psi(x')/Psi(x)| for particle p moved to xp; grad_new[dim] (optional) receives
 * grad_p ln|Psi(x')|. Must be followed by accept or another propose. */
double nqs_wf_propose(const nqs_wavefunction *wf, nqs_walker *w, int p, const double *xp,
                      double *grad_new);
/* Accept the last proposal: update caches, x and logpsi (log_ratio from propose). */
void nqs_wf_accept(const nqs_wavefunction *wf, nqs_walker *w, int p, const double *xp,
                   double log_ratio);
/* All-particle move to the positions the caller wrote to w->x_new: builds every cache for them
 * in w->cache_new and returns ln|Psi(x_new)/Psi(x)| (-inf if Psi(x_new) = 0 or is singular).
 * nqs_wf_accept_all then makes x_new the walker's state (the buffers swap; O(1)). */
double nqs_wf_propose_all(const nqs_wavefunction *wf, nqs_walker *w);
void nqs_wf_accept_all(nqs_walker *w);
/* The proposed state as a walker of its own (positions x_new, caches cache_new), e.g. to take
 * its gradient; valid until the next accept_all. */
nqs_walker nqs_wf_proposed(const nqs_walker *w);

/* grad_p ln|Psi| at the walker's x, WRITTEN to g[dim]. */
void nqs_wf_grad_p(const nqs_wavefunction *wf, const nqs_walker *w, int p, double *g);

/* Local energy E_L = T + V_trap + V_int with T = -1/2 sum_i (lap_i ln Psi + |grad_i ln Psi|^2).
 * work: n*dim doubles. */
typedef struct nqs_local {
  double e, kinetic, v_trap, v_int;
} nqs_local;
nqs_local nqs_wf_local_energy(const nqs_wavefunction *wf, const nqs_walker *w, double *work);

/* The sign of Psi (+1 or -1) at the walker's x (the product of the factors' signs). */
double nqs_wf_sign(const nqs_wavefunction *wf, const nqs_walker *w);

/* O_k = d ln|Psi| / d theta_k, WRITTEN to o[nparams]. */
void nqs_wf_dparams(const nqs_wavefunction *wf, const nqs_walker *w, double *o);

/* Full gradient and Laplacian sum of ln|Psi| (for tests and observables). */
void nqs_wf_grad_lap(const nqs_wavefunction *wf, const nqs_walker *w, double *g, double *lap);

#endif
