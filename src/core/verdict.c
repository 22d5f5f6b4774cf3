/* verdict.c — the health check of an evaluation (nqs/core/verdict.h, docs/verdicts.md): a pure
 * function of the numbers a run produced. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "nqs/core/verdict.h"

const char *nqs_verdict_name(nqs_verdict_level level) {
  return level == NQS_VERDICT_FAILED ? "failed" : level == NQS_VERDICT_WARNING ? "warning" : "ok";
}

void nqs_verdict_add(nqs_verdict *v, nqs_verdict_level level, const char *check, const char *fmt, ...) {
  if (level > v->level) v->level = level;
  if (v->count == NQS_MAX_FINDINGS) return;
  v->finding[v->count].level = level;
  snprintf(v->finding[v->count].check, sizeof v->finding[0].check, "%s", check);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->finding[v->count].text, sizeof v->finding[0].text, fmt, ap);
  va_end(ap);
  v->count++;
}

void nqs_verdict_judge(const nqs_verdict_input *in, nqs_verdict *v) {
  const nqs_estimate *e = &in->energy;
  memset(v, 0, sizeof *v);
  if (!isfinite(e->mean) || !isfinite(e->error)) {
    nqs_verdict_add(v, NQS_VERDICT_FAILED, "finite", "the energy is not finite (%g +- %g)", e->mean, e->error);
    return;
  }
  const int eigenstate = e->variance <= 1e-20 * (1 + e->mean * e->mean);
  if (in->acceptance < 0.01)
    nqs_verdict_add(v, NQS_VERDICT_FAILED, "acceptance", "the walkers are stuck: acceptance %.4f%s. %s", in->acceptance,
            eigenstate ? ", and a zero variance then proves nothing: the walkers hardly moved" : "",
            in->adapts ? "Lower sampler.step or raise sampler.thermalization so that the step adapts"
                       : "The wave function is too peaked for these moves: lower optimizer.learning_rate");
  else if (in->acceptance < 0.1)
    nqs_verdict_add(v, NQS_VERDICT_WARNING, "acceptance",
            "the acceptance %.3f is low: the samples are strongly correlated and the error bar rests on the blocking analysis",
            in->acceptance);
  if (!eigenstate && !e->converged)
    nqs_verdict_add(v, NQS_VERDICT_WARNING, "blocking",
            "the blocking analysis of E_L found no plateau, so the error bar may be too small: raise evaluation.samples (now %ld)",
            in->samples);
  if (!eigenstate && isfinite(in->rhat) && in->rhat > 1.1)
    nqs_verdict_add(v, NQS_VERDICT_WARNING, "mixing",
            "the walkers disagree (R-hat = %.3f > 1.1): raise sampler.thermalization or evaluation.samples", in->rhat);
  if (in->has_bound && e->mean + 5 * e->error < in->bound - 1e-6 * fabs(in->bound))
    nqs_verdict_add(v, NQS_VERDICT_FAILED, "bound",
            "E = %.8g +- %.2g lies below the lower bound %.8g (%s), which no wave function can do: the samples do not "
            "follow |Psi|^2 (a wave function that is not normalisable, or a sampler that does not mix)",
            e->mean, e->error, in->bound, in->bound_source);
  const double gap = e->mean - in->best[0];
  if (in->iterations > 0 && in->best[2] > 0 && gap > 7 * in->best[1] + 5 * e->error + 1e-9 * fabs(e->mean))
    nqs_verdict_add(v, NQS_VERDICT_FAILED, "optimisation",
            "E = %.8g +- %.2g lies %.3g above the %.8g +- %.2g of iteration %.0f: the optimisation left its best state "
            "(it diverged or oscillates). Lower optimizer.learning_rate (now %g)",
            e->mean, e->error, gap, in->best[0], in->best[1], in->best[2], in->learning_rate);
  if (in->lr_scale < 0.1) /* four or more undone steps; fewer are the step control doing its job */
    nqs_verdict_add(v, NQS_VERDICT_WARNING, "steps",
            "steps were undone during the optimisation and the learning rate was cut to %.3g of its schedule: "
            "optimizer.learning_rate = %g is too large for this state (log.jsonl lists the undone steps)",
            in->lr_scale, in->learning_rate);
  if (in->has_reference && e->mean - in->reference > 0.05 * fabs(in->reference) + 5 * e->error)
    nqs_verdict_add(v, NQS_VERDICT_WARNING, "reference",
            "E lies %.1f%% above the reference %.8g (%s): the wave function or its optimisation falls short",
            100 * (e->mean - in->reference) / fabs(in->reference), in->reference, in->reference_source);
  /* Below an estimate that is itself variational (fixed-node DMC): possible with better nodes,
   * but a claim that needs an independent check. (Below an exact energy is the bound's case.) */
  if (in->has_reference && e->error > 0 && e->mean + 3 * e->error < in->reference &&
      strncmp(in->reference_source ? in->reference_source : "", "exact", 5) != 0)
    nqs_verdict_add(v, NQS_VERDICT_WARNING, "below_reference",
            "E lies %.1f error bars below the reference %.8g (%s), which is itself an upper bound: possible with better "
            "nodes than the reference's, but confirm it by a longer evaluation with another sampler and seed (nqs run "
            "INPUT --set run.init_from=DIR --set optimizer.iterations=0 --set sampler.method=metropolis --set run.seed=2)", (in->reference - e->mean) / e->error, in->reference, in->reference_source);
}

