/* nqs/optimizer.h — parameter updates from the energy gradient, as a type table.
 * All state (Adam moments) is one flat array matching the flat parameters, so
 * zeroing, checkpointing and reductions are one loop each. */
#ifndef NQS_OPTIMIZER_H
#define NQS_OPTIMIZER_H
#include "nqs/error.h"

typedef struct nqs_optimizer_type {
  const char *name;
  const char *help;
  int state_per_param; /* doubles of state per parameter */
  /* theta -= update(grad); t counts steps from 1. */
  void (*step)(double *theta, const double *grad, double *state, int np, double lr, long t);
} nqs_optimizer_type;

extern const nqs_optimizer_type nqs_opt_sgd, nqs_opt_adam;
extern const nqs_optimizer_type *const nqs_optimizer_types[]; /* NULL-terminated */
const nqs_optimizer_type *nqs_optimizer_find(const char *name);

#endif
