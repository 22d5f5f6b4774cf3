/* nqs/core/stats.h — error bars for correlated Monte Carlo series.
 *
 * The error of the mean comes from automated blocking (M. Jonsson, Phys. Rev. E
 * 98, 043304 (2018)): the series is blocked pairwise repeatedly, and the first
 * level whose remaining autocorrelation is not significant (a chi-square test at
 * the 99 % level on the lag-1 autocovariances of all coarser levels) gives the
 * variance of the mean. */
#ifndef NQS_STATS_H
#define NQS_STATS_H

typedef struct nqs_estimate {
  double mean;
  double error;    /* standard error of the mean, from blocking */
  double variance; /* variance of the series itself (population, 1/n) */
  double tau_int;  /* integrated autocorrelation time, in series steps: n err^2 / (2 var); 1/2 if uncorrelated */
  long n;          /* length of the series */
  int block_level; /* blocking level chosen (0 = no blocking needed) */
  int converged;   /* 0 if no level passed the test (series too short: error is a lower bound) */
} nqs_estimate;

/* Blocking estimate of x[0..n-1]. n >= 1. Cost O(n); uses `work` of n doubles
 * (may be NULL: then it allocates, and returns NaN error if allocation fails). */
nqs_estimate nqs_blocking(const double *x, long n, double *work);

/* Gelman-Rubin potential scale reduction R-hat of m chains of length T stored as
 * x[t * m + c] (the walker series layout): sqrt(((T-1)/T W + B/T) / W) with W the mean
 * within-chain variance and B/T the variance of the chain means. Near 1 when the chains
 * sample the same distribution; NaN for m < 2 or T < 2. */
double nqs_rhat(const double *x, long T, int m);

/* Chi-square quantile: x with P(chi2_k <= x) = p, for k >= 1 degrees of freedom. */
double nqs_chi2_quantile(double p, int k);

/* Mean and error printed to `buf` with the error rounded to 2 significant digits
 * and the mean to the same decimal place, e.g. "3.000391 ± 0.000021". */
void nqs_format_value_error(char *buf, int size, double mean, double error);

#endif
