/* sandbox.c — a parser's trial run in a child process (sandbox.h). */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sandbox.h"

int nqs_sandbox(int (*fn)(void *arg), void *arg) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  /* _exit: no atexit handlers, no flush of the parent's stdio buffers. 0 and 3 are the child's
   * answers; any other end (a signal, a sanitizer's exit code) means it did not survive. */
  if (pid == 0) {
    /* die of the signal itself, without the crash reports of sanitizers or fuzzers */
    const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++) signal(sigs[k], SIG_DFL);
    _exit(fn(arg) ? 3 : 0);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  if (!WIFEXITED(status)) return -1;
  return WEXITSTATUS(status) == 0 ? 0 : WEXITSTATUS(status) == 3 ? 1 : -1;
}
