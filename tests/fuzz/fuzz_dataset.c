/* Fuzz target: the data-set readers (train-rbm, tomography). The first byte picks HDF5 or CSV
 * and binary or real data; the rest is the file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "nqs/nqs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  char path[64];
  snprintf(path, sizeof path, "/tmp/nqs-fuzz-dataset-%ld.%s", (long)getpid(), data[0] & 1 ? "h5" : "csv");
  FILE *f = fopen(path, "wb");
  if (!f) return 0;
  fwrite(data + 1, 1, size - 1, f);
  fclose(f);
  double *rows = NULL;
  int nr, nc;
  nqs_error err;
  nqs_dataset_read(path, (data[0] >> 1) & 1, &rows, &nr, &nc, &err);
  free(rows);
  unlink(path);
  return 0;
}
