/* args.h — the one argument parser of every command.
 *
 * A command names the options it takes in a spec string, e.g. "--out= --restart= --quiet
 * --no-plots" ("--name=" takes a value, "--name" is a flag). `--set section.key=value` is
 * accepted by every command that reads an input, may stand anywhere and may repeat; `-q` is
 * `--quiet`. At most one positional argument (the input FILE or a run folder DIR), or any number
 * when the spec holds "..." (nqs analyze DIR...). */
#ifndef NQS_CLI_ARGS_H
#define NQS_CLI_ARGS_H
#include "nqs/nqs.h"

#define CLI_MAX_ARGS 128

typedef struct {
  const char *cmd;        /* the command, for messages */
  const char *positional; /* FILE or DIR, or NULL (the first, with "...") */
  int npositional;
  const char *positionals[CLI_MAX_ARGS];
  int nsets, nopts;
  const char *sets[CLI_MAX_ARGS];                          /* --set values in order */
  const char *names[CLI_MAX_ARGS], *values[CLI_MAX_ARGS]; /* other options ("" for a flag) */
} cli_args;

/* Parse argv (the words after the command) against spec; 0, or 2 after a message on stderr. */
int cli_parse(const char *cmd, const char *spec, int argc, char **argv, cli_args *a);
/* The value of option `name` ("--out"), the last one given, or NULL. */
const char *cli_get(const cli_args *a, const char *name);
int cli_flag(const cli_args *a, const char *name);
/* An integer / a finite number in [lo, hi] from option `name`, left as it is when absent;
 * 0, or 2 after a message. */
int cli_long(const cli_args *a, const char *name, long lo, long hi, long *out);
int cli_double(const cli_args *a, const char *name, double lo, double hi, double *out);

/* Where a command's input comes from: an INI file, a run folder to continue, and the run
 * folder to write (output.dir). */
typedef struct {
  const char *file, *restart, *out;
} cli_input;

/* The usual sources: the positional FILE, --restart DIR and --out DIR. */
cli_input cli_input_of(const cli_args *a);

/* The input of a command: defaults; in.file, or with in.restart the input stored in
 * DIR/checkpoint.h5 (which must have been written by `kind`; it stays in *ck, and *restarted
 * says so); then every --set of a in order; then in.out (refused for a restart: a run being
 * continued stays in its folder). need_file: no file and no restart is an error (else the
 * built-in defaults run). 0, or the exit code after a message. */
int cli_config(const cli_args *a, cli_input in, const char *kind, int need_file, nqs_config *c, nqs_checkpoint *ck,
               int *restarted);

/* Report a library error (with the input line or --set that caused it) and return its exit
 * code (cli_exit_code). */
int cli_error(const nqs_config *c, nqs_error *err);
/* The exit code of a status: 0 success, 2 bad input, 3 a result that failed its health check
 * (or a diverged optimisation), 1 any other failure. */
int cli_exit_code(nqs_status st);

#endif
