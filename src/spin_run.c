/* spin_run.c — variational Monte Carlo of lattice spin models with an RBM (nqs/spin.h):
 * many Markov chains over OpenMP threads, SR / Adam / SGD, blocking error bars, a run
 * folder (config.ini, log.jsonl, energy.csv, result.json) and the exact energy beside
 * the result when it is known (free fermions, Lanczos up to 20 sites, the Bethe-ansatz
 * energy of the periodic Heisenberg chain of 40 sites).
 * Not yet: checkpoints and MPI for lattice runs. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/optimizer.h"
#include "nqs/spin.h"
#include "nqs/sr.h"
#include "nqs/stats.h"
#include "run_internal.h"

typedef struct {
  const nqs_spin_system *sys;
  nqs_spin_rbm *rbm;
  nqs_spin_walker *w;
  int nw, threads, marshall;
  double *el, *O, *wmean; /* samples; samples x nparams; sweeps x 2 */
} chains;

/* sweeps per walker: one sample per sweep; with O != NULL also the O vectors. */
static nqs_status sample(chains *ch, long sweeps, int with_o, nqs_estimate *e, double *acc, nqs_error *err) {
  const int nw = ch->nw, np = ch->rbm->nparams;
  const long ns = sweeps * nw;
  long a = 0;
  int bad = 0;
#pragma omp parallel for schedule(static) num_threads(ch->threads) reduction(+ : a, bad)
  for (int i = 0; i < nw; i++)
    for (long t = 0; t < sweeps; t++) {
      a += nqs_spin_sweep(ch->sys, ch->rbm, &ch->w[i]);
      const long idx = t * nw + i;
      ch->el[idx] = nqs_spin_local_energy(ch->sys, ch->rbm, &ch->w[i], ch->marshall);
      if (!isfinite(ch->el[idx])) bad++;
      if (with_o) nqs_spin_dlogpsi(ch->rbm, &ch->w[i], ch->O + (size_t)idx * np);
    }
  if (bad) return nqs_error_set(err, NQS_ERUNTIME, "non-finite local energy: lower [optimizer] learning_rate");
  for (long t = 0; t < sweeps; t++) {
    double s = 0;
    for (int i = 0; i < nw; i++) s += ch->el[t * nw + i];
    ch->wmean[t] = s / nw;
  }
  *e = nqs_blocking(ch->wmean, sweeps, ch->wmean + sweeps);
  double var = 0;
  for (long k = 0; k < ns; k++) var += (ch->el[k] - e->mean) * (ch->el[k] - e->mean);
  e->variance = var / ns;
  e->n = ns;
  *acc = (double)a / ((double)ns * ch->sys->nsites);
  return NQS_OK;
}

static void reinit(chains *ch) {
  for (int i = 0; i < ch->nw; i++) nqs_spin_walker_init(ch->rbm, &ch->w[i]);
}

nqs_status nqs_spin_run(const nqs_config *c, const nqs_run_options *o, nqs_run_result *res, nqs_error *err) {
  if (o && (o->restart || nqs_comm_size(o->comm) > 1))
    return nqs_error_set(err, NQS_EINPUT, "lattice runs cannot restart or use MPI yet (issue #6)");
  const double t0 = nqs_run_now();
  nqs_spin_system sys;
  nqs_status st = nqs_config_spin_system(c, &sys, err);
  if (st) return st;
  const int n = sys.nsites, nw = c->sampler.walkers, heis = sys.model == NQS_MODEL_HEISENBERG;
  const int marshall = heis && strcmp(c->lattice.marshall, "yes") == 0;
  if (marshall && !nqs_spin_bipartite(&sys, NULL)) {
    nqs_spin_system_free(&sys);
    return nqs_error_setk(err, NQS_EINPUT, "lattice.marshall",
                          "the Marshall sign rule needs a bipartite lattice (even length when periodic); set marshall = no");
  }
  if (heis && n % 2) {
    nqs_spin_system_free(&sys);
    return nqs_error_setk(err, NQS_EINPUT, "lattice.length", "heisenberg runs sample at zero magnetisation: need an even number of sites");
  }
  if ((st = nqs_run_make_dir(c, 0, res->dir, sizeof res->dir, err)) || (st = nqs_run_write_config(c, res->dir, err))) {
    nqs_spin_system_free(&sys);
    return st;
  }
  nqs_spin_rbm rbm;
  chains ch = {.sys = &sys, .rbm = &rbm, .nw = nw, .marshall = marshall,
               .threads = c->run.threads > 0 ? c->run.threads : omp_get_max_threads()};
  FILE *log = NULL, *csv = NULL;
  double *delta = NULL, *opt_state = NULL;
  const long sweeps_opt = (c->optimizer.samples + nw - 1) / nw, sweeps_eval = (c->evaluation.samples + nw - 1) / nw;
  const long maxs = sweeps_opt > sweeps_eval ? sweeps_opt : sweeps_eval;
  if ((st = nqs_spin_rbm_init(&rbm, n, c->lattice.alpha * n, c->wavefunction.init_std, c->run.seed, err))) goto out;
  const int np = rbm.nparams;
  if (o && o->init_params) { /* a warm start (nqs sweep) */
    if (o->init_nparams != np) {
      st = nqs_error_set(err, NQS_EINPUT, "a warm start gives %d parameters, but this RBM has %d", o->init_nparams, np);
      goto out;
    }
    memcpy(rbm.params, o->init_params, sizeof(double) * np);
  }
  ch.w = calloc((size_t)nw, sizeof *ch.w);
  ch.el = malloc(sizeof(double) * (size_t)(maxs * nw));
  ch.O = malloc(sizeof(double) * (size_t)(sweeps_opt * nw) * np);
  ch.wmean = malloc(sizeof(double) * (size_t)(2 * maxs));
  delta = malloc(sizeof(double) * np);
  const nqs_optimizer_type *opt = nqs_optimizer_find(c->optimizer.method); /* NULL for sr */
  opt_state = calloc((size_t)(opt ? opt->state_per_param * np : 1) + 1, sizeof(double));
  if (!ch.w || !ch.el || !ch.O || !ch.wmean || !delta || !opt_state) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory for %d walkers and %d parameters", nw, np);
    goto out;
  }
  for (int i = 0; i < nw && !st; i++) {
    if ((st = nqs_spin_walker_alloc(&rbm, &ch.w[i], err))) break;
    nqs_rng_seed(&ch.w[i].rng, c->run.seed, (uint64_t)i);
    for (int k = 0; k < n; k++) ch.w[i].s[k] = heis ? (k % 2 ? -1.0 : 1.0) : (nqs_rng_uniform(&ch.w[i].rng) < 0.5 ? 1.0 : -1.0);
    if (heis) /* a random zero-magnetisation start: shuffle */
      for (int k = n - 1; k > 0; k--) {
        int m = (int)(nqs_rng_uniform(&ch.w[i].rng) * (k + 1));
        m = m > k ? k : m;
        const double tmp = ch.w[i].s[k];
        ch.w[i].s[k] = ch.w[i].s[m];
        ch.w[i].s[m] = tmp;
      }
  }
  if (st) goto out;
  reinit(&ch);
  for (int i = 0; i < nw; i++)
    for (int t = 0; t < c->sampler.thermalization; t++) nqs_spin_sweep(&sys, &rbm, &ch.w[i]);

  char path[600];
  snprintf(path, sizeof path, "%s/log.jsonl", res->dir);
  log = fopen(path, "w");
  snprintf(path, sizeof path, "%s/energy.csv", res->dir);
  csv = fopen(path, "w");
  if (!log || !csv) {
    st = nqs_error_set(err, NQS_EIO, "cannot write the run folder %s", res->dir);
    goto out;
  }
  fprintf(csv, "iteration,energy,error,variance,acceptance,wall_seconds\n");
  nqs_sr_options so = {.diag_shift = c->optimizer.diag_shift, .diag_shift_rel = c->optimizer.diag_shift_rel};
  nqs_progress pr = {.phase = "optimize", .iterations = c->optimizer.iterations, .has_energy = 1};
  const double t_opt = nqs_run_now();
  for (long it = 1; it <= c->optimizer.iterations; it++) {
    nqs_estimate e;
    double acc;
    if ((st = sample(&ch, sweeps_opt, 1, &e, &acc, err))) {
      nqs_error_prefix(err, "iteration %ld", it);
      goto out;
    }
    const long ns = sweeps_opt * nw;
    const double lr = nqs_run_learning_rate(c, it);
    if (!opt) {
      nqs_sr_info info;
      if ((st = nqs_sr_solve(ch.O, ch.el, ns, np, &so, delta, &info, err))) goto out;
      for (int k = 0; k < np; k++) rbm.params[k] -= lr * delta[k];
    } else {
      /* grad = 2 (<E_L O> - <E_L><O>) */
      for (int k = 0; k < np; k++) {
        double so_ = 0, seo = 0;
        for (long q = 0; q < ns; q++) {
          so_ += ch.O[(size_t)q * np + k];
          seo += ch.el[q] * ch.O[(size_t)q * np + k];
        }
        delta[k] = 2 * (seo / ns - e.mean * so_ / ns);
      }
      opt->step(rbm.params, delta, opt_state, np, lr, it);
    }
    reinit(&ch);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "iteration", (double)it);
    cJSON *je = cJSON_AddObjectToObject(j, "energy");
    cJSON_AddNumberToObject(je, "mean", e.mean);
    cJSON_AddNumberToObject(je, "error", e.error);
    cJSON_AddNumberToObject(je, "variance", e.variance);
    cJSON_AddNumberToObject(j, "acceptance", acc);
    cJSON_AddNumberToObject(j, "learning_rate", lr);
    cJSON_AddNumberToObject(j, "wall_seconds", nqs_run_now() - t0);
    nqs_run_log_line(log, j);
    fprintf(csv, "%ld,%.12g,%.6g,%.6g,%.4f,%.3f\n", it, e.mean, e.error, e.variance, acc, nqs_run_now() - t0);
    fflush(csv);
    if (o && o->progress) {
      pr.iteration = (int)it;
      pr.fraction = (double)it / c->optimizer.iterations;
      pr.energy = e.mean;
      pr.error = e.error;
      pr.acceptance = acc;
      pr.elapsed = nqs_run_now() - t_opt;
      o->progress(o->user, &pr);
    }
  }
  const double per_it = c->optimizer.iterations > 0 ? (nqs_run_now() - t_opt) / c->optimizer.iterations : 0;
  nqs_estimate e;
  double acc;
  if ((st = sample(&ch, sweeps_eval, 0, &e, &acc, err))) {
    nqs_error_prefix(err, "evaluation");
    goto out;
  }
  res->energy = e;
  res->acceptance = acc;
  res->samples = sweeps_eval * nw;
  /* the exact energy: free fermions for periodic TFIM chains, Bethe ansatz for L = 40, else Lanczos up to 20 sites */
  const int free_fermions = !heis && strcmp(c->lattice.graph, "chain") == 0 && strcmp(c->lattice.boundary, "periodic") == 0 &&
                            sys.J == 1.0 && n % 2 == 0;
  if (free_fermions) {
    res->has_reference = 1;
    res->reference = nqs_tfim_chain_exact(n, sys.h);
    res->reference_source = "exact (free fermions)";
  } else if (heis && n == 40 && strcmp(c->lattice.graph, "chain") == 0 && strcmp(c->lattice.boundary, "periodic") == 0 &&
             sys.J == 1.0 && sys.delta == 1.0) {
    res->has_reference = 1;
    res->reference = -70.98609; /* ../shared/REFERENCES.md */
    res->reference_source = "exact (Bethe ansatz)";
  } else if (n <= 20 && nqs_exact_ground(&sys, &res->reference, err) == NQS_OK) {
    res->has_reference = 1;
    res->reference_source = "exact (Lanczos)";
  }
  res->wall_seconds = nqs_run_now() - t0;
  cJSON *out = cJSON_CreateObject();
  cJSON_AddItemToObject(out, "energy", nqs_run_estimate_json(&e));
  cJSON_AddNumberToObject(out, "energy_per_site", e.mean / n);
  cJSON_AddNumberToObject(out, "acceptance", acc);
  cJSON_AddNumberToObject(out, "samples", (double)res->samples);
  if (res->has_reference) {
    cJSON *ref = cJSON_AddObjectToObject(out, "reference");
    cJSON_AddNumberToObject(ref, "value", res->reference);
    cJSON_AddStringToObject(ref, "source", res->reference_source);
    cJSON_AddNumberToObject(out, "relative_error", (e.mean - res->reference) / fabs(res->reference));
  }
  cJSON *sy = cJSON_AddObjectToObject(out, "system");
  cJSON_AddStringToObject(sy, "model", c->lattice.model);
  cJSON_AddStringToObject(sy, "graph", c->lattice.graph);
  cJSON_AddNumberToObject(sy, "sites", n);
  cJSON_AddNumberToObject(sy, "hidden", rbm.H);
  cJSON_AddNumberToObject(out, "parameters", np);
  cJSON_AddNumberToObject(out, "iterations", c->optimizer.iterations);
  cJSON_AddNumberToObject(out, "seconds_per_iteration", per_it);
  cJSON_AddNumberToObject(out, "wall_seconds", res->wall_seconds);
  char *text = cJSON_Print(out);
  cJSON_Delete(out);
  st = text ? nqs_run_write_atomic(res->dir, "result.json", text, err) : nqs_error_set(err, NQS_ENOMEM, "out of memory");
  free(text);
  res->params = malloc(sizeof(double) * np);
  if (res->params) {
    memcpy(res->params, rbm.params, sizeof(double) * np);
    res->nparams = np;
  }
out:
  if (log) fclose(log);
  if (csv) fclose(csv);
  for (int i = 0; ch.w && i < nw; i++) nqs_spin_walker_free(&ch.w[i]);
  free(ch.w);
  free(ch.el);
  free(ch.O);
  free(ch.wmean);
  free(delta);
  free(opt_state);
  nqs_spin_rbm_free(&rbm);
  nqs_spin_system_free(&sys);
  return st;
}
