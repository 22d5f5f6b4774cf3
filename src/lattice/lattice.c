/* lattice.c — spin-1/2 graphs and Hamiltonians; exact ground states by ARPACK. */
#include <arpack/arpack.h>
#include <ctype.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/lattice/lattice.h"

static const double PI = 3.14159265358979323846;

void nqs_spin_system_free(nqs_spin_system *s) {
  free(s->bonds);
  free(s->bond_J);
  s->bonds = NULL;
  s->bond_J = NULL;
}

static nqs_status alloc_bonds(nqs_spin_system *s, int cap, nqs_error *err) {
  s->bonds = malloc(sizeof *s->bonds * (size_t)cap);
  s->bond_J = malloc(sizeof(double) * (size_t)cap);
  if (!s->bonds || !s->bond_J) {
    nqs_spin_system_free(s);
    return nqs_error_set(err, NQS_ENOMEM, "out of memory for %d bonds", cap);
  }
  return NQS_OK;
}

static void add_bond(nqs_spin_system *s, int i, int j, double J) {
  s->bonds[s->nbonds][0] = i;
  s->bonds[s->nbonds][1] = j;
  s->bond_J[s->nbonds++] = J;
}

nqs_status nqs_spin_system_init(nqs_spin_system *s, int dim, int L, int periodic, nqs_spin_model model, double J, double J2,
                                double h, double delta, nqs_error *err) {
  memset(s, 0, sizeof *s);
  if (dim < 1 || dim > 2) return nqs_error_setk(err, NQS_EINPUT, "lattice.graph", "lattice dimension %d: chain or square", dim);
  const int need = periodic ? (dim == 1 && J2 != 0 ? 5 : 3) : 2;
  if (L < need)
    return nqs_error_setk(err, NQS_EINPUT, "lattice.length", "length %d: need at least %d sites per side%s", L, need,
                          periodic ? " with periodic boundaries (no doubled bonds)" : "");
  const long n = dim == 1 ? L : (long)L * L;
  if (n > 4096) return nqs_error_setk(err, NQS_EINPUT, "lattice.length", "%ld sites: at most 4096", n);
  s->nsites = (int)n;
  s->dim = dim;
  s->L = L;
  s->periodic = periodic;
  s->model = model;
  s->J = J;
  s->J2 = J2;
  s->h = h;
  s->delta = delta;
  nqs_status st = alloc_bonds(s, (int)(4 * n), err);
  if (st) return st;
  if (dim == 1) {
    for (int i = 0; i < L; i++)
      if (i + 1 < L || periodic) add_bond(s, i, (i + 1) % L, J);
    s->nbonds_nn = s->nbonds;
    if (J2 != 0)
      for (int i = 0; i < L; i++)
        if (i + 2 < L || periodic) add_bond(s, i, (i + 2) % L, J2);
    return NQS_OK;
  }
  for (int y = 0; y < L; y++)
    for (int x = 0; x < L; x++) {
      const int i = y * L + x;
      if (x + 1 < L || periodic) add_bond(s, i, y * L + (x + 1) % L, J);   /* right */
      if (y + 1 < L || periodic) add_bond(s, i, ((y + 1) % L) * L + x, J); /* up */
    }
  s->nbonds_nn = s->nbonds;
  if (J2 != 0)
    for (int y = 0; y < L; y++)
      for (int x = 0; x < L; x++) {
        const int xr = (x + 1) % L, yu = (y + 1) % L, yd = (y + L - 1) % L;
        if ((x + 1 < L || periodic) && (y + 1 < L || periodic)) add_bond(s, y * L + x, yu * L + xr, J2); /* up-right */
        if ((x + 1 < L || periodic) && (y > 0 || periodic)) add_bond(s, y * L + x, yd * L + xr, J2);      /* down-right */
      }
  return NQS_OK;
}

nqs_status nqs_spin_system_from_edges(nqs_spin_system *s, const char *path, nqs_spin_model model, double J, double h,
                                      double delta, nqs_error *err) {
  memset(s, 0, sizeof *s);
  FILE *f = fopen(path, "r");
  if (!f) return nqs_error_setk(err, NQS_EINPUT, "lattice.edges", "cannot open the edge list %s", path);
  s->model = model;
  s->J = J;
  s->h = h;
  s->delta = delta;
  int cap = 0, line = 0;
  char buf[512];
  nqs_status st = NQS_OK;
  while (!st && fgets(buf, sizeof buf, f)) {
    line++;
    char *hash = strchr(buf, '#');
    if (hash) *hash = 0;
    char *q = buf, *end;
    while (isspace((unsigned char)*q)) q++;
    if (!*q) continue; /* blank or comment */
    const long i = strtol(q, &end, 10);
    int ok = end != q;
    q = end;
    const long j = ok ? strtol(q, &end, 10) : 0;
    ok = ok && end != q;
    q = end;
    double Jb = J;
    while (ok && isspace((unsigned char)*q)) q++;
    if (ok && *q) { /* an optional coupling, then nothing */
      Jb = strtod(q, &end);
      ok = end != q;
      for (q = end; ok && isspace((unsigned char)*q);) q++;
      ok = ok && !*q;
    }
    if (!ok) {
      st = nqs_error_set(err, NQS_EINPUT, "%s:%d: expected \"i j\" or \"i j J\" (two site numbers from 0, then an optional coupling)", path, line);
      break;
    }
    if (i < 0 || j < 0 || i == j || i >= 4096 || j >= 4096 || !isfinite(Jb)) {
      st = nqs_error_set(err, NQS_EINPUT, "%s:%d: bond %ld-%ld: need two different sites in [0, 4096) and a finite coupling",
                         path, line, i, j);
      break;
    }
    if (s->nbonds == cap) {
      cap = cap ? 2 * cap : 64;
      int(*b)[2] = realloc(s->bonds, sizeof *b * (size_t)cap);
      double *bj = b ? realloc(s->bond_J, sizeof(double) * (size_t)cap) : NULL;
      if (b) s->bonds = b;
      if (bj) s->bond_J = bj;
      if (!b || !bj) st = nqs_error_set(err, NQS_ENOMEM, "out of memory for the edge list");
      if (st) break;
    }
    add_bond(s, (int)i, (int)j, Jb);
    if (i >= s->nsites) s->nsites = (int)i + 1;
    if (j >= s->nsites) s->nsites = (int)j + 1;
  }
  fclose(f);
  if (!st && s->nbonds == 0) st = nqs_error_setk(err, NQS_EINPUT, "lattice.edges", "%s holds no bonds", path);
  if (!st) { /* every site on a bond (a lone spin would be a free, degenerate one) */
    char *seen = calloc((size_t)s->nsites, 1);
    if (!seen) st = nqs_error_set(err, NQS_ENOMEM, "out of memory");
    for (int b = 0; !st && b < s->nbonds; b++) seen[s->bonds[b][0]] = seen[s->bonds[b][1]] = 1;
    for (int i = 0; !st && i < s->nsites; i++)
      if (!seen[i]) st = nqs_error_setk(err, NQS_EINPUT, "lattice.edges", "%s: site %d is on no bond (sites are 0 .. %d)", path, i, s->nsites - 1);
    free(seen);
  }
  if (st) {
    nqs_spin_system_free(s);
    return st;
  }
  s->nbonds_nn = s->nbonds;
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
      const double Jb = s->bond_J[b];
      if (tfim) diag += anti ? Jb : -Jb;
      else {
        diag += Jb * s->delta * (anti ? -1.0 : 1.0);
        /* sx sx + sy sy = 2 (s+ s- + s- s+): flips an anti-aligned pair with amplitude 2 */
        if (anti) off += 2 * Jb * x[st ^ ((1L << i) | (1L << j))];
      }
    }
    if (tfim)
      for (int i = 0; i < n; i++) off -= s->h * x[st ^ (1L << i)];
    y[st] = diag * x[st] + off;
  }
}

nqs_status nqs_exact_ground(const nqs_spin_system *s, double *e0, nqs_error *err) {
  return nqs_exact_ground_state(s, e0, NULL, err);
}

nqs_status nqs_exact_ground_state(const nqs_spin_system *s, double *e0, double *psi, nqs_error *err) {
  const int n = s->nsites;
  if (n > NQS_EXACT_MAX_SITES)
    return nqs_error_setk(err, NQS_EINPUT, "lattice.length",
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
    if (!st && LAPACKE_dsyev(LAPACK_ROW_MAJOR, psi ? 'V' : 'N', 'U', (lapack_int)N, H, (lapack_int)N, w) != 0)
      st = nqs_error_set(err, NQS_ERUNTIME, "LAPACK dsyev failed");
    if (!st) *e0 = w[0];
    for (a_int r = 0; !st && psi && r < N; r++) psi[r] = H[r * N]; /* eigenvectors are the columns */
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
    dseupd_c(psi != NULL, "A", select, d, psi, N, 0.0, "I", N, "SA", nev, tol, resid, ncv, v, N, iparam, ipntr, workd, workl,
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

void nqs_exact_correlations(const nqs_spin_system *s, const double *psi, double *c) {
  const int n = s->nsites;
  const long N = 1L << n;
  memset(c, 0, sizeof(double) * (size_t)n * n);
  for (long st = 0; st < N; st++) {
    const double p = psi[st] * psi[st];
    if (p == 0) continue;
    for (int i = 0; i < n; i++)
      for (int j = i + 1; j < n; j++) c[(size_t)i * n + j] += ((st >> i) ^ (st >> j)) & 1 ? -p : p;
  }
  double norm = 0;
  for (long st = 0; st < N; st++) norm += psi[st] * psi[st];
  for (int i = 0; i < n; i++) {
    c[(size_t)i * n + i] = 1;
    for (int j = i + 1; j < n; j++) c[(size_t)j * n + i] = c[(size_t)i * n + j] /= norm;
  }
}

double nqs_tfim_chain_exact(int L, double h) {
  double e = 0;
  for (int m = 1; m <= L / 2; m++) {
    const double k = PI * (2 * m - 1) / L;
    e -= 2 * sqrt(1 + h * h - 2 * h * cos(k));
  }
  return e;
}
