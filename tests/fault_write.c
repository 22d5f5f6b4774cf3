/* fault_write.c — a fault-injecting write() for tests, loaded with LD_PRELOAD: writes to files
 * whose path contains $NQS_FAULT_PATH fail with ENOSPC (disk full) once $NQS_FAULT_AFTER writes
 * to such files have succeeded. Needs no root and no real full disk. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ssize_t write(int fd, const void *buf, size_t n) {
  static ssize_t (*real)(int, const void *, size_t);
  static long done;
  if (!real) real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  const char *pat = getenv("NQS_FAULT_PATH"), *after = getenv("NQS_FAULT_AFTER");
  if (pat && after && fd > 2) {
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const ssize_t len = readlink(link, path, sizeof path - 1);
    if (len > 0) {
      path[len] = 0;
      if (strstr(path, pat) && done++ >= atol(after)) {
        errno = ENOSPC;
        return -1;
      }
    }
  }
  return real(fd, buf, n);
}
