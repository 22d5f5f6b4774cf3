/* nqs/core/stats.h — error bars for correlated Monte Carlo series.
 *
 * The error of the mean comes from automated blocking (M. Jonsson, Phys. Rev. E
 * 98, 043304 (2018)): the series is blocked pairwise repeatedly, and the first
 * level whose remaining autocorrelation is not significant (a chi-square test at
 * the 99 % level on the lag-1 autocovariances of all coarser levels) gives the
 * variance of the mean. */
#ifndef NQS_STATS_H
#define NQS_STATS_H
#include "nqs/core/error.h"

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

/* The blocking curve of x[0..n-1]: at level j (blocks of 2^j values; blocks[j] of them, may be
 * NULL) the naive standard error of the mean, which rises with j until the blocks decorrelate and
 * then levels off at the true error. Returns the number of levels (at most maxl; 0 for n < 2 or
 * out of memory). work: n doubles or NULL. */
int nqs_blocking_curve(const double *x, long n, int maxl, double *error, long *blocks, double *work);

/* Integrated autocorrelation time tau = 1/2 + sum_{t=1}^{M} rho(t) of x[0..n-1] (1/2 when
 * uncorrelated, so that the error of the mean is sqrt(2 tau var / n)), with Sokal's automatic
 * window M >= 6 tau(M). *window: M, or -1 if no window up to n/2 satisfies it (the series is too
 * short for its correlation time; tau is then a lower bound). Cost O(n M). */
double nqs_tau_sokal(const double *x, long n, long *window);

/* Equilibration detection (Chodera, J. Chem. Theory Comput. 12, 1799 (2016)): among the starts
 * t0 = 0, 1, 2, 4, ... (for short transients) and `candidates` starts evenly spaced in [0, n/2),
 * the one that maximises the effective sample count
 * (n - t0) / (2 tau(t0)) of what remains; returns t0, with that tau in *tau. */
long nqs_equilibration(const double *x, long n, int candidates, double *tau);

/* Everything nqs analyze says about one series: the equilibration found and cut, the blocking
 * estimate of what remains, Sokal's tau and the blocking curve. */
#define NQS_MAX_LEVELS 48
typedef struct nqs_trace_analysis {
  long n;              /* values given */
  long discarded;      /* cut from the start as equilibration (0 when not asked for) */
  nqs_estimate blocked; /* blocking estimate of the rest (its tau_int in steps of the series) */
  double tau;          /* Sokal's integrated autocorrelation time of the rest, in steps */
  long window;         /* its window, or -1 when the rest is too short for it */
  double error_tau;    /* sqrt(2 tau var / n) of the rest: the error from tau, beside blocking's */
  int levels;          /* the blocking curve: error[j] with blocks[j] blocks of 2^j values */
  double curve[NQS_MAX_LEVELS];
  long blocks[NQS_MAX_LEVELS];
} nqs_trace_analysis;

/* Analyse x[0..n-1] (n >= 16), cutting the equilibration first when detect is set.
 * NQS_EINPUT for a short series or a non-finite value, NQS_ENOMEM. */
nqs_status nqs_analyze_trace(const double *x, long n, int detect, nqs_trace_analysis *a, nqs_error *err);

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
