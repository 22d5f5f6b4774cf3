/* nqs — command-line front end of libnqs.
 *
 *   nqs run [FILE] [--set section.key=value ...] [--out DIR] [--quiet]
 *
 * Exit codes: 0 success, 2 bad input, 1 runtime failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <omp.h>
#ifdef NQS_HAVE_MPI
#include <mpi.h>
#endif
#include "nqs/nqs.h"
#include "args.h"
#include "plot.h"
#include "sweep.h"
#include "learn.h"
#include "analyze.h"

static void usage(FILE *out);

static void format_seconds(char *buf, size_t size, double s) {
  if (!(s >= 0) || s > 1e8) snprintf(buf, size, "?");
  else if (s < 60) snprintf(buf, size, "%.0f s", s);
  else if (s < 3600) snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)s % 60);
  else snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
}

/* A terminal gets one line redrawn in place: a bar, iteration, E +- err,
 * acceptance, elapsed and ETA. Anything else (a file, a pipe) gets a plain line
 * at every tenth of the phase. */
static void on_progress(void *user, const nqs_progress *p) {
  progress_state *s = user;
  if (s->quiet) return;
  const int opt = strcmp(p->phase, "optimize") == 0;
  const int done = p->fraction >= 1.0 - 1e-12 && p->has_energy; /* the phase's last call */
  char ve[128] = "", el[32], eta[32], count[48] = "";
  if (p->has_energy) {
    char v[64], vu[80];
    nqs_format_value_error(v, sizeof v, p->energy, p->error);
    snprintf(vu, sizeof vu, "%s%s%s", v, p->unit ? " " : "", p->unit ? p->unit : "");
    snprintf(ve, sizeof ve, "  E = %-26s acc = %.2f", vu, p->acceptance);
  }
  if (opt) snprintf(count, sizeof count, "%*d/%d", (int)log10(p->iterations) + 1, p->iteration, p->iterations);
  else snprintf(count, sizeof count, "%3.0f %%", 100 * p->fraction);
  format_seconds(el, sizeof el, p->elapsed);
  format_seconds(eta, sizeof eta, p->fraction > 0 ? p->elapsed * (1 - p->fraction) / p->fraction : -1);
  if (s->tty) {
    enum { WIDTH = 24 };
    char bar[WIDTH + 1];
    const int fill = (int)(p->fraction * WIDTH + 0.5);
    for (int k = 0; k < WIDTH; k++) bar[k] = k < fill ? '#' : '-';
    bar[WIDTH] = 0;
    fprintf(stderr, "\r\033[K  %-8s [%s] %s%s  %s  ETA %s", p->phase, bar, count, ve, el, done ? "0 s" : eta);
    if (done) fputc('\n', stderr);
    fflush(stderr);
    return;
  }
  const int tenth = (int)(p->fraction * 10 + 1e-9);
  if (!done && (tenth == s->last_tenth || tenth == 10 || (!opt && p->elapsed < 2))) return; /* quiet short evaluations */
  s->last_tenth = done ? -1 : tenth;
  fprintf(stderr, "  %s %s%s  %s%s%s\n", p->phase, count, ve, el, done ? "" : "  ETA ", done ? "" : eta);
}

/* The one-line summary of a finished run, and its plots. */
static void report_run(const nqs_run_result *r, const char *unit, int quiet, int plots) {
  char ve[96], ref[160] = "";
  nqs_format_value_error(ve, sizeof ve, r->energy.mean, r->energy.error);
  if (r->has_reference)
    snprintf(ref, sizeof ref, "  (%.*s %.10g)", (int)strcspn(r->reference_source, " "), r->reference_source,
             r->reference); /* the method: the source's first word (exact, DMC, GFMC, ...) */
  printf("E = %s %s  σ² = %.2e  acc = %.2f%s\n", ve, unit ? unit : "", r->energy.variance, r->acceptance, ref);
  if (!quiet) fprintf(stderr, "nqs: %ld samples in %.2f s; results in %s/result.json\n", r->samples, r->wall_seconds, r->out);
  if (!plots) return;
  char msg[800];
  if (!nqs_have_gnuplot()) {
    if (!quiet) fprintf(stderr, "nqs: gnuplot not found: no plots (install gnuplot-nox, then nqs plot %s)\n", r->out);
  } else if (nqs_plot_run(r->out, msg, sizeof msg)) {
    fprintf(stderr, "nqs: warning: %s\n", msg); /* the run itself succeeded */
  } else if (!quiet) {
    fprintf(stderr, "nqs: plots in %s/*.png\n", r->out);
  }
}

/* The findings of the health check other than the one the error names. */
static void report_verdict(const nqs_verdict *v) {
  for (int k = 0; k < v->count; k++)
    if (v->finding[k].level == NQS_VERDICT_WARNING) fprintf(stderr, "nqs: warning: %s\n", v->finding[k].text);
}

/* nqs run [FILE] / nqs evaluate DIR (a restart that only evaluates). */
static int cmd_run(int argc, char **argv, int evaluate, const nqs_comm *comm) {
  const int root = nqs_comm_rank(comm) == 0;
  cli_args a;
  int rc = cli_parse(evaluate ? "evaluate" : "run", evaluate ? "--set --quiet --no-plots" : "--set --out= --restart= --quiet --no-plots", argc,
                     argv, &a);
  if (rc) return rc;
  if (evaluate && !a.positional) {
    fprintf(stderr, "nqs: error: nqs evaluate needs a run folder (see nqs evaluate --help)\n");
    return 2;
  }
  /* evaluate: the folder is the restart, not an input file */
  const cli_input in = evaluate ? (cli_input){.restart = a.positional} : cli_input_of(&a);
  progress_state ps = {cli_flag(&a, "--quiet") || !root, isatty(STDERR_FILENO), -1};
  const int plots = !cli_flag(&a, "--no-plots") && root;
  nqs_config c;
  nqs_checkpoint ck;
  int restarted;
  if ((rc = cli_config(&a, in, "vmc", 0, &c, &ck, &restarted))) return rc;
  if (!in.file && !restarted && !ps.quiet) {
    if (strcmp(c.system.type, "continuum") == 0)
      fprintf(stderr, "nqs: no input file: running the built-in demo (2D quantum dot, N = %d, omega = %g)\n", c.system.particles,
              c.system.omega);
    else fprintf(stderr, "nqs: no input file: [system] type = %s with defaults and --set values\n", c.system.type);
  }
  nqs_run_result r;
  nqs_error err = {0};
  nqs_run_options ro = {.restart = restarted ? &ck : NULL, .evaluate_only = evaluate, .progress = on_progress, .user = &ps,
                        .comm = comm};
  nqs_status st = nqs_run(&c, &ro, &r, &err);
  nqs_checkpoint_free(&ck);
  if (st == NQS_EFAILED && r.samples > 0 && root) { /* evaluated, but not to be trusted: show it, then say why */
    report_run(&r, r.energy_unit, 1, 0);
    report_verdict(&r.verdict);
  }
  if (st) {
    nqs_config_locate(&c, &err);
    if (root || !strstr(err.msg, "another MPI rank")) fprintf(stderr, "nqs: error: %s\n", err.msg);
    if (r.dir[0] && root && st != NQS_EINPUT) fprintf(stderr, "nqs: the run folder %s keeps everything written so far\n", r.dir);
    nqs_run_result_free(&r);
    return cli_exit_code(st);
  }
  if (root) {
    report_run(&r, r.energy_unit, ps.quiet, plots);
    report_verdict(&r.verdict);
  }
  nqs_run_result_free(&r);
  return 0;
}

/* Write <sz_i sz_j> of the ground state as correlations.csv does for VMC: C(dx, dy) averaged
 * over the sites of a chain or square, or every pair i < j of an edge list. */
static int write_exact_correlations(const char *path, const nqs_spin_system *s, const double *c) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  const int n = s->nsites, L = s->L;
  if (s->dim == 0) {
    fprintf(f, "i,j,C\n");
    for (int i = 0; i < n; i++)
      for (int j = i + 1; j < n; j++) fprintf(f, "%d,%d,%.12g\n", i, j, c[(size_t)i * n + j]);
  } else {
    fprintf(f, "dx,dy,C\n");
    const int ny = s->dim == 2 ? L : 1;
    for (int dy = 0; dy < ny; dy++)
      for (int dx = 0; dx < L; dx++) {
        double sum = 0;
        for (int y = 0; y < ny; y++)
          for (int x = 0; x < L; x++) sum += c[(size_t)(y * L + x) * n + ((y + dy) % ny) * L + (x + dx) % L];
        fprintf(f, "%d,%d,%.12g\n", dx, dy, sum / n);
      }
  }
  return fclose(f);
}

/* The deuteron of [nucleus] by its radial equation (nqs/nuclei/nucleus.h): the oracle for VMC. */
static int exact_deuteron(const nqs_config *c) {
  nqs_error err = {0};
  if (c->nucleus.nucleons != 2 || c->nucleus.protons != 1) {
    fprintf(stderr, "nqs: error: [nucleus] nqs exact solves A = 2 (the deuteron: nucleons = 2, protons = 1); this input has "
                    "nucleons = %d, protons = %d\n", c->nucleus.nucleons, c->nucleus.protons);
    return 2;
  }
  nqs_lec lec;
  if (strcmp(c->nucleus.cutoff, "custom") == 0) lec = (nqs_lec){c->nucleus.lambda, c->nucleus.C1, c->nucleus.C2, c->nucleus.D0};
  else nqs_lec_lookup(atoi(c->nucleus.cutoff), &lec);
  double e[3], r2;
  const double h = NQS_DEUTERON_STEP, r_max = NQS_DEUTERON_RANGE;
  if (nqs_deuteron_exact(&lec, h, r_max, e, &r2, &err)) return cli_error(c, &err);
  if (!(e[0] < 0)) {
    printf("no bound deuteron: the lowest state of the box (%g fm) lies at %+.6f MeV\n", r_max, e[0]);
    return 0;
  }
  printf("E(2H) = %.6f MeV  (Lambda = %g fm^-1, C1 + C2 = %.4f MeV; radial equation on r <= %g fm, step %g and %g fm: "
         "%.6f, %.6f, Richardson-extrapolated)\n", e[0], lec.lambda, lec.c1 + lec.c2, r_max, h, h / 2, e[2], e[1]);
  printf("point-nucleon radius = %.4f fm\n", sqrt(r2));
  return 0;
}

/* nqs exact FILE [--set ...] [--correlations FILE.csv]: exact ground state of a lattice spin model. */
static int cmd_exact(int argc, char **argv) {
  cli_args a;
  nqs_config c;
  nqs_checkpoint none;
  int rc = cli_parse("exact", "--set --correlations=", argc, argv, &a), restarted;
  if (rc || (rc = cli_config(&a, cli_input_of(&a), "exact", 1, &c, &none, &restarted))) return rc;
  const char *corr = cli_get(&a, "--correlations");
  nqs_error err = {0};
  if (strcmp(c.system.type, "nucleus") == 0) {
    if (corr) {
      fprintf(stderr, "nqs: error: --correlations is for lattice models; the deuteron has none\n");
      return 2;
    }
    return exact_deuteron(&c);
  }
  if (strcmp(c.system.type, "lattice") != 0) {
    fprintf(stderr, "nqs: error: nqs exact solves lattice spin models ([system] type = lattice) and the deuteron "
                    "([system] type = nucleus, nucleons = 2, protons = 1)\n");
    return 2;
  }
  nqs_spin_system s;
  double e0;
  if (nqs_config_spin_system(&c, &s, &err)) goto fail;
  const int n = s.nsites;
  double *psi = corr && n <= NQS_EXACT_MAX_SITES ? malloc(sizeof(double) * ((size_t)1 << n)) : NULL;
  double *cc = psi ? malloc(sizeof(double) * (size_t)n * n) : NULL;
  nqs_status st = corr && (!psi || !cc) && n <= NQS_EXACT_MAX_SITES
                      ? nqs_error_set(&err, NQS_ENOMEM, "out of memory for the ground state of %d sites", n)
                      : nqs_exact_ground_state(&s, &e0, psi, &err);
  if (!st && corr) {
    nqs_exact_correlations(&s, psi, cc);
    if (write_exact_correlations(corr, &s, cc)) st = nqs_error_set(&err, NQS_EIO, "cannot write %s", corr);
  }
  nqs_spin_system_free(&s);
  free(psi);
  free(cc);
  if (st) goto fail;
  const int edges = strcmp(c.lattice.graph, "edges") == 0;
  printf("E0 = %.12f  (%d sites, %s %s, %s; E0/N = %.12f)\n", e0, n, edges ? "edge list" : c.lattice.boundary,
         edges ? c.lattice.edges : c.lattice.graph, c.lattice.model, e0 / n);
  if (strcmp(c.lattice.model, "tfim") == 0 && strcmp(c.lattice.graph, "chain") == 0 && c.lattice.J2 == 0 &&
      strcmp(c.lattice.boundary, "periodic") == 0 && c.lattice.J == 1.0 && n % 2 == 0)
    printf("free fermions: %.12f\n", nqs_tfim_chain_exact(n, c.lattice.h));
  if (corr) printf("ground-state <sz sz> correlations in %s (a degenerate ground state gives one vector of the multiplet)\n", corr);
  return 0;
fail:
  return cli_error(&c, &err);
}

/* Under mpirun (Open MPI or a PMI launcher sets these), initialise MPI; else run alone. */
static int launched_by_mpirun(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

/* The command table: every command has a synopsis, a help text and `nqs CMD --help`. */
static int run_cmd(int argc, char **argv, const nqs_comm *comm) { return cmd_run(argc, argv, 0, comm); }
static int evaluate_cmd(int argc, char **argv, const nqs_comm *comm) { return cmd_run(argc, argv, 1, comm); }
static int sweep_cmd(int argc, char **argv, const nqs_comm *comm) { return nqs_cmd_sweep(argc, argv, on_progress); }
static int exact_cmd(int argc, char **argv, const nqs_comm *comm) { return cmd_exact(argc, argv); }
static int sample_ising_cmd(int argc, char **argv, const nqs_comm *comm) { return nqs_cmd_sample_ising(argc, argv); }
static int train_rbm_cmd(int argc, char **argv, const nqs_comm *comm) { return nqs_cmd_train_rbm(argc, argv); }
static int sample_rbm_cmd(int argc, char **argv, const nqs_comm *comm) { return nqs_cmd_sample_rbm(argc, argv); }
static int tomography_cmd(int argc, char **argv, const nqs_comm *comm) { return nqs_cmd_tomography(argc, argv); }
static int regress_cmd(int argc, char **argv, const nqs_comm *comm) { return nqs_cmd_regress(argc, argv); }
static int classify_cmd(int argc, char **argv, const nqs_comm *comm) { return nqs_cmd_classify(argc, argv); }
static int gan_cmd(int argc, char **argv, const nqs_comm *comm) { return nqs_cmd_gan(argc, argv); }
static int analyze_cmd(int argc, char **argv, const nqs_comm *comm) { return nqs_cmd_analyze(argc, argv); }
static int plot_cmd(int argc, char **argv, const nqs_comm *comm) {
  char msg[800];
  if (argc != 1) {
    fprintf(stderr, "nqs: error: nqs plot needs one run folder (nqs plot DIR)\n");
    return 2;
  }
  if (nqs_plot_run(argv[0], msg, sizeof msg)) {
    fprintf(stderr, "nqs: error: %s\n", msg);
    return 1;
  }
  fprintf(stderr, "nqs: plots in %s/*.png\n", argv[0]);
  return 0;
}

typedef struct {
  const char *name, *synopsis, *help;
  int (*run)(int argc, char **argv, const nqs_comm *comm);
  int mpi;  /* runs under mpirun (ranks share the walkers) */
  int keys; /* its help lists the input keys */
} command;

static const command commands[] = {
    {"run", "nqs run [FILE] [--set section.key=value ...] [--out DIR] [--restart DIR] [--quiet] [--no-plots]",
     "optimise a wave function and evaluate it (no FILE: the built-in demo, 2D dot N = 2, exact E = 3); --restart DIR "
     "continues a run from its checkpoint", run_cmd, 1, 1},
    {"evaluate", "nqs evaluate DIR [--set evaluation.samples=N]", "re-sample the trained state in DIR; writes DIR/evaluate/ (result.json, trace.csv, densities, plots)",
     evaluate_cmd, 1, 1},
    {"sweep", "nqs sweep FILE --param section.key=LIST [--set ...] [--out DIR] [--quiet]",
     "one run per value (1.0,0.5,0.28 or FROM:TO:COUNT), each warm-started from the previous one; summary.csv, summary.json, "
     "sweep.png", sweep_cmd, 0, 0},
    {"analyze", "nqs analyze DIR|TRACE.csv ... [--column NAME] [--no-equilibration] [--csv FILE] [--json FILE] [--plot FILE.png] [--quiet]",
     "re-analyse the stored local-energy trace (trace.csv) of run folders: equilibration detected and cut, blocking "
     "error with its curve, Sokal's integrated autocorrelation time, and a table of E ± error, σ², τ, acceptance and "
     "the error against the reference", analyze_cmd, 0, 0},
    {"plot", "nqs plot DIR", "(re)make the PNG figures of a run folder (needs gnuplot)", plot_cmd, 0, 0},
    {"exact", "nqs exact FILE [--set ...] [--correlations FILE.csv]",
     "exact ground-state energy (and <sz sz> correlations) of a lattice spin model by Lanczos (ARPACK), up to 26 sites; "
     "of the deuteron ([system] type = nucleus, nucleons = 2) by its radial equation", exact_cmd,
     0, 0},
    {"sample-ising", "nqs sample-ising --temperature T | --temperatures FROM:TO:COUNT --out FILE.csv|FILE.h5 [--length L] "
     "[--samples N] [--between K] [--thermalization K] [--seed S] [--algorithm wolff|metropolis]",
     "configurations of the 2D Ising model (Wolff clusters or Metropolis) as a data set; with --temperatures, N at each "
     "temperature (K sweeps apart, default 2) with the columns T and ordered = (T < T_c), for nqs classify",
     sample_ising_cmd, 0, 0},
    {"train-rbm", "nqs train-rbm FILE [--set ...] [--out DIR] [--restart DIR] [--quiet] [--no-plots]",
     "fit a restricted Boltzmann machine to data ([boltzmann] keys)", train_rbm_cmd, 0, 0},
    {"sample-rbm", "nqs sample-rbm DIR --out FILE [--samples N] [--chains C] [--burn B] [--seed S] [--temperature T]", "draw samples from a trained RBM",
     sample_rbm_cmd, 0, 0},
    {"tomography", "nqs tomography FILE [--set ...] [--out DIR] [--quiet]",
     "learn an RBM wave function from Z/X measurement records of a small lattice ground state", tomography_cmd, 0, 0},
    {"regress", "nqs regress [FILE] [--set regress.key=value ...] [--out DIR] [--quiet] [--no-plots]",
     "OLS, ridge or lasso on polynomial features of data columns, or a parametric matrix model (no FILE: the noisy "
     "Franke function), with the penalty cross-validated, standard errors, and bias and variance against the degree "
     "([regress] keys)",
     regress_cmd, 0, 0},
    {"classify", "nqs classify FILE [--set classify.key=value ...] [--out DIR] [--restart DIR] [--quiet] [--no-plots]",
     "train a dense or convolutional network on labelled samples (e.g. Ising configurations from nqs sample-ising "
     "--temperatures), with early stopping; test accuracy and the mean output against T with its 1/2 crossing "
     "([classify] keys); --restart DIR continues from its checkpoint (more epochs: --set classify.epochs=N)", classify_cmd, 0, 0},
    {"gan", "nqs gan FILE [--set gan.key=value ...] [--out DIR] [--restart DIR] [--quiet] [--no-plots]",
     "train a generative adversarial network on particle configurations (samples.csv of nqs run with "
     "evaluation.dump_samples) and compare its one-body and pair densities and <r^2> with the data ([gan] keys); "
     "--restart DIR continues from its checkpoint",
     gan_cmd, 0, 0},
};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void command_help(const command *c, FILE *out) {
  fprintf(out, "usage: %s\n\n%s.\n", c->synopsis, c->help);
  if (c->keys) {
    fprintf(out, "\ninput keys (INI file; `seed` may also stand before the first section):\n");
    nqs_config_help(out);
  }
  fprintf(out, "\n--set section.key=value may stand anywhere and repeat; later ones win.\n"
               "exit codes: 0 success, 2 bad input, 3 a result that failed its health check, 1 any other failure\n");
}

static int dispatch(int argc, char **argv, const nqs_comm *comm) {
  if (argc < 2) return cmd_run(0, argv + 1, 0, comm); /* no command: the demo, as `nqs run` */
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("nqs %s%s\n", NQS_VERSION, nqs_comm_have_mpi() ? " (with MPI)" : "");
    return 0;
  }
  for (int k = 0; k < NCOMMANDS; k++) {
    const command *c = &commands[k];
    if (strcmp(argv[1], c->name) != 0) continue;
    for (int i = 2; i < argc; i++)
      if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
        if (nqs_comm_rank(comm) == 0) command_help(c, stdout);
        return 0;
      }
    if (!c->mpi && nqs_comm_size(comm) > 1) {
      if (nqs_comm_rank(comm) == 0) fprintf(stderr, "nqs: error: nqs %s runs as one process: start it without mpirun\n", c->name);
      return 2;
    }
    return c->run(argc - 2, argv + 2, comm);
  }
  fprintf(stderr, "nqs: error: unknown command '%s'; commands:", argv[1]);
  for (int k = 0; k < NCOMMANDS; k++) fprintf(stderr, " %s", commands[k].name);
  fprintf(stderr, " (see nqs --help)\n");
  return 2;
}

static void usage(FILE *out) {
  fprintf(out, "nqs %s — variational Monte Carlo with neural-network quantum states\n\ncommands (nqs CMD --help for each):\n",
          NQS_VERSION);
  for (int k = 0; k < NCOMMANDS; k++) fprintf(out, "  %-13s %s\n", commands[k].name, commands[k].help);
  fprintf(out, "\n  nqs help | --help  this text;  nqs --version\n\nusage:\n");
  for (int k = 0; k < NCOMMANDS; k++) fprintf(out, "  %s\n", commands[k].synopsis);
  fprintf(out, "\nexit codes: 0 success, 2 bad input, 3 a result that failed its health check, 1 any other failure\n");
}

int main(int argc, char **argv) {
  nqs_comm *comm = NULL;
#ifdef NQS_HAVE_MPI
  const int mpi = launched_by_mpirun();
  if (mpi) {
    nqs_error err = {0};
    MPI_Init(&argc, &argv);
    comm = nqs_comm_world(&err);
    /* ranks share the cores: one thread each unless OMP_NUM_THREADS or [run] threads says otherwise */
    if (nqs_comm_size(comm) > 1 && !getenv("OMP_NUM_THREADS")) omp_set_num_threads(1);
  }
#else
  if (launched_by_mpirun()) fprintf(stderr, "nqs: warning: started by mpirun, but this nqs was built without MPI: every rank runs alone\n");
#endif
  int rc = dispatch(argc, argv, comm);
  nqs_comm_free(comm);
#ifdef NQS_HAVE_MPI
  if (mpi) MPI_Finalize();
#endif
  return rc;
}
