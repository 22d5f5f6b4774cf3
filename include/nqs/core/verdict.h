/* nqs/core/verdict.h — the health check of a run: whether its energy is to be trusted.
 * nqs_driver_evaluate fills one (nqs_evaluation.verdict); result.json records it. */
#ifndef NQS_VERDICT_H
#define NQS_VERDICT_H
#include "nqs/core/stats.h"

/* The health check of an evaluation: each finding names its check ("acceptance", "bound", ...),
 * its level and what went wrong with what to change. level is the worst finding's. A FAILED
 * verdict means the energy is not to be trusted (nqs_run then returns NQS_EFAILED). */
typedef enum { NQS_VERDICT_OK = 0, NQS_VERDICT_WARNING = 1, NQS_VERDICT_FAILED = 2 } nqs_verdict_level;
#define NQS_MAX_FINDINGS 8
typedef struct nqs_verdict {
  nqs_verdict_level level;
  int count;
  struct {
    nqs_verdict_level level;
    char check[24];
    char text[480];
  } finding[NQS_MAX_FINDINGS];
} nqs_verdict;

/* "ok", "warning", "failed". */
const char *nqs_verdict_name(nqs_verdict_level level);

/* Add a finding (printf-style text); the verdict's level becomes the worst so far. Findings
 * past NQS_MAX_FINDINGS raise the level but are not kept. */
void nqs_verdict_add(nqs_verdict *v, nqs_verdict_level level, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* What the health check looks at. */
typedef struct nqs_verdict_input {
  nqs_estimate energy;  /* of the evaluation */
  double acceptance, rhat;
  long samples;         /* evaluation.samples (for the advice) */
  int adapts;           /* the moves have a step that thermalisation adapts */
  int has_bound;        /* a rigorous lower bound (nqs_model_type.lower_bound) */
  double bound;
  const char *bound_source;
  int has_reference;
  double reference;
  const char *reference_source; /* "exact ..." for an exact energy; otherwise an upper bound (fixed-node DMC) */
  long iterations;      /* optimisation iterations done */
  double best[3];       /* the iteration with the lowest E + 2 error: mean, error, iteration (0: none) */
  double lr_scale;      /* what undone steps left of the learning rate */
  double learning_rate; /* optimizer.learning_rate (for the advice) */
} nqs_verdict_input;

/* The health check (docs/verdicts.md). Failures: a non-finite energy, stuck walkers (acceptance
 * < 0.01), E + 5 err below the bound, an evaluation more than 7 best-iteration error bars plus 5
 * of its own above the best iteration. Warnings: acceptance < 0.1, no blocking plateau, R-hat >
 * 1.1, a learning rate cut below a tenth, E more than 5 % above the reference. A zero variance
 * with moving walkers is an exact eigenstate and passes. nqs_driver_evaluate calls it. */
void nqs_verdict_judge(const nqs_verdict_input *in, nqs_verdict *v);

#endif
