/* deuteron.c — the exact deuteron of the pionless potential, as the oracle for VMC.
 *
 * In the S = 1, T = 0 channel sigma_1.sigma_2 = 1, so the potential is central,
 * V(r) = (C1 + C2) exp(-Lambda^2 r^2 / 4), and the relative motion (reduced mass m/2) obeys
 *   -(hbar^2/m) u''(r) + V(r) u(r) = E u(r),   u(0) = 0,   psi = u(r)/r
 * (no D state: the force has no tensor part). Second-order differences on r_k = k h,
 * k = 1..n (u = 0 at 0 and at r_max), give a symmetric tridiagonal matrix whose lowest
 * eigenvalue is E(h) = E + c h^2 + O(h^4); E(h) and E(h/2) extrapolate to (4 E(h/2) - E(h))/3. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include "nqs/nuclei/nucleus.h"

static nqs_status lowest(const nqs_lec *lec, double h, double r_max, double *e, double *r2, nqs_error *err) {
  const int n = (int)(r_max / h) - 1;
  const double hm = NQS_HBARC * NQS_HBARC / NQS_NUCLEON_MASS, v0 = lec->c1 + lec->c2, l2 = lec->lambda * lec->lambda;
  double *d = malloc(sizeof(double) * n), *o = malloc(sizeof(double) * n), *z = malloc(sizeof(double) * n);
  lapack_int *supp = malloc(sizeof(lapack_int) * 2), m = 0;
  if (!d || !o || !z || !supp) {
    free(d);
    free(o);
    free(z);
    free(supp);
    return nqs_error_set(err, NQS_ENOMEM, "out of memory for a radial grid of %d points", n);
  }
  for (int k = 0; k < n; k++) {
    const double r = (k + 1) * h;
    d[k] = 2.0 * hm / (h * h) + v0 * exp(-0.25 * l2 * r * r);
    o[k] = -hm / (h * h);
  }
  lapack_int info = LAPACKE_dstevr(LAPACK_COL_MAJOR, 'V', 'I', n, d, o, 0, 0, 1, 1, 0.0, &m, e, z, n, supp);
  if (info == 0 && m == 1 && r2) {
    double num = 0, den = 0;
    for (int k = 0; k < n; k++) {
      const double r = (k + 1) * h;
      num += z[k] * z[k] * r * r;
      den += z[k] * z[k];
    }
    *r2 = 0.25 * num / den; /* each nucleon sits at r/2 from the centre of mass */
  }
  free(d);
  free(o);
  free(z);
  free(supp);
  if (info != 0 || m != 1) return nqs_error_set(err, NQS_ERUNTIME, "LAPACK dstevr failed (info %d)", (int)info);
  return NQS_OK;
}

nqs_status nqs_deuteron_exact(const nqs_lec *lec, double h, double r_max, double e[3], double *radius2, nqs_error *err) {
  if (!(h > 0) || !(r_max > 100 * h) || r_max / h > 2e7)
    return nqs_error_set(err, NQS_EINPUT, "radial grid: step %g and range %g fm: need 0 < 100 step < range, range/step < 2e7", h,
                         r_max);
  nqs_status st = lowest(lec, h, r_max, &e[2], NULL, err);
  if (!st) st = lowest(lec, 0.5 * h, r_max, &e[1], radius2, err);
  if (!st) e[0] = (4.0 * e[1] - e[2]) / 3.0;
  return st;
}
