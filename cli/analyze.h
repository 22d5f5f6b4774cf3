/* analyze.h — nqs analyze: blocking, tau and equilibration of stored local-energy traces. */
#ifndef NQS_CLI_ANALYZE_H
#define NQS_CLI_ANALYZE_H

int nqs_cmd_analyze(int argc, char **argv);

#endif
