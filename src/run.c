/* run.c — the run driver: folder, optimisation loop with checkpoints, evaluation, JSON outputs. */
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
#include "nqs/checkpoint.h"
#include "nqs/observables.h"
#include "nqs/optimizer.h"
#include "nqs/run.h"
#include "nqs/sr.h"
#include "nqs/vmc.h"
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

/* The resolved configuration as text (caller frees). */
char *nqs_run_config_text(const nqs_config *c) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return NULL;
  nqs_config_write(c, f);
  fclose(f);
  return buf;
}

nqs_status nqs_run_write_config(const nqs_config *c, const char *dir, nqs_error *err) {
  char *text = nqs_run_config_text(c);
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

static cJSON *params_json(const nqs_wavefunction *wf) {
  cJSON *o = cJSON_CreateObject();
  for (int k = 0; k < wf->nparams; k++) cJSON_AddNumberToObject(o, wf->param_names[k], wf->params[k]);
  return o;
}

double nqs_run_learning_rate(const nqs_config *c, long it) {
  const double eta = c->optimizer.learning_rate, k = c->optimizer.decay;
  if (strcmp(c->optimizer.schedule, "inverse") == 0) return eta / (1.0 + k * it);
  if (strcmp(c->optimizer.schedule, "exponential") == 0) return eta * exp(-k * it);
  return eta;
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

/* Everything the optimisation loop carries from one iteration to the next:
 * with the walkers and the parameters, the whole state a checkpoint holds. */
typedef struct {
  long it; /* completed iterations */
  double lr_scale, diag_shift;
  int have_prev, retries;
  double prev_mean, prev_var, prev_err;
  double *prev;      /* np: parameters before the last step (restored on rejection) */
  double *opt_state; /* opt_len */
  int opt_len;
} loop_state;

typedef struct {
  const nqs_config *c;
  nqs_wavefunction *wf;
  nqs_vmc *vmc;
  loop_state ls;
  const char *dir;
  const nqs_comm *comm; /* MPI ranks; rank 0 alone writes files */
  int root;
} run_ctx;

static nqs_status save_checkpoint(const run_ctx *r, nqs_error *err) {
  const nqs_wavefunction *wf = r->wf;
  const int nw = nqs_vmc_walkers(r->vmc), nwg = nqs_vmc_walkers_total(r->vmc), w0 = nqs_vmc_first_walker(r->vmc);
  const int nx = wf->sys.n * wf->sys.dim, np = wf->nparams;
  nqs_checkpoint ck;
  nqs_status st = nqs_checkpoint_alloc(&ck, np, r->ls.opt_len, nwg, nx, err);
  if (st) return nqs_comm_agree(r->comm, st, err);
  ck.iteration = r->ls.it;
  ck.step = nqs_vmc_step(r->vmc);
  ck.lr_scale = r->ls.lr_scale;
  ck.diag_shift = r->ls.diag_shift;
  ck.have_prev = r->ls.have_prev;
  ck.prev_mean = r->ls.prev_mean;
  ck.prev_var = r->ls.prev_var;
  ck.prev_err = r->ls.prev_err;
  memcpy(ck.params, wf->params, sizeof(double) * np);
  memcpy(ck.prev_params, r->ls.prev, sizeof(double) * np);
  memcpy(ck.opt_state, r->ls.opt_state, sizeof(double) * r->ls.opt_len);
  /* every rank fills its walkers at their global places; the sums give rank 0 all of them */
  double *spare = calloc((size_t)nwg * 2, sizeof(double));
  if (!spare) st = nqs_error_set(err, NQS_ENOMEM, "out of memory writing a checkpoint");
  if (nqs_comm_size(r->comm) > 1) {
    memset(ck.x, 0, sizeof(double) * (size_t)nwg * nx);
    memset(ck.rng, 0, sizeof(uint64_t) * (size_t)nwg * 4);
  }
  for (int i = 0; i < nw && spare; i++) {
    const nqs_walker *w = nqs_vmc_walker(r->vmc, i);
    const int g = w0 + i;
    memcpy(ck.x + (size_t)g * nx, w->x, sizeof(double) * nx);
    memcpy(ck.rng + (size_t)g * 4, w->rng.s, sizeof(uint64_t) * 4);
    spare[2 * g] = w->rng.spare;
    spare[2 * g + 1] = w->rng.has_spare;
  }
  if (!st) st = nqs_comm_sum(r->comm, ck.x, (long)nwg * nx, err);
  if (!st) st = nqs_comm_sum_u64(r->comm, ck.rng, (long)nwg * 4, err);
  if (!st) st = nqs_comm_sum(r->comm, spare, 2L * nwg, err);
  for (int g = 0; g < nwg && !st; g++) {
    ck.rng_spare[g] = spare[2 * g];
    ck.rng_has_spare[g] = (int)spare[2 * g + 1];
  }
  free(spare);
  if (!st && r->root) {
    ck.config = nqs_run_config_text(r->c);
    size_t nl = (size_t)np * (2 * NQS_PARAM_NAME + 1) + 1;
    ck.param_names = calloc(nl, 1);
    if (!ck.config || !ck.param_names) st = nqs_error_set(err, NQS_ENOMEM, "out of memory writing a checkpoint");
    for (int k = 0; k < np && st == NQS_OK; k++) {
      if (k) strcat(ck.param_names, ",");
      strcat(ck.param_names, wf->param_names[k]);
    }
    if (st == NQS_OK) st = nqs_checkpoint_write(r->dir, &ck, err);
  }
  nqs_checkpoint_free(&ck);
  return nqs_comm_agree(r->comm, st, err);
}

/* Put the checkpointed state back; sizes must match the configuration. */
static nqs_status restore(run_ctx *r, const nqs_checkpoint *ck, nqs_error *err) {
  nqs_wavefunction *wf = r->wf;
  const int nw = nqs_vmc_walkers(r->vmc), nwg = nqs_vmc_walkers_total(r->vmc), w0 = nqs_vmc_first_walker(r->vmc);
  const int nx = wf->sys.n * wf->sys.dim, np = wf->nparams;
  if (ck->np != np || ck->nwalkers != nwg || ck->nx != nx || ck->opt_len != r->ls.opt_len)
    return nqs_error_set(err, NQS_EINPUT,
                         "the checkpoint holds %d parameters, %d walkers of %d coordinates and %d optimiser values, "
                         "but this configuration needs %d, %d, %d and %d: the system, the factors, the walkers and the "
                         "optimiser method cannot change on restart",
                         ck->np, ck->nwalkers, ck->nx, ck->opt_len, np, nwg, nx, r->ls.opt_len);
  r->ls.it = ck->iteration;
  r->ls.lr_scale = ck->lr_scale;
  r->ls.diag_shift = ck->diag_shift;
  r->ls.have_prev = ck->have_prev;
  r->ls.prev_mean = ck->prev_mean;
  r->ls.prev_var = ck->prev_var;
  r->ls.prev_err = ck->prev_err;
  memcpy(wf->params, ck->params, sizeof(double) * np);
  memcpy(r->ls.prev, ck->prev_params, sizeof(double) * np);
  memcpy(r->ls.opt_state, ck->opt_state, sizeof(double) * r->ls.opt_len);
  nqs_vmc_set_step(r->vmc, ck->step);
  for (int i = 0; i < nw; i++) {
    nqs_walker *w = nqs_vmc_walker(r->vmc, i);
    const int g = w0 + i;
    memcpy(w->x, ck->x + (size_t)g * nx, sizeof(double) * nx);
    memcpy(w->rng.s, ck->rng + (size_t)g * 4, sizeof(uint64_t) * 4);
    w->rng.spare = ck->rng_spare[g];
    w->rng.has_spare = ck->rng_has_spare[g];
  }
  return nqs_vmc_reinit(r->vmc, err);
}

/* Iterations ls.it + 1 .. c->optimizer.iterations. */
static nqs_status optimize(run_ctx *r, FILE *log, FILE *csv, const nqs_run_options *o, double t0, nqs_error *err) {
  const nqs_config *c = r->c;
  nqs_wavefunction *wf = r->wf;
  loop_state *ls = &r->ls;
  const int W = nqs_vmc_walkers_total(r->vmc), np = wf->nparams;
  const int is_sr = strcmp(c->optimizer.method, "sr") == 0;
  const nqs_optimizer_type *opt = nqs_optimizer_find(c->optimizer.method); /* NULL for sr */
  nqs_sr_options so = {.diag_shift_rel = c->optimizer.diag_shift_rel,
                       .solver = strcmp(c->optimizer.sr_solver, "minsr") == 0      ? NQS_SR_MINSR
                                 : strcmp(c->optimizer.sr_solver, "cholesky") == 0 ? NQS_SR_CHOLESKY
                                                                                   : NQS_SR_AUTO};
  double *delta = malloc(sizeof(double) * (size_t)(np + 1));
  if (!delta) return nqs_error_set(err, NQS_ENOMEM, "out of memory for %d parameters", np);
  const long sweeps = (c->optimizer.samples + W - 1) / W;
  const int every = c->output.checkpoint_every;
  nqs_progress pr = {.phase = "optimize", .iterations = c->optimizer.iterations, .has_energy = 1};
  const long first = ls->it; /* for the ETA of a restarted run */
  const double t_opt = nqs_run_now();
  nqs_status st = NQS_OK;
  nqs_vmc_result res;
  while (ls->it < c->optimizer.iterations) {
    const long it = ls->it + 1;
    st = nqs_vmc_sample(r->vmc, sweeps, NQS_WANT_GRAD | (is_sr ? NQS_WANT_SAMPLES : 0), &res, err);
    /* A step that made the energy non-finite or explode is undone and retried
     * with half the learning rate and ten times the SR shift. */
    const char *reason = NULL;
    if (st == NQS_ERUNTIME) reason = err->msg;
    else if (st == NQS_OK && ls->have_prev &&
             res.energy.mean - ls->prev_mean > 5 * sqrt(ls->prev_var) + 10 * (ls->prev_err + res.energy.error))
      reason = "energy rose by more than 5 standard deviations of E_L";
    if (reason && ls->have_prev && ls->retries < 8) {
      ls->retries++;
      memcpy(wf->params, ls->prev, sizeof(double) * np);
      ls->lr_scale *= 0.5;
      ls->diag_shift = ls->diag_shift > 0 ? 10 * ls->diag_shift : 1e-3;
      cJSON *j = cJSON_CreateObject();
      cJSON_AddNumberToObject(j, "iteration", (double)it);
      cJSON_AddStringToObject(j, "event", "step_rejected");
      cJSON_AddStringToObject(j, "reason", reason);
      cJSON_AddNumberToObject(j, "learning_rate", nqs_run_learning_rate(c, it) * ls->lr_scale);
      if (is_sr) cJSON_AddNumberToObject(j, "diag_shift", ls->diag_shift);
      nqs_run_log_line(log, j);
      st = nqs_vmc_reinit(r->vmc, err);
      if (st) break;
      continue;
    }
    if (st) {
      nqs_error_prefix(err, "iteration %ld", it);
      break;
    }
    ls->retries = 0;
    const double lr = nqs_run_learning_rate(c, it) * ls->lr_scale;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "iteration", (double)it);
    cJSON *e = cJSON_AddObjectToObject(j, "energy");
    cJSON_AddNumberToObject(e, "mean", res.energy.mean);
    cJSON_AddNumberToObject(e, "error", res.energy.error);
    cJSON_AddNumberToObject(e, "variance", res.energy.variance);
    cJSON_AddNumberToObject(j, "acceptance", res.acceptance);
    cJSON_AddNumberToObject(j, "grad_norm", res.grad_norm);
    cJSON_AddNumberToObject(j, "learning_rate", lr);
    cJSON_AddNumberToObject(j, "step", nqs_vmc_step(r->vmc));
    if (np <= 64) cJSON_AddItemToObject(j, "params", params_json(wf));
    cJSON_AddNumberToObject(j, "wall_seconds", nqs_run_now() - t0);

    memcpy(ls->prev, wf->params, sizeof(double) * np);
    ls->have_prev = 1;
    ls->prev_mean = res.energy.mean;
    ls->prev_var = res.energy.variance;
    ls->prev_err = res.energy.error;
    if (is_sr) {
      nqs_sr_info info;
      so.diag_shift = ls->diag_shift;
      st = nqs_sr_solve(res.O, res.el, res.samples, np, &so, delta, &info, err);
      if (st) {
        cJSON_Delete(j);
        nqs_error_prefix(err, "iteration %ld", it);
        break;
      }
      double norm = 0;
      for (int k = 0; k < np; k++) norm += delta[k] * delta[k];
      norm = sqrt(norm) * lr;
      const double scale = (c->optimizer.max_step > 0 && norm > c->optimizer.max_step) ? c->optimizer.max_step / norm : 1.0;
      for (int k = 0; k < np; k++) wf->params[k] -= scale * lr * delta[k];
      cJSON *s = cJSON_AddObjectToObject(j, "sr");
      cJSON_AddBoolToObject(s, "minsr", info.used_minsr);
      cJSON_AddBoolToObject(s, "fallback", info.used_fallback);
      cJSON_AddNumberToObject(s, "step_norm", norm * scale);
    } else {
      opt->step(wf->params, res.grad, ls->opt_state, np, lr, it);
    }
    nqs_run_log_line(log, j);
    if (csv) {
      fprintf(csv, "%ld,%.12g,%.6g,%.6g,%.4f,%.3f\n", it, res.energy.mean, res.energy.error, res.energy.variance,
              res.acceptance, nqs_run_now() - t0);
      fflush(csv);
    }
    nqs_wf_project(wf);
    st = nqs_vmc_reinit(r->vmc, err);
    if (st) break;
    ls->it = it;
    if (every > 0 && it % every == 0 && (st = save_checkpoint(r, err))) break;
    if (o && o->progress) {
      pr.iteration = (int)it;
      pr.fraction = (double)(it - first) / (double)(c->optimizer.iterations - first);
      pr.energy = res.energy.mean;
      pr.error = res.energy.error;
      pr.acceptance = res.acceptance;
      pr.elapsed = nqs_run_now() - t_opt;
      o->progress(o->user, &pr);
    }
  }
  free(delta);
  return st;
}

static cJSON *histogram_json(const nqs_histogram *h, const char *file, int bins) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "file", file);
  cJSON_AddNumberToObject(o, "bins", bins);
  cJSON_AddNumberToObject(o, "range_max", h->hi);
  cJSON_AddNumberToObject(o, "weight_outside", h->outside);
  return o;
}

static nqs_status write_result(const run_ctx *r, const nqs_vmc_result *v, nqs_observables *ob, nqs_run_result *res,
                               const char *name, nqs_error *err) {
  const nqs_config *c = r->c;
  cJSON *out = cJSON_CreateObject();
  cJSON_AddItemToObject(out, "energy", nqs_run_estimate_json(&v->energy));
  cJSON_AddItemToObject(out, "kinetic", nqs_run_estimate_json(&v->kinetic));
  cJSON_AddItemToObject(out, "potential_trap", nqs_run_estimate_json(&v->v_trap));
  cJSON_AddItemToObject(out, "potential_interaction", nqs_run_estimate_json(&v->v_int));
  cJSON_AddItemToObject(out, "r2", nqs_run_estimate_json(&v->r2));
  /* virial theorem for trap + Coulomb: 2<T> = 2<V_trap> - <V_int> at the optimum of the length scale */
  cJSON *vir = cJSON_AddObjectToObject(out, "virial");
  cJSON_AddItemToObject(vir, "residual_2T_minus_2Vtrap_plus_Vint", nqs_run_estimate_json(&v->virial));
  cJSON_AddNumberToObject(vir, "relative", v->virial.mean / (2 * v->kinetic.mean));
  if (ob) {
    cJSON *obs = cJSON_AddObjectToObject(out, "observables");
    const nqs_histogram *h;
    cJSON_AddStringToObject(obs, "hdf5", "observables.h5");
    if ((h = nqs_obs_radial(ob))) cJSON_AddItemToObject(obs, "density_radial", histogram_json(h, "density_radial.csv", h->bins));
    if ((h = nqs_obs_grid(ob))) cJSON_AddItemToObject(obs, "density_grid", histogram_json(h, "density_grid.csv", r->c->observables.grid_bins));
    if ((h = nqs_obs_pair(ob))) cJSON_AddItemToObject(obs, "pair_density", histogram_json(h, "pair_density.csv", h->bins));
  }
  cJSON_AddNumberToObject(out, "acceptance", v->acceptance);
  if (isfinite(v->rhat)) cJSON_AddNumberToObject(out, "rhat", v->rhat); /* Gelman-Rubin over walkers */
  cJSON_AddNumberToObject(out, "samples", (double)v->samples);
  cJSON_AddNumberToObject(out, "wall_seconds", res->wall_seconds);
  if (res->has_reference) {
    cJSON *ref = cJSON_AddObjectToObject(out, "reference");
    cJSON_AddNumberToObject(ref, "value", res->reference);
    cJSON_AddStringToObject(ref, "source", res->reference_source);
  }
  if (r->wf->nparams <= 4096) cJSON_AddItemToObject(out, "parameters", params_json(r->wf));
  cJSON *sy = cJSON_AddObjectToObject(out, "system");
  cJSON_AddNumberToObject(sy, "dimensions", r->wf->sys.dim);
  cJSON_AddNumberToObject(sy, "particles", r->wf->sys.n);
  cJSON_AddStringToObject(sy, "statistics", c->system.statistics);
  cJSON_AddNumberToObject(sy, "omega", r->wf->sys.omega);
  cJSON_AddNumberToObject(sy, "lambda", r->wf->sys.lambda);
  cJSON_AddStringToObject(sy, "interaction", c->system.interaction);
  cJSON_AddStringToObject(out, "factors", c->wavefunction.factors);
  cJSON *sa = cJSON_AddObjectToObject(out, "sampler");
  cJSON_AddStringToObject(sa, "method", c->sampler.method);
  cJSON_AddNumberToObject(sa, "step", nqs_vmc_step(r->vmc));
  cJSON_AddNumberToObject(sa, "walkers", nqs_vmc_walkers_total(r->vmc));
  cJSON_AddNumberToObject(out, "mpi_ranks", nqs_comm_size(r->comm));
  cJSON_AddNumberToObject(out, "iterations", (double)r->ls.it);
  cJSON_AddNumberToObject(out, "seed", (double)c->run.seed);
  return nqs_run_write_json(r->dir, name, out, err);
}

void nqs_run_result_free(nqs_run_result *res) {
  free(res->params);
  res->params = NULL;
  res->nparams = 0;
}

/* Hooks of the evaluation: densities and progress. */
typedef struct {
  nqs_observables *ob;
  const nqs_run_options *o;
  double t0;
  nqs_progress pr;
} eval_hooks;

static void observe(void *ctx, int walker, const nqs_walker *w) { nqs_obs_measure(((eval_hooks *)ctx)->ob, walker, w->x); }

static void eval_progress(void *ctx, double fraction) {
  eval_hooks *h = ctx;
  h->pr.fraction = fraction;
  h->pr.elapsed = nqs_run_now() - h->t0;
  h->o->progress(h->o->user, &h->pr);
}

/* Histogram radius when none is given: twice the largest particle radius among the walkers. */
static double auto_r_max(nqs_vmc *v, const nqs_system *sys, const nqs_comm *comm) {
  double m = 0;
  for (int i = 0; i < nqs_vmc_walkers(v); i++) {
    const double *x = nqs_vmc_walker(v, i)->x;
    for (int p = 0; p < sys->n; p++) {
      double r2 = 0;
      for (int k = 0; k < sys->dim; k++) r2 += x[p * sys->dim + k] * x[p * sys->dim + k];
      if (r2 > m) m = r2;
    }
  }
  /* the largest over ranks: each rank's value at its own index, summed */
  const int K = nqs_comm_size(comm);
  double *all = calloc((size_t)K, sizeof(double));
  if (all) {
    all[nqs_comm_rank(comm)] = m;
    nqs_error ignored;
    if (nqs_comm_sum(comm, all, K, &ignored) == NQS_OK)
      for (int k = 0; k < K; k++) m = all[k] > m ? all[k] : m;
    free(all);
  }
  return m > 0 ? 2.0 * sqrt(m) : 4.0 / sqrt(sys->omega);
}

nqs_status nqs_run(const nqs_config *c, const nqs_run_options *o, nqs_run_result *res, nqs_error *err) {
  memset(res, 0, sizeof *res);
  const nqs_checkpoint *ck = o ? o->restart : NULL;
  const int eval_only = o && o->evaluate_only;
  if (eval_only && !ck) return nqs_error_set(err, NQS_EINPUT, "evaluation of a trained state needs its checkpoint");
  nqs_status st = nqs_config_check(c, err);
  if (st) return st;
  if (strcmp(c->system.type, "lattice") == 0) return nqs_spin_run(c, o, res, err);
  const double t0 = nqs_run_now();
  const nqs_comm *comm = o ? o->comm : NULL;
  const int root = nqs_comm_rank(comm) == 0;
  /* rank 0 alone touches the file system; every rank learns whether it worked */
  if (root) st = nqs_run_make_dir(c, ck != NULL, res->dir, sizeof res->dir, err);
  else snprintf(res->dir, sizeof res->dir, "%s", c->output.dir);
  if ((st = nqs_comm_agree(comm, st, err))) return st;
  /* config.ini: at once for a fresh run; for a restart only once the checkpoint
   * fits, so a refused restart leaves the folder as it was. */
  if (!ck && root) st = nqs_run_write_config(c, res->dir, err);
  if ((st = nqs_comm_agree(comm, st, err))) return st;
  const nqs_run_options *po = (o && root) ? o : NULL; /* progress: rank 0 only */

  nqs_system sys;
  st = nqs_config_system(c, &sys, err);
  if (st) return st;
  nqs_factor_options fo = nqs_config_factor_options(c);
  run_ctx r = {.c = c, .dir = res->dir, .comm = comm, .root = root};
  r.wf = nqs_wf_create(&sys, c->wavefunction.factors, &fo, err);
  if (!r.wf) return err->code;
  const int np = r.wf->nparams;
  const nqs_optimizer_type *opt = nqs_optimizer_find(c->optimizer.method);
  r.ls.lr_scale = 1.0;
  r.ls.diag_shift = c->optimizer.diag_shift;
  r.ls.opt_len = opt ? np * opt->state_per_param : 0;
  r.ls.prev = calloc((size_t)np + 1, sizeof(double));
  r.ls.opt_state = calloc((size_t)r.ls.opt_len + 1, sizeof(double));
  nqs_vmc_options vo = {.sampler = nqs_sampler_find(c->sampler.method),
                        .step = c->sampler.step,
                        .target_acceptance = c->sampler.target_acceptance,
                        .walkers = c->sampler.walkers,
                        .seed = c->run.seed,
                        .threads = c->run.threads,
                        .comm = comm};
  FILE *log = NULL, *csv = NULL;
  nqs_observables *ob = NULL;
  if (!r.ls.prev || !r.ls.opt_state) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory for the optimiser state");
    goto done;
  }
  r.vmc = nqs_vmc_create(r.wf, &vo, err);
  if (!r.vmc) {
    st = err->code;
    goto done;
  }
  if (ck) {
    st = restore(&r, ck, err);
    if (st == NQS_OK && !eval_only && root) st = nqs_run_write_config(c, res->dir, err);
    st = nqs_comm_agree(comm, st, err);
  } else {
    if (o && o->init_params) {
      if (o->init_nparams != np) {
        st = nqs_error_set(err, NQS_EINPUT, "a warm start gives %d parameters, but this wave function has %d",
                           o->init_nparams, np);
        goto done;
      }
      memcpy(r.wf->params, o->init_params, sizeof(double) * np);
      nqs_wf_project(r.wf);
      if ((st = nqs_vmc_reinit(r.vmc, err))) goto done;
    }
    st = nqs_vmc_thermalize(r.vmc, c->sampler.thermalization, 1, err);
  }
  if (st) goto done;

  if (!eval_only) {
    if (root) {
      char path[600];
      snprintf(path, sizeof path, "%s/log.jsonl", res->dir);
      log = fopen(path, ck ? "a" : "w");
      snprintf(path, sizeof path, "%s/energy.csv", res->dir);
      csv = fopen(path, ck ? "a" : "w");
      if (!log || !csv) st = nqs_error_set(err, NQS_EIO, "cannot write %s: %s", path, strerror(errno));
      else if (!ck) fprintf(csv, "iteration,energy,error,variance,acceptance,wall_seconds\n");
    }
    if ((st = nqs_comm_agree(comm, st, err))) goto done;
    const long start = r.ls.it;
    st = optimize(&r, log, csv, po, t0, err);
    if (st) goto done;
    /* The state the evaluation starts from: `nqs evaluate` and restarts resume here. */
    if (r.ls.it > start || !ck) st = save_checkpoint(&r, err);
    if (st) goto done;
  }

  /* Evaluation with frozen parameters; walkers re-equilibrate first (no step change). */
  if (r.ls.it > 0 && (st = nqs_vmc_thermalize(r.vmc, c->sampler.thermalization, 0, err))) goto done;
  const int W = nqs_vmc_walkers_total(r.vmc);
  eval_hooks h = {.o = po, .t0 = nqs_run_now(), .pr = {.phase = "evaluate", .iteration = (int)r.ls.it,
                                              .iterations = c->optimizer.iterations}};
  nqs_obs_options oo = {.radial_bins = c->observables.radial_bins, .grid_bins = c->observables.grid_bins,
                        .pair_bins = c->observables.pair_bins, .r_max = c->observables.r_max};
  if (oo.radial_bins || oo.grid_bins || oo.pair_bins) {
    if (oo.r_max <= 0) oo.r_max = auto_r_max(r.vmc, &sys, comm);
    h.ob = ob = nqs_obs_create(&sys, &oo, W, err);
    if ((st = nqs_comm_agree(comm, ob ? NQS_OK : err->code, err))) goto done;
  }
  nqs_vmc_set_hooks(r.vmc, ob ? observe : NULL, (po && po->progress) ? eval_progress : NULL, &h);
  nqs_vmc_result v;
  st = nqs_vmc_sample(r.vmc, (c->evaluation.samples + W - 1) / W, 0, &v, err);
  nqs_vmc_set_hooks(r.vmc, NULL, NULL, NULL);
  if (st) {
    nqs_error_prefix(err, "evaluation");
    goto done;
  }
  res->energy = v.energy;
  res->kinetic = v.kinetic;
  res->v_trap = v.v_trap;
  res->v_int = v.v_int;
  res->r2 = v.r2;
  res->virial = v.virial;
  res->acceptance = v.acceptance;
  res->samples = v.samples;
  res->has_reference = nqs_system_reference(&sys, &res->reference, &res->reference_source);
  if (ob && (st = nqs_obs_reduce(ob, comm, err))) goto done;
  if (ob && root) st = nqs_obs_write(ob, res->dir, err);
  res->wall_seconds = nqs_run_now() - t0;
  if (!st && root) st = write_result(&r, &v, ob, res, eval_only ? "evaluate.json" : "result.json", err);
  if ((st = nqs_comm_agree(comm, st, err))) goto done;
  res->params = malloc(sizeof(double) * (size_t)(np > 0 ? np : 1));
  if (!res->params) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory");
    goto done;
  }
  memcpy(res->params, r.wf->params, sizeof(double) * np);
  res->nparams = np;
  if (po && po->progress) {
    h.pr.fraction = 1;
    h.pr.has_energy = 1;
    h.pr.energy = v.energy.mean;
    h.pr.error = v.energy.error;
    h.pr.acceptance = v.acceptance;
    h.pr.elapsed = nqs_run_now() - h.t0;
    po->progress(po->user, &h.pr);
  }

done:
  if (log) fclose(log);
  if (csv) fclose(csv);
  nqs_obs_free(ob);
  nqs_vmc_free(r.vmc);
  free(r.ls.prev);
  free(r.ls.opt_state);
  nqs_wf_free(r.wf);
  return st;
}
