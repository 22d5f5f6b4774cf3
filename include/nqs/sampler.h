/* nqs/sampler.h — Markov-chain moves for one walker, as a type table.
 *
 * A sweep is n one-particle moves, particles in order. */
#ifndef NQS_SAMPLER_H
#define NQS_SAMPLER_H
#include "nqs/wavefunction.h"

typedef struct nqs_sampler_type {
  const char *name;
  const char *help;
  double default_step;   /* step length (metropolis) or time step (langevin) */
  double default_target; /* acceptance the step is adapted to during thermalisation */
  /* One sweep; returns the number of accepted moves. */
  long (*sweep)(const nqs_wavefunction *wf, nqs_walker *w, double step);
} nqs_sampler_type;

extern const nqs_sampler_type nqs_sampler_metropolis, nqs_sampler_langevin;
extern const nqs_sampler_type *const nqs_sampler_types[]; /* NULL-terminated */
const nqs_sampler_type *nqs_sampler_find(const char *name);

#endif
