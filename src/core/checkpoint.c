/* checkpoint.c — named records in an HDF5 image with a checksummed userblock header. HDF5 only
 * ever sees memory: the image is built in memory and written by plain POSIX calls (so a full disk
 * is an ordinary write error), and a file is read whole, verified, and only then handed to HDF5. */
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nqs/core/checkpoint.h"
#include "h5attr.h"
#include "sandbox.h"

#define USERBLOCK NQS_CHECKPOINT_USERBLOCK
#define MAGIC "NQSCHK\n"

void nqs_checkpoint_init(nqs_checkpoint *c) { memset(c, 0, sizeof *c); }

void nqs_checkpoint_free(nqs_checkpoint *c) {
  if (!c) return;
  for (int i = 0; i < c->count; i++) free(c->rec[i].data);
  memset(c, 0, sizeof *c);
}

static size_t elem_size(nqs_record_type t) { return t == NQS_RECORD_TEXT ? 1 : 8; }

nqs_status nqs_checkpoint_describe(nqs_checkpoint *c, const char *name, const char *about, nqs_error *err) {
  for (int i = 0; i < c->count; i++)
    if (strcmp(c->rec[i].name, name) == 0) {
      snprintf(c->rec[i].about, sizeof c->rec[i].about, "%s", about);
      return NQS_OK;
    }
  return nqs_error_set(err, NQS_EINPUT, "no checkpoint record '%s' to describe", name);
}

const nqs_record *nqs_checkpoint_find(const nqs_checkpoint *c, const char *name) {
  for (int i = 0; i < c->count; i++)
    if (strcmp(c->rec[i].name, name) == 0) return &c->rec[i];
  return NULL;
}

void *nqs_checkpoint_add(nqs_checkpoint *c, const char *name, nqs_record_type type, size_t rows, size_t cols, nqs_error *err) {
  const size_t len = strlen(name);
  if (len == 0 || len >= NQS_CHECKPOINT_NAME_MAX || strchr(name, '/') || name[0] == '.') {
    nqs_error_set(err, NQS_EINPUT, "'%s' is not a valid checkpoint record name", name);
    return NULL;
  }
  if (nqs_checkpoint_find(c, name)) {
    nqs_error_set(err, NQS_EINPUT, "the checkpoint already has a record '%s'", name);
    return NULL;
  }
  if (c->count >= NQS_CHECKPOINT_MAX_RECORDS) {
    nqs_error_set(err, NQS_EINPUT, "a checkpoint holds at most %d records", NQS_CHECKPOINT_MAX_RECORDS);
    return NULL;
  }
  const size_t n = rows * cols + (type == NQS_RECORD_TEXT); /* a text keeps its NUL */
  if (cols && rows > SIZE_MAX / 8 / cols) {
    nqs_error_set(err, NQS_ENOMEM, "checkpoint record '%s' of %zu x %zu elements is too large", name, rows, cols);
    return NULL;
  }
  void *data = calloc(n ? n : 1, elem_size(type));
  if (!data) {
    nqs_error_set(err, NQS_ENOMEM, "out of memory for checkpoint record '%s' (%zu elements)", name, n);
    return NULL;
  }
  nqs_record *r = &c->rec[c->count++];
  memset(r, 0, sizeof *r);
  memcpy(r->name, name, len + 1);
  r->type = type;
  r->rows = rows;
  r->cols = cols;
  r->data = data;
  return data;
}

nqs_status nqs_checkpoint_put(nqs_checkpoint *c, const char *name, const double *x, size_t n, nqs_error *err) {
  double *d = nqs_checkpoint_add(c, name, NQS_RECORD_F64, n, 1, err);
  if (!d) return err ? err->code : NQS_ENOMEM;
  if (n) memcpy(d, x, sizeof(double) * n);
  return NQS_OK;
}

nqs_status nqs_checkpoint_put_scalar(nqs_checkpoint *c, const char *name, double x, nqs_error *err) {
  return nqs_checkpoint_put(c, name, &x, 1, err);
}

nqs_status nqs_checkpoint_put_text(nqs_checkpoint *c, const char *name, const char *text, nqs_error *err) {
  const size_t n = strlen(text);
  char *d = nqs_checkpoint_add(c, name, NQS_RECORD_TEXT, n, 1, err);
  if (!d) return err ? err->code : NQS_ENOMEM;
  memcpy(d, text, n);
  return NQS_OK;
}

static const char *type_name(nqs_record_type t) {
  return t == NQS_RECORD_F64 ? "f64" : t == NQS_RECORD_U64 ? "u64" : "text";
}

const void *nqs_checkpoint_get(const nqs_checkpoint *c, const char *name, nqs_record_type type, size_t n, nqs_error *err) {
  const nqs_record *r = nqs_checkpoint_find(c, name);
  if (!r) {
    nqs_error_set(err, NQS_EINPUT, "the checkpoint has no record '%s': it was written by another kind of run", name);
    return NULL;
  }
  if (r->type != type || r->rows * r->cols != n) {
    nqs_error_set(err, NQS_EINPUT,
                  "checkpoint record '%s' holds %zu %s values, this run needs %zu %s values: sizes cannot change on "
                  "restart (the checkpoint is of another system, model, walker or chain count, or optimiser)",
                  name, r->rows * r->cols, type_name(r->type), n, type_name(type));
    return NULL;
  }
  return r->data;
}

nqs_status nqs_checkpoint_scalar(const nqs_checkpoint *c, const char *name, double *x, nqs_error *err) {
  const double *d = nqs_checkpoint_get(c, name, NQS_RECORD_F64, 1, err);
  if (!d) return NQS_EINPUT;
  if (!isfinite(d[0])) return nqs_error_set(err, NQS_EINPUT, "checkpoint record '%s' is %g: the file is damaged", name, d[0]);
  *x = d[0];
  return NQS_OK;
}

nqs_status nqs_checkpoint_count(const nqs_checkpoint *c, const char *name, long lo, long hi, long *x, nqs_error *err) {
  double v;
  nqs_status st = nqs_checkpoint_scalar(c, name, &v, err);
  if (st) return st;
  if (v != floor(v) || v < (double)lo || v > (double)hi)
    return nqs_error_set(err, NQS_EINPUT, "checkpoint record '%s' is %g, not a whole number in [%ld, %ld]: the file is damaged",
                         name, v, lo, hi);
  *x = (long)v;
  return NQS_OK;
}

const char *nqs_checkpoint_text(const nqs_checkpoint *c, const char *name) {
  const nqs_record *r = nqs_checkpoint_find(c, name);
  return r && r->type == NQS_RECORD_TEXT ? r->data : "";
}

/* FNV-1a, 64 bit. */
static uint64_t fnv1a(const unsigned char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

/* The HDF5 type a record is stored as (a new id for texts, which the caller closes). */
static hid_t file_type(const nqs_record *r) {
  if (r->type == NQS_RECORD_F64) return H5T_IEEE_F64LE;
  if (r->type == NQS_RECORD_U64) return H5T_STD_U64LE;
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, r->rows ? r->rows : 1);
  H5Tset_strpad(t, H5T_STR_NULLPAD);
  return t;
}

static herr_t write_record(hid_t f, const nqs_record *r) {
  const hsize_t dims[2] = {r->rows, r->cols};
  hid_t sp = r->type == NQS_RECORD_TEXT ? H5Screate(H5S_SCALAR) : H5Screate_simple(r->cols == 1 ? 1 : 2, dims, NULL);
  hid_t t = file_type(r);
  hid_t ds = H5Dcreate2(f, r->name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t e = ds < 0 ? -1 : (r->rows * r->cols != 0) ? H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, r->data) : 0;
  if (e >= 0 && r->about[0]) e = nqs_h5_attribute(ds, "about", r->about);
  if (ds >= 0) H5Dclose(ds);
  if (r->type == NQS_RECORD_TEXT) H5Tclose(t);
  H5Sclose(sp);
  return e;
}

/* The whole file as an image in memory, header included; NULL if HDF5 fails. */
static unsigned char *build_image(const nqs_checkpoint *c, size_t *len) {
  unsigned char *img = NULL;
  H5E_BEGIN_TRY {
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_userblock(fcpl, USERBLOCK);
    H5Pset_fapl_core(fapl, 1 << 16, 0); /* in memory, no backing file */
    hid_t f = H5Fcreate("nqs-checkpoint-image", H5F_ACC_TRUNC, fcpl, fapl);
    H5Pclose(fcpl);
    H5Pclose(fapl);
    herr_t e = f < 0 ? -1 : nqs_h5_attribute(f, "format", "nqs checkpoint (every record a dataset; see its attribute 'about')");
    if (e >= 0) {
      char v[16];
      snprintf(v, sizeof v, "%d", NQS_CHECKPOINT_VERSION);
      e = nqs_h5_attribute(f, "version", v);
    }
    for (int i = 0; i < c->count && e >= 0; i++) e = write_record(f, &c->rec[i]);
    if (e >= 0) e = H5Fflush(f, H5F_SCOPE_GLOBAL);
    /* the image starts at the HDF5 signature; the userblock in front of it is ours to write */
    ssize_t n = e >= 0 ? H5Fget_file_image(f, NULL, 0) : -1;
    if (n > 0 && (img = malloc((size_t)n + USERBLOCK)) && H5Fget_file_image(f, img + USERBLOCK, (size_t)n) != n) {
      free(img);
      img = NULL;
    }
    if (f >= 0) H5Fclose(f);
    *len = img ? (size_t)n + USERBLOCK : 0;
  }
  H5E_END_TRY;
  if (img) nqs_checkpoint_seal(img, *len);
  return img;
}

void nqs_checkpoint_seal(unsigned char *img, size_t len) {
  uint64_t h = fnv1a(img + USERBLOCK, len - USERBLOCK);
  memset(img, 0, USERBLOCK);
  snprintf((char *)img, USERBLOCK, MAGIC "version %d\nbytes %zu\nfnv1a64 %016llx\n", NQS_CHECKPOINT_VERSION, len,
           (unsigned long long)h);
}

/* All of buf to a new file at path, flushed to the disk; -1 with errno on any failure. */
static int write_file(const char *path, const unsigned char *buf, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  size_t done = 0;
  while (done < len) {
    ssize_t w = write(fd, buf + done, len - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = ENOSPC;
      const int e = errno;
      close(fd);
      errno = e;
      return -1;
    }
    done += (size_t)w;
  }
  if (fsync(fd)) {
    const int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return close(fd);
}

nqs_status nqs_checkpoint_write(const char *dir, const nqs_checkpoint *c, nqs_error *err) {
  char path[4096], tmp[4200];
  snprintf(path, sizeof path, "%s/checkpoint.h5", dir);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  size_t len;
  unsigned char *img = build_image(c, &len);
  if (!img) return nqs_error_set(err, NQS_ENOMEM, "HDF5 could not build the checkpoint image in memory (out of memory?)");
  nqs_status st = NQS_OK;
  if (write_file(tmp, img, len) || rename(tmp, path)) {
    st = nqs_error_set(err, NQS_EIO, "cannot write the checkpoint %s: %s; the previous checkpoint (if any) is kept", path,
                       strerror(errno));
    unlink(tmp);
  } else { /* make the rename itself durable */
    int dfd = open(dir, O_RDONLY);
    if (dfd >= 0) {
      fsync(dfd);
      close(dfd);
    }
  }
  free(img);
  return st;
}

/* ---- reading ---- */

typedef struct {
  int count, bad;
  char names[NQS_CHECKPOINT_MAX_RECORDS][NQS_CHECKPOINT_NAME_MAX];
} name_list;

static herr_t collect_name(hid_t g, const char *name, const H5L_info_t *info, void *user) {
  name_list *l = user;
  if (info->type != H5L_TYPE_HARD || strlen(name) >= NQS_CHECKPOINT_NAME_MAX || l->count >= NQS_CHECKPOINT_MAX_RECORDS) {
    l->bad = 1;
    return 1; /* stop */
  }
  strcpy(l->names[l->count++], name);
  return 0;
}

/* One dataset into a record, after checking that its type is one nqs writes (read without any
 * conversion), its shape is a scalar text or a vector/matrix, and its stored bytes exist. */
static int read_record(hid_t f, const char *name, size_t file_len, nqs_checkpoint *c) {
  hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
  if (ds < 0) return -1;
  hid_t t = H5Dget_type(ds), sp = H5Dget_space(ds);
  int ok = t >= 0 && sp >= 0, rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
  hsize_t dims[2] = {0, 1};
  nqs_record_type type = 0;
  size_t rows = 0, cols = 1;
  if (ok && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) == 0 && rank == 0) {
    hid_t want = H5Tcopy(H5T_C_S1);
    rows = H5Tget_size(t);
    H5Tset_size(want, rows ? rows : 1);
    H5Tset_strpad(want, H5T_STR_NULLPAD);
    ok = H5Tequal(t, want) > 0;
    H5Tclose(want);
    type = NQS_RECORD_TEXT;
  } else if (ok && (rank == 1 || rank == 2) && H5Sget_simple_extent_dims(sp, dims, NULL) == rank) {
    type = H5Tequal(t, H5T_IEEE_F64LE) > 0 ? NQS_RECORD_F64 : H5Tequal(t, H5T_STD_U64LE) > 0 ? NQS_RECORD_U64 : 0;
    rows = dims[0];
    cols = rank == 2 ? dims[1] : 1;
    ok = type != 0 && (cols == 0 || rows <= file_len / 8 / cols);
  } else
    ok = 0;
  const size_t bytes = ok ? rows * cols * elem_size(type) : 0;
  ok = ok && bytes <= file_len && (bytes == 0 || H5Dget_storage_size(ds) >= bytes);
  void *data = ok ? nqs_checkpoint_add(c, name, type, rows, cols, NULL) : NULL;
  if (data && bytes) {
    hid_t mt = type == NQS_RECORD_TEXT ? H5Tcopy(t) : t;
    ok = H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
    if (type == NQS_RECORD_TEXT) {
      H5Tclose(mt);
      c->rec[c->count - 1].rows = strnlen(data, rows); /* NUL padding is not text */
    }
  }
  if (sp >= 0) H5Sclose(sp);
  if (t >= 0) H5Tclose(t);
  H5Dclose(ds);
  return data && ok ? 0 : -1;
}

/* The header nqs_checkpoint_seal wrote: magic, version, length and checksum. */
static nqs_status check_header(const char *path, const unsigned char *img, size_t len, nqs_error *err) {
  if (len <= USERBLOCK) return nqs_error_set(err, NQS_EINPUT, "%s: not an nqs checkpoint (too short)", path);
  char head[USERBLOCK + 1];
  memcpy(head, img, USERBLOCK);
  head[USERBLOCK] = 0;
  int version = 0;
  long long bytes = -1;
  unsigned long long want = 0;
  if (strncmp(head, MAGIC, strlen(MAGIC)) != 0)
    return nqs_error_set(err, NQS_EINPUT, "%s: not an nqs checkpoint (no NQSCHK header); the file is damaged or foreign", path);
  if (sscanf(head + strlen(MAGIC), "version %d\nbytes %lld\nfnv1a64 %llx", &version, &bytes, &want) != 3)
    return nqs_error_set(err, NQS_EINPUT, "%s: damaged checkpoint header", path);
  if (version != NQS_CHECKPOINT_VERSION)
    return nqs_error_set(err, NQS_EINPUT, "%s: checkpoint format version %d; this nqs reads version %d (start the run afresh)",
                         path, version, NQS_CHECKPOINT_VERSION);
  if (bytes != (long long)len)
    return nqs_error_set(err, NQS_EINPUT, "%s: truncated or extended checkpoint: %zu bytes, the header says %lld", path, len, bytes);
  const uint64_t h = fnv1a(img + USERBLOCK, len - USERBLOCK);
  if (h != want)
    return nqs_error_set(err, NQS_EINPUT, "%s: checksum mismatch (fnv1a64 %016llx, header %016llx): the file is corrupt", path,
                         (unsigned long long)h, want);
  return NQS_OK;
}

/* Every record of the image through libhdf5, from memory; 1 if one is malformed or 'kind' is
 * missing (c then holds what was read). */
static int read_records(const unsigned char *img, size_t len, nqs_checkpoint *c) {
  int bad = 0;
  name_list names = {0};
  H5E_BEGIN_TRY {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_core(fapl, 1 << 16, 0);
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG); /* closing it closes what a damaged image left open */
    H5Pset_file_image(fapl, (void *)img, len); /* HDF5 copies the image */
    hid_t f = H5Fopen("nqs-checkpoint-read", H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    bad = f < 0 || H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_name, &names) < 0 || names.bad;
    for (int i = 0; i < names.count && !bad; i++) bad = read_record(f, names.names[i], len, c);
    if (f >= 0) H5Fclose(f);
  }
  H5E_END_TRY;
  return bad || !nqs_checkpoint_find(c, "kind");
}

typedef struct {
  const unsigned char *img;
  size_t len;
} image_trial;

static int try_image(void *arg) { /* in the sandbox's child: the process ends right after */
  const image_trial *t = arg;
  nqs_checkpoint c;
  nqs_checkpoint_init(&c);
  return read_records(t->img, t->len, &c);
}

nqs_status nqs_checkpoint_parse(const char *path, const unsigned char *img, size_t len, nqs_checkpoint *c, nqs_error *err) {
  nqs_checkpoint_init(c);
  nqs_status st = check_header(path, img, len, err);
  if (st) return st;
  image_trial t = {img, len};
  if (nqs_sandbox(try_image, &t) < 0)
    return nqs_error_set(err, NQS_EINPUT, "%s: the HDF5 library could not survive reading this checkpoint: it is damaged or "
                         "crafted, and refused", path);
  if (read_records(img, len, c)) {
    nqs_checkpoint_free(c);
    return nqs_error_set(err, NQS_EINPUT, "%s: malformed checkpoint (a dataset nqs does not write, of an unexpected type, shape "
                         "or size, or no 'kind'): the file is damaged or foreign", path);
  }
  return NQS_OK;
}

nqs_status nqs_checkpoint_read(const char *where, nqs_checkpoint *c, nqs_error *err) {
  nqs_checkpoint_init(c);
  char path[4096];
  struct stat sb;
  if (stat(where, &sb) == 0 && S_ISDIR(sb.st_mode)) snprintf(path, sizeof path, "%s/checkpoint.h5", where);
  else snprintf(path, sizeof path, "%s", where);
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return nqs_error_set(err, NQS_EINPUT, "%s: cannot open the checkpoint (%s); give a run folder that holds checkpoint.h5",
                         path, strerror(errno));
  if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size <= USERBLOCK) {
    close(fd);
    return nqs_error_set(err, NQS_EINPUT, "%s: not an nqs checkpoint (not a regular file, or too short)", path);
  }
  const size_t len = (size_t)sb.st_size;
  unsigned char *img = malloc(len);
  size_t got = 0;
  while (img && got < len) {
    ssize_t r = pread(fd, img + got, len - got, (off_t)got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  const int e = errno;
  close(fd);
  nqs_status st;
  if (!img) st = nqs_error_set(err, NQS_ENOMEM, "%s: out of memory for a checkpoint of %zu bytes", path, len);
  else if (got != len) st = nqs_error_set(err, NQS_EIO, "%s: read error: %s", path, got < len ? strerror(e) : "short read");
  else st = nqs_checkpoint_parse(path, img, len, c, err);
  free(img);
  return st;
}

nqs_status nqs_checkpoint_expect(const nqs_checkpoint *c, const char *kind, const char *path, nqs_error *err) {
  const char *have = nqs_checkpoint_text(c, "kind");
  if (strcmp(have, kind) == 0) return NQS_OK;
  /* the kind is the command's name ("vmc" is nqs run's) */
  const char *cmd = strcmp(have, "vmc") == 0 ? "run" : have;
  return nqs_error_set(err, NQS_EINPUT, "%s: this checkpoint was written by nqs %s (kind '%s'), not by a %s run; continue it with "
                       "nqs %s --restart", path, cmd, have, kind, cmd);
}
