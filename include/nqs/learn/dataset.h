/* nqs/learn/dataset.h — data sets of samples for Boltzmann learning: one sample per row. */
#ifndef NQS_DATASET_H
#define NQS_DATASET_H
#include "nqs/core/error.h"

/* Read a CSV file: comma- or space-separated numbers, one sample per row, every row the same
 * length; a first line that is not numbers (a header) and lines starting with '#' are skipped.
 * A name ending in .h5 or .hdf5 is read as HDF5 instead: its 2D dataset "data" (rows x columns).
 * binary != 0: every entry must be 0 or 1. On success *rows (nrows x ncols, row-major) is
 * malloc'ed for the caller. Errors name file:line. */
nqs_status nqs_dataset_read(const char *path, int binary, double **rows, int *nrows, int *ncols, nqs_error *err);

/* Write nrows x ncols entries (binary: as 0/1) as CSV with the header v0,v1,... (or, for a name
 * ending in .h5 / .hdf5, as the HDF5 dataset "data": unsigned 8-bit or double); atomic. */
nqs_status nqs_dataset_write(const char *path, const double *rows, long nrows, int ncols, int binary, nqs_error *err);
/* The same with the CSV header line `header` (column names, comma separated; HDF5 keeps no names). */
nqs_status nqs_dataset_write_named(const char *path, const double *rows, long nrows, int ncols, int binary, const char *header,
                                   nqs_error *err);

/* Configurations, one per row, with the header x0, x1, ... (the model's coordinates). */
nqs_status nqs_dataset_write_coords(const char *path, const double *rows, long nrows, int ncols, nqs_error *err);

/* The index of a column named `name` of the data file: a 0-based index ("3"), or a name in the
 * CSV header row ("x"); ncols is the file's width. NQS_EINPUT lists the header's names. */
nqs_status nqs_dataset_column(const char *path, const char *name, int ncols, int *index, nqs_error *err);

#endif
