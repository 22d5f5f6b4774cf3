/* sandbox.h — run a parser of untrusted files in a child process first (private to the library).
 * libhdf5 trusts the files it reads: a crafted header can make it dereference NULL or overrun a
 * buffer inside the library, where nqs cannot check. Reading such a file once in a forked child
 * turns a crash there into a refusal here; the parent then reads the file itself, knowing the
 * same code survives it. */
#ifndef NQS_SANDBOX_H
#define NQS_SANDBOX_H

/* fn(arg) in a child process: its return value (0 or 1) when it returned, -1 when it died (a
 * signal, an abort) or could not be started. The child writes nothing to the parent's memory. */
int nqs_sandbox(int (*fn)(void *arg), void *arg);

#endif
