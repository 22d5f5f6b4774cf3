/* nqs/nuclei/nucleus.h — light nuclei (A <= 4) from leading-order pionless EFT.
 *
 *   H = -(hbar^2/2m) sum_i lap_i + sum_{i<j} (C1 + C2 sigma_i.sigma_j) exp(-Lambda^2 r_ij^2 / 4)
 *       + D0 sum_{i<j<k} sum_cyc exp(-Lambda^2 (r_ik^2 + r_jk^2) / 4)  [+ sum_{i<j, pp} e^2 / r_ij]
 *
 * in MeV and fm. The spin-isospin space is handled exactly: a basis state gives every nucleon a
 * spin (up/down) and a charge (proton/neutron) with Z protons in all, 2^A C(A, Z) states (96
 * for 4He). Nucleons are identical: exchanging two of them exchanges positions, spins and
 * charges together, and the wave function changes sign. */
#ifndef NQS_NUCLEUS_H
#define NQS_NUCLEUS_H
#include "nqs/core/error.h"

#define NQS_NUC_MAXA 4
#define NQS_NUC_MAXPAIRS 6
#define NQS_NUC_MAXBASIS 96

/* hbar c and the nucleon mass (MeV fm, MeV): hbar^2/m = 41.4710 MeV fm^2 */
#define NQS_HBARC 197.327
#define NQS_NUCLEON_MASS 938.92
#define NQS_E2 1.44 /* e^2 = alpha hbar c, MeV fm */

/* Low-energy constants (MeV) at the regulator Lambda (fm^-1). */
typedef struct {
  double lambda, c1, c2, d0;
} nqs_lec;
/* The published set for Lambda = 2, 4 or 6; nonzero if there is none. */
int nqs_lec_lookup(int lambda, nqs_lec *out);

/* The spin-isospin basis of A nucleons with Z protons. State k = t * 2^A + s: bit i of s is
 * nucleon i's spin (1 = up), charges[t] has bit i set when nucleon i is a proton. */
typedef struct {
  int A, Z, nt, n;                         /* nucleons, protons, charge patterns, states */
  int charges[16];                         /* the C(A, Z) charge patterns */
  int npairs, pi[NQS_NUC_MAXPAIRS], pj[NQS_NUC_MAXPAIRS];
  int sx[NQS_NUC_MAXPAIRS][NQS_NUC_MAXBASIS]; /* the state with spins i, j exchanged (P^sigma_ij) */
  int tx[NQS_NUC_MAXPAIRS][NQS_NUC_MAXBASIS]; /* with charges i, j exchanged (P^tau_ij) */
  int swap[NQS_NUC_MAXPAIRS][NQS_NUC_MAXBASIS]; /* with nucleons i, j exchanged (spin and charge) */
  unsigned char pp[NQS_NUC_MAXPAIRS][NQS_NUC_MAXBASIS]; /* 1: nucleons i and j are both protons */
} nqs_spin_isospin;

/* 2 <= A <= 4, 0 <= Z <= A, Z <= 2 and A - Z <= 2 (the s-shell holds two of each). */
nqs_status nqs_spin_isospin_init(nqs_spin_isospin *b, int A, int Z, nqs_error *err);
/* out = sigma_i . sigma_j in (pair p) = 2 P^sigma - 1, or tau_i . tau_j (tau = 1); out != in. */
void nqs_sigma_dot(const nqs_spin_isospin *b, int p, int tau, const double *in, double *out);
/* The s-shell state: every nucleon in the same spatial orbital, the spin-isospin labels
 * p-up, p-down (protons), n-up, n-down (neutrons) antisymmetrised; normalised. Total spin
 * S = 1 (deuteron, S_z = 1), 1/2 (3H, 3He) or 0 (4He). */
void nqs_sshell_state(const nqs_spin_isospin *b, double *phi);

/* The deuteron (S = 1, T = 0) by the radial equation -(hbar^2/m) u'' + V(r) u = E u on a grid
 * of step h to r_max, second-order differences, lowest eigenvalue by LAPACK (dstevr); with
 * Richardson extrapolation over h and h/2. e[0] extrapolated, e[1] at h/2, e[2] at h; radius2:
 * <r^2>/4 (the point-nucleon radius squared about the centre of mass), may be NULL. */
nqs_status nqs_deuteron_exact(const nqs_lec *lec, double h, double r_max, double e[3], double *radius2, nqs_error *err);
/* The grid nqs exact and the deuteron's reference use (fm): converged to 1e-6 MeV at Lambda <= 6. */
#define NQS_DEUTERON_STEP 0.005
#define NQS_DEUTERON_RANGE 60.0

/* The amplitudes Psi(R, S) of a nucleus model ([system] type = nucleus) at positions x (3A, fm)
 * over the basis above (psi: the model's spin_isospin_states of them); returns ln sqrt(sum psi^2).
 * For tests: the engine itself never needs the vector. */
struct nqs_model;
double nqs_nucleus_amplitudes(const struct nqs_model *m, const double *x, double *psi);
/* The basis of a nucleus model. */
const nqs_spin_isospin *nqs_nucleus_basis(const struct nqs_model *m);

#endif
