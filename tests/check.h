/* check.h — one line per check, a closing "N passed, N failed" line, non-zero exit on failure. */
#ifndef NQS_CHECK_H
#define NQS_CHECK_H
#include <stdio.h>

static int check_total = 0, check_failed = 0;

#define CHECK(cond, ...)                      \
  do {                                        \
    check_total++;                            \
    int ok_ = (cond);                         \
    if (!ok_) check_failed++;                 \
    printf("%s ", ok_ ? "ok  " : "FAIL");     \
    printf(__VA_ARGS__);                      \
    printf("\n");                             \
  } while (0)

static inline int check_done(void) {
  printf("%d passed, %d failed\n", check_total - check_failed, check_failed);
  return check_failed ? 1 : 0;
}
#endif
