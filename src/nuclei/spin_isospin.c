/* spin_isospin.c — the exact spin-isospin space of A <= 4 nucleons (nqs/nuclei/nucleus.h). */
#include <math.h>
#include <string.h>
#include "nqs/nuclei/nucleus.h"

int nqs_lec_lookup(int lambda, nqs_lec *out) {
  /* Leading-order pionless EFT with Gaussian regulators: C1, C2 fitted to the deuteron and the
   * nn scattering length, D0 to the triton (the constants of Adams, Carleo, Lovato & Rocco,
   * PRL 127, 022502 (2021), as in their public prototype). */
  static const nqs_lec table[] = {{2, -133.3431, -9.0212, 68.4883},
                                  {4, -487.6128, -17.5515, 677.7989},
                                  {6, -1064.5010, -26.0830, 2652.651}};
  for (int k = 0; k < 3; k++)
    if ((int)table[k].lambda == lambda) {
      *out = table[k];
      return 0;
    }
  return -1;
}

static int bit(int v, int i) { return (v >> i) & 1; }
static int swap_bits(int v, int i, int j) { return bit(v, i) == bit(v, j) ? v : v ^ (1 << i) ^ (1 << j); }

static int charge_index(const nqs_spin_isospin *b, int t) {
  for (int k = 0; k < b->nt; k++)
    if (b->charges[k] == t) return k;
  return -1;
}

nqs_status nqs_spin_isospin_init(nqs_spin_isospin *b, int A, int Z, nqs_error *err) {
  memset(b, 0, sizeof *b);
  if (A < 2 || A > NQS_NUC_MAXA)
    return nqs_error_setk(err, NQS_EINPUT, "nucleus.nucleons", "nucleons = %d: nqs handles 2 to %d nucleons (the s-shell)", A,
                          NQS_NUC_MAXA);
  if (Z < 0 || Z > 2 || A - Z < 0 || A - Z > 2)
    return nqs_error_setk(err, NQS_EINPUT, "nucleus.protons",
                          "protons = %d with %d nucleons: the s-shell holds at most 2 protons and 2 neutrons", Z, A);
  b->A = A;
  b->Z = Z;
  for (int t = 0; t < (1 << A); t++)
    if (__builtin_popcount((unsigned)t) == Z) b->charges[b->nt++] = t;
  b->n = b->nt << A;
  for (int i = 0; i < A; i++)
    for (int j = i + 1; j < A; j++) {
      const int p = b->npairs++;
      b->pi[p] = i;
      b->pj[p] = j;
      for (int k = 0; k < b->n; k++) {
        const int s = k & ((1 << A) - 1), t = b->charges[k >> A];
        const int t2 = charge_index(b, swap_bits(t, i, j));
        b->sx[p][k] = (k >> A << A) | swap_bits(s, i, j);
        b->tx[p][k] = (t2 << A) | s;
        b->swap[p][k] = (t2 << A) | swap_bits(s, i, j);
        b->pp[p][k] = (unsigned char)(bit(t, i) && bit(t, j));
      }
    }
  return NQS_OK;
}

void nqs_sigma_dot(const nqs_spin_isospin *b, int p, int tau, const double *in, double *out) {
  const int *x = tau ? b->tx[p] : b->sx[p];
  for (int k = 0; k < b->n; k++) out[k] = 2.0 * in[x[k]] - in[k];
}

void nqs_sshell_state(const nqs_spin_isospin *b, double *phi) {
  /* one-nucleon labels (spin, charge): p-up, p-down for the protons, n-up, n-down for the neutrons */
  int ls[NQS_NUC_MAXA], lc[NQS_NUC_MAXA], m = 0;
  for (int q = 0; q < b->Z; q++, m++) {
    ls[m] = q == 0;
    lc[m] = 1;
  }
  for (int q = 0; q < b->A - b->Z; q++, m++) {
    ls[m] = q == 0;
    lc[m] = 0;
  }
  memset(phi, 0, sizeof(double) * (size_t)b->n);
  /* the antisymmetriser: nucleon i takes label perm[i], with the permutation's sign (Heap's
   * algorithm would do; A <= 4 allows the plain enumeration of A^A maps, keeping bijections) */
  const int A = b->A;
  int total = 1;
  for (int i = 0; i < A; i++) total *= A;
  for (int code = 0; code < total; code++) {
    int perm[NQS_NUC_MAXA], used = 0, c = code, ok = 1;
    for (int i = 0; i < A; i++) {
      perm[i] = c % A;
      c /= A;
      if (used >> perm[i] & 1) ok = 0;
      used |= 1 << perm[i];
    }
    if (!ok) continue;
    int inversions = 0;
    for (int i = 0; i < A; i++)
      for (int j = i + 1; j < A; j++) inversions += perm[i] > perm[j];
    int s = 0, t = 0;
    for (int i = 0; i < A; i++) {
      s |= ls[perm[i]] << i;
      t |= lc[perm[i]] << i;
    }
    phi[(charge_index(b, t) << A) | s] += inversions % 2 ? -1.0 : 1.0;
  }
  double norm = 0;
  for (int k = 0; k < b->n; k++) norm += phi[k] * phi[k];
  for (int k = 0; k < b->n; k++) phi[k] /= sqrt(norm);
}
