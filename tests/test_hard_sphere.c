/* Hard-sphere bosons: the hard-core potential and Jastrow factor.
 *  - a -> 0 reproduces the non-interacting energy. In 1D the limit is a = 0 itself: there the
 *    kink of 1 - a/|x| costs <T> ~ 1/(3a) for any a > 0 (the pair density does not vanish at
 *    contact in 1D), so 1D N = 2 is checked at a = 0 (exact 1, zero variance); in 3D the cost
 *    falls with a, and N = 2 at a = 1e-6 lies within error bars and 1e-4 of 1 + lambda/2 per particle.
 *  - No walker ever stands inside a hard core: every sampled configuration of a run with a
 *    large core (a = 0.5, N = 6 in 3D) is checked pair by pair, with both samplers.
 *  - The Gaussian pair potential: V_int of three particles equals the sum of V0 exp(-r^2/(2 r0^2))
 *    over their pairs, computed by hand.
 *  - The energy of a large core lies above the non-interacting one (repulsion), and the
 *    potential energy of the hard spheres is zero on every accepted configuration. */
#include <math.h>
#include "check.h"
#include "helpers.h"

typedef struct {
  double a;
  int dim, n;
  long inside, seen;
} core_check;

static void observe(void *ctx, int walker, const void *wv) {
  core_check *c = ctx;
  const nqs_walker *w = wv;
  for (int i = 0; i < c->n; i++)
    for (int j = i + 1; j < c->n; j++) {
      double r2 = 0;
      for (int k = 0; k < c->dim; k++) {
        const double dx = w->x[i * c->dim + k] - w->x[j * c->dim + k];
        r2 += dx * dx;
      }
      c->inside += sqrt(r2) <= c->a;
    }
  c->seen++;
}

static nqs_wavefunction *hard_spheres(int d, int n, double a, double lambda, double alpha) {
  nqs_system sys;
  nqs_error err;
  const double par[NQS_POT_PARAMS] = {a};
  nqs_factor_options fo = {.alpha = alpha};
  if (nqs_system_init(&sys, d, n, NQS_BOSONS, NQS_INTERACTION_NONE, 1.0, lambda, &err) ||
      nqs_system_set_potential(&sys, &nqs_potential_hard_sphere, par, &err)) {
    fprintf(stderr, "system: %s\n", err.msg);
    exit(3);
  }
  nqs_wavefunction *wf = nqs_wf_create(&sys, "gaussian, hardcore", &fo, &err);
  if (!wf) {
    fprintf(stderr, "wave function: %s\n", err.msg);
    exit(3);
  }
  return wf;
}

int main(void) {
  nqs_error err;
  /* a -> 0: the non-interacting energy */
  nqs_wavefunction *wf = hard_spheres(1, 2, 0.0, 1.0, 1.0);
  nqs_vmc_options vo = {.walkers = 8, .seed = 3, .threads = 1};
  nqs_vmc *v = nqs_vmc_create_wf(wf, &nqs_sampler_langevin, &vo, &err);
  nqs_vmc_result r;
  int ok = v && !nqs_vmc_thermalize(v, 100, 1, &err) && !nqs_vmc_sample(v, 2000, 0, &r, &err);
  CHECK(ok && fabs(r.energy.mean - 1.0) < 1e-12 && r.energy.variance < 1e-20,
        "1D N=2, a = 0: E = %.14f (exact non-interacting 1), variance %.1e", ok ? r.energy.mean : NAN, ok ? r.energy.variance : NAN);
  nqs_vmc_free(v);
  nqs_wf_free(wf);
  const double lam = 2.8284271247461903, e3 = 2 * (1 + lam / 2);
  wf = hard_spheres(3, 2, 1e-6, lam, 1.0);
  v = nqs_vmc_create_wf(wf, &nqs_sampler_langevin, &vo, &err);
  ok = v && !nqs_vmc_thermalize(v, 100, 1, &err) && !nqs_vmc_sample(v, 4000, 0, &r, &err);
  CHECK(ok && fabs(r.energy.mean - e3) < 5 * r.energy.error + 1e-4,
        "3D N=2 elliptic, a = 1e-6: E = %.8f +- %.1e (non-interacting %.8f)", ok ? r.energy.mean : NAN, ok ? r.energy.error : NAN, e3);
  nqs_vmc_free(v);
  nqs_wf_free(wf);

  /* a large core: nobody inside, ever */
  const nqs_sampler_type *samplers[] = {&nqs_sampler_metropolis, &nqs_sampler_langevin};
  for (int s = 0; s < 2; s++) {
    wf = hard_spheres(3, 6, 0.5, 2.8284271247461903, 1.0);
    core_check cc = {.a = 0.5, .dim = 3, .n = 6};
    vo.seed = 11 + s;
    v = nqs_vmc_create_wf(wf, samplers[s], &vo, &err);
    ok = v && !nqs_vmc_thermalize(v, 200, 1, &err);
    if (ok) {
      nqs_vmc_set_hooks(v, observe, NULL, &cc);
      ok = !nqs_vmc_sample(v, 4000, 0, &r, &err);
    }
    CHECK(ok && cc.seen == 8 * 4000 && cc.inside == 0,
          "3D N=6, a = 0.5, %s: %ld configurations, %ld pairs inside the core (acceptance %.2f)", samplers[s]->name, cc.seen,
          cc.inside, ok ? r.acceptance : NAN);
    /* series: energy, kinetic, trap, interaction, r2 (no virial for hard spheres) */
    const double e0 = 6 * (1 + 2.8284271247461903 / 2);
    CHECK(ok && r.nseries == 5 && r.series[3].mean == 0 && r.energy.mean > e0 + 5 * r.energy.error,
          "3D N=6, a = 0.5, %s: E = %.4f +- %.4f above the non-interacting %.4f; V_int = %g on every sample; no virial series",
          samplers[s]->name, ok ? r.energy.mean : NAN, ok ? r.energy.error : NAN, e0, ok ? r.series[3].mean : NAN);
    nqs_vmc_free(v);
    nqs_wf_free(wf);
  }
  /* the Gaussian pair potential against the formula */
  nqs_system sys;
  const double gp[NQS_POT_PARAMS] = {2.5, 0.7};
  const double x[6] = {0, 0, 0.3, 0.4, -1.0, 0.2}; /* 2D: pairs at r^2 = 0.25, 1.04, 1.73 */
  ok = !nqs_system_init(&sys, 2, 3, NQS_BOSONS, NQS_INTERACTION_NONE, 1.0, 1.0, &err) &&
       !nqs_system_set_potential(&sys, &nqs_potential_gaussian, gp, &err);
  const double want = 2.5 * (exp(-0.25 / 0.98) + exp(-1.04 / 0.98) + exp(-1.73 / 0.98)), got = ok ? nqs_system_v_int(&sys, x) : NAN;
  CHECK(ok && fabs(got - want) < 1e-14 && isnan(nqs_system_virial(&sys, 1, 1, got)),
        "Gaussian V0 = 2.5, r0 = 0.7: V_int = %.15f (formula %.15f); no virial check", got, want);
  return check_done();
}
