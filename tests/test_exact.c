/* Exact diagonalisation of spin models against closed forms:
 * - periodic TFIM chains against the free-fermion energy (REFERENCES.md), L = 12 at
 *   h = 0.5, 1, 2 (ARPACK) and L = 6 (dense LAPACK path), to 1e-9;
 * - the 4 x 4 periodic Heisenberg model, E0 = -11.228483 in spin-1/2 units (x 4 in Pauli units);
 * - ground-state correlations: on the 4 x 4 Heisenberg model, <sz_i sz_j> of nearest neighbours is
 *   E0 / (3 x 32 bonds) (isotropy), to 1e-9;
 * - the Heisenberg dimer (two sites, one bond): singlet -3 J in Pauli units;
 * - J1-J2 chain at the Majumdar-Ghosh point J2 = J/2 (L = 12, periodic): E0 = -3 L / 2 exactly
 *   (dimer product state; -3L/8 in spin-1/2 units);
 * - an edge list read from a file (the periodic 4 x 4 square) gives the same E0 as the built-in
 *   square, its own couplings are used, and malformed lines are refused with file:line;
 * - H is symmetric: <a|H b> = <H a|b> for random vectors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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
      nqs_status st = nqs_spin_system_init(&s, 1, Ls[l], 1, NQS_MODEL_TFIM, 1.0, 0, hs[q], 0, &err);
      if (!st) st = nqs_exact_ground(&s, &e, &err);
      const double ex = nqs_tfim_chain_exact(Ls[l], hs[q]);
      CHECK(st == NQS_OK && fabs(e - ex) < 1e-9 * fabs(ex), "TFIM chain L=%d h=%g: Lanczos %.12f, free fermions %.12f", Ls[l],
            hs[q], e, ex);
      nqs_spin_system_free(&s);
    }
  nqs_spin_system s;
  double e = NAN;
  nqs_status st = nqs_spin_system_init(&s, 2, 4, 1, NQS_MODEL_HEISENBERG, 1.0, 0, 0, 1.0, &err);
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
  st = nqs_spin_system_init(&s, 1, 2, 0, NQS_MODEL_HEISENBERG, 1.0, 0, 0, 1.0, &err);
  if (!st) st = nqs_exact_ground(&s, &e, &err);
  CHECK(st == NQS_OK && fabs(e + 3) < 1e-12, "Heisenberg dimer: singlet E0 = %.12f (-3 J)", e);
  nqs_spin_system_free(&s);
  {
    nqs_spin_system sq;
    double *psi = malloc(sizeof(double) << 16), cc[256], e4 = 0;
    st = nqs_spin_system_init(&sq, 2, 4, 1, NQS_MODEL_HEISENBERG, 1.0, 0, 0, 1.0, &err);
    if (!st) st = nqs_exact_ground_state(&sq, &e4, psi, &err);
    double worst = 0;
    if (!st) {
      nqs_exact_correlations(&sq, psi, cc);
      for (int q = 0; q < sq.nbonds; q++) worst = fmax(worst, fabs(cc[sq.bonds[q][0] * 16 + sq.bonds[q][1]] - e4 / 96));
    }
    CHECK(st == NQS_OK && worst < 1e-9, "4x4 Heisenberg: <sz sz> on every bond = E0/96 = %.10f (worst %.1e)", e4 / 96, worst);
    free(psi);
    nqs_spin_system_free(&sq);
  }
  st = nqs_spin_system_init(&s, 1, 12, 1, NQS_MODEL_HEISENBERG, 1.0, 0.5, 0, 1.0, &err);
  if (!st) st = nqs_exact_ground(&s, &e, &err);
  CHECK(st == NQS_OK && fabs(e + 18) < 1e-9, "J1-J2 chain L = 12 at J2 = J/2 (Majumdar-Ghosh): E0 = %.12f (-18)", e);
  nqs_spin_system_free(&s);

  /* edge lists: the 4 x 4 periodic square written out, then with every coupling doubled */
  char path[] = "/tmp/nqs-test-edges-XXXXXX";
  const int fd = mkstemp(path);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  nqs_spin_system sq;
  nqs_spin_system_init(&sq, 2, 4, 1, NQS_MODEL_HEISENBERG, 1.0, 0, 0, 1.0, &err);
  for (int pass = 0; pass < 2; pass++) { /* pass 1: half the bonds carry "2.0", the rest take J = 2 */
    f = pass ? fopen(path, "w") : f;
    if (f) {
      fprintf(f, "# periodic 4 x 4 square\n\n");
      for (int q = 0; q < sq.nbonds; q++) fprintf(f, "%d %d%s\n", sq.bonds[q][0], sq.bonds[q][1], pass && q % 2 ? " 2.0  # J" : "");
      fclose(f);
    }
    const double J = pass ? 2.0 : 1.0;
    st = nqs_spin_system_from_edges(&s, path, NQS_MODEL_HEISENBERG, J, 0, 1.0, &err);
    if (!st) st = nqs_exact_ground(&s, &e, &err);
    CHECK(st == NQS_OK && s.nsites == 16 && s.nbonds == 32 && fabs(e / (4 * J) + 11.228483) < 1e-6,
          "edge list of the 4 x 4 square (%s): %d sites, %d bonds, E0/(4J) = %.7f",
          pass ? "J = 2, half of them written out" : "J = 1", s.nsites, s.nbonds, e / (4 * J));
    nqs_spin_system_free(&s);
  }
  nqs_spin_system_free(&sq);
  const char *bad[] = {"0 1\n1 x\n", "0 1 0.5 7\n", "0 0\n", "0 1\n2 3\n0 2\n0 5\n"};
  const char *want[] = {":2:", ":1:", ":1:", "site 4 is on no bond"};
  for (int k = 0; k < 4; k++) {
    f = fopen(path, "w");
    if (f) {
      fputs(bad[k], f);
      fclose(f);
    }
    st = nqs_spin_system_from_edges(&s, path, NQS_MODEL_TFIM, 1.0, 1.0, 0, &err);
    CHECK(st == NQS_EINPUT && strstr(err.msg, want[k]), "malformed edge list %d refused: %s", k, err.msg);
  }
  remove(path);

  st = nqs_spin_system_init(&s, 1, 30, 1, NQS_MODEL_TFIM, 1.0, 0, 1.0, 0, &err);
  if (!st) st = nqs_exact_ground(&s, &e, &err);
  CHECK(st == NQS_EINPUT, "30 sites refused: %s", err.msg);
  nqs_spin_system_free(&s);
  return check_done();
}
