/* nqs/lattice/lattice.h — spin-1/2 models on graphs, and their exact ground states.
 *
 * Pauli-matrix units (divide by 4 for spin-1/2 units in the Heisenberg case):
 *   tfim:        H = -J sum_<ij> sz_i sz_j - h sum_i sx_i
 *   heisenberg:  H =  J sum_<ij> (sx_i sx_j + sy_i sy_j + Delta sz_i sz_j)   (XXZ; Delta = 1: isotropic)
 *   J1-J2:       the same with coupling J on nearest-neighbour bonds and J2 on next-nearest ones
 *                (chain: i, i+2; square: the two diagonals), each bond b with its own J_b.
 * Graphs: periodic or open chains of L sites and L x L square lattices, or an
 * edge list read from a file. Basis state s (an integer): bit i set <=> sz_i = -1. */
#ifndef NQS_LATTICE_H
#define NQS_LATTICE_H
#include "nqs/core/error.h"

typedef enum { NQS_MODEL_TFIM, NQS_MODEL_HEISENBERG } nqs_spin_model;

typedef struct nqs_spin_system {
  int nsites, nbonds;
  int (*bonds)[2];        /* nbonds pairs (i, j), i != j (owned) */
  double *bond_J;         /* nbonds couplings J_b (owned) */
  int nbonds_nn;          /* the first nbonds_nn bonds are the nearest-neighbour ones (Marshall sublattices) */
  int dim, L, periodic;   /* geometry: chain (dim 1) or square (dim 2) of side L; dim 0: an edge list */
  nqs_spin_model model;
  double J, J2, h, delta; /* J2: next-nearest coupling (0: none) */
} nqs_spin_system;

/* Chain (dim = 1, L sites) or square lattice (dim = 2, L x L sites), periodic or open.
 * Periodic chains need L >= 3 (L >= 5 with J2) and periodic squares L >= 3 (no doubled bonds). */
nqs_status nqs_spin_system_init(nqs_spin_system *s, int dim, int L, int periodic, nqs_spin_model model, double J, double J2,
                                double h, double delta, nqs_error *err);

/* A graph from a text file: one bond per line, "i j" (coupling J) or "i j J_ij", sites
 * numbered from 0, '#' starts a comment. Sites = largest index + 1; every site needs a bond. */
nqs_status nqs_spin_system_from_edges(nqs_spin_system *s, const char *path, nqs_spin_model model, double J, double h,
                                      double delta, nqs_error *err);
void nqs_spin_system_free(nqs_spin_system *s);

/* Largest number of sites nqs_exact_ground accepts (2^n amplitudes per Lanczos vector). */
#define NQS_EXACT_MAX_SITES 26

/* Ground-state energy by implicitly restarted Lanczos (ARPACK dsaupd/dseupd) on
 * the full 2^n space; the matrix-vector product runs over OpenMP threads.
 * Converged to ~1e-12 relative. */
nqs_status nqs_exact_ground(const nqs_spin_system *s, double *e0, nqs_error *err);
/* The same, and with psi != NULL the ground state (2^n amplitudes, normalised) written to psi. */
nqs_status nqs_exact_ground_state(const nqs_spin_system *s, double *e0, double *psi, nqs_error *err);
/* <sz_i sz_j> in the state psi (2^n amplitudes): c[n x n], symmetric, ones on the diagonal. */
void nqs_exact_correlations(const nqs_spin_system *s, const double *psi, double *c);

/* H applied to x (2^n amplitudes), written to y. */
void nqs_spin_apply(const nqs_spin_system *s, const double *x, double *y);

/* Transverse-field Ising chain with periodic boundaries, J = 1: the free-fermion
 * ground-state energy (even-parity sector), E0 = -sum_{m=1}^{L/2} 2 sqrt(1 + h^2 - 2 h cos k_m),
 * k_m = pi (2m - 1) / L (even L). */
double nqs_tfim_chain_exact(int L, double h);

/* The spin model of [lattice] (system.type = lattice); free with nqs_spin_system_free. */
struct nqs_config;
nqs_status nqs_config_spin_system(const struct nqs_config *c, nqs_spin_system *s, nqs_error *err);

#endif
