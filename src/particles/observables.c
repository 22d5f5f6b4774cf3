/* observables.c — one- and two-body densities, per-walker histograms. See nqs/particles/observables.h. */
#include <errno.h>
#include <hdf5.h>
#include "h5attr.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/particles/observables.h"

static const double PI = 3.14159265358979323846;

typedef struct {
  int on, bins;        /* bins: total bins (grid: g^d) */
  double lo, hi;       /* radial variable range, or grid axis range */
  double *count;       /* walkers x (bins + 1): last slot counts weight outside */
  nqs_histogram est;   /* the estimate, filled on request */
} hist;

struct nqs_observables {
  nqs_system sys;
  nqs_obs_options opt;
  int walkers, g;      /* g: grid bins per axis */
  double *samples;     /* walkers: configurations measured */
  hist radial, grid, pair;
};

double nqs_shell_volume(int dim, double r0, double r1) {
  switch (dim) {
  case 1: return 2 * (r1 - r0);
  case 2: return PI * (r1 * r1 - r0 * r0);
  default: return 4.0 / 3.0 * PI * (r1 * r1 * r1 - r0 * r0 * r0);
  }
}

static void hist_free(hist *h) {
  free(h->count);
  free(h->est.centre);
  free(h->est.value);
  free(h->est.error);
}

static int hist_alloc(hist *h, int bins, double lo, double hi, int walkers) {
  h->on = 1;
  h->bins = bins;
  h->lo = lo;
  h->hi = hi;
  h->count = calloc((size_t)walkers * (bins + 1), sizeof(double));
  h->est.centre = malloc(sizeof(double) * bins);
  h->est.value = malloc(sizeof(double) * bins);
  h->est.error = malloc(sizeof(double) * bins);
  return h->count && h->est.centre && h->est.value && h->est.error;
}

void nqs_obs_free(nqs_observables *ob) {
  if (!ob) return;
  hist_free(&ob->radial);
  hist_free(&ob->grid);
  hist_free(&ob->pair);
  free(ob->samples);
  free(ob);
}

nqs_observables *nqs_obs_create(const nqs_system *sys, const nqs_obs_options *o, int walkers, nqs_error *err) {
  if (!(o->r_max > 0) || o->radial_bins < 0 || o->grid_bins < 0 || o->pair_bins < 0) {
    nqs_error_setk(err, NQS_EINPUT, "observables.r_max", "histograms need r_max > 0 and bin counts >= 0");
    return NULL;
  }
  double cells = pow((double)o->grid_bins, sys->dim);
  if (cells * walkers > 5e8) {
    nqs_error_setk(err, NQS_EINPUT, "observables.grid_bins",
                   "grid_bins = %d in %d dimensions with %d walkers needs %.3g doubles; lower grid_bins", o->grid_bins,
                   sys->dim, walkers, cells * walkers);
    return NULL;
  }
  nqs_observables *ob = calloc(1, sizeof *ob);
  if (!ob) goto oom;
  ob->sys = *sys;
  ob->opt = *o;
  ob->walkers = walkers;
  ob->g = o->grid_bins;
  ob->samples = calloc((size_t)walkers, sizeof(double));
  if (!ob->samples) goto oom;
  if (o->radial_bins && !hist_alloc(&ob->radial, o->radial_bins, 0, o->r_max, walkers)) goto oom;
  if (o->grid_bins && !hist_alloc(&ob->grid, (int)cells, -o->r_max, o->r_max, walkers)) goto oom;
  if (o->pair_bins && sys->n > 1 && !hist_alloc(&ob->pair, o->pair_bins, 0, 2 * o->r_max, walkers)) goto oom;
  return ob;
oom:
  nqs_obs_free(ob);
  nqs_error_set(err, NQS_ENOMEM, "out of memory for the observables' histograms");
  return NULL;
}

/* Bin of v in [lo, hi) with `bins` bins, or bins (the overflow slot). */
static int bin_of(double v, double lo, double hi, int bins) {
  if (!(v >= lo && v < hi)) return bins;
  int b = (int)((v - lo) / (hi - lo) * bins);
  return b < bins ? b : bins - 1;
}

void nqs_obs_measure(nqs_observables *ob, int w, const double *x) {
  const int n = ob->sys.n, d = ob->sys.dim;
  ob->samples[w]++;
  if (ob->radial.on) {
    double *c = ob->radial.count + (size_t)w * (ob->radial.bins + 1);
    for (int i = 0; i < n; i++) {
      double r2 = 0;
      for (int k = 0; k < d; k++) r2 += x[i * d + k] * x[i * d + k];
      c[bin_of(sqrt(r2), ob->radial.lo, ob->radial.hi, ob->radial.bins)] += 1;
    }
  }
  if (ob->grid.on) {
    double *c = ob->grid.count + (size_t)w * (ob->grid.bins + 1);
    for (int i = 0; i < n; i++) {
      int k = 0;
      for (int a = 0; a < d && k < ob->grid.bins; a++) {
        int b = bin_of(x[i * d + a], ob->grid.lo, ob->grid.hi, ob->g);
        k = b == ob->g ? ob->grid.bins : k * ob->g + b;
      }
      c[k] += 1;
    }
  }
  if (ob->pair.on) {
    double *c = ob->pair.count + (size_t)w * (ob->pair.bins + 1);
    for (int i = 0; i < n; i++)
      for (int j = i + 1; j < n; j++) {
        double r2 = 0;
        for (int k = 0; k < d; k++) r2 += (x[i * d + k] - x[j * d + k]) * (x[i * d + k] - x[j * d + k]);
        c[bin_of(sqrt(r2), ob->pair.lo, ob->pair.hi, ob->pair.bins)] += 1;
      }
  }
}

/* Per-walker densities count / (samples V_b), then mean and standard error over walkers.
 * radial: V_b is the shell volume; grid: the cell volume. */
static const nqs_histogram *estimate(const nqs_observables *ob, hist *h, int radial, double per_sample) {
  if (!h->on) return NULL;
  const int W = ob->walkers, B = h->bins, d = ob->sys.dim;
  nqs_histogram *e = &h->est;
  e->bins = B;
  e->lo = h->lo;
  e->hi = h->hi;
  const double dr = (h->hi - h->lo) / (radial ? B : ob->g);
  double out = 0, total = 0;
  for (int b = 0; b < B; b++) {
    const double r0 = h->lo + b * dr;
    const double vol = radial ? nqs_shell_volume(d, r0, r0 + dr) : pow(dr, d);
    e->centre[b] = radial ? r0 + 0.5 * dr : NAN;
    double s = 0, s2 = 0;
    for (int w = 0; w < W; w++) {
      const double m = ob->samples[w] > 0 ? ob->samples[w] : 1.0;
      const double rho = h->count[(size_t)w * (B + 1) + b] / (m * vol);
      s += rho;
      s2 += rho * rho;
    }
    e->value[b] = s / W;
    e->error[b] = W > 1 ? sqrt(fmax(s2 / W - e->value[b] * e->value[b], 0) / (W - 1)) : NAN;
  }
  for (int w = 0; w < W; w++) {
    out += h->count[(size_t)w * (B + 1) + B];
    total += ob->samples[w] * per_sample;
  }
  e->outside = total > 0 ? out / total : 0;
  return e;
}

nqs_status nqs_obs_reduce(nqs_observables *ob, const nqs_comm *c, nqs_error *err) {
  hist *hs[3] = {&ob->radial, &ob->grid, &ob->pair};
  nqs_status st = nqs_comm_sum(c, ob->samples, ob->walkers, err);
  for (int q = 0; q < 3 && st == NQS_OK; q++)
    if (hs[q]->on) st = nqs_comm_sum(c, hs[q]->count, (long)ob->walkers * (hs[q]->bins + 1), err);
  return st;
}

const nqs_histogram *nqs_obs_radial(nqs_observables *ob) { return estimate(ob, &ob->radial, 1, ob->sys.n); }
const nqs_histogram *nqs_obs_grid(nqs_observables *ob) { return estimate(ob, &ob->grid, 0, ob->sys.n); }
const nqs_histogram *nqs_obs_pair(nqs_observables *ob) {
  return estimate(ob, &ob->pair, 1, 0.5 * ob->sys.n * (ob->sys.n - 1));
}

void nqs_obs_grid_point(const nqs_observables *ob, int k, double *x) {
  const int d = ob->sys.dim, g = ob->g;
  const double dx = (ob->grid.hi - ob->grid.lo) / g;
  for (int a = d - 1; a >= 0; a--) {
    x[a] = ob->grid.lo + (k % g + 0.5) * dx;
    k /= g;
  }
}

/* Normalised oscillator functions psi_0..psi_nmax at x (frequency omega), by the
 * stable recurrence psi_{n+1} = sqrt(2/(n+1)) xi psi_n - sqrt(n/(n+1)) psi_{n-1}. */
static void hermite_functions(double omega, double x, int nmax, double *psi) {
  const double xi = sqrt(omega) * x;
  psi[0] = pow(omega / PI, 0.25) * exp(-0.5 * xi * xi);
  if (nmax >= 1) psi[1] = sqrt(2.0) * xi * psi[0];
  for (int n = 1; n < nmax; n++) psi[n + 1] = sqrt(2.0 / (n + 1)) * xi * psi[n] - sqrt((double)n / (n + 1)) * psi[n - 1];
}

double nqs_density_free(const nqs_system *sys, double r) {
  if (sys->lambda != 1.0) return NAN;
  const int d = sys->dim;
  if (sys->statistics != NQS_FERMIONS) {
    double p0[1], z0[1];
    hermite_functions(sys->omega, r, 0, p0);
    hermite_functions(sys->omega, 0, 0, z0);
    return sys->n * p0[0] * p0[0] * pow(z0[0] * z0[0], d - 1);
  }
  const int shells = nqs_closed_shells(d, sys->n_up);
  if (shells < 1 || sys->n != 2 * sys->n_up) return NAN;
  double px[64], p0[64];
  if (shells > 63) return NAN;
  hermite_functions(sys->omega, r, shells - 1, px);
  hermite_functions(sys->omega, 0, shells - 1, p0);
  /* closed shells are isotropic: evaluate at (r, 0, ..., 0); sum over n_1 + ... + n_d < shells */
  double rho = 0;
  for (int n1 = 0; n1 < shells; n1++) {
    const double a = px[n1] * px[n1];
    if (d == 1) rho += a;
    else if (d == 2)
      for (int n2 = 0; n1 + n2 < shells; n2++) rho += a * p0[n2] * p0[n2];
    else
      for (int n2 = 0; n1 + n2 < shells; n2++)
        for (int n3 = 0; n1 + n2 + n3 < shells; n3++) rho += a * p0[n2] * p0[n2] * p0[n3] * p0[n3];
  }
  return 2 * rho; /* two spin states per orbital */
}

double nqs_density_free_shell(const nqs_system *sys, double r0, double r1) {
  /* composite Simpson in r of rho(r) dV/dr over 64 intervals */
  const int m = 64, d = sys->dim;
  const double h = (r1 - r0) / m;
  double s = 0;
  for (int k = 0; k <= m; k++) {
    const double r = r0 + k * h, wgt = (k == 0 || k == m) ? 1 : (k % 2 ? 4 : 2);
    const double area = d == 1 ? 2 : (d == 2 ? 2 * PI * r : 4 * PI * r * r);
    s += wgt * nqs_density_free(sys, r) * area;
  }
  return s * h / 3 / nqs_shell_volume(d, r0, r1);
}

static int write_ds(hid_t f, const char *name, int rank, const hsize_t *dims, const double *data) {
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t ds = H5Dcreate2(f, name, H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t e = (ds < 0) ? -1 : H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  if (ds >= 0) H5Dclose(ds);
  H5Sclose(sp);
  return e < 0 ? -1 : 0;
}

static nqs_status write_radial_csv(const char *dir, const char *name, const nqs_histogram *h, const nqs_system *sys,
                                   int with_free, nqs_error *err) {
  char path[600];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) return nqs_error_set(err, NQS_EIO, "cannot write %s: %s", path, strerror(errno));
  const double dr = (h->hi - h->lo) / h->bins;
  fprintf(f, with_free ? "r,rho,error,rho_free\n" : "r,rho,error\n");
  for (int b = 0; b < h->bins; b++) {
    fprintf(f, "%.8g,%.10g,%.4g", h->centre[b], h->value[b], h->error[b]);
    if (with_free) fprintf(f, ",%.10g", nqs_density_free_shell(sys, h->lo + b * dr, h->lo + (b + 1) * dr));
    fputc('\n', f);
  }
  if (fclose(f)) return nqs_error_set(err, NQS_EIO, "cannot finish writing %s", path);
  return NQS_OK;
}

/* The density along axis a, integrated over the other axes: each walker's marginal of its grid
 * histogram, then the mean and standard error over walkers (as for every histogram here). */
static void axis_density(const nqs_observables *ob, int a, double *value, double *error, double *rho) {
  const int W = ob->walkers, B = ob->grid.bins, g = ob->g, d = ob->sys.dim;
  const double dx = (ob->grid.hi - ob->grid.lo) / g;
  int stride = 1;
  for (int q = a + 1; q < d; q++) stride *= g;
  for (int b = 0; b < g; b++) value[b] = error[b] = 0;
  for (int w = 0; w < W; w++) {
    const double m = ob->samples[w] > 0 ? ob->samples[w] : 1.0, *c = ob->grid.count + (size_t)w * (B + 1);
    for (int b = 0; b < g; b++) rho[b] = 0;
    for (int k = 0; k < B; k++) rho[(k / stride) % g] += c[k];
    for (int b = 0; b < g; b++) {
      rho[b] /= m * dx;
      value[b] += rho[b];
      error[b] += rho[b] * rho[b];
    }
  }
  for (int b = 0; b < g; b++) {
    value[b] /= W;
    error[b] = W > 1 ? sqrt(fmax(error[b] / W - value[b] * value[b], 0) / (W - 1)) : NAN;
  }
}

/* The non-interacting density along axis a averaged over [x0, x1): all N particles in the
 * lowest orbital, a Gaussian of frequency omega (omega lambda on the last axis of an elliptic
 * trap). NAN for fermions, whose marginal is a sum over shells. */
static double axis_free(const nqs_system *sys, int a, double x0, double x1) {
  if (sys->statistics == NQS_FERMIONS) return NAN;
  const double w = sys->omega * (a == sys->dim - 1 ? sys->lambda : 1.0), s = sqrt(w);
  return sys->n * 0.5 * (erf(s * x1) - erf(s * x0)) / (x1 - x0);
}

/* density_axes.csv: x, then for each axis the sampled density along it, its error and the
 * non-interacting one (sum over bins times dx = N, up to the weight outside the range). */
static nqs_status write_axes_csv(const nqs_observables *ob, const char *dir, nqs_error *err) {
  const int g = ob->g, d = ob->sys.dim;
  const double dx = (ob->grid.hi - ob->grid.lo) / g;
  double *v = malloc(sizeof(double) * (size_t)(2 * d + 1) * g), *e = v + (size_t)d * g;
  if (!v) return nqs_error_set(err, NQS_ENOMEM, "out of memory for the axis densities");
  for (int a = 0; a < d; a++) axis_density(ob, a, v + (size_t)a * g, e + (size_t)a * g, e + (size_t)d * g);
  char path[600];
  snprintf(path, sizeof path, "%s/density_axes.csv", dir);
  FILE *f = fopen(path, "w");
  if (!f) {
    free(v);
    return nqs_error_set(err, NQS_EIO, "cannot write %s: %s", path, strerror(errno));
  }
  static const char *ax[] = {"x", "y", "z"};
  fprintf(f, "coordinate");
  for (int a = 0; a < d; a++) fprintf(f, ",rho_%s,error_%s,rho_free_%s", ax[a], ax[a], ax[a]);
  fputc('\n', f);
  for (int b = 0; b < g; b++) {
    const double x0 = ob->grid.lo + b * dx;
    fprintf(f, "%.8g", x0 + 0.5 * dx);
    for (int a = 0; a < d; a++)
      fprintf(f, ",%.10g,%.4g,%.10g", v[(size_t)a * g + b], e[(size_t)a * g + b], axis_free(&ob->sys, a, x0, x0 + dx));
    fputc('\n', f);
  }
  free(v);
  if (fclose(f)) return nqs_error_set(err, NQS_EIO, "cannot finish writing %s", path);
  return NQS_OK;
}

nqs_status nqs_obs_write(nqs_observables *ob, const char *dir, const char *length_unit, nqs_error *err) {
  const nqs_histogram *rad = nqs_obs_radial(ob), *grid = nqs_obs_grid(ob), *pair = nqs_obs_pair(ob);
  const int d = ob->sys.dim;
  nqs_status st = NQS_OK;
  if (rad && (st = write_radial_csv(dir, "density_radial.csv", rad, &ob->sys, 1, err))) return st;
  if (pair && (st = write_radial_csv(dir, "pair_density.csv", pair, &ob->sys, 0, err))) return st;
  if (grid) {
    char path[600];
    snprintf(path, sizeof path, "%s/density_grid.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f) return nqs_error_set(err, NQS_EIO, "cannot write %s: %s", path, strerror(errno));
    static const char *ax[] = {"x", "y", "z"};
    for (int a = 0; a < d; a++) fprintf(f, "%s,", ax[a]);
    fprintf(f, "rho,error\n");
    for (int k = 0; k < grid->bins; k++) {
      double x[NQS_MAX_DIM];
      nqs_obs_grid_point(ob, k, x);
      for (int a = 0; a < d; a++) fprintf(f, "%.6g,", x[a]);
      fprintf(f, "%.8g,%.4g\n", grid->value[k], grid->error[k]);
      /* a blank line after each row of the last axis: gnuplot's pm3d reads scans */
      if (d >= 2 && (k + 1) % ob->g == 0) fputc('\n', f);
    }
    if (fclose(f)) return nqs_error_set(err, NQS_EIO, "cannot finish writing %s", path);
    if (d >= 2 && (st = write_axes_csv(ob, dir, err))) return st;
  }
  /* HDF5: one group per histogram */
  char path[600];
  snprintf(path, sizeof path, "%s/observables.h5", dir);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) return nqs_error_set(err, NQS_EIO, "cannot create %s (HDF5)", path);
  char norm[2][160];
  snprintf(norm[0], sizeof norm[0], "sum over bins of rho times the shell volume = %d particles, less the weight beyond the last bin (result.json)", ob->sys.n);
  snprintf(norm[1], sizeof norm[1], "sum over bins of rho times the shell volume = %d pairs, less the weight beyond the last bin (result.json)",
           ob->sys.n * (ob->sys.n - 1) / 2);
  int e = nqs_h5_attribute(f, "format", "nqs observables: one group per density, datasets r (bin centres), rho, error") < 0 ||
          nqs_h5_attribute(f, "length_unit", length_unit) < 0 || nqs_h5_attribute(f, "schema_version", "1") < 0;
  const nqs_histogram *hs[2] = {rad, pair};
  const char *gn[2] = {"density_radial", "pair_density"};
  for (int q = 0; q < 2; q++) {
    if (!hs[q]) continue;
    hid_t g = H5Gcreate2(f, gn[q], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t n1[1] = {(hsize_t)hs[q]->bins};
    e |= nqs_h5_attribute(g, "normalisation", norm[q]) < 0;
    e |= write_ds(g, "r", 1, n1, hs[q]->centre);
    e |= write_ds(g, "rho", 1, n1, hs[q]->value);
    e |= write_ds(g, "error", 1, n1, hs[q]->error);
    if (q == 0) {
      double *fr = malloc(sizeof(double) * hs[q]->bins);
      const double dr = (hs[q]->hi - hs[q]->lo) / hs[q]->bins;
      if (fr) {
        for (int b = 0; b < hs[q]->bins; b++) fr[b] = nqs_density_free_shell(&ob->sys, b * dr, (b + 1) * dr);
        e |= write_ds(g, "rho_free", 1, n1, fr);
      }
      free(fr);
    }
    H5Gclose(g);
  }
  if (grid) {
    hid_t g = H5Gcreate2(f, "density_grid", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t nd[NQS_MAX_DIM], n1[1] = {2};
    for (int a = 0; a < d; a++) nd[a] = (hsize_t)ob->g;
    const double range[2] = {grid->lo, grid->hi};
    e |= write_ds(g, "rho", d, nd, grid->value);
    e |= write_ds(g, "error", d, nd, grid->error);
    e |= write_ds(g, "range", 1, n1, range);
    e |= nqs_h5_attribute(g, "normalisation", "rho per unit volume on a regular grid over range along every axis; "
                                               "the sum over cells of rho times the cell volume is the particle count inside") < 0;
    H5Gclose(g);
  }
  if (H5Fclose(f) < 0 || e) return nqs_error_set(err, NQS_EIO, "cannot write %s (HDF5)", path);
  return NQS_OK;
}
