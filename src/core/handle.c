/* handle.c — the lifecycle API behind one opaque handle (nqs/core/handle.h). */
#include "nqs/core/handle.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/core/checkpoint.h"
#include "nqs/core/config.h"
#include "nqs/core/driver.h"
#include "nqs/core/run.h"
#include "nqs/nqs.h"

struct nqs_handle {
  nqs_config c;
  nqs_error err;
  nqs_checkpoint ck; /* a run folder's state to continue from (nqs_handle_load) */
  int have_ck;
  nqs_driver *d;
  int evaluated;    /* ev holds the driver's last evaluation */
  nqs_evaluation ev;
  nqs_run_result res; /* the last nqs_handle_run */
  int ran;
  char *text;       /* nqs_handle_config's string */
  char name[128];   /* nqs_handle_param_name's string */
};

nqs_handle *nqs_handle_new(void) {
  nqs_handle *h = calloc(1, sizeof *h);
  if (h) nqs_config_defaults(&h->c);
  return h;
}

static void drop_driver(nqs_handle *h) {
  nqs_driver_free(h->d);
  h->d = NULL;
  h->evaluated = 0;
}

void nqs_handle_free(nqs_handle *h) {
  if (!h) return;
  drop_driver(h);
  nqs_checkpoint_free(&h->ck);
  nqs_run_result_free(&h->res);
  free(h->text);
  free(h);
}

const char *nqs_handle_error(const nqs_handle *h) { return h->err.msg; }
const char *nqs_handle_error_key(const nqs_handle *h) { return h->err.key; }

/* Every call starts with a clean error; a failure's message names the input line when it can. */
static nqs_status done(nqs_handle *h, nqs_status st) {
  if (st) nqs_config_locate(&h->c, &h->err);
  return st;
}

static void clear(nqs_handle *h) { memset(&h->err, 0, sizeof h->err); }

/* Settings change only what is not running yet. */
static nqs_status configurable(nqs_handle *h) {
  if (h->d)
    return nqs_error_set(&h->err, NQS_EINPUT, "the run has started: change the configuration before start (or use a new run)");
  return NQS_OK;
}

nqs_status nqs_handle_read(nqs_handle *h, const char *path) {
  clear(h);
  nqs_status st = configurable(h);
  return done(h, st ? st : nqs_config_read(&h->c, path, &h->err));
}

nqs_status nqs_handle_read_text(nqs_handle *h, const char *text) {
  clear(h);
  nqs_status st = configurable(h);
  return done(h, st ? st : nqs_config_read_text(&h->c, text, "<input>", &h->err));
}

nqs_status nqs_handle_set(nqs_handle *h, const char *assignment) {
  clear(h);
  nqs_status st = configurable(h);
  return done(h, st ? st : nqs_config_set(&h->c, assignment, &h->err));
}

const char *nqs_handle_config(nqs_handle *h) {
  free(h->text);
  h->text = nqs_config_text(&h->c, "run");
  return h->text ? h->text : "";
}

nqs_status nqs_handle_load(nqs_handle *h, const char *dir) {
  clear(h);
  nqs_status st = configurable(h);
  if (st) return st;
  nqs_checkpoint_free(&h->ck);
  h->have_ck = 0;
  if ((st = nqs_checkpoint_read(dir, &h->ck, &h->err)) || (st = nqs_checkpoint_expect(&h->ck, "vmc", dir, &h->err))) return st;
  nqs_config_defaults(&h->c);
  if ((st = nqs_config_read_text(&h->c, nqs_checkpoint_text(&h->ck, "config"), "checkpoint.h5", &h->err))) return st;
  snprintf(h->c.output.dir, sizeof h->c.output.dir, "%s", dir);
  h->have_ck = 1;
  return NQS_OK;
}

nqs_status nqs_handle_start(nqs_handle *h) {
  clear(h);
  drop_driver(h);
  nqs_status st = nqs_driver_check(&h->c, &h->err);
  if (st) return done(h, st);
  const nqs_driver_options o = {.restart = h->have_ck ? &h->ck : NULL};
  h->d = nqs_driver_create(&h->c, &o, &h->err);
  return h->d ? NQS_OK : done(h, h->err.code ? h->err.code : NQS_ERUNTIME);
}

static nqs_status need_driver(nqs_handle *h) {
  return h->d ? NQS_OK : nqs_error_set(&h->err, NQS_EINPUT, "no run started: call start first");
}

nqs_status nqs_handle_step(nqs_handle *h, double *v) {
  clear(h);
  nqs_status st = need_driver(h);
  if (st) return st;
  nqs_iteration it;
  if ((st = nqs_driver_step(h->d, &it, &h->err))) return st;
  const double out[7] = {(double)it.iteration, it.energy.mean, it.energy.error, it.energy.variance, it.acceptance, it.learning_rate,
                         (double)it.rejected};
  memcpy(v, out, sizeof out);
  return NQS_OK;
}

long nqs_handle_iteration(const nqs_handle *h) { return h->d ? nqs_driver_iteration(h->d) : 0; }

static void estimate_values(const nqs_estimate *e, double *v) {
  const double out[5] = {e->mean, e->error, e->variance, e->tau_int, (double)e->n};
  memcpy(v, out, sizeof out);
}

nqs_status nqs_handle_evaluate(nqs_handle *h, double *v) {
  clear(h);
  nqs_status st = need_driver(h);
  if (st) return st;
  h->evaluated = 0;
  if ((st = nqs_driver_evaluate(h->d, &h->ev, &h->err))) return st;
  h->evaluated = 1;
  h->ran = 0;
  const double out[5] = {h->ev.energy.mean, h->ev.energy.error, h->ev.energy.variance, h->ev.acceptance, (double)h->ev.samples};
  memcpy(v, out, sizeof out);
  return NQS_OK;
}

nqs_status nqs_handle_run(nqs_handle *h, const char *dir, double *v) {
  clear(h);
  nqs_status st = configurable(h);
  if (st) return st;
  nqs_config c = h->c;
  if (dir && *dir) snprintf(c.output.dir, sizeof c.output.dir, "%s", dir);
  nqs_run_result_free(&h->res);
  h->ran = 0;
  const nqs_run_options o = {.restart = h->have_ck ? &h->ck : NULL};
  st = nqs_run(&c, &o, &h->res, &h->err);
  if (st && !(st == NQS_EFAILED && h->res.samples > 0)) return done(h, st);
  h->ran = 1;
  h->evaluated = 0;
  const double out[5] = {h->res.energy.mean, h->res.energy.error, h->res.energy.variance, h->res.acceptance, (double)h->res.samples};
  memcpy(v, out, sizeof out);
  return st;
}

const char *nqs_handle_run_dir(const nqs_handle *h) { return h->ran ? h->res.out : ""; }

int nqs_handle_series_count(const nqs_handle *h) { return h->ran ? h->res.nseries : h->evaluated ? h->ev.nseries : 0; }

const char *nqs_handle_series_name(const nqs_handle *h, int q) {
  if (q < 0 || q >= nqs_handle_series_count(h)) return "";
  return h->ran ? h->res.series_names[q] : h->ev.names[q];
}

nqs_status nqs_handle_estimate(const nqs_handle *h, int q, double *v) {
  if (q < 0 || q >= nqs_handle_series_count(h)) return NQS_EINPUT;
  estimate_values(h->ran ? &h->res.series[q] : &h->ev.series[q], v);
  return NQS_OK;
}

const char *nqs_handle_unit(const nqs_handle *h, int length) {
  if (h->ran) return length ? h->res.length_unit : h->res.energy_unit;
  if (!h->d) return "";
  const nqs_model *m = nqs_driver_model(h->d);
  return length ? m->length_unit : m->energy_unit;
}

int nqs_handle_nparams(const nqs_handle *h) {
  int n = 0;
  if (h->d) nqs_driver_params(h->d, &n);
  else if (h->ran) n = h->res.nparams;
  return n;
}

long nqs_handle_trace_length(const nqs_handle *h) { return h->d && h->evaluated ? nqs_driver_trace_length(h->d) : 0; }

long nqs_handle_sample_rows(const nqs_handle *h, int *cols) {
  long rows = 0;
  *cols = 0;
  if (h->d && h->evaluated) nqs_driver_samples(h->d, &rows, cols);
  return rows;
}

static long too_small(nqs_handle *h, long n, long need) {
  nqs_error_set(&h->err, NQS_EINPUT, "the array holds %ld numbers but %ld are needed", n, need);
  return -1;
}

long nqs_handle_params(nqs_handle *h, double *x, long n) {
  clear(h);
  const int np = nqs_handle_nparams(h);
  const double *p = h->d ? nqs_driver_params(h->d, NULL) : h->ran ? h->res.params : NULL;
  if (!p) return nqs_error_set(&h->err, NQS_EINPUT, "no parameters yet: start or run first"), -1;
  if (n < np) return too_small(h, n, np);
  memcpy(x, p, sizeof(double) * (size_t)np);
  return np;
}

const char *nqs_handle_param_name(nqs_handle *h, int k) {
  h->name[0] = 0;
  if (h->d && k >= 0 && k < nqs_handle_nparams(h)) nqs_driver_param_name(h->d, k, h->name, sizeof h->name);
  return h->name;
}

long nqs_handle_trace(nqs_handle *h, int q, double *x, long n) {
  clear(h);
  const long sweeps = nqs_handle_trace_length(h);
  if (sweeps == 0) return nqs_error_set(&h->err, NQS_EINPUT, "no trace: evaluate first (a run's trace is in its folder, trace.csv)"), -1;
  if (q < 0 || q >= h->ev.nseries) return nqs_error_set(&h->err, NQS_EINPUT, "no component %d (there are %d)", q, h->ev.nseries), -1;
  if (n < sweeps) return too_small(h, n, sweeps);
  return nqs_driver_trace_mean(h->d, q, x);
}

long nqs_handle_samples(nqs_handle *h, double *x, long n) {
  clear(h);
  long rows = 0;
  int cols = 0;
  const double *s = h->d && h->evaluated ? nqs_driver_samples(h->d, &rows, &cols) : NULL;
  if (!s) return nqs_error_set(&h->err, NQS_EINPUT, "no samples kept: set evaluation.dump_samples before start, then evaluate"), -1;
  if (n < rows * cols) return too_small(h, n, rows * cols);
  memcpy(x, s, sizeof(double) * (size_t)(rows * cols));
  return rows * cols;
}

const char *nqs_version(void) { return NQS_VERSION; }
