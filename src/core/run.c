/* run.c — the run folder around the one driver (nqs/core/driver.h): config.ini, log.jsonl, energy.csv,
 * checkpoints, result.json and the model's observables; the folder helpers every command shares. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "nqs/core/checkpoint.h"
#include "nqs/core/driver.h"
#include "nqs/core/run.h"
#include "run_internal.h"
#include "nqs/learn/dataset.h"

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
  /* a folder the user named but cannot have (no permission, a file in the way) is bad input */
  if (mkdir_p(dir)) {
    const int e = errno;
    return nqs_error_setk(err, e == ENOSPC || e == EIO ? NQS_EIO : NQS_EINPUT, "output.dir", "cannot create the run folder '%s': %s%s",
                          dir, strerror(e), e == ENOSPC || e == EIO ? "" : "; choose another folder with --out");
  }
  struct stat st;
  if (stat(dir, &st) || !S_ISDIR(st.st_mode))
    return nqs_error_setk(err, NQS_EINPUT, "output.dir", "'%s' is not a folder; choose another with --out", dir);
  if (access(dir, W_OK | X_OK))
    return nqs_error_setk(err, NQS_EINPUT, "output.dir", "cannot write into the run folder '%s': %s; choose another folder with --out",
                          dir, strerror(errno));
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

/* The k-th key line of section [name] of a resolved configuration's text, or NULL past its
 * end; comments, blank lines and the keys in `changeable` (space separated) are skipped. */
static const char *section_line(const char *text, const char *name, int k, const char *changeable, char *line, size_t size) {
  char head[64];
  snprintf(head, sizeof head, "\n[%s]\n", name);
  const char *p = strstr(text, head);
  if (!p) return NULL;
  p += strlen(head);
  for (int n = 0; *p && *p != '['; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
    const size_t len = strcspn(p, "\n");
    if (len == 0 || *p == '#') continue;
    const size_t kl = strcspn(p, " =");
    char key[64];
    snprintf(key, sizeof key, " %.*s ", (int)(kl < 60 ? kl : 60), p);
    char list[256];
    snprintf(list, sizeof list, " %s ", changeable);
    if (strstr(list, key)) continue;
    if (n++ == k) {
      snprintf(line, size, "%.*s", (int)len, p);
      return line;
    }
  }
  return NULL;
}

nqs_status nqs_run_check_folder(const nqs_checkpoint *ck, const char *dir, const char *command, const char *sections,
                                const char *changeable, nqs_error *err) {
  char path[600];
  snprintf(path, sizeof path, "%s/config.ini", dir);
  if (access(path, F_OK) != 0) return NQS_OK; /* nothing to disagree with */
  nqs_config folder, stored;
  nqs_config_defaults(&folder);
  nqs_config_defaults(&stored);
  nqs_error e;
  if (nqs_config_read(&folder, path, &e))
    return nqs_error_set(err, NQS_EINPUT, "the run folder's %s cannot be read (%s): the folder is damaged", path, e.msg);
  if (nqs_config_read_text(&stored, nqs_checkpoint_text(ck, "config"), "checkpoint.h5 [config]", &e))
    return nqs_error_set(err, NQS_EINPUT, "%s/checkpoint.h5: its stored configuration cannot be read (%s)", dir, e.msg);
  char *a = nqs_config_text(&folder, command), *b = nqs_config_text(&stored, command);
  nqs_status st = (a && b) ? NQS_OK : nqs_error_set(err, NQS_ENOMEM, "out of memory");
  char sec[64];
  for (const char *p = sections; !st && *p; p += strspn(p, " ")) {
    const size_t n = strcspn(p, " ");
    snprintf(sec, sizeof sec, "%.*s", (int)(n < 60 ? n : 60), p);
    p += n;
    for (int k = 0; !st; k++) {
      char la[256], lb[256];
      const char *x = section_line(a, sec, k, changeable, la, sizeof la), *y = section_line(b, sec, k, changeable, lb, sizeof lb);
      if (!x && !y) break;
      if (!x || !y || strcmp(x, y))
        st = nqs_error_set(err, NQS_EINPUT,
                           "%s/checkpoint.h5 does not belong to this run folder: it holds [%s] %s, but %s says %s. "
                           "Restore the folder's own checkpoint, or start the other system in a new folder",
                           dir, sec, y ? y : "(nothing)", path, x ? x : "(nothing)");
    }
  }
  free(a);
  free(b);
  return st;
}

int nqs_run_lock(const char *dir, nqs_error *err) {
  char path[600];
  snprintf(path, sizeof path, "%s/.lock", dir);
  const int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    nqs_error_set(err, NQS_EIO, "cannot create the lock file %s: %s", path, strerror(errno));
    return -1;
  }
  if (flock(fd, LOCK_EX | LOCK_NB)) {
    const int e = errno;
    char pid[32] = "", who[48] = "";
    const ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
    pid[n > 0 ? strcspn(pid, "\n") : 0] = 0;
    if (pid[0]) snprintf(who, sizeof who, " (pid %s)", pid);
    close(fd);
    if (e == EWOULDBLOCK)
      nqs_error_set(err, NQS_EINPUT, "another nqs process%s is working in %s: wait for it to end, or use another folder", who, dir);
    else nqs_error_set(err, NQS_EIO, "cannot lock %s: %s", path, strerror(e));
    return -1;
  }
  char pid[32];
  const int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
  if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) < 0) { /* the pid only improves the message */
  }
  return fd;
}

void nqs_run_unlock(int fd) {
  if (fd >= 0) close(fd); /* closing releases the lock; the file stays (unlinking it would race) */
}

/* Keep the lines of dir/name whose leading number (after the prefix `field` for JSON lines, or
 * the first CSV column) is at most `upto`, and the lines with none (the CSV header); drop a torn
 * last line. */
static nqs_status cut_file(const char *dir, const char *name, const char *field, long upto, nqs_error *err) {
  char path[600];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "r");
  if (!f) return NQS_OK; /* nothing logged yet */
  char *text = NULL, *out = NULL;
  size_t cap = 0, len = 0;
  nqs_status st = NQS_OK;
  if (fseek(f, 0, SEEK_END) == 0) {
    const long size = ftell(f);
    rewind(f);
    cap = size > 0 ? (size_t)size : 0;
    text = malloc(cap + 1);
    out = malloc(cap + 1);
    if (!text || !out) st = nqs_error_set(err, NQS_ENOMEM, "out of memory reading %s", path);
    else if (fread(text, 1, cap, f) != cap) st = nqs_error_set(err, NQS_EIO, "cannot read %s: %s", path, strerror(errno));
    else text[cap] = 0;
  }
  fclose(f);
  for (size_t at = 0; !st && at < cap;) {
    const char *line = text + at, *nl = memchr(line, '\n', cap - at);
    if (!nl) break; /* torn: written when the process died */
    const size_t n = (size_t)(nl - line) + 1, skip = field ? strlen(field) : 0;
    long k = -1; /* the line's iteration, or -1: not an iteration's line (kept) */
    if ((!field || strncmp(line, field, skip) == 0) && line[skip] >= '0' && line[skip] <= '9') k = strtol(line + skip, NULL, 10);
    const int keep = k <= upto;
    if (keep) {
      memcpy(out + len, line, n);
      len += n;
    }
    at += n;
  }
  if (!st && out) {
    out[len] = 0;
    st = nqs_run_write_atomic(dir, name, out, err);
  }
  free(text);
  free(out);
  return st;
}

nqs_status nqs_run_cut_logs(const char *dir, const char *csv_name, const char *field, long upto, nqs_error *err) {
  char key[64];
  snprintf(key, sizeof key, "{\"%s\":", field);
  nqs_status st = cut_file(dir, "log.jsonl", key, upto, err);
  return st ? st : cut_file(dir, csv_name, NULL, upto, err);
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

nqs_status nqs_run_open_training(const nqs_config *c, const char *command, int resume, long epoch, const char *csv_name,
                                 const char *header, char *dir, size_t size, int *lock, FILE **csv, nqs_error *err) {
  *csv = NULL;
  nqs_status st = nqs_run_make_dir(c, resume, dir, size, err);
  if (st) return st;
  if ((*lock = nqs_run_lock(dir, err)) < 0) return NQS_EINPUT;
  if ((st = nqs_run_write_config(c, command, dir, err)) || (resume && (st = nqs_run_cut_logs(dir, csv_name, "epoch", epoch, err))))
    return st;
  char path[700];
  snprintf(path, sizeof path, "%s/%s", dir, csv_name);
  if (!(*csv = fopen(path, resume ? "a" : "w"))) return nqs_error_set(err, NQS_EIO, "cannot write %s", path);
  if (!resume) fprintf(*csv, "%s\n", header);
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
  r->pr = (nqs_progress){.phase = "optimize", .iterations = c->optimizer.iterations, .has_energy = 1,
                         .unit = nqs_driver_model(r->d)->energy_unit};
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

static cJSON *verdict_json(const nqs_verdict *v) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "status", nqs_verdict_name(v->level));
  cJSON *f = cJSON_AddArrayToObject(o, "findings");
  for (int k = 0; k < v->count; k++) {
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "check", v->finding[k].check);
    cJSON_AddStringToObject(x, "level", nqs_verdict_name(v->finding[k].level));
    cJSON_AddStringToObject(x, "message", v->finding[k].text);
    cJSON_AddItemToArray(f, x);
  }
  return o;
}

/* A run whose optimisation diverged ends here: result.json says so (and nothing else is
 * claimed); the last checkpoint is the last good state. */
static nqs_status write_diverged(const run_files *r, nqs_run_result *res, const nqs_error *why, nqs_error *err) {
  memset(&res->verdict, 0, sizeof res->verdict);
  nqs_verdict_add(&res->verdict, NQS_VERDICT_FAILED, "optimisation", "%.470s", why->msg);
  cJSON *out = nqs_run_result_head("vmc", r->c);
  cJSON_AddItemToObject(out, "verdict", verdict_json(&res->verdict));
  cJSON_AddNumberToObject(out, "iterations", (double)nqs_driver_iteration(r->d));
  return nqs_run_write_json(r->dir, "result.json", out, err);
}

/* result.json (a run's, or a re-evaluation's in its own sub-folder): the schema of docs/output.md. */
static nqs_status write_result(const run_files *r, const nqs_evaluation *ev, const nqs_run_result *res, double per_iteration,
                               int evaluate_only, nqs_error *err) {
  const nqs_config *c = r->c;
  const nqs_model *m = nqs_driver_model(r->d);
  cJSON *out = nqs_run_result_head(evaluate_only ? "evaluate" : "vmc", c);
  cJSON_AddItemToObject(out, "verdict", verdict_json(&ev->verdict));
  cJSON_AddStringToObject(out, "model", m->type->name);
  cJSON *un = cJSON_AddObjectToObject(out, "units");
  cJSON_AddStringToObject(un, "energy", m->energy_unit);
  cJSON_AddStringToObject(un, "length", m->length_unit);
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
  cJSON *tr = cJSON_AddObjectToObject(out, "trace");
  cJSON_AddStringToObject(tr, "file", "trace.csv");
  cJSON_AddNumberToObject(tr, "walkers", nqs_vmc_walkers_total(nqs_driver_vmc(r->d)));
  cJSON_AddNumberToObject(tr, "sweeps", (double)ev->sweeps);
  cJSON_AddNumberToObject(out, "acceptance", ev->acceptance);
  if (isfinite(ev->rhat)) cJSON_AddNumberToObject(out, "rhat", ev->rhat); /* Gelman-Rubin over walkers */
  cJSON_AddNumberToObject(out, "samples", (double)ev->samples);
  int np;
  const double *params = nqs_driver_params(r->d, &np);
  cJSON_AddNumberToObject(out, "parameter_count", np);
  if (nqs_driver_warm_matched(r->d) > 0) { /* parameters from another run; the rest kept their initial values */
    cJSON *ws = cJSON_AddObjectToObject(out, "warm_start");
    cJSON_AddStringToObject(ws, "from", c->run.init_from);
    cJSON_AddNumberToObject(ws, "parameters", nqs_driver_warm_matched(r->d));
  }
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
  return nqs_run_write_json(res->out, "result.json", out, err);
}

/* The evaluation's last progress report: its energy. */
static void final_progress(run_files *r, const nqs_evaluation *ev) {
  r->pr.fraction = 1;
  r->pr.has_energy = 1;
  r->pr.energy = ev->energy.mean;
  r->pr.error = ev->energy.error;
  r->pr.acceptance = ev->acceptance;
  r->pr.elapsed = nqs_run_now() - r->t_phase;
  r->po->progress(r->po->user, &r->pr);
}

static void take_evaluation(nqs_run_result *res, const nqs_evaluation *ev) {
  res->energy = ev->energy;
  res->nseries = ev->nseries;
  for (int q = 0; q < ev->nseries; q++) {
    res->series[q] = ev->series[q];
    res->series_names[q] = ev->names[q];
  }
  res->acceptance = ev->acceptance;
  res->samples = ev->samples;
  res->has_reference = ev->has_reference;
  res->reference = ev->reference;
  res->reference_source = ev->reference_source;
  res->verdict = ev->verdict;
}

/* NQS_EFAILED with the first failed finding's message, or NQS_OK. */
static nqs_status verdict_status(const nqs_verdict *v, nqs_error *err) {
  for (int k = 0; k < v->count; k++)
    if (v->finding[k].level == NQS_VERDICT_FAILED)
      return nqs_error_set(err, NQS_EFAILED, "the result failed its health check (%s): %s", v->finding[k].check, v->finding[k].text);
  return NQS_OK;
}

/* trace.csv: the evaluation's local-energy components averaged over the walkers, one row per
 * sweep, exact to the last bit (%.17g): the series the error bars were blocked from, for nqs
 * analyze and for anyone's own analysis. */
static nqs_status write_trace(const nqs_driver *d, const char *dir, nqs_error *err) {
  const nqs_model *m = nqs_driver_model(d);
  const long sweeps = nqs_driver_trace_length(d);
  if (sweeps == 0) return NQS_OK;
  double *x = malloc(sizeof(double) * (size_t)sweeps * m->nseries);
  if (!x) return nqs_error_set(err, NQS_ENOMEM, "out of memory for the trace of %ld sweeps", sweeps);
  for (int q = 0; q < m->nseries; q++) nqs_driver_trace_mean(d, q, x + (size_t)q * sweeps);
  char path[700];
  snprintf(path, sizeof path, "%s/trace.csv", dir);
  FILE *f = fopen(path, "w");
  if (!f) {
    free(x);
    return nqs_error_set(err, NQS_EIO, "cannot write %s: %s", path, strerror(errno));
  }
  fprintf(f, "sweep");
  for (int q = 0; q < m->nseries; q++) fprintf(f, ",%s", m->series[q]);
  fputc('\n', f);
  for (long t = 0; t < sweeps; t++) {
    fprintf(f, "%ld", t);
    for (int q = 0; q < m->nseries; q++) fprintf(f, ",%.17g", x[(size_t)q * sweeps + t]);
    fputc('\n', f);
  }
  free(x);
  const int bad = ferror(f);
  if (fclose(f) || bad) return nqs_error_set(err, NQS_EIO, "cannot finish writing %s (is the disk full?)", path);
  return NQS_OK;
}

/* The evaluation's kept configurations, one per row (columns x0, x1, ...: the model's coordinates). */
static nqs_status write_samples(const char *dir, const char *name, const double *x, long rows, int cols, nqs_error *err) {
  char path[700];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return nqs_dataset_write_coords(path, x, rows, cols, err);
}

nqs_status nqs_run(const nqs_config *c, const nqs_run_options *o, nqs_run_result *res, nqs_error *err) {
  nqs_error local;
  if (!err) err = &local;
  memset(res, 0, sizeof *res);
  const nqs_checkpoint *ck = o ? o->restart : NULL;
  const int eval_only = o && o->evaluate_only;
  if (eval_only && !ck) return nqs_error_set(err, NQS_EINPUT, "evaluation of a trained state needs its checkpoint");
  nqs_status st = ck ? nqs_checkpoint_expect(ck, "vmc", c->output.dir, err) : NQS_OK;
  if (!st && ck) st = nqs_run_check_folder(ck, c->output.dir, "run", "system wavefunction lattice", "", err);
  if (st || (st = nqs_driver_check(c, err))) return st;
  run_files r = {.c = c, .dir = res->dir, .comm = o ? o->comm : NULL, .t0 = nqs_run_now()};
  r.root = nqs_comm_rank(r.comm) == 0;
  r.po = (o && o->progress && r.root) ? o : NULL; /* progress: rank 0 only */
  /* rank 0 alone touches the file system; every rank learns whether it worked. config.ini: at
   * once for a fresh run; for a restart only once the checkpoint fits, so a refused restart
   * leaves the folder as it was. */
  int lock = -1;
  if (r.root) st = nqs_run_make_dir(c, ck != NULL, res->dir, sizeof res->dir, err);
  else snprintf(res->dir, sizeof res->dir, "%s", c->output.dir);
  if (!st && r.root && (lock = nqs_run_lock(res->dir, err)) < 0) st = err->code;
  if (!st && !ck && r.root) st = nqs_run_write_config(c, "run", res->dir, err);
  if ((st = nqs_comm_agree(r.comm, st, err))) {
    nqs_run_unlock(lock);
    return st;
  }
  nqs_driver_options dopt = {.restart = ck,
                             .init_params = o ? o->init_params : NULL,
                             .init_nparams = o ? o->init_nparams : 0,
                             .comm = r.comm,
                             .progress = r.po ? eval_fraction : NULL,
                             .user = &r};
  if (!(r.d = nqs_driver_create(c, &dopt, err))) {
    nqs_run_unlock(lock);
    return err->code;
  }
  /* A restart: config.ini takes the --set changes and the logs go back to the checkpoint's
   * iteration. A fresh run: its thermalised state is the first checkpoint, so that a run killed
   * in its first iterations can be continued. */
  if (ck && !eval_only && r.root && !(st = nqs_run_write_config(c, "run", res->dir, err)))
    st = nqs_run_cut_logs(res->dir, "energy.csv", "iteration", nqs_driver_iteration(r.d), err);
  if ((st = nqs_comm_agree(r.comm, st, err))) goto done;
  if (!ck && (st = save_checkpoint(&r, err))) goto done;
  const long start = nqs_driver_iteration(r.d);
  double per_it = 0;
  if (!eval_only) {
    const double t_opt = nqs_run_now();
    if ((st = optimize(&r, ck != NULL, err))) {
      nqs_error io;
      if (st == NQS_EFAILED && r.root && write_diverged(&r, res, err, &io)) nqs_error_prefix(err, "%s; and", io.msg);
      goto done;
    }
    const long done_its = nqs_driver_iteration(r.d) - start;
    per_it = done_its > 0 ? (nqs_run_now() - t_opt) / (double)done_its : 0;
    /* The state the evaluation starts from: `nqs evaluate` and restarts resume here. */
    if ((done_its > 0 || !ck) && (st = save_checkpoint(&r, err))) goto done;
  }
  r.pr = (nqs_progress){.phase = "evaluate", .iteration = (int)nqs_driver_iteration(r.d), .iterations = c->optimizer.iterations,
                        .unit = nqs_driver_model(r.d)->energy_unit};
  r.t_phase = nqs_run_now();
  nqs_evaluation ev;
  if ((st = nqs_driver_evaluate(r.d, &ev, err))) goto done;
  take_evaluation(res, &ev);
  /* A re-evaluation writes into its own sub-folder and leaves the run's files alone. */
  snprintf(res->out, sizeof res->out, "%s%s", res->dir, eval_only ? "/evaluate" : "");
  if (r.root && eval_only && mkdir(res->out, 0777) && errno != EEXIST)
    st = nqs_error_set(err, NQS_EIO, "cannot create %s: %s", res->out, strerror(errno));
  const nqs_model *m = nqs_driver_model(r.d);
  res->energy_unit = m->energy_unit, res->length_unit = m->length_unit;
  void *obs = nqs_driver_observables(r.d);
  if (!st && obs && r.root) st = m->type->obs_write(m, obs, ev.sweeps, res->out, err);
  if (!st && r.root) st = write_trace(r.d, res->out, err);
  long dump_rows;
  int dump_cols;
  const double *dump = nqs_driver_samples(r.d, &dump_rows, &dump_cols);
  if (!st && dump && r.root) st = write_samples(res->out, "samples.csv", dump, dump_rows, dump_cols, err);
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
  if (r.po) final_progress(&r, &ev);
  st = verdict_status(&ev.verdict, err); /* everything is written; a failed verdict still fails the run */
done:
  nqs_driver_free(r.d);
  nqs_run_unlock(lock);
  return st;
}
