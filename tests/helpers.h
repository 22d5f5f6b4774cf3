/* helpers.h — building systems and wave functions in tests. */
#ifndef NQS_TEST_HELPERS_H
#define NQS_TEST_HELPERS_H
#include <stdlib.h>
#include "nqs/nqs.h"

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
#endif
