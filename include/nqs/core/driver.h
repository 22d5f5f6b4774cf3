/* nqs/core/driver.h — the one VMC driver, as a lifecycle (GSL style: the caller owns the loop).
 *
 *   nqs_driver *d = nqs_driver_create(&config, &opts, &err);   // model, walkers, thermalisation
 *   while (nqs_driver_iteration(d) < config.optimizer.iterations)
 *     nqs_driver_step(d, &it, &err);                          // one optimisation iteration
 *   nqs_driver_evaluate(d, &ev, &err);                        // frozen parameters
 *   nqs_driver_params(d, &n); ...; nqs_driver_free(d);
 *
 * Any model (nqs/core/model.h) runs through it, with any update rule (nqs/core/optimizer.h). The driver
 * writes no file and prints nothing: the run folder (config.ini, log.jsonl, checkpoint.h5,
 * result.json) is a layer on top (nqs/core/run.h). Every function accepts err == NULL.
 *
 * Step acceptance: a step after which the energy rose by more than 5 error bars (those of the
 * two iterations added), fell by as much while the variance of E_L grew tenfold, the variance
 * grew a hundredfold, the acceptance fell to a quarter, the energy went below the model's lower
 * bound, or sampling failed (a non-finite E_L) is undone: the parameters and the walkers go
 * back, the learning rate halves and the SR shift grows tenfold, and nqs_driver_step reports it
 * (rejected = 1) without counting the iteration. The next iteration re-measures the old
 * parameters (and is not judged) before stepping again. After 8 undone steps with no good one
 * between them, nqs_driver_step returns NQS_EFAILED: the optimisation diverged.
 *
 * Verdict: nqs_driver_evaluate ends with a health check (nqs_verdict, docs/verdicts.md). */
#ifndef NQS_DRIVER_H
#define NQS_DRIVER_H
#include <stddef.h>
#include "nqs/core/checkpoint.h"
#include "nqs/core/comm.h"
#include "nqs/core/config.h"
#include "nqs/core/model.h"
#include "nqs/core/optimizer.h"
#include "nqs/core/stats.h"
#include "nqs/core/verdict.h"
#include "nqs/core/vmc.h"

typedef struct nqs_driver nqs_driver;

/* Called about every 1 % of the evaluation with the fraction done, (0, 1]. */
typedef void (*nqs_fraction_fn)(void *user, double fraction);

typedef struct nqs_driver_options {
  const nqs_checkpoint *restart; /* continue from this state (sizes must match the configuration) */
  const double *init_params;     /* fresh runs: start from these parameters (a warm start), or NULL */
  int init_nparams;
  const nqs_comm *comm;          /* MPI ranks sharing the walkers (NULL: this process alone) */
  nqs_fraction_fn progress;      /* evaluation progress (may be NULL) */
  void *user;
} nqs_driver_options;

typedef struct nqs_iteration {
  long iteration;         /* the iteration completed (or, when rejected, attempted) */
  int rejected;           /* 1: the previous step was undone; reason says why; not an iteration */
  char reason[256];
  nqs_estimate energy;
  double acceptance, grad_norm, learning_rate, step, diag_shift;
  const double *params;   /* the parameters the energy was measured at (nparams, owned by the driver) */
  int sample_rule;        /* the update rule used every sample (SR): update holds its solver path */
  nqs_update_info update;
} nqs_iteration;

typedef struct nqs_evaluation {
  nqs_estimate energy;                 /* = series[0] */
  nqs_estimate series[NQS_MAX_SERIES]; /* the model's local-energy components */
  const char *names[NQS_MAX_SERIES];
  int nseries;
  double acceptance, rhat;
  long samples, sweeps;
  int has_reference;
  double reference;
  const char *reference_source;
  nqs_verdict verdict;
} nqs_evaluation;

/* Validate a configuration completely (the model is built once and freed). */
nqs_status nqs_driver_check(const nqs_config *c, nqs_error *err);

/* Build the model and the walkers; restore a checkpoint, or start fresh (warm start, then
 * thermalisation with step adaptation). NULL with *err on failure. c is copied. */
nqs_driver *nqs_driver_create(const nqs_config *c, const nqs_driver_options *o, nqs_error *err);
void nqs_driver_free(nqs_driver *d);

/* One optimisation iteration (see the contract above). */
nqs_status nqs_driver_step(nqs_driver *d, nqs_iteration *it, nqs_error *err);
/* Completed iterations. */
long nqs_driver_iteration(const nqs_driver *d);

/* Re-thermalise (after any optimisation) and sample evaluation.samples with frozen parameters,
 * measuring the model's observables. */
nqs_status nqs_driver_evaluate(nqs_driver *d, nqs_evaluation *ev, nqs_error *err);
/* The observables of the last evaluation (the model's object), or NULL. */
void *nqs_driver_observables(const nqs_driver *d);
/* The configurations the last evaluation kept (evaluation.dump_samples > 0): rows of the model's
 * ncoords coordinates (particles: x, y, ... of particle 1, then particle 2, ...; lattices: the
 * spins), walker by walker, each walker's spread evenly over its sweeps; NULL if none. */
const double *nqs_driver_samples(const nqs_driver *d, long *rows, int *cols);

/* The trace of the last evaluation: component q (the model's series[q]) of the local energy,
 * averaged over the walkers, one value per sweep, into x (room for nqs_driver_trace_length
 * values); returns that length, 0 before any evaluation or for q out of range. */
long nqs_driver_trace_length(const nqs_driver *d);
long nqs_driver_trace_mean(const nqs_driver *d, int q, double *x);

const double *nqs_driver_params(const nqs_driver *d, int *n);
void nqs_driver_param_name(const nqs_driver *d, int k, char *buf, size_t size);
/* How many parameters this (fresh) run took from [run] init_from; 0 without a warm start. */
int nqs_driver_warm_matched(const nqs_driver *d);
const nqs_model *nqs_driver_model(const nqs_driver *d);
nqs_vmc *nqs_driver_vmc(const nqs_driver *d);
const nqs_config *nqs_driver_config(const nqs_driver *d);
const nqs_comm *nqs_driver_comm(const nqs_driver *d);

/* The whole state as a checkpoint (kind "vmc"), allocated into *ck (free with
 * nqs_checkpoint_free). Collective under MPI: every rank calls it; rank 0 receives every walker. */
nqs_status nqs_driver_checkpoint(const nqs_driver *d, nqs_checkpoint *ck, nqs_error *err);

#endif
