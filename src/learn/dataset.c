/* dataset.c — reading and writing sample tables (CSV or HDF5). See nqs/learn/dataset.h. */
#include <ctype.h>
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nqs/learn/dataset.h"
#include "sandbox.h"

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

static int has_suffix(const char *s, const char *suf) {
  const size_t a = strlen(s), b = strlen(suf);
  return a >= b && strcmp(s + a - b, suf) == 0;
}

/* An element type nqs can convert without surprises: an integer of 1, 2, 4 or 8 bytes using all
 * of its bits, or an IEEE float of 4 or 8 bytes, either byte order. Anything else (a crafted
 * precision, padding bits, a compound, a string) is refused before libhdf5 converts a byte. */
static int plain_numeric(hid_t t) {
  const size_t size = H5Tget_size(t);
  switch (H5Tget_class(t)) {
  case H5T_INTEGER:
    return (size == 1 || size == 2 || size == 4 || size == 8) && H5Tget_precision(t) == 8 * size && H5Tget_offset(t) == 0;
  case H5T_FLOAT:
    return H5Tequal(t, H5T_IEEE_F32LE) > 0 || H5Tequal(t, H5T_IEEE_F64LE) > 0 || H5Tequal(t, H5T_IEEE_F32BE) > 0 ||
           H5Tequal(t, H5T_IEEE_F64BE) > 0;
  default:
    return 0;
  }
}

/* HDF5: the two-dimensional dataset "data" (rows x columns) of a plain numeric type, read as
 * double. The file is untrusted: type, shape and stored size are checked against the file's
 * size before anything is allocated or read, and libhdf5 prints nothing. */
static nqs_status read_h5(const char *path, int binary, double **rows, int *nrows, int *ncols, nqs_error *err) {
  struct stat fs;
  if (stat(path, &fs) || !S_ISREG(fs.st_mode)) return nqs_error_set(err, NQS_EINPUT, "cannot open the data file %s", path);
  hid_t f = -1, ds = -1, sp = -1, ty = -1;
  nqs_status st = NQS_OK;
  hsize_t dims[2] = {0, 0};
  double *d = NULL;
  H5E_BEGIN_TRY {
    /* closing the file closes whatever a damaged header left open inside libhdf5 */
    const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0) H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    f = H5Fopen(path, H5F_ACC_RDONLY, fapl >= 0 ? fapl : H5P_DEFAULT);
    if (fapl >= 0) H5Pclose(fapl);
    ds = f >= 0 ? H5Dopen2(f, "data", H5P_DEFAULT) : -1;
    ty = ds >= 0 ? H5Dget_type(ds) : -1;
    sp = ds >= 0 ? H5Dget_space(ds) : -1;
    if (f < 0) st = nqs_error_set(err, NQS_EINPUT, "cannot open the data file %s as HDF5", path);
    else if (ds < 0) st = nqs_error_set(err, NQS_EINPUT, "%s holds no dataset named \"data\" (rows x columns)", path);
    else if (ty < 0 || !plain_numeric(ty))
      st = nqs_error_set(err, NQS_EINPUT, "%s: \"data\" must hold plain numbers (integers of 1 to 8 bytes or IEEE floats)", path);
    else if (sp < 0 || H5Sget_simple_extent_type(sp) != H5S_SIMPLE || H5Sget_simple_extent_ndims(sp) != 2 ||
             H5Sget_simple_extent_dims(sp, dims, NULL) != 2 || dims[0] < 1 || dims[1] < 1 || dims[0] > 2000000000ULL ||
             dims[1] > 1000000ULL)
      st = nqs_error_set(err, NQS_EINPUT, "%s: \"data\" must be a non-empty two-dimensional dataset (rows x columns)", path);
    else {
      /* nqs writes uncompressed data: the stored bytes cover every element and fit in the file */
      const double need = (double)dims[0] * (double)dims[1] * (double)H5Tget_size(ty);
      if (need > (double)fs.st_size || (double)H5Dget_storage_size(ds) < need)
        st = nqs_error_set(err, NQS_EINPUT,
                           "%s: \"data\" claims %llu x %llu entries (%.3g bytes), more than the file stores (%lld bytes): "
                           "the file is damaged or compressed; write it uncompressed",
                           path, (unsigned long long)dims[0], (unsigned long long)dims[1], need, (long long)fs.st_size);
    }
    if (!st && !(d = malloc(sizeof(double) * (size_t)dims[0] * dims[1])))
      st = nqs_error_set(err, NQS_ENOMEM, "out of memory reading %s", path);
    if (!st && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, d) < 0)
      st = nqs_error_set(err, NQS_EINPUT, "%s: cannot read \"data\" as numbers", path);
    if (ty >= 0) H5Tclose(ty);
    if (sp >= 0) H5Sclose(sp);
    if (ds >= 0) H5Dclose(ds);
    if (f >= 0) H5Fclose(f);
  }
  H5E_END_TRY;
  for (size_t k = 0; !st && k < (size_t)dims[0] * dims[1]; k++)
    if (!isfinite(d[k]) || (binary && d[k] != 0 && d[k] != 1))
      st = nqs_error_set(err, NQS_EINPUT, "%s: data row %zu, entry %zu is %g; binary data must be 0 or 1", path,
                         (size_t)(k / dims[1] + 1), (size_t)(k % dims[1] + 1), d[k]);
  if (st) {
    free(d);
    return st;
  }
  *rows = d;
  *nrows = (int)dims[0];
  *ncols = (int)dims[1];
  return NQS_OK;
}

typedef struct {
  const char *path;
  int binary;
} h5_trial;

static int try_h5(void *arg) {
  const h5_trial *t = arg;
  double *rows = NULL;
  int nr, nc;
  return read_h5(t->path, t->binary, &rows, &nr, &nc, NULL) != NQS_OK;
}

nqs_status nqs_dataset_read(const char *path, int binary, double **rows, int *nrows, int *ncols, nqs_error *err) {
  if (has_suffix(path, ".h5") || has_suffix(path, ".hdf5")) {
    h5_trial t = {path, binary};
    if (nqs_sandbox(try_h5, &t) < 0)
      return nqs_error_set(err, NQS_EINPUT, "%s: the HDF5 library could not survive reading this file: it is damaged or "
                           "crafted, and refused", path);
    return read_h5(path, binary, rows, nrows, ncols, err);
  }
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

/* HDF5: the dataset "data" (nrows x ncols, unsigned 8-bit), through a temporary file */
static nqs_status write_h5(const char *path, const char *tmp, const double *rows, long nrows, int ncols, int binary,
                           nqs_error *err) {
  errno = 0;
  unsigned char *b = binary ? malloc((size_t)nrows * ncols) : NULL;
  if (binary && !b) return nqs_error_set(err, NQS_ENOMEM, "out of memory writing %s", path);
  for (size_t k = 0; binary && k < (size_t)nrows * ncols; k++) b[k] = rows[k] > 0.5;
  const hsize_t dims[2] = {(hsize_t)nrows, (hsize_t)ncols};
  int ok = 0, closed = 0;
  H5E_BEGIN_TRY { /* every handle closed on every path; libhdf5 prints nothing, nqs says what failed */
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t sp = f >= 0 ? H5Screate_simple(2, dims, NULL) : -1;
    hid_t ds = sp >= 0 ? H5Dcreate2(f, "data", binary ? H5T_STD_U8LE : H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    ok = ds >= 0 && (binary ? H5Dwrite(ds, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, b)
                            : H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows)) >= 0;
    if (ds >= 0) H5Dclose(ds);
    if (sp >= 0) H5Sclose(sp);
    closed = f >= 0 && H5Fclose(f) >= 0;
  }
  H5E_END_TRY;
  free(b);
  if (!ok || !closed || rename(tmp, path)) {
    const int e = errno;
    unlink(tmp);
    return nqs_error_set(err, NQS_EIO, "cannot write %s as HDF5%s%s", path, e ? ": " : "", e ? strerror(e) : "");
  }
  return NQS_OK;
}

nqs_status nqs_dataset_write(const char *path, const double *rows, long nrows, int ncols, int binary, nqs_error *err) {
  return nqs_dataset_write_named(path, rows, nrows, ncols, binary, NULL, err);
}

nqs_status nqs_dataset_write_named(const char *path, const double *rows, long nrows, int ncols, int binary, const char *header,
                                   nqs_error *err) {
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  if (has_suffix(path, ".h5") || has_suffix(path, ".hdf5")) return write_h5(path, tmp, rows, nrows, ncols, binary, err);
  FILE *f = fopen(tmp, "w");
  if (!f) return nqs_error_set(err, NQS_EIO, "cannot write %s (%s)", tmp, strerror(errno));
  if (header) fprintf(f, "%s", header);
  else
    for (int i = 0; i < ncols; i++) fprintf(f, "%sv%d", i ? "," : "", i);
  fputc('\n', f);
  char *line = malloc((size_t)2 * ncols + 2);
  for (long r = 0; !binary && r < nrows; r++)
    for (int i = 0; i < ncols; i++) fprintf(f, "%.10g%c", rows[(size_t)r * ncols + i], i + 1 < ncols ? ',' : '\n');
  for (long r = 0; binary && line && r < nrows; r++) {
    for (int i = 0; i < ncols; i++) {
      line[2 * i] = rows[(size_t)r * ncols + i] > 0.5 ? '1' : '0';
      line[2 * i + 1] = i + 1 < ncols ? ',' : '\n';
    }
    fwrite(line, 1, (size_t)2 * ncols, f);
  }
  const int wrote = line != NULL;
  free(line);
  const int flushed = fflush(f) == 0 && fsync(fileno(f)) == 0, e = errno;
  if (fclose(f) || !flushed || !wrote || rename(tmp, path)) {
    unlink(tmp);
    return nqs_error_set(err, NQS_EIO, "cannot finish %s: %s", path, strerror(flushed ? errno : e));
  }
  return NQS_OK;
}

nqs_status nqs_dataset_column(const char *path, const char *name, int ncols, int *index, nqs_error *err) {
  char *end;
  const long k = strtol(name, &end, 10);
  if (end != name && !*end) {
    if (k < 0 || k >= ncols)
      return nqs_error_set(err, NQS_EINPUT, "%s has columns 0..%d; there is no column %ld", path, ncols - 1, k);
    *index = (int)k;
    return NQS_OK;
  }
  char *line = NULL; /* the first line that is not a comment: the header, if it is not numbers */
  size_t cap = 0;
  FILE *f = has_suffix(path, ".h5") || has_suffix(path, ".hdf5") ? NULL : fopen(path, "r");
  while (f && getline(&line, &cap, f) >= 0 && (line[0] == '#' || line[strspn(line, " \t\r\n")] == 0)) continue;
  if (f) fclose(f);
  if (line && parse_line(line, NULL, 0) >= 0) line[0] = 0; /* numbers: no header */
  char names[512] = ""; /* the header's names, for the message */
  int col = 0;
  for (char *save = NULL, *t = line ? strtok_r(line, ",\r\n", &save) : NULL; t; t = strtok_r(NULL, ",\r\n", &save), col++) {
    while (*t == ' ' || *t == '\t') t++;
    size_t len = strlen(t);
    while (len && (t[len - 1] == ' ' || t[len - 1] == '\t')) t[--len] = 0;
    if (strcmp(t, name) == 0) {
      *index = col;
      free(line);
      return NQS_OK;
    }
    const size_t at = strlen(names);
    if (at + 8 < sizeof names) snprintf(names + at, sizeof names - at, "%s%s", at ? ", " : "", t);
  }
  free(line);
  if (names[0])
    return nqs_error_set(err, NQS_EINPUT, "%s: no column named '%s'; its header names %.400s (or give a 0-based index 0..%d)",
                         path, name, names, ncols - 1);
  return nqs_error_set(err, NQS_EINPUT, "%s: no column named '%s' (name columns by a header row of the CSV, or by 0-based "
                       "index 0..%d)", path, name, ncols - 1);
}

nqs_status nqs_dataset_write_coords(const char *path, const double *rows, long nrows, int ncols, nqs_error *err) {
  char *header = malloc((size_t)ncols * 12 + 2);
  if (!header) return nqs_error_set(err, NQS_ENOMEM, "out of memory writing %s", path);
  header[0] = 0;
  for (int k = 0; k < ncols; k++) sprintf(header + strlen(header), "%sx%d", k ? "," : "", k);
  const nqs_status st = nqs_dataset_write_named(path, rows, nrows, ncols, 0, header, err);
  free(header);
  return st;
}
