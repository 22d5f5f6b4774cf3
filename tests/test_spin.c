/* RBM and network states of spin lattices:
 * real and complex weights, plain and translation-symmetric RBMs, and the feed-forward network:
 * - ln Psi ratio after one and two flips from the cached angles equals full recomputation (1e-12);
 * - d ln Psi / d theta against central finite differences (1e-7), real and imaginary parts;
 * - the local energy is exact: over all 2^n states, sum |Psi|^2 E_L / sum |Psi|^2 equals
 *   <Psi|H|Psi>/<Psi|Psi> from the Hamiltonian of nqs_exact_ground (TFIM; Heisenberg with the
 *   Marshall sign put back into the amplitudes), to 1e-10;
 * - VMC with SR on the periodic TFIM chain L = 12, h = 1 reaches relative error <= 1e-4;
 * - complex SR without the Marshall rule finds the Heisenberg chain L = 6 (<= 1e-4);
 * - VMC with the feed-forward network: Heisenberg chain L = 8 (Marshall) to <= 2e-4;
 * - restart: 20 iterations straight vs 10 + restart + 10 (symmetric complex RBM, SR; plain real
 *   RBM, Adam) give identical parameters and energies; a continuum checkpoint is refused. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "helpers.h"

static void random_state(nqs_spin_walker *w, int n, nqs_rng *rng) {
  for (int i = 0; i < n; i++) w->s[i] = nqs_rng_uniform(rng) < 0.5 ? 1.0 : -1.0;
}

/* the imaginary part of a log difference, brought to (-pi, pi] (ln Psi is defined up to 2 pi i) */
static double complex wrap(double complex z) {
  const double TWO_PI = 6.28318530717958647692;
  double im = cimag(z);
  im -= TWO_PI * floor(im / TWO_PI + 0.5);
  return creal(z) + I * im;
}

/* sym 1: the translation-symmetric RBM of a periodic chain (its free parameters are perturbed);
 * sym 2: the feed-forward network (real, two tanh layers 6 and 4 wide) */
static void check_rbm(int cplx, int sym, nqs_rng *rng) {
  nqs_error err = {0};
  const char *kind = sym == 2 ? "FFNN" : sym ? (cplx ? "symmetric complex RBM" : "symmetric real RBM") : (cplx ? "complex RBM" : "real RBM");
  const int n = 8, widths[2] = {6, 4};
  nqs_spin_psi r;
  nqs_spin_system ring;
  nqs_spin_system_init(&ring, 1, n, 1, NQS_MODEL_TFIM, 1.0, 0, 1.0, 0, &err);
  if (sym == 2) nqs_spin_ffnn_init(&r, n, widths, 2, NQS_ACT_TANH, 0.3, 5, &err);
  else if (sym) nqs_spin_rbm_init_translation(&r, &ring, 2, cplx, 0.3, 5, &err);
  else nqs_spin_rbm_init(&r, n, 2 * n, cplx, 0.3, 5, &err);
  nqs_spin_system_free(&ring);
  double *theta = r.fparams;
  const int nr = cplx ? 2 * r.nfree : r.nfree;
  for (int k = 0; k < nr; k++) theta[k] = 0.2 * nqs_rng_normal(rng); /* biases too */
  nqs_spin_psi_sync(&r);
  nqs_spin_walker w;
  nqs_spin_walker_alloc(&r, &w, &err);
  double worst = 0;
  random_state(&w, n, rng);
  nqs_spin_walker_init(&r, &w);
  for (int m = 0; m < 2000; m++) {
    int f[2] = {(int)(nqs_rng_uniform(rng) * n) % n, (int)(nqs_rng_uniform(rng) * n) % n};
    const int k = (m % 2 || f[0] == f[1]) ? 1 : 2;
    const double complex before = nqs_spin_logpsi(&r, w.s), lr = nqs_spin_log_ratio(&r, &w, f, k);
    nqs_spin_flip(&r, &w, f, k);
    worst = fmax(worst, cabs(wrap(lr - (nqs_spin_logpsi(&r, w.s) - before))));
  }
  /* the cached angles against fresh ones */
  nqs_spin_walker fresh;
  nqs_spin_walker_alloc(&r, &fresh, &err);
  for (int i = 0; i < n; i++) fresh.s[i] = w.s[i];
  nqs_spin_walker_init(&r, &fresh);
  double th = 0;
  if (r.ffnn) th = fabs(w.lnpsi - fresh.lnpsi); /* the cached ln Psi */
  for (int j = 0; j < r.H; j++) /* angles, or the network's first-layer pre-activations */
    th = fmax(th, cplx ? cabs(w.ctheta[j] - fresh.ctheta[j]) : fabs(w.theta[j] - fresh.theta[j]));
  nqs_spin_walker_free(&fresh);
  CHECK(worst < 1e-12 && th < 1e-12, "%s: ratios after 2000 one- and two-spin flips vs recomputation: %.1e; cached angles (FFNN: z0 and ln Psi) %.1e",
        kind, worst, th);

  /* d ln Psi / d theta against central differences of every real number among the parameters:
   * real weights: O_k; complex weights: d/d Re = O_k and d/d Im = i O_k (ln Psi is holomorphic) */
  double *o = malloc(sizeof(double) * nr), fd = 0;
  nqs_spin_dlogpsi(&r, &w, o);
  for (int q = 0; q < nr; q++) {
    const double p = theta[q], h = 1e-5;
    theta[q] = p + h;
    nqs_spin_psi_sync(&r);
    const double complex lp = nqs_spin_logpsi(&r, w.s);
    theta[q] = p - h;
    nqs_spin_psi_sync(&r);
    const double complex lm = nqs_spin_logpsi(&r, w.s);
    theta[q] = p;
    nqs_spin_psi_sync(&r);
    const double complex num = wrap(lp - lm) / (2 * h);
    double complex ana = o[q];
    if (cplx) {
      const double complex ok = ((double complex *)o)[q / 2];
      ana = q % 2 ? I * ok : ok;
    }
    fd = fmax(fd, cabs(num - ana));
  }
  CHECK(fd < 1e-7, "%s: d ln Psi/d theta vs central differences, %d real parameters: max error %.1e", kind, nr, fd);
  free(o);
  if (sym == 1) { /* ln Psi is the same for every translation of a configuration */
    double worst_t = 0, *t = malloc(sizeof(double) * n);
    const double complex l0 = nqs_spin_logpsi(&r, w.s);
    for (int sh = 1; sh < n; sh++) {
      for (int i = 0; i < n; i++) t[(i + sh) % n] = w.s[i];
      worst_t = fmax(worst_t, cabs(wrap(nqs_spin_logpsi(&r, t) - l0)));
    }
    free(t);
    CHECK(worst_t < 1e-12, "%s: ln Psi invariant under the %d translations of the ring: %.1e", kind, n - 1, worst_t);
  }

  /* exact local energy: TFIM (open chain) and J1-J2 Heisenberg (periodic chain, J2 = 0.4; real
   * weights with the Marshall sign rule, complex weights without) */
  for (int model = 0; model < 2; model++) {
    nqs_spin_system sys;
    nqs_spin_system_init(&sys, 1, n, model == 1, model ? NQS_MODEL_HEISENBERG : NQS_MODEL_TFIM, 1.0, model ? 0.4 : 0, 0.7,
                         1.3, &err);
    const int marshall = model == 1 && !cplx;
    int col[64];
    nqs_spin_bipartite(&sys, col);
    const long N = 1L << n;
    double *pr = malloc(sizeof(double) * N), *pi = malloc(sizeof(double) * N), *hr = malloc(sizeof(double) * N),
           *hi = malloc(sizeof(double) * N);
    double complex num = 0, el = 0;
    double den = 0;
    for (long st = 0; st < N; st++) {
      int down_b = 0;
      for (int i = 0; i < n; i++) {
        w.s[i] = (st >> i) & 1 ? -1.0 : 1.0;
        down_b += (col[i] == 1 && w.s[i] < 0);
      }
      nqs_spin_walker_init(&r, &w);
      double complex a = cexp(nqs_spin_logpsi(&r, w.s));
      el += conj(a) * a * nqs_spin_local_energy(&sys, &r, &w, marshall ? col : NULL);
      den += creal(conj(a) * a);
      if (marshall && down_b % 2) a = -a; /* the Marshall sign, put back */
      pr[st] = creal(a);
      pi[st] = cimag(a);
    }
    nqs_spin_apply(&sys, pr, hr);
    nqs_spin_apply(&sys, pi, hi);
    for (long st = 0; st < N; st++) num += (pr[st] - I * pi[st]) * (hr[st] + I * hi[st]);
    CHECK(cabs(el / den - num / den) < 1e-10 * cabs(num / den), "%s, %s: <E_L> over all states %.12f%+.1ei = <H> %.12f",
          kind, model ? (marshall ? "J1-J2 chain (Marshall, Delta 1.3)" : "J1-J2 chain (no sign rule, Delta 1.3)")
                      : "TFIM open chain (h 0.7)",
          creal(el / den), cimag(el / den), creal(num / den));
    free(pr);
    free(pi);
    free(hr);
    free(hi);
    nqs_spin_system_free(&sys);
  }
  nqs_spin_walker_free(&w);
  nqs_spin_psi_free(&r);
}

int main(void) {
  nqs_error err = {0};
  nqs_rng rng;
  nqs_rng_seed(&rng, 3, 1);
  for (int sym = 0; sym < 2; sym++) {
    check_rbm(0, sym, &rng);
    check_rbm(1, sym, &rng);
  }
  check_rbm(0, 2, &rng);

  /* VMC: TFIM L = 12, h = 1, alpha = 1, SR */
  char dir[] = "/tmp/nqs-test-spin-XXXXXX";
  if (!mkdtemp(dir)) return 3;
  nqs_config c;
  nqs_config_defaults(&c);
  const char *sets[] = {"system.type=lattice", "lattice.length=12", "lattice.h=1", "optimizer.method=sr",
                        "optimizer.learning_rate=0.05", "optimizer.iterations=200", "optimizer.samples=2000",
                        "evaluation.samples=100000", "sampler.walkers=16"};
  for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) nqs_config_set(&c, sets[i], &err);
  char a[700];
  snprintf(a, sizeof a, "output.dir=%s/run", dir);
  nqs_config_set(&c, a, &err);
  nqs_run_result res;
  nqs_status st = nqs_run(&c, NULL, &res, &err);
  if (st) printf("     run failed: %s\n", err.msg);
  const double rel = st ? NAN : (res.energy.mean - res.reference) / fabs(res.reference);
  CHECK(st == NQS_OK && res.has_reference && rel <= 1e-4 && rel >= -4 * res.energy.error / fabs(res.reference),
        "VMC TFIM L=12 h=1 (RBM alpha 1, SR, 200 iterations): E = %.6f +- %.6f, exact %.6f, relative error %.1e (<= 1e-4)",
        res.energy.mean, res.energy.error, res.reference, rel);
  /* correlations of the critical chain: C(0) = 1 exactly, then positive and falling to d = L/2 */
  snprintf(a, sizeof a, "%s/run/correlations.csv", dir);
  FILE *f = fopen(a, "r");
  double cd[12], ce[12];
  int nread = 0, falling = 1;
  char line[256];
  if (f) {
    if (fgets(line, sizeof line, f))
      while (nread < 12 && fgets(line, sizeof line, f)) {
        int dx, dy;
        if (sscanf(line, "%d,%d,%lf,%lf", &dx, &dy, &cd[nread], &ce[nread]) == 4) nread++;
      }
    fclose(f);
  }
  for (int d = 1; d <= 6 && nread == 12; d++) falling &= cd[d] < cd[d - 1] && cd[d] > 0;
  CHECK(nread == 12 && cd[0] == 1.0 && falling, "correlations.csv: C(0) = %g, C(1) = %.4f +- %.4f, C(6) = %.4f +- %.4f, falling",
        nread ? cd[0] : NAN, nread ? cd[1] : NAN, nread ? ce[1] : NAN, nread == 12 ? cd[6] : NAN, nread == 12 ? ce[6] : NAN);
  { /* against the exact ground state's correlations, within 4 error bars at every distance */
    nqs_spin_system ch12;
    double *psi = malloc(sizeof(double) << 12), cx[144], e12;
    nqs_spin_system_init(&ch12, 1, 12, 1, NQS_MODEL_TFIM, 1.0, 0, 1.0, 0, &err);
    const nqs_status se = nqs_exact_ground_state(&ch12, &e12, psi, &err);
    int within = se == NQS_OK && nread == 12;
    double worst = 0;
    if (!se) nqs_exact_correlations(&ch12, psi, cx);
    for (int d = 1; d < 12 && within; d++) {
      double ex = 0;
      for (int x = 0; x < 12; x++) ex += cx[x * 12 + (x + d) % 12] / 12;
      worst = fmax(worst, fabs(cd[d] - ex) / ce[d]);
      within &= fabs(cd[d] - ex) < 4 * ce[d];
    }
    CHECK(within, "VMC C(d) against the exact ground state's, d = 1..11: largest deviation %.1f error bars", worst);
    free(psi);
    nqs_spin_system_free(&ch12);
  }
  nqs_run_result_free(&res);

  /* complex weights learn the sign structure the Marshall rule would supply: Heisenberg
   * chain L = 6 without the rule, alpha = 2, complex SR (measured: relative error 2e-10) */
  nqs_config_defaults(&c);
  const char *cs[] = {"system.type=lattice", "lattice.length=6", "lattice.model=heisenberg", "lattice.marshall=no",
                      "lattice.weights=complex", "lattice.alpha=2", "wavefunction.init_std=0.05",
                      "optimizer.method=sr", "optimizer.learning_rate=0.05", "optimizer.iterations=150",
                      "optimizer.samples=1000", "evaluation.samples=40000", "sampler.walkers=8"};
  for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) nqs_config_set(&c, cs[i], &err);
  snprintf(a, sizeof a, "output.dir=%s/complex", dir);
  nqs_config_set(&c, a, &err);
  st = nqs_run(&c, NULL, &res, &err);
  if (st) printf("     run failed: %s\n", err.msg);
  const double relc = st ? NAN : (res.energy.mean - res.reference) / fabs(res.reference);
  CHECK(st == NQS_OK && res.has_reference && fabs(relc) <= 1e-4,
        "VMC Heisenberg L=6 without the Marshall rule, complex RBM alpha 2: E = %.8f +- %.1e, exact %.8f, relative error %.1e",
        res.energy.mean, res.energy.error, res.reference, relc);
  nqs_run_result_free(&res);

  /* the feed-forward network on spins: Heisenberg chain L = 8 (Marshall), one tanh layer of 16
   * (measured: relative error 5.5e-5 in 1.5 s) */
  nqs_config_defaults(&c);
  const char *fs[] = {"system.type=lattice", "lattice.length=8", "lattice.model=heisenberg", "lattice.ansatz=ffnn",
                      "wavefunction.ffnn_layers=16", "optimizer.method=sr", "optimizer.learning_rate=0.05", "optimizer.diag_shift=0.01", "sampler.thermalization=200",
                      "optimizer.iterations=150", "optimizer.samples=1000", "evaluation.samples=40000", "sampler.walkers=8"};
  for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) nqs_config_set(&c, fs[i], &err);
  snprintf(a, sizeof a, "output.dir=%s/ffnn", dir);
  nqs_config_set(&c, a, &err);
  st = nqs_run(&c, NULL, &res, &err);
  if (st) printf("     run failed: %s\n", err.msg);
  const double relf = st ? NAN : (res.energy.mean - res.reference) / fabs(res.reference);
  CHECK(st == NQS_OK && res.has_reference && relf <= 2e-4 && relf >= -4 * res.energy.error / fabs(res.reference),
        "VMC Heisenberg L=8 (Marshall), FFNN 16 tanh: E = %.6f +- %.6f, exact %.6f, relative error %.1e (<= 2e-4)",
        res.energy.mean, res.energy.error, res.reference, relf);
  nqs_run_result_free(&res);

  for (int variant = 0; variant < 2; variant++) {
    const char *extra[2][3] = {{"lattice.symmetry=translation", "lattice.weights=complex", "optimizer.method=sr"},
                               {"lattice.symmetry=none", "lattice.weights=real", "optimizer.method=adam"}};
    nqs_run_result r[3];
    nqs_checkpoint ck[2];
    const int iters[3] = {20, 10, 20};
    st = NQS_OK;
    for (int k = 0; k < 3 && !st; k++) {
      nqs_config_defaults(&c);
      const char *rs[] = {"system.type=lattice", "lattice.length=10", "lattice.model=heisenberg", "lattice.alpha=2",
                          "optimizer.samples=400", "evaluation.samples=4000", "sampler.walkers=4", "run.threads=2"};
      for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) nqs_config_set(&c, rs[i], &err);
      for (int i = 0; i < 3; i++) nqs_config_set(&c, extra[variant][i], &err);
      snprintf(a, sizeof a, "optimizer.iterations=%d", iters[k]);
      nqs_config_set(&c, a, &err);
      snprintf(a, sizeof a, "output.dir=%s/restart%d%c", dir, variant, k ? 'b' : 'a');
      nqs_config_set(&c, a, &err);
      nqs_checkpoint mid;
      if (k == 2 && (st = nqs_checkpoint_read(a + strlen("output.dir="), &mid, &err))) break;
      nqs_run_options ro = {.restart = k == 2 ? &mid : NULL};
      st = nqs_run(&c, &ro, &r[k], &err);
      if (k == 2) nqs_checkpoint_free(&mid);
    }
    for (int k = 0; k < 2 && !st; k++) { /* the final states of the two runs */
      snprintf(a, sizeof a, "%s/restart%d%c", dir, variant, k ? 'b' : 'a');
      st = nqs_checkpoint_read(a, &ck[k], &err);
    }
    if (st) printf("     run failed: %s\n", err.msg);
    const int diff = st ? -1 : checkpoint_differences(&ck[0], &ck[1], "config");
    CHECK(!st && diff == 0 && r[0].energy.mean == r[2].energy.mean,
          "lattice restart (%s): 20 straight vs 10 + 10: %d checkpoint records differ, E %.12f vs %.12f", extra[variant][1],
          diff, st ? NAN : r[0].energy.mean, st ? NAN : r[2].energy.mean);
    if (!st) {
      /* a restart with another lattice is refused, and the folder stays as it was */
      nqs_config_set(&c, "lattice.length=12", &err);
      nqs_run_options ro = {.restart = &ck[1]};
      nqs_run_result bad;
      const nqs_status sb = nqs_run(&c, &ro, &bad, &err);
      CHECK(sb == NQS_EINPUT && strstr(err.msg, "cannot change on restart"), "restart with 12 sites refused: %s", err.msg);
      nqs_checkpoint_free(&ck[0]);
      nqs_checkpoint_free(&ck[1]);
    }
    for (int k = 0; k < 3; k++) nqs_run_result_free(&r[k]);
  }
  if (remove_tree(dir)) return 3;
  return check_done();
}
