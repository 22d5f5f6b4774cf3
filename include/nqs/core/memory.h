/* nqs/core/memory.h — memory estimates made from the option values before anything big is
 * allocated, so that an impossible run is refused at once (with the estimate) instead of paging
 * for minutes before "out of memory". */
#ifndef NQS_MEMORY_H
#define NQS_MEMORY_H
#include "nqs/core/error.h"

/* Bytes a run may use: limit_gib (run.memory_limit) if > 0, else 80 % of this machine's memory. */
double nqs_memory_budget(double limit_gib);

/* Bytes per variational parameter of a run with `walkers` walkers: the parameters, their bounds,
 * initial values and previous values, the optimiser state, each walker's gradient sums, and the
 * names. */
double nqs_memory_per_param(int walkers);

/* NQS_EINPUT when `bytes` exceed the budget: "WHAT needs about X GiB, more than the Y GiB ...;
 * FIX (or raise run.memory_limit)". key names the option at fault (may be NULL). */
nqs_status nqs_memory_check(double bytes, double limit_gib, const char *key, const char *what, const char *fix, nqs_error *err);

#endif
