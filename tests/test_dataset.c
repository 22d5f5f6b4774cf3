/* Data files are untrusted: a binary data set nqs wrote reads back exactly, and crafted ones
 * (an element precision of 204 bits, a shape claiming more rows than the file holds, a
 * truncated file, 2000 random byte changes) are refused with NQS_EINPUT and a message, never a
 * crash, a hang or a huge allocation. The same reader serves train-rbm and tomography. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <hdf5.h>
#include "check.h"
#include "helpers.h"

static long slurp(const char *path, unsigned char **buf) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  fseek(f, 0, SEEK_END);
  const long n = ftell(f);
  rewind(f);
  *buf = malloc((size_t)n);
  const long got = *buf ? (long)fread(*buf, 1, (size_t)n, f) : -1;
  fclose(f);
  return got;
}

static void spill(const char *path, const unsigned char *buf, long n) {
  FILE *f = fopen(path, "wb");
  if (f) {
    fwrite(buf, 1, (size_t)n, f);
    fclose(f);
  }
}

/* offset of the first occurrence of pat in buf, or -1 */
static long find(const unsigned char *buf, long n, const unsigned char *pat, long m) {
  for (long i = 0; i + m <= n; i++)
    if (memcmp(buf + i, pat, (size_t)m) == 0) return i;
  return -1;
}

/* read path: the status, with rows freed */
static nqs_status try_read(const char *path, nqs_error *err) {
  double *rows = NULL;
  int nr = 0, nc = 0;
  const nqs_status st = nqs_dataset_read(path, 1, &rows, &nr, &nc, err);
  free(rows);
  return st;
}

int main(void) {
  char dir[] = "/tmp/nqs-test-dataset-XXXXXX", good[256], bad[256];
  if (!mkdtemp(dir)) return 3;
  snprintf(good, sizeof good, "%s/good.h5", dir);
  snprintf(bad, sizeof bad, "%s/bad.h5", dir);
  enum { R = 1000, C = 12 };
  double *x = malloc(sizeof(double) * R * C), *back = NULL;
  nqs_rng rng;
  nqs_rng_seed(&rng, 7, 0);
  for (int k = 0; k < R * C; k++) x[k] = nqs_rng_uniform(&rng) < 0.5;
  nqs_error err;
  int nr = 0, nc = 0;
  CHECK(nqs_dataset_write(good, x, R, C, 1, &err) == NQS_OK && nqs_dataset_read(good, 1, &back, &nr, &nc, &err) == NQS_OK &&
            nr == R && nc == C && memcmp(x, back, sizeof(double) * R * C) == 0,
        "a %d x %d binary data set written as uint8 HDF5 reads back exactly", R, C);
  free(back);
  unsigned char *buf = NULL;
  const long n = slurp(good, &buf);
  /* the datatype message of "data": fixed-point, version 1, little endian, unsigned, 1 byte,
   * bit offset 0, precision 8 */
  const unsigned char u8[] = {0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0};
  const long at = n > 0 ? find(buf, n, u8, sizeof u8) : -1;
  CHECK(at >= 0, "the uint8 datatype message found in the file (at byte %ld)", at);
  if (at >= 0) {
    buf[at + 10] = 204;
    spill(bad, buf, n);
    const nqs_status st = try_read(bad, &err);
    CHECK(st == NQS_EINPUT, "uint8 with a precision of 204 bits refused: %s", st ? err.msg : "accepted");
    buf[at + 10] = 8;
  }
  /* the dataspace: rows and columns as two 8-byte little-endian numbers */
  unsigned char dims[16] = {0};
  dims[0] = R & 0xff, dims[1] = R >> 8, dims[8] = C;
  const long ad = n > 0 ? find(buf, n, dims, sizeof dims) : -1;
  CHECK(ad >= 0, "the dataspace message found (at byte %ld)", ad);
  if (ad >= 0) {
    buf[ad + 3] = 0x40; /* 1000 rows -> 2^30 + 1000 */
    spill(bad, buf, n);
    const nqs_status st = try_read(bad, &err);
    CHECK(st == NQS_EINPUT, "a shape of 2^30 rows in a %ld-byte file refused: %s", n, st ? err.msg : "accepted");
    buf[ad + 3] = 0;
  }
  spill(bad, buf, n / 2);
  nqs_status st = try_read(bad, &err);
  CHECK(st == NQS_EINPUT, "a file cut in half refused: %s", st ? err.msg : "accepted");
  /* random damage: 2000 files with 1 to 8 bytes changed; each is read or refused, and what is
   * read holds 0/1 only (the reader checks every value) */
  int refused = 0, read = 0, other = 0;
  unsigned char *m = malloc((size_t)n);
  for (int trial = 0; trial < 2000 && m; trial++) {
    memcpy(m, buf, (size_t)n);
    const int flips = 1 + (int)(8 * nqs_rng_uniform(&rng));
    for (int k = 0; k < flips; k++) m[(long)(nqs_rng_uniform(&rng) * (double)(n < 4096 ? n : 4096))] = (unsigned char)(256 * nqs_rng_uniform(&rng));
    spill(bad, m, n);
    st = try_read(bad, &err);
    refused += st == NQS_EINPUT;
    read += st == NQS_OK;
    other += st != NQS_OK && st != NQS_EINPUT;
  }
  CHECK(refused + read == 2000 && other == 0, "2000 damaged headers: %d refused, %d read, %d other failures", refused, read, other);
  const ssize_t open_ids = H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL);
  CHECK(open_ids == 0, "no HDF5 file or object left open inside libhdf5 (%zd)", open_ids);
  free(m);
  free(buf);
  free(x);
  remove_tree(dir);
  return check_done();
}
