/* dataset.c — reading and writing sample tables (CSV). See nqs/dataset.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nqs/dataset.h"

/* Parse the numbers of one line into out (at most cap); returns the count, -1 if a field is not a number. */
static int parse_line(char *line, double *out, int cap) {
  int n = 0;
  char *p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    if (!*p || *p == '\n' || *p == '\r') return n;
    char *end;
    const double x = strtod(p, &end);
    if (end == p || (*end && !strchr(" \t,\r\n", *end))) return -1;
    if (n < cap) out[n] = x;
    n++;
    p = end;
  }
}

nqs_status nqs_dataset_read_csv(const char *path, int binary, double **rows, int *nrows, int *ncols, nqs_error *err) {
  *rows = NULL;
  *nrows = *ncols = 0;
  FILE *f = fopen(path, "r");
  if (!f) return nqs_error_set(err, NQS_EINPUT, "cannot open the data file %s (%s)", path, strerror(errno));
  size_t cap = 0;
  char *line = NULL;
  double *data = NULL, *one = NULL;
  long n = 0, have = 0, lineno = 0;
  int cols = 0;
  nqs_status st = NQS_OK;
  ssize_t got;
  while (!st && (got = getline(&line, &cap, f)) >= 0) {
    lineno++;
    char *p = line;
    while (isspace((unsigned char)*p)) p++;
    if (!*p || *p == '#') continue;
    if (!cols) { /* the first row fixes the width (a header is skipped) */
      const int w = parse_line(line, NULL, 0);
      if (w < 0 && lineno == 1) continue;
      if (w <= 0) {
        st = nqs_error_set(err, NQS_EINPUT, "%s:%ld: expected numbers separated by commas", path, lineno);
        break;
      }
      cols = w;
      one = malloc(sizeof(double) * cols);
      if (!one) st = nqs_error_set(err, NQS_ENOMEM, "out of memory reading %s", path);
      if (st) break;
    }
    const int w = parse_line(line, one, cols);
    if (w != cols) {
      st = nqs_error_set(err, NQS_EINPUT, "%s:%ld: %s (rows must all have %d numbers)", path, lineno,
                         w < 0 ? "a field is not a number" : "wrong number of fields", cols);
      break;
    }
    for (int i = 0; i < cols; i++)
      if (!isfinite(one[i]) || (binary && one[i] != 0 && one[i] != 1)) {
        st = nqs_error_set(err, NQS_EINPUT, "%s:%ld: entry %d is %g; binary data must be 0 or 1", path, lineno, i + 1, one[i]);
        break;
      }
    if (st) break;
    if (n == have) {
      have = have ? 2 * have : 1024;
      double *bigger = realloc(data, sizeof(double) * (size_t)have * cols);
      if (!bigger) {
        st = nqs_error_set(err, NQS_ENOMEM, "out of memory reading %s (%ld rows)", path, n);
        break;
      }
      data = bigger;
    }
    memcpy(data + (size_t)n * cols, one, sizeof(double) * cols);
    n++;
  }
  fclose(f);
  free(line);
  free(one);
  if (!st && n == 0) st = nqs_error_set(err, NQS_EINPUT, "%s holds no rows of numbers", path);
  if (!st && n > 2000000000L) st = nqs_error_set(err, NQS_EINPUT, "%s: %ld rows, at most 2e9", path, n);
  if (st) {
    free(data);
    return st;
  }
  *rows = data;
  *nrows = (int)n;
  *ncols = cols;
  return NQS_OK;
}

nqs_status nqs_dataset_write_csv(const char *path, const double *rows, long nrows, int ncols, nqs_error *err) {
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) return nqs_error_set(err, NQS_EIO, "cannot write %s (%s)", tmp, strerror(errno));
  for (int i = 0; i < ncols; i++) fprintf(f, "%sv%d", i ? "," : "", i);
  fputc('\n', f);
  char *line = malloc((size_t)2 * ncols + 2);
  for (long r = 0; line && r < nrows; r++) {
    for (int i = 0; i < ncols; i++) {
      line[2 * i] = rows[(size_t)r * ncols + i] > 0.5 ? '1' : '0';
      line[2 * i + 1] = i + 1 < ncols ? ',' : '\n';
    }
    fwrite(line, 1, (size_t)2 * ncols, f);
  }
  const int wrote = line != NULL;
  free(line);
  if (fflush(f) || fsync(fileno(f)) || fclose(f) || !wrote || rename(tmp, path))
    return nqs_error_set(err, NQS_EIO, "cannot finish %s", path);
  return NQS_OK;
}
