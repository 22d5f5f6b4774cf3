/* lattice.c — spin-1/2 graphs and Hamiltonians; exact ground states by ARPACK. */
#include <arpack/arpack.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/lattice.h"

static const double PI = 3.14159265358979323846;

void nqs_spin_system_free(nqs_spin_system *s) {
  free(s->bonds);
  s->bonds = NULL;
}

nqs_status nqs_spin_system_init(nqs_spin_system *s, int dim, int L, int periodic, nqs_model model, double J, double h,
                                double delta, nqs_error *err) {
  memset(s, 0, sizeof *s);
  if (dim < 1 || dim > 2) return nqs_error_setk(err, NQS_EINPUT, "system.lattice", "lattice dimension %d: chain or square", dim);
  if (L < 2 || (periodic && L < 3))
    return nqs_error_setk(err, NQS_EINPUT, "system.length", "length %d: need at least %d sites per side%s", L,
                          periodic ? 3 : 2, periodic ? " with periodic boundaries" : "");
  const long n = dim == 1 ? L : (long)L * L;
  if (n > 4096) return nqs_error_setk(err, NQS_EINPUT, "system.length", "%ld sites: at most 4096", n);
  s->nsites = (int)n;
  s->model = model;
  s->J = J;
  s->h = h;
  s->delta = delta;
  s->bonds = malloc(sizeof *s->bonds * (size_t)(2 * n));
  if (!s->bonds) return nqs_error_set(err, NQS_ENOMEM, "out of memory for %ld bonds", 2 * n);
  int nb = 0;
  if (dim == 1) {
    for (int i = 0; i < L; i++)
      if (i + 1 < L || periodic) {
        s->bonds[nb][0] = i;
        s->bonds[nb++][1] = (i + 1) % L;
      }
  } else {
    for (int y = 0; y < L; y++)
      for (int x = 0; x < L; x++) {
        const int i = y * L + x;
        if (x + 1 < L || periodic) { /* right neighbour */
          s->bonds[nb][0] = i;
          s->bonds[nb++][1] = y * L + (x + 1) % L;
        }
        if (y + 1 < L || periodic) { /* upper neighbour */
          s->bonds[nb][0] = i;
          s->bonds[nb++][1] = ((y + 1) % L) * L + x;
        }
      }
  }
  s->nbonds = nb;
  return NQS_OK;
}

/* y = H x, row by row (each row reads its connected states: no shared writes).
 * sz_i = +1 for bit i clear, -1 for bit i set. */
void nqs_spin_apply(const nqs_spin_system *s, const double *x, double *y) {
  const int n = s->nsites, nb = s->nbonds;
  const long dimH = 1L << n;
  const int tfim = s->model == NQS_MODEL_TFIM;
#pragma omp parallel for schedule(static)
  for (long st = 0; st < dimH; st++) {
    double diag = 0, off = 0;
    for (int b = 0; b < nb; b++) {
      const int i = s->bonds[b][0], j = s->bonds[b][1];
      const int anti = (int)(((st >> i) ^ (st >> j)) & 1); /* sz_i sz_j = -1 */
      if (tfim) diag += anti ? s->J : -s->J;
      else {
        diag += s->J * s->delta * (anti ? -1.0 : 1.0);
        /* sx sx + sy sy = 2 (s+ s- + s- s+): flips an anti-aligned pair with amplitude 2 */
        if (anti) off += 2 * s->J * x[st ^ ((1L << i) | (1L << j))];
      }
    }
    if (tfim)
      for (int i = 0; i < n; i++) off -= s->h * x[st ^ (1L << i)];
    y[st] = diag * x[st] + off;
  }
}

nqs_status nqs_exact_ground(const nqs_spin_system *s, double *e0, nqs_error *err) {
  const int n = s->nsites;
  if (n > NQS_EXACT_MAX_SITES)
    return nqs_error_setk(err, NQS_EINPUT, "system.length",
                          "%d sites: exact diagonalisation holds 2^n amplitudes per vector and stops at %d sites", n,
                          NQS_EXACT_MAX_SITES);
  const a_int N = (a_int)1 << n, nev = 1, ncv = 20;
  if (N <= 64) { /* small: the dense matrix and LAPACK (ARPACK wants ncv < N) */
    double *H = malloc(sizeof(double) * N * N), *x = calloc((size_t)N, sizeof(double)), *w = malloc(sizeof(double) * N);
    nqs_status st = NQS_OK;
    if (!H || !x || !w) st = nqs_error_set(err, NQS_ENOMEM, "out of memory");
    for (a_int c = 0; c < N && !st; c++) { /* column c = H e_c */
      x[c] = 1;
      nqs_spin_apply(s, x, w);
      x[c] = 0;
      for (a_int r = 0; r < N; r++) H[r * N + c] = w[r];
    }
    if (!st && LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', (lapack_int)N, H, (lapack_int)N, w) != 0)
      st = nqs_error_set(err, NQS_ERUNTIME, "LAPACK dsyev failed");
    if (!st) *e0 = w[0];
    free(H);
    free(x);
    free(w);
    return st;
  }
  const a_int lworkl = ncv * (ncv + 8);
  double *resid = malloc(sizeof(double) * N), *v = malloc(sizeof(double) * N * ncv);
  double *workd = malloc(sizeof(double) * 3 * N), *workl = malloc(sizeof(double) * lworkl);
  a_int *select = calloc((size_t)ncv, sizeof(a_int));
  if (!resid || !v || !workd || !workl || !select) {
    free(resid);
    free(v);
    free(workd);
    free(workl);
    free(select);
    return nqs_error_set(err, NQS_ENOMEM, "out of memory for Lanczos vectors of %ld amplitudes", (long)N);
  }
  /* a fixed, generic start vector: reproducible, and not orthogonal to the ground state */
  for (a_int k = 0; k < N; k++) resid[k] = 1.0 + 0.1 * sin(0.7 * (double)k);
  a_int iparam[11] = {0}, ipntr[14] = {0}, ido = 0, info = 1;
  iparam[0] = 1;    /* exact shifts */
  iparam[2] = 5000; /* maximum restarts */
  iparam[6] = 1;    /* mode: A x = lambda x */
  const double tol = 1e-13;
  nqs_status st = NQS_OK;
  for (;;) {
    dsaupd_c(&ido, "I", N, "SA", nev, tol, resid, ncv, v, N, iparam, ipntr, workd, workl, lworkl, &info);
    if (ido != 1 && ido != -1) break;
    nqs_spin_apply(s, workd + ipntr[0] - 1, workd + ipntr[1] - 1);
  }
  if (info < 0 || (info != 0 && info != 1)) st = nqs_error_set(err, NQS_ERUNTIME, "ARPACK dsaupd failed (info %d)", (int)info);
  if (st == NQS_OK) {
    double d[2] = {0, 0};
    dseupd_c(0, "A", select, d, NULL, N, 0.0, "I", N, "SA", nev, tol, resid, ncv, v, N, iparam, ipntr, workd, workl,
             lworkl, &info);
    if (info != 0) st = nqs_error_set(err, NQS_ERUNTIME, "ARPACK dseupd failed (info %d)", (int)info);
    else *e0 = d[0];
  }
  free(resid);
  free(v);
  free(workd);
  free(workl);
  free(select);
  return st;
}

double nqs_tfim_chain_exact(int L, double h) {
  double e = 0;
  for (int m = 1; m <= L / 2; m++) {
    const double k = PI * (2 * m - 1) / L;
    e -= 2 * sqrt(1 + h * h - 2 * h * cos(k));
  }
  return e;
}
