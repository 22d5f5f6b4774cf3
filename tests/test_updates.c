/* Incremental updates stay exact: after >= 10^4 accepted one-particle moves
 * (Sherman-Morrison inverse updates, cached distance rows, accumulated ln|Psi|),
 * every quantity derived from the caches agrees with a fresh computation from the
 * same positions to 1e-10 (relative to max(|value|, 1)):
 *   ln|Psi|; grad and Laplacian (use every inverse element); d ln Psi/d theta;
 *   and move ratios at 2n random trial points per particle — a ratio is
 *   sum_j phi_j(r') Dinv[j][i] plus cached distances r_pj, so n independent
 *   trial points pin down the whole column i of the inverse and the distance row. */
#include <math.h>
#include <string.h>
#include "check.h"
#include "helpers.h"

static void run(const char *label, nqs_wavefunction *wf, const nqs_sampler_type *smp, double step) {
  const int n = wf->sys.n, d = wf->sys.dim, nx = n * d, np = wf->nparams;
  nqs_error err;
  nqs_walker w, f;
  nqs_walker_alloc(wf, &w, &err);
  nqs_walker_alloc(wf, &f, &err);
  nqs_rng_seed(&w.rng, 99, 0);
  for (int k = 0; k < nx; k++) w.x[k] = nqs_rng_normal(&w.rng);
  nqs_wf_walker_init(wf, &w, &err);
  while (w.accepted < 10000) smp->sweep(wf, &w, step);
  memcpy(f.x, w.x, sizeof(double) * nx);
  nqs_wf_walker_init(wf, &f, &err);
  double *g1 = malloc(sizeof(double) * nx), *g2 = malloc(sizeof(double) * nx);
  double *o1 = malloc(sizeof(double) * np), *o2 = malloc(sizeof(double) * np);
  double l1, l2;
  nqs_wf_grad_lap(wf, &w, g1, &l1);
  nqs_wf_grad_lap(wf, &f, g2, &l2);
  nqs_wf_dparams(wf, &w, o1);
  nqs_wf_dparams(wf, &f, o2);
  double eg = rel(l1, l2), eo = 0, er = 0;
  for (int k = 0; k < nx; k++) eg = fmax(eg, rel(g1[k], g2[k]));
  for (int k = 0; k < np; k++) eo = fmax(eo, rel(o1[k], o2[k]));
  for (int p = 0; p < n; p++)
    for (int t = 0; t < 2 * n; t++) {
      double xp[NQS_MAX_DIM];
      for (int k = 0; k < d; k++) xp[k] = w.x[p * d + k] + nqs_rng_normal(&w.rng);
      er = fmax(er, rel(nqs_wf_propose(wf, &w, p, xp, NULL), nqs_wf_propose(wf, &f, p, xp, NULL)));
    }
  printf("     %s: %ld accepted of %ld proposed\n", label, w.accepted, w.proposed);
  CHECK(rel(w.logpsi, f.logpsi) < 1e-10, "%-28s ln|Psi| incremental vs fresh  err %.1e", label, rel(w.logpsi, f.logpsi));
  CHECK(eg < 1e-10, "%-28s grad, lap (inverse)         err %.1e", label, eg);
  CHECK(eo < 1e-10, "%-28s d ln Psi/d theta            err %.1e", label, eo);
  CHECK(er < 1e-10, "%-28s trial-move ratios           err %.1e", label, er);
  free(g1);
  free(g2);
  free(o1);
  free(o2);
  nqs_walker_free(&w);
  nqs_walker_free(&f);
}

int main(void) {
  nqs_factor_options fo = {.alpha = 0.95, .beta = 0.4, .pade_cusp = 1};
  nqs_wavefunction *wf = make_wf(2, 12, NQS_FERMIONS, NQS_INTERACTION_COULOMB, 1.0, 1.0, "slater, pade", &fo);
  run("2D N=12 slater*pade metro", wf, &nqs_sampler_metropolis, 1.0);
  run("2D N=12 slater*pade langevin", wf, &nqs_sampler_langevin, 0.1);
  nqs_wf_free(wf);
  wf = make_wf(3, 20, NQS_FERMIONS, NQS_INTERACTION_COULOMB, 0.5, 1.0, "slater, pade", &fo);
  run("3D N=20 slater*pade metro", wf, &nqs_sampler_metropolis, 1.2);
  nqs_wf_free(wf);
  wf = make_wf(2, 30, NQS_FERMIONS, NQS_INTERACTION_COULOMB, 1.0, 1.0, "slater, pade", &fo);
  run("2D N=30 slater*pade metro", wf, &nqs_sampler_metropolis, 0.8);
  nqs_wf_free(wf);
  /* network factors: cached RBM angles, cached pair values and radial derivatives */
  nqs_factor_options fn = {.alpha = 1.0, .beta = 0.4, .pade_cusp = 1, .hidden = 6, .rbm_sigma = 0.7, .rbm_sqrt = 1,
                           .init_std = 0.3, .seed = 4, .ffnn_hidden = {8, 8}, .ffnn_nhidden = 2};
  wf = make_wf(2, 6, NQS_FERMIONS, NQS_INTERACTION_COULOMB, 1.0, 1.0, "slater, rbm, ffnn, pade", &fn);
  run("2D N=6 slater*rbm*ffnn*pade", wf, &nqs_sampler_langevin, 0.2);
  nqs_wf_free(wf);
  /* 70 particles: the pair networks of one move (69) and of all pairs (2415) span several batches */
  wf = make_wf(1, 70, NQS_BOSONS, NQS_INTERACTION_NONE, 1.0, 1.0, "gaussian, ffnn", &fn);
  run("1D bosons N=70 gaussian*ffnn", wf, &nqs_sampler_metropolis, 0.5);
  nqs_wf_free(wf);
  return check_done();
}
