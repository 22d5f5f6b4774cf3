/* nqs/learn/tomography.h — quantum-state tomography with an RBM (Torlai et al., Nat. Phys. 14, 447
 * (2018); seed 003): learn psi_lambda(s) = sqrt(F_lambda(s) / Z) (a positive RBM wave function)
 * from measurement records of a few qubits in several bases, and report the fidelity to the
 * state that produced them.
 *
 * A basis is a bit mask R: qubit q is measured in the X basis when bit q is set, in Z
 * otherwise; its outcome amplitudes are psi_R = (prod_{q in R} Hadamard_q) psi, computed by a
 * Walsh-Hadamard transform over those qubits. For n <= 20 qubits every sum is exact: the
 * negative log-likelihood of the records and its gradient
 *   d/d lambda (-ln |psi_R(s)|^2) = -2 [H_R (psi d ln psi)](s) / psi_R(s),
 *   d ln psi(s) / d lambda = (O(s) - <O>_p) / 2,  O = d ln F / d lambda,
 * with the RBM of nqs/nn/rbm.h (visible v_i = 1 for qubit state |1>, i.e. sz = -1). */
#ifndef NQS_TOMOGRAPHY_H
#define NQS_TOMOGRAPHY_H
#include <stdint.h>
#include "nqs/core/error.h"
#include "nqs/core/rng.h"
#include "nqs/core/run.h"

#define NQS_TOMO_MAX_QUBITS 20

/* In place: x (2^n) <- prod_{q in mask} Hadamard_q x. */
void nqs_hadamard(int n, uint32_t mask, double *x);

/* count outcomes (state indices) drawn from |psi_R|^2 of the normalised state psi (2^n). */
nqs_status nqs_tomo_measure(int n, const double *psi, uint32_t mask, long count, nqs_rng *rng, uint32_t *out, nqs_error *err);

/* The RBM's normalised amplitudes psi (2^n) for parameters params (a | b | W, nh hidden). */
void nqs_tomo_amplitudes(int n, int nh, const double *params, double *psi);

/* Negative log-likelihood per record, averaged over the bases, and its gradient g[np]
 * (NULL: not computed). counts: nb histograms of 2^n (records per outcome); masks: nb bases. */
double nqs_tomo_nll(int n, int nh, const double *params, int nb, const uint32_t *masks, const double *counts, double *g);

/* Full-batch training: Adam (learning rate lr) on the negative log-likelihood for `epochs`
 * steps from params (weights ~ N(0, 0.01^2) from the stream (seed, 0x7030) when init != 0).
 * After each step, report(user, epoch, nll, params) when report != NULL; a non-zero return stops. */
typedef int (*nqs_tomo_report)(void *user, int epoch, double nll, const double *params);
nqs_status nqs_tomo_train(int n, int nh, int nb, const uint32_t *masks, const double *counts, int epochs, double lr,
                          uint64_t seed, int init, double *params, nqs_tomo_report report, void *user, nqs_error *err);

/* |<a|b>|^2 of two normalised real states (2^n). */
double nqs_tomo_fidelity(int n, const double *a, const double *b);

typedef struct nqs_tomo_result {
  char dir[512];
  int n, bases;
  double fidelity, wall_seconds;
} nqs_tomo_result;

/* nqs tomography FILE: [lattice] (at most 20 sites; a positive ground state), [boltzmann]
 * hidden, epochs, learning_rate, measurements, bases; [output] dir; [run] seed. */
nqs_status nqs_tomography_run(const nqs_config *c, const nqs_run_options *o, nqs_tomo_result *res, nqs_error *err);

#endif
