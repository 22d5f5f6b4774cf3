/* Checkpoint and restart.
 *  - 20 iterations straight vs 10 + restart + 10 (Adam and SR): identical
 *    parameters and evaluated energies (to 1e-12; in fact bit for bit, since the
 *    checkpoint holds walkers, RNG states, optimiser state and step).
 *  - Truncated, bit-flipped and wrong-version checkpoints are refused with
 *    NQS_EINPUT and a message naming the problem; nothing crashes. */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "helpers.h"
#include "nqs/nqs.h"

static char base[] = "/tmp/nqs-test-restart-XXXXXX";

static int run(const char *name, const char *method, int iters, const nqs_checkpoint *ck, nqs_run_result *r) {
  nqs_config c;
  nqs_config_defaults(&c);
  nqs_error err;
  char a[700];
  if (ck && nqs_config_read_text(&c, nqs_checkpoint_text(ck, "config"), "checkpoint", &err)) return -1;
  const char *sets[] = {"wavefunction.factors=slater,rbm,pade", "wavefunction.hidden=3", "evaluation.samples=20000",
                        "optimizer.samples=2000", "output.checkpoint_every=5", "sampler.thermalization=50"};
  if (!ck)
    for (int i = 0; i < 6; i++) nqs_config_set(&c, sets[i], &err);
  snprintf(a, sizeof a, "optimizer.method=%s", method);
  nqs_config_set(&c, a, &err);
  snprintf(a, sizeof a, "optimizer.learning_rate=%s", strcmp(method, "sr") == 0 ? "0.05" : "0.01");
  nqs_config_set(&c, a, &err);
  snprintf(a, sizeof a, "optimizer.iterations=%d", iters);
  nqs_config_set(&c, a, &err);
  snprintf(a, sizeof a, "output.dir=%s/%s", base, name);
  nqs_config_set(&c, a, &err);
  nqs_run_options o = {.restart = ck};
  if (nqs_run(&c, &o, r, &err)) {
    printf("     run %s failed: %s\n", name, err.msg);
    return -1;
  }
  return 0;
}

static int load(const char *name, nqs_checkpoint *ck) {
  char p[700];
  nqs_error err;
  snprintf(p, sizeof p, "%s/%s", base, name);
  if (nqs_checkpoint_read(p, ck, &err)) {
    printf("     %s\n", err.msg);
    return -1;
  }
  return 0;
}

static void compare(const char *method) {
  char a[64], b[64];
  snprintf(a, sizeof a, "%s-straight", method);
  snprintf(b, sizeof b, "%s-split", method);
  nqs_run_result ra = {0}, rb = {0}, rb2 = {0};
  nqs_checkpoint ca, cb, mid;
  long it_mid = -1;
  int ok = run(a, method, 20, NULL, &ra) == 0 && run(b, method, 10, NULL, &rb) == 0 && load(b, &mid) == 0 &&
           nqs_checkpoint_count(&mid, "iteration", 0, 100, &it_mid, NULL) == 0 && it_mid == 10 &&
           run(b, method, 20, &mid, &rb2) == 0 && load(a, &ca) == 0 && load(b, &cb) == 0;
  /* every record but the input text (its output folder differs) is identical, bit for bit:
   * parameters, optimiser state, walkers, random streams, counters */
  const int diff = ok ? checkpoint_differences(&ca, &cb, "config") : -1;
  CHECK(diff == 0, "%-4s 20 straight vs 10 + restart + 10: all %d checkpoint records identical (%d differ)", method,
        ok ? ca.count - 1 : 0, diff);
  CHECK(ok && fabs(ra.energy.mean - rb2.energy.mean) <= 1e-12 && fabs(ra.energy.error - rb2.energy.error) <= 1e-12,
        "%-4s evaluated energy %.12f vs %.12f", method, ra.energy.mean, rb2.energy.mean);
  nqs_run_result_free(&ra);
  nqs_run_result_free(&rb);
  nqs_run_result_free(&rb2);
  nqs_checkpoint_free(&mid);
  nqs_checkpoint_free(&ca);
  nqs_checkpoint_free(&cb);
}

static int copy_file(const char *from, const char *to, long truncate_to, long flip_at) {
  FILE *f = fopen(from, "rb"), *g = fopen(to, "wb");
  if (!f || !g) return -1;
  int ch;
  long i = 0;
  while ((ch = fgetc(f)) != EOF && (truncate_to < 0 || i < truncate_to)) {
    if (i == flip_at) ch ^= 0x10;
    fputc(ch, g);
    i++;
  }
  fclose(f);
  fclose(g);
  return 0;
}

int main(void) {
  if (!mkdtemp(base)) return 3;
  compare("adam");
  compare("sr");

  char good[700], bad[700];
  snprintf(good, sizeof good, "%s/adam-straight/checkpoint.h5", base);
  snprintf(bad, sizeof bad, "%s/damaged.h5", base);
  struct stat sb;
  stat(good, &sb);
  struct {
    const char *what, *expect;
    long trunc, flip;
  } cases[] = {{"truncated to half", "truncated", sb.st_size / 2, -1},
               {"bit flipped in the data", "checksum mismatch", -1, sb.st_size - 100},
               {"bit flipped in HDF5 metadata", "checksum mismatch", -1, 600},
               {"empty file", "not an nqs checkpoint", 0, -1},
               {"flipped magic", "not an nqs checkpoint", -1, 2}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    copy_file(good, bad, cases[i].trunc, cases[i].flip);
    nqs_checkpoint ck;
    nqs_error err = {0};
    nqs_status st = nqs_checkpoint_read(bad, &ck, &err);
    CHECK(st == NQS_EINPUT && strstr(err.msg, cases[i].expect), "%-28s refused: %s", cases[i].what, err.msg);
    if (st == NQS_OK) nqs_checkpoint_free(&ck);
  }
  /* wrong version: rewrite the header's version line */
  copy_file(good, bad, -1, -1);
  int fd = open(bad, O_RDWR);
  if (fd < 0 || pwrite(fd, "version 9", 9, 7) != 9) return 3;
  close(fd);
  nqs_checkpoint ck;
  nqs_error err = {0};
  nqs_status st = nqs_checkpoint_read(bad, &ck, &err);
  CHECK(st == NQS_EINPUT && strstr(err.msg, "version 9"), "%-28s refused: %s", "wrong version", err.msg);

  /* checksum-valid checkpoints with damaged state: each record rewritten through the library, so
   * only the restart's own checks can catch it (a NaN counter once made --restart loop forever) */
  struct {
    const char *what, *record, *expect;
    double value;
  } states[] = {{"NaN iteration counter", "iteration", "iteration", NAN},
                {"negative iteration counter", "iteration", "whole number", -2},
                {"fractional iteration counter", "iteration", "whole number", 2.5},
                {"infinite parameter", "parameters", "not finite", INFINITY}};
  for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
    nqs_checkpoint src;
    char dir[700];
    snprintf(dir, sizeof dir, "%s/state%zu", base, i);
    mkdir(dir, 0777);
    if (nqs_checkpoint_read(good, &src, &err)) return 3;
    const nqs_record *r = nqs_checkpoint_find(&src, states[i].record);
    if (!r || r->type != NQS_RECORD_F64) return 3;
    ((double *)r->data)[0] = states[i].value;
    if (nqs_checkpoint_write(dir, &src, &err)) return 3;
    nqs_checkpoint mid;
    nqs_run_result res = {0};
    const int ok_read = nqs_checkpoint_read(dir, &mid, &err) == NQS_OK;
    nqs_config c;
    nqs_config_defaults(&c);
    nqs_config_read_text(&c, nqs_checkpoint_text(&mid, "config"), "checkpoint", &err);
    char out[800];
    snprintf(out, sizeof out, "output.dir=%s", dir);
    nqs_config_set(&c, out, &err);
    nqs_run_options o = {.restart = &mid};
    st = ok_read ? nqs_run(&c, &o, &res, &err) : NQS_EIO;
    CHECK(st == NQS_EINPUT && strstr(err.msg, states[i].expect), "%-28s refused on restart: %s", states[i].what, err.msg);
    nqs_run_result_free(&res);
    if (ok_read) nqs_checkpoint_free(&mid);
    nqs_checkpoint_free(&src);
  }
  if (remove_tree(base)) return 3;
  return check_done();
}
