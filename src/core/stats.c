/* stats.c — automated blocking (Jonsson 2018) and formatting of mean ± error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/core/stats.h"

/* Regularised lower incomplete gamma P(s, x) by its power series
 * P = x^s e^-x / Gamma(s+1) * sum_n x^n / ((s+1)...(s+n)); converges for all x. */
static double gamma_p(double s, double x) {
  if (x <= 0) return 0.0;
  double term = 1.0, sum = 1.0;
  for (int n = 1; n < 10000; n++) {
    term *= x / (s + n);
    sum += term;
    if (term < 1e-16 * sum) break;
  }
  return exp(s * log(x) - x - lgamma(s + 1.0)) * sum;
}

double nqs_chi2_quantile(double p, int k) {
  /* Bisection on the CDF P(k/2, x/2), which is monotone in x. */
  double lo = 0.0, hi = k + 20.0 * sqrt(2.0 * k) + 20.0;
  for (int it = 0; it < 200; it++) {
    double mid = 0.5 * (lo + hi);
    if (gamma_p(0.5 * k, 0.5 * mid) < p) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/* The blocking levels of buf[0..n-1] (overwritten): level j has nj[j] >= 2 values, their variance
 * s[j] and lag-1 autocovariance g[j]; each level averages pairs of the one before (an odd last
 * value is dropped; Jonsson uses n = 2^d). Returns the number of levels. */
static int block_levels(double *buf, long n, int maxl, double *s, double *g, long *nj) {
  int L = 0;
  long m = n;
  while (m >= 2 && L < maxl) {
    double mu = 0;
    for (long i = 0; i < m; i++) mu += buf[i];
    mu /= m;
    double var = 0, cov = 0;
    for (long i = 0; i < m; i++) var += (buf[i] - mu) * (buf[i] - mu);
    for (long i = 0; i + 1 < m; i++) cov += (buf[i] - mu) * (buf[i + 1] - mu);
    s[L] = var / m;
    g[L] = cov / m;
    nj[L] = m;
    L++;
    const long h = m / 2;
    for (long i = 0; i < h; i++) buf[i] = 0.5 * (buf[2 * i] + buf[2 * i + 1]);
    m = h;
  }
  return L;
}

int nqs_blocking_curve(const double *x, long n, int maxl, double *error, long *blocks, double *work) {
  double *buf = work ? work : malloc((size_t)(n > 0 ? n : 1) * sizeof *buf);
  if (!buf || n < 2) {
    if (!work) free(buf);
    return 0;
  }
  memcpy(buf, x, (size_t)n * sizeof *buf);
  enum { MAXL = 64 };
  double s[MAXL], g[MAXL];
  long nj[MAXL];
  const int L = block_levels(buf, n, maxl < MAXL ? maxl : MAXL, s, g, nj);
  for (int j = 0; j < L; j++) {
    error[j] = sqrt(s[j] / nj[j]); /* s_j / n_j underestimates the variance of the mean until the blocks decorrelate */
    if (blocks) blocks[j] = nj[j];
  }
  if (!work) free(buf);
  return L;
}

double nqs_tau_sokal(const double *x, long n, long *window) {
  *window = -1;
  if (n < 4) return NAN;
  double mu = 0;
  for (long i = 0; i < n; i++) mu += x[i];
  mu /= n;
  double c0 = 0;
  for (long i = 0; i < n; i++) c0 += (x[i] - mu) * (x[i] - mu);
  if (!(c0 > 0)) {
    *window = 0;
    return 0.5;
  }
  double tau = 0.5;
  for (long t = 1; t < n / 2; t++) {
    double c = 0;
    for (long i = 0; i + t < n; i++) c += (x[i] - mu) * (x[i + t] - mu);
    tau += c / c0;
    if (t >= 6.0 * tau) { /* Sokal's window: M >= c tau(M), c = 6 */
      *window = t;
      return tau;
    }
  }
  return tau; /* no window found: the series is too short for its correlation time */
}

/* The effective sample count of x[t0..n) and its tau. */
static double neff_from(const double *x, long n, long t0, double *tau) {
  long w;
  *tau = nqs_tau_sokal(x + t0, n - t0, &w);
  return isfinite(*tau) ? (n - t0) / (2.0 * (*tau > 0.5 ? *tau : 0.5)) : -1;
}

long nqs_equilibration(const double *x, long n, int candidates, double *tau) {
  long best = 0;
  double best_neff = neff_from(x, n, 0, tau), tk;
  if (candidates < 1) candidates = 1;
  /* short transients: starts 1, 2, 4, ...; long ones: evenly spaced starts; never more than half */
  for (long t0 = 1; t0 < n / 2 && t0 < n / (2L * candidates); t0 *= 2) {
    const double ne = neff_from(x, n, t0, &tk);
    if (ne > best_neff) best_neff = ne, best = t0, *tau = tk;
  }
  for (int k = 1; k < candidates; k++) {
    const long t0 = (long)((double)k * n / (2.0 * candidates));
    const double ne = neff_from(x, n, t0, &tk);
    if (ne > best_neff) best_neff = ne, best = t0, *tau = tk;
  }
  return best;
}

nqs_estimate nqs_blocking(const double *x, long n, double *work) {
  nqs_estimate e = {0};
  e.n = n;
  if (n <= 0) {
    e.mean = e.error = e.variance = NAN;
    return e;
  }
  double sum = 0;
  for (long i = 0; i < n; i++) sum += x[i];
  e.mean = sum / n;
  double v0 = 0;
  for (long i = 0; i < n; i++) v0 += (x[i] - e.mean) * (x[i] - e.mean);
  v0 /= n;
  e.variance = v0;
  if (n < 2 || v0 == 0.0) {
    e.error = (n < 2) ? NAN : 0.0;
    e.tau_int = 0.5;
    e.converged = n >= 2;
    return e;
  }

  double *buf = work;
  int own = 0;
  if (!buf) {
    buf = malloc((size_t)n * sizeof *buf);
    if (!buf) {
      e.error = NAN;
      return e;
    }
    own = 1;
  }
  memcpy(buf, x, (size_t)n * sizeof *buf);

  enum { MAXL = 64 };
  double s[MAXL], g[MAXL];
  long nj[MAXL];
  const int L = block_levels(buf, n, MAXL, s, g, nj);
  if (own) free(buf);

  /* M_j = sum_{i>=j} n_i (g_i / s_i)^2, compared with the 99 % chi-square quantile
   * with L - j degrees of freedom; the first j that passes is the answer. */
  int k = L - 1;
  e.converged = 0;
  double M = 0;
  double Mj[MAXL];
  for (int j = L - 1; j >= 0; j--) {
    double r = (s[j] > 0) ? g[j] / s[j] : 0.0;
    M += nj[j] * r * r;
    Mj[j] = M;
  }
  for (int j = 0; j < L; j++) {
    if (Mj[j] < nqs_chi2_quantile(0.99, L - j)) {
      k = j;
      e.converged = 1;
      break;
    }
  }
  /* Levels with very few blocks are too noisy to be trusted as converged. */
  if (nj[k] < 16) e.converged = 0;
  e.block_level = k;
  e.error = sqrt(s[k] / nj[k]);
  e.tau_int = 0.5 * n * e.error * e.error / v0;
  return e;
}

void nqs_format_value_error(char *buf, int size, double mean, double error) {
  if (!isfinite(error) || error <= 0) {
    snprintf(buf, (size_t)size, "%.10g ± %.2g", mean, error);
    return;
  }
  /* decimals so that the error shows 2 significant digits */
  int dec = 1 - (int)floor(log10(error));
  if (dec < 0) dec = 0;
  if (dec > 15) dec = 15;
  snprintf(buf, (size_t)size, "%.*f ± %.*f", dec, mean, dec, error);
}

double nqs_rhat(const double *x, long T, int m) {
  if (m < 2 || T < 2) return NAN;
  double wsum = 0, msum = 0, m2sum = 0;
  for (int c = 0; c < m; c++) {
    double mean = 0, var = 0;
    for (long t = 0; t < T; t++) mean += x[t * m + c];
    mean /= T;
    for (long t = 0; t < T; t++) var += (x[t * m + c] - mean) * (x[t * m + c] - mean);
    wsum += var / (T - 1);
    msum += mean;
    m2sum += mean * mean;
  }
  const double W = wsum / m, gm = msum / m, Bn = (m2sum / m - gm * gm) * m / (m - 1); /* B/T */
  if (!(W > 0)) return Bn > 0 ? INFINITY : 1.0;
  return sqrt(((T - 1.0) / T * W + Bn) / W);
}

nqs_status nqs_analyze_trace(const double *x, long n, int detect, nqs_trace_analysis *a, nqs_error *err) {
  memset(a, 0, sizeof *a);
  a->n = n;
  if (n < 16) return nqs_error_set(err, NQS_EINPUT, "a series of %ld values is too short to analyse (need at least 16)", n);
  for (long i = 0; i < n; i++)
    if (!isfinite(x[i])) return nqs_error_set(err, NQS_EINPUT, "value %ld of the series is not a finite number", i + 1);
  double tau;
  a->discarded = detect ? nqs_equilibration(x, n, 20, &tau) : 0;
  const double *r = x + a->discarded;
  const long m = n - a->discarded;
  double *work = malloc((size_t)m * sizeof *work);
  if (!work) return nqs_error_set(err, NQS_ENOMEM, "out of memory for a series of %ld values", n);
  a->blocked = nqs_blocking(r, m, work);
  a->tau = nqs_tau_sokal(r, m, &a->window);
  a->error_tau = sqrt(2.0 * fmax(a->tau, 0) * a->blocked.variance / m);
  a->levels = nqs_blocking_curve(r, m, NQS_MAX_LEVELS, a->curve, a->blocks, work);
  free(work);
  return NQS_OK;
}
