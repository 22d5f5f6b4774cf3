/* orbitals.c — Hermite-polynomial oscillator orbitals (orbitals.h).
 * Recurrences: H_{m+1} = 2 xi H_m - 2 m H_{m-1}, H'_m = 2 m H_{m-1}, H''_m = 4 m (m-1) H_{m-2},
 * with xi = sqrt(a) x, so d/dx brings a factor sqrt(a). Products over the other axes are
 * formed without division (H may vanish). */
#include <math.h>
#include "orbitals.h"

int nqs_ho_orbitals_init(nqs_ho_orbitals *o, int d, int n) {
  const int shells = nqs_closed_shells(d, n);
  if (shells < 0 || n > NQS_HO_MAXORB || shells - 1 > NQS_HO_MAXN || d < 1 || d > 3) return -1;
  o->n = n;
  o->d = d;
  o->nmax = shells - 1;
  int j = 0;
  for (int s = 0; s < shells; s++) {
    for (int n1 = s; n1 >= 0; n1--) {
      if (d == 1) {
        if (n1 != s) continue;
        o->qn[j][0] = n1;
        j++;
      } else if (d == 2) {
        o->qn[j][0] = n1;
        o->qn[j][1] = s - n1;
        j++;
      } else {
        for (int n2 = s - n1; n2 >= 0; n2--) {
          o->qn[j][0] = n1;
          o->qn[j][1] = n2;
          o->qn[j][2] = s - n1 - n2;
          j++;
        }
      }
    }
  }
  return 0;
}

void nqs_ho_eval(const nqs_ho_orbitals *o, double a, const double *r, double *phi, double *dphi, double *lphi,
                 double *hphi) {
  const int d = o->d;
  const double sa = sqrt(a);
  double H[NQS_MAX_DIM][NQS_HO_MAXN + 1], D1[NQS_MAX_DIM][NQS_HO_MAXN + 1], D2[NQS_MAX_DIM][NQS_HO_MAXN + 1];
  for (int k = 0; k < d; k++) {
    const double xi = sa * r[k];
    H[k][0] = 1.0;
    if (o->nmax >= 1) H[k][1] = 2.0 * xi;
    for (int m = 1; m < o->nmax; m++) H[k][m + 1] = 2.0 * xi * H[k][m] - 2.0 * m * H[k][m - 1];
    for (int m = 0; m <= o->nmax; m++) {
      D1[k][m] = m >= 1 ? sa * 2.0 * m * H[k][m - 1] : 0.0;          /* d/dx */
      D2[k][m] = m >= 2 ? a * 4.0 * m * (m - 1) * H[k][m - 2] : 0.0; /* d2/dx2 */
    }
  }
  for (int j = 0; j < o->n; j++) {
    const int *q = o->qn[j];
    double h[NQS_MAX_DIM];
    double prod = 1.0;
    for (int k = 0; k < d; k++) {
      h[k] = H[k][q[k]];
      prod *= h[k];
    }
    phi[j] = prod;
    if (!dphi && !lphi && !hphi) continue;
    double lap = 0;
    for (int k = 0; k < d; k++) {
      double others = 1.0;
      for (int l = 0; l < d; l++)
        if (l != k) others *= h[l];
      if (dphi) dphi[j * d + k] = D1[k][q[k]] * others;
      lap += D2[k][q[k]] * others;
      if (hphi)
        for (int l = 0; l < d; l++) {
          double v;
          if (l == k) {
            v = D2[k][q[k]] * others;
          } else {
            v = D1[k][q[k]] * D1[l][q[l]];
            for (int m = 0; m < d; m++)
              if (m != k && m != l) v *= h[m];
          }
          hphi[(j * d + k) * d + l] = v;
        }
    }
    if (lphi) lphi[j] = lap;
  }
}
