/* nqs/particles/system.h — particles in a harmonic trap, continuous space, hbar = m = 1.
 *
 *   H = sum_i ( -1/2 lap_i + 1/2 omega^2 sum_k c_k x_ik^2 ) + sum_{i<j} V_int(r_ij)
 *
 * with c_k = 1 except on the last axis of a 2D or 3D elliptic trap, where
 * c_k = lambda^2 (lambda: ratio of the last-axis frequency to omega).
 * Fermions are spin-1/2 with particles [0, n_up) spin up and [n_up, n) down. */
#ifndef NQS_SYSTEM_H
#define NQS_SYSTEM_H
#include "nqs/core/error.h"
#include "nqs/particles/potential.h"

typedef enum { NQS_BOSONS, NQS_FERMIONS, NQS_DISTINGUISHABLE } nqs_statistics;
/* Shorthand for the two classic interactions in nqs_system_init; any other through nqs_system_set_potential. */
typedef enum { NQS_INTERACTION_NONE, NQS_INTERACTION_COULOMB } nqs_interaction;

#define NQS_MAX_DIM 3

typedef struct nqs_system {
  int dim;          /* 1, 2 or 3 */
  int n;            /* number of particles */
  int n_up;         /* fermions: spin-up count (n/2); others: n */
  nqs_statistics statistics;
  const nqs_potential_type *pot;   /* the pair interaction (nqs/particles/potential.h) */
  double pot_param[NQS_POT_PARAMS]; /* its option values, in the order of its option rows */
  double core;                      /* hard-core radius: Psi must vanish for r_ij < core (0: none) */
  double omega;     /* trap frequency */
  double lambda;    /* last-axis frequency ratio (1 = isotropic) */
} nqs_system;

/* Fill *sys and validate; returns NQS_EINPUT with a message on impossible or
 * inconsistent values (e.g. fermions not filling closed shells). */
nqs_status nqs_system_init(nqs_system *sys, int dim, int n, nqs_statistics st,
                           nqs_interaction in, double omega, double lambda, nqs_error *err);

/* Replace the pair interaction (validating it for sys->dim); params: the potential's option values. */
nqs_status nqs_system_set_potential(nqs_system *sys, const nqs_potential_type *pot, const double *params, nqs_error *err);

/* Number of orbitals in the lowest `shells` shells of the d-dimensional isotropic
 * oscillator: sum_{s<shells} binom(s+d-1, d-1). */
int nqs_shell_orbitals(int dim, int shells);

/* If n_per_spin fills whole shells, the number of shells; else -1. */
int nqs_closed_shells(int dim, int n_per_spin);

/* Potential energies at x[n*dim]. Cost O(n^2 d). */
double nqs_system_v_trap(const nqs_system *sys, const double *x);
double nqs_system_v_int(const nqs_system *sys, const double *x);
/* The virial residual 2T - 2V_trap - k V_int of a homogeneous V ~ r^k (zero in expectation at a
 * variational optimum of the length scale); NAN when the potential has no virial check. */
double nqs_system_virial(const nqs_system *sys, double kinetic, double v_trap, double v_int);

/* A known reference energy for this system, or 0 if none: exact for
 * non-interacting particles and Taut's points, DMC for closed-shell 2D dots.
 * *source receives a short citation (static string). */
int nqs_system_reference(const nqs_system *sys, double *value, const char **source);
/* A rigorous lower bound of the ground-state energy: an exact one, or the non-interacting
 * energy when the interaction is repulsive (V >= 0). 0 if none is known. */
int nqs_system_lower_bound(const nqs_system *sys, double *value, const char **source);

#endif
