/* nqs/particles/sampler.h — Markov-chain moves for one walker, as a type table.
 *
 * A sweep is n one-particle moves, particles in order, or one move of all particles (the *_all
 * samplers). Every sweep gives one sample. */
#ifndef NQS_SAMPLER_H
#define NQS_SAMPLER_H
#include "nqs/particles/wavefunction.h"

typedef struct nqs_sampler_type {
  const char *name;
  const char *help;
  double default_step;   /* step length (metropolis) or time step (langevin) */
  double default_target; /* acceptance the step is adapted to during thermalisation */
  /* One sweep; returns the number of accepted moves. */
  long (*sweep)(const nqs_wavefunction *wf, nqs_walker *w, double step);
  /* Optional: NQS_EINPUT if the sampler cannot sample this wave function. */
  nqs_status (*check)(const nqs_wavefunction *wf, nqs_error *err);
  int adapts; /* 1 if `step` means something and is adapted during thermalisation */
  int all_particles; /* 1: a sweep is one move of all particles (acceptance per move) */
} nqs_sampler_type;

extern const nqs_sampler_type nqs_sampler_metropolis, nqs_sampler_langevin, nqs_sampler_gibbs,
    nqs_sampler_metropolis_all, nqs_sampler_langevin_all;

/* Gibbs sampling of Psi = sqrt(F) RBMs, defined beside the RBM (src/particles/factor_rbm.c). */
long nqs_rbm_gibbs_sweep(const nqs_wavefunction *wf, nqs_walker *w, double step);
nqs_status nqs_rbm_gibbs_check(const nqs_wavefunction *wf, nqs_error *err);
extern const nqs_sampler_type *const nqs_sampler_types[]; /* NULL-terminated */
const nqs_sampler_type *nqs_sampler_find(const char *name);
/* Name of the i-th registered sampler, NULL past the end (drives [sampler] method's allowed values). */
const char *nqs_sampler_type_name(int i);

#endif
