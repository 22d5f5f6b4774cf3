/* Exactly solvable: non-interacting particles in a harmonic trap with the exact
 * wave function have E_L identical to the exact energy at every configuration.
 * Fermions (Slater, alpha = 1): the closed-shell sums 2D 2,10,28,60 omega and
 * 3D 3,18,60 omega. Bosons (Gaussian, alpha = 1): N d omega / 2, and the elliptic
 * trap N omega ((d-1)/2 + lambda/2). Checks: |E - exact| <= 1e-9 |exact| and the
 * sampled variance < 1e-10 (the bound; the deviation is pure roundoff). */
#include <math.h>
#include "check.h"
#include "helpers.h"

static void run(int d, int n, nqs_statistics st, double omega, double lambda, const char *factors, double exact) {
  nqs_factor_options fo = {.alpha = 1.0, .beta = 0.5, .pade_cusp = 1};
  nqs_wavefunction *wf = make_wf(d, n, st, NQS_INTERACTION_NONE, omega, lambda, factors, &fo);
  nqs_vmc_options vo = {.walkers = 4, .seed = 7, .threads = 1};
  nqs_error err;
  nqs_vmc *v = nqs_vmc_create_wf(wf, &nqs_sampler_langevin, &vo, &err);
  nqs_vmc_result r;
  int ok = v && !nqs_vmc_thermalize(v, 20, 1, &err) && !nqs_vmc_sample(v, 100, 0, &r, &err);
  CHECK(ok && fabs(r.energy.mean - exact) <= 1e-9 * exact && r.energy.variance < 1e-10,
        "%dD N=%-2d %-15s omega=%-4g lambda=%-3g E = %.12f (exact %g)  var = %.1e  acc = %.2f",
        d, n, st == NQS_FERMIONS ? "fermions" : st == NQS_BOSONS ? "bosons" : "distinguishable", omega, lambda,
        ok ? r.energy.mean : NAN, exact, ok ? r.energy.variance : NAN, ok ? r.acceptance : NAN);
  nqs_vmc_free(v);
  nqs_wf_free(wf);
}

int main(void) {
  const double omegas[] = {1.0, 0.5};
  const int n2[] = {2, 6, 12, 20}, e2[] = {2, 10, 28, 60};
  const int n3[] = {2, 8, 20}, e3[] = {3, 18, 60};
  for (int w = 0; w < 2; w++) {
    for (int i = 0; i < 4; i++) run(2, n2[i], NQS_FERMIONS, omegas[w], 1.0, "slater", e2[i] * omegas[w]);
    for (int i = 0; i < 3; i++) run(3, n3[i], NQS_FERMIONS, omegas[w], 1.0, "slater", e3[i] * omegas[w]);
    for (int d = 1; d <= 3; d++) run(d, 10, NQS_BOSONS, omegas[w], 1.0, "gaussian", 10 * d * omegas[w] / 2);
  }
  run(1, 6, NQS_FERMIONS, 1.0, 1.0, "slater", 9.0); /* 1D: 2 * (0.5 + 1.5 + 2.5) */
  run(3, 5, NQS_BOSONS, 1.0, 2.8284, "gaussian", 5 * (1.0 + 2.8284 / 2));
  run(2, 4, NQS_DISTINGUISHABLE, 0.7, 1.0, "gaussian", 4 * 2 * 0.7 / 2);
  /* the library's own reference agrees with the shell sums above */
  nqs_system s;
  nqs_error err;
  double ref;
  const char *src;
  nqs_system_init(&s, 2, 56, NQS_FERMIONS, NQS_INTERACTION_NONE, 1.0, 1.0, &err);
  CHECK(nqs_system_reference(&s, &ref, &src) && ref == 280, "2D N=56 shell sum reference = %g (expected 280)", ref);
  nqs_system_init(&s, 3, 40, NQS_FERMIONS, NQS_INTERACTION_NONE, 1.0, 1.0, &err);
  CHECK(nqs_system_reference(&s, &ref, &src) && ref == 150, "3D N=40 shell sum reference = %g (expected 150)", ref);
  return check_done();
}
