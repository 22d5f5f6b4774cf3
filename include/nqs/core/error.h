/* nqs/core/error.h — status codes and error messages.
 *
 * Recoverable failures (bad input, I/O, non-finite numbers) are returned as a
 * status; the message names the cause and the fix. Programmer errors use
 * assert(). The library never prints and never exits the process. */
#ifndef NQS_ERROR_H
#define NQS_ERROR_H

typedef enum {
  NQS_OK = 0,
  NQS_ERUNTIME = 1, /* a run failed (non-finite energy, singular matrix, ...) */
  NQS_EINPUT = 2,   /* bad input: the CLI exits with code 2 */
  NQS_EIO = 3,      /* file system */
  NQS_ENOMEM = 4,
  NQS_EFAILED = 5   /* the run went through but its result is not to be trusted: it diverged or failed
                       the health check of the evaluation (nqs_verdict); the CLI exits with code 3 */
} nqs_status;

typedef struct nqs_error {
  nqs_status code;
  char key[48];  /* "section.key" of the input option at fault, or "" */
  char msg[1024];
} nqs_error;

/* Fill *err (if not NULL) and return code. printf-style message. */
nqs_status nqs_error_set(nqs_error *err, nqs_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same, naming the input option at fault ("system.particles") so that the CLI
 * can point at the file and line that set it. */
nqs_status nqs_error_setk(nqs_error *err, nqs_status code, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Name the input option at fault of an error a lower layer set (when st != NQS_OK); returns st. */
nqs_status nqs_error_key(nqs_error *err, nqs_status st, const char *key);

/* A short English name of a status ("bad input", ...). */
const char *nqs_status_string(nqs_status st);

/* Prepend "PREFIX: " to err->msg (truncating at the buffer size). */
void nqs_error_prefix(nqs_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
