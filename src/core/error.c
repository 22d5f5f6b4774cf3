/* error.c — status + message. */
#include <stdarg.h>
#include <stdio.h>
#include "nqs/core/error.h"

static nqs_status vset(nqs_error *err, nqs_status code, const char *key, const char *fmt, va_list ap) {
  if (err) {
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    err->code = code;
    snprintf(err->key, sizeof err->key, "%s", key ? key : "");
  }
  return code;
}

nqs_status nqs_error_set(nqs_error *err, nqs_status code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vset(err, code, NULL, fmt, ap);
  va_end(ap);
  return code;
}

nqs_status nqs_error_setk(nqs_error *err, nqs_status code, const char *key, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vset(err, code, key, fmt, ap);
  va_end(ap);
  return code;
}

void nqs_error_prefix(nqs_error *err, const char *fmt, ...) {
  if (!err) return;
  char pre[512], out[sizeof err->msg + sizeof pre + 2];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(pre, sizeof pre, fmt, ap);
  va_end(ap);
  snprintf(out, sizeof out, "%s: %s", pre, err->msg);
  snprintf(err->msg, sizeof err->msg, "%.*s", (int)sizeof err->msg - 1, out);
}

const char *nqs_status_string(nqs_status st) {
  switch (st) {
  case NQS_OK: return "success";
  case NQS_ERUNTIME: return "runtime failure";
  case NQS_EINPUT: return "bad input";
  case NQS_EIO: return "input/output error";
  case NQS_ENOMEM: return "out of memory";
  case NQS_EFAILED: return "failed health check";
  }
  return "unknown status";
}

nqs_status nqs_error_key(nqs_error *err, nqs_status st, const char *key) {
  if (err && st) snprintf(err->key, sizeof err->key, "%s", key);
  return st;
}
