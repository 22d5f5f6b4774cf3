/* nqs-bench — what sampling 2D quantum dots costs, and how it scales.
 *
 *   make bench        (or: build/nqs-bench [--json FILE] [--quick] [--ansatz "slater, ffnn, pade"])
 *
 * 1. Cost table: for Slater x Pade, Slater x RBM x Pade (H = 2N), Slater x FFNN x
 *    Pade (16-16 tanh) at N = 2 ... 56, backflow x FFNN x Pade at N = 2 ... 30 (with the cost
 *    of an all-particle move + E_L, and the ratio to Slater x FFNN x Pade) and the same with
 *    generalised orbitals ("+ g") at N = 2 ... 20 and a sum of two such determinants ("+ g x2")
 *    at N = 2 ... 12, one walker, one thread, Metropolis, after
 *    thermalisation: one sweep (N one-particle moves), one local energy, one
 *    optimisation sample (sweep + E_L + d ln Psi/d theta); per move = (sweep + E_L)/N;
 *    evaluation samples per second = 1/(sweep + E_L). The reference C++ code's costs
 *    (same kind of machine) are printed beside ours with the ratio.
 * 2. The fitted exponent of the cost per sample (sweep + E_L) in N, N = 6 to 56.
 * 3. Network kernel: the batched pair-network pass with first and second input
 *    derivatives (nqs_mlp_forward_batch) in GFLOP/s for widths 16 ... 128, against
 *    OpenBLAS dgemm measured in the same run (one thread each).
 * 4. Parallel speed-up of nqs_vmc_sample at 1 -> 2 threads, and at 1 -> 2 MPI ranks
 *    (the bench starts `mpirun -np K nqs-bench --ranks-part` when mpirun exists).
 * 7. Light nuclei: one sample (A one-nucleon moves + E_L with the exact spin-isospin sums + O_k and
 *    the force row) for 2H, 3H, 4He.
 * 5. Time to a fixed error bar: evaluation of a fixed trained N = 6 Slater x Pade
 *    state; wall time x error^2 (which folds in the autocorrelation) as the time
 *    to reach an error of 1e-3, for Metropolis and Langevin.
 * 5b. Backflow x FFNN x Pade (eta: 16 tanh): the same time to 1e-3 at N = 6 and 12 for
 *    one-particle Langevin and the all-particle moves, at the state a run starts from (eta = 0;
 *    a random eta of std 0.1 is a poor state at N = 12, E = 70-74, on which every sampler mixes
 *    badly).
 * 6. Lattice spins: time per sample (sweep + E_L + O) and per SR solve of 1000
 *    samples for the TFIM chain at L = 20, 40, 80 and alpha = 1, 2, 4.
 * Costs are minima over repeats (the machine may be shared); JSON has every number. */
#include <cblas.h>
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "nqs/nqs.h"
#ifdef NQS_HAVE_MPI
#include <mpi.h>
#endif

void openblas_set_num_threads(int); /* OpenBLAS extension: one BLAS thread, as the kernels run */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* a JSON number, or null for one that is not finite */
static void put(FILE *f, double x) {
  if (isfinite(x)) fprintf(f, "%.5g", x);
  else fprintf(f, "null");
}

typedef struct {
  const char *ansatz;
  int n;
  double sweep_us, el_us, sample_us, move_us, ref_sweep_us, all_us;
} row;

typedef enum { OP_SWEEP, OP_LOCAL, OP_SAMPLE } op;

typedef struct {
  const nqs_wavefunction *wf;
  nqs_walker *w;
  double step, *work, sink;
  const nqs_sampler_type *smp; /* NULL: one-particle Metropolis */
} ctx;

static void do_op(ctx *c, op o) {
  const int nx = c->wf->sys.n * c->wf->sys.dim;
  if (o != OP_LOCAL) (c->smp ? c->smp : &nqs_sampler_metropolis)->sweep(c->wf, c->w, c->step);
  if (o != OP_SWEEP) c->sink += nqs_wf_local_energy(c->wf, c->w, c->work).e;
  if (o == OP_SAMPLE) nqs_wf_dparams(c->wf, c->w, c->work + nx);
}

/* Seconds per call: the fastest of 5 rounds of `budget`/5 seconds each. */
static double time_op(ctx *c, op o, double budget) {
  double best = INFINITY;
  for (int round = 0; round < 5; round++) {
    long reps = 0;
    double t0 = now(), el;
    do {
      for (int r = 0; r < 4; r++) do_op(c, o);
      reps += 4;
    } while ((el = now() - t0) < budget / 5);
    if (el / reps < best) best = el / reps;
  }
  return best;
}

static nqs_factor_options bench_factors(int n) {
  return (nqs_factor_options){.alpha = 1.0, .beta = 0.5, .pade_cusp = 1, .hidden = 2 * n, .rbm_sigma = sqrt(0.5),
                              .rbm_sqrt = 1, .init_std = 0.01, .seed = 1, .ffnn_hidden = {16, 16}, .ffnn_nhidden = 2,
                              .ffnn_activation = NQS_ACT_TANH, .bf_hidden = {16}, .bf_nhidden = 1};
}

static nqs_wavefunction *dot_eta(int n, const char *ansatz, double omega, double eta_sd) {
  nqs_system sys;
  nqs_error err;
  if (nqs_system_init(&sys, 2, n, NQS_FERMIONS, NQS_INTERACTION_COULOMB, omega, 1.0, &err)) return NULL;
  nqs_factor_options fo = bench_factors(n);
  char list[64]; /* "backflow, ffnn, pade + g": with generalised orbitals (g: 16 tanh); "+ g x2": two determinants */
  snprintf(list, sizeof list, "%s", ansatz);
  char *plus = strstr(list, " + g");
  if (plus) {
    fo.bf_ndet = strstr(plus, " x") ? atoi(strstr(plus, " x") + 2) : 1;
    *plus = 0;
    fo.bfo_hidden[0] = 16;
    fo.bfo_nhidden = 1;
  }
  nqs_wavefunction *wf = nqs_wf_create(&sys, list, &fo, &err);
  if (!wf) fprintf(stderr, "nqs-bench: %s\n", err.msg);
  /* backflow: a random eta (std eta_sd), so that the moves see moving nodes (the cost is the same) */
  nqs_rng rng;
  nqs_rng_seed(&rng, 7, 0);
  for (int k = 0; wf && k < wf->nparams; k++)
    if (strncmp(wf->param_names[k], "backflow.", 9) == 0 && strcmp(wf->param_names[k], "backflow.alpha") != 0)
      wf->params[k] = eta_sd * nqs_rng_normal(&rng);
  return wf;
}

static nqs_wavefunction *dot(int n, const char *ansatz, double omega) { return dot_eta(n, ansatz, omega, 0.1); }

/* least-squares slope of ln y against ln n over rows with n >= 6 */
static double slope(const row *rows, int nrows, const char *ansatz) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int m = 0;
  for (int q = 0; q < nrows; q++) {
    if (strcmp(rows[q].ansatz, ansatz) != 0 || rows[q].n < 6) continue;
    double x = log(rows[q].n), y = log(rows[q].sweep_us + rows[q].el_us);
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
    m++;
  }
  return m > 1 ? (m * sxy - sx * sy) / (m * sxx - sx * sx) : NAN;
}

/* Wall seconds of one nqs_vmc_sample call: N = 12 Slater x Pade (or the given
 * ansatz), 32 walkers, `sweeps` sweeps each, with `threads` threads and comm. */
static double time_sample(const char *ansatz, int threads, const nqs_comm *comm, long sweeps) {
  nqs_wavefunction *wf = dot(12, ansatz, 1.0);
  nqs_error err;
  nqs_vmc_options vo = {.walkers = 32, .seed = 3, .threads = threads, .comm = comm};
  nqs_vmc *v = wf ? nqs_vmc_create_wf(wf, &nqs_sampler_metropolis, &vo, &err) : NULL;
  nqs_vmc_result res;
  double best = INFINITY;
  if (v && nqs_vmc_thermalize(v, 50, 1, &err) == NQS_OK)
    for (int r = 0; r < 3; r++) {
      double t0 = now();
      if (nqs_vmc_sample(v, sweeps, NQS_WANT_GRAD, &res, &err)) break;
      if (now() - t0 < best) best = now() - t0;
    }
  nqs_vmc_free(v);
  nqs_wf_free(wf);
  return best;
}

/* --ranks-part: run under mpirun by the bench itself; rank 0 prints the time. */
static int ranks_part(int argc, char **argv) {
#ifdef NQS_HAVE_MPI
  MPI_Init(&argc, &argv);
  nqs_error err;
  nqs_comm *comm = nqs_comm_world(&err);
  openblas_set_num_threads(1);
  double t = time_sample("slater, pade", 1, comm, 2000);
  if (nqs_comm_rank(comm) == 0) printf("%.9g\n", t);
  nqs_comm_free(comm);
  MPI_Finalize();
  return 0;
#else
  (void)argc;
  (void)argv;
  return 1;
#endif
}

/* Time of the ranks part under `mpirun -np k`, or NAN. */
static double mpirun_time(const char *self, int k) {
#ifdef NQS_HAVE_MPI
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "mpirun %s --oversubscribe -np %d -x OMP_NUM_THREADS=1 '%s' --ranks-part 2>/dev/null",
           getuid() == 0 ? "--allow-run-as-root" : "", k, self);
  FILE *p = popen(cmd, "r");
  double t = NAN;
  if (p) {
    if (fscanf(p, "%lf", &t) != 1) t = NAN;
    pclose(p);
  }
  return t;
#else
  (void)self;
  (void)k;
  return NAN;
#endif
}

static const nqs_sampler_type *const bsmp[3] = {&nqs_sampler_langevin, &nqs_sampler_metropolis_all,
                                                &nqs_sampler_langevin_all};

/* 7: light nuclei (LO pionless EFT, Lambda = 4): one sample = a sweep of A one-nucleon moves, the
 * local energy with the exact spin-isospin sums, and O_k with the force row, one walker, one
 * thread, at the start state with random networks (std 0.2; the cost does not depend on them). */
static void bench_nuclei(double budget, double us[3]) {
  static const int As[3] = {2, 3, 4}, Zs[3] = {1, 1, 2};
  printf("\nlight nuclei: LO pionless EFT, Lambda = 4 fm^-1, networks 16-16 / 16 / 16 tanh, 1 walker, 1 thread\n");
  printf("%4s %8s %8s %12s %10s\n", "A", "states", "params", "sample[us]", "samples/s");
  for (int q = 0; q < 3; q++) {
    nqs_config c;
    nqs_error err;
    nqs_config_defaults(&c);
    char a[48], z[48];
    snprintf(a, sizeof a, "nucleus.nucleons=%d", As[q]);
    snprintf(z, sizeof z, "nucleus.protons=%d", Zs[q]);
    nqs_model *m = NULL;
    if (!nqs_config_set(&c, "system.type=nucleus", &err) && !nqs_config_set(&c, a, &err) && !nqs_config_set(&c, z, &err))
      m = nqs_model_create(&c, &err);
    void *w = m ? m->type->walker_new(m, &err) : NULL;
    if (!w) {
      fprintf(stderr, "nqs-bench: nucleus A = %d: %s\n", As[q], err.msg);
      us[q] = NAN;
      if (m) nqs_model_free(m);
      continue;
    }
    nqs_rng rng;
    nqs_rng_seed(&rng, 3, 0);
    for (int k = 2; k < m->nparams; k++) m->params[k] = 0.2 * nqs_rng_normal(&rng);
    nqs_rng_seed(m->type->walker_rng(w), 1, 0);
    m->type->walker_start(m, w, &err);
    double *o = malloc(sizeof(double) * 2 * m->nparams), e[NQS_MAX_SERIES], ei, sink = 0;
    for (int t = 0; t < 200; t++) m->type->sweep(m, w, 0.5);
    double best = INFINITY;
    for (int round = 0; round < 5; round++) {
      long reps = 0;
      double t0 = now(), el;
      do {
        m->type->sweep(m, w, 0.5);
        m->type->local(m, w, e, &ei, NULL);
        m->type->dlogpsi_force(m, w, o, o + m->nparams);
        sink += e[0];
        reps++;
      } while ((el = now() - t0) < budget / 5);
      if (el / reps < best) best = el / reps;
    }
    us[q] = 1e6 * best;
    if (!isfinite(sink)) fprintf(stderr, "nqs-bench: non-finite nuclear local energy\n");
    printf("%4d %8d %8d %12.2f %10.0f\n", As[q], nqs_nucleus_basis(m)->n, m->nparams, us[q], 1e6 / us[q]);
    free(o);
    m->type->walker_free(m, w);
    nqs_model_free(m);
  }
}

/* 8: learning: one epoch of nqs classify (CNN and FFNN; the mean of 3) on L = 20 Ising data over 26
 * temperatures, 1 and 2 threads, and the same networks, batch and data in PyTorch (bench/torch_ising.py,
 * the fastest of 3 epochs, when Debian's python3-torch is installed), measured in this run.
 * sec[net][threads-1], peer[net][threads-1]. */
static void bench_learning(int quick, double sec[2][2], double peer[2][2]) {
  static const char *nets[2] = {"conv8, relu, pool, dense32, relu", "dense100, sigmoid"}, *names[2] = {"CNN", "FFNN"};
  printf("\nlearning: one epoch of nqs classify on the 20 x 20 Ising data (26 temperatures, batch 64, Adam; training and\n"
         "validation passes), against the same networks in PyTorch (float32) when python3-torch is installed\n");
  for (int a = 0; a < 2; a++)
    for (int t = 0; t < 2; t++) sec[a][t] = peer[a][t] = NAN;
  char dir[] = "/tmp/nqs-bench-learn-XXXXXX", data[64], out[96];
  if (!mkdtemp(dir)) return;
  snprintf(data, sizeof data, "%s/ising20.csv", dir);
  const int L = 20, n = L * L, per = quick ? 100 : 300, nt = 26;
  double *rows = malloc(sizeof(double) * (size_t)per * nt * (n + 2));
  char *header = malloc((size_t)n * 8 + 32);
  nqs_error err;
  for (int k = 0; rows && header && k < nt; k++) {
    nqs_ising m;
    const double T = 1.0 + 0.1 * k;
    if (nqs_ising_init(&m, L, T, 11 + k, &err)) break;
    for (int s = 0; s < 200; s++) nqs_ising_wolff(&m);
    for (int r = 0; r < per; r++) {
      for (long fl = 0; fl < 2 * n;) fl += nqs_ising_wolff(&m);
      double *rw = rows + ((size_t)k * per + r) * (n + 2);
      for (int i = 0; i < n; i++) rw[i] = m.s[i] > 0;
      rw[n] = T, rw[n + 1] = T < NQS_ISING_TC;
    }
    nqs_ising_free(&m);
  }
  header[0] = 0;
  for (int i = 0; i < n; i++) sprintf(header + strlen(header), "s%d,", i);
  strcat(header, "T,ordered");
  const int wrote = rows && header && !nqs_dataset_write_named(data, rows, (long)per * nt, n + 2, 0, header, &err);
  free(rows), free(header);
  long ntr = 0, nva = 0;
  for (int a = 0; wrote && a < 2; a++)
    for (int t = 1; t <= 2; t++) {
      nqs_config c;
      nqs_config_defaults(&c);
      char set[4][160];
      snprintf(set[0], sizeof set[0], "classify.data=%s", data);
      snprintf(set[1], sizeof set[1], "classify.network=%s", nets[a]);
      snprintf(set[2], sizeof set[2], "run.threads=%d", t);
      snprintf(out, sizeof out, "%s/run%d%d", dir, a, t);
      snprintf(set[3], sizeof set[3], "output.dir=%s", out);
      nqs_classify_result r;
      int ok = 1;
      for (int q = 0; q < 4; q++) ok &= nqs_config_set(&c, set[q], &err) == NQS_OK;
      ok &= !nqs_config_set(&c, "classify.epochs=3", &err) && !nqs_config_set(&c, "classify.patience=10", &err);
      if (ok && nqs_classify_run(&c, NULL, &r, &err) == NQS_OK) sec[a][t - 1] = r.seconds_per_epoch, ntr = r.train_rows, nva = r.validation_rows;
      else fprintf(stderr, "nqs-bench: classify: %s\n", err.msg);
    }
  for (int t = 1; wrote && ntr && t <= 2; t++) {
    char cmd[512], line[512];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/bench/torch_ising.py %s %d %ld %ld %d 2>/dev/null", NQS_SOURCE_DIR, data, L,
             ntr, nva, t);
    FILE *p = popen(cmd, "r");
    if (p && fgets(line, sizeof line, p)) {
      const char *cn = strstr(line, "\"cnn\": "), *fn = strstr(line, "\"ffnn\": ");
      if (cn) peer[0][t - 1] = atof(cn + 7);
      if (fn) peer[1][t - 1] = atof(fn + 8);
    }
    if (p) pclose(p);
  }
  printf("%6s %8s %12s %14s %10s\n", "net", "threads", "nqs [s]", "PyTorch [s]", "ratio");
  for (int a = 0; a < 2; a++)
    for (int t = 0; t < 2; t++)
      printf("%6s %8d %12.3f %14.3f %9.2fx\n", names[a], t + 1, sec[a][t], peer[a][t], peer[a][t] / sec[a][t]);
  if (!isfinite(peer[0][0])) printf("(PyTorch not found: apt-get install python3-torch for the peer column)\n");
  char rm[128];
  snprintf(rm, sizeof rm, "rm -rf %s", dir);
  if (system(rm)) fprintf(stderr, "nqs-bench: could not remove %s\n", dir);
}

/* 5b: seconds to an error of 1e-3 for each of bsmp at N = 6 and 12, backflow x FFNN x Pade at eta = 0. */
static void backflow_time_to_error(int quick, double btte[2][3]) {
  printf("\ntime to error 1e-3: backflow x FFNN x Pade at its start (eta = 0), omega = 1, 32 walkers, 2 threads\n");
  for (int q = 0; q < 2; q++)
    for (int s = 0; s < 3; s++) {
      const int N = 6 + 6 * q;
      nqs_wavefunction *wf = dot_eta(N, "backflow, ffnn, pade", 1.0, 0.0);
      nqs_error err;
      nqs_vmc_options vo = {.walkers = 32, .seed = 5, .threads = 2};
      nqs_vmc *v = wf ? nqs_vmc_create_wf(wf, bsmp[s], &vo, &err) : NULL;
      nqs_vmc_result res = {0};
      double t = NAN;
      /* the same number of moves for both kinds: an all-particle sweep is one move */
      const long sw = (quick ? 200 : 1000) * (bsmp[s]->all_particles ? N : 1);
      if (v && nqs_vmc_thermalize(v, 300, 1, &err) == NQS_OK) {
        double t0 = now();
        if (nqs_vmc_sample(v, sw, 0, &res, &err) == NQS_OK) t = now() - t0;
      }
      btte[q][s] = t * (res.energy.error / 1e-3) * (res.energy.error / 1e-3);
      printf("  N = %2d %-15s E = %.4f +- %.4f in %6.2f s (tau_int %6.2f, acc %.2f): %8.1f s to reach 1e-3\n", N,
             bsmp[s]->name, res.energy.mean, res.energy.error, t, res.energy.tau_int, res.acceptance, btte[q][s]);
      nqs_vmc_free(v);
      nqs_wf_free(wf);
    }
}

int main(int argc, char **argv) {
  const char *json = NULL, *only = NULL;
  double budget = 0.25;
  int quick = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--ranks-part") == 0) return ranks_part(argc, argv);
    if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) json = argv[++i];
    else if (strcmp(argv[i], "--quick") == 0) {
      budget = 0.04;
      quick = 1;
    } else if (strcmp(argv[i], "--ansatz") == 0 && i + 1 < argc) only = argv[++i];
    else {
      fprintf(stderr, "usage: nqs-bench [--json FILE] [--quick] [--ansatz \"slater, ffnn, pade\"]\n");
      return 2;
    }
  }
  openblas_set_num_threads(1);
  const double t_start = now();
  const int ns[] = {2, 6, 12, 20, 30, 42, 56};
  const int nn = quick ? 4 : 7;
  const char *ansatz[] = {"slater, pade", "slater, rbm, pade", "slater, ffnn, pade", "backflow, ffnn, pade",
                          "backflow, ffnn, pade + g", "backflow, ffnn, pade + g x2"};
  enum { NANSATZ = 6 };
  /* reference C++ code per sweep [us]: Slater x Pade and RBM x Pade at N = 6, 12, 20 */
  const double ref[2][7] = {{NAN, 15, 77, 239, NAN, NAN, NAN}, {NAN, 26, 142, 401, NAN, NAN, NAN}};
  row rows[NANSATZ * 8];
  int nrows = 0;
  printf("nqs-bench: 2D quantum dots, omega = 1, Metropolis, 1 walker, 1 thread (minimum of 5 rounds)\n");
  for (int a = 0; a < NANSATZ; a++) {
    if (only && strcmp(only, ansatz[a]) != 0) continue;
    const int bf = a >= 3;
    printf("\n%s%s\n", ansatz[a], a == 1 ? " (H = 2N)" : a == 2 ? " (16-16 tanh pair network)" : a == 3 ? " (eta: 16 tanh; all = all-particle move + E_L)" : a == 4 ? " (generalised orbitals, g: 16 tanh)" : a == 5 ? " (a sum of two determinants of generalised orbitals)" : "");
    printf("%4s %11s %10s %11s %10s %12s %11s %8s%s\n", "N", "sweep[us]", "E_L[us]", "sample[us]", "move[us]",
           "samples/s", bf ? "all[us]" : "ref sweep", "ratio", bf ? " (sample / Slater x FFNN x Pade sample)" : "");
    for (int q = 0; q < nn + (bf && quick ? 1 : 0); q++) {
      if (bf && ns[q] > (a == 5 ? 12 : a == 4 ? 20 : 30)) break;
      nqs_wavefunction *wf = dot(ns[q], ansatz[a], 1.0);
      nqs_error err;
      nqs_vmc_options vo = {.walkers = 1, .seed = 1, .threads = 1};
      nqs_vmc *v = wf ? nqs_vmc_create_wf(wf, &nqs_sampler_metropolis, &vo, &err) : NULL;
      if (!v || nqs_vmc_thermalize(v, 100, 1, &err)) {
        fprintf(stderr, "nqs-bench: N = %d: %s\n", ns[q], err.msg);
        return 1;
      }
      ctx c = {.wf = wf, .w = nqs_vmc_walker(v, 0), .step = nqs_vmc_step(v)};
      c.work = malloc(sizeof(double) * (size_t)(2 * ns[q] + wf->nparams));
      row r = {.ansatz = ansatz[a], .n = ns[q], .ref_sweep_us = a < 2 ? ref[a][q] : NAN};
      r.sweep_us = 1e6 * time_op(&c, OP_SWEEP, budget);
      r.el_us = 1e6 * time_op(&c, OP_LOCAL, budget);
      r.sample_us = 1e6 * time_op(&c, OP_SAMPLE, budget);
      r.move_us = (r.sweep_us + r.el_us) / ns[q];
      r.all_us = NAN;
      if (bf) {
        c.smp = &nqs_sampler_metropolis_all;
        r.all_us = 1e6 * (time_op(&c, OP_SWEEP, budget / 2) + time_op(&c, OP_LOCAL, budget / 2));
      }
      if (!isfinite(c.sink)) fprintf(stderr, "nqs-bench: non-finite local energy at N = %d\n", ns[q]);
      rows[nrows++] = r;
      const double cost = r.sweep_us + r.el_us;
      double ratio = bf ? NAN : r.ref_sweep_us / cost; /* backflow: against Slater x FFNN x Pade */
      for (int k = 0; bf && k < nrows; k++)
        if (rows[k].n == r.n && strcmp(rows[k].ansatz, "slater, ffnn, pade") == 0) ratio = r.sample_us / rows[k].sample_us;
      printf("%4d %11.3f %10.3f %11.3f %10.4f %12.0f %11.0f %8.1f\n", r.n, r.sweep_us, r.el_us, r.sample_us, r.move_us,
             1e6 / cost, bf ? r.all_us : r.ref_sweep_us, ratio);
      free(c.work);
      nqs_vmc_free(v);
      nqs_wf_free(wf);
    }
    printf("cost per sample (sweep + E_L) grows as N^%.2f from N = 6 to %d\n", slope(rows, nrows, ansatz[a]),
           a == 5 ? 12 : a == 4 ? 20 : bf ? 30 : ns[nn - 1]);
  }
  printf("ratio = reference C++ cost per sweep / nqs cost per sweep + E_L (target >= 5; the reference's RBM\n"
         "row is RBM x Pade without a determinant, ours Slater x RBM x Pade)\n");

  /* 3. network kernel against dgemm */
  const int n = 512;
  double *A = malloc(sizeof(double) * n * n), *B = malloc(sizeof(double) * n * n), *C = malloc(sizeof(double) * n * n);
  for (int i = 0; i < n * n; i++) A[i] = B[i] = 1.0 / (1 + i % 7);
  double tg = INFINITY;
  for (int r = 0; r < 3; r++) {
    double t0 = now();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, A, n, B, n, 0.0, C, n);
    if (now() - t0 < tg) tg = now() - t0;
  }
  const double dgemm_gflops = 2.0 * n * n * n / tg * 1e-9;
  free(A);
  free(B);
  free(C);
  printf("\nnetwork kernel: batched pair pass with d/dr and d2/dr2 (64 pairs), 2 hidden layers, tanh, 1 thread\n");
  printf("OpenBLAS dgemm 512^3, 1 thread: %.2f GFLOP/s\n", dgemm_gflops);
  printf("%6s %12s %10s %10s\n", "width", "us/batch", "GFLOP/s", "of dgemm");
  const int widths[] = {16, 32, 64, 128};
  double kern[4];
  for (int q = 0; q < 4; q++) {
    nqs_mlp m;
    nqs_error err;
    int h[2] = {widths[q], widths[q]};
    nqs_mlp_init(&m, 2, h, 2, NQS_ACT_TANH, &err);
    const int Bt = 64;
    double *th = malloc(sizeof(double) * m.nparams), *X = malloc(sizeof(double) * 2 * Bt), *Y = malloc(sizeof(double) * 3 * Bt);
    double *w = malloc(sizeof(double) * nqs_mlp_batch_work_size(&m, Bt));
    for (int k = 0; k < m.nparams; k++) th[k] = 0.3 * sin(k);
    for (int t = 0; t < Bt; t++) {
      X[t] = 0.2 + 0.05 * t;
      X[Bt + t] = t % 2;
    }
    const double v[2] = {1, 0};
    double best = INFINITY;
    for (int r = 0; r < 5; r++) {
      long reps = 0;
      double t0 = now(), el;
      do {
        nqs_mlp_forward_batch(&m, th, Bt, X, v, Y, Y + Bt, Y + 2 * Bt, w);
        reps++;
      } while ((el = now() - t0) < budget / 5);
      if (el / reps < best) best = el / reps;
    }
    /* multiply-adds: value, first and second derivative through every layer */
    double flops = 0;
    for (int l = 0; l < m.nlayers; l++) flops += 3.0 * 2.0 * m.w[l] * m.w[l + 1] * Bt;
    kern[q] = flops / best * 1e-9;
    printf("%6d %12.2f %10.2f %9.0f %%\n", widths[q], best * 1e6, kern[q], 100 * kern[q] / dgemm_gflops);
    free(th);
    free(X);
    free(Y);
    free(w);
  }

  /* 4. parallel speed-up */
  const long sweeps = quick ? 100 : 2000;
  const double t1 = time_sample("slater, pade", 1, NULL, sweeps), t2 = time_sample("slater, pade", 2, NULL, sweeps);
  const double f1 = time_sample("slater, ffnn, pade", 1, NULL, sweeps / 4), f2 = time_sample("slater, ffnn, pade", 2, NULL, sweeps / 4);
  const double r1 = quick ? NAN : mpirun_time(argv[0], 1), r2 = quick ? NAN : mpirun_time(argv[0], 2);
  printf("\nparallel: N = 12, 32 walkers, %ld sweeps each with gradients\n", sweeps);
  printf("  threads 1 -> 2, Slater x Pade:        %.3f s -> %.3f s  speed-up %.2f\n", t1, t2, t1 / t2);
  printf("  threads 1 -> 2, Slater x FFNN x Pade: %.3f s -> %.3f s  speed-up %.2f (%ld sweeps)\n", f1, f2, f1 / f2, sweeps / 4);
  printf("  MPI ranks 1 -> 2 (1 thread each):     %.3f s -> %.3f s  speed-up %.2f%s\n", r1, r2, r1 / r2,
         isnan(r1) ? "  (mpirun not available, or --quick)" : "");

  /* 5. time to a fixed error bar on a fixed trained state */
  printf("\ntime to error 1e-3: N = 6 omega = 1 Slater x Pade (alpha 0.92233, beta 0.55749, optimised\n"
         "by examples/dot2d_n6.ini), 32 walkers, 2 threads, evaluation without gradients\n");
  const nqs_sampler_type *smp[2] = {&nqs_sampler_metropolis, &nqs_sampler_langevin};
  double tte[2];
  for (int s = 0; s < 2; s++) {
    nqs_wavefunction *wf = dot(6, "slater, pade", 1.0);
    wf->params[0] = 0.92232900509022253;
    wf->params[1] = 0.55748990256052466;
    nqs_error err;
    nqs_vmc_options vo = {.walkers = 32, .seed = 5, .threads = 2};
    nqs_vmc *v = nqs_vmc_create_wf(wf, smp[s], &vo, &err);
    nqs_vmc_result res;
    double t = NAN;
    if (v && nqs_vmc_thermalize(v, 300, 1, &err) == NQS_OK) {
      double t0 = now();
      if (nqs_vmc_sample(v, quick ? 2000 : 10000, 0, &res, &err) == NQS_OK) t = now() - t0;
    }
    tte[s] = t * (res.energy.error / 1e-3) * (res.energy.error / 1e-3);
    printf("  %-10s E = %.5f +- %.5f in %.2f s (tau_int %.2f): %.2f s to reach 1e-3\n", smp[s]->name, res.energy.mean,
           res.energy.error, t, res.energy.tau_int, tte[s]);
    nqs_vmc_free(v);
    nqs_wf_free(wf);
  }
  /* 5b. backflow: one-particle against all-particle moves, per unit of statistical error */
  double btte[2][3];
  backflow_time_to_error(quick, btte);
  /* 7. light nuclei */
  double nuc_us[3];
  bench_nuclei(budget, nuc_us);
  double learn[2][2], learn_peer[2][2];
  bench_learning(quick, learn, learn_peer);
  /* 6. lattice spins: RBM, TFIM h = 1 periodic chain, one chain, one thread */
  printf("\nlattice: periodic TFIM chain, h = 1, RBM with real weights (plain, and translation-symmetric),"
         " 1 chain, 1 thread\n");
  printf("%4s %6s %10s %8s %14s %16s\n", "L", "alpha", "RBM", "params", "sample[us]", "SR step[ms]");
  const int Ls[] = {20, 40, 80}, alphas[] = {1, 2, 4};
  double lat[3][3][2];
  for (int sym = 0; sym < 2; sym++)
  for (int q = 0; q < 3; q++)
    for (int a = 0; a < 3; a++) {
      nqs_spin_system sys;
      nqs_spin_psi r;
      nqs_spin_walker w;
      nqs_error err;
      nqs_spin_system_init(&sys, 1, Ls[q], 1, NQS_MODEL_TFIM, 1.0, 0, 1.0, 1.0, &err);
      if (sym) nqs_spin_rbm_init_translation(&r, &sys, alphas[a], 0, 0.05, 1, &err);
      else nqs_spin_rbm_init(&r, Ls[q], alphas[a] * Ls[q], 0, 0.05, 1, &err);
      nqs_spin_walker_alloc(&r, &w, &err);
      nqs_rng_seed(&w.rng, 1, 0);
      for (int i = 0; i < Ls[q]; i++) w.s[i] = nqs_rng_uniform(&w.rng) < 0.5 ? 1 : -1;
      nqs_spin_walker_init(&r, &w);
      const int nsmp = 1000;
      double *O = malloc(sizeof(double) * (size_t)nsmp * r.nfree), *el = malloc(sizeof(double) * nsmp);
      double *delta = malloc(sizeof(double) * r.nfree);
      double best = INFINITY, sink = 0;
      for (int round = 0; round < 3; round++) { /* one sample = one sweep of L flips + E_L + O */
        double t0 = now();
        for (int k = 0; k < nsmp; k++) {
          nqs_spin_sweep(&sys, &r, &w);
          el[k] = creal(nqs_spin_local_energy(&sys, &r, &w, NULL));
          nqs_spin_dlogpsi(&r, &w, O + (size_t)k * r.nfree);
        }
        if ((now() - t0) / nsmp < best) best = (now() - t0) / nsmp;
      }
      nqs_sr_options so = {.diag_shift = 1e-3};
      nqs_sr_info info;
      double t0 = now();
      if (nqs_sr_solve(O, el, nsmp, r.nfree, &so, delta, &info, &err) == NQS_OK) sink += delta[0];
      const double sr = now() - t0;
      if (!sym) {
        lat[q][a][0] = best * 1e6;
        lat[q][a][1] = sr * 1e3;
      }
      printf("%4d %6d %10s %8d %14.2f %16.2f%s\n", Ls[q], alphas[a], sym ? "symmetric" : "plain", r.nfree, best * 1e6,
             sr * 1e3, info.used_minsr ? "  (MinSR)" : "");
      free(O);
      free(el);
      free(delta);
      nqs_spin_walker_free(&w);
      nqs_spin_psi_free(&r);
      nqs_spin_system_free(&sys);
      if (!isfinite(sink)) fprintf(stderr, "nqs-bench: non-finite SR step\n");
    }
  printf("one SR iteration of 1000 samples costs 1000 x sample + SR step (NetKet 1.0.5, L = 40, alpha = 1: 1.1 s)\n");

  printf("\nbenchmark wall time %.0f s; rerun: make bench (JSON: build/bench.json)\n", now() - t_start);

  if (json) {
    FILE *f = fopen(json, "w");
    if (!f) {
      fprintf(stderr, "nqs-bench: cannot write %s\n", json);
      return 1;
    }
    fprintf(f, "{\"benchmark\": \"2D dots, metropolis, 1 walker, 1 thread\",\n \"scaling_exponent\": {");
    for (int a = 0; a < NANSATZ; a++) {
      fprintf(f, "%s\"%s\": ", a ? ", " : "", ansatz[a]);
      put(f, slope(rows, nrows, ansatz[a]));
    }
    fprintf(f, "},\n \"dgemm_gflops\": ");
    put(f, dgemm_gflops);
    fprintf(f, ", \"kernel_gflops\": {");
    for (int q = 0; q < 4; q++) {
      fprintf(f, "%s\"%d\": ", q ? ", " : "", widths[q]);
      put(f, kern[q]);
    }
    fprintf(f, "},\n \"speedup_threads_slater_pade\": ");
    put(f, t1 / t2);
    fprintf(f, ", \"speedup_threads_ffnn\": ");
    put(f, f1 / f2);
    fprintf(f, ", \"speedup_ranks\": ");
    put(f, r1 / r2);
    fprintf(f, ",\n \"time_to_1e-3_s\": {\"metropolis\": ");
    put(f, tte[0]);
    fprintf(f, ", \"langevin\": ");
    put(f, tte[1]);
    fprintf(f, "},\n \"backflow_time_to_1e-3_s\": [");
    for (int q = 0; q < 2; q++)
      for (int s = 0; s < 3; s++) {
        fprintf(f, "%s{\"N\": %d, \"sampler\": \"%s\", \"seconds\": ", q || s ? ", " : "", 6 + 6 * q, bsmp[s]->name);
        put(f, btte[q][s]);
        fprintf(f, "}");
      }
    fprintf(f, "],\n \"classify_epoch_s\": [");
    for (int a = 0; a < 2; a++)
      for (int t = 0; t < 2; t++) {
        fprintf(f, "%s{\"network\": \"%s\", \"threads\": %d, \"nqs\": ", a || t ? ", " : "", a ? "ffnn" : "cnn", t + 1);
        put(f, learn[a][t]);
        fprintf(f, ", \"pytorch\": ");
        put(f, learn_peer[a][t]);
        fprintf(f, "}");
      }
    fprintf(f, "],\n \"nucleus_sample_us\": {\"2H\": %.5g, \"3H\": %.5g, \"4He\": %.5g},\n \"lattice_tfim\": [", nuc_us[0],
            nuc_us[1], nuc_us[2]);
    for (int q = 0; q < 3; q++)
      for (int a = 0; a < 3; a++)
        fprintf(f, "%s{\"L\": %d, \"alpha\": %d, \"sample_us\": %.5g, \"sr_step_ms\": %.5g}", q || a ? ", " : "", Ls[q],
                alphas[a], lat[q][a][0], lat[q][a][1]);
    fprintf(f, "],\n \"rows\": [\n");
    for (int q = 0; q < nrows; q++) {
      fprintf(f,
              "  {\"ansatz\": \"%s\", \"N\": %d, \"sweep_us\": %.5g, \"local_energy_us\": %.5g, \"sample_us\": %.5g, "
              "\"move_us\": %.5g, \"all_particle_move_and_E_L_us\": ",
              rows[q].ansatz, rows[q].n, rows[q].sweep_us, rows[q].el_us, rows[q].sample_us, rows[q].move_us);
      put(f, rows[q].all_us);
      fprintf(f, "}%s\n", q + 1 < nrows ? "," : "");
    }
    fprintf(f, "]}\n");
    fclose(f);
  }
  return 0;
}
