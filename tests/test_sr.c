/* Stochastic reconfiguration vs Adam on 2D N = 2, omega = 1, RBM only (H = 4,
 * Psi = sqrt F), the test. Adam (eta 0.01) runs 300 iterations, SR
 * (eta 0.05, shift 1e-3) 100: 3x fewer. Checks:
 *  1. the evaluated SR energy is within 1 % of Adam's final evaluated energy;
 *  2. from the logged curves (log.jsonl, both kept in the run folders): the first
 *     iteration from which the 10-iteration running mean stays within 1 % of
 *     Adam's final energy; SR's must be at most a third of Adam's;
 *  3. the SR solver paths agree: Cholesky and MinSR give the same step to 1e-8
 *     when both apply (P < N_s), and the fallback handles a singular S. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "helpers.h"
#include "nqs/nqs.h"

static int run(const char *dir, const char *method, double lr, int iters, nqs_run_result *r) {
  nqs_config c;
  nqs_config_defaults(&c);
  nqs_error err;
  char a[700];
  const char *sets[] = {"wavefunction.factors=rbm", "wavefunction.hidden=4", "evaluation.samples=400000"};
  for (int i = 0; i < 3; i++) nqs_config_set(&c, sets[i], &err);
  snprintf(a, sizeof a, "optimizer.method=%s", method);
  nqs_config_set(&c, a, &err);
  snprintf(a, sizeof a, "optimizer.learning_rate=%g", lr);
  nqs_config_set(&c, a, &err);
  snprintf(a, sizeof a, "optimizer.iterations=%d", iters);
  nqs_config_set(&c, a, &err);
  snprintf(a, sizeof a, "output.dir=%s/%s", dir, method);
  nqs_config_set(&c, a, &err);
  if (nqs_run(&c, NULL, r, &err)) {
    printf("     %s failed: %s\n", method, err.msg);
    return -1;
  }
  return 0;
}

/* Energies from log.jsonl into e[], returns the count. */
static int read_curve(const char *path, double *e, int cap) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[8192];
  int n = 0;
  while (n < cap && fgets(line, sizeof line, f)) {
    cJSON *o = cJSON_Parse(line);
    cJSON *en = o ? cJSON_GetObjectItem(o, "energy") : NULL;
    cJSON *m = en ? cJSON_GetObjectItem(en, "mean") : NULL;
    if (m) e[n++] = m->valuedouble;
    cJSON_Delete(o);
  }
  fclose(f);
  return n;
}

/* First iteration (1-based) from which the running mean of 10 stays <= target. */
static int settle(const double *e, int n, double target) {
  int first = -1;
  for (int i = 9; i < n; i++) {
    double s = 0;
    for (int k = i - 9; k <= i; k++) s += e[k];
    if (s / 10 <= target) {
      if (first < 0) first = i + 1;
    } else {
      first = -1;
    }
  }
  return first;
}

int main(void) {
  char dir[] = "/tmp/nqs-test-sr-XXXXXX";
  if (!mkdtemp(dir)) return 3;
  nqs_run_result ra = {0}, rs = {0};
  int ok = run(dir, "adam", 0.01, 300, &ra) == 0 && run(dir, "sr", 0.05, 100, &rs) == 0;
  CHECK(ok && fabs(rs.energy.mean - ra.energy.mean) <= 0.01 * ra.energy.mean,
        "SR after 100 iterations E = %.4f +- %.4f; Adam after 300: %.4f +- %.4f (within 1 %%: |diff| <= %.4f)",
        rs.energy.mean, rs.energy.error, ra.energy.mean, ra.energy.error, 0.01 * ra.energy.mean);
  double ea[400], es[400];
  char p[700];
  snprintf(p, sizeof p, "%s/adam/log.jsonl", dir);
  int na = read_curve(p, ea, 400);
  snprintf(p, sizeof p, "%s/sr/log.jsonl", dir);
  int ns = read_curve(p, es, 400);
  const double target = 1.01 * ra.energy.mean;
  int ia = settle(ea, na, target), is = settle(es, ns, target);
  CHECK(na == 300 && ns == 100, "both curves logged (%d and %d iterations)", na, ns);
  CHECK(is > 0 && ia > 0 && 3 * is <= ia, "iterations to settle within 1 %% of %.4f: SR %d, Adam %d (ratio %.1f)", ra.energy.mean, is,
        ia, is > 0 ? (double)ia / is : NAN);

  /* Solver paths: random O with P < N_s, both forms solve the same equations. */
  enum { NS = 40, NP = 12 };
  static double O[NS * NP], e[NS], d1[NP], d2[NP], Os[NS * NP];
  nqs_rng rng;
  nqs_rng_seed(&rng, 9, 0);
  for (int i = 0; i < NS * NP; i++) O[i] = nqs_rng_normal(&rng);
  for (int i = 0; i < NS; i++) e[i] = nqs_rng_normal(&rng);
  nqs_sr_options o1 = {.diag_shift = 0.01, .solver = NQS_SR_CHOLESKY}, o2 = {.diag_shift = 0.01, .solver = NQS_SR_MINSR};
  nqs_sr_info info;
  nqs_error err;
  int s1 = nqs_sr_solve(O, e, NS, NP, &o1, d1, &info, &err), s2 = nqs_sr_solve(O, e, NS, NP, &o2, d2, &info, &err);
  double md = 0;
  for (int k = 0; k < NP; k++) md = fmax(md, fabs(d1[k] - d2[k]) / fmax(fabs(d1[k]), 1e-3));
  CHECK(!s1 && !s2 && md < 1e-8, "Cholesky and MinSR steps agree: max rel diff %.1e", md);
  /* Singular S: two identical parameter columns and no shift -> fallback, finite step. */
  memcpy(Os, O, sizeof O);
  for (int i = 0; i < NS; i++) Os[i * NP + 1] = Os[i * NP + 0];
  nqs_sr_options o3 = {.diag_shift = 0.0, .solver = NQS_SR_CHOLESKY};
  int s3 = nqs_sr_solve(Os, e, NS, NP, &o3, d1, &info, &err);
  int fin = 1;
  for (int k = 0; k < NP; k++) fin &= isfinite(d1[k]);
  CHECK(!s3 && fin && info.used_fallback && info.dropped >= 1 && fabs(d1[0] - d1[1]) < 1e-8,
        "singular S solved by the pseudo-inverse fallback (%d eigenvalue dropped; equal columns get equal steps)",
        info.dropped);
  nqs_run_result_free(&ra);
  nqs_run_result_free(&rs);
  if (remove_tree(dir)) return 3;
  return check_done();
}
