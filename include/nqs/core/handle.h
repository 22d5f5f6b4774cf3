/* nqs/core/handle.h — the lifecycle API behind one opaque handle, for other languages.
 *
 * Only scalars, strings and double arrays cross this interface, so a foreign-function layer
 * (Python's ctypes: the `nqs` package in python/) needs no copy of any nqs struct:
 *
 *   nqs_handle *h = nqs_handle_new();
 *   nqs_handle_read(h, "dot.ini");  nqs_handle_set(h, "optimizer.iterations=50");
 *   nqs_handle_start(h);                       // the driver: model, walkers, thermalisation
 *   nqs_handle_step(h, v);                     // one optimisation iteration
 *   nqs_handle_evaluate(h, v);                 // frozen parameters
 *   nqs_handle_estimate(h, q, v);  nqs_handle_trace(h, q, x, n);  nqs_handle_params(h, p, n);
 *   nqs_handle_free(h);
 *
 * or nqs_handle_run(h, dir, v): the whole `nqs run` into a run folder. Every function that can
 * fail returns an nqs_status and leaves the message (naming the cause, the key and the fix) in
 * nqs_handle_error(h). The handle owns everything; nothing is printed. */
#ifndef NQS_HANDLE_H
#define NQS_HANDLE_H
#include "nqs/core/error.h"

typedef struct nqs_handle nqs_handle;

/* A handle holding the default configuration (NULL when out of memory). */
nqs_handle *nqs_handle_new(void);
void nqs_handle_free(nqs_handle *h);
/* The message of the last failure ("" if none), and its input key ("" if none). */
const char *nqs_handle_error(const nqs_handle *h);
const char *nqs_handle_error_key(const nqs_handle *h);

/* Configuration, before start: an INI file, INI text, one "section.key=value". */
nqs_status nqs_handle_read(nqs_handle *h, const char *path);
nqs_status nqs_handle_read_text(nqs_handle *h, const char *text);
nqs_status nqs_handle_set(nqs_handle *h, const char *assignment);
/* The resolved configuration as INI text (valid until the next call on h). */
const char *nqs_handle_config(nqs_handle *h);

/* Continue a run folder: its checkpoint's configuration replaces the handle's (settings may
 * follow), and start and run resume from its state, as `nqs run --restart DIR` does. */
nqs_status nqs_handle_load(nqs_handle *h, const char *dir);
/* Validate the whole configuration and build the driver (model, walkers, thermalisation). */
nqs_status nqs_handle_start(nqs_handle *h);
/* One optimisation iteration. v[7]: iteration, energy, error, variance, acceptance, learning
 * rate, rejected (1: the previous step was undone, see nqs/core/driver.h). */
nqs_status nqs_handle_step(nqs_handle *h, double *v);
long nqs_handle_iteration(const nqs_handle *h);
/* Sample evaluation.samples with frozen parameters. v[5]: energy, error, variance, acceptance,
 * samples. */
nqs_status nqs_handle_evaluate(nqs_handle *h, double *v);
/* The whole of `nqs run` into the folder dir (output.dir when NULL or ""): optimise,
 * evaluate, write every file; afterwards the estimates and the parameters are those of the run.
 * v[5] as nqs_handle_evaluate. NQS_EFAILED: the result is written but failed its health check. */
nqs_status nqs_handle_run(nqs_handle *h, const char *dir, double *v);
/* The folder the last nqs_handle_run wrote ("" before). */
const char *nqs_handle_run_dir(const nqs_handle *h);

/* After an evaluation or a run: the local-energy components (0: the energy), their names, and
 * the estimate of component q into v[5]: mean, error, variance, tau_int, samples. */
int nqs_handle_series_count(const nqs_handle *h);
const char *nqs_handle_series_name(const nqs_handle *h, int q);
nqs_status nqs_handle_estimate(const nqs_handle *h, int q, double *v);
/* "MeV", "fm", ... of the model (after start or a run). */
const char *nqs_handle_unit(const nqs_handle *h, int length);

/* Sizes for the arrays below (0 before start). */
int nqs_handle_nparams(const nqs_handle *h);
long nqs_handle_trace_length(const nqs_handle *h);
long nqs_handle_sample_rows(const nqs_handle *h, int *cols);
/* Copies into x (capacity n): the parameters; the walker-averaged trace of component q, one
 * value per sweep (as trace.csv); the evaluation's kept configurations, rows x cols
 * (evaluation.dump_samples). Each returns how many doubles it copied, or -1 (see the error). */
long nqs_handle_params(nqs_handle *h, double *x, long n);
long nqs_handle_trace(nqs_handle *h, int q, double *x, long n);
long nqs_handle_samples(nqs_handle *h, double *x, long n);
/* Parameter k's name. */
const char *nqs_handle_param_name(nqs_handle *h, int k);

/* The library's version, "0.1.0" (NQS_VERSION of the headers it was built from). */
const char *nqs_version(void);

#endif
