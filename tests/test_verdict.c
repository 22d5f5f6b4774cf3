/* The health check of a run (docs/verdicts.md): each check fires on the numbers it is meant
 * for and stays quiet on a healthy run; and through the driver, the exact state of free bosons
 * (zero variance, moving walkers) passes while stuck walkers fail. */
#include <string.h>
#include "check.h"
#include "helpers.h"

/* A healthy optimised run: the Taut dot at the optimum of Slater x Pade. */
static nqs_verdict_input healthy(void) {
  return (nqs_verdict_input){.energy = {.mean = 3.00036, .error = 5e-5, .variance = 1.8e-3, .converged = 1},
                             .acceptance = 0.9, .rhat = 1.001, .samples = 1000000, .adapts = 1,
                             .has_bound = 1, .bound = 3.0, .bound_source = "exact (Taut)",
                             .has_reference = 1, .reference = 3.0, .reference_source = "exact (Taut)",
                             .iterations = 100, .best = {3.0003, 1.5e-3, 87}, .lr_scale = 1, .learning_rate = 0.01};
}

/* judge in and expect `level` with a finding of `check` at that level ("" for none) */
static void expect(const char *label, const nqs_verdict_input *in, nqs_verdict_level level, const char *check) {
  nqs_verdict v;
  nqs_verdict_judge(in, &v);
  int found = !check[0];
  for (int k = 0; k < v.count; k++) found |= strcmp(v.finding[k].check, check) == 0 && v.finding[k].level == level;
  CHECK(v.level == level && found, "%s: %s%s%s", label, nqs_verdict_name(v.level), v.count ? ": " : "", v.count ? v.finding[v.count - 1].text : "");
}

static void synthetic(void) {
  nqs_verdict_input in = healthy();
  expect("healthy run", &in, NQS_VERDICT_OK, "");
  in = healthy();
  in.energy.mean = NAN;
  expect("non-finite energy", &in, NQS_VERDICT_FAILED, "finite");
  in = healthy();
  in.acceptance = 0.0;
  in.energy.variance = 0;
  expect("stuck walkers with zero variance", &in, NQS_VERDICT_FAILED, "acceptance");
  in = healthy();
  in.acceptance = 0.05;
  expect("low acceptance", &in, NQS_VERDICT_WARNING, "acceptance");
  in = healthy();
  in.energy.mean = 2.9990; /* 20 error bars below Taut's exact 3 */
  in.best[0] = 2.999;
  expect("below the exact bound", &in, NQS_VERDICT_FAILED, "bound");
  in = healthy();
  in.energy.mean = 2.99985; /* 3 error bars below: statistics, not a violation */
  in.best[0] = 2.9998;
  expect("3 error bars below the bound", &in, NQS_VERDICT_OK, "");
  in = healthy();
  in.energy = (nqs_estimate){.mean = 3.8055, .error = 0.0039, .variance = 2.17, .converged = 1};
  in.best[0] = 3.00504; /* Adam at rate 10 before the step control: it left iteration 1's state */
  in.best[1] = 0.0016;
  in.best[2] = 1;
  expect("far above the best iteration", &in, NQS_VERDICT_FAILED, "optimisation");
  in.iterations = 0; /* an evaluation only: nothing to compare */
  expect("no optimisation, no optimisation check", &in, NQS_VERDICT_WARNING, "reference");
  in = healthy();
  in.reference = 20.15932; /* 2D N = 6: below fixed-node DMC, which better nodes may reach */
  in.reference_source = "DMC (Hogberget 2013)";
  in.has_bound = 0;
  in.energy = (nqs_estimate){.mean = 20.15749, .error = 0.00011, .variance = 0.0147, .converged = 1};
  in.best[0] = 20.1575;
  expect("16 error bars below DMC", &in, NQS_VERDICT_WARNING, "below_reference");
  in.energy.mean = 20.1591;
  expect("2 error bars below DMC: statistics", &in, NQS_VERDICT_OK, "");
  in = healthy();
  in.energy.converged = 0;
  expect("no blocking plateau", &in, NQS_VERDICT_WARNING, "blocking");
  in = healthy();
  in.rhat = 1.5;
  expect("walkers disagree", &in, NQS_VERDICT_WARNING, "mixing");
  in = healthy();
  in.lr_scale = 1.0 / 16;
  expect("four undone steps", &in, NQS_VERDICT_WARNING, "steps");
  in.lr_scale = 0.5;
  expect("one undone step is the step control's business", &in, NQS_VERDICT_OK, "");
  in = healthy();
  in.energy = (nqs_estimate){.mean = 24.142135623730951, .error = 0, .variance = 0, .converged = 0};
  in.has_bound = in.has_reference = 0;
  in.best[0] = 24.142135623730951;
  in.best[1] = 0;
  expect("an exact eigenstate (zero variance, moving walkers)", &in, NQS_VERDICT_OK, "");
}

/* Through the driver: free bosons in 2D, the exact Gaussian (E = 2, zero variance) passes;
 * Metropolis with step 100 and no adaptation leaves the walkers stuck. */
static void driven(void) {
  for (int k = 0; k < 2; k++) {
    nqs_config c;
    nqs_config_defaults(&c);
    nqs_error err;
    CHECK(!nqs_config_set(&c, "system.statistics=bosons", &err) && !nqs_config_set(&c, "system.interaction=none", &err) &&
              !nqs_config_set(&c, "wavefunction.factors=gaussian", &err) &&
              !nqs_config_set(&c, k ? "sampler.method=metropolis" : "sampler.method=langevin", &err),
          "free bosons by --set strings");
    c.optimizer.iterations = 0;
    c.evaluation.samples = 20000;
    if (k) {
      c.sampler.step = 100;
      c.sampler.thermalization = 0;
    }
    nqs_driver *d = nqs_driver_create(&c, NULL, &err);
    nqs_evaluation ev;
    const int ok = d && nqs_driver_evaluate(d, &ev, &err) == NQS_OK;
    const nqs_verdict *v = &ev.verdict;
    if (!k)
      CHECK(ok && v->level == NQS_VERDICT_OK && fabs(ev.energy.mean - 2) < 1e-12, "exact Gaussian: E = %.15f, verdict %s",
            ok ? ev.energy.mean : NAN, ok ? nqs_verdict_name(v->level) : err.msg);
    else
      CHECK(ok && v->level == NQS_VERDICT_FAILED && strcmp(v->finding[0].check, "acceptance") == 0,
            "Metropolis step 100: acceptance %.4f, verdict %s: %s", ok ? ev.acceptance : NAN,
            ok ? nqs_verdict_name(v->level) : err.msg, ok && v->count ? v->finding[0].text : "");
    nqs_driver_free(d);
  }
}

int main(void) {
  synthetic();
  driven();
  return check_done();
}
