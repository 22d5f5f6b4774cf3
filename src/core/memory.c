/* memory.c — memory estimates against the machine (nqs/core/memory.h). */
#include <unistd.h>
#include "nqs/core/memory.h"

#define GIB 1073741824.0

double nqs_memory_budget(double limit_gib) {
  if (limit_gib > 0) return limit_gib * GIB;
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? 0.8 * (double)pages * (double)page : 1e300;
}

double nqs_memory_per_param(int walkers) { return 8.0 * (8 + 2.0 * (walkers > 0 ? walkers : 1)) + 96; }

nqs_status nqs_memory_check(double bytes, double limit_gib, const char *key, const char *what, const char *fix, nqs_error *err) {
  const double budget = nqs_memory_budget(limit_gib);
  if (bytes <= budget) return NQS_OK;
  return nqs_error_setk(err, NQS_EINPUT, key, "%s needs about %.3g GiB, more than the %.3g GiB %s: %s (or raise run.memory_limit)",
                        what, bytes / GIB, budget / GIB, limit_gib > 0 ? "of run.memory_limit" : "this machine can give", fix);
}
