/* nqs/core/vmc.h — an ensemble of walkers sampling |Psi|^2 of any model (nqs/core/model.h), with estimators.
 *
 * Walker w draws from its own RNG stream (seed, w), and all reductions run over walkers in a
 * fixed order, so results are identical for any number of threads and any split of the walkers
 * over MPI ranks (nqs/core/comm.h). One local energy is computed per sweep (one sample per sweep per
 * walker). Error bars come from blocking the series of walker-averaged samples, one entry per
 * sweep. */
#ifndef NQS_VMC_H
#define NQS_VMC_H
#include <stdint.h>
#include "nqs/core/comm.h"
#include "nqs/core/model.h"
#include "nqs/core/stats.h"

typedef struct nqs_vmc_options {
  double step;              /* initial step; <= 0: the model's default */
  double target_acceptance; /* <= 0: the model's default */
  int walkers;
  uint64_t seed;
  int threads;              /* 0: OpenMP default */
  const nqs_comm *comm;     /* MPI ranks sharing the walkers; NULL: this process alone */
} nqs_vmc_options;

typedef struct nqs_vmc nqs_vmc;

typedef struct nqs_vmc_result {
  nqs_estimate energy;                  /* = series[0] */
  nqs_estimate series[NQS_MAX_SERIES];  /* the model's local-energy components (model->series names them) */
  int nseries;
  double acceptance;
  double rhat;         /* Gelman-Rubin R-hat of E_L over the walkers (chains) */
  long samples;
  double *o_mean; /* nparams: <O_k> (complex: Re, Im pairs) (owned by the vmc object) */
  double *grad;   /* nparams: dE/dtheta_k = 2 Re(<O_k^* E_L> - <O_k^*><E_L>), for complex parameters
                     the (Re, Im) pair of 2 (<O_k^* E_L> - <O_k^*><E_L>) (owned by the vmc object) */
  double grad_norm;
  const double *O;   /* with NQS_WANT_SAMPLES: samples x nparams, row t*walkers + w (owned by the vmc object) */
  const double *el;  /* samples local energies (real part), same order (owned by the vmc object) */
  const double *eli; /* complex models: the imaginary parts, else NULL */
} nqs_vmc_result;

/* What nqs_vmc_sample computes beyond the energy estimates. */
enum { NQS_WANT_GRAD = 1, NQS_WANT_SAMPLES = 2 };

/* Create W walkers at random configurations (the model's walker_start, each from its own RNG
 * stream) and initialise their caches. The model is borrowed, not owned. */
nqs_vmc *nqs_vmc_create(nqs_model *m, const nqs_vmc_options *opt, nqs_error *err);
void nqs_vmc_free(nqs_vmc *v);

/* The same over particles with a hand-built wave function and sampler (both borrowed; the model
 * wrapping them belongs to the vmc object): what tests and benchmarks use. */
struct nqs_wavefunction;
struct nqs_sampler_type;
nqs_vmc *nqs_vmc_create_wf(struct nqs_wavefunction *wf, const struct nqs_sampler_type *s, const nqs_vmc_options *opt,
                           nqs_error *err);

/* `sweeps` sweeps per walker without measuring. With adapt != 0, the step is
 * rescaled every 10 sweeps towards the target acceptance (thermalisation only:
 * adapting while measuring would break detailed balance). */
nqs_status nqs_vmc_thermalize(nqs_vmc *v, int sweeps, int adapt, nqs_error *err);

/* Re-initialise all walker caches from their configurations (after a parameter change). */
nqs_status nqs_vmc_reinit(nqs_vmc *v, nqs_error *err);

/* Measure `sweeps` samples per walker. want: 0, or NQS_WANT_GRAD (<O_k> and the
 * energy gradient), or NQS_WANT_GRAD | NQS_WANT_SAMPLES (also every O vector, for SR).
 * Non-finite local energies stop the sampling with NQS_ERUNTIME. */
nqs_status nqs_vmc_sample(nqs_vmc *v, long sweeps, int want, nqs_vmc_result *res, nqs_error *err);

/* Optional hooks of nqs_vmc_sample. observe(ctx, walker, w) (walker: the global index) is called after every
 * sample, from the thread that owns the walker (so per-walker accumulators need no
 * locks). progress(ctx, fraction) is called from one thread about every 1 % of the
 * work, fraction in (0, 1]. Pass NULL to remove. */
typedef void (*nqs_vmc_observe_fn)(void *ctx, int walker, const void *w);
typedef void (*nqs_vmc_progress_fn)(void *ctx, double fraction);
void nqs_vmc_set_hooks(nqs_vmc *v, nqs_vmc_observe_fn observe, nqs_vmc_progress_fn progress, void *ctx);

/* The series x[t * walkers + w] averaged over the walkers, one value per sweep: what the error
 * bars are blocked from (and trace.csv holds). */
void nqs_vmc_walker_mean(const double *x, long sweeps, int walkers, double *out);

double nqs_vmc_step(const nqs_vmc *v);
void nqs_vmc_set_step(nqs_vmc *v, double step);
/* This rank's walkers: local index i is global walker first_walker + i. */
int nqs_vmc_walkers(const nqs_vmc *v);
int nqs_vmc_walkers_total(const nqs_vmc *v);
int nqs_vmc_first_walker(const nqs_vmc *v);
/* The model's walker object (for particles: an nqs_walker). */
void *nqs_vmc_walker(nqs_vmc *v, int i);
void *const *nqs_vmc_walker_list(const nqs_vmc *v);
const nqs_model *nqs_vmc_model(const nqs_vmc *v);

#endif
