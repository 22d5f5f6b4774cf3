/* sandbox.c — a parser's trial run in a child process (sandbox.h). */
#include <errno.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sandbox.h"

int nqs_sandbox(int (*fn)(void *arg), void *arg) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) _exit(fn(arg) ? 1 : 0); /* no atexit handlers, no stdio flush of the parent's buffers */
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
