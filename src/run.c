/* run.c — the run driver: folder, optimisation loop, evaluation, JSON outputs. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "nqs/optimizer.h"
#include "nqs/run.h"
#include "nqs/sr.h"
#include "nqs/vmc.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int mkdir_p(const char *path) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      if (mkdir(buf, 0777) && errno != EEXIST) return -1;
      *p = '/';
    }
  if (mkdir(buf, 0777) && errno != EEXIST) return -1;
  return 0;
}

static int exists(const char *dir, const char *name) {
  char p[600];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return access(p, F_OK) == 0;
}

/* Create the run folder; refuse one that holds an earlier run. */
static nqs_status make_run_dir(const nqs_config *c, char *dir, size_t size, nqs_error *err) {
  if (c->output.dir[0]) {
    snprintf(dir, size, "%s", c->output.dir);
    if (exists(dir, "log.jsonl") || exists(dir, "result.json"))
      return nqs_error_setk(err, NQS_EINPUT, "output.dir",
                            "'%s' holds an earlier run (log.jsonl or result.json); choose another folder with --out, "
                            "or move that one away", dir);
  } else {
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(dir, size, "runs/%s", stamp);
    for (int k = 2; access(dir, F_OK) == 0 && k < 1000; k++) snprintf(dir, size, "runs/%s-%d", stamp, k);
  }
  if (mkdir_p(dir))
    return nqs_error_set(err, NQS_EIO, "cannot create the run folder '%s': %s", dir, strerror(errno));
  return NQS_OK;
}

/* Write text to dir/name through a temporary file, fsync and rename, so a
 * crash leaves either the old file or the new one, never a torn one. */
static nqs_status write_atomic(const char *dir, const char *name, const char *text, nqs_error *err) {
  char path[600], tmp[620];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return nqs_error_set(err, NQS_EIO, "cannot write %s: %s", tmp, strerror(errno));
  size_t len = strlen(text), off = 0;
  while (off < len) {
    ssize_t w = write(fd, text + off, len - off);
    if (w < 0) {
      close(fd);
      return nqs_error_set(err, NQS_EIO, "cannot write %s: %s", tmp, strerror(errno));
    }
    off += (size_t)w;
  }
  if (fsync(fd) || close(fd) || rename(tmp, path))
    return nqs_error_set(err, NQS_EIO, "cannot finish writing %s: %s", path, strerror(errno));
  return NQS_OK;
}

static cJSON *estimate_json(const nqs_estimate *e) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "mean", e->mean);
  cJSON_AddNumberToObject(o, "error", e->error);
  cJSON_AddNumberToObject(o, "variance", e->variance);
  cJSON_AddNumberToObject(o, "tau_int", e->tau_int);
  cJSON_AddBoolToObject(o, "blocking_converged", e->converged);
  return o;
}

static cJSON *params_json(const nqs_wavefunction *wf) {
  cJSON *o = cJSON_CreateObject();
  for (int k = 0; k < wf->nparams; k++) cJSON_AddNumberToObject(o, wf->param_names[k], wf->params[k]);
  return o;
}

static double learning_rate(const nqs_config *c, int it) {
  const double eta = c->optimizer.learning_rate, k = c->optimizer.decay;
  if (strcmp(c->optimizer.schedule, "inverse") == 0) return eta / (1.0 + k * it);
  if (strcmp(c->optimizer.schedule, "exponential") == 0) return eta * exp(-k * it);
  return eta;
}

static void log_line(FILE *log, cJSON *o) {
  char *line = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (line) {
    fprintf(log, "%s\n", line);
    fflush(log);
    free(line);
  }
}

nqs_status nqs_run(const nqs_config *c, nqs_progress_fn progress, void *user, nqs_run_result *res, nqs_error *err) {
  memset(res, 0, sizeof *res);
  nqs_status st = nqs_config_check(c, err);
  if (st) return st;
  const double t0 = now();

  st = make_run_dir(c, res->dir, sizeof res->dir, err);
  if (st) return st;
  {
    char path[600];
    snprintf(path, sizeof path, "%s/config.ini", res->dir);
    FILE *f = fopen(path, "w");
    if (!f) return nqs_error_set(err, NQS_EIO, "cannot write %s: %s", path, strerror(errno));
    nqs_config_write(c, f);
    fclose(f);
  }

  nqs_system sys;
  st = nqs_config_system(c, &sys, err);
  if (st) return st;
  nqs_factor_options fo = nqs_config_factor_options(c);
  nqs_wavefunction *wf = nqs_wf_create(&sys, c->wavefunction.factors, &fo, err);
  if (!wf) return err->code;
  nqs_vmc_options vo = {.sampler = nqs_sampler_find(c->sampler.method),
                        .step = c->sampler.step,
                        .target_acceptance = c->sampler.target_acceptance,
                        .walkers = c->sampler.walkers,
                        .seed = c->run.seed,
                        .threads = c->run.threads};
  const nqs_optimizer_type *opt = nqs_optimizer_find(c->optimizer.method); /* NULL for sr */
  double *opt_state = calloc((size_t)(wf->nparams * (opt ? opt->state_per_param : 0) + 1), sizeof(double));
  nqs_vmc *vmc = opt_state ? nqs_vmc_create(wf, &vo, err) : NULL;
  FILE *log = NULL;
  cJSON *result = NULL;
  if (!vmc) {
    if (!opt_state) nqs_error_set(err, NQS_ENOMEM, "out of memory for the optimiser state");
    st = err->code;
    goto done;
  }

  nqs_progress pr = {.phase = "thermalize", .iterations = c->optimizer.iterations};
  st = nqs_vmc_thermalize(vmc, c->sampler.thermalization, 1, err);
  if (st) goto done;

  char logpath[600];
  snprintf(logpath, sizeof logpath, "%s/log.jsonl", res->dir);
  log = fopen(logpath, "w");
  if (!log) {
    st = nqs_error_set(err, NQS_EIO, "cannot write %s: %s", logpath, strerror(errno));
    goto done;
  }

  const int W = nqs_vmc_walkers(vmc), np = wf->nparams;
  const int is_sr = strcmp(c->optimizer.method, "sr") == 0;
  nqs_sr_options so = {.diag_shift = c->optimizer.diag_shift,
                       .diag_shift_rel = c->optimizer.diag_shift_rel,
                       .solver = strcmp(c->optimizer.sr_solver, "minsr") == 0      ? NQS_SR_MINSR
                                 : strcmp(c->optimizer.sr_solver, "cholesky") == 0 ? NQS_SR_CHOLESKY
                                                                                   : NQS_SR_AUTO};
  double *prev = malloc(sizeof(double) * (size_t)(np + 1)), *delta = malloc(sizeof(double) * (size_t)(np + 1));
  if (!prev || !delta) {
    free(prev);
    free(delta);
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory for %d parameters", np);
    goto done;
  }
  nqs_vmc_result r;
  const long sweeps_opt = (c->optimizer.samples + W - 1) / W;
  double lr_scale = 1.0, prev_mean = NAN, prev_var = NAN, prev_err = NAN;
  int have_prev = 0, retries = 0;
  for (int it = 1; it <= c->optimizer.iterations; it++) {
    st = nqs_vmc_sample(vmc, sweeps_opt, NQS_WANT_GRAD | (is_sr ? NQS_WANT_SAMPLES : 0), &r, err);
    /* A step that made the energy non-finite or explode is undone and retried
     * with half the learning rate and ten times the SR shift. */
    const char *reason = NULL;
    if (st == NQS_ERUNTIME) reason = err->msg;
    else if (st == NQS_OK && have_prev && r.energy.mean - prev_mean > 5 * sqrt(prev_var) + 10 * (prev_err + r.energy.error))
      reason = "energy rose by more than 5 standard deviations of E_L";
    if (reason && have_prev && retries < 8) {
      retries++;
      memcpy(wf->params, prev, sizeof(double) * np);
      lr_scale *= 0.5;
      so.diag_shift = so.diag_shift > 0 ? 10 * so.diag_shift : 1e-3;
      cJSON *o = cJSON_CreateObject();
      cJSON_AddNumberToObject(o, "iteration", it);
      cJSON_AddStringToObject(o, "event", "step_rejected");
      cJSON_AddStringToObject(o, "reason", reason);
      cJSON_AddNumberToObject(o, "learning_rate", learning_rate(c, it) * lr_scale);
      if (is_sr) cJSON_AddNumberToObject(o, "diag_shift", so.diag_shift);
      log_line(log, o);
      st = nqs_vmc_reinit(vmc, err);
      if (st) goto done_loop;
      it--;
      continue;
    }
    if (st) {
      nqs_error_prefix(err, "iteration %d", it);
      goto done_loop;
    }
    retries = 0;
    const double lr = learning_rate(c, it) * lr_scale;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "iteration", it);
    cJSON *e = cJSON_AddObjectToObject(o, "energy");
    cJSON_AddNumberToObject(e, "mean", r.energy.mean);
    cJSON_AddNumberToObject(e, "error", r.energy.error);
    cJSON_AddNumberToObject(e, "variance", r.energy.variance);
    cJSON_AddNumberToObject(o, "acceptance", r.acceptance);
    cJSON_AddNumberToObject(o, "grad_norm", r.grad_norm);
    cJSON_AddNumberToObject(o, "learning_rate", lr);
    cJSON_AddNumberToObject(o, "step", nqs_vmc_step(vmc));
    if (np <= 64) cJSON_AddItemToObject(o, "params", params_json(wf));
    cJSON_AddNumberToObject(o, "wall_seconds", now() - t0);

    memcpy(prev, wf->params, sizeof(double) * np);
    have_prev = 1;
    prev_mean = r.energy.mean;
    prev_var = r.energy.variance;
    prev_err = r.energy.error;
    if (is_sr) {
      nqs_sr_info info;
      st = nqs_sr_solve(r.O, r.el, r.samples, np, &so, delta, &info, err);
      if (st) {
        cJSON_Delete(o);
        nqs_error_prefix(err, "iteration %d", it);
        goto done_loop;
      }
      double norm = 0;
      for (int k = 0; k < np; k++) norm += delta[k] * delta[k];
      norm = sqrt(norm) * lr;
      const double scale = (c->optimizer.max_step > 0 && norm > c->optimizer.max_step) ? c->optimizer.max_step / norm : 1.0;
      for (int k = 0; k < np; k++) wf->params[k] -= scale * lr * delta[k];
      cJSON *j = cJSON_AddObjectToObject(o, "sr");
      cJSON_AddBoolToObject(j, "minsr", info.used_minsr);
      cJSON_AddBoolToObject(j, "fallback", info.used_fallback);
      cJSON_AddNumberToObject(j, "step_norm", norm * scale);
    } else {
      opt->step(wf->params, r.grad, opt_state, np, lr, it);
    }
    log_line(log, o);
    nqs_wf_project(wf);
    st = nqs_vmc_reinit(vmc, err);
    if (st) goto done_loop;
    if (progress) {
      pr.phase = "optimize";
      pr.iteration = it;
      pr.energy = r.energy.mean;
      pr.error = r.energy.error;
      pr.acceptance = r.acceptance;
      pr.elapsed = now() - t0;
      progress(user, &pr);
    }
  }
done_loop:
  free(prev);
  free(delta);
  if (st) goto done;

  /* Evaluation with frozen parameters; walkers re-equilibrate first (no step change). */
  if (c->optimizer.iterations > 0) {
    st = nqs_vmc_thermalize(vmc, c->sampler.thermalization, 0, err);
    if (st) goto done;
  }
  const long sweeps_eval = (c->evaluation.samples + W - 1) / W;
  st = nqs_vmc_sample(vmc, sweeps_eval, 0, &r, err);
  if (st) {
    nqs_error_prefix(err, "evaluation");
    goto done;
  }
  res->energy = r.energy;
  res->kinetic = r.kinetic;
  res->v_trap = r.v_trap;
  res->v_int = r.v_int;
  res->acceptance = r.acceptance;
  res->samples = r.samples;
  res->wall_seconds = now() - t0;
  res->has_reference = nqs_system_reference(&sys, &res->reference, &res->reference_source);

  result = cJSON_CreateObject();
  cJSON_AddItemToObject(result, "energy", estimate_json(&r.energy));
  cJSON_AddItemToObject(result, "kinetic", estimate_json(&r.kinetic));
  cJSON_AddItemToObject(result, "potential_trap", estimate_json(&r.v_trap));
  cJSON_AddItemToObject(result, "potential_interaction", estimate_json(&r.v_int));
  cJSON_AddNumberToObject(result, "acceptance", r.acceptance);
  cJSON_AddNumberToObject(result, "samples", (double)r.samples);
  cJSON_AddNumberToObject(result, "wall_seconds", res->wall_seconds);
  if (res->has_reference) {
    cJSON *ref = cJSON_AddObjectToObject(result, "reference");
    cJSON_AddNumberToObject(ref, "value", res->reference);
    cJSON_AddStringToObject(ref, "source", res->reference_source);
  }
  cJSON_AddItemToObject(result, "parameters", params_json(wf));
  cJSON *sy = cJSON_AddObjectToObject(result, "system");
  cJSON_AddNumberToObject(sy, "dimensions", sys.dim);
  cJSON_AddNumberToObject(sy, "particles", sys.n);
  cJSON_AddStringToObject(sy, "statistics", c->system.statistics);
  cJSON_AddNumberToObject(sy, "omega", sys.omega);
  cJSON_AddNumberToObject(sy, "lambda", sys.lambda);
  cJSON_AddStringToObject(sy, "interaction", c->system.interaction);
  cJSON_AddStringToObject(result, "factors", c->wavefunction.factors);
  cJSON *sa = cJSON_AddObjectToObject(result, "sampler");
  cJSON_AddStringToObject(sa, "method", c->sampler.method);
  cJSON_AddNumberToObject(sa, "step", nqs_vmc_step(vmc));
  cJSON_AddNumberToObject(sa, "walkers", W);
  cJSON_AddNumberToObject(result, "iterations", c->optimizer.iterations);
  cJSON_AddNumberToObject(result, "seed", (double)c->run.seed);
  char *text = cJSON_Print(result);
  if (!text) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory writing result.json");
    goto done;
  }
  size_t tl = strlen(text);
  char *withnl = malloc(tl + 2);
  if (withnl) {
    memcpy(withnl, text, tl);
    withnl[tl] = '\n';
    withnl[tl + 1] = 0;
    st = write_atomic(res->dir, "result.json", withnl, err);
    free(withnl);
  } else {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory writing result.json");
  }
  free(text);
  if (progress && st == NQS_OK) {
    pr.phase = "evaluate";
    pr.iteration = c->optimizer.iterations;
    pr.energy = r.energy.mean;
    pr.error = r.energy.error;
    pr.acceptance = r.acceptance;
    pr.elapsed = now() - t0;
    progress(user, &pr);
  }

done:
  if (log) fclose(log);
  cJSON_Delete(result);
  nqs_vmc_free(vmc);
  free(opt_state);
  nqs_wf_free(wf);
  return st;
}
