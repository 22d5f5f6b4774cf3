/* potential.c — the pair-potential registry and the two classic interactions. */
#include <math.h>
#include <string.h>
#include "nqs/particles/potential.h"

static double none_pair(const double *p, double r2) { return 0.0; }
static double coulomb_pair(const double *p, double r2) { return 1.0 / sqrt(r2); }

const nqs_potential_type nqs_potential_none = {
    .name = "none", .help = "no interaction", .pair = none_pair, .virial_power = 0, .min_dim = 1, .repulsive = 1};

/* 1/r: in 1D not integrable at contact. */
const nqs_potential_type nqs_potential_coulomb = {
    .name = "coulomb", .help = "Coulomb repulsion 1/r", .pair = coulomb_pair, .virial_power = -1, .min_dim = 2, .repulsive = 1};

const nqs_potential_type *const nqs_potential_types[] = {
    &nqs_potential_coulomb,
    &nqs_potential_none,
    &nqs_potential_hard_sphere,
    &nqs_potential_gaussian,
    NULL,
};

const nqs_potential_type *nqs_potential_find(const char *name) {
  for (int i = 0; name && nqs_potential_types[i]; i++)
    if (strcmp(nqs_potential_types[i]->name, name) == 0) return nqs_potential_types[i];
  return NULL;
}

const char *nqs_potential_type_name(int i) { return nqs_potential_types[i] ? nqs_potential_types[i]->name : NULL; }
