/* nqs/checkpoint.h — the complete state of a run, in HDF5, crash-safe.
 *
 * File: an HDF5 file (readable with h5py) whose 512-byte userblock holds a
 * text header
 *     NQSCHK\n version 1\n bytes <file size>\n fnv1a64 <hash of bytes 512..end>\n
 * so truncation, any flipped bit after the header, and a foreign version are
 * detected before HDF5 reads anything. Written to DIR/checkpoint.h5.tmp, fsynced,
 * then renamed over DIR/checkpoint.h5: a crash leaves the old or the new file.
 *
 * Datasets: parameters[np], previous_parameters[np], optimizer_state[opt_len],
 * walker_positions[walkers][n*dim], walker_rng[walkers][4] (uint64),
 * walker_rng_spare[walkers], walker_rng_has_spare[walkers], state[12] (see
 * src/checkpoint.c), config (the resolved config.ini text), parameter_names, and kind: the command
 * that wrote it ("vmc" for nqs run, "train-rbm"; absent in files of older versions, read as ""). */
#ifndef NQS_CHECKPOINT_H
#define NQS_CHECKPOINT_H
#include <stdint.h>
#include "nqs/error.h"

#define NQS_CHECKPOINT_VERSION 1

typedef struct nqs_checkpoint {
  long iteration; /* last completed optimisation iteration */
  double step, lr_scale, diag_shift;
  int have_prev;
  double prev_mean, prev_var, prev_err;
  int np, opt_len, nwalkers, nx;
  double *params, *prev_params, *opt_state; /* np, np, opt_len */
  double *x;                                /* nwalkers * nx */
  uint64_t *rng;                            /* nwalkers * 4 */
  double *rng_spare;                        /* nwalkers */
  int32_t *rng_has_spare;                   /* nwalkers */
  char *config;                             /* resolved input, INI text */
  char *param_names;                        /* comma-separated */
  char *kind;                               /* "vmc", "train-rbm" (malloc'ed; "" when the file has none) */
} nqs_checkpoint;

/* Allocate the arrays for the given sizes (zeroed); config/param_names are the caller's. */
nqs_status nqs_checkpoint_alloc(nqs_checkpoint *c, int np, int opt_len, int nwalkers, int nx, nqs_error *err);
void nqs_checkpoint_free(nqs_checkpoint *c);

/* Write DIR/checkpoint.h5 atomically. */
nqs_status nqs_checkpoint_write(const char *dir, const nqs_checkpoint *c, nqs_error *err);

/* Read and verify a checkpoint file (or DIR/checkpoint.h5 when given a folder).
 * A damaged, truncated or foreign file is NQS_EINPUT with a message naming the
 * problem. On success the caller frees with nqs_checkpoint_free. */
nqs_status nqs_checkpoint_read(const char *path, nqs_checkpoint *c, nqs_error *err);

/* NQS_EINPUT unless c was written by `kind`, with a message naming both and the command to use. */
nqs_status nqs_checkpoint_expect(const nqs_checkpoint *c, const char *kind, const char *path, nqs_error *err);

#endif
