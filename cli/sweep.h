/* sweep.h — `nqs sweep`: one run per value of one input key. */
#ifndef NQS_CLI_SWEEP_H
#define NQS_CLI_SWEEP_H
#include "nqs/core/run.h"

/* The progress display's state (cli/main.c). */
typedef struct {
  int quiet, tty, last_tenth;
} progress_state;

int nqs_cmd_sweep(int argc, char **argv, nqs_progress_fn progress);

#endif
