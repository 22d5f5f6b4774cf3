/* The backflow factor against its limits and symmetries, and the all-particle moves it needs.
 * (Its derivatives are checked by finite differences in test_derivatives.)
 *
 * 1. eta = 0 (a new factor: the network's output layer is zero) is the Slater factor: ln|Psi|,
 *    grad, lap, the sign and every shared O_k agree to 1e-12 (relative above 1), alone and in
 *    products, in 2D and 3D.
 *    Likewise g = 0 (new generalised orbitals) is plain backflow, with a random eta, and a sum of
 *    K determinants with g = 0 is K times one (ln|Psi| + ln K, the rest equal).
 * 2. Antisymmetry with a random eta (and a random g, one or several determinants): exchanging two like-spin particles leaves ln|Psi|, |grad|
 *    and lap unchanged (to 1e-12) and flips the sign; the Slater factor's sign flips too.
 * 3. Detailed balance of the all-particle moves on a backflow state (2D N = 6, random eta):
 *    the all-particle Metropolis and Langevin energies agree with one-particle Langevin within
 *    4 combined error bars, and the variances within 20 %.
 * 3b. On configurations the Markov chain visits (not only random ones), the analytic kinetic
 *    local energy equals a fourth-order finite-difference one (h = 1e-3): mean difference over
 *    300 sampled configurations below 1e-6 of <|T_L|>. The stencil itself is good to about that:
 *    the mean difference was 4.3e-7 at h = 1e-3 and 7.4e-7 at h = 5e-4 (round-off in the second
 *    differences of ln|Psi| ~ 20 grows as 1/h^2), against <|T_L|> ~ 5; an error in the analytic
 *    Laplacian that mattered for an energy at 1e-4 would be 100 times larger.
 * 4. The variational oracle: without interaction the Slater determinant is exact (2D N = 6,
 *    E = 10). Optimised from a random eta (start E = 10.04, sigma^2 = 0.12), backflow must come
 *    back to 10 from above: a local energy or a sampler biased downwards by the moving nodes
 *    would end below 10 with a non-zero variance. The final evaluation must lie above 10 - 3 err
 *    and its variance below 1e-3; no iteration below 10 - 4 err (the lowest of 60 Gaussian
 *    iterations falls below -4 sigma with probability 60 x 3.2e-5 = 0.2 %, below -3 sigma with 8 %). */
#include <math.h>
#include <string.h>
#include "check.h"
#include "helpers.h"

/* Random parameters for the backflow networks: eta ("backflow.W..", "backflow.b..") and, when
 * with_g, the generalised orbitals' g ("backflow.gW..", "backflow.gb.."); each from its own
 * stream, so eta is the same with and without g. */
static void randomise(nqs_wavefunction *wf, double sd, uint64_t seed, int with_g) {
  nqs_rng rng, rg;
  nqs_rng_seed(&rng, seed, 1);
  nqs_rng_seed(&rg, seed, 2);
  for (int k = 0; k < wf->nparams; k++) {
    const char *nm = wf->param_names[k];
    if (strncmp(nm, "backflow.", 9) != 0 || strcmp(nm, "backflow.alpha") == 0) continue;
    if (nm[9] != 'g') wf->params[k] = sd * nqs_rng_normal(&rng);
    else if (with_g) wf->params[k] = sd * nqs_rng_normal(&rg);
  }
}

static void randomise_eta(nqs_wavefunction *wf, double sd, uint64_t seed) { randomise(wf, sd, seed, 1); }

static void draw(const nqs_wavefunction *wf, nqs_rng *rng, double *x) {
  for (int k = 0; k < wf->sys.n * wf->sys.dim; k++) x[k] = nqs_rng_normal(rng) / sqrt(wf->sys.omega);
}

/* ln|Psi|, grad (into g), lap and sign at x; O into o (if not NULL). */
static double eval(const nqs_wavefunction *wf, nqs_walker *w, const double *x, double *g, double *lap, double *sign,
                   double *o) {
  nqs_error err;
  memcpy(w->x, x, sizeof(double) * wf->sys.n * wf->sys.dim);
  if (nqs_wf_walker_init(wf, w, &err)) return NAN;
  nqs_wf_grad_lap(wf, w, g, lap);
  *sign = nqs_wf_sign(wf, w);
  if (o) nqs_wf_dparams(wf, w, o);
  return w->logpsi;
}

/* b against a at five random configurations: worst relative difference of ln|Psi| (b's less
 * shift), grad, lap and of the O_k of every parameter of a whose name does not start with skip
 * (found in b under its name, slater.alpha as backflow.alpha; `shared` counts them against
 * `expected`); whether the signs agree; og, the largest |O_k| of b's parameters named with skip.
 * Frees both. */
typedef struct {
  double worst, og;
  int sign_ok, shared, expected;
} comparison;

static comparison compare(nqs_wavefunction *a, nqs_wavefunction *b, double shift, const char *skip) {
  const int nx = a->sys.n * a->sys.dim;
  const size_t ns = skip ? strlen(skip) : 0;
  nqs_walker wa, wb;
  nqs_error err;
  nqs_walker_alloc(a, &wa, &err);
  nqs_walker_alloc(b, &wb, &err);
  double *x = malloc(sizeof(double) * nx), *ga = malloc(sizeof(double) * nx), *gb = malloc(sizeof(double) * nx);
  double *oa = malloc(sizeof(double) * a->nparams), *ob = malloc(sizeof(double) * b->nparams);
  nqs_rng rng;
  nqs_rng_seed(&rng, 9, 0);
  comparison r = {.sign_ok = 1};
  for (int k = 0; k < a->nparams; k++) r.expected += !skip || strncmp(a->param_names[k], skip, ns) != 0;
  for (int c = 0; c < 5; c++) {
    draw(a, &rng, x);
    double la, lb, sa, sb;
    const double pa = eval(a, &wa, x, ga, &la, &sa, oa), pb = eval(b, &wb, x, gb, &lb, &sb, ob);
    r.worst = fmax(r.worst, fmax(rel(pb - shift, pa), rel(lb, la)));
    for (int k = 0; k < nx; k++) r.worst = fmax(r.worst, rel(gb[k], ga[k]));
    r.sign_ok = r.sign_ok && sa == sb;
    r.shared = 0;
    for (int k = 0; k < a->nparams; k++) {
      if (skip && strncmp(a->param_names[k], skip, ns) == 0) continue;
      const char *name = strcmp(a->param_names[k], "slater.alpha") == 0 ? "backflow.alpha" : a->param_names[k];
      for (int j = 0; j < b->nparams; j++)
        if (strcmp(b->param_names[j], name) == 0) {
          r.worst = fmax(r.worst, rel(ob[j], oa[k]));
          r.shared++;
        }
    }
    for (int k = 0; skip && k < b->nparams; k++)
      if (strncmp(b->param_names[k], skip, ns) == 0) r.og = fmax(r.og, fabs(ob[k]));
  }
  nqs_walker_free(&wa);
  nqs_walker_free(&wb);
  free(x);
  free(ga);
  free(gb);
  free(oa);
  free(ob);
  nqs_wf_free(a);
  nqs_wf_free(b);
  return r;
}

/* a and b are the same wave function: ln|Psi|, grad, lap, the sign and the O_k of every
 * parameter of a agree to 1e-12 at five random configurations. Frees both. */
static void same_state(const char *label, const char *what, nqs_wavefunction *a, nqs_wavefunction *b) {
  const comparison r = compare(a, b, 0.0, NULL);
  CHECK(r.worst < 1e-12 && r.sign_ok && r.shared == r.expected,
        "%-28s %s: ln|Psi|, grad, lap, O_k (%d shared) max err %.1e, signs %s", label, what, r.shared, r.worst,
        r.sign_ok ? "equal" : "DIFFER");
}

/* eta = 0 (a new backflow factor) is the Slater factor. */
static void eta_zero(const char *label, int d, int n, const char *slater, const char *backflow) {
  nqs_factor_options fo = {.alpha = 0.93, .beta = 0.45, .pade_cusp = 1, .init_std = 0.2, .seed = 4, .hidden = 3,
                           .rbm_sigma = 0.8, .rbm_sqrt = 1, .ffnn_hidden = {5}, .ffnn_nhidden = 1,
                           .bf_hidden = {6, 6}, .bf_nhidden = 2};
  same_state(label, "eta = 0 vs Slater", make_wf(d, n, NQS_FERMIONS, NQS_INTERACTION_COULOMB, 0.8, 1.0, slater, &fo),
             make_wf(d, n, NQS_FERMIONS, NQS_INTERACTION_COULOMB, 0.8, 1.0, backflow, &fo));
}

/* g = 0: backflow with generalised orbitals at their start equals plain backflow (random eta in both). */
static void g_zero(const char *label, int d, int n, const char *factors) {
  nqs_factor_options fo = {.alpha = 0.93, .beta = 0.45, .pade_cusp = 1, .bf_hidden = {6}, .bf_nhidden = 1};
  nqs_factor_options fg = fo;
  fg.bfo_hidden[0] = 5;
  fg.bfo_nhidden = 1;
  nqs_wavefunction *a = make_wf(d, n, NQS_FERMIONS, NQS_INTERACTION_COULOMB, 0.8, 1.0, factors, &fo);
  nqs_wavefunction *b = make_wf(d, n, NQS_FERMIONS, NQS_INTERACTION_COULOMB, 0.8, 1.0, factors, &fg);
  randomise(a, 0.3, 8, 0);
  randomise(b, 0.3, 8, 0);
  same_state(label, "g = 0 vs backflow", a, b);
}

/* A sum of K determinants with g = 0 (its start) is K times one determinant with g = 0: ln|Psi|
 * larger by exactly ln K, the same grad, lap, sign and O_k of alpha and eta (random eta in both);
 * g's O_k differ (the K networks see a one-hot kappa) but are not all zero. */
static void ndet_start(const char *label, int d, int n, const char *factors, int K) {
  nqs_factor_options fo = {.alpha = 0.93, .beta = 0.45, .pade_cusp = 1, .bf_hidden = {6}, .bf_nhidden = 1,
                           .bfo_hidden = {5}, .bfo_nhidden = 1};
  nqs_factor_options fk = fo;
  fk.bf_ndet = K;
  nqs_wavefunction *a = make_wf(d, n, NQS_FERMIONS, NQS_INTERACTION_COULOMB, 0.8, 1.0, factors, &fo);
  nqs_wavefunction *b = make_wf(d, n, NQS_FERMIONS, NQS_INTERACTION_COULOMB, 0.8, 1.0, factors, &fk);
  randomise(a, 0.3, 8, 0);
  randomise(b, 0.3, 8, 0);
  const comparison r = compare(a, b, log((double)K), "backflow.g");
  CHECK(r.worst < 1e-12 && r.sign_ok && r.og > 1e-3 && r.shared == r.expected,
        "%-28s %d det, g = 0 vs 1 det: ln|Psi| - ln %d, grad, lap, O_k (%d shared) max err %.1e, signs %s, max |O_g| %.2f",
        label, K, K, r.shared, r.worst, r.sign_ok ? "equal" : "DIFFER", r.og);
}

static void antisymmetry(const char *label, int d, int n, const char *factors, int gen, int ndet) {
  nqs_factor_options fo = {.alpha = 1.0, .beta = 0.5, .pade_cusp = 1, .bf_hidden = {6}, .bf_nhidden = 1,
                           .bfo_hidden = {5}, .bfo_nhidden = gen, .bf_ndet = ndet};
  nqs_wavefunction *wf = make_wf(d, n, NQS_FERMIONS, NQS_INTERACTION_COULOMB, 1.0, 1.0, factors, &fo);
  randomise_eta(wf, 0.3, 17);
  const int nx = n * d, half = n / 2;
  nqs_walker w;
  nqs_error err;
  nqs_walker_alloc(wf, &w, &err);
  double *x = malloc(sizeof(double) * nx), *y = malloc(sizeof(double) * nx);
  double *g = malloc(sizeof(double) * nx), *h = malloc(sizeof(double) * nx);
  nqs_rng rng;
  nqs_rng_seed(&rng, 10, 0);
  double worst = 0;
  int flips = 0, tries = 0;
  const int pairs[2][2] = {{0, 1}, {half, half + 1}}; /* two up, two down */
  for (int c = 0; c < 4; c++)
    for (int q = 0; q < 2; q++) {
      draw(wf, &rng, x);
      memcpy(y, x, sizeof(double) * nx);
      const int i = pairs[q][0], j = pairs[q][1];
      for (int k = 0; k < d; k++) {
        y[i * d + k] = x[j * d + k];
        y[j * d + k] = x[i * d + k];
      }
      double lx, ly, sx, sy;
      const double px = eval(wf, &w, x, g, &lx, &sx, NULL), py = eval(wf, &w, y, h, &ly, &sy, NULL);
      worst = fmax(worst, rel(py, px));
      worst = fmax(worst, rel(ly, lx));
      for (int k = 0; k < d; k++) { /* the gradients of the exchanged particles exchange too */
        worst = fmax(worst, rel(h[i * d + k], g[j * d + k]));
        worst = fmax(worst, rel(h[j * d + k], g[i * d + k]));
      }
      flips += sx == -sy;
      tries++;
    }
  CHECK(worst < 1e-12 && flips == tries, "%-28s exchange of like spins: ln|Psi|, grad, lap max err %.1e, sign flipped %d/%d",
        label, worst, flips, tries);
  nqs_walker_free(&w);
  free(x);
  free(y);
  free(g);
  free(h);
  nqs_wf_free(wf);
}

int main(void) {
  eta_zero("2D N=6 backflow", 2, 6, "slater", "backflow");
  eta_zero("2D N=12 backflow*ffnn*pade", 2, 12, "slater, ffnn, pade", "backflow, ffnn, pade");
  eta_zero("3D N=8 backflow*pade", 3, 8, "slater, pade", "backflow, pade");
  eta_zero("2D N=6 backflow*rbm (bare)", 2, 6, "slater, rbm", "backflow, rbm");
  g_zero("2D N=6 backflow*pade", 2, 6, "backflow, pade");
  g_zero("3D N=8 backflow", 3, 8, "backflow");
  ndet_start("2D N=6 backflow+g*pade", 2, 6, "backflow, pade", 3);
  ndet_start("3D N=8 backflow+g", 3, 8, "backflow", 2);
  antisymmetry("2D N=6 backflow*pade", 2, 6, "backflow, pade", 0, 1);
  antisymmetry("3D N=8 backflow", 3, 8, "backflow", 0, 1);
  antisymmetry("2D N=6 backflow+g*pade", 2, 6, "backflow, pade", 1, 1);
  antisymmetry("3D N=8 backflow+g", 3, 8, "backflow", 1, 1);
  antisymmetry("2D N=6 backflow+g x3 det", 2, 6, "backflow, pade", 1, 3);
  antisymmetry("3D N=8 backflow+g x2 det", 3, 8, "backflow", 1, 2);
  antisymmetry("2D N=6 slater*pade", 2, 6, "slater, pade", 0, 1);

  nqs_factor_options fo = {.alpha = 1.0, .beta = 0.5, .pade_cusp = 1, .bf_hidden = {6}, .bf_nhidden = 1};
  nqs_wavefunction *wf = make_wf(2, 6, NQS_FERMIONS, NQS_INTERACTION_COULOMB, 1.0, 1.0, "backflow, pade", &fo);
  randomise_eta(wf, 0.3, 5);
  int ok1, ok2, ok3;
  const nqs_vmc_result one = sample_vmc(wf, &nqs_sampler_langevin, 1, 32, 300, 3000, &ok1);
  const nqs_vmc_result met = sample_vmc(wf, &nqs_sampler_metropolis_all, 2, 32, 300, 6000, &ok2);
  const nqs_vmc_result lan = sample_vmc(wf, &nqs_sampler_langevin_all, 3, 32, 300, 6000, &ok3);
  const nqs_vmc_result *all[2] = {&met, &lan};
  const char *names[2] = {"metropolis_all", "langevin_all"};
  for (int q = 0; q < 2; q++) {
    const double s = hypot(one.energy.error, all[q]->energy.error), dE = all[q]->energy.mean - one.energy.mean;
    CHECK(ok1 && ok2 && ok3 && fabs(dE) < 4 * s,
          "2D N=6 backflow: %-14s %.5f +- %.5f (acc %.2f) vs one-particle langevin %.5f +- %.5f (%.1f sigma)", names[q],
          all[q]->energy.mean, all[q]->energy.error, all[q]->acceptance, one.energy.mean, one.energy.error, dE / s);
    CHECK(ok1 && ok2 && ok3 && fabs(all[q]->energy.variance / one.energy.variance - 1) < 0.2,
          "2D N=6 backflow: %-14s variance %.4f vs one-particle %.4f", names[q], all[q]->energy.variance,
          one.energy.variance);
  }
  /* 3b: analytic against finite-difference kinetic energy where the chain goes */
  {
    nqs_vmc_options vo = {.walkers = 1, .seed = 4};
    nqs_error e;
    nqs_vmc *v = nqs_vmc_create_wf(wf, &nqs_sampler_metropolis, &vo, &e);
    nqs_walker *w = v ? nqs_vmc_walker(v, 0) : NULL, t;
    nqs_walker_alloc(wf, &t, &e);
    const int nx = wf->sys.n * wf->sys.dim;
    double *x = malloc(sizeof(double) * nx), *g = malloc(sizeof(double) * nx), sum = 0, tsum = 0;
    int m = 0;
    const double h = 1e-3;
    if (v && !nqs_vmc_thermalize(v, 500, 1, &e))
      for (int k = 0; k < 300; k++) {
        for (int r = 0; r < 5; r++) nqs_sampler_metropolis.sweep(wf, w, nqs_vmc_step(v));
        const double kin = nqs_wf_local_energy(wf, w, g).kinetic;
        memcpy(x, w->x, sizeof(double) * nx);
        double T = 0;
        for (int q = 0; q < nx; q++) {
          double f[5], lap, sg;
          for (int j = 0; j < 5; j++) {
            x[q] = w->x[q] + (j - 2) * h;
            f[j] = j == 2 ? w->logpsi : eval(wf, &t, x, g, &lap, &sg, NULL);
          }
          x[q] = w->x[q];
          const double d1 = (-f[4] + 8 * f[3] - 8 * f[1] + f[0]) / (12 * h);
          T += -0.5 * ((-f[4] + 16 * f[3] - 30 * f[2] + 16 * f[1] - f[0]) / (12 * h * h) + d1 * d1);
        }
        if (isfinite(kin - T)) {
          sum += kin - T;
          tsum += fabs(kin);
          m++;
        }
      }
    CHECK(m == 300 && fabs(sum) < 1e-6 * tsum,
          "2D N=6 backflow: <T_L analytic - T_L finite differences> over %d sampled configurations = %.1e (<|T_L|> = %.3g)",
          m, m ? sum / m : NAN, m ? tsum / m : NAN);
    nqs_walker_free(&t);
    free(x);
    free(g);
    nqs_vmc_free(v);
  }
  nqs_wf_free(wf);

  nqs_config c;
  nqs_error err;
  nqs_config_defaults(&c);
  const char *set[] = {"system.particles=6", "system.interaction=none", "wavefunction.factors=backflow",
                       "wavefunction.backflow_layers=16", "sampler.walkers=16", "optimizer.method=sr",
                       "optimizer.learning_rate=0.05", "optimizer.iterations=60", "optimizer.samples=4000",
                       "evaluation.samples=100000", "observables.radial_bins=0", "observables.grid_bins=0",
                       "observables.pair_bins=0", "run.seed=3"};
  for (size_t k = 0; k < sizeof set / sizeof set[0]; k++) nqs_config_set(&c, set[k], &err);
  char dir[] = "/tmp/nqs-test-backflow-XXXXXX";
  if (!mkdtemp(dir)) return 3;
  snprintf(c.output.dir, sizeof c.output.dir, "%s/run", dir);
  nqs_system sys;
  nqs_config_system(&c, &sys, &err);
  nqs_factor_options o = nqs_config_factor_options(&c);
  wf = nqs_wf_create(&sys, c.wavefunction.factors, &o, &err);
  randomise_eta(wf, 0.3, 99);
  nqs_run_options ro = {.init_params = wf->params, .init_nparams = wf->nparams};
  nqs_run_result res = {0};
  const nqs_status st = nqs_run(&c, &ro, &res, &err);
  char path[600];
  snprintf(path, sizeof path, "%s/energy.csv", c.output.dir);
  FILE *f = fopen(path, "r");
  double first = NAN, worst = INFINITY; /* min over iterations of (E - 10) / err */
  char line[256];
  while (f && fgets(line, sizeof line, f)) {
    double e, s;
    if (sscanf(line, "%*d,%lf,%lf", &e, &s) != 2) continue;
    if (isnan(first)) first = e;
    if (s > 0) worst = fmin(worst, (e - 10) / s);
  }
  if (f) fclose(f);
  CHECK(st == NQS_OK && first > 10.01 && worst > -4 && res.energy.mean > 10 - 3 * res.energy.error &&
            res.energy.variance < 1e-3,
        "non-interacting N=6 from a random eta: E %.4f -> %.6f +- %.6f (sigma^2 %.1e), lowest iteration %.1f err from 10",
        first, res.energy.mean, res.energy.error, res.energy.variance, worst);
  nqs_run_result_free(&res);
  nqs_wf_free(wf);
  remove_tree(dir);
  return check_done();
}
