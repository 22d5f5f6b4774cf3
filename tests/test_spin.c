/* RBM states of spin lattices (issue #6):
 * - ln Psi ratio after one and two flips from the cached angles equals full recomputation (1e-12);
 * - d ln Psi / d theta against central finite differences (1e-7);
 * - the local energy is exact: over all 2^n states, sum |Psi|^2 E_L / sum |Psi|^2 equals
 *   <Psi|H|Psi>/<Psi|Psi> from the Hamiltonian of nqs_exact_ground (TFIM; Heisenberg with the
 *   Marshall sign put back into the amplitudes), to 1e-10;
 * - VMC with SR on the periodic TFIM chain L = 12, h = 1 reaches relative error <= 1e-4. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "check.h"
#include "helpers.h"

static void random_state(nqs_spin_walker *w, int n, nqs_rng *rng) {
  for (int i = 0; i < n; i++) w->s[i] = nqs_rng_uniform(rng) < 0.5 ? 1.0 : -1.0;
}

int main(void) {
  nqs_error err = {0};
  nqs_rng rng;
  nqs_rng_seed(&rng, 3, 1);
  const int n = 8;
  nqs_spin_rbm r;
  nqs_spin_rbm_init(&r, n, 2 * n, 0.3, 5, &err);
  for (int k = 0; k < n + 2 * n; k++) r.params[k] = 0.2 * nqs_rng_normal(&rng); /* biases too */
  nqs_spin_walker w;
  nqs_spin_walker_alloc(&r, &w, &err);
  double worst = 0;
  random_state(&w, n, &rng);
  nqs_spin_walker_init(&r, &w);
  for (int m = 0; m < 2000; m++) {
    int f[2] = {(int)(nqs_rng_uniform(&rng) * n) % n, (int)(nqs_rng_uniform(&rng) * n) % n};
    const int k = (m % 2 || f[0] == f[1]) ? 1 : 2;
    const double before = nqs_spin_rbm_logpsi(&r, w.s), lr = nqs_spin_log_ratio(&r, &w, f, k);
    nqs_spin_flip(&r, &w, f, k);
    worst = fmax(worst, fabs(lr - (nqs_spin_rbm_logpsi(&r, w.s) - before)));
  }
  double th = 0;
  double *theta = malloc(sizeof(double) * r.H);
  for (int j = 0; j < r.H; j++) theta[j] = w.theta[j];
  nqs_spin_walker_init(&r, &w);
  for (int j = 0; j < r.H; j++) th = fmax(th, fabs(theta[j] - w.theta[j]));
  free(theta);
  CHECK(worst < 1e-12 && th < 1e-12, "ratios after 2000 one- and two-spin flips vs recomputation: %.1e; angles %.1e", worst, th);

  double *o = malloc(sizeof(double) * r.nparams), fd = 0;
  nqs_spin_dlogpsi(&r, &w, o);
  for (int k = 0; k < r.nparams; k++) {
    const double p = r.params[k], h = 1e-5;
    r.params[k] = p + h;
    const double lp = nqs_spin_rbm_logpsi(&r, w.s);
    r.params[k] = p - h;
    const double lm = nqs_spin_rbm_logpsi(&r, w.s);
    r.params[k] = p;
    fd = fmax(fd, fabs((lp - lm) / (2 * h) - o[k]));
  }
  nqs_spin_walker_init(&r, &w);
  CHECK(fd < 1e-7, "d ln Psi/d theta vs central differences, %d parameters: max error %.1e", r.nparams, fd);
  free(o);

  /* exact local energy: TFIM (open chain) and Heisenberg (periodic chain, Marshall) */
  for (int model = 0; model < 2; model++) {
    nqs_spin_system sys;
    nqs_spin_system_init(&sys, 1, n, model == 1, model ? NQS_MODEL_HEISENBERG : NQS_MODEL_TFIM, 1.0, 0.7, 1.3, &err);
    int col[64];
    nqs_spin_bipartite(&sys, col);
    const long N = 1L << n;
    double *psi = malloc(sizeof(double) * N), *hpsi = malloc(sizeof(double) * N), num = 0, den = 0, el = 0;
    for (long st = 0; st < N; st++) {
      int down_b = 0;
      for (int i = 0; i < n; i++) {
        w.s[i] = (st >> i) & 1 ? -1.0 : 1.0;
        down_b += (col[i] == 1 && w.s[i] < 0);
      }
      nqs_spin_walker_init(&r, &w);
      const double a = exp(nqs_spin_rbm_logpsi(&r, w.s));
      psi[st] = model && down_b % 2 ? -a : a; /* the Marshall sign, put back */
      el += a * a * nqs_spin_local_energy(&sys, &r, &w, model);
      den += a * a;
    }
    nqs_spin_apply(&sys, psi, hpsi);
    for (long st = 0; st < N; st++) num += psi[st] * hpsi[st];
    CHECK(fabs(el / den - num / den) < 1e-10 * fabs(num / den), "%s: <E_L> over all states %.12f = <H> %.12f",
          model ? "Heisenberg chain (Marshall, Delta 1.3)" : "TFIM open chain (h 0.7)", el / den, num / den);
    free(psi);
    free(hpsi);
    nqs_spin_system_free(&sys);
  }
  nqs_spin_walker_free(&w);
  nqs_spin_rbm_free(&r);

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
  nqs_run_result_free(&res);
  if (remove_tree(dir)) return 3;
  return check_done();
}
