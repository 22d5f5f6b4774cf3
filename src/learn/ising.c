/* ising.c — the classical 2D Ising model: Metropolis, Wolff, exact distribution. See nqs/learn/ising.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/learn/ising.h"
#include "nqs/core/stats.h"

nqs_status nqs_ising_init(nqs_ising *m, int L, double T, uint64_t seed, nqs_error *err) {
  memset(m, 0, sizeof *m);
  if (L < 2 || L > 4096) return nqs_error_set(err, NQS_EINPUT, "Ising lattice side %d: need 2 to 4096", L);
  if (!(T > 0) || !isfinite(T)) return nqs_error_set(err, NQS_EINPUT, "Ising temperature %g: need a finite T > 0", T);
  m->L = L;
  m->n = L * L;
  m->T = T;
  m->s = malloc((size_t)m->n);
  m->stack = malloc(sizeof(int) * (size_t)m->n);
  if (!m->s || !m->stack) {
    nqs_ising_free(m);
    return nqs_error_set(err, NQS_ENOMEM, "out of memory for an Ising lattice of %d sites", L * L);
  }
  for (int k = 0; k < 5; k++) m->accept[k] = exp(-2.0 * k / T);
  m->p_add = 1 - exp(-2 / T);
  nqs_rng_seed(&m->rng, seed, 0x151);
  for (int i = 0; i < m->n; i++) m->s[i] = nqs_rng_uniform(&m->rng) < 0.5 ? 1 : -1;
  return NQS_OK;
}

void nqs_ising_free(nqs_ising *m) {
  free(m->s);
  free(m->stack);
  m->s = NULL;
  m->stack = NULL;
}

/* the four neighbours of site i */
static inline void neighbours(int L, int i, int nb[4]) {
  const int x = i % L, y = i / L;
  nb[0] = y * L + (x + 1) % L;
  nb[1] = y * L + (x + L - 1) % L;
  nb[2] = ((y + 1) % L) * L + x;
  nb[3] = ((y + L - 1) % L) * L + x;
}

long nqs_ising_metropolis_sweep(nqs_ising *m) {
  long acc = 0;
  for (int t = 0; t < m->n; t++) {
    int i = (int)(nqs_rng_uniform(&m->rng) * m->n), nb[4];
    if (i >= m->n) i = m->n - 1;
    neighbours(m->L, i, nb);
    const int h = m->s[nb[0]] + m->s[nb[1]] + m->s[nb[2]] + m->s[nb[3]];
    const int de = 2 * m->s[i] * h; /* -4 .. 8 in steps of 4 (the sums are even) */
    const double u = nqs_rng_uniform(&m->rng);
    if (de <= 0 || u < m->accept[de / 2]) {
      m->s[i] = (signed char)-m->s[i];
      acc++;
    }
  }
  return acc;
}

int nqs_ising_wolff(nqs_ising *m) {
  int seed = (int)(nqs_rng_uniform(&m->rng) * m->n), top = 0, size = 1;
  if (seed >= m->n) seed = m->n - 1;
  const signed char s0 = m->s[seed];
  m->s[seed] = (signed char)-s0; /* flipped on joining: a flipped site is never added twice */
  m->stack[top++] = seed;
  while (top > 0) {
    int nb[4];
    neighbours(m->L, m->stack[--top], nb);
    for (int q = 0; q < 4; q++)
      if (m->s[nb[q]] == s0 && nqs_rng_uniform(&m->rng) < m->p_add) {
        m->s[nb[q]] = (signed char)-s0;
        m->stack[top++] = nb[q];
        size++;
      }
  }
  return size;
}

double nqs_ising_energy(int L, const signed char *s) {
  double e = 0;
  for (int i = 0; i < L * L; i++) {
    int nb[4];
    neighbours(L, i, nb);
    e -= s[i] * (s[nb[0]] + s[nb[2]]); /* right and up: each bond once */
  }
  return e;
}

int nqs_ising_magnetisation(int n, const signed char *s) {
  int m = 0;
  for (int i = 0; i < n; i++) m += s[i];
  return m;
}

nqs_status nqs_ising_exact(int L, double T, double *q, nqs_error *err) {
  const int n = L * L;
  if (L < 2 || n > 24) return nqs_error_set(err, NQS_EINPUT, "exact Ising distribution: %d sites, at most 24", n);
  const long S = 1L << n;
  signed char s[24];
  double emin = 0, z = 0;
  for (long st = 0; st < S; st++) {
    for (int i = 0; i < n; i++) s[i] = (st >> i) & 1 ? 1 : -1;
    q[st] = nqs_ising_energy(L, s);
    if (q[st] < emin) emin = q[st];
  }
  for (long st = 0; st < S; st++) z += (q[st] = exp(-(q[st] - emin) / T));
  for (long st = 0; st < S; st++) q[st] /= z;
  return NQS_OK;
}

void nqs_ising_observables(int L, double T, const double *rows, long nr, double out[8]) {
  const int n = L * L;
  double *e = calloc((size_t)nr * 5, sizeof(double));
  if (!e) {
    for (int k = 0; k < 8; k++) out[k] = NAN;
    return;
  }
  double *m = e + nr, *e2 = m + nr, *m2 = e2 + nr, *work = m2 + nr;
  signed char s[4096];
  for (long r = 0; r < nr; r++) {
    for (int i = 0; i < n; i++) s[i] = rows[(size_t)r * n + i] > 0.5 ? 1 : -1;
    e[r] = nqs_ising_energy(L, s) / n;
    m[r] = fabs((double)nqs_ising_magnetisation(n, s)) / n;
  }
  const nqs_estimate E = nqs_blocking(e, nr, work), M = nqs_blocking(m, nr, work);
  for (long r = 0; r < nr; r++) {
    e2[r] = (e[r] - E.mean) * (e[r] - E.mean);
    m2[r] = (m[r] - M.mean) * (m[r] - M.mean);
  }
  const nqs_estimate V = nqs_blocking(e2, nr, work), X = nqs_blocking(m2, nr, work);
  const double o[8] = {E.mean, E.error, M.mean, M.error, n * V.mean / (T * T), n * V.error / (T * T), n * X.mean / T, n * X.error / T};
  memcpy(out, o, sizeof o);
  free(e);
}
