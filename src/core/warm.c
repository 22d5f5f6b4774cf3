/* warm.c — parameters from another run, by name (warm.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/core/checkpoint.h"
#include "warm.h"

/* The k-th name of a comma-separated list whose names may hold commas inside brackets
 * ("ffnn.W0[3,1]"); NULL past the end. */
static const char *nth_name(const char *list, int k, char *buf, size_t size) {
  const char *p = list;
  for (int i = 0; *p || i == 0; i++) {
    int depth = 0;
    const char *e = p;
    while (*e && !(*e == ',' && depth == 0)) {
      depth += (*e == '[') - (*e == ']');
      e++;
    }
    if (i == k) {
      snprintf(buf, size, "%.*s", (int)(e - p), p);
      return buf;
    }
    if (!*e) break;
    p = e + 1;
  }
  return NULL;
}

static int count_names(const char *list) {
  char buf[80];
  int n = 0;
  while (list[0] && nth_name(list, n, buf, sizeof buf)) n++;
  return n;
}

/* 1 if some parameter of m has the factor prefix of `name` ("slater" of "slater.alpha"). */
static int model_has_prefix(const nqs_model *m, const char *name) {
  const size_t len = strcspn(name, ".");
  char buf[80];
  for (int k = 0; k < m->nparams; k++) {
    m->type->param_name(m, k, buf, sizeof buf);
    if (strncmp(buf, name, len) == 0 && buf[len] == '.') return 1;
  }
  return 0;
}

/* The source index for parameter `name`: the same name, else the one source name with the same
 * part after the prefix whose factor m does not have; -1 if none. */
static int source_of(const nqs_model *m, const char *names, int ns, const char *name) {
  char buf[80];
  for (int j = 0; j < ns; j++)
    if (strcmp(nth_name(names, j, buf, sizeof buf), name) == 0) return j;
  const char *local = strchr(name, '.');
  if (!local) return -1;
  int found = -1;
  for (int j = 0; j < ns; j++) {
    nth_name(names, j, buf, sizeof buf);
    const char *l = strchr(buf, '.');
    if (!l || strcmp(l, local) != 0 || model_has_prefix(m, buf)) continue;
    if (found >= 0) return -1; /* ambiguous */
    found = j;
  }
  return found;
}

static nqs_status same_system(const nqs_config *a, const nqs_config *b, const char *dir, nqs_error *err) {
  const char *what = NULL;
  if (strcmp(a->system.type, b->system.type)) what = "[system] type";
  else if (strcmp(a->system.type, "lattice") == 0) {
    if (strcmp(a->lattice.graph, b->lattice.graph)) what = "[lattice] graph";
    else if (a->lattice.length != b->lattice.length) what = "[lattice] length";
  } else if (strcmp(a->system.type, "nucleus") == 0) {
    /* any nucleus from any other (another A, Z or cutoff): the correlators are functions of
     * distances with the same names for every A (a trained 3H is a bound start for 3He) */
  } else if (a->system.dimensions != b->system.dimensions) what = "[system] dimensions";
  else if (a->system.particles != b->system.particles) what = "[system] particles";
  else if (strcmp(a->system.statistics, b->system.statistics)) what = "[system] statistics";
  if (!what) return NQS_OK;
  return nqs_error_setk(err, NQS_EINPUT, "run.init_from",
                        "init_from = %s: that run is of another system (its %s differs from this run's); warm-start "
                        "from a run of the same system", dir, what);
}

nqs_status nqs_warm_start(nqs_model *m, const nqs_config *c, const char *dir, int *matched, nqs_error *err) {
  nqs_checkpoint ck;
  nqs_error e;
  *matched = 0;
  if (nqs_checkpoint_read(dir, &ck, &e))
    return nqs_error_setk(err, NQS_EINPUT, "run.init_from", "init_from: %s", e.msg);
  nqs_config src;
  nqs_config_defaults(&src);
  nqs_status st = NQS_OK;
  if (strcmp(nqs_checkpoint_text(&ck, "kind"), "vmc") != 0)
    st = nqs_error_setk(err, NQS_EINPUT, "run.init_from", "init_from = %s: the checkpoint was written by '%s', not by nqs run",
                        dir, nqs_checkpoint_text(&ck, "kind"));
  else if (nqs_config_read_text(&src, nqs_checkpoint_text(&ck, "config"), "checkpoint.h5 [config]", &e))
    st = nqs_error_setk(err, NQS_EINPUT, "run.init_from", "init_from = %s: its stored configuration cannot be read (%s)", dir, e.msg);
  else st = same_system(c, &src, dir, err);
  const char *names = nqs_checkpoint_text(&ck, "parameter_names");
  const int ns = count_names(names);
  const double *p = st ? NULL : nqs_checkpoint_get(&ck, "parameters", NQS_RECORD_F64, (size_t)ns, &e);
  if (!st && !p)
    st = nqs_error_setk(err, NQS_EINPUT, "run.init_from", "init_from = %s: %s (the parameter names and values disagree)", dir, e.msg);
  for (int k = 0; !st && k < m->nparams; k++) {
    char name[80];
    m->type->param_name(m, k, name, sizeof name);
    const int j = source_of(m, names, ns, name);
    if (j >= 0) {
      m->params[k] = p[j];
      (*matched)++;
    }
  }
  if (!st && *matched == 0)
    st = nqs_error_setk(err, NQS_EINPUT, "run.init_from",
                        "init_from = %s: none of its %d parameters has a name this wave function uses", dir, ns);
  nqs_checkpoint_free(&ck);
  return st;
}
