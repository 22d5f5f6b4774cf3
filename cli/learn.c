/* learn.c — `nqs sample-ising`, `nqs train-rbm FILE`, `nqs sample-rbm DIR`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"
#include "learn.h"
#include "nqs/nqs.h"
#include "plot.h"

static int fail(const char *msg) {
  fprintf(stderr, "nqs: error: %s\n", msg);
  return 2;
}

/* A learning command that failed: the message (with the input line at fault) and the folder. */
static int failed(const nqs_config *c, nqs_error *err, const char *dir) {
  nqs_config_locate(c, err);
  fprintf(stderr, "nqs: error: %s\n", err->msg);
  if (dir[0]) fprintf(stderr, "nqs: the run folder %s keeps what was written\n", dir);
  return cli_exit_code(err->code);
}

static void print_observables(const char *what, const double o[8]) {
  printf("  %-12s E/n = %.5f ± %.5f   |M|/n = %.5f ± %.5f   C/n = %.4f ± %.4f   chi/n = %.4f ± %.4f\n", what, o[0], o[1],
         o[2], o[3], o[4], o[5], o[6], o[7]);
}

/* `samples` configurations at temperature T, `between` updates apart, into rows (stride doubles
 * apart; spins as 0/1). sweeps != 0: `between` counts sweeps, and for Wolff a sweep is as many
 * cluster flips as it takes to flip L^2 spins (at high T a cluster is a spin or two). */
static int ising_rows(int L, double T, uint64_t seed, long therm, long between, int wolff, int sweeps, long samples, double *rows,
                      int stride) {
  nqs_error err = {0};
  nqs_ising m;
  if (nqs_ising_init(&m, L, T, seed, &err)) return fail(err.msg);
  for (long t = 0; t < therm; t++) wolff ? (void)nqs_ising_wolff(&m) : (void)nqs_ising_metropolis_sweep(&m);
  for (long r = 0; r < samples; r++) {
    if (sweeps && wolff)
      for (long flipped = 0; flipped < between * L * L;) flipped += nqs_ising_wolff(&m);
    else
      for (long t = 0; t < between; t++) wolff ? (void)nqs_ising_wolff(&m) : (void)nqs_ising_metropolis_sweep(&m);
    for (int i = 0; i < L * L; i++) rows[(size_t)r * stride + i] = m.s[i] > 0;
  }
  nqs_ising_free(&m);
  return 0;
}

/* Temperatures from "1.5, 3.5" or FROM:TO:COUNT (evenly spaced); the count, or -1. */
static int parse_temperatures(const char *text, double *T, int cap) {
  double a, b;
  int n = 0;
  char tail;
  if (sscanf(text, "%lf:%lf:%d%c", &a, &b, &n, &tail) == 3) {
    if (n < 1 || n > cap || !(a > 0) || !(b > 0)) return -1;
    for (int k = 0; k < n; k++) T[k] = n == 1 ? a : a + (b - a) * k / (n - 1);
    return n;
  }
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", text);
  n = 0;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *end;
    const double v = strtod(tok, &end);
    while (*end == ' ') end++;
    if (end == tok || *end || !(v > 0) || !isfinite(v) || n == cap) return -1;
    T[n++] = v;
  }
  return n ? n : -1;
}

int nqs_cmd_sample_ising(int argc, char **argv) {
  long L = 4, samples = 10000, between = 0, therm = 1000, seed = 1;
  double T = NAN, temps[1000];
  cli_args a;
  int rc = cli_parse("sample-ising", "--length= --temperature= --temperatures= --samples= --between= --thermalization= --seed= "
                     "--algorithm= --out=", argc, argv, &a);
  if (rc || (rc = cli_long(&a, "--length", 2, 64, &L)) || (rc = cli_double(&a, "--temperature", 1e-6, 1e6, &T)) ||
      (rc = cli_long(&a, "--samples", 1, 100000000, &samples)) || (rc = cli_long(&a, "--between", 1, 1000000, &between)) ||
      (rc = cli_long(&a, "--thermalization", 0, 100000000, &therm)) || (rc = cli_long(&a, "--seed", 0, 2147483647, &seed)))
    return rc;
  const char *out = cli_get(&a, "--out"), *algo = cli_get(&a, "--algorithm"), *grid = cli_get(&a, "--temperatures");
  if (!algo) algo = "wolff";
  if (strcmp(algo, "wolff") && strcmp(algo, "metropolis")) return fail("--algorithm: wolff or metropolis");
  if (a.positional) return fail("sample-ising takes no FILE: give --out FILE.csv");
  if (grid && isfinite(T)) return fail("give --temperature T or --temperatures LIST, not both");
  if (!isfinite(T) && !grid) return fail("sample-ising needs --temperature T (T_c = 2.269) or --temperatures FROM:TO:COUNT");
  if (!out) return fail("sample-ising needs --out FILE.csv");
  const int wolff = strcmp(algo, "wolff") == 0, n = (int)(L * L);
  if (!between) between = wolff ? 5 : 10; /* updates between stored samples */
  nqs_error err = {0};
  if (grid) { /* labelled data for classification: spins, T, and ordered = (T < T_c) */
    const int nt = parse_temperatures(grid, temps, 1000);
    if (nt < 0) return fail("--temperatures: positive numbers (1.5, 3.5) or FROM:TO:COUNT with COUNT in 1..1000");
    const int stride = n + 2;
    const long sweeps_between = cli_get(&a, "--between") ? between : 2;
    double *rows = malloc(sizeof(double) * (size_t)samples * nt * stride);
    char *header = malloc((size_t)n * 8 + 32);
    if (!rows || !header) {
      free(rows), free(header);
      return fail("out of memory for the samples");
    }
    rc = 0;
    for (int k = 0; k < nt && !rc; k++) {
      double *r0 = rows + (size_t)k * samples * stride;
      rc = ising_rows((int)L, temps[k], (uint64_t)seed + 7919u * k, therm, sweeps_between, wolff, 1, samples, r0, stride);
      for (long r = 0; r < samples; r++) r0[r * stride + n] = temps[k], r0[r * stride + n + 1] = temps[k] < NQS_ISING_TC;
    }
    header[0] = 0;
    for (int i = 0; i < n; i++) sprintf(header + strlen(header), "s%d,", i);
    strcat(header, "T,ordered");
    if (!rc && nqs_dataset_write_named(out, rows, samples * nt, stride, 0, header, &err)) rc = fail(err.msg);
    if (!rc)
      printf("nqs: %ld samples at each of %d temperatures (%g .. %g) of the %ldx%ld periodic Ising model (%s, %ld sweeps "
             "apart) in %s: columns s0..s%d (spins as 0/1), T, ordered (T < T_c = %.6f)\n", samples, nt, temps[0],
             temps[nt - 1], L, L, algo, sweeps_between, out, n - 1, NQS_ISING_TC);
    free(rows), free(header);
    return rc;
  }
  double *rows = malloc(sizeof(double) * (size_t)samples * n);
  if (!rows) return fail("out of memory for the samples");
  rc = ising_rows((int)L, T, (uint64_t)seed, therm, between, wolff, 0, samples, rows, n);
  if (!rc && nqs_dataset_write(out, rows, samples, n, 1, &err)) rc = fail(err.msg);
  else if (!rc) {
    double o[8];
    nqs_ising_observables((int)L, T, rows, samples, o);
    printf("nqs: %ld samples of the %ldx%ld periodic Ising model at T = %g (%s, %ld updates apart) in %s\n", samples, L, L, T,
           algo, between, out);
    print_observables("samples", o);
    if (n <= 20) { /* exact values by enumeration */
      double *q = malloc(sizeof(double) * ((size_t)1 << n)), e = 0, ee = 0, am = 0, mm = 0;
      signed char s[20];
      const int have_q = q && !nqs_ising_exact((int)L, T, q, &err);
      for (long st = 0; have_q && st < (1L << n); st++) {
        for (int i = 0; i < n; i++) s[i] = (st >> i) & 1 ? 1 : -1;
        const double x = nqs_ising_energy((int)L, s) / n, y = fabs((double)nqs_ising_magnetisation(n, s)) / n;
        e += q[st] * x, ee += q[st] * x * x, am += q[st] * y, mm += q[st] * y * y;
      }
      free(q);
      printf("  %-12s E/n = %.5f             |M|/n = %.5f             C/n = %.4f            chi/n = %.4f\n", "exact", e, am,
             n * (ee - e * e) / (T * T), n * (mm - am * am) / T);
    }
  }
  free(rows);
  return rc;
}

/* Progress of a training: a line per tenth of the epochs, with the monitored value (the KL of
 * train-rbm, the fidelity of tomography) when the library reports one in the energy slot. */
typedef struct {
  int quiet, last_tenth;
  const char *what; /* "KL" or "fidelity" */
} train_display;

static void train_progress(void *user, const nqs_progress *p) {
  train_display *d = user;
  const int tenth = (int)(p->fraction * 10 + 1e-9);
  if (d->quiet || (tenth == d->last_tenth && p->fraction < 1)) return;
  d->last_tenth = tenth;
  if (p->has_energy)
    fprintf(stderr, "  train %d/%d  %s = %.6f  %.1f s\n", p->iteration, p->iterations, d->what, p->energy, p->elapsed);
  else fprintf(stderr, "  train %d/%d  %.1f s\n", p->iteration, p->iterations, p->elapsed);
}

int nqs_cmd_train_rbm(int argc, char **argv) {
  nqs_config c;
  nqs_error err = {0};
  nqs_checkpoint ck;
  cli_args a;
  int restarted, rc = cli_parse("train-rbm", "--set --out= --restart= --quiet --no-plots", argc, argv, &a);
  if (rc || (rc = cli_config(&a, cli_input_of(&a), "train-rbm", 1, &c, &ck, &restarted))) return rc;
  const int quiet = cli_flag(&a, "--quiet"), plots = !cli_flag(&a, "--no-plots");
  train_display show = {.quiet = quiet, .last_tenth = -1, .what = "KL"};
  nqs_run_options o = {.progress = train_progress, .user = &show, .restart = restarted ? &ck : NULL};
  nqs_train_result r;
  const nqs_status st = nqs_train_rbm(&c, &o, &r, &err);
  nqs_checkpoint_free(&ck);
  if (st) {
    return failed(&c, &err, r.dir);
  }
  printf("RBM %d visible x %d hidden, %d epochs:", r.nv, r.nh, r.epochs);
  if (isfinite(r.ll_train)) printf("  log-likelihood train %.4f, held-out %.4f", r.ll_train, r.ll_test);
  if (isfinite(r.kl)) printf("  KL(data distribution || RBM) = %.5f nats", r.kl);
  printf("\n");
  if (r.has_observables) {
    print_observables("data", r.observables_data);
    print_observables("RBM samples", r.observables_model);
  }
  char msg[512];
  if (plots && nqs_plot_run(r.dir, msg, sizeof msg)) fprintf(stderr, "nqs: note: %s\n", msg);
  printf("nqs: %.1f s; results in %s/result.json, parameters in %s/rbm.json\n", r.wall_seconds, r.dir, r.dir);
  return 0;
}

int nqs_cmd_tomography(int argc, char **argv) {
  nqs_config c;
  nqs_error err = {0};
  nqs_checkpoint none;
  cli_args a;
  int restarted, rc = cli_parse("tomography", "--set --out= --quiet --no-plots", argc, argv, &a);
  if (rc || (rc = cli_config(&a, cli_input_of(&a), "tomography", 1, &c, &none, &restarted))) return rc;
  const int quiet = cli_flag(&a, "--quiet");
  train_display show = {.quiet = quiet, .last_tenth = -1, .what = "fidelity"};
  nqs_run_options o = {.progress = train_progress, .user = &show};
  nqs_tomo_result r;
  if (nqs_tomography_run(&c, &o, &r, &err)) {
    return failed(&c, &err, r.dir);
  }
  printf("tomography of %d qubits from %ld records in each of %d bases (%s): fidelity to the exact ground state %.6f\n",
         r.n, c.boltzmann.measurements, r.bases, c.boltzmann.bases, r.fidelity);
  printf("nqs: %.1f s; results in %s/result.json, learning curve in %s/tomography.csv\n", r.wall_seconds, r.dir, r.dir);
  return 0;
}

int nqs_cmd_sample_rbm(int argc, char **argv) {
  long samples = 10000, chains = 100, burn = 1000, seed = 1, L = 0;
  double T = NAN;
  cli_args a;
  int rc = cli_parse("sample-rbm", "--samples= --chains= --burn= --seed= --temperature= --out=", argc, argv, &a);
  if (rc || (rc = cli_long(&a, "--samples", 1, 100000000, &samples)) || (rc = cli_long(&a, "--chains", 1, 1000000, &chains)) ||
      (rc = cli_long(&a, "--burn", 0, 100000000, &burn)) || (rc = cli_long(&a, "--seed", 0, 2147483647, &seed)) ||
      (rc = cli_double(&a, "--temperature", 1e-6, 1e6, &T)))
    return rc;
  const char *dir = a.positional, *out = cli_get(&a, "--out");
  if (!dir || !out) return fail("usage: nqs sample-rbm DIR --out FILE.csv [--samples N] [--chains C] [--burn B] [--temperature T]");
  nqs_error err = {0};
  int nv, nh;
  double *params, sigma;
  if (nqs_bm_read_json(dir, &nv, &nh, &sigma, &params, &err)) return fail(err.msg);
  const long per = (samples + chains - 1) / chains;
  double *rows = malloc(sizeof(double) * (size_t)per * chains * nv);
  rc = 0;
  if (!rows) rc = fail("out of memory for the samples");
  else if (nqs_bm_sample(nv, nh, sigma, params, NULL, 0, (int)chains, per, (int)burn, (uint64_t)seed, rows, &err) ||
           nqs_dataset_write(out, rows, per * chains, nv, sigma == 0, &err))
    rc = fail(err.msg);
  else {
    printf("nqs: %ld samples of the RBM in %s (%ld chains from random starts, %ld burn-in sweeps) in %s\n", per * chains, dir,
           chains, burn, out);
    L = (long)lround(sqrt((double)nv));
    if (sigma == 0 && L * L == nv && isfinite(T)) {
      double o[8];
      nqs_ising_observables((int)L, T, rows, per * chains, o);
      print_observables("RBM samples", o);
    }
  }
  free(rows);
  free(params);
  return rc;
}

static void regress_progress(void *user, const nqs_progress *p) {
  const train_display *d = user;
  if (d->quiet) return;
  fprintf(stderr, "  %s %d/%d  %.1f s\n", p->iteration == 1 ? "cross-validation" : p->iteration == 2 ? "final fit" : "degree",
          p->iteration <= 2 ? p->iteration : p->iteration - 2, p->iteration <= 2 ? 2 : p->iterations - 2, p->elapsed);
}

int nqs_cmd_regress(int argc, char **argv) {
  nqs_config c;
  nqs_error err = {0};
  nqs_checkpoint none;
  cli_args a;
  int restarted, rc = cli_parse("regress", "--set --out= --quiet --no-plots", argc, argv, &a);
  if (rc || (rc = cli_config(&a, cli_input_of(&a), "regress", 0, &c, &none, &restarted))) return rc;
  const int quiet = cli_flag(&a, "--quiet"), plots = !cli_flag(&a, "--no-plots");
  train_display show = {.quiet = quiet, .last_tenth = -1};
  nqs_run_options o = {.progress = regress_progress, .user = &show};
  nqs_regress_result r;
  if (nqs_regress_run(&c, &o, &r, &err)) {
    return failed(&c, &err, r.dir);
  }
  if (strcmp(c.regress.model, "pmm") == 0)
    printf("pmm, %dx%d matrix of %d inputs, %d eigenvector%s (%d parameters), %ld training and %ld test rows", c.regress.pmm_size,
           c.regress.pmm_size, r.inputs, c.regress.pmm_eigenvectors, c.regress.pmm_eigenvectors > 1 ? "s" : "", r.features,
           r.train_rows, r.test_rows);
  else
    printf("%s, degree %d (%d features of %d inputs), %ld training and %ld test rows", c.regress.model, r.degree, r.features,
           r.inputs, r.train_rows, r.test_rows);
  if (strcmp(c.regress.model, "ols") && strcmp(c.regress.model, "pmm")) printf(", lambda = %.4g", r.lambda);
  printf("\n  train MSE = %.6g  R2 = %.6f\n", r.train_mse, r.train_r2);
  if (r.test_rows) printf("  test  MSE = %.6g  R2 = %.6f\n", r.test_mse, r.test_r2);
  printf("  %d-fold cross-validated MSE = %.6g ± %.2g\n", c.regress.folds, r.cv_mse, r.cv_error);
  char msg[512];
  if (plots && nqs_have_gnuplot() && nqs_plot_run(r.dir, msg, sizeof msg)) fprintf(stderr, "nqs: note: %s\n", msg);
  printf("nqs: %.2f s; results in %s/result.json, coefficients in %s/coefficients.csv\n", r.wall_seconds, r.dir, r.dir);
  return 0;
}

static void classify_progress(void *user, const nqs_progress *p) {
  const train_display *d = user;
  if (!d->quiet) fprintf(stderr, "  epoch %d/%d  validation accuracy %.4f  %.1f s\n", p->iteration, p->iterations, p->energy, p->elapsed);
}

int nqs_cmd_classify(int argc, char **argv) {
  nqs_config c;
  nqs_error err = {0};
  nqs_checkpoint ck;
  cli_args a;
  int restarted, rc = cli_parse("classify", "--set --out= --restart= --quiet --no-plots", argc, argv, &a);
  if (rc || (rc = cli_config(&a, cli_input_of(&a), "classify", 1, &c, &ck, &restarted))) return rc;
  const int quiet = cli_flag(&a, "--quiet"), plots = !cli_flag(&a, "--no-plots");
  train_display show = {.quiet = quiet, .last_tenth = -1};
  nqs_run_options o = {.progress = classify_progress, .user = &show, .restart = restarted ? &ck : NULL};
  nqs_classify_result r;
  const nqs_status st = nqs_classify_run(&c, &o, &r, &err);
  nqs_checkpoint_free(&ck);
  if (st) return failed(&c, &err, r.dir);
  printf("%s\n  %d epochs (best %d), %ld training, %ld validation and %ld test rows, %.2f s per epoch\n", r.network, r.epochs,
         r.best_epoch, r.train_rows, r.validation_rows, r.test_rows, r.seconds_per_epoch);
  printf("  test accuracy %.4f, test loss %.4f\n", r.test_accuracy, r.test_loss);
  if (r.has_crossing) printf("  P(class 1) crosses 1/2 at T = %.4f ± %.4f (Onsager: %.6f)\n", r.crossing, r.crossing_error, NQS_ISING_TC);
  char msg[512];
  if (plots && nqs_have_gnuplot() && nqs_plot_run(r.dir, msg, sizeof msg)) fprintf(stderr, "nqs: note: %s\n", msg);
  printf("nqs: %.1f s; results in %s/result.json\n", r.wall_seconds, r.dir);
  return 0;
}

static void gan_progress(void *user, const nqs_progress *p) {
  train_display *d = user;
  const int tenth = (int)(p->fraction * 10 + 1e-9);
  if (d->quiet || (tenth == d->last_tenth && p->fraction < 1)) return;
  d->last_tenth = tenth;
  fprintf(stderr, "  epoch %d/%d  D(generated) = %.3f  %.1f s\n", p->iteration, p->iterations, p->energy, p->elapsed);
}

int nqs_cmd_gan(int argc, char **argv) {
  nqs_config c;
  nqs_error err = {0};
  nqs_checkpoint ck;
  cli_args a;
  int restarted, rc = cli_parse("gan", "--set --out= --restart= --quiet --no-plots", argc, argv, &a);
  if (rc || (rc = cli_config(&a, cli_input_of(&a), "gan", 1, &c, &ck, &restarted))) return rc;
  const int quiet = cli_flag(&a, "--quiet"), plots = !cli_flag(&a, "--no-plots");
  train_display show = {.quiet = quiet, .last_tenth = -1};
  nqs_run_options o = {.progress = gan_progress, .user = &show, .restart = restarted ? &ck : NULL};
  nqs_gan_result r;
  const nqs_status st = nqs_gan_run(&c, &o, &r, &err);
  nqs_checkpoint_free(&ck);
  if (st) return failed(&c, &err, r.dir);
  printf("GAN on %ld configurations of %d particles: generator %d, discriminator %d parameters, %d epochs\n", r.rows,
         r.particles, r.gen_params, r.disc_params, r.epochs);
  printf("  <r^2> per particle: data %.4f ± %.4f, generated %.4f ± %.4f\n", r.r2_data, r.r2_data_error, r.r2_gan, r.r2_gan_error);
  printf("  L1 distance of the one-body density %.4f, of the pair density %.4f (between the data's two halves: %.4f, %.4f)\n",
         r.l1_onebody, r.l1_pair, r.l1_onebody_floor, r.l1_pair_floor);
  char msg[512];
  if (plots && nqs_have_gnuplot() && nqs_plot_run(r.dir, msg, sizeof msg)) fprintf(stderr, "nqs: note: %s\n", msg);
  printf("nqs: %.1f s; results in %s/result.json\n", r.wall_seconds, r.dir);
  return 0;
}
