/* analyze.c — nqs analyze DIR...: re-analyse the stored local-energy traces of run folders.
 *
 * Each argument is a run folder (its trace.csv, and result.json for the acceptance, the units and
 * the reference) or a trace CSV itself. For each: the equilibration cut (Chodera's criterion),
 * the blocking estimate with its curve, Sokal's tau, and a table over all of them; --csv and
 * --json for scripts, --plot for the blocking curves. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "analyze.h"
#include "args.h"
#include "plot.h"

typedef struct {
  const char *path;
  char unit[16];
  double acceptance, reference, variance; /* NaN when result.json does not say */
  nqs_trace_analysis a;
} analysed;

/* Column `name` (or a 0-based index) of a CSV with a header row into *x (malloc'ed); 0, or the
 * exit code after a message. */
static int read_column(const char *path, const char *name, double **x, long *n) {
  double *rows;
  int nrows, ncols, col;
  nqs_error err;
  nqs_status st = nqs_dataset_read(path, 0, &rows, &nrows, &ncols, &err);
  if (!st && (st = nqs_dataset_column(path, name, ncols, &col, &err))) free(rows);
  if (st) {
    fprintf(stderr, "nqs: error: %s (a run folder of nqs run or nqs evaluate has trace.csv; choose a column with --column)\n",
            err.msg);
    return cli_exit_code(st);
  }
  for (int r = 0; r < nrows; r++) rows[r] = rows[(size_t)r * ncols + col]; /* in place: row r's entry lies at or after r */
  *x = rows, *n = nrows;
  return 0;
}

/* What result.json says beside the trace: units, acceptance, reference, the per-sample variance. */
static void read_result(const char *dir, const char *column, analysed *r) {
  cJSON *j = nqs_cli_result_json(dir);
  if (!j) return;
  const cJSON *u = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "units"), "energy"), *acc = cJSON_GetObjectItem(j, "acceptance"),
              *ref = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "reference"), "value"),
              *var = cJSON_GetObjectItem(cJSON_GetObjectItem(j, column), "variance");
  if (cJSON_IsString(u)) snprintf(r->unit, sizeof r->unit, "%s", u->valuestring);
  if (cJSON_IsNumber(acc)) r->acceptance = acc->valuedouble;
  if (cJSON_IsNumber(ref) && strcmp(column, "energy") == 0) r->reference = ref->valuedouble;
  if (cJSON_IsNumber(var)) r->variance = var->valuedouble;
  cJSON_Delete(j);
}

static int analyse_one(const char *path, const char *column, int detect, analysed *r) {
  struct stat st;
  const int is_dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
  char csv[700];
  snprintf(csv, sizeof csv, is_dir ? "%s/trace.csv" : "%s", path);
  r->path = path;
  r->acceptance = r->reference = r->variance = NAN;
  if (is_dir) read_result(path, column, r);
  double *x = NULL;
  long n = 0;
  int rc = read_column(csv, column, &x, &n);
  if (rc) return rc;
  nqs_error err;
  const nqs_status s = nqs_analyze_trace(x, n, detect, &r->a, &err);
  free(x);
  if (s) {
    fprintf(stderr, "nqs: error: %s: %s\n", csv, err.msg);
    return cli_exit_code(s);
  }
  if (isnan(r->variance)) r->variance = r->a.blocked.variance;
  return 0;
}

static void print_table(const analysed *r, int n, const char *column) {
  printf("%-32s %-28s %-10s %-14s %-9s %-6s %-12s %s\n", "run", column, "σ²", "τ_int", "cut", "acc", "reference", "rel. error");
  for (int k = 0; k < n; k++) {
    char ve[96], e[140], tau[32], acc[16] = "-", ref[24] = "-", rel[24] = "-";
    nqs_format_value_error(ve, sizeof ve, r[k].a.blocked.mean, r[k].a.blocked.error);
    snprintf(e, sizeof e, "%s %s", ve, r[k].unit);
    snprintf(tau, sizeof tau, "%.3g%s", r[k].a.tau, r[k].a.window < 0 ? " (>)" : "");
    if (!isnan(r[k].acceptance)) snprintf(acc, sizeof acc, "%.3f", r[k].acceptance);
    if (!isnan(r[k].reference)) {
      snprintf(ref, sizeof ref, "%.10g", r[k].reference);
      snprintf(rel, sizeof rel, "%+.2e", (r[k].a.blocked.mean - r[k].reference) / fabs(r[k].reference));
    }
    printf("%-32s %-28s %-10.3e %-14s %-9ld %-6s %-12s %s\n", r[k].path, e, r[k].variance, tau, r[k].a.discarded, acc, ref, rel);
  }
}

static int write_csv(const char *path, const analysed *r, int n, const char *column) {
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "nqs: error: cannot write %s\n", path);
    return 1;
  }
  fprintf(f, "run,column,unit,mean,error,error_tau,variance,tau,window,tau_blocking,n,discarded,acceptance,reference,relative_error\n");
  for (int k = 0; k < n; k++) {
    const nqs_trace_analysis *a = &r[k].a;
    fprintf(f, "\"%s\",%s,%s,%.17g,%.6g,%.6g,%.6g,%.6g,%ld,%.6g,%ld,%ld,%.6g,%.17g,%.6g\n", r[k].path, column, r[k].unit,
            a->blocked.mean, a->blocked.error, a->error_tau, r[k].variance, a->tau, a->window, a->blocked.tau_int, a->n,
            a->discarded, r[k].acceptance, r[k].reference, (a->blocked.mean - r[k].reference) / fabs(r[k].reference));
  }
  const int bad = ferror(f);
  if (fclose(f) || bad) {
    fprintf(stderr, "nqs: error: cannot finish writing %s (is the disk full?)\n", path);
    return 1;
  }
  return 0;
}

static cJSON *number_or_null(double x) { return isfinite(x) ? cJSON_CreateNumber(x) : cJSON_CreateNull(); }

static int write_json(const char *path, const analysed *r, int n, const char *column) {
  cJSON *root = cJSON_CreateObject(), *runs = cJSON_AddArrayToObject(root, "runs");
  cJSON_AddStringToObject(root, "column", column);
  for (int k = 0; k < n; k++) {
    const nqs_trace_analysis *a = &r[k].a;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "run", r[k].path);
    cJSON_AddStringToObject(o, "unit", r[k].unit);
    cJSON_AddNumberToObject(o, "mean", a->blocked.mean);
    cJSON_AddNumberToObject(o, "error", a->blocked.error);
    cJSON_AddBoolToObject(o, "blocking_converged", a->blocked.converged);
    cJSON_AddNumberToObject(o, "error_tau", a->error_tau);
    cJSON_AddItemToObject(o, "variance", number_or_null(r[k].variance));
    cJSON_AddNumberToObject(o, "tau", a->tau);
    cJSON_AddNumberToObject(o, "window", (double)a->window);
    cJSON_AddNumberToObject(o, "tau_blocking", a->blocked.tau_int);
    cJSON_AddNumberToObject(o, "n", (double)a->n);
    cJSON_AddNumberToObject(o, "discarded", (double)a->discarded);
    cJSON_AddItemToObject(o, "acceptance", number_or_null(r[k].acceptance));
    cJSON_AddItemToObject(o, "reference", number_or_null(r[k].reference));
    cJSON_AddItemToObject(o, "relative_error", number_or_null((a->blocked.mean - r[k].reference) / fabs(r[k].reference)));
    cJSON *curve = cJSON_AddArrayToObject(o, "blocking_curve");
    for (int j = 0; j < a->levels; j++) {
      cJSON *l = cJSON_CreateObject();
      cJSON_AddNumberToObject(l, "block_size", ldexp(1.0, j));
      cJSON_AddNumberToObject(l, "blocks", (double)a->blocks[j]);
      cJSON_AddNumberToObject(l, "error", a->curve[j]);
      cJSON_AddItemToArray(curve, l);
    }
    cJSON_AddItemToArray(runs, o);
  }
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  FILE *f = text ? fopen(path, "w") : NULL;
  const int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
  free(text);
  if (!f || fclose(f) || !ok) {
    fprintf(stderr, "nqs: error: cannot write %s\n", path);
    return 1;
  }
  return 0;
}

/* The blocking curves (error against block size, each run's chosen level marked) as FILE.png,
 * from a gnuplot script FILE.gp that holds its data. */
static int write_plot(const char *png, const analysed *r, int n, const char *column) {
  if (strchr(png, '\'')) {
    fprintf(stderr, "nqs: error: the file name %s contains a quote, which gnuplot scripts cannot hold\n", png);
    return 2;
  }
  char gp[700];
  snprintf(gp, sizeof gp, "%.*s.gp", (int)(strlen(png) > 4 && strcmp(png + strlen(png) - 4, ".png") == 0 ? strlen(png) - 4 : strlen(png)), png);
  FILE *g = fopen(gp, "w");
  if (!g) {
    fprintf(stderr, "nqs: error: cannot write %s\n", gp);
    return 1;
  }
  fprintf(g, "# nqs analyze: blocking curves; rerun with: gnuplot '%s'\n", gp);
  for (int k = 0; k < n; k++) {
    fprintf(g, "$run%d << EOD\n", k);
    for (int j = 0; j < r[k].a.levels && r[k].a.blocks[j] >= 4; j++) fprintf(g, "%.17g %.17g\n", ldexp(1.0, j), r[k].a.curve[j]);
    fprintf(g, "EOD\n");
  }
  fprintf(g,
          "set terminal pngcairo size 900,600 enhanced font 'sans,11'\nset output '%s'\n"
          "set title \"Blocking analysis of '%s' (error of the mean against block size)\" noenhanced\n"
          "set logscale x 2; set logscale y; set grid; set key outside right top noenhanced\n"
          "set xlabel 'block size (sweeps)'; set ylabel 'standard error of the mean (%s)' noenhanced\n"
          "plot ",
          png, column, r[0].unit[0] ? r[0].unit : "units of the trace");
  for (int k = 0; k < n; k++)
    fprintf(g, "%s$run%d using 1:2 with linespoints pt 7 ps 0.6 lw 1.5 lc %d title '%s', %.17g with lines dt 2 lc %d notitle",
            k ? ", " : "", k, k + 1, r[k].path, r[k].a.blocked.error, k + 1);
  fputc('\n', g);
  if (fclose(g)) {
    fprintf(stderr, "nqs: error: cannot finish %s\n", gp);
    return 1;
  }
  char msg[800];
  if (nqs_run_gnuplot(gp, msg, sizeof msg)) {
    fprintf(stderr, "nqs: error: %s\n", msg);
    return 1;
  }
  return 0;
}

int nqs_cmd_analyze(int argc, char **argv) {
  cli_args a;
  int rc = cli_parse("analyze", "... --column= --no-equilibration --csv= --json= --plot= --quiet", argc, argv, &a);
  if (rc) return rc;
  if (a.npositional == 0) {
    fprintf(stderr, "nqs: error: nqs analyze needs one or more run folders (see nqs analyze --help)\n");
    return 2;
  }
  const char *column = cli_get(&a, "--column") ? cli_get(&a, "--column") : "energy";
  analysed *r = calloc((size_t)a.npositional, sizeof *r);
  if (!r) return 1;
  for (int k = 0; k < a.npositional && !rc; k++) rc = analyse_one(a.positionals[k], column, !cli_flag(&a, "--no-equilibration"), &r[k]);
  if (!rc && !cli_flag(&a, "--quiet")) print_table(r, a.npositional, column);
  if (!rc && cli_get(&a, "--csv")) rc = write_csv(cli_get(&a, "--csv"), r, a.npositional, column);
  if (!rc && cli_get(&a, "--json")) rc = write_json(cli_get(&a, "--json"), r, a.npositional, column);
  if (!rc && cli_get(&a, "--plot")) rc = write_plot(cli_get(&a, "--plot"), r, a.npositional, column);
  for (int k = 0; k < a.npositional && !rc; k++)
    if (!r[k].a.blocked.converged || r[k].a.window < 0)
      fprintf(stderr, "nqs: warning: %s: the series is short for its correlation time: the error is a lower bound\n", r[k].path);
  free(r);
  return rc;
}
