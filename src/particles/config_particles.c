/* config_particles.c — the [system] and [wavefunction] sections as a trapped system and the
 * factors' options (nqs/particles/factor.h). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/core/config.h"
#include "nqs/nn/mlp.h"
#include "nqs/particles/factor.h"
#include "nqs/particles/potential.h"

nqs_status nqs_config_system(const nqs_config *c, nqs_system *sys, nqs_error *err) {
  const char *st = c->system.statistics;
  nqs_statistics stat = strcmp(st, "bosons") == 0     ? NQS_BOSONS
                        : strcmp(st, "fermions") == 0 ? NQS_FERMIONS
                                                      : NQS_DISTINGUISHABLE;
  nqs_status s = nqs_system_init(sys, c->system.dimensions, c->system.particles, stat, NQS_INTERACTION_NONE, c->system.omega,
                                 c->system.lambda, err);
  if (s) return s;
  /* the potential's parameters: its own option rows, in order */
  const nqs_potential_type *pot = nqs_potential_find(c->system.interaction);
  double par[NQS_POT_PARAMS] = {0};
  int k = 0;
  for (const nqs_option *o = pot->options; o && o->key && k < NQS_POT_PARAMS; o++) par[k++] = *(const double *)((const char *)c + o->offset);
  return nqs_system_set_potential(sys, pot, par, err);
}

nqs_factor_options nqs_config_factor_options(const nqs_config *c) {
  const int sq = strcmp(c->wavefunction.rbm_psi, "sqrtF") == 0;
  double sigma = c->wavefunction.sigma;
  if (sigma == 0) sigma = 1.0 / sqrt((sq ? 2.0 : 1.0) * c->system.omega); /* RBM Gaussian = trap ground state */
  nqs_factor_options fo = {.alpha = c->wavefunction.alpha,
                           .beta = c->wavefunction.beta,
                           .pade_cusp = 1,
                           .hidden = c->wavefunction.hidden,
                           .rbm_sigma = sigma,
                           .rbm_sqrt = sq,
                           .init_std = c->wavefunction.init_std,
                           .seed = c->run.seed,
                           .ffnn_activation = nqs_activation_parse(c->wavefunction.ffnn_activation),
                           .ffnn_coords = strcmp(c->wavefunction.ffnn_input, "coords") == 0,
                           .walkers = c->sampler.walkers,
                           .bf_ndet = c->wavefunction.determinants,
                           .memory_limit = c->run.memory_limit};
  if (nqs_mlp_parse_widths(c->wavefunction.ffnn_layers, fo.ffnn_hidden, &fo.ffnn_nhidden)) fo.ffnn_nhidden = -1;
  if (nqs_mlp_parse_widths(c->wavefunction.backflow_layers, fo.bf_hidden, &fo.bf_nhidden)) fo.bf_nhidden = -1;
  if (strcmp(c->wavefunction.backflow_orbitals, "none") == 0) fo.bfo_nhidden = 0;
  else if (nqs_mlp_parse_widths(c->wavefunction.backflow_orbitals, fo.bfo_hidden, &fo.bfo_nhidden)) fo.bfo_nhidden = -1;
  return fo;
}

