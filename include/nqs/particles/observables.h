/* nqs/particles/observables.h — densities measured during evaluation, with error bars.
 *
 * Histograms are accumulated per walker (walkers are independent Markov
 * chains, and each is handled by one thread: no shared writes). The estimate
 * of a bin is the mean over walkers of each walker's density and its error the
 * standard error of that mean: a walker's time average already folds in its
 * autocorrelation, so the spread between walkers is an honest error bar.
 *
 * Normalisation, for bins of volume V_b (d-dimensional shells or cells):
 *   one-body  rho(r)  = <sum_i delta(x - x_i)>,        sum_b rho_b V_b = N
 *   two-body  rho2(r) = <sum_{i<j} delta(r - r_ij)>,   sum_b rho2_b V_b = N (N - 1) / 2
 * up to the weight beyond the histogram's range (reported as `outside`). In 1D
 * the radial shell of r is the two points +-r, V_b = 2 dr. */
#ifndef NQS_OBSERVABLES_H
#define NQS_OBSERVABLES_H
#include "nqs/core/comm.h"
#include "nqs/particles/system.h"

typedef struct nqs_obs_options {
  int radial_bins; /* one-body radial density; 0 = off */
  int grid_bins;   /* per axis of the d-dimensional one-body histogram over [-r_max, r_max]^d; 0 = off */
  int pair_bins;   /* two-body radial density over [0, 2 r_max); 0 = off */
  double r_max;    /* > 0 */
} nqs_obs_options;

/* One estimated histogram: bins values with errors; centre[] are bin centres
 * (radial) or unused (grid, where bin k has coordinates from nqs_obs_grid_point). */
typedef struct nqs_histogram {
  int bins;
  double lo, hi;  /* range of the radial variable, or of each grid axis */
  double *centre, *value, *error;
  double outside; /* fraction of the weight that fell outside the range */
} nqs_histogram;

typedef struct nqs_observables nqs_observables;

nqs_observables *nqs_obs_create(const nqs_system *sys, const nqs_obs_options *o, int walkers, nqs_error *err);
void nqs_obs_free(nqs_observables *ob);

/* Add one configuration x[n*dim] of walker w. Safe to call concurrently for different w. */
void nqs_obs_measure(nqs_observables *ob, int w, const double *x);

/* With walkers spread over MPI ranks (each measuring its own, by global index):
 * sum the histograms so every rank holds all of them. Call once, after sampling. */
nqs_status nqs_obs_reduce(nqs_observables *ob, const nqs_comm *c, nqs_error *err);

/* Estimates from everything measured so far (each walker must have the same
 * number of samples). NULL for a histogram that is off. Owned by ob. */
const nqs_histogram *nqs_obs_radial(nqs_observables *ob);
const nqs_histogram *nqs_obs_grid(nqs_observables *ob);
const nqs_histogram *nqs_obs_pair(nqs_observables *ob);

/* Coordinates of the centre of grid bin k (row-major over the d axes, last axis fastest). */
void nqs_obs_grid_point(const nqs_observables *ob, int k, double *x);

/* Write observables.h5 (its attributes: the length unit, each density's normalisation) and
 * density_radial.csv, density_grid.csv, pair_density.csv (whichever are on) into dir. */
nqs_status nqs_obs_write(nqs_observables *ob, const char *dir, const char *length_unit, nqs_error *err);

/* One-body density of the non-interacting ground state at radius r (closed
 * shells of an isotropic trap; bosons and distinguishable particles all in the
 * lowest orbital); NAN for an elliptic trap. `nqs_density_free_shell` is its
 * average over the shell r0 <= |x| < r1 (what a histogram bin estimates). */
double nqs_density_free(const nqs_system *sys, double r);
double nqs_density_free_shell(const nqs_system *sys, double r0, double r1);

/* Volume of the d-dimensional shell r0 <= |x| < r1. */
double nqs_shell_volume(int dim, double r0, double r1);

#endif
