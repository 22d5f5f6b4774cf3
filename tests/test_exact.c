/* Exact diagonalisation of spin models (issue #6) against closed forms:
 * - periodic TFIM chains against the free-fermion energy (REFERENCES.md), L = 12 at
 *   h = 0.5, 1, 2 (ARPACK) and L = 6 (dense LAPACK path), to 1e-9;
 * - the 4 x 4 periodic Heisenberg model, E0 = -11.228483 in spin-1/2 units (x 4 in Pauli units);
 * - the Heisenberg dimer (two sites, one bond): singlet -3 J in Pauli units;
 * - H is symmetric: <a|H b> = <H a|b> for random vectors. */
#include <math.h>
#include <stdlib.h>
#include "check.h"
#include "nqs/nqs.h"

int main(void) {
  nqs_error err = {0};
  const double hs[] = {0.5, 1.0, 2.0};
  const int Ls[] = {12, 6};
  for (int l = 0; l < 2; l++)
    for (int q = 0; q < 3; q++) {
      nqs_spin_system s;
      double e = NAN;
      nqs_status st = nqs_spin_system_init(&s, 1, Ls[l], 1, NQS_MODEL_TFIM, 1.0, hs[q], 0, &err);
      if (!st) st = nqs_exact_ground(&s, &e, &err);
      const double ex = nqs_tfim_chain_exact(Ls[l], hs[q]);
      CHECK(st == NQS_OK && fabs(e - ex) < 1e-9 * fabs(ex), "TFIM chain L=%d h=%g: Lanczos %.12f, free fermions %.12f", Ls[l],
            hs[q], e, ex);
      nqs_spin_system_free(&s);
    }
  nqs_spin_system s;
  double e = NAN;
  nqs_status st = nqs_spin_system_init(&s, 2, 4, 1, NQS_MODEL_HEISENBERG, 1.0, 0, 1.0, &err);
  if (!st) st = nqs_exact_ground(&s, &e, &err);
  CHECK(st == NQS_OK && s.nbonds == 32 && fabs(e / 4 + 11.228483) < 1e-6,
        "4x4 periodic Heisenberg: E0 = %.7f (spin-1/2 units; reference -11.228483), %d bonds", e / 4, s.nbonds);
  /* symmetry of H on random vectors */
  const long N = 1L << s.nsites;
  double *a = malloc(sizeof(double) * N), *b = malloc(sizeof(double) * N), *ha = malloc(sizeof(double) * N),
         *hb = malloc(sizeof(double) * N);
  nqs_rng rng;
  nqs_rng_seed(&rng, 9, 0);
  for (long k = 0; k < N; k++) {
    a[k] = nqs_rng_normal(&rng);
    b[k] = nqs_rng_normal(&rng);
  }
  nqs_spin_apply(&s, a, ha);
  nqs_spin_apply(&s, b, hb);
  double ab = 0, ba = 0;
  for (long k = 0; k < N; k++) {
    ab += a[k] * hb[k];
    ba += ha[k] * b[k];
  }
  CHECK(fabs(ab - ba) < 1e-9 * fabs(ab), "Heisenberg H symmetric: <a|Hb> = %.10g, <Ha|b> = %.10g", ab, ba);
  free(a);
  free(b);
  free(ha);
  free(hb);
  nqs_spin_system_free(&s);
  st = nqs_spin_system_init(&s, 1, 2, 0, NQS_MODEL_HEISENBERG, 1.0, 0, 1.0, &err);
  if (!st) st = nqs_exact_ground(&s, &e, &err);
  CHECK(st == NQS_OK && fabs(e + 3) < 1e-12, "Heisenberg dimer: singlet E0 = %.12f (-3 J)", e);
  nqs_spin_system_free(&s);
  st = nqs_spin_system_init(&s, 1, 30, 1, NQS_MODEL_TFIM, 1.0, 1.0, 0, &err);
  if (!st) st = nqs_exact_ground(&s, &e, &err);
  CHECK(st == NQS_EINPUT, "30 sites refused: %s", err.msg);
  nqs_spin_system_free(&s);
  return check_done();
}
