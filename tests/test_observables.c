/* Densities against the exact non-interacting ones.
 *
 * With alpha = 1 the Slater determinant (fermions) or the Gaussian (bosons) is
 * the exact non-interacting ground state, so the sampled one-body radial
 * density must match the analytic closed-shell density bin by bin. Each bin is
 * compared with the analytic average over the same shell (not the value at
 * the centre, which differs by O(dr^2 rho'')). Tolerance per bin: 4 standard
 * errors (the error is the spread of 32 independent walkers' histograms; with
 * ~30 bins a 4-sigma excursion by chance has probability ~2e-3), plus a chi^2
 * test over all bins at the 0.1 % / 99.9 % quantiles. Bins far in the tail whose
 * exact expected count is below 30 are not tested one by one: most walkers never
 * visit them, and a walker's visits come in runs of correlated sweeps, so the
 * spread over walkers is no error bar there (seen: 7 expected, 0 observed). Their
 * weight is still checked, through the integral.
 * Normalisation: sum_b rho_b V_b = N (and N(N-1)/2 for the pair density)
 * within 1e-3, and the analytic density itself integrates to N. */
#include <math.h>
#include "check.h"
#include "helpers.h"

static void measure(void *ctx, int walker, const void *w) { nqs_obs_measure(ctx, walker, ((const nqs_walker *)w)->x); }

static void check_density(const char *label, int d, int n, nqs_statistics st, double omega, double r_max, int bins) {
  nqs_factor_options fo = {.alpha = 1.0};
  const char *factors = st == NQS_FERMIONS ? "slater" : "gaussian";
  nqs_wavefunction *wf = make_wf(d, n, st, NQS_INTERACTION_NONE, omega, 1.0, factors, &fo);
  nqs_error err = {0};
  nqs_vmc_options vo = {.walkers = 32, .seed = 7};
  nqs_vmc *v = nqs_vmc_create_wf(wf, &nqs_sampler_metropolis, &vo, &err);
  nqs_obs_options oo = {.radial_bins = bins, .pair_bins = bins, .grid_bins = d <= 2 ? 20 : 8, .r_max = r_max};
  nqs_observables *ob = v ? nqs_obs_create(&wf->sys, &oo, 32, &err) : NULL;
  nqs_vmc_result res;
  if (!ob || nqs_vmc_thermalize(v, 300, 1, &err)) {
    printf("FAIL %s: %s\n", label, err.msg);
    exit(1);
  }
  nqs_vmc_set_hooks(v, measure, NULL, ob);
  if (nqs_vmc_sample(v, 6000, 0, &res, &err)) {
    printf("FAIL %s: %s\n", label, err.msg);
    exit(1);
  }
  const nqs_histogram *h = nqs_obs_radial(ob), *p = nqs_obs_pair(ob), *g = nqs_obs_grid(ob);
  const double dr = r_max / bins;
  double worst = 0, chi2 = 0, integral = 0, exact = 0, pint = 0, gint = 0;
  int worst_bin = -1, tested = 0;
  for (int b = 0; b < bins; b++) {
    const double f = nqs_density_free_shell(&wf->sys, b * dr, (b + 1) * dr), vol = nqs_shell_volume(d, b * dr, (b + 1) * dr);
    const double expected = f * vol * 6000.0 * 32;
    integral += h->value[b] * vol;
    exact += f * vol;
    pint += p->value[b] * nqs_shell_volume(d, 2 * b * dr, 2 * (b + 1) * dr);
    if (expected < 30) continue;
    tested++;
    const double z = h->error[b] > 0 ? (h->value[b] - f) / h->error[b] : INFINITY;
    if (fabs(z) > worst) {
      worst = fabs(z);
      worst_bin = b;
    }
    chi2 += z * z;
  }
  const double cell = pow(2 * r_max / (d <= 2 ? 20 : 8), d);
  for (int k = 0; k < g->bins; k++) gint += g->value[k] * cell;
  CHECK(worst <= 4 && tested >= bins * 3 / 4,
        "%s: each of %d radial bins (of %d) within 4 sigma of the exact density (worst: bin %d, %.2f sigma)", label,
        tested, bins, worst_bin, worst);
  const double lo = nqs_chi2_quantile(0.001, tested), hi = nqs_chi2_quantile(0.999, tested);
  CHECK(chi2 >= lo && chi2 <= hi, "%s: chi^2 = %.1f for %d bins, within [%.1f, %.1f]", label, chi2, tested, lo, hi);
  CHECK(fabs(exact - n) / n < 1e-4, "%s: the exact density integrates to %.6f (N = %d)", label, exact, n);
  CHECK(fabs(integral - n) / n < 1e-3 && h->outside < 1e-3,
        "%s: sampled integral of rho = %.6f (N = %d), weight outside r_max %.1e", label, integral, n, h->outside);
  if (n > 1)
    CHECK(fabs(pint - 0.5 * n * (n - 1)) / (0.5 * n * (n - 1)) < 1e-3,
          "%s: integral of the pair density = %.5f (N(N-1)/2 = %g), outside %.1e", label, pint, 0.5 * n * (n - 1),
          p->outside);
  CHECK(fabs(gint - n * (1 - g->outside)) < 1e-9 * n, "%s: grid histogram integral %.6f = N (1 - outside %.1e)", label,
        gint, g->outside);
  nqs_obs_free(ob);
  nqs_vmc_free(v);
  nqs_wf_free(wf);
}

int main(void) {
  check_density("2D fermions N=6 omega=1", 2, 6, NQS_FERMIONS, 1.0, 4.5, 30);
  check_density("2D fermions N=12 omega=0.5", 2, 12, NQS_FERMIONS, 0.5, 7.0, 30);
  check_density("3D fermions N=8 omega=1", 3, 8, NQS_FERMIONS, 1.0, 4.5, 25);
  check_density("1D bosons N=3 omega=1", 1, 3, NQS_BOSONS, 1.0, 4.0, 25);
  return check_done();
}
