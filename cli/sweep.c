/* sweep.c — `nqs sweep FILE --param section.key=LIST`: one run folder per value,
 * each warm-started from the previous run's parameters when the wave function
 * keeps its shape, and a summary of E, T, V and <r^2> with error bars. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "nqs/nqs.h"
#include "plot.h"
#include "args.h"
#include "sweep.h"

#define MAX_POINTS 256

/* "1.0,0.5,0.28" or "FROM:TO:COUNT" into text values; returns the count or -1. */
static int parse_values(const char *list, char vals[][64], int cap, char *msg, size_t size) {
  double a, b;
  int n;
  char tail;
  if (strchr(list, ':')) {
    if (sscanf(list, "%lf:%lf:%d%c", &a, &b, &n, &tail) != 3 || n < 1 || n > cap) {
      snprintf(msg, size, "range '%s': expected FROM:TO:COUNT with 1 <= COUNT <= %d, e.g. 0.1:1.0:10", list, cap);
      return -1;
    }
    for (int i = 0; i < n; i++) snprintf(vals[i], 64, "%.10g", n == 1 ? a : a + (b - a) * i / (n - 1));
    return n;
  }
  n = 0;
  const char *p = list;
  while (*p) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    while (len && (*p == ' ')) p++, len--;
    while (len && p[len - 1] == ' ') len--;
    if (len == 0 || len >= 64 || n >= cap) {
      snprintf(msg, size, "value list '%s': empty or over-long item, or more than %d values", list, cap);
      return -1;
    }
    memcpy(vals[n], p, len);
    vals[n++][len] = 0;
    if (!e) break;
    p = e + 1;
  }
  if (n == 0) snprintf(msg, size, "--param needs at least one value");
  return n > 0 ? n : -1;
}

/* The series called name, or NaNs when the run's model has none (a lattice has no kinetic part). */
static nqs_estimate series(const nqs_run_result *r, const char *name) {
  const nqs_estimate *e = nqs_run_result_series(r, name);
  return e ? *e : (nqs_estimate){.mean = NAN, .error = NAN, .variance = NAN};
}

static int write_summary(const char *dir, const char *key, char vals[][64], const nqs_run_result *res, int n) {
  char p[700];
  snprintf(p, sizeof p, "%s/summary.csv", dir);
  FILE *f = fopen(p, "w");
  if (!f) return -1;
  fprintf(f, "%s,E,E_err,T,T_err,V_trap,V_trap_err,V_int,V_int_err,r2,r2_err,reference,variance,virial_rel,run\n", key);
  for (int i = 0; i < n; i++) {
    const nqs_run_result *r = &res[i];
    const nqs_estimate T = series(r, "kinetic"), VT = series(r, "potential_trap"), VI = series(r, "potential_interaction"),
                       R2 = series(r, "r2"), VIR = series(r, "virial");
    fprintf(f, "%s,%.10g,%.3g,%.10g,%.3g,%.10g,%.3g,%.10g,%.3g,%.10g,%.3g,%.10g,%.4g,%.3g,%s\n", vals[i], r->energy.mean,
            r->energy.error, T.mean, T.error, VT.mean, VT.error, VI.mean, VI.error, R2.mean, R2.error,
            r->has_reference ? r->reference : 0.0, r->energy.variance, VIR.mean / (2 * T.mean), r->dir);
  }
  if (fclose(f)) return -1;
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "parameter", key);
  cJSON *pts = cJSON_AddArrayToObject(j, "points");
  const char *names[] = {"energy", "kinetic", "potential_trap", "potential_interaction", "r2"};
  for (int i = 0; i < n; i++) {
    const nqs_run_result *r = &res[i];
    const nqs_estimate es[] = {r->energy, series(r, "kinetic"), series(r, "potential_trap"), series(r, "potential_interaction"),
                               series(r, "r2")};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "value", vals[i]);
    for (int q = 0; q < 5; q++) {
      cJSON *e = cJSON_AddObjectToObject(o, names[q]);
      cJSON_AddNumberToObject(e, "mean", es[q].mean);
      cJSON_AddNumberToObject(e, "error", es[q].error);
    }
    if (r->has_reference) cJSON_AddNumberToObject(o, "reference", r->reference);
    cJSON_AddStringToObject(o, "run", r->dir);
    cJSON_AddItemToArray(pts, o);
  }
  char *text = cJSON_Print(j);
  cJSON_Delete(j);
  snprintf(p, sizeof p, "%s/summary.json", dir);
  f = fopen(p, "w");
  int bad = !f || !text || fprintf(f, "%s\n", text) < 0;
  if (f && fclose(f)) bad = 1;
  free(text);
  return bad ? -1 : 0;
}

/* Every point's configuration validated before the first run starts; 0 or the exit code. */
static int check_points(const nqs_config *base, const char *key, char vals[][64], int n) {
  nqs_error err = {0};
  for (int k = 0; k < n; k++) {
    nqs_config c = *base;
    char set[512];
    snprintf(set, sizeof set, "%s=%.63s", key, vals[k]);
    if (nqs_config_set(&c, set, &err) || nqs_driver_check(&c, &err)) {
      nqs_config_locate(&c, &err);
      fprintf(stderr, "nqs: error: sweep point %s = %s: %s\n", key, vals[k], err.msg);
      return 2;
    }
  }
  return 0;
}

/* The runs, each warm-started from the previous one, into DIR/key=value; *done counts the
 * finished ones. 0 or the exit code of the first failure. */
static int run_points(const nqs_config *base, const char *key, char vals[][64], int n, const char *dir, nqs_progress_fn progress,
                      progress_state *ps, nqs_run_result *res, int *done) {
  const char *shortkey = strchr(key, '.') ? strchr(key, '.') + 1 : key;
  nqs_error err = {0};
  for (int k = 0; k < n; k++) {
    nqs_config c = *base;
    char set[1024];
    snprintf(set, sizeof set, "%s=%.63s", key, vals[k]);
    nqs_config_set(&c, set, &err);
    snprintf(set, sizeof set, "output.dir=%s/%s=%.63s", dir, shortkey, vals[k]);
    if (nqs_config_set(&c, set, &err)) return cli_error(&c, &err);
    const nqs_run_result *prev = k > 0 ? &res[k - 1] : NULL;
    nqs_run_options o = {.progress = progress, .user = ps, .init_params = prev ? prev->params : NULL,
                         .init_nparams = prev ? prev->nparams : 0};
    if (!ps->quiet) fprintf(stderr, "nqs: sweep point %d/%d: %s = %s%s\n", k + 1, n, key, vals[k], prev ? " (warm start)" : "");
    nqs_status st = nqs_run(&c, &o, &res[k], &err);
    if (st == NQS_EINPUT && prev && strstr(err.msg, "warm start")) {
      /* the wave function changed shape (e.g. more particles): start this point afresh */
      if (!ps->quiet) fprintf(stderr, "nqs: %s; starting this point from the input's initial parameters\n", err.msg);
      o.init_params = NULL;
      o.init_nparams = 0;
      char p[1024];
      snprintf(p, sizeof p, "%s/%s=%.63s/config.ini", dir, shortkey, vals[k]);
      unlink(p); /* the refused attempt wrote only config.ini */
      st = nqs_run(&c, &o, &res[k], &err);
    }
    if (st) {
      fprintf(stderr, "nqs: error: sweep point %s = %s: %s\n", key, vals[k], err.msg);
      return cli_exit_code(st);
    }
    ++*done;
    char ve[96];
    nqs_format_value_error(ve, sizeof ve, res[k].energy.mean, res[k].energy.error);
    printf("%s = %-10s E = %s %s  σ² = %.2e\n", key, vals[k], ve, res[k].energy_unit ? res[k].energy_unit : "", res[k].energy.variance);
    fflush(stdout);
  }
  return 0;
}

int nqs_cmd_sweep(int argc, char **argv, nqs_progress_fn progress) {
  cli_args a;
  nqs_config base;
  nqs_checkpoint none;
  int restarted, rc = cli_parse("sweep", "--set --param= --out= --quiet --no-plots", argc, argv, &a);
  if (rc) return rc;
  const char *param = cli_get(&a, "--param"), *out = cli_get(&a, "--out");
  const char *eq = param ? strchr(param, '=') : NULL;
  if (!a.positional || !eq) {
    fprintf(stderr, "nqs: error: usage: nqs sweep FILE --param section.key=v1,v2,... (or FROM:TO:COUNT)\n");
    return 2;
  }
  progress_state ps = {cli_flag(&a, "--quiet"), isatty(STDERR_FILENO), -1};
  const int plots = !cli_flag(&a, "--no-plots");
  char key[128], msg[800];
  snprintf(key, sizeof key, "%.*s", (int)(eq - param), param);
  static char vals[MAX_POINTS][64];
  int n = parse_values(eq + 1, vals, MAX_POINTS, msg, sizeof msg);
  if (n < 0) {
    fprintf(stderr, "nqs: error: --param %s: %s\n", key, msg);
    return 2;
  }
  /* the sweep's --out is the folder of the runs, not one run's output.dir */
  if ((rc = cli_config(&a, (cli_input){.file = a.positional}, "sweep", 1, &base, &none, &restarted))) return rc;
  if ((rc = check_points(&base, key, vals, n))) return rc;
  char dir[512];
  if (out) snprintf(dir, sizeof dir, "%s", out);
  else {
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(dir, sizeof dir, "sweeps/%Y%m%d-%H%M%S", &tm);
    mkdir("sweeps", 0777);
  }
  if (mkdir(dir, 0777) && errno != EEXIST) {
    fprintf(stderr, "nqs: error: cannot create %s: %s\n", dir, strerror(errno));
    return 1;
  }
  static nqs_run_result res[MAX_POINTS];
  int done = 0;
  rc = run_points(&base, key, vals, n, dir, progress, &ps, res, &done);
  if (done > 0) {
    if (write_summary(dir, key, vals, res, done)) {
      fprintf(stderr, "nqs: error: cannot write the summary in %s\n", dir);
      rc = rc ? rc : 1;
    } else if (!ps.quiet) {
      fprintf(stderr, "nqs: sweep summary in %s/summary.csv and summary.json\n", dir);
    }
    if (plots && rc == 0 && nqs_have_gnuplot()) {
      for (int k = 0; k < done; k++)
        if (nqs_plot_run(res[k].dir, msg, sizeof msg)) fprintf(stderr, "nqs: warning: %s\n", msg);
      if (nqs_plot_sweep(dir, key, msg, sizeof msg)) fprintf(stderr, "nqs: warning: %s\n", msg);
      else if (!ps.quiet) fprintf(stderr, "nqs: sweep plot in %s/sweep.png\n", dir);
    }
  }
  for (int k = 0; k < done; k++) nqs_run_result_free(&res[k]);
  return rc;
}
