/* Statistics: chi-square quantiles against tabulated values; the blocking error
 * against the exact standard error of an AR(1) process; RNG moments.
 *
 * AR(1): x_t = phi x_{t-1} + sqrt(1 - phi^2) e_t has unit variance and
 * Var(mean) -> (1/n) (1 + phi)/(1 - phi). Rather than trust one series, 200
 * independent series give (a) the spread of their means, which the mean
 * reported error must match, and (b) the coverage of mean +- 2 error. With 200
 * series the sample std has relative uncertainty 1/sqrt(400) = 5 %, so a 15 %
 * band is three of those; coverage of the 95.4 % interval over 200 trials has
 * std 1.5 %, so it must lie in [0.90, 0.99]. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "nqs/nqs.h"

int main(void) {
  CHECK(fabs(nqs_chi2_quantile(0.99, 1) - 6.634897) < 1e-5, "chi2_0.99(1) = %.6f (table 6.634897)", nqs_chi2_quantile(0.99, 1));
  CHECK(fabs(nqs_chi2_quantile(0.99, 2) + 2 * log(0.01)) < 1e-6, "chi2_0.99(2) = %.6f (exact -2 ln 0.01 = 9.210340)", nqs_chi2_quantile(0.99, 2));
  CHECK(fabs(nqs_chi2_quantile(0.99, 30) - 50.892181) < 1e-4, "chi2_0.99(30) = %.6f (table 50.892181)", nqs_chi2_quantile(0.99, 30));

  const long n = 1 << 16;
  const int trials = 200;
  double *x = malloc(sizeof(double) * n), *work = malloc(sizeof(double) * n);
  const double phis[] = {0.0, 0.9};
  for (int q = 0; q < 2; q++) {
    const double phi = phis[q];
    nqs_rng r;
    double sm = 0, sm2 = 0, serr = 0, stau = 0;
    int covered = 0;
    for (int t = 0; t < trials; t++) {
      nqs_rng_seed(&r, 2024, (uint64_t)t);
      double v = nqs_rng_normal(&r);
      for (long i = 0; i < n; i++) {
        v = phi * v + sqrt(1 - phi * phi) * nqs_rng_normal(&r);
        x[i] = v;
      }
      nqs_estimate e = nqs_blocking(x, n, work);
      sm += e.mean;
      sm2 += e.mean * e.mean;
      serr += e.error;
      stau += e.tau_int;
      covered += fabs(e.mean) < 2 * e.error;
    }
    double spread = sqrt(sm2 / trials - (sm / trials) * (sm / trials));
    double exact = sqrt((1 + phi) / (1 - phi) / n);
    double tau_exact = 0.5 * (1 + phi) / (1 - phi);
    CHECK(fabs(serr / trials / spread - 1) < 0.15, "AR(1) phi=%.1f: mean blocking error %.3e vs spread of means %.3e (exact %.3e)",
          phi, serr / trials, spread, exact);
    CHECK(fabs(serr / trials / exact - 1) < 0.15, "AR(1) phi=%.1f: mean blocking error within 15%% of exact", phi);
    CHECK(covered >= 0.90 * trials && covered <= 0.99 * trials, "AR(1) phi=%.1f: mean +- 2 err covers 0 in %d/%d series", phi,
          covered, trials);
    CHECK(fabs(stau / trials / tau_exact - 1) < 0.2, "AR(1) phi=%.1f: tau_int %.2f (exact %.2f)", phi, stau / trials, tau_exact);
  }
  /* RNG: uniform mean 1/2, variance 1/12; normal mean 0, variance 1 (10^6 draws: 5 sigma bounds) */
  nqs_rng r;
  nqs_rng_seed(&r, 1, 0);
  const int m = 1000000;
  double su = 0, su2 = 0, sn = 0, sn2 = 0;
  for (int i = 0; i < m; i++) {
    double u = nqs_rng_uniform(&r), g = nqs_rng_normal(&r);
    su += u;
    su2 += u * u;
    sn += g;
    sn2 += g * g;
  }
  CHECK(fabs(su / m - 0.5) < 5 * sqrt(1.0 / 12 / m), "uniform mean %.5f", su / m);
  CHECK(fabs(su2 / m - su * su / m / m - 1.0 / 12) < 5 * 0.0745 / sqrt(m), "uniform variance %.5f (1/12)", su2 / m - su * su / m / m);
  CHECK(fabs(sn / m) < 5 / sqrt(m), "normal mean %.5f", sn / m);
  CHECK(fabs(sn2 / m - 1) < 5 * sqrt(2.0 / m), "normal variance %.5f", sn2 / m);
  char buf[64];
  nqs_format_value_error(buf, sizeof buf, 3.000391, 0.0000213);
  CHECK(strcmp(buf, "3.000391 ± 0.000021") == 0, "format '%s'", buf);
  free(x);
  free(work);
  /* R-hat: 16 chains of 4096 iid normals give 1 within a few 1e-3 (its spread is ~ 1/sqrt(T)) */
  {
    enum { M = 16, T = 4096 };
    double *c = malloc(sizeof(double) * M * T);
    nqs_rng rr;
    nqs_rng_seed(&rr, 21, 0);
    for (long k = 0; k < (long)M * T; k++) c[k] = nqs_rng_normal(&rr);
    const double r1 = nqs_rhat(c, T, M);
    for (long t = 0; t < T; t++)
      for (int ch = 1; ch < M; ch += 2) c[t * M + ch] += 0.5; /* half the chains shifted by 0.5 sigma */
    const double r2 = nqs_rhat(c, T, M);
    CHECK(fabs(r1 - 1) < 5e-3 && r2 > 1.02, "R-hat: %.4f for chains of one distribution, %.4f when half are shifted by 0.5 sigma",
          r1, r2);
    free(c);
  }
  { /* Sokal's tau, the equilibration cut and nqs_analyze_trace on one long AR(1) series with a
       transient: tau = (1/2)(1 + phi)/(1 - phi) = 9.5 exactly; its estimate from n values with
       window M has relative spread sqrt(2 (2M + 1) / n) (Sokal), 1.5 % here: 4 of those allowed.
       The start 50 sigma away decays as phi^t: below 0.1 sigma after 59 steps. */
    const long N = 1000000;
    const double phi = 0.9, tau_exact = 0.5 * (1 + phi) / (1 - phi);
    double *y = malloc(sizeof(double) * N);
    nqs_rng_seed(&r, 77, 0);
    double v = 50;
    for (long i = 0; i < N; i++) y[i] = v = phi * v + sqrt(1 - phi * phi) * nqs_rng_normal(&r);
    nqs_trace_analysis a;
    nqs_error err;
    const nqs_status st = nqs_analyze_trace(y, N, 1, &a, &err);
    const double rel = sqrt(2.0 * (2 * a.window + 1) / (double)(N - a.discarded));
    CHECK(st == NQS_OK && fabs(a.tau / tau_exact - 1) < 4 * rel, "Sokal tau %.3f (exact %.3f, window %ld, allowed %.1f %%)", a.tau,
          tau_exact, a.window, 400 * rel);
    CHECK(a.discarded >= 59 && a.discarded <= N / 20, "equilibration: %ld values cut (the transient lasts about 59)", a.discarded);
    const double exact_err = sqrt(2 * tau_exact / (N - a.discarded));
    CHECK(fabs(a.error_tau / exact_err - 1) < 2 * rel && fabs(a.blocked.error / exact_err - 1) < 0.1,
          "error of the mean: from tau %.4e, blocking %.4e (exact %.4e)", a.error_tau, a.blocked.error, exact_err);
    CHECK(a.levels > 10 && a.curve[0] < 0.3 * a.curve[8] && fabs(a.curve[8] / exact_err - 1) < 0.15,
          "blocking curve rises from %.3e to %.3e at blocks of 256 (exact %.3e)", a.curve[0], a.curve[8], exact_err);
    nqs_trace_analysis b;
    CHECK(nqs_analyze_trace(y, N, 0, &b, &err) == NQS_OK && b.discarded == 0 && b.blocked.mean > a.blocked.mean,
          "without the cut the transient stays in (mean %.4f against %.4f)", b.blocked.mean, a.blocked.mean);
    y[5] = NAN;
    CHECK(nqs_analyze_trace(y, N, 1, &b, NULL) == NQS_EINPUT && nqs_analyze_trace(y, 10, 1, &b, &err) == NQS_EINPUT,
          "a non-finite value or a short series is refused: %s", err.msg);
    free(y);
  }
  return check_done();
}
