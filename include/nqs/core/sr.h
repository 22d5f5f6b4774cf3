/* nqs/core/sr.h — stochastic reconfiguration (natural gradient; seeds 003, "Natural gradient";
 * Sorella, PRL 80, 4558 (1998)).
 *
 * From N_s samples of O_k = d ln Psi / d theta_k and E_L:
 *   O_c = O - <O>,  e_c = E_L - <E_L>,  F = O_c^T e_c / N_s  (half the energy gradient)
 *   S = O_c^T O_c / N_s,  (S + shift) delta = F,  theta -= eta delta
 * shift = diag_shift (absolute) + diag_shift_rel * S_kk (relative).
 * Solver: Cholesky (dposv); if S + shift is not positive definite, an
 * eigen-decomposition (dsyevd) pseudo-inverse that drops eigenvalues below
 * 1e-12 of the largest. When parameters outnumber samples the kernel form
 * (MinSR; Chen & Heyl, Nat. Phys. 20, 1476 (2024)) is exact and cheaper:
 *   delta = O_c^T (O_c O_c^T / N_s + diag_shift I)^-1 e_c / N_s
 * (the push-through identity; only the absolute shift applies there). */
#ifndef NQS_SR_H
#define NQS_SR_H
#include "nqs/core/error.h"

typedef enum { NQS_SR_AUTO, NQS_SR_CHOLESKY, NQS_SR_MINSR } nqs_sr_solver;

typedef struct nqs_sr_options {
  double diag_shift, diag_shift_rel;
  nqs_sr_solver solver; /* AUTO: MinSR when np > ns */
  const double *force;  /* np: the right-hand side when O_k E_L does not give it (then no MinSR); NULL: cov(O, e) */
} nqs_sr_options;

typedef struct nqs_sr_info {
  int used_minsr, used_fallback; /* which path solved it */
  int dropped;                   /* eigenvalues dropped by the fallback */
} nqs_sr_info;

/* O: ns x np row-major samples, e: ns local energies. delta: np (output).
 * Allocates O(ns np + np^2) (or ns^2) workspace per call. */
nqs_status nqs_sr_solve(const double *O, const double *e, long ns, int np, const nqs_sr_options *opt, double *delta,
                        nqs_sr_info *info, nqs_error *err);

#endif
