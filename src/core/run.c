/* run.c — the run folder around the one driver (nqs/core/driver.h): config.ini, log.jsonl, energy.csv,
 * checkpoints, result.json and the model's observables; the folder helpers every command shares. */
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
#include "nqs/core/checkpoint.h"
#include "nqs/core/driver.h"
#include "nqs/core/run.h"
#include "run_internal.h"

double nqs_run_now(void) {
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

/* Create the run folder; refuse one that holds an earlier run (unless resuming it). */
nqs_status nqs_run_make_dir(const nqs_config *c, int resume, char *dir, size_t size, nqs_error *err) {
  if (c->output.dir[0]) {
    snprintf(dir, size, "%s", c->output.dir);
    if (!resume && (exists(dir, "log.jsonl") || exists(dir, "result.json") || exists(dir, "checkpoint.h5")))
      return nqs_error_setk(err, NQS_EINPUT, "output.dir",
                            "'%s' holds an earlier run; choose another folder with --out, continue it with "
                            "--restart %s, or move it away", dir, dir);
  } else {
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(dir, size, "runs/%s", stamp);
    for (int k = 2; access(dir, F_OK) == 0 && k < 1000; k++) snprintf(dir, size, "runs/%s-%d", stamp, k);
  }
  if (mkdir_p(dir)) return nqs_error_set(err, NQS_EIO, "cannot create the run folder '%s': %s", dir, strerror(errno));
  return NQS_OK;
}

/* Write text to dir/name through a temporary file, fsync and rename, so a
 * crash leaves either the old file or the new one, never a torn one. */
nqs_status nqs_run_write_atomic(const char *dir, const char *name, const char *text, nqs_error *err) {
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

nqs_status nqs_run_write_config(const nqs_config *c, const char *command, const char *dir, nqs_error *err) {
  char *text = nqs_config_text(c, command);
  nqs_status st = text ? nqs_run_write_atomic(dir, "config.ini", text, err) : nqs_error_set(err, NQS_ENOMEM, "out of memory");
  free(text);
  return st;
}

nqs_status nqs_run_open_logs(const char *dir, const char *csv_name, const char *header, int append, FILE **log, FILE **csv,
                             nqs_error *err) {
  char path[700];
  snprintf(path, sizeof path, "%s/log.jsonl", dir);
  *log = fopen(path, append ? "a" : "w");
  snprintf(path, sizeof path, "%s/%s", dir, csv_name);
  *csv = fopen(path, append ? "a" : "w");
  if (!*log || !*csv) {
    if (*log) fclose(*log);
    if (*csv) fclose(*csv);
    *log = *csv = NULL;
    return nqs_error_set(err, NQS_EIO, "cannot write the run folder %s", dir);
  }
  if (!append) fprintf(*csv, "%s\n", header);
  return NQS_OK;
}

nqs_status nqs_run_write_json(const char *dir, const char *name, cJSON *o, nqs_error *err) {
  char *text = cJSON_Print(o);
  cJSON_Delete(o);
  if (!text) return nqs_error_set(err, NQS_ENOMEM, "out of memory writing %s", name);
  size_t tl = strlen(text);
  char *nl = realloc(text, tl + 2);
  if (!nl) {
    free(text);
    return nqs_error_set(err, NQS_ENOMEM, "out of memory writing %s", name);
  }
  nl[tl] = '\n';
  nl[tl + 1] = 0;
  nqs_status st = nqs_run_write_atomic(dir, name, nl, err);
  free(nl);
  return st;
}

cJSON *nqs_run_estimate_json(const nqs_estimate *e) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "mean", e->mean);
  cJSON_AddNumberToObject(o, "error", e->error);
  cJSON_AddNumberToObject(o, "variance", e->variance);
  cJSON_AddNumberToObject(o, "tau_int", e->tau_int);
  cJSON_AddBoolToObject(o, "blocking_converged", e->converged);
  return o;
}

cJSON *nqs_run_result_head(const char *kind, const nqs_config *c) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "schema_version", NQS_SCHEMA_VERSION);
  cJSON_AddStringToObject(o, "kind", kind);
  cJSON_AddNumberToObject(o, "seed", (double)c->run.seed);
  return o;
}

void nqs_run_log_line(FILE *log, cJSON *o) { /* log == NULL: MPI ranks other than 0 */
  if (!log) {
    cJSON_Delete(o);
    return;
  }
  char *line = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (line) {
    fprintf(log, "%s\n", line);
    fflush(log);
    free(line);
  }
}


void nqs_run_result_free(nqs_run_result *res) {
  free(res->params);
  res->params = NULL;
  res->nparams = 0;
}

const nqs_estimate *nqs_run_result_series(const nqs_run_result *res, const char *name) {
  for (int q = 0; q < res->nseries; q++)
    if (strcmp(res->series_names[q], name) == 0) return &res->series[q];
  return NULL;
}

/* What the folder layer keeps while the driver runs. */
typedef struct {
  nqs_driver *d;
  const nqs_config *c;
  const char *dir;
  const nqs_comm *comm;
  int root;
  const nqs_run_options *po; /* progress (rank 0 only), or NULL */
  nqs_progress pr;
  double t0, t_phase;
} run_files;

/* A collective checkpoint; rank 0 writes it. */
static nqs_status save_checkpoint(const run_files *r, nqs_error *err) {
  nqs_checkpoint ck;
  nqs_status st = nqs_driver_checkpoint(r->d, &ck, err);
  if (st) return st;
  if (r->root) st = nqs_checkpoint_write(r->dir, &ck, err);
  nqs_checkpoint_free(&ck);
  return nqs_comm_agree(r->comm, st, err);
}

static cJSON *params_json(const nqs_driver *d, const double *params) {
  cJSON *o = cJSON_CreateObject();
  int np;
  nqs_driver_params(d, &np);
  for (int k = 0; k < np; k++) {
    char name[64];
    nqs_driver_param_name(d, k, name, sizeof name);
    cJSON_AddNumberToObject(o, name, params[k]);
  }
  return o;
}

static void log_iteration(const run_files *r, FILE *log, FILE *csv, const nqs_iteration *it) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "iteration", (double)it->iteration);
  if (it->rejected) {
    cJSON_AddStringToObject(j, "event", "step_rejected");
    cJSON_AddStringToObject(j, "reason", it->reason);
    cJSON_AddNumberToObject(j, "learning_rate", it->learning_rate);
    if (it->sample_rule) cJSON_AddNumberToObject(j, "diag_shift", it->diag_shift);
    nqs_run_log_line(log, j);
    return;
  }
  cJSON *e = cJSON_AddObjectToObject(j, "energy");
  cJSON_AddNumberToObject(e, "mean", it->energy.mean);
  cJSON_AddNumberToObject(e, "error", it->energy.error);
  cJSON_AddNumberToObject(e, "variance", it->energy.variance);
  cJSON_AddNumberToObject(j, "acceptance", it->acceptance);
  cJSON_AddNumberToObject(j, "grad_norm", it->grad_norm);
  cJSON_AddNumberToObject(j, "learning_rate", it->learning_rate);
  cJSON_AddNumberToObject(j, "step", it->step);
  int np;
  nqs_driver_params(r->d, &np);
  if (np <= 64) cJSON_AddItemToObject(j, "params", params_json(r->d, it->params));
  cJSON_AddNumberToObject(j, "wall_seconds", nqs_run_now() - r->t0);
  if (it->sample_rule) {
    cJSON *s = cJSON_AddObjectToObject(j, "sr");
    cJSON_AddBoolToObject(s, "minsr", it->update.used_minsr);
    cJSON_AddBoolToObject(s, "fallback", it->update.used_fallback);
    cJSON_AddNumberToObject(s, "step_norm", it->update.step_norm);
  }
  nqs_run_log_line(log, j);
  if (csv) {
    fprintf(csv, "%ld,%.12g,%.6g,%.6g,%.4f,%.3f\n", it->iteration, it->energy.mean, it->energy.error, it->energy.variance,
            it->acceptance, nqs_run_now() - r->t0);
    fflush(csv);
  }
}

/* Iterations up to optimizer.iterations, with logs, checkpoints and progress: the one
 * optimisation loop. */
static nqs_status optimize(run_files *r, int append, nqs_error *err) {
  const nqs_config *c = r->c;
  FILE *log = NULL, *csv = NULL;
  nqs_status st = NQS_OK;
  if (r->root)
    st = nqs_run_open_logs(r->dir, "energy.csv", "iteration,energy,error,variance,acceptance,wall_seconds", append, &log, &csv, err);
  if ((st = nqs_comm_agree(r->comm, st, err))) return st;
  const long first = nqs_driver_iteration(r->d); /* for the ETA of a restarted run */
  const int every = c->output.checkpoint_every;
  r->pr = (nqs_progress){.phase = "optimize", .iterations = c->optimizer.iterations, .has_energy = 1};
  r->t_phase = nqs_run_now();
  while (nqs_driver_iteration(r->d) < c->optimizer.iterations) {
    nqs_iteration it;
    if ((st = nqs_driver_step(r->d, &it, err))) break;
    log_iteration(r, log, csv, &it);
    if (it.rejected) continue;
    if (every > 0 && it.iteration % every == 0 && (st = save_checkpoint(r, err))) break;
    if (r->po) {
      r->pr.iteration = (int)it.iteration;
      r->pr.fraction = (double)(it.iteration - first) / (double)(c->optimizer.iterations - first);
      r->pr.energy = it.energy.mean;
      r->pr.error = it.energy.error;
      r->pr.acceptance = it.acceptance;
      r->pr.elapsed = nqs_run_now() - r->t_phase;
      r->po->progress(r->po->user, &r->pr);
    }
  }
  if (log) fclose(log);
  if (csv) fclose(csv);
  return st;
}

static void eval_fraction(void *user, double fraction) {
  run_files *r = user;
  r->pr.fraction = fraction;
  r->pr.elapsed = nqs_run_now() - r->t_phase;
  r->po->progress(r->po->user, &r->pr);
}

/* result.json (or evaluate.json): the schema of docs/output.md. */
static nqs_status write_result(const run_files *r, const nqs_evaluation *ev, const nqs_run_result *res, double per_iteration,
                               int evaluate_only, nqs_error *err) {
  const nqs_config *c = r->c;
  const nqs_model *m = nqs_driver_model(r->d);
  cJSON *out = nqs_run_result_head(evaluate_only ? "evaluate" : "vmc", c);
  cJSON_AddStringToObject(out, "model", m->type->name);
  cJSON *sy = cJSON_AddObjectToObject(out, "system");
  m->type->describe(m, sy);
  cJSON_AddItemToObject(out, "energy", nqs_run_estimate_json(&ev->energy));
  char key[48];
  snprintf(key, sizeof key, "energy_per_%s", m->unit);
  cJSON *pu = cJSON_AddObjectToObject(out, key);
  cJSON_AddNumberToObject(pu, "mean", ev->energy.mean / m->units);
  cJSON_AddNumberToObject(pu, "error", ev->energy.error / m->units);
  for (int q = 1; q < ev->nseries; q++) cJSON_AddItemToObject(out, ev->names[q], nqs_run_estimate_json(&ev->series[q]));
  if (ev->has_reference) {
    cJSON *ref = cJSON_AddObjectToObject(out, "reference");
    cJSON_AddNumberToObject(ref, "value", ev->reference);
    cJSON_AddStringToObject(ref, "source", ev->reference_source);
    cJSON_AddNumberToObject(out, "relative_error", (ev->energy.mean - ev->reference) / fabs(ev->reference));
  }
  void *obs = nqs_driver_observables(r->d);
  if (obs && m->type->obs_json) cJSON_AddItemToObject(out, "observables", m->type->obs_json(m, obs));
  cJSON_AddNumberToObject(out, "acceptance", ev->acceptance);
  if (isfinite(ev->rhat)) cJSON_AddNumberToObject(out, "rhat", ev->rhat); /* Gelman-Rubin over walkers */
  cJSON_AddNumberToObject(out, "samples", (double)ev->samples);
  int np;
  const double *params = nqs_driver_params(r->d, &np);
  cJSON_AddNumberToObject(out, "parameter_count", np);
  if (np <= 4096) cJSON_AddItemToObject(out, "parameters", params_json(r->d, params));
  cJSON *sa = cJSON_AddObjectToObject(out, "sampler");
  cJSON_AddStringToObject(sa, "method", m->moves_name);
  cJSON_AddNumberToObject(sa, "step", nqs_vmc_step(nqs_driver_vmc(r->d)));
  cJSON_AddNumberToObject(sa, "walkers", nqs_vmc_walkers_total(nqs_driver_vmc(r->d)));
  cJSON_AddStringToObject(out, "optimizer", c->optimizer.method);
  cJSON_AddNumberToObject(out, "iterations", (double)nqs_driver_iteration(r->d));
  cJSON_AddNumberToObject(out, "seconds_per_iteration", per_iteration);
  cJSON_AddNumberToObject(out, "mpi_ranks", nqs_comm_size(r->comm));
  cJSON_AddNumberToObject(out, "wall_seconds", res->wall_seconds);
  return nqs_run_write_json(r->dir, evaluate_only ? "evaluate.json" : "result.json", out, err);
}

nqs_status nqs_run(const nqs_config *c, const nqs_run_options *o, nqs_run_result *res, nqs_error *err) {
  nqs_error local;
  if (!err) err = &local;
  memset(res, 0, sizeof *res);
  const nqs_checkpoint *ck = o ? o->restart : NULL;
  const int eval_only = o && o->evaluate_only;
  if (eval_only && !ck) return nqs_error_set(err, NQS_EINPUT, "evaluation of a trained state needs its checkpoint");
  nqs_status st = ck ? nqs_checkpoint_expect(ck, "vmc", c->output.dir, err) : NQS_OK;
  if (st || (st = nqs_driver_check(c, err))) return st;
  run_files r = {.c = c, .dir = res->dir, .comm = o ? o->comm : NULL, .t0 = nqs_run_now()};
  r.root = nqs_comm_rank(r.comm) == 0;
  r.po = (o && o->progress && r.root) ? o : NULL; /* progress: rank 0 only */
  /* rank 0 alone touches the file system; every rank learns whether it worked. config.ini: at
   * once for a fresh run; for a restart only once the checkpoint fits, so a refused restart
   * leaves the folder as it was. */
  if (r.root) st = nqs_run_make_dir(c, ck != NULL, res->dir, sizeof res->dir, err);
  else snprintf(res->dir, sizeof res->dir, "%s", c->output.dir);
  if (!st && !ck && r.root) st = nqs_run_write_config(c, "run", res->dir, err);
  if ((st = nqs_comm_agree(r.comm, st, err))) return st;
  nqs_driver_options dopt = {.restart = ck,
                             .init_params = o ? o->init_params : NULL,
                             .init_nparams = o ? o->init_nparams : 0,
                             .comm = r.comm,
                             .progress = r.po ? eval_fraction : NULL,
                             .user = &r};
  if (!(r.d = nqs_driver_create(c, &dopt, err))) return err->code;
  if (ck && !eval_only && r.root) st = nqs_run_write_config(c, "run", res->dir, err);
  if ((st = nqs_comm_agree(r.comm, st, err))) goto done;
  const long start = nqs_driver_iteration(r.d);
  double per_it = 0;
  if (!eval_only) {
    const double t_opt = nqs_run_now();
    if ((st = optimize(&r, ck != NULL, err))) goto done;
    const long done_its = nqs_driver_iteration(r.d) - start;
    per_it = done_its > 0 ? (nqs_run_now() - t_opt) / (double)done_its : 0;
    /* The state the evaluation starts from: `nqs evaluate` and restarts resume here. */
    if ((done_its > 0 || !ck) && (st = save_checkpoint(&r, err))) goto done;
  }
  r.pr = (nqs_progress){.phase = "evaluate", .iteration = (int)nqs_driver_iteration(r.d), .iterations = c->optimizer.iterations};
  r.t_phase = nqs_run_now();
  nqs_evaluation ev;
  if ((st = nqs_driver_evaluate(r.d, &ev, err))) goto done;
  res->energy = ev.energy;
  res->nseries = ev.nseries;
  for (int q = 0; q < ev.nseries; q++) {
    res->series[q] = ev.series[q];
    res->series_names[q] = ev.names[q];
  }
  res->acceptance = ev.acceptance;
  res->samples = ev.samples;
  res->has_reference = ev.has_reference;
  res->reference = ev.reference;
  res->reference_source = ev.reference_source;
  const nqs_model *m = nqs_driver_model(r.d);
  void *obs = nqs_driver_observables(r.d);
  if (obs && r.root) st = m->type->obs_write(m, obs, ev.sweeps, res->dir, eval_only, err);
  res->wall_seconds = nqs_run_now() - r.t0;
  if (!st && r.root) st = write_result(&r, &ev, res, per_it, eval_only, err);
  if ((st = nqs_comm_agree(r.comm, st, err))) goto done;
  int np;
  const double *params = nqs_driver_params(r.d, &np);
  res->params = malloc(sizeof(double) * (size_t)(np > 0 ? np : 1));
  if (!res->params) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory");
    goto done;
  }
  memcpy(res->params, params, sizeof(double) * np);
  res->nparams = np;
  if (r.po) {
    r.pr.fraction = 1;
    r.pr.has_energy = 1;
    r.pr.energy = ev.energy.mean;
    r.pr.error = ev.energy.error;
    r.pr.acceptance = ev.acceptance;
    r.pr.elapsed = nqs_run_now() - r.t_phase;
    r.po->progress(r.po->user, &r.pr);
  }
done:
  nqs_driver_free(r.d);
  return st;
}
