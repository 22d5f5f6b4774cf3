/* helpers.h — building systems and wave functions in tests. */
#ifndef NQS_TEST_HELPERS_H
#define NQS_TEST_HELPERS_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/core/checkpoint.h"
#include "nqs/nqs.h"

/* |a - b| / max(|b|, 1): relative for values of order one and more, absolute below. */
static inline double rel(double a, double b) { return fabs(a - b) / fmax(fabs(b), 1.0); }

/* Remove a test's temporary folder; non-zero if that failed. */
static inline int remove_tree(const char *dir) {
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) != 0;
}

/* The number of records of a and b that differ (type, shape or any byte), `skip` (a record name
 * or NULL) aside; a record missing from either side counts. The first difference goes to stdout. */
static inline int checkpoint_differences(const nqs_checkpoint *a, const nqs_checkpoint *b, const char *skip) {
  int diff = 0;
  for (int pass = 0; pass < 2; pass++) {
    const nqs_checkpoint *x = pass ? b : a, *y = pass ? a : b;
    for (int i = 0; i < x->count; i++) {
      const nqs_record *r = &x->rec[i], *q = nqs_checkpoint_find(y, r->name);
      if (skip && strcmp(r->name, skip) == 0) continue;
      const int bad = !q || (!pass && (q->type != r->type || q->rows != r->rows || q->cols != r->cols ||
                                       memcmp(q->data, r->data, r->rows * r->cols * (r->type == NQS_RECORD_TEXT ? 1 : 8))));
      if (bad && !diff) printf("     checkpoint record %s differs\n", r->name);
      diff += bad;
    }
  }
  return diff;
}

static inline nqs_wavefunction *make_wf(int d, int n, nqs_statistics st, nqs_interaction in, double omega,
                                        double lambda, const char *factors, const nqs_factor_options *fo) {
  nqs_system sys;
  nqs_error err;
  if (nqs_system_init(&sys, d, n, st, in, omega, lambda, &err)) {
    fprintf(stderr, "system: %s\n", err.msg);
    exit(3);
  }
  nqs_wavefunction *wf = nqs_wf_create(&sys, factors, fo, &err);
  if (!wf) {
    fprintf(stderr, "wave function: %s\n", err.msg);
    exit(3);
  }
  return wf;
}
/* Thermalise `walkers` chains of wf for `thermalization` sweeps (step adapted), then sample
 * `sweeps` sweeps each; *ok = 0 (with a line saying why) if anything failed. */
static inline nqs_vmc_result sample_vmc(nqs_wavefunction *wf, const nqs_sampler_type *s, uint64_t seed, int walkers,
                                        int thermalization, long sweeps, int *ok) {
  nqs_vmc_options vo = {.walkers = walkers, .seed = seed};
  nqs_error err;
  nqs_vmc_result r = {0};
  nqs_vmc *v = nqs_vmc_create_wf(wf, s, &vo, &err);
  *ok = v && !nqs_vmc_thermalize(v, thermalization, 1, &err) && !nqs_vmc_sample(v, sweeps, 0, &r, &err);
  if (!*ok) printf("     sampling failed: %s\n", err.msg);
  nqs_vmc_free(v);
  return r;
}
#endif
