/* Long physics validation (make validate, label "long"): run an example input
 * and check the energy against its reference.
 *   validate_dot FILE REL_TOL   ->  |E - E_ref| / E_ref <= REL_TOL and E >= E_ref - 4 err
 * (variational: a VMC energy may not fall below exact or DMC beyond its error bar). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "helpers.h"
#include "nqs/nqs.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: validate_dot FILE REL_TOL\n");
    return 2;
  }
  nqs_config c;
  nqs_config_defaults(&c);
  nqs_error err = {0};
  char dir[] = "/tmp/nqs-validate-XXXXXX", set[600];
  if (!mkdtemp(dir) || nqs_config_read(&c, argv[1], &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 2;
  }
  snprintf(set, sizeof set, "output.dir=%s/run", dir);
  nqs_config_set(&c, set, &err);
  nqs_run_result r;
  nqs_status st = nqs_run(&c, NULL, &r, &err);
  if (st) printf("     run failed: %s\n", err.msg);
  const double tol = atof(argv[2]);
  double rel = st ? NAN : (r.energy.mean - r.reference) / r.reference;
  CHECK(st == NQS_OK && r.has_reference && fabs(rel) <= tol && r.energy.mean >= r.reference - 4 * r.energy.error,
        "%s: E = %.6f +- %.6f vs %s %.6f: %+.3f %% (tolerance %.3f %%), %.1f s", argv[1], r.energy.mean, r.energy.error,
        r.has_reference ? r.reference_source : "-", r.reference, 100 * rel, 100 * tol, r.wall_seconds);
  nqs_run_result_free(&r);
  if (remove_tree(dir)) return 3;
  return check_done();
}
