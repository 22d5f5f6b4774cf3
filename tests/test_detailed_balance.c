/* Detailed balance: both samplers draw from |Psi|^2 and nothing else.
 *
 * Psi = Slater x Pade-Jastrow for 2D N = 2, omega = 1, with fixed parameters
 * (alpha = 0.9, beta = 0.3: deliberately not the optimum, so E_L has a real
 * variance). For N = 2 (one up, one down) Psi = exp(-a (r1^2 + r2^2)/2 + r/(1 + beta r)),
 * a = alpha omega, separates in centre of mass R and relative r = r1 - r2:
 *   Psi = exp(-a R^2) * psi(r),  psi(r) = exp(-a r^2/4 + r/(1 + beta r)),
 *   H = -1/4 lap_R + omega^2 R^2 - lap_r + omega^2 r^2/4 + 1/r,
 * so E = E_cm + E_rel with E_cm = a/2 + omega^2/(2a) in closed form and
 *   E_rel = int (psi'^2 + (omega^2 r^2/4 + 1/r) psi^2) r dr / int psi^2 r dr
 * by Simpson quadrature (independent of any sampling; converged to 1e-12).
 *
 * Checks: Metropolis and Langevin energies (one-particle and all-particle moves) each within
 * 4 error bars of the quadrature, one-particle Metropolis and Langevin of each other; over 20 seeds, the spread of the means is
 * within a factor 2 of the mean reported (blocking) error bar.
 *
 * Regression (2D N = 6, 32 walkers): without drift limiting one Langevin walker
 * froze beside a node and the variance came out 270 instead of 0.17 with a
 * biased mean. Both samplers must give the same energy within 4 combined error
 * bars and the same variance within 20 % (the variance of a 200k-sample
 * estimate of sigma^2 ~ 0.17 is a few per cent). Seed 1 with these sizes is the
 * run that exposed the freeze (checked to fail without drift limiting). */
#include <math.h>
#include "check.h"
#include "helpers.h"

static const double OMEGA = 1.0, ALPHA = 0.9, BETA = 0.3;

static double quadrature_energy(void) {
  const double a = ALPHA * OMEGA, w2 = OMEGA * OMEGA;
  const int m = 200000; /* even */
  const double L = 20.0 / sqrt(a), h = L / m;
  double num = 0, den = 0;
  for (int i = 0; i <= m; i++) {
    double r = i * h;
    double wgt = (i == 0 || i == m) ? 1 : (i % 2 ? 4 : 2);
    double q = 1 + BETA * r;
    double lp = -a * r * r / 4 + r / q;
    double psi2 = exp(2 * lp);
    double dl = -a * r / 2 + 1 / (q * q); /* psi'/psi */
    double v = w2 * r * r / 4;
    num += wgt * (dl * dl * psi2 * r + v * psi2 * r + psi2); /* (1/r) psi^2 r = psi^2 */
    den += wgt * psi2 * r;
  }
  return a / 2 + w2 / (2 * a) + num / den;
}

static nqs_vmc_result sample_w(nqs_wavefunction *wf, const nqs_sampler_type *s, uint64_t seed, long sweeps, int walkers,
                               int *ok) {
  return sample_vmc(wf, s, seed, walkers, 200, sweeps, ok);
}

static nqs_vmc_result sample(nqs_wavefunction *wf, const nqs_sampler_type *s, uint64_t seed, long sweeps, int *ok) {
  return sample_w(wf, s, seed, sweeps, 16, ok);
}

int main(void) {
  nqs_factor_options fo = {.alpha = ALPHA, .beta = BETA, .pade_cusp = 1};
  nqs_wavefunction *wf = make_wf(2, 2, NQS_FERMIONS, NQS_INTERACTION_COULOMB, OMEGA, 1.0, "slater, pade", &fo);
  const double eq = quadrature_energy();
  printf("     quadrature E = %.10f\n", eq);
  int ok1, ok2;
  nqs_vmc_result m = sample(wf, &nqs_sampler_metropolis, 11, 1 << 14, &ok1);
  nqs_vmc_result l = sample(wf, &nqs_sampler_langevin, 12, 1 << 14, &ok2);
  CHECK(ok1 && fabs(m.energy.mean - eq) < 4 * m.energy.error, "metropolis E = %.6f +- %.6f vs quadrature %.6f (%.1f sigma), acc %.2f",
        m.energy.mean, m.energy.error, eq, (m.energy.mean - eq) / m.energy.error, m.acceptance);
  CHECK(ok2 && fabs(l.energy.mean - eq) < 4 * l.energy.error, "langevin   E = %.6f +- %.6f vs quadrature %.6f (%.1f sigma), acc %.2f",
        l.energy.mean, l.energy.error, eq, (l.energy.mean - eq) / l.energy.error, l.acceptance);
  double s = hypot(m.energy.error, l.energy.error);
  CHECK(fabs(m.energy.mean - l.energy.mean) < 4 * s, "metropolis - langevin = %.2e (%.1f combined sigma)",
        m.energy.mean - l.energy.mean, (m.energy.mean - l.energy.mean) / s);
  /* all-particle moves (one move of both particles per sweep) */
  const nqs_sampler_type *all[] = {&nqs_sampler_metropolis_all, &nqs_sampler_langevin_all};
  for (int q = 0; q < 2; q++) {
    nqs_vmc_result a = sample(wf, all[q], 13 + q, 1 << 14, &ok1);
    CHECK(ok1 && fabs(a.energy.mean - eq) < 4 * a.energy.error,
          "%-15s E = %.6f +- %.6f vs quadrature %.6f (%.1f sigma), acc %.2f", all[q]->name, a.energy.mean,
          a.energy.error, eq, (a.energy.mean - eq) / a.energy.error, a.acceptance);
  }
  /* Variational principle: above the exact ground state E = 3. */
  CHECK(eq > 3.0, "quadrature energy %.6f is above the exact ground state 3", eq);

  const nqs_sampler_type *samplers[] = {&nqs_sampler_metropolis, &nqs_sampler_langevin};
  for (int q = 0; q < 2; q++) {
    const int seeds = 20;
    double sm = 0, sm2 = 0, se = 0;
    int ok = 1;
    for (int k = 0; k < seeds; k++) {
      int o;
      nqs_vmc_result r = sample(wf, samplers[q], 100 + k, 1024, &o);
      ok &= o;
      sm += r.energy.mean;
      sm2 += r.energy.mean * r.energy.mean;
      se += r.energy.error;
    }
    double spread = sqrt((sm2 - sm * sm / seeds) / (seeds - 1)), err = se / seeds;
    CHECK(ok && err / spread > 0.5 && err / spread < 2.0,
          "%-10s 20 seeds: mean reported error %.2e vs spread of means %.2e (ratio %.2f)", samplers[q]->name, err, spread,
          err / spread);
    CHECK(fabs(sm / seeds - eq) < 4 * spread / sqrt(seeds), "%-10s 20 seeds: average %.6f vs quadrature %.6f",
          samplers[q]->name, sm / seeds, eq);
  }
  nqs_wf_free(wf);

  nqs_factor_options f6 = {.alpha = 1.0, .beta = 0.5, .pade_cusp = 1};
  wf = make_wf(2, 6, NQS_FERMIONS, NQS_INTERACTION_COULOMB, 1.0, 1.0, "slater, pade", &f6);
  nqs_vmc_result m6 = sample_w(wf, &nqs_sampler_metropolis, 1, 6250, 32, &ok1);
  nqs_vmc_result l6 = sample_w(wf, &nqs_sampler_langevin, 1, 6250, 32, &ok2);
  s = hypot(m6.energy.error, l6.energy.error);
  CHECK(ok1 && ok2 && fabs(m6.energy.mean - l6.energy.mean) < 4 * s,
        "2D N=6, 32 walkers: metropolis %.4f +- %.4f, langevin %.4f +- %.4f (%.1f sigma)", m6.energy.mean, m6.energy.error,
        l6.energy.mean, l6.energy.error, (m6.energy.mean - l6.energy.mean) / s);
  CHECK(ok1 && ok2 && fabs(l6.energy.variance / m6.energy.variance - 1) < 0.2,
        "2D N=6, 32 walkers: variance metropolis %.3f, langevin %.3f", m6.energy.variance, l6.energy.variance);
  nqs_wf_free(wf);
  return check_done();
}
