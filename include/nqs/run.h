/* nqs/run.h — one complete run: optimise, then evaluate with frozen parameters,
 * writing the run folder (config.ini, log.jsonl, result.json). */
#ifndef NQS_RUN_H
#define NQS_RUN_H
#include "nqs/config.h"
#include "nqs/stats.h"

typedef struct nqs_progress {
  const char *phase; /* "thermalize", "optimize", "evaluate" */
  int iteration, iterations;
  double energy, error, acceptance, elapsed;
} nqs_progress;

typedef void (*nqs_progress_fn)(void *user, const nqs_progress *p);

typedef struct nqs_run_result {
  nqs_estimate energy, kinetic, v_trap, v_int;
  double acceptance;
  long samples;
  double wall_seconds;
  int has_reference;
  double reference;
  const char *reference_source;
  char dir[512];
} nqs_run_result;

typedef struct nqs_run_options {
  const struct nqs_checkpoint *restart; /* resume from this state (the run folder is c->output.dir) */
  int evaluate_only;                    /* with restart: no more iterations; write evaluate.json */
  nqs_progress_fn progress;             /* may be NULL; called after each iteration and phase */
  void *user;
} nqs_run_options;

/* Validate c, create the run folder, optimise (checkpointing every
 * output.checkpoint_every iterations and after the last), evaluate, write
 * outputs. o may be NULL (a fresh run, no progress). On failure the run folder
 * keeps what was written so far. */
nqs_status nqs_run(const nqs_config *c, const nqs_run_options *o, nqs_run_result *res, nqs_error *err);

#endif
