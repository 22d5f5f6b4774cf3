/* Quantum-state tomography with an RBM:
 * - the Walsh-Hadamard transform is its own inverse and preserves the norm;
 * - the gradient of the negative log-likelihood (Z, all-X and one XX basis) against central
 *   differences (3 qubits, 2 hidden units);
 * - records of the ground state of the 6-site periodic TFIM chain at h = 1 (from nqs_exact),
 *   5000 per basis in the Z and all-X bases: the trained RBM (6 hidden) reaches fidelity >= 0.99. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "nqs/nqs.h"

static int report(void *user, int epoch, double nll, const double *params) {
  (void)nll;
  (void)params;
  *(int *)user = epoch;
  return 0;
}

int main(void) {
  nqs_error err = {0};
  nqs_rng rng;
  nqs_rng_seed(&rng, 5, 0);
  double x[8], y[8];
  for (int k = 0; k < 8; k++) x[k] = y[k] = nqs_rng_normal(&rng);
  nqs_hadamard(3, 5, y);
  double n0 = 0, n1 = 0;
  for (int k = 0; k < 8; k++) n0 += x[k] * x[k], n1 += y[k] * y[k];
  nqs_hadamard(3, 5, y);
  double back = 0;
  for (int k = 0; k < 8; k++) back = fmax(back, fabs(y[k] - x[k]));
  CHECK(back < 1e-14 && fabs(n0 - n1) < 1e-12, "Hadamard on qubits {0, 2}: involution (%.1e), norm kept", back);

  enum { N3 = 3, H3 = 2, P3 = N3 + H3 + N3 * H3 };
  double p[P3], g[P3], counts[3 * 8];
  const uint32_t masks[3] = {0, 7, 3};
  for (int k = 0; k < P3; k++) p[k] = 0.4 * nqs_rng_normal(&rng);
  for (int k = 0; k < 24; k++) counts[k] = (double)(1 + (int)(10 * nqs_rng_uniform(&rng)));
  nqs_tomo_nll(N3, H3, p, 3, masks, counts, g);
  double fd = 0;
  for (int k = 0; k < P3; k++) {
    const double s = p[k], h = 1e-5;
    p[k] = s + h;
    const double lp = nqs_tomo_nll(N3, H3, p, 3, masks, counts, NULL);
    p[k] = s - h;
    const double lm = nqs_tomo_nll(N3, H3, p, 3, masks, counts, NULL);
    p[k] = s;
    fd = fmax(fd, fabs((lp - lm) / (2 * h) - g[k]));
  }
  CHECK(fd < 1e-8, "tomography NLL gradient (Z, XXX, XXZ bases) vs central differences: %.1e", fd);

  /* the TFIM ring of 6 at h = 1 */
  enum { N = 6, S = 1 << N, NH = 6, NP = N + NH + N * NH };
  nqs_spin_system sys;
  nqs_spin_system_init(&sys, 1, N, 1, NQS_MODEL_TFIM, 1.0, 0, 1.0, 0, &err);
  double psi[S], e0, sum = 0;
  nqs_exact_ground_state(&sys, &e0, psi, &err);
  for (int s = 0; s < S; s++) sum += psi[s];
  for (int s = 0; s < S; s++) psi[s] *= sum < 0 ? -1 : 1; /* the positive ground state */
  const uint32_t bases[2] = {0, S - 1};
  static double hist[2 * S];
  uint32_t rec[5000];
  for (int b = 0; b < 2; b++) {
    nqs_tomo_measure(N, psi, bases[b], 5000, &rng, rec, &err);
    for (int k = 0; k < 5000; k++) hist[b * S + rec[k]] += 1;
  }
  double par[NP], model[S];
  int epochs = 0;
  const nqs_status st = nqs_tomo_train(N, NH, 2, bases, hist, 1000, 0.02, 1, 1, par, report, &epochs, &err);
  nqs_tomo_amplitudes(N, NH, par, model);
  const double f = nqs_tomo_fidelity(N, psi, model);
  CHECK(st == NQS_OK && epochs == 1000 && f >= 0.99, "TFIM ring of 6, h = 1, 5000 records in Z and X: fidelity %.5f (>= 0.99)", f);
  nqs_spin_system_free(&sys);
  return check_done();
}
