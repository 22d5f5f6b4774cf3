/* driver.c — the one VMC driver (nqs/core/driver.h): thermalise, optimise with any update rule and
 * step rejection, evaluate; checkpoints as state in memory. No files, no printing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/core/driver.h"
#include "nqs/core/memory.h"
#include "nqs/core/sr.h"
#include "warm.h"

/* Everything the optimisation carries from one iteration to the next: with the walkers and the
 * parameters, the whole state a checkpoint holds. */
typedef struct {
  long it; /* completed iterations */
  double lr_scale, diag_shift;
  int have_prev, retries;
  int remeasure; /* the next sample is at parameters already measured (after an undone step) */
  double prev_mean, prev_var, prev_err, prev_acc;
  double best[3];    /* the lowest E + 2 error of an iteration: mean, error, iteration (0: none yet) */
  double *prev;      /* np: parameters before the last step (restored on rejection) */
  double *prev_x;    /* this rank's walker coordinates before the last step's sampling */
  double *opt_state; /* opt_len */
  int opt_len;
} loop_state;

struct nqs_driver {
  nqs_config c;
  nqs_model *m;
  nqs_vmc *vmc;
  const nqs_optimizer_type *rule;
  loop_state ls;
  const nqs_comm *comm;
  nqs_fraction_fn progress;
  void *user;
  void *obs; /* the last evaluation's observables */
  double *dump;      /* evaluation.dump_samples configurations: walker g fills rows g * dump_per .. */
  long *dump_seen;   /* samples walker g has given in this evaluation */
  long dump_every;   /* a configuration every this many of a walker's samples */
  int dump_per;
  int warm_matched; /* parameters a fresh run took from run.init_from (0: none) */
  const double *trace; /* the last evaluation's local-energy series (the vmc object's buffer) */
  long trace_sweeps;
  int trace_walkers;
};

/* The run's memory from the parameter count, before the optimiser, the walkers and the sample
 * matrices are allocated: per parameter (nqs_memory_per_param), and for a rule that keeps the
 * samples (SR) the matrix of O_k over samples plus the smaller of the two Gram matrices. */
static nqs_status memory_check(const nqs_config *c, const nqs_model *m, nqs_error *err) {
  const nqs_optimizer_type *rule = nqs_optimizer_find(c->optimizer.method);
  const int keeps = rule && rule->needs_samples;
  const double np = m->nparams, ns = c->optimizer.iterations > 0 ? (double)c->optimizer.samples : 0;
  double bytes = np * nqs_memory_per_param(c->sampler.walkers);
  if (keeps) bytes += 8.0 * (m->cplx ? 2 : 1) * ns * np + 8.0 * fmin(np, ns) * fmin(np, ns);
  char what[160];
  snprintf(what, sizeof what, "this run (%.3g parameters%s%.3g samples per iteration)", np, keeps ? ", SR over " : ", ", ns);
  return nqs_memory_check(bytes, c->run.memory_limit, NULL, what, "use fewer parameters or fewer optimizer.samples", err);
}

nqs_status nqs_driver_check(const nqs_config *c, nqs_error *err) {
  nqs_model *m = nqs_model_create(c, err);
  if (!m) return err ? err->code : NQS_EINPUT;
  nqs_status st = memory_check(c, m, err);
  nqs_model_free(m);
  if (!st) st = nqs_config_check_keys(c, "run", err);
  if (st) return st;
  if (c->optimizer.iterations > 0 && c->optimizer.samples < c->sampler.walkers)
    return nqs_error_setk(err, NQS_EINPUT, "optimizer.samples",
                          "samples = %ld is fewer than walkers = %d: every walker gives one sample per sweep, so "
                          "use samples >= walkers", c->optimizer.samples, c->sampler.walkers);
  if (c->evaluation.samples < c->sampler.walkers)
    return nqs_error_setk(err, NQS_EINPUT, "evaluation.samples",
                          "samples = %ld is fewer than walkers = %d: use samples >= walkers", c->evaluation.samples,
                          c->sampler.walkers);
  return NQS_OK;
}

void nqs_driver_free(nqs_driver *d) {
  if (!d) return;
  if (d->obs) d->m->type->obs_free(d->obs);
  free(d->dump);
  free(d->dump_seen);
  nqs_vmc_free(d->vmc);
  nqs_model_free(d->m);
  free(d->ls.prev);
  free(d->ls.prev_x);
  free(d->ls.opt_state);
  free(d);
}

/* The parameters were written: let the model expand or clamp them, rebuild every walker. */
static nqs_status params_changed(nqs_driver *d, nqs_error *err) {
  d->m->type->params_changed(d->m);
  return nqs_vmc_reinit(d->vmc, err);
}

/* Put the checkpointed state back. Every record is asked for with the size this configuration
 * needs, so a checkpoint of another system, wave function, walker count or optimiser is refused
 * by name; counts and scalars are checked before use. */
static nqs_status restore(nqs_driver *d, const nqs_checkpoint *ck, nqs_error *err) {
  const nqs_model *m = d->m;
  const int nw = nqs_vmc_walkers(d->vmc), nwg = nqs_vmc_walkers_total(d->vmc), w0 = nqs_vmc_first_walker(d->vmc);
  const size_t nx = (size_t)m->ncoords, np = (size_t)m->nparams;
  loop_state *ls = &d->ls;
  const double *params = nqs_checkpoint_get(ck, "parameters", NQS_RECORD_F64, np, err);
  const double *prev = params ? nqs_checkpoint_get(ck, "previous_parameters", NQS_RECORD_F64, np, err) : NULL;
  const double *opt = prev ? nqs_checkpoint_get(ck, "optimizer_state", NQS_RECORD_F64, (size_t)ls->opt_len, err) : NULL;
  const double *pe = opt ? nqs_checkpoint_get(ck, "previous_energy", NQS_RECORD_F64, 3, err) : NULL;
  const double *x = pe ? nqs_checkpoint_get(ck, "walkers", NQS_RECORD_F64, (size_t)nwg * nx, err) : NULL;
  const uint64_t *rw = x ? nqs_checkpoint_get(ck, "walker_rng", NQS_RECORD_U64, (size_t)nwg * NQS_RNG_WORDS, err) : NULL;
  if (!rw) return NQS_EINPUT;
  long have_prev;
  double step;
  nqs_status st;
  if ((st = nqs_checkpoint_count(ck, "iteration", 0, 1000000000L, &ls->it, err)) ||
      (st = nqs_checkpoint_count(ck, "have_previous", 0, 1, &have_prev, err)) ||
      (st = nqs_checkpoint_scalar(ck, "sampler_step", &step, err)) ||
      (st = nqs_checkpoint_scalar(ck, "lr_scale", &ls->lr_scale, err)) ||
      (st = nqs_checkpoint_scalar(ck, "diag_shift", &ls->diag_shift, err)))
    return st;
  for (size_t k = 0; k < np; k++)
    if (!isfinite(params[k]) || !isfinite(prev[k]))
      return nqs_error_set(err, NQS_EINPUT, "the checkpoint's parameter %zu is not finite: the file is damaged", k);
  /* what the step checks and the verdict remember (absent from older checkpoints: no memory) */
  if (nqs_checkpoint_find(ck, "health")) {
    const double *h = nqs_checkpoint_get(ck, "health", NQS_RECORD_F64, 4, err);
    if (!h) return NQS_EINPUT;
    if (!(h[0] >= 0 && h[0] <= 1) || !isfinite(h[1]) || !(h[2] >= 0 && h[2] < INFINITY) || !(h[3] >= 0 && h[3] <= (double)ls->it))
      return nqs_error_set(err, NQS_EINPUT, "the checkpoint's record 'health' holds impossible values: the file is damaged");
    ls->prev_acc = h[0];
    memcpy(ls->best, h + 1, sizeof ls->best);
  }
  ls->have_prev = (int)have_prev;
  ls->prev_mean = pe[0];
  ls->prev_var = pe[1];
  ls->prev_err = pe[2];
  memcpy(m->params, params, sizeof(double) * np);
  memcpy(ls->prev, prev, sizeof(double) * np);
  memcpy(ls->opt_state, opt, sizeof(double) * ls->opt_len);
  nqs_vmc_set_step(d->vmc, step);
  for (int i = 0; i < nw; i++) {
    void *w = nqs_vmc_walker(d->vmc, i);
    const size_t g = (size_t)(w0 + i);
    memcpy(m->type->walker_coords(w), x + g * nx, sizeof(double) * nx);
    if (nqs_rng_unpack(m->type->walker_rng(w), rw + g * NQS_RNG_WORDS))
      return nqs_error_set(err, NQS_EINPUT, "the checkpoint's random stream of walker %zu is invalid: the file is damaged", g);
  }
  return params_changed(d, err);
}

nqs_driver *nqs_driver_create(const nqs_config *c, const nqs_driver_options *o, nqs_error *err) {
  nqs_error local;
  if (!err) err = &local;
  const nqs_checkpoint *ck = o ? o->restart : NULL;
  nqs_driver *d = calloc(1, sizeof *d);
  if (!d) {
    nqs_error_set(err, NQS_ENOMEM, "out of memory");
    return NULL;
  }
  d->c = *c;
  d->comm = o ? o->comm : NULL;
  d->progress = o ? o->progress : NULL;
  d->user = o ? o->user : NULL;
  nqs_status st = NQS_OK;
  if (!(d->m = nqs_model_create(c, err))) goto fail;
  d->rule = nqs_optimizer_find(c->optimizer.method);
  const int np = d->m->nparams;
  if (memory_check(c, d->m, err)) goto fail;
  d->ls.lr_scale = 1.0;
  d->ls.diag_shift = c->optimizer.diag_shift;
  d->ls.opt_len = np * d->rule->state_per_param;
  d->ls.prev = calloc((size_t)np + 1, sizeof(double));
  d->ls.opt_state = calloc((size_t)d->ls.opt_len + 1, sizeof(double));
  if (!d->ls.prev || !d->ls.opt_state) {
    nqs_error_set(err, NQS_ENOMEM, "out of memory for the optimiser state of %d parameters", np);
    goto fail;
  }
  nqs_vmc_options vo = {.step = c->sampler.step,
                        .target_acceptance = c->sampler.target_acceptance,
                        .walkers = c->sampler.walkers,
                        .seed = c->run.seed,
                        .threads = c->run.threads,
                        .comm = d->comm};
  if (!(d->vmc = nqs_vmc_create(d->m, &vo, err))) goto fail;
  if (!(d->ls.prev_x = malloc(sizeof(double) * ((size_t)nqs_vmc_walkers(d->vmc) * (size_t)d->m->ncoords + 1)))) {
    nqs_error_set(err, NQS_ENOMEM, "out of memory for the walkers' saved coordinates");
    goto fail;
  }
  if (ck) { /* the walkers continue where they were: no new thermalisation */
    st = nqs_comm_agree(d->comm, restore(d, ck, err), err);
  } else {
    if (o && o->init_params) { /* a warm start */
      if (o->init_nparams != np) {
        nqs_error_set(err, NQS_EINPUT, "a warm start gives %d parameters, but this wave function has %d", o->init_nparams, np);
        goto fail;
      }
      memcpy(d->m->params, o->init_params, sizeof(double) * np);
    } else if (c->run.init_from[0]) {
      if (nqs_warm_start(d->m, c, c->run.init_from, &d->warm_matched, err)) goto fail;
    }
    st = params_changed(d, err);
    if (!st) st = nqs_vmc_thermalize(d->vmc, c->sampler.thermalization, 1, err);
  }
  if (st) goto fail;
  return d;
fail:
  nqs_driver_free(d);
  return NULL;
}

long nqs_driver_iteration(const nqs_driver *d) { return d->ls.it; }
const nqs_model *nqs_driver_model(const nqs_driver *d) { return d->m; }
nqs_vmc *nqs_driver_vmc(const nqs_driver *d) { return d->vmc; }
const nqs_config *nqs_driver_config(const nqs_driver *d) { return &d->c; }
const nqs_comm *nqs_driver_comm(const nqs_driver *d) { return d->comm; }
void *nqs_driver_observables(const nqs_driver *d) { return d->obs; }

const double *nqs_driver_samples(const nqs_driver *d, long *rows, int *cols) {
  *rows = d->dump ? (long)nqs_vmc_walkers_total(d->vmc) * d->dump_per : 0;
  *cols = d->m->ncoords;
  return d->dump;
}

long nqs_driver_trace_length(const nqs_driver *d) { return d->trace ? d->trace_sweeps : 0; }

long nqs_driver_trace_mean(const nqs_driver *d, int q, double *x) {
  if (!d->trace || q < 0 || q >= d->m->nseries) return 0;
  nqs_vmc_walker_mean(d->trace + (size_t)q * d->trace_sweeps * d->trace_walkers, d->trace_sweeps, d->trace_walkers, x);
  return d->trace_sweeps;
}

const double *nqs_driver_params(const nqs_driver *d, int *n) {
  if (n) *n = d->m->nparams;
  return d->m->params;
}

int nqs_driver_warm_matched(const nqs_driver *d) { return d->warm_matched; }

void nqs_driver_param_name(const nqs_driver *d, int k, char *buf, size_t size) { d->m->type->param_name(d->m, k, buf, size); }

static double learning_rate(const nqs_config *c, long it) {
  const double eta = c->optimizer.learning_rate, k = c->optimizer.decay;
  if (strcmp(c->optimizer.schedule, "inverse") == 0) return eta / (1.0 + k * it);
  if (strcmp(c->optimizer.schedule, "exponential") == 0) return eta * exp(-k * it);
  return eta;
}

/* The walkers' coordinates are saved before each step's sampling and put back when the step is
 * undone, so that the re-measurement starts from walkers in equilibrium with the restored
 * parameters (walkers that drifted under a bad wave function would bias it for many sweeps). */
static void save_walkers(nqs_driver *d) {
  const int nw = nqs_vmc_walkers(d->vmc);
  const size_t nx = (size_t)d->m->ncoords;
  for (int i = 0; i < nw; i++) memcpy(d->ls.prev_x + i * nx, d->m->type->walker_coords(nqs_vmc_walker(d->vmc, i)), sizeof(double) * nx);
}

static void restore_walkers(nqs_driver *d) {
  const int nw = nqs_vmc_walkers(d->vmc);
  const size_t nx = (size_t)d->m->ncoords;
  for (int i = 0; i < nw; i++) memcpy(d->m->type->walker_coords(nqs_vmc_walker(d->vmc, i)), d->ls.prev_x + i * nx, sizeof(double) * nx);
}

/* Why the sample just taken (after the last step) says that step went wrong, into why ("" if it
 * did not). Statistics decide: the energy moved by more than 5 error bars of the two iterations
 * in the wrong direction (down only counts with a variance that grew tenfold: a wave function
 * that stopped being normalisable), the variance of E_L grew a hundredfold, the acceptance fell
 * to a quarter, or the energy went below a rigorous lower bound of the system. */
static void judge_step(const nqs_driver *d, nqs_status st, const nqs_vmc_result *res, const nqs_error *err, char *why, size_t size) {
  const loop_state *ls = &d->ls;
  why[0] = 0;
  if (st == NQS_ERUNTIME) snprintf(why, size, "%.255s", err->msg);
  if (st || !ls->have_prev || ls->remeasure) return;
  const nqs_estimate *e = &res->energy;
  /* variances below 1e-10 E^2 are round-off around an exact eigenstate, not a signal */
  const double bars = ls->prev_err + e->error, rise = e->mean - ls->prev_mean, tiny = 1e-12 * fabs(ls->prev_mean),
               vfloor = 1e-10 * ls->prev_mean * ls->prev_mean + 1e-300;
  double bound;
  const char *source;
  const int has_bound = d->m->type->lower_bound && d->m->type->lower_bound(d->m, &bound, &source);
  if (rise > 5 * bars + tiny)
    snprintf(why, size, "the energy rose from %.8g to %.8g, %.3g error bars", ls->prev_mean, e->mean, rise / (bars + 1e-300));
  else if (-rise > 5 * bars + tiny && e->variance > 10 * ls->prev_var + vfloor)
    snprintf(why, size, "the energy fell from %.8g to %.8g while the variance of E_L grew from %.3g to %.3g: the samples no longer follow |Psi|^2",
             ls->prev_mean, e->mean, ls->prev_var, e->variance);
  else if (e->variance > 100 * ls->prev_var + vfloor)
    snprintf(why, size, "the variance of E_L grew more than a hundredfold, from %.3g to %.3g", ls->prev_var, e->variance);
  else if (res->acceptance < 0.25 * ls->prev_acc)
    snprintf(why, size, "the acceptance collapsed from %.3f to %.3f", ls->prev_acc, res->acceptance);
  else if (has_bound && e->mean + 5 * e->error < bound - 1e-6 * fabs(bound))
    snprintf(why, size, "the energy %.8g +- %.2g lies below the lower bound %.8g (%s)", e->mean, e->error, bound, source);
}

nqs_status nqs_driver_step(nqs_driver *d, nqs_iteration *out, nqs_error *err) {
  nqs_error local;
  if (!err) err = &local;
  const nqs_config *c = &d->c;
  nqs_model *m = d->m;
  loop_state *ls = &d->ls;
  const int W = nqs_vmc_walkers_total(d->vmc), np = m->nparams;
  const long it = ls->it + 1, sweeps = (c->optimizer.samples + W - 1) / W;
  memset(out, 0, sizeof *out);
  out->iteration = it;
  save_walkers(d);
  nqs_vmc_result res;
  nqs_status st = nqs_vmc_sample(d->vmc, sweeps, NQS_WANT_GRAD | (d->rule->needs_samples ? NQS_WANT_SAMPLES : 0), &res, err);
  /* A step the sample condemns is undone and tried again, after a re-measurement at the old
   * parameters, with half the learning rate and ten times the SR shift. */
  judge_step(d, st, &res, err, out->reason, sizeof out->reason);
  if (out->reason[0] && ls->have_prev) {
    if (ls->retries >= 8)
      return nqs_error_set(err, NQS_EFAILED,
                           "iteration %ld: the optimisation diverged: %d steps in a row were undone although the learning "
                           "rate was cut to %.3g; the last one because %s. Lower optimizer.learning_rate (now %g)%s",
                           it, ls->retries + 1, learning_rate(c, it) * ls->lr_scale, out->reason, c->optimizer.learning_rate,
                           d->rule->needs_samples ? " or raise optimizer.diag_shift" : "");
    ls->retries++;
    memcpy(m->params, ls->prev, sizeof(double) * np);
    restore_walkers(d);
    ls->lr_scale *= 0.5;
    ls->diag_shift = ls->diag_shift > 0 ? 10 * ls->diag_shift : 1e-3;
    ls->remeasure = 1;
    out->rejected = 1;
    out->learning_rate = learning_rate(c, it) * ls->lr_scale;
    out->diag_shift = ls->diag_shift;
    out->sample_rule = d->rule->needs_samples;
    return params_changed(d, err);
  }
  if (st) {
    nqs_error_prefix(err, "iteration %ld", it);
    return st;
  }
  if (!ls->remeasure) ls->retries = 0;
  ls->remeasure = 0;
  const double lr = learning_rate(c, it) * ls->lr_scale;
  memcpy(ls->prev, m->params, sizeof(double) * np);
  ls->have_prev = 1;
  ls->prev_mean = res.energy.mean;
  ls->prev_var = res.energy.variance;
  ls->prev_err = res.energy.error;
  ls->prev_acc = res.acceptance;
  if (ls->best[2] == 0 || res.energy.mean + 2 * res.energy.error < ls->best[0] + 2 * ls->best[1]) {
    ls->best[0] = res.energy.mean;
    ls->best[1] = res.energy.error;
    ls->best[2] = (double)it;
  }
  out->energy = res.energy;
  out->acceptance = res.acceptance;
  out->grad_norm = res.grad_norm;
  out->learning_rate = lr;
  out->step = nqs_vmc_step(d->vmc);
  out->diag_shift = ls->diag_shift;
  out->params = ls->prev;
  out->sample_rule = d->rule->needs_samples;
  const nqs_update_input in = {.grad = res.grad, .O = res.O, .el = res.el, .eli = res.eli, .ns = res.samples, .cplx = m->cplx,
                               .force_from_grad = m->type->dlogpsi_force != NULL,
                               .diag_shift = ls->diag_shift, .diag_shift_rel = c->optimizer.diag_shift_rel,
                               .sr_solver = strcmp(c->optimizer.sr_solver, "minsr") == 0      ? NQS_SR_MINSR
                                            : strcmp(c->optimizer.sr_solver, "cholesky") == 0 ? NQS_SR_CHOLESKY
                                                                                              : NQS_SR_AUTO,
                               .max_step = c->optimizer.max_step};
  st = nqs_optimizer_apply(d->rule, &in, m->params, ls->opt_state, np, lr, it, &out->update, err);
  if (st) {
    nqs_error_prefix(err, "iteration %ld", it);
    return st;
  }
  if ((st = params_changed(d, err))) return st;
  ls->it = it;
  return NQS_OK;
}

/* Hooks of the evaluation: the model's observables and the progress callback. */
static void observe(void *ctx, int walker, const void *w) {
  const nqs_driver *d = ctx;
  if (d->obs) d->m->type->obs_measure(d->obs, walker, w);
  if (d->dump) { /* called from the thread that owns walker: its own counter and rows */
    const long k = d->dump_seen[walker]++;
    if (k % d->dump_every == d->dump_every - 1 && k / d->dump_every < d->dump_per) {
      const int nx = d->m->ncoords;
      memcpy(d->dump + ((size_t)walker * d->dump_per + k / d->dump_every) * nx, d->m->type->walker_coords((void *)w),
             sizeof(double) * nx);
    }
  }
}

static void eval_progress(void *ctx, double fraction) {
  const nqs_driver *d = ctx;
  d->progress(d->user, fraction);
}

/* What the driver knows, for the health check. */
static void judge_run(const nqs_driver *d, nqs_evaluation *ev) {
  nqs_verdict_input in = {.energy = ev->energy,
                          .acceptance = ev->acceptance,
                          .rhat = ev->rhat,
                          .samples = d->c.evaluation.samples,
                          .adapts = d->m->adapts,
                          .has_reference = ev->has_reference,
                          .reference = ev->reference,
                          .reference_source = ev->reference_source,
                          .iterations = d->ls.it,
                          .lr_scale = d->ls.lr_scale,
                          .learning_rate = d->c.optimizer.learning_rate};
  memcpy(in.best, d->ls.best, sizeof in.best);
  in.has_bound = d->m->type->lower_bound && d->m->type->lower_bound(d->m, &in.bound, &in.bound_source);
  nqs_verdict_judge(&in, &ev->verdict);
}

nqs_status nqs_driver_evaluate(nqs_driver *d, nqs_evaluation *ev, nqs_error *err) {
  nqs_error local;
  if (!err) err = &local;
  const nqs_config *c = &d->c;
  const nqs_model *m = d->m;
  memset(ev, 0, sizeof *ev);
  /* walkers re-equilibrate after the last parameter change (no step change) */
  nqs_status st = d->ls.it > 0 ? nqs_vmc_thermalize(d->vmc, c->sampler.thermalization, 0, err) : NQS_OK;
  if (st) return st;
  const int W = nqs_vmc_walkers_total(d->vmc);
  if (d->obs) {
    m->type->obs_free(d->obs);
    d->obs = NULL;
  }
  if (m->type->obs_create) {
    st = m->type->obs_create(m, c, W, nqs_vmc_walker_list(d->vmc), nqs_vmc_walkers(d->vmc), d->comm, &d->obs, err);
    if ((st = nqs_comm_agree(d->comm, st, err))) return st;
  }
  const long sweeps = (c->evaluation.samples + W - 1) / W;
  free(d->dump), free(d->dump_seen);
  d->dump = NULL, d->dump_seen = NULL;
  if (c->evaluation.dump_samples > 0) { /* spread over the walkers and over the sweeps */
    d->dump_per = (int)((c->evaluation.dump_samples + W - 1) / W);
    if (d->dump_per > sweeps) d->dump_per = (int)sweeps;
    d->dump_every = sweeps / d->dump_per;
    d->dump = calloc((size_t)W * d->dump_per * m->ncoords, sizeof(double));
    d->dump_seen = calloc(W, sizeof(long));
    if (!d->dump || !d->dump_seen)
      return nqs_error_setk(err, NQS_ENOMEM, "evaluation.dump_samples", "out of memory for %ld dumped configurations",
                            (long)W * d->dump_per);
  }
  nqs_vmc_set_hooks(d->vmc, d->obs || d->dump ? observe : NULL, d->progress ? eval_progress : NULL, d);
  nqs_vmc_result v;
  st = nqs_vmc_sample(d->vmc, sweeps, 0, &v, err);
  nqs_vmc_set_hooks(d->vmc, NULL, NULL, NULL);
  if (!st && d->obs) st = m->type->obs_reduce(d->obs, d->comm, err);
  if (!st && d->dump) st = nqs_comm_sum(d->comm, d->dump, (long)W * d->dump_per * m->ncoords, err); /* others' rows are 0 */
  if (st) {
    nqs_error_prefix(err, "evaluation");
    return st;
  }
  d->trace = v.el, d->trace_sweeps = sweeps, d->trace_walkers = W;
  ev->energy = v.energy;
  ev->nseries = v.nseries;
  for (int q = 0; q < v.nseries; q++) {
    ev->series[q] = v.series[q];
    ev->names[q] = m->series[q];
  }
  ev->acceptance = v.acceptance;
  ev->rhat = v.rhat;
  ev->samples = v.samples;
  ev->sweeps = sweeps;
  ev->has_reference = m->type->reference ? m->type->reference(m, &ev->reference, &ev->reference_source) : 0;
  judge_run(d, ev);
  return NQS_OK;
}

/* The records written here are the ones restore() reads. */
static nqs_status put_state(const nqs_driver *d, nqs_checkpoint *ck, nqs_error *err) {
  const nqs_model *m = d->m;
  const loop_state *ls = &d->ls;
  const size_t np = (size_t)m->nparams;
  const double pe[3] = {ls->prev_mean, ls->prev_var, ls->prev_err};
  const double health[4] = {ls->prev_acc, ls->best[0], ls->best[1], ls->best[2]};
  nqs_status st;
  if ((st = nqs_checkpoint_put_text(ck, "kind", "vmc", err)) || (st = nqs_checkpoint_put(ck, "parameters", m->params, np, err)) ||
      (st = nqs_checkpoint_put(ck, "previous_parameters", ls->prev, np, err)) ||
      (st = nqs_checkpoint_put(ck, "optimizer_state", ls->opt_state, (size_t)ls->opt_len, err)) ||
      (st = nqs_checkpoint_put(ck, "previous_energy", pe, 3, err)) || (st = nqs_checkpoint_put(ck, "health", health, 4, err)) ||
      (st = nqs_checkpoint_put_scalar(ck, "iteration", (double)ls->it, err)) ||
      (st = nqs_checkpoint_put_scalar(ck, "have_previous", ls->have_prev, err)) ||
      (st = nqs_checkpoint_put_scalar(ck, "sampler_step", nqs_vmc_step(d->vmc), err)) ||
      (st = nqs_checkpoint_put_scalar(ck, "lr_scale", ls->lr_scale, err)) ||
      (st = nqs_checkpoint_put_scalar(ck, "diag_shift", ls->diag_shift, err)))
    return st;
  char *text = nqs_config_text(&d->c, "run"), *names = calloc(np * 72 + 1, 1);
  if (!text || !names) st = nqs_error_set(err, NQS_ENOMEM, "out of memory writing a checkpoint");
  for (size_t k = 0, at = 0; k < np && !st; k++) {
    char name[64];
    m->type->param_name(m, (int)k, name, sizeof name);
    at += (size_t)sprintf(names + at, "%s%s", k ? "," : "", name);
  }
  if (!st) st = nqs_checkpoint_put_text(ck, "config", text, err);
  if (!st) st = nqs_checkpoint_put_text(ck, "parameter_names", names, err);
  free(text);
  free(names);
  return st;
}

/* What each record holds, for people reading checkpoint.h5 (the attribute "about"). */
static nqs_status describe_state(nqs_checkpoint *ck, const nqs_model *m, nqs_error *err) {
  char e[64], wk[200];
  snprintf(e, sizeof e, "(%s)", m->energy_unit);
  snprintf(wk, sizeof wk, "one row per walker: its %d coordinates (%s)", m->ncoords,
           m->ncoords > 0 && m->length_unit && strcmp(m->length_unit, "sites") == 0 ? "spins +-1" : "x, y, ... of each particle in turn");
  const char *const about[][2] = {
      {"kind", "the command that wrote the checkpoint"},
      {"config", "the resolved input file (INI text)"},
      {"parameters", "the variational parameters, named in order by parameter_names"},
      {"parameter_names", "the names of the parameters, comma-separated, in their order"},
      {"previous_parameters", "the parameters before the last step (put back if it is undone)"},
      {"optimizer_state", "the update rule's memory (Adam's moments; empty when the rule keeps none)"},
      {"previous_energy", "the last iteration's energy: mean, variance of E_L, error"},
      {"health", "the last iteration's acceptance; then the iteration with the lowest E + 2 error: its mean, error, index"},
      {"iteration", "iterations completed"},
      {"have_previous", "1 when previous_parameters and previous_energy hold a measured step"},
      {"sampler_step", "the adapted proposal step length"},
      {"lr_scale", "the factor the learning rate was halved to by undone steps"},
      {"diag_shift", "the current SR diagonal shift"},
      {"walkers", wk},
      {"walker_rng", "one row per walker: its random-number generator state"},
  };
  for (size_t k = 0; k < sizeof about / sizeof about[0]; k++) {
    char text[200];
    const int energy = strcmp(about[k][0], "previous_energy") == 0 || strcmp(about[k][0], "health") == 0;
    snprintf(text, sizeof text, "%s%s%s", about[k][1], energy ? " " : "", energy ? e : "");
    if (nqs_checkpoint_find(ck, about[k][0])) {
      nqs_status st = nqs_checkpoint_describe(ck, about[k][0], text, err);
      if (st) return st;
    }
  }
  return NQS_OK;
}

nqs_status nqs_driver_checkpoint(const nqs_driver *d, nqs_checkpoint *ck, nqs_error *err) {
  nqs_error local;
  if (!err) err = &local;
  const nqs_model *m = d->m;
  const int nw = nqs_vmc_walkers(d->vmc), nwg = nqs_vmc_walkers_total(d->vmc), w0 = nqs_vmc_first_walker(d->vmc);
  const size_t nx = (size_t)m->ncoords;
  nqs_checkpoint_init(ck);
  nqs_status st = put_state(d, ck, err);
  /* every rank fills its walkers at their global places; the sums give every rank all of them */
  double *x = st ? NULL : nqs_checkpoint_add(ck, "walkers", NQS_RECORD_F64, (size_t)nwg, nx, err);
  uint64_t *rw = x ? nqs_checkpoint_add(ck, "walker_rng", NQS_RECORD_U64, (size_t)nwg, NQS_RNG_WORDS, err) : NULL;
  if (!st && !rw) st = err->code;
  for (int i = 0; i < nw && !st; i++) {
    void *w = nqs_vmc_walker(d->vmc, i);
    const size_t g = (size_t)(w0 + i);
    memcpy(x + g * nx, m->type->walker_coords(w), sizeof(double) * nx);
    nqs_rng_pack(m->type->walker_rng(w), rw + g * NQS_RNG_WORDS);
  }
  if (!st) st = nqs_comm_sum(d->comm, x, (long)((size_t)nwg * nx), err);
  if (!st) st = nqs_comm_sum_u64(d->comm, rw, (long)nwg * NQS_RNG_WORDS, err);
  if (!st) st = describe_state(ck, m, err);
  if (st) nqs_checkpoint_free(ck);
  return nqs_comm_agree(d->comm, st, err);
}
