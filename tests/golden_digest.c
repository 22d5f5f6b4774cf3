/* golden_digest DIR — one line that pins a run folder's numbers to the last bit: the energy mean
 * and error of result.json (or the learning monitors of train-rbm, tomography, regress, classify and gan) printed with
 * 17 digits, and FNV-1a hashes of the final parameters (checkpoint.h5, and rbm.json when present).
 * test_golden.sh compares these lines with tests/golden/golden.txt. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/core/checkpoint.h"

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
    free(s);
    s = NULL;
  }
  if (s) s[n] = 0;
  fclose(f);
  return s;
}

static uint64_t fnv(const void *p, size_t n, uint64_t h) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

/* every number under item, depth first, hashed by its bits */
static uint64_t hash_numbers(const cJSON *item, uint64_t h) {
  for (const cJSON *c = item ? item->child : NULL; c; c = c->next) {
    if (cJSON_IsNumber(c)) h = fnv(&c->valuedouble, sizeof(double), h);
    else h = hash_numbers(c, h);
  }
  return h;
}

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: golden_digest RUN_DIR [RESULT_FILE]\n");
    return 2;
  }
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", argv[1], argc == 3 ? argv[2] : "result.json");
  char *text = slurp(path);
  cJSON *j = text ? cJSON_Parse(text) : NULL;
  free(text);
  if (!j) {
    fprintf(stderr, "golden_digest: cannot read %s\n", path);
    return 1;
  }
  const cJSON *e = cJSON_GetObjectItem(j, "energy");
  if (e) printf("E %.17g %.17g", cJSON_GetObjectItem(e, "mean")->valuedouble, cJSON_GetObjectItem(e, "error")->valuedouble);
  const char *monitors[] = {"kl", "log_likelihood_train", "fidelity", "train_mse", "test_mse", "test_loss"};
  for (int k = 0; k < 6; k++) {
    const cJSON *m = cJSON_GetObjectItem(j, monitors[k]);
    if (cJSON_IsNumber(m)) printf(" %s %.17g", monitors[k], m->valuedouble);
  }
  const cJSON *coef = cJSON_GetObjectItem(j, "coefficients"); /* nqs regress */
  if (coef) printf(" coefficients %016" PRIx64, hash_numbers(coef, 0xcbf29ce484222325ull));
  const cJSON *dl = cJSON_GetObjectItem(j, "density_l1"), *r2 = cJSON_GetObjectItem(j, "r2_per_particle"); /* nqs gan */
  if (dl) printf(" density_l1 %016" PRIx64, hash_numbers(dl, 0xcbf29ce484222325ull));
  if (r2) printf(" r2 %016" PRIx64, hash_numbers(r2, 0xcbf29ce484222325ull));
  cJSON_Delete(j);
  nqs_checkpoint ck;
  nqs_error err;
  if (nqs_checkpoint_read(argv[1], &ck, &err) == NQS_OK) {
    const nqs_record *r = nqs_checkpoint_find(&ck, "parameters");
    const size_t np = r ? r->rows * r->cols : 0;
    if (r) printf(" params[%zu] %016" PRIx64, np, fnv(r->data, sizeof(double) * np, 0xcbf29ce484222325ull));
    nqs_checkpoint_free(&ck);
  }
  snprintf(path, sizeof path, "%s/rbm.json", argv[1]);
  text = slurp(path);
  if (text && (j = cJSON_Parse(text))) {
    printf(" rbm %016" PRIx64, hash_numbers(j, 0xcbf29ce484222325ull));
    cJSON_Delete(j);
  }
  free(text);
  printf("\n");
  return 0;
}
