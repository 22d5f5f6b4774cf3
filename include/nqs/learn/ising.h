/* nqs/learn/ising.h — the classical 2D Ising model, the data generator of Boltzmann learning.
 *
 * L x L periodic square lattice, H = -sum_<ij> s_i s_j (J = 1, k_B = 1), s_i = +-1, at
 * temperature T. Samplers: single-spin Metropolis sweeps and Wolff cluster updates (which do
 * not slow down near T_c = 2 / ln(1 + sqrt 2) = 2.269...). Configurations are handed to the
 * RBM as visible units v_i = (1 + s_i) / 2 in {0, 1}; a state index has bit i = v_i. */
#ifndef NQS_ISING_H
#define NQS_ISING_H
#include "nqs/core/error.h"
#include "nqs/core/rng.h"

/* Onsager's critical temperature 2 / ln(1 + sqrt 2) of the infinite lattice. */
#define NQS_ISING_TC 2.269185314213022

typedef struct nqs_ising {
  int L, n;
  double T;
  signed char *s;   /* n spins +-1 (owned) */
  int *stack;       /* n: the Wolff cluster's frontier (owned) */
  double accept[5]; /* Metropolis acceptance exp(-dE/T) for dE = 0, 4, 8 (index dE/2) */
  double p_add;     /* Wolff bond probability 1 - exp(-2/T) */
  nqs_rng rng;
} nqs_ising;

/* A random (infinite-temperature) start, RNG stream (seed, 0x151). L >= 2, T > 0. */
nqs_status nqs_ising_init(nqs_ising *m, int L, double T, uint64_t seed, nqs_error *err);
void nqs_ising_free(nqs_ising *m);

/* n Metropolis single-spin attempts at random sites; returns the number accepted. */
long nqs_ising_metropolis_sweep(nqs_ising *m);
/* One Wolff cluster flip; returns the cluster size. */
int nqs_ising_wolff(nqs_ising *m);

/* Energy -sum_<ij> s_i s_j and magnetisation sum_i s_i of a configuration of +-1 spins. */
double nqs_ising_energy(int L, const signed char *s);
int nqs_ising_magnetisation(int n, const signed char *s);

/* Observables of rows of visible units v in {0,1} (nr rows of L^2, in sampling order) read as
 * Ising configurations at temperature T: out = e, de, m, dm, C, dC, chi, dchi with e = E/n,
 * m = |M|/n, C/n = n var(e)/T^2, chi/n = n var(m)/T and blocking errors (NAN if out of memory). */
void nqs_ising_observables(int L, double T, const double *rows, long nr, double out[8]);

/* The exact Boltzmann distribution over all 2^n states (n = L^2 <= 24): q[state], state bit i = v_i. */
nqs_status nqs_ising_exact(int L, double T, double *q, nqs_error *err);

#endif
