/* orbitals.h — harmonic-oscillator orbital polynomials for closed shells (private to the
 * particle factors that build determinants: slater, backflow).
 *
 * Orbital j with quantum numbers (n_1..n_d) and a = alpha*omega:
 *   phi_j(r) = P_j(r) exp(-a r^2 / 2),   P_j(r) = prod_k H_{n_k}(sqrt(a) x_k)
 * Only the polynomials P_j are evaluated here; the factors own the Gaussian. */
#ifndef NQS_ORBITALS_H
#define NQS_ORBITALS_H
#include "nqs/particles/system.h"

#define NQS_HO_MAXORB 64 /* orbitals per spin */
#define NQS_HO_MAXN 64   /* highest Hermite degree */

typedef struct {
  int n;    /* orbitals = particles per spin */
  int nmax; /* highest quantum number on one axis */
  int d;
  int qn[NQS_HO_MAXORB][NQS_MAX_DIM];
} nqs_ho_orbitals;

/* The n lowest orbitals in d dimensions, shell by shell (within a shell lexicographic in
 * (n_1, ..., n_d)); -1 if n does not fill closed shells within the limits above. */
int nqs_ho_orbitals_init(nqs_ho_orbitals *o, int d, int n);

/* The polynomials at r[d] with a = alpha*omega:
 *   phi[n]        P_j(r)
 *   dphi[n*d]     dP_j/dx_k                         (optional)
 *   lphi[n]       lap P_j                           (optional)
 *   hphi[n*d*d]   d2 P_j/dx_k dx_l, row-major in k,l (optional)
 * Cost O(nmax d + n d^2) (O(n d^3) with the Hessian). */
void nqs_ho_eval(const nqs_ho_orbitals *o, double a, const double *r, double *phi, double *dphi, double *lphi,
                 double *hphi);

#endif
