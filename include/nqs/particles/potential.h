/* nqs/particles/potential.h — pair interactions V_int = sum_{i<j} V(r_ij) of particles in a trap, as a type table.
 *
 * A potential declares its value as a function of r^2, its own input keys (option rows, stored
 * in the configuration's registry slots and copied into param[] in order), the hard-core radius
 * inside which Psi must vanish (0: none), and what the virial check needs: for a homogeneous
 * V ~ r^k the virial theorem at a variational optimum of the length scale reads
 * 2<T> - 2<V_trap> - k<V_int> = 0; `virial_power` is k, or NAN when the potential is not
 * homogeneous (no virial check). Adding a potential costs one file and one registry line
 * (nqs_potential_types in src/particles/potential.c). */
#ifndef NQS_POTENTIAL_H
#define NQS_POTENTIAL_H
#include "nqs/core/option.h"

#define NQS_POT_PARAMS 4

typedef struct nqs_potential_type {
  const char *name;
  const char *help;
  double (*pair)(const double *param, double r2); /* V at distance sqrt(r2) */
  double virial_power;                             /* k of V ~ r^k, or NAN */
  int min_dim;                                     /* smallest dimension where V is integrable */
  int repulsive;                                   /* V >= 0: the non-interacting energy bounds E from below */
  double (*core)(const double *param);            /* hard-core radius, or NULL for none */
  const nqs_option *options;                       /* own input keys, NULL-key terminated (may be NULL) */
} nqs_potential_type;

extern const nqs_potential_type *const nqs_potential_types[]; /* NULL-terminated */
const nqs_potential_type *nqs_potential_find(const char *name);
const char *nqs_potential_type_name(int i);

extern const nqs_potential_type nqs_potential_none, nqs_potential_coulomb, nqs_potential_hard_sphere, nqs_potential_gaussian;

#endif
