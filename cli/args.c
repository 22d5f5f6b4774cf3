/* args.c — the one argument parser of every command (see args.h). */
#include "args.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 if spec lists `name` as a flag, 2 as an option with a value, 0 if not at all. */
static int lookup(const char *spec, const char *name) {
  const size_t n = strlen(name);
  for (const char *p = spec; (p = strstr(p, name)); p += n) {
    const int starts = p == spec || p[-1] == ' ';
    if (starts && (p[n] == ' ' || p[n] == 0)) return 1;
    if (starts && p[n] == '=') return 2;
  }
  return 0;
}

int cli_parse(const char *cmd, const char *spec, int argc, char **argv, cli_args *a) {
  memset(a, 0, sizeof *a);
  a->cmd = cmd;
  for (int i = 0; i < argc; i++) {
    const char *w = strcmp(argv[i], "-q") == 0 ? "--quiet" : argv[i];
    const int kind = strcmp(w, "--set") == 0 && lookup(spec, "--set") ? 2 : w[0] == '-' && w[1] ? lookup(spec, w) : -1;
    if (kind == 0) {
      fprintf(stderr, "nqs: error: unknown option '%s' of nqs %s (see nqs %s --help)\n", argv[i], cmd, cmd);
      return 2;
    }
    if (kind == -1) { /* a positional argument */
      if (a->positional && !lookup(spec, "...")) {
        fprintf(stderr, "nqs: error: nqs %s takes one FILE or DIR, but got '%s' and '%s'\n", cmd, a->positional, argv[i]);
        return 2;
      }
      if (!a->positional) a->positional = argv[i];
      if (a->npositional >= CLI_MAX_ARGS) {
        fprintf(stderr, "nqs: error: nqs %s takes at most %d folders or files\n", cmd, CLI_MAX_ARGS);
        return 2;
      }
      a->positionals[a->npositional++] = argv[i];
      continue;
    }
    if (kind == 2 && i + 1 >= argc) {
      fprintf(stderr, "nqs: error: %s needs a value (see nqs %s --help)\n", w, cmd);
      return 2;
    }
    if (a->nsets + a->nopts >= CLI_MAX_ARGS) {
      fprintf(stderr, "nqs: error: more than %d options\n", CLI_MAX_ARGS);
      return 2;
    }
    if (strcmp(w, "--set") == 0) a->sets[a->nsets++] = argv[++i];
    else {
      a->names[a->nopts] = w;
      a->values[a->nopts++] = kind == 2 ? argv[++i] : "";
    }
  }
  return 0;
}

const char *cli_get(const cli_args *a, const char *name) {
  for (int k = a->nopts - 1; k >= 0; k--)
    if (strcmp(a->names[k], name) == 0) return a->values[k];
  return NULL;
}

int cli_flag(const cli_args *a, const char *name) { return cli_get(a, name) != NULL; }

int cli_long(const cli_args *a, const char *name, long lo, long hi, long *out) {
  const char *s = cli_get(a, name);
  if (!s) return 0;
  char *end;
  const long v = strtol(s, &end, 10);
  if (*s == 0 || *end || v < lo || v > hi) {
    fprintf(stderr, "nqs: error: %s %s: need an integer from %ld to %ld\n", name, s, lo, hi);
    return 2;
  }
  *out = v;
  return 0;
}

int cli_double(const cli_args *a, const char *name, double lo, double hi, double *out) {
  const char *s = cli_get(a, name);
  if (!s) return 0;
  char *end;
  const double v = strtod(s, &end);
  if (*s == 0 || *end || !isfinite(v) || v < lo || v > hi) {
    fprintf(stderr, "nqs: error: %s %s: need a number from %g to %g\n", name, s, lo, hi);
    return 2;
  }
  *out = v;
  return 0;
}

int cli_error(const nqs_config *c, nqs_error *err) {
  if (c) nqs_config_locate(c, err);
  fprintf(stderr, "nqs: error: %s\n", err->msg);
  return cli_exit_code(err->code);
}

int cli_exit_code(nqs_status st) { return st == NQS_OK ? 0 : st == NQS_EINPUT ? 2 : st == NQS_EFAILED ? 3 : 1; }

cli_input cli_input_of(const cli_args *a) {
  return (cli_input){.file = a->positional, .restart = cli_get(a, "--restart"), .out = cli_get(a, "--out")};
}

int cli_config(const cli_args *a, cli_input in, const char *kind, int need_file, nqs_config *c, nqs_checkpoint *ck,
               int *restarted) {
  nqs_config_defaults(c);
  nqs_checkpoint_init(ck);
  *restarted = 0;
  nqs_error err = {0};
  const char *restart = in.restart, *out = in.out;
  if (restart && in.file) {
    fprintf(stderr, "nqs: error: give an input FILE or --restart DIR, not both (a restart reads its input from the checkpoint)\n");
    return 2;
  }
  if (restart && out) {
    fprintf(stderr, "nqs: error: --out cannot move a run being continued; it stays in %s\n", restart);
    return 2;
  }
  if (need_file && !restart && !in.file) {
    fprintf(stderr, "nqs: error: nqs %s needs an input FILE (see nqs %s --help and examples/)\n", a->cmd, a->cmd);
    return 2;
  }
  if (restart) { /* the checkpoint carries the resolved input; --set may change it (e.g. more iterations) */
    char name[4200];
    snprintf(name, sizeof name, "%s/checkpoint.h5 [config]", restart);
    if (nqs_checkpoint_read(restart, ck, &err) || nqs_checkpoint_expect(ck, kind, restart, &err) ||
        nqs_config_read_text(c, nqs_checkpoint_text(ck, "config"), name, &err)) {
      nqs_checkpoint_free(ck);
      return cli_error(NULL, &err);
    }
    *restarted = 1;
    out = restart;
  } else if (in.file && nqs_config_read(c, in.file, &err))
    return cli_error(c, &err);
  for (int k = 0; k < a->nsets; k++)
    if (nqs_config_set(c, a->sets[k], &err)) break;
  if (!err.code && out) {
    char set[4200];
    snprintf(set, sizeof set, "output.dir=%s", out);
    nqs_config_set(c, set, &err);
  }
  if (err.code) {
    if (*restarted) nqs_checkpoint_free(ck);
    *restarted = 0;
    return cli_error(c, &err);
  }
  return 0;
}
