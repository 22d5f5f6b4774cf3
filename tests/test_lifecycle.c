/* The lifecycle API without files: create a driver from a configuration object, take 5 steps,
 * evaluate, read the parameters, free — for particles and for lattice spins — inside an empty
 * folder that must still be empty afterwards. Every call passes err = NULL at least once. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "helpers.h"

static int entries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
  if (d) closedir(d);
  return n;
}

static void drive(const char *label, nqs_config *c, double lo, double hi) {
  nqs_error err = {0};
  nqs_driver *d = nqs_driver_create(c, NULL, &err);
  CHECK(d != NULL, "%s: created (%s)", label, d ? "ok" : err.msg);
  if (!d) return;
  int steps = 0, rejected = 0;
  nqs_iteration it;
  while (nqs_driver_iteration(d) < 5 && steps < 20) {
    if (nqs_driver_step(d, &it, steps % 2 ? NULL : &err)) break;
    rejected += it.rejected;
    steps++;
  }
  CHECK(nqs_driver_iteration(d) == 5, "%s: 5 iterations (%d calls, %d rejected), last E = %.5f +- %.5f", label, steps, rejected,
        it.energy.mean, it.energy.error);
  nqs_evaluation ev;
  const int ok = nqs_driver_evaluate(d, &ev, NULL) == NQS_OK;
  CHECK(ok && ev.energy.mean > lo && ev.energy.mean < hi && ev.energy.error > 0,
        "%s: evaluation E = %.5f +- %.5f in (%g, %g), %ld samples", label, ok ? ev.energy.mean : NAN, ok ? ev.energy.error : NAN,
        lo, hi, ok ? ev.samples : 0);
  int np;
  const double *p = nqs_driver_params(d, &np);
  char name[64] = "";
  if (np > 0) nqs_driver_param_name(d, 0, name, sizeof name);
  CHECK(np > 0 && isfinite(p[0]) && name[0], "%s: %d parameters, %s = %.6f", label, np, name, np > 0 ? p[0] : NAN);
  nqs_checkpoint ck;
  long ck_it = -1;
  const int okck = nqs_driver_checkpoint(d, &ck, NULL) == NQS_OK;
  CHECK(okck && nqs_checkpoint_count(&ck, "iteration", 0, 100, &ck_it, NULL) == NQS_OK && ck_it == 5 &&
            nqs_checkpoint_get(&ck, "parameters", NQS_RECORD_F64, (size_t)np, NULL) && strcmp(nqs_checkpoint_text(&ck, "kind"), "vmc") == 0,
        "%s: checkpoint in memory (iteration %ld, kind %s)", label, ck_it, okck ? nqs_checkpoint_text(&ck, "kind") : "-");
  nqs_checkpoint_free(&ck);
  nqs_driver_free(d);
}

int main(void) {
  char dir[] = "/tmp/nqs-test-lifecycle-XXXXXX", old[4096];
  if (!mkdtemp(dir) || !getcwd(old, sizeof old) || chdir(dir)) return 3;
  nqs_config c;
  nqs_config_defaults(&c); /* the demo: 2D dot, N = 2, Slater x Pade */
  c.optimizer.samples = 2000;
  c.evaluation.samples = 20000;
  drive("2D dot N=2", &c, 2.99, 3.1);
  nqs_config_defaults(&c);
  nqs_error err;
  CHECK(nqs_config_set(&c, "system.type=lattice", &err) == NQS_OK && nqs_config_set(&c, "lattice.length=8", &err) == NQS_OK &&
            nqs_config_set(&c, "optimizer.method=sr", &err) == NQS_OK,
        "lattice configuration by --set strings");
  c.optimizer.samples = 1000;
  c.evaluation.samples = 8000;
  drive("TFIM chain L=8", &c, -11.0, -8.0);
  /* a bad configuration: NULL driver, the message says why, and a NULL err is fine */
  nqs_config_defaults(&c);
  c.system.particles = 4;
  nqs_driver *d = nqs_driver_create(&c, NULL, &err);
  CHECK(!d && err.code == NQS_EINPUT && strstr(err.msg, "closed shell"), "N = 4 fermions refused: %s", err.msg);
  CHECK(nqs_driver_create(&c, NULL, NULL) == NULL, "the same with err = NULL: no crash");
  CHECK(strcmp(nqs_status_string(NQS_EINPUT), "bad input") == 0, "nqs_status_string(NQS_EINPUT) = \"%s\"", nqs_status_string(NQS_EINPUT));
  const int n = entries(".");
  CHECK(n == 0, "no file written (%d entries in the working folder)", n);
  if (chdir(old)) return 3;
  remove_tree(dir);
  return check_done();
}
