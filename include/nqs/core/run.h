/* nqs/core/run.h — a run folder around the driver (nqs/core/driver.h): optimise, then evaluate with frozen
 * parameters, writing config.ini, log.jsonl, energy.csv, checkpoint.h5, result.json (the schema of
 * docs/output.md), trace.csv and the model's observables; a re-evaluation (evaluate_only) writes
 * its result.json, trace.csv and observables into the sub-folder evaluate/. The files are this layer's business alone; the
 * driver underneath writes nothing. */
#ifndef NQS_RUN_H
#define NQS_RUN_H
#include "nqs/core/comm.h"
#include "nqs/core/config.h"
#include "nqs/core/driver.h"
#include "nqs/core/model.h"
#include "nqs/core/stats.h"

/* The version of result.json's layout (docs/output.md). */
#define NQS_SCHEMA_VERSION 3

typedef struct nqs_progress {
  const char *phase; /* "optimize", "evaluate", "train" */
  int iteration, iterations;
  double fraction;   /* of the phase done, (0, 1] */
  int has_energy;    /* energy, error and acceptance are set (after each iteration, at the end of the evaluation) */
  double energy, error, acceptance;
  double elapsed;    /* seconds since the phase started */
  const char *unit;  /* of the energy ("MeV", ...), or NULL */
} nqs_progress;

typedef void (*nqs_progress_fn)(void *user, const nqs_progress *p);

typedef struct nqs_run_result {
  nqs_estimate energy;                       /* = series[0] */
  nqs_estimate series[NQS_MAX_SERIES];       /* the model's local-energy components */
  const char *series_names[NQS_MAX_SERIES];  /* "energy", "kinetic", ... (static strings) */
  const char *energy_unit, *length_unit;     /* "MeV", "fm", ... (static strings, nqs/core/model.h) */
  int nseries;
  double acceptance;
  long samples;
  double wall_seconds;
  int has_reference;
  double reference;
  const char *reference_source;
  nqs_verdict verdict;  /* the health check (nqs/core/driver.h); FAILED comes with NQS_EFAILED */
  char dir[512]; /* the run folder */
  char out[600]; /* where this call's results went: dir, or dir/evaluate for a re-evaluation */
  double *params; /* nparams: the final parameters (malloc'ed; nqs_run_result_free) */
  int nparams;
} nqs_run_result;

void nqs_run_result_free(nqs_run_result *res);
/* The estimate of the series called name ("kinetic", "r2", ...), or NULL. */
const nqs_estimate *nqs_run_result_series(const nqs_run_result *res, const char *name);

typedef struct nqs_run_options {
  const struct nqs_checkpoint *restart; /* resume from this state (the run folder is c->output.dir) */
  int evaluate_only;                    /* with restart: no more iterations; results into DIR/evaluate/ */
  nqs_progress_fn progress;             /* may be NULL; called after each iteration and during the evaluation */
  void *user;
  const double *init_params;            /* fresh runs: start from these parameters (a warm start), or NULL */
  int init_nparams;                     /* their count, which must match the wave function's */
  const nqs_comm *comm;                 /* MPI ranks sharing the walkers (NULL: this process alone);
                                           every rank calls nqs_run, rank 0 alone writes and reports */
} nqs_run_options;

/* Validate c, create the run folder, optimise (checkpointing every
 * output.checkpoint_every iterations and after the last), evaluate, write
 * outputs. o may be NULL (a fresh run, no progress). On failure the run folder
 * keeps what was written so far. NQS_EFAILED: the optimisation diverged (result.json says so,
 * the last checkpoint is the last good state) or the evaluation failed its health check
 * (everything is written and res filled; res->verdict says why). */
nqs_status nqs_run(const nqs_config *c, const nqs_run_options *o, nqs_run_result *res, nqs_error *err);

#endif
