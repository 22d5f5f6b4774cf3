/* nqs/core/checkpoint.h — the complete state of a run as named records, in HDF5, crash-safe.
 *
 * A checkpoint is a bag of named records: arrays of doubles ("f64"), of unsigned 64-bit words
 * ("u64", RNG states) or a text. Which records exist and what they mean belongs to the writer;
 * every checkpoint has the texts `kind` (the command that wrote it: "vmc" for nqs run,
 * "train-rbm") and `config` (the resolved input, INI text). A reader asks for a record by name,
 * type and exact size, so a file from another system, another model or another command is
 * refused with a message naming the record, never adopted.
 *
 * File: an HDF5 file (readable with h5py: every record is one dataset of the root group, f64 as
 * IEEE little-endian doubles, u64 as little-endian uint64, texts as fixed-length strings, with an
 * attribute "about" saying what the numbers are; the root group's attributes "format" and
 * "version" name the layout) whose
 * 512-byte userblock holds a text header
 *     NQSCHK\n version 2\n bytes <file size>\n fnv1a64 <hash of bytes 512..end>\n
 * so truncation, any flipped bit after the header, and a foreign version are detected before
 * HDF5 parses anything. The image is built in memory and written by nqs itself to
 * DIR/checkpoint.h5.tmp, fsynced, then renamed over DIR/checkpoint.h5: a crash or a full disk
 * leaves the old file or the new one, and no temporary file. Reading checks every dataset's
 * type, rank and stored size against the file before reading it and reads without type
 * conversion, so a crafted file is refused rather than parsed into memory it does not hold. */
#ifndef NQS_CHECKPOINT_H
#define NQS_CHECKPOINT_H
#include <stddef.h>
#include <stdint.h>
#include "nqs/core/error.h"

#define NQS_CHECKPOINT_VERSION 2
#define NQS_CHECKPOINT_MAX_RECORDS 32
#define NQS_CHECKPOINT_NAME_MAX 48

typedef enum { NQS_RECORD_F64 = 1, NQS_RECORD_U64 = 2, NQS_RECORD_TEXT = 3 } nqs_record_type;

typedef struct nqs_record {
  char name[NQS_CHECKPOINT_NAME_MAX];
  nqs_record_type type;
  size_t rows, cols; /* rows x cols elements (cols = 1 for a vector); a text: rows = its length */
  void *data;        /* double[], uint64_t[] or a NUL-terminated char[] */
  char about[200];   /* what the numbers are (their order, units): the dataset's attribute "about" */
} nqs_record;

typedef struct nqs_checkpoint {
  int count;
  nqs_record rec[NQS_CHECKPOINT_MAX_RECORDS];
} nqs_checkpoint;

/* An empty checkpoint (no allocation). Free with nqs_checkpoint_free. */
void nqs_checkpoint_init(nqs_checkpoint *c);
void nqs_checkpoint_free(nqs_checkpoint *c);

/* Add a record of rows x cols elements, zeroed, and return its storage to fill (NULL with *err
 * set when the name is taken or invalid, there are too many records, or memory runs out). */
void *nqs_checkpoint_add(nqs_checkpoint *c, const char *name, nqs_record_type type, size_t rows, size_t cols, nqs_error *err);
/* Copies: n doubles; one double; a text. */
nqs_status nqs_checkpoint_put(nqs_checkpoint *c, const char *name, const double *x, size_t n, nqs_error *err);
nqs_status nqs_checkpoint_put_scalar(nqs_checkpoint *c, const char *name, double x, nqs_error *err);
nqs_status nqs_checkpoint_put_text(nqs_checkpoint *c, const char *name, const char *text, nqs_error *err);

/* Say what record `name` holds ("mean, variance, error of E_L (energy unit)"): written as its
 * dataset's attribute "about", for people reading the file with h5py; readers ignore it. */
nqs_status nqs_checkpoint_describe(nqs_checkpoint *c, const char *name, const char *about, nqs_error *err);

/* The record `name`, or NULL. */
const nqs_record *nqs_checkpoint_find(const nqs_checkpoint *c, const char *name);
/* The storage of record `name` if it has this type and exactly n elements; otherwise NULL and
 * NQS_EINPUT in *err naming the record, what it holds and what this run needs. */
const void *nqs_checkpoint_get(const nqs_checkpoint *c, const char *name, nqs_record_type type, size_t n, nqs_error *err);
/* A one-element f64 record that is finite (NQS_EINPUT otherwise). */
nqs_status nqs_checkpoint_scalar(const nqs_checkpoint *c, const char *name, double *x, nqs_error *err);
/* A one-element f64 record holding an integer in [lo, hi] (NQS_EINPUT otherwise: NaN, a fraction
 * or an out-of-range count never reaches a cast). */
nqs_status nqs_checkpoint_count(const nqs_checkpoint *c, const char *name, long lo, long hi, long *x, nqs_error *err);
/* A text record, or "" when absent. */
const char *nqs_checkpoint_text(const nqs_checkpoint *c, const char *name);

/* Write DIR/checkpoint.h5 atomically (see above). */
nqs_status nqs_checkpoint_write(const char *dir, const nqs_checkpoint *c, nqs_error *err);

/* Read and verify a checkpoint file (or DIR/checkpoint.h5 when given a folder). A damaged,
 * truncated, foreign or malformed file is NQS_EINPUT with a message naming the problem. On
 * success the caller frees with nqs_checkpoint_free. */
nqs_status nqs_checkpoint_read(const char *path, nqs_checkpoint *c, nqs_error *err);
/* The same from a file's bytes in memory (name for the messages). */
nqs_status nqs_checkpoint_parse(const char *name, const unsigned char *img, size_t len, nqs_checkpoint *c, nqs_error *err);
/* The header nqs writes in front of an HDF5 image of len - NQS_CHECKPOINT_USERBLOCK bytes at
 * img + NQS_CHECKPOINT_USERBLOCK: magic, version, length and checksum (the writer's last step;
 * the fuzzer's first, so that mutated images reach the HDF5 layer). */
#define NQS_CHECKPOINT_USERBLOCK 512
void nqs_checkpoint_seal(unsigned char *img, size_t len);

/* NQS_EINPUT unless c was written by `kind`, with a message naming both and the command to use. */
nqs_status nqs_checkpoint_expect(const nqs_checkpoint *c, const char *kind, const char *path, nqs_error *err);

#endif
