/* nqs-bench — cost of sampling 2D quantum dots with Slater x Pade-Jastrow.
 *
 * One walker, one thread, Metropolis, after thermalisation (step adapted).
 * For each N it times:
 *   sweep        N one-particle moves (propose + accept/reject)
 *   E_L          one local energy (gradient + Laplacian of ln Psi, potentials)
 *   sample       one sweep + one E_L + d ln Psi/d theta: what an optimisation sample costs
 * and reports per move = (sweep + E_L) / N, i.e. a one-particle move including
 * its share of the local energy. The reference C++ code's figures (issue #2,
 * same kind of machine) are printed beside ours with the ratio.
 *
 *   make bench                     (or: build/nqs-bench [--json FILE] [--quick] [--ansatz LIST])
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "nqs/nqs.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

typedef struct {
  const char *ansatz;
  int n;
  double sweep_us, el_us, sample_us, move_us, ref_move_us, ref_sweep_us;
} row;

/* What is timed: one sweep, one local energy, or one optimisation sample. */
typedef enum { OP_SWEEP, OP_LOCAL, OP_SAMPLE } op;

typedef struct {
  const nqs_wavefunction *wf;
  nqs_walker *w;
  double step, *work, sink;
} ctx;

static void do_op(ctx *c, op o) {
  const int nx = c->wf->sys.n * c->wf->sys.dim;
  if (o != OP_LOCAL) nqs_sampler_metropolis.sweep(c->wf, c->w, c->step);
  if (o != OP_SWEEP) c->sink += nqs_wf_local_energy(c->wf, c->w, c->work).e;
  if (o == OP_SAMPLE) nqs_wf_dparams(c->wf, c->w, c->work + nx);
}

/* Repeat the operation until `budget` seconds have passed; seconds per call. */
static double time_op(ctx *c, op o, double budget) {
  long reps = 0;
  double t0 = now(), el;
  do {
    for (int r = 0; r < 16; r++) do_op(c, o);
    reps += 16;
  } while ((el = now() - t0) < budget);
  return el / reps;
}

int main(int argc, char **argv) {
  const char *json = NULL;
  double budget = 0.5;
  int quick = 0;
  const char *only = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) json = argv[++i];
    else if (strcmp(argv[i], "--quick") == 0) {
      budget = 0.05;
      quick = 1;
    }
    else if (strcmp(argv[i], "--ansatz") == 0 && i + 1 < argc) only = argv[++i];
    else {
      fprintf(stderr, "usage: nqs-bench [--json FILE] [--quick] [--ansatz \"slater, ffnn, pade\"]\n");
      return 2;
    }
  }
  const int ns[] = {2, 6, 12, 20, 30};
  /* reference C++ code, per move and per sweep in microseconds (issue #2), Slater x Pade */
  const double ref_move[] = {NAN, 1.2, 3.2, 6.0, NAN}, ref_sweep[] = {NAN, 15, 77, 239, NAN};
  const int nn = sizeof ns / sizeof ns[0];
  const char *ansatz[] = {"slater, pade", "slater, rbm, pade", "slater, ffnn, pade"};
  const int na = quick ? 1 : 3;
  row rows[3 * 8];
  int nrows = 0;
  printf("nqs-bench: 2D quantum dots, omega = 1, Metropolis, 1 walker, 1 thread\n");
  for (int q2 = 0; q2 < (only ? 3 : na); q2++) {
    if (only && strcmp(only, ansatz[q2]) != 0) continue;
    printf("\n%s\n", ansatz[q2]);
    printf("%4s %12s %12s %12s %14s %14s %10s %14s %10s\n", "N", "sweep[us]", "E_L[us]", "sample[us]",
           "move+E_L/N[us]", "ref move[us]", "ratio", "ref sweep[us]", "ratio");
    for (int q = 0; q < nn; q++) {
      nqs_system sys;
      nqs_error err;
      nqs_system_init(&sys, 2, ns[q], NQS_FERMIONS, NQS_INTERACTION_COULOMB, 1.0, 1.0, &err);
      nqs_factor_options fo = {.alpha = 1.0, .beta = 0.5, .pade_cusp = 1, .hidden = 2 * ns[q],
                               .rbm_sigma = sqrt(0.5), .rbm_sqrt = 1, .init_std = 0.01, .seed = 1,
                               .ffnn_hidden = {16, 16}, .ffnn_nhidden = 2, .ffnn_activation = NQS_ACT_TANH};
      nqs_wavefunction *wf = nqs_wf_create(&sys, ansatz[q2], &fo, &err);
      nqs_vmc_options vo = {.sampler = &nqs_sampler_metropolis, .walkers = 1, .seed = 1, .threads = 1};
      nqs_vmc *v = wf ? nqs_vmc_create(wf, &vo, &err) : NULL;
      if (!v || nqs_vmc_thermalize(v, 200, 1, &err)) {
        fprintf(stderr, "nqs-bench: %s\n", err.msg);
        return 1;
      }
      ctx c = {.wf = wf, .w = nqs_vmc_walker(v, 0), .step = nqs_vmc_step(v)};
      double *work = malloc(sizeof(double) * (size_t)(sys.n * sys.dim + wf->nparams));
      c.work = work;
      const int ref = q2 == 0;
      row r = {.ansatz = ansatz[q2], .n = ns[q], .ref_move_us = ref ? ref_move[q] : NAN, .ref_sweep_us = ref ? ref_sweep[q] : NAN};
      r.sweep_us = 1e6 * time_op(&c, OP_SWEEP, budget);
      r.el_us = 1e6 * time_op(&c, OP_LOCAL, budget);
      r.sample_us = 1e6 * time_op(&c, OP_SAMPLE, budget);
      r.move_us = (r.sweep_us + r.el_us) / ns[q];
      if (!isfinite(c.sink)) fprintf(stderr, "nqs-bench: non-finite local energy at N = %d\n", ns[q]);
      rows[nrows++] = r;
      printf("%4d %12.3f %12.3f %12.3f %14.4f %14.1f %10.1f %14.0f %10.1f\n", r.n, r.sweep_us, r.el_us, r.sample_us,
             r.move_us, r.ref_move_us, r.ref_move_us / r.move_us, r.ref_sweep_us, r.ref_sweep_us / (r.sweep_us + r.el_us));
      free(work);
      nqs_vmc_free(v);
      nqs_wf_free(wf);
    }
  }
  /* least-squares slope of ln(sweep + E_L) against ln N over N >= 6 */
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int m = 0;
  for (int q = 0; q < nn; q++) { /* rows[0..nn) are Slater x Pade */
    if (rows[q].n < 6) continue;
    double x = log(rows[q].n), y = log(rows[q].sweep_us + rows[q].el_us);
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
    m++;
  }
  double slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);
  printf("\nslater, pade: cost per sample (sweep + E_L) grows as N^%.2f from N = 6 to 30\n", slope);
  printf("ratio = reference cost / nqs cost (target >= 5); rerun: make bench\n");
  if (json) {
    FILE *f = fopen(json, "w");
    if (!f) {
      fprintf(stderr, "nqs-bench: cannot write %s\n", json);
      return 1;
    }
    fprintf(f, "{\"benchmark\": \"2D dots, metropolis, 1 walker\", \"scaling_exponent_slater_pade\": %.4f, \"rows\": [\n", slope);
    for (int q = 0; q < nrows; q++)
      fprintf(f,
              "  {\"ansatz\": \"%s\", \"N\": %d, \"sweep_us\": %.5g, \"local_energy_us\": %.5g, \"sample_us\": %.5g, "
              "\"move_us\": %.5g}%s\n",
              rows[q].ansatz, rows[q].n, rows[q].sweep_us, rows[q].el_us, rows[q].sample_us, rows[q].move_us,
              q + 1 < nrows ? "," : "");
    fprintf(f, "]}\n");
    fclose(f);
  }
  return 0;
}
