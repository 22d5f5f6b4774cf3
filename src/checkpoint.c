/* checkpoint.c — HDF5 checkpoints with a checksummed userblock header. */
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nqs/checkpoint.h"

#define USERBLOCK 512
#define MAGIC "NQSCHK\n"

/* state[] layout, version 1 */
enum { S_ITER, S_STEP, S_LR_SCALE, S_SHIFT, S_HAVE_PREV, S_PREV_MEAN, S_PREV_VAR, S_PREV_ERR, S_NP, S_OPT_LEN,
       S_NWALKERS, S_NX, S_COUNT };

nqs_status nqs_checkpoint_alloc(nqs_checkpoint *c, int np, int opt_len, int nwalkers, int nx, nqs_error *err) {
  memset(c, 0, sizeof *c);
  c->np = np;
  c->opt_len = opt_len;
  c->nwalkers = nwalkers;
  c->nx = nx;
  c->params = calloc((size_t)np + 1, sizeof(double));
  c->prev_params = calloc((size_t)np + 1, sizeof(double));
  c->opt_state = calloc((size_t)opt_len + 1, sizeof(double));
  c->x = calloc((size_t)nwalkers * nx + 1, sizeof(double));
  c->rng = calloc((size_t)nwalkers * 4 + 1, sizeof(uint64_t));
  c->rng_spare = calloc((size_t)nwalkers + 1, sizeof(double));
  c->rng_has_spare = calloc((size_t)nwalkers + 1, sizeof(int32_t));
  if (!c->params || !c->prev_params || !c->opt_state || !c->x || !c->rng || !c->rng_spare || !c->rng_has_spare) {
    nqs_checkpoint_free(c);
    return nqs_error_set(err, NQS_ENOMEM, "out of memory for a checkpoint of %d parameters and %d walkers", np, nwalkers);
  }
  return NQS_OK;
}

void nqs_checkpoint_free(nqs_checkpoint *c) {
  if (!c) return;
  free(c->params);
  free(c->prev_params);
  free(c->opt_state);
  free(c->x);
  free(c->rng);
  free(c->rng_spare);
  free(c->rng_has_spare);
  free(c->config);
  free(c->param_names);
  free(c->kind);
  memset(c, 0, sizeof *c);
}

/* FNV-1a, 64 bit, over bytes [USERBLOCK, end) of an open file. */
static int file_hash(int fd, uint64_t *hash, long long *size) {
  struct stat sb;
  if (fstat(fd, &sb)) return -1;
  *size = sb.st_size;
  uint64_t h = 0xcbf29ce484222325ull;
  unsigned char buf[1 << 16];
  off_t off = USERBLOCK;
  while (off < sb.st_size) {
    ssize_t r = pread(fd, buf, sizeof buf, off);
    if (r <= 0) return -1;
    for (ssize_t i = 0; i < r; i++) {
      h ^= buf[i];
      h *= 0x100000001b3ull;
    }
    off += r;
  }
  *hash = h;
  return 0;
}

static herr_t write_ds(hid_t f, const char *name, hid_t type, int rank, const hsize_t *dims, const void *data) {
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t ds = H5Dcreate2(f, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t e = (ds < 0) ? -1 : H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  if (ds >= 0) H5Dclose(ds);
  H5Sclose(sp);
  return e;
}

nqs_status nqs_checkpoint_write(const char *dir, const nqs_checkpoint *c, nqs_error *err) {
  char path[600], tmp[620];
  snprintf(path, sizeof path, "%s/checkpoint.h5", dir);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  double state[S_COUNT] = {0};
  state[S_ITER] = (double)c->iteration;
  state[S_STEP] = c->step;
  state[S_LR_SCALE] = c->lr_scale;
  state[S_SHIFT] = c->diag_shift;
  state[S_HAVE_PREV] = c->have_prev;
  state[S_PREV_MEAN] = c->prev_mean;
  state[S_PREV_VAR] = c->prev_var;
  state[S_PREV_ERR] = c->prev_err;
  state[S_NP] = c->np;
  state[S_OPT_LEN] = c->opt_len;
  state[S_NWALKERS] = c->nwalkers;
  state[S_NX] = c->nx;

  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  H5Pset_userblock(fcpl, USERBLOCK);
  hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  H5Pclose(fcpl);
  if (f < 0) return nqs_error_set(err, NQS_EIO, "cannot create %s (HDF5)", tmp);
  hsize_t d1[1], d2[2];
  herr_t e = 0;
  d1[0] = S_COUNT;
  e |= write_ds(f, "state", H5T_NATIVE_DOUBLE, 1, d1, state);
  d1[0] = (hsize_t)c->np + 1; /* +1: never an empty dataset; the extra entry is 0 */
  e |= write_ds(f, "parameters", H5T_NATIVE_DOUBLE, 1, d1, c->params);
  e |= write_ds(f, "previous_parameters", H5T_NATIVE_DOUBLE, 1, d1, c->prev_params);
  d1[0] = (hsize_t)c->opt_len + 1;
  e |= write_ds(f, "optimizer_state", H5T_NATIVE_DOUBLE, 1, d1, c->opt_state);
  d2[0] = (hsize_t)c->nwalkers;
  d2[1] = (hsize_t)c->nx;
  e |= write_ds(f, "walker_positions", H5T_NATIVE_DOUBLE, 2, d2, c->x);
  d2[1] = 4;
  e |= write_ds(f, "walker_rng", H5T_NATIVE_UINT64, 2, d2, c->rng);
  d1[0] = (hsize_t)c->nwalkers;
  e |= write_ds(f, "walker_rng_spare", H5T_NATIVE_DOUBLE, 1, d1, c->rng_spare);
  e |= write_ds(f, "walker_rng_has_spare", H5T_NATIVE_INT32, 1, d1, c->rng_has_spare);
  const char *cfg = c->config ? c->config : "", *names = c->param_names ? c->param_names : "";
  d1[0] = strlen(cfg) + 1;
  e |= write_ds(f, "config", H5T_NATIVE_CHAR, 1, d1, cfg);
  d1[0] = strlen(names) + 1;
  e |= write_ds(f, "parameter_names", H5T_NATIVE_CHAR, 1, d1, names);
  const char *kind = c->kind ? c->kind : "";
  d1[0] = strlen(kind) + 1;
  e |= write_ds(f, "kind", H5T_NATIVE_CHAR, 1, d1, kind);
  if (H5Fclose(f) < 0 || e < 0) return nqs_error_set(err, NQS_EIO, "cannot write the checkpoint %s (HDF5)", tmp);

  int fd = open(tmp, O_RDWR);
  uint64_t h;
  long long size;
  if (fd < 0 || file_hash(fd, &h, &size)) {
    if (fd >= 0) close(fd);
    return nqs_error_set(err, NQS_EIO, "cannot reread %s to checksum it: %s", tmp, strerror(errno));
  }
  char head[USERBLOCK];
  memset(head, 0, sizeof head);
  snprintf(head, sizeof head, MAGIC "version %d\nbytes %lld\nfnv1a64 %016llx\n", NQS_CHECKPOINT_VERSION, size,
           (unsigned long long)h);
  if (pwrite(fd, head, sizeof head, 0) != (ssize_t)sizeof head || fsync(fd) || close(fd) || rename(tmp, path))
    return nqs_error_set(err, NQS_EIO, "cannot finish the checkpoint %s: %s", path, strerror(errno));
  return NQS_OK;
}

/* Read dataset `name` of exactly `count` elements into data. */
static int read_ds(hid_t f, const char *name, hid_t type, hsize_t count, void *data) {
  hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
  if (ds < 0) return -1;
  hid_t sp = H5Dget_space(ds);
  hssize_t n = H5Sget_simple_extent_npoints(sp);
  int ok = n == (hssize_t)count && H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
  H5Sclose(sp);
  H5Dclose(ds);
  return ok ? 0 : -1;
}

static char *read_text(hid_t f, const char *name) {
  hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
  if (ds < 0) return NULL;
  hid_t sp = H5Dget_space(ds);
  hssize_t n = H5Sget_simple_extent_npoints(sp);
  char *s = (n > 0 && n < (1 << 24)) ? malloc((size_t)n + 1) : NULL;
  if (s && H5Dread(ds, H5T_NATIVE_CHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) >= 0) s[n] = 0;
  else {
    free(s);
    s = NULL;
  }
  H5Sclose(sp);
  H5Dclose(ds);
  return s;
}

nqs_status nqs_checkpoint_read(const char *where, nqs_checkpoint *c, nqs_error *err) {
  memset(c, 0, sizeof *c);
  char path[600];
  struct stat sb;
  if (stat(where, &sb) == 0 && S_ISDIR(sb.st_mode)) snprintf(path, sizeof path, "%s/checkpoint.h5", where);
  else snprintf(path, sizeof path, "%s", where);
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return nqs_error_set(err, NQS_EINPUT, "%s: cannot open the checkpoint (%s); give a run folder that holds checkpoint.h5",
                         path, strerror(errno));
  char head[USERBLOCK + 1] = {0};
  ssize_t r = pread(fd, head, USERBLOCK, 0);
  int version = 0;
  long long bytes = -1, size;
  unsigned long long want = 0;
  uint64_t h = 0;
  if (r != USERBLOCK || strncmp(head, MAGIC, strlen(MAGIC)) != 0) {
    close(fd);
    return nqs_error_set(err, NQS_EINPUT, "%s: not an nqs checkpoint (no NQSCHK header); the file is damaged or foreign", path);
  }
  if (sscanf(head + strlen(MAGIC), "version %d\nbytes %lld\nfnv1a64 %llx", &version, &bytes, &want) != 3) {
    close(fd);
    return nqs_error_set(err, NQS_EINPUT, "%s: damaged checkpoint header", path);
  }
  if (version != NQS_CHECKPOINT_VERSION) {
    close(fd);
    return nqs_error_set(err, NQS_EINPUT, "%s: checkpoint format version %d; this nqs reads version %d", path, version,
                         NQS_CHECKPOINT_VERSION);
  }
  if (file_hash(fd, &h, &size)) {
    close(fd);
    return nqs_error_set(err, NQS_EIO, "%s: read error: %s", path, strerror(errno));
  }
  close(fd);
  if (size != bytes)
    return nqs_error_set(err, NQS_EINPUT, "%s: truncated or extended checkpoint: %lld bytes, the header says %lld", path,
                         size, bytes);
  if (h != want)
    return nqs_error_set(err, NQS_EINPUT, "%s: checksum mismatch (fnv1a64 %016llx, header %016llx): the file is corrupt",
                         path, (unsigned long long)h, want);

  nqs_status st = NQS_OK;
  hid_t f;
  H5E_BEGIN_TRY { f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); }
  H5E_END_TRY;
  if (f < 0) return nqs_error_set(err, NQS_EINPUT, "%s: HDF5 cannot open the checkpoint", path);
  double state[S_COUNT];
  int bad = 0;
  H5E_BEGIN_TRY {
    bad = read_ds(f, "state", H5T_NATIVE_DOUBLE, S_COUNT, state);
    if (!bad) {
      st = nqs_checkpoint_alloc(c, (int)state[S_NP], (int)state[S_OPT_LEN], (int)state[S_NWALKERS], (int)state[S_NX], err);
      if (st == NQS_OK) {
        c->iteration = (long)state[S_ITER];
        c->step = state[S_STEP];
        c->lr_scale = state[S_LR_SCALE];
        c->diag_shift = state[S_SHIFT];
        c->have_prev = (int)state[S_HAVE_PREV];
        c->prev_mean = state[S_PREV_MEAN];
        c->prev_var = state[S_PREV_VAR];
        c->prev_err = state[S_PREV_ERR];
        bad |= read_ds(f, "parameters", H5T_NATIVE_DOUBLE, (hsize_t)c->np + 1, c->params);
        bad |= read_ds(f, "previous_parameters", H5T_NATIVE_DOUBLE, (hsize_t)c->np + 1, c->prev_params);
        bad |= read_ds(f, "optimizer_state", H5T_NATIVE_DOUBLE, (hsize_t)c->opt_len + 1, c->opt_state);
        bad |= read_ds(f, "walker_positions", H5T_NATIVE_DOUBLE, (hsize_t)c->nwalkers * c->nx, c->x);
        bad |= read_ds(f, "walker_rng", H5T_NATIVE_UINT64, (hsize_t)c->nwalkers * 4, c->rng);
        bad |= read_ds(f, "walker_rng_spare", H5T_NATIVE_DOUBLE, (hsize_t)c->nwalkers, c->rng_spare);
        bad |= read_ds(f, "walker_rng_has_spare", H5T_NATIVE_INT32, (hsize_t)c->nwalkers, c->rng_has_spare);
        c->config = read_text(f, "config");
        c->param_names = read_text(f, "parameter_names");
        c->kind = H5Lexists(f, "kind", H5P_DEFAULT) > 0 ? read_text(f, "kind") : strdup("");
        bad |= !c->kind;
        bad |= !c->config;
      }
    }
  }
  H5E_END_TRY;
  H5Fclose(f);
  if (st) return st;
  if (bad) {
    nqs_checkpoint_free(c);
    return nqs_error_set(err, NQS_EINPUT, "%s: the checkpoint lacks a dataset or has one of the wrong size", path);
  }
  return NQS_OK;
}

nqs_status nqs_checkpoint_expect(const nqs_checkpoint *c, const char *kind, const char *path, nqs_error *err) {
  const char *have = c->kind && c->kind[0] ? c->kind : NULL;
  if (!have || strcmp(have, kind) == 0) return NQS_OK; /* files of older versions carry no kind: trusted as before */
  const char *cmd = strcmp(have, "vmc") == 0 ? "nqs run" : strcmp(have, "train-rbm") == 0 ? "nqs train-rbm" : have;
  return nqs_error_set(err, NQS_EINPUT, "%s: this checkpoint was written by %s (kind '%s'), not by a %s run; continue it with %s --restart",
                       path, cmd, have, kind, cmd);
}
