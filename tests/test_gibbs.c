/* Gibbs and Metropolis sample the same |Psi|^2 = F for a Psi = sqrt(F) RBM:
 * they must agree on <x^2> (through <V_trap> = omega^2 <x^2> / 2 summed) and on
 * <E_L>, within 4 combined error bars. The RBM has random weights of size 0.3
 * so the hidden units shape the distribution. Gibbs also accepts every move. */
#include <math.h>
#include "check.h"
#include "helpers.h"

/* 16 walkers, 300 thermalisation sweeps, 8192 sweeps each */
static nqs_vmc_result run(nqs_wavefunction *wf, const nqs_sampler_type *s, uint64_t seed, int *ok) {
  return sample_vmc(wf, s, seed, 16, 300, 8192, ok);
}

int main(void) {
  nqs_factor_options fo = {.hidden = 4, .rbm_sigma = 0.75, .rbm_sqrt = 1, .init_std = 0.3, .seed = 5};
  struct {
    const char *label;
    int d, n;
    nqs_statistics st;
    nqs_interaction in;
  } cases[] = {{"2D N=2 fermions coulomb", 2, 2, NQS_FERMIONS, NQS_INTERACTION_COULOMB},
               {"1D N=3 bosons", 1, 3, NQS_BOSONS, NQS_INTERACTION_NONE},
               {"3D N=2 distinguishable coulomb", 3, 2, NQS_DISTINGUISHABLE, NQS_INTERACTION_COULOMB}};
  for (int c = 0; c < 3; c++) {
    nqs_wavefunction *wf = make_wf(cases[c].d, cases[c].n, cases[c].st, cases[c].in, 1.0, 1.0, "rbm", &fo);
    int ok1, ok2;
    nqs_vmc_result g = run(wf, &nqs_sampler_gibbs, 1, &ok1);
    nqs_vmc_result m = run(wf, &nqs_sampler_metropolis, 2, &ok2);
    double se = hypot(g.energy.error, m.energy.error), sx = hypot(g.series[2].error, m.series[2].error);
    CHECK(ok1 && ok2 && fabs(g.energy.mean - m.energy.mean) < 4 * se,
          "%-31s <E_L>: gibbs %.5f +- %.5f, metropolis %.5f +- %.5f (%.1f sigma)", cases[c].label, g.energy.mean,
          g.energy.error, m.energy.mean, m.energy.error, (g.energy.mean - m.energy.mean) / se);
    CHECK(ok1 && ok2 && fabs(g.series[2].mean - m.series[2].mean) < 4 * sx,
          "%-31s <x^2>: gibbs %.5f +- %.5f, metropolis %.5f +- %.5f (%.1f sigma)", cases[c].label, 2 * g.series[2].mean,
          2 * g.series[2].error, 2 * m.series[2].mean, 2 * m.series[2].error, (g.series[2].mean - m.series[2].mean) / sx);
    CHECK(g.acceptance == 1.0, "%-31s gibbs acceptance %.3f", cases[c].label, g.acceptance);
    nqs_wf_free(wf);
  }
  /* Gibbs refuses what it cannot sample. */
  nqs_error err;
  nqs_factor_options ff = fo;
  ff.rbm_sqrt = 0;
  nqs_wavefunction *wf = make_wf(2, 2, NQS_BOSONS, NQS_INTERACTION_NONE, 1.0, 1.0, "rbm", &ff);
  nqs_vmc_options vo = {.walkers = 2, .seed = 1};
  nqs_vmc *v = nqs_vmc_create_wf(wf, &nqs_sampler_gibbs, &vo, &err);
  CHECK(!v && err.code == NQS_EINPUT, "gibbs with rbm_psi = F refused: %s", v ? "(accepted)" : err.msg);
  nqs_vmc_free(v);
  nqs_wf_free(wf);
  return check_done();
}
