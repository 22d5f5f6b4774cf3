/* classify.c — `nqs classify FILE`: read labelled rows, split them (test rows from every
 * temperature; training and validation rows away from the critical window when asked), train
 * the network by mini-batches with early stopping on the validation loss, then measure the
 * test accuracy and the mean output against temperature. Gradients of a batch are summed in a
 * fixed number of chunks, so that the result does not depend on the number of threads. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/core/checkpoint.h"
#include "nqs/core/optimizer.h"
#include "nqs/learn/classify.h"
#include "nqs/learn/dataset.h"
#include "nqs/learn/ising.h"
#include "nqs/learn/regress.h" /* nqs_permutation */
#include "nqs/nn/net.h"
#include "run_internal.h"

#define CHUNKS 8

typedef struct {
  long n;
  int nf, classes;
  double *x;   /* n x nf features */
  int *y;      /* labels */
  double *T;   /* temperatures or NULL */
} samples;

static void samples_free(samples *s) {
  free(s->x), free(s->y), free(s->T);
}


/* The features (every column but the label and the temperature; 0/1 spins become -1/+1), the
 * labels and the temperatures. */
static nqs_status load(const nqs_config *c, samples *s, nqs_error *err) {
  memset(s, 0, sizeof *s);
  if (!c->classify.data[0])
    return nqs_error_setk(err, NQS_EINPUT, "classify.data", "no data: set [classify] data = FILE.csv (e.g. from nqs sample-ising "
                          "--temperatures 1.0:3.5:26)");
  double *rows;
  int nr, nc, lc, tc = -1;
  nqs_status st = nqs_error_key(err, nqs_dataset_read(c->classify.data, 0, &rows, &nr, &nc, err), "classify.data");
  if (st) return st;
  if ((st = nqs_error_key(err, nqs_dataset_column(c->classify.data, c->classify.label, nc, &lc, err), "classify.label"))) goto done;
  if (strcmp(c->classify.temperature, "none") != 0) {
    st = nqs_dataset_column(c->classify.data, c->classify.temperature, nc, &tc, err);
    if (st && strcmp(c->classify.temperature, "T") == 0) st = NQS_OK, tc = -1; /* the default name and no such column: no curve */
    if ((st = nqs_error_key(err, st, "classify.temperature"))) goto done;
  }
  s->n = nr, s->nf = nc - 1 - (tc >= 0);
  if (s->nf < 1) {
    st = nqs_error_setk(err, NQS_EINPUT, "classify.data", "%s has no feature columns besides the label", c->classify.data);
    goto done;
  }
  s->x = malloc(sizeof(double) * (size_t)nr * s->nf), s->y = malloc(sizeof(int) * nr), s->T = tc >= 0 ? malloc(sizeof(double) * nr) : NULL;
  if (!s->x || !s->y || (tc >= 0 && !s->T)) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory for %d rows", nr);
    goto done;
  }
  int binary = 1;
  for (long i = 0; i < nr; i++) {
    const double *r = rows + (size_t)i * nc;
    const double lab = r[lc];
    if (lab != floor(lab) || lab < 0 || lab > 63) {
      st = nqs_error_setk(err, NQS_EINPUT, "classify.label", "%s row %ld: the label %g is not a class 0, 1, ... 63",
                          c->classify.data, i + 1, lab);
      goto done;
    }
    s->y[i] = (int)lab;
    if (s->y[i] + 1 > s->classes) s->classes = s->y[i] + 1;
    if (s->T) s->T[i] = r[tc];
    for (int k = 0, f = 0; k < nc; k++)
      if (k != lc && k != tc) {
        s->x[i * s->nf + f++] = r[k];
        binary &= r[k] == 0 || r[k] == 1;
      }
  }
  if (binary)
    for (size_t k = 0; k < (size_t)nr * s->nf; k++) s->x[k] = 2 * s->x[k] - 1;
  if (s->classes < 2) st = nqs_error_setk(err, NQS_EINPUT, "classify.label", "every row of %s has the label 0: nothing to tell apart", c->classify.data);
done:
  free(rows);
  if (st) samples_free(s);
  return st;
}

#define GROUP 64 /* rows per batch call within a chunk */
#define OBLOCK 8  /* output rows of a dense layer per gradient task */

typedef struct {
  const nqs_net *net;
  int threads;
  /* per chunk: the other layers' gradient (zero between passes), the dense layers' deltas, batch
   * workspace (the rows are gathered into its input block), probabilities */
  double *g[CHUNKS], *keep[CHUNKS], *work[CHUNKS], *p[CHUNKS];
  int *lab[CHUNKS];
  int ntask, (*task)[3]; /* the dense weight gradients in tasks: layer, first and end output row */
} trainer;

/* The trainer's buffers for `classes` classes, and the dense weight-gradient tasks (OBLOCK output
 * rows of one dense layer each). 0: out of memory (trainer_free frees what was made). */
static int trainer_init(trainer *t, int classes) {
  const nqs_net *net = t->net;
  int ok = 1;
  for (int ch = 0; ch < CHUNKS; ch++) {
    t->g[ch] = calloc((size_t)net->np, sizeof(double)), t->work[ch] = malloc(sizeof(double) * nqs_net_batch_work_size(net, GROUP));
    t->keep[ch] = malloc(sizeof(double) * nqs_net_keep_size(net, GROUP));
    t->p[ch] = malloc(sizeof(double) * GROUP * classes);
    t->lab[ch] = malloc(sizeof(int) * GROUP);
    ok &= t->g[ch] && t->keep[ch] && t->work[ch] && t->p[ch] && t->lab[ch];
  }
  t->ntask = 0;
  for (int i = 0; i < net->nl; i++)
    if (net->l[i].kind == NQS_LAYER_DENSE) t->ntask += (net->l[i].out_c + OBLOCK - 1) / OBLOCK;
  if (!ok || !(t->task = malloc(sizeof *t->task * (size_t)t->ntask))) return 0;
  for (int i = 0, q = 0; i < net->nl; i++)
    for (int r = 0; net->l[i].kind == NQS_LAYER_DENSE && r < net->l[i].out_c; r += OBLOCK, q++) {
      t->task[q][0] = i, t->task[q][1] = r;
      t->task[q][2] = r + OBLOCK < net->l[i].out_c ? r + OBLOCK : net->l[i].out_c;
    }
  return 1;
}

static void trainer_free(trainer *t) {
  for (int ch = 0; ch < CHUNKS; ch++) free(t->g[ch]), free(t->keep[ch]), free(t->work[ch]), free(t->p[ch]), free(t->lab[ch]);
  free(t->task);
}

/* Mean loss and accuracy over rows idx[0..n), and (grad != NULL) the gradient of the mean loss.
 * In rounds of GROUP x CHUNKS rows, chunk ch takes the rows i = ch mod CHUNKS. A dense layer's
 * weight gradient is then summed over the round's chunks in chunk order, its output rows shared
 * among the threads; the other layers' (the convolutions', a few dozen numbers) are summed per
 * chunk and added in chunk order. Either way no sum depends on the number of threads. */
static void pass(const trainer *t, const double *th, const samples *s, const long *idx, long n, double *grad, double *loss,
                 double *acc) {
  const nqs_net *net = t->net;
  const int K = net->classes;
  double l[CHUNKS] = {0}, a[CHUNKS] = {0};
  if (grad) memset(grad, 0, sizeof(double) * (size_t)net->np);
  for (long r0 = 0; r0 < n; r0 += (long)GROUP * CHUNKS) {
    int rows[CHUNKS];
#pragma omp parallel for schedule(dynamic, 1) num_threads(t->threads)
    for (int ch = 0; ch < CHUNKS; ch++) {
      int m = 0;
      for (long i = r0 + ch; i < n && m < GROUP; i += CHUNKS, m++) {
        memcpy(t->work[ch] + (size_t)m * s->nf, s->x + (size_t)idx[i] * s->nf, sizeof(double) * s->nf);
        t->lab[ch][m] = s->y[idx[i]];
      }
      rows[ch] = m;
      if (!m) continue;
      l[ch] += nqs_net_loss_grad_batch(net, th, t->work[ch], t->lab[ch], m, 1.0 / n, grad ? t->g[ch] : NULL, t->p[ch], t->work[ch],
                                       grad ? t->keep[ch] : NULL);
      for (int r = 0; r < m; r++) {
        const double *p = t->p[ch] + (size_t)r * K;
        int best = 0;
        for (int k = 1; k < K; k++)
          if (p[k] > p[best]) best = k;
        a[ch] += best == t->lab[ch][r];
      }
    }
    if (!grad) continue;
#pragma omp parallel for schedule(dynamic, 1) num_threads(t->threads)
    for (int q = 0; q < t->ntask; q++)
      nqs_net_dense_grad(net, t->task[q][0], t->task[q][1], t->task[q][2], CHUNKS, rows, t->work, t->keep, 1.0 / n, grad);
  }
  *loss = *acc = 0;
  for (int ch = 0; ch < CHUNKS; ch++) *loss += l[ch], *acc += a[ch];
  *loss /= n, *acc /= n;
  if (!grad) return;
  /* the other layers' parameters: chunk sums added in chunk order, and zeroed for the next pass */
  for (int i = 0; i < net->nl; i++)
    if (net->l[i].kind != NQS_LAYER_DENSE)
      for (int q = net->l[i].off; q < net->l[i].off + net->l[i].np; q++) {
        double sum = 0;
        for (int ch = 0; ch < CHUNKS; ch++) sum += t->g[ch][q], t->g[ch][q] = 0;
        grad[q] = sum;
      }
}

/* The training's whole state, written to DIR/checkpoint.h5 after every epoch. */
typedef struct {
  int np;
  long ntr, step, epoch, since, best_epoch;
  double *th, *best, *m1, *m2, best_loss;
  long *train; /* the training rows in their current (shuffled) order */
  nqs_rng *rng;
} train_state;

/* text: the resolved configuration (nqs_config_text), made once per run */
static nqs_status save_state(const char *text, const char *dir, const train_state *t, nqs_error *err) {
  nqs_checkpoint ck;
  nqs_checkpoint_init(&ck);
  nqs_status st = NQS_OK;
  if (!(st = nqs_checkpoint_put_text(&ck, "kind", "classify", err)) && !(st = nqs_checkpoint_put_text(&ck, "config", text, err)) &&
      !(st = nqs_checkpoint_put(&ck, "parameters", t->th, (size_t)t->np, err)) &&
      !(st = nqs_checkpoint_put(&ck, "best_parameters", t->best, (size_t)t->np, err)) &&
      !(st = nqs_checkpoint_put(&ck, "adam_m", t->m1, (size_t)t->np, err)) &&
      !(st = nqs_checkpoint_put(&ck, "adam_v", t->m2, (size_t)t->np, err)) &&
      !(st = nqs_checkpoint_put_scalar(&ck, "epoch", (double)t->epoch, err)) &&
      !(st = nqs_checkpoint_put_scalar(&ck, "step", (double)t->step, err)) &&
      !(st = nqs_checkpoint_put_scalar(&ck, "since_best", (double)t->since, err)) &&
      !(st = nqs_checkpoint_put_scalar(&ck, "best_epoch", (double)t->best_epoch, err)) &&
      !(st = nqs_checkpoint_put_scalar(&ck, "best_loss", t->best_loss, err))) {
    double *order = nqs_checkpoint_add(&ck, "train_order", NQS_RECORD_F64, (size_t)t->ntr, 1, err);
    uint64_t *rw = order ? nqs_checkpoint_add(&ck, "rng", NQS_RECORD_U64, NQS_RNG_WORDS, 1, err) : NULL;
    for (long i = 0; order && i < t->ntr; i++) order[i] = (double)t->train[i];
    if (rw) nqs_rng_pack(t->rng, rw);
    st = rw ? nqs_checkpoint_write(dir, &ck, err) : NQS_ENOMEM;
  }
  nqs_checkpoint_free(&ck);
  return st;
}

/* Back to the state of a checkpoint (written by save_state for this data and network). */
static nqs_status load_state(const nqs_checkpoint *ck, train_state *t, nqs_error *err) {
  const size_t np = (size_t)t->np;
  const double *p = nqs_checkpoint_get(ck, "parameters", NQS_RECORD_F64, np, err);
  const double *b = p ? nqs_checkpoint_get(ck, "best_parameters", NQS_RECORD_F64, np, err) : NULL;
  const double *m = b ? nqs_checkpoint_get(ck, "adam_m", NQS_RECORD_F64, np, err) : NULL;
  const double *v = m ? nqs_checkpoint_get(ck, "adam_v", NQS_RECORD_F64, np, err) : NULL;
  const double *order = v ? nqs_checkpoint_get(ck, "train_order", NQS_RECORD_F64, (size_t)t->ntr, err) : NULL;
  const uint64_t *rw = order ? nqs_checkpoint_get(ck, "rng", NQS_RECORD_U64, NQS_RNG_WORDS, err) : NULL;
  if (!rw) return NQS_EINPUT;
  nqs_status st = nqs_checkpoint_count(ck, "epoch", 0, 1000000000L, &t->epoch, err);
  if (!st) st = nqs_checkpoint_count(ck, "step", 0, 1L << 52, &t->step, err);
  if (!st) st = nqs_checkpoint_count(ck, "since_best", 0, 1000000000L, &t->since, err);
  if (!st) st = nqs_checkpoint_count(ck, "best_epoch", 0, 1000000000L, &t->best_epoch, err);
  if (!st) st = nqs_checkpoint_scalar(ck, "best_loss", &t->best_loss, err);
  for (long i = 0; !st && i < t->ntr; i++)
    if (!(order[i] >= 0 && order[i] < 2e9 && order[i] == floor(order[i])))
      st = nqs_error_set(err, NQS_EINPUT, "the checkpoint's training order is damaged (entry %ld)", i);
  if (!st && nqs_rng_unpack(t->rng, rw)) st = nqs_error_set(err, NQS_EINPUT, "the checkpoint's random stream is invalid: the file is damaged");
  if (st) return st;
  memcpy(t->th, p, sizeof(double) * np), memcpy(t->best, b, sizeof(double) * np);
  memcpy(t->m1, m, sizeof(double) * np), memcpy(t->m2, v, sizeof(double) * np);
  for (long i = 0; i < t->ntr; i++) t->train[i] = (long)order[i];
  return NQS_OK;
}

/* One pass over the training rows, reshuffled, in mini-batches: each batch's mean-loss gradient
 * plus the L2 penalty, then an Adam, momentum or SGD step. *tl, *ta: the summed loss and count of
 * correct rows (before each batch's step). g: scratch for the gradient. */
static void train_epoch(const nqs_config *c, const trainer *tr, const samples *s, train_state *ts, double *g, double *tl,
                        double *ta) {
  const int np = tr->net->np, adam = strcmp(c->classify.optimizer, "adam") == 0;
  const int mom = strcmp(c->classify.optimizer, "momentum") == 0;
  const double lr = c->classify.learning_rate, wd = c->classify.weight_decay;
  const long ntr = ts->ntr;
  long *train = ts->train;
  for (long i = ntr - 1; i > 0; i--) { /* reshuffle the training rows */
    const long j = (long)(nqs_rng_uniform(ts->rng) * (i + 1)) % (i + 1), t = train[i];
    train[i] = train[j], train[j] = t;
  }
  *tl = *ta = 0;
  for (long b0 = 0; b0 < ntr; b0 += c->classify.batch) {
    const long nb = ntr - b0 < c->classify.batch ? ntr - b0 : c->classify.batch;
    double bl, ba;
    pass(tr, ts->th, s, train + b0, nb, g, &bl, &ba);
    *tl += bl * nb, *ta += ba * nb, ts->step++;
    /* the update, parameter by parameter (so any split over the threads gives the same result) */
    enum { BLOCK = 4096 };
#pragma omp parallel for schedule(static) num_threads(tr->threads)
    for (int q0 = 0; q0 < np; q0 += BLOCK) {
      const int q1 = q0 + BLOCK < np ? q0 + BLOCK : np;
      for (int q = q0; q < q1; q++) g[q] += wd * ts->th[q]; /* the L2 penalty */
      if (adam) nqs_adam_step(ts->th + q0, g + q0, ts->m1 + q0, ts->m2 + q0, q1 - q0, lr, 0.9, ts->step);
      else
        for (int q = q0; q < q1; q++) {
          ts->m1[q] = mom ? c->classify.momentum * ts->m1[q] - lr * g[q] : -lr * g[q];
          ts->th[q] += ts->m1[q];
        }
    }
  }
}

/* The temperature where the mean P(class 1) falls through 1/2 (interpolated linearly between the
 * two temperatures around the first crossing from above), or NAN. */
static double crossing_of(const double *T, const double *P, int nt) {
  for (int k = 0; k + 1 < nt; k++)
    if (P[k] >= 0.5 && P[k + 1] < 0.5) return T[k] + (T[k + 1] - T[k]) * (P[k] - 0.5) / (P[k] - P[k + 1]);
  return NAN;
}

/* The test rows' P(class 1) (p[i] for row test[i]) against temperature: output_vs_T.csv (mean,
 * error and accuracy at each distinct temperature, ascending), the 1/2 crossing, and its error
 * from 200 bootstrap resamples of the rows at each temperature. */
static nqs_status temperature_curve(const nqs_config *c, const char *dir, const samples *s, const long *test, long nte,
                                    const double *p, nqs_classify_result *res, nqs_error *err) {
  double Ts[1000], P[1000], Pb[1000];
  int nt = 0;
  for (long i = 0; i < nte && nt < 1000; i++) {
    int k = 0;
    while (k < nt && Ts[k] != s->T[test[i]]) k++;
    if (k == nt) Ts[nt++] = s->T[test[i]];
  }
  for (int a = 0; a < nt; a++)
    for (int b = a + 1; b < nt; b++)
      if (Ts[b] < Ts[a]) {
        const double t = Ts[a];
        Ts[a] = Ts[b], Ts[b] = t;
      }
  /* the test rows grouped by temperature: rows[start[k] .. start[k + 1]) */
  long *rows = malloc(sizeof(long) * (nte ? nte : 1)), start[1001] = {0};
  if (!rows) return nqs_error_set(err, NQS_ENOMEM, "out of memory");
  for (int k = 0; k < nt; k++) {
    start[k + 1] = start[k];
    for (long i = 0; i < nte; i++)
      if (s->T[test[i]] == Ts[k]) rows[start[k + 1]++] = i;
  }
  char path[700];
  snprintf(path, sizeof path, "%s/output_vs_T.csv", dir);
  FILE *f = fopen(path, "w");
  if (!f) {
    free(rows);
    return nqs_error_set(err, NQS_EIO, "cannot write %s", path);
  }
  fprintf(f, "T,rows,p_ordered,error,accuracy\n");
  for (int k = 0; k < nt; k++) {
    const long cnt = start[k + 1] - start[k];
    double sum = 0, sum2 = 0, right = 0;
    for (long q = start[k]; q < start[k + 1]; q++) {
      const long i = rows[q];
      sum += p[i], sum2 += p[i] * p[i];
      right += (p[i] >= 0.5) == (s->y[test[i]] == 1);
    }
    P[k] = sum / cnt;
    const double dP = cnt > 1 ? sqrt(fmax(sum2 / cnt - P[k] * P[k], 0) / (cnt - 1)) : NAN;
    fprintf(f, "%.10g,%ld,%.8f,%.8f,%.6f\n", Ts[k], cnt, P[k], dP, right / cnt);
  }
  if (fclose(f)) {
    free(rows);
    return nqs_error_set(err, NQS_EIO, "cannot finish %s (disk full?)", path);
  }
  res->crossing = crossing_of(Ts, P, nt);
  res->has_crossing = isfinite(res->crossing);
  if (res->has_crossing) {
    double s1 = 0, s2 = 0;
    int nb = 0;
    nqs_rng br;
    nqs_rng_seed(&br, c->run.seed, 0xB0B);
    for (int b = 0; b < 200; b++) {
      for (int k = 0; k < nt; k++) {
        const long m = start[k + 1] - start[k];
        double sum = 0;
        for (long q = 0; q < m; q++) sum += p[rows[start[k] + (long)(nqs_rng_uniform(&br) * m) % m]];
        Pb[k] = sum / m;
      }
      const double x = crossing_of(Ts, Pb, nt);
      if (isfinite(x)) s1 += x, s2 += x * x, nb++;
    }
    res->crossing_error = nb > 1 ? sqrt(fmax(s2 / nb - (s1 / nb) * (s1 / nb), 0)) : NAN;
  }
  free(rows);
  return NQS_OK;
}

/* The test rows (perm's first test_fraction), then validation and training rows from the rest,
 * leaving out those within classify.exclude of the critical temperature. */
static nqs_status split_rows(const nqs_config *c, const samples *s, nqs_rng *rng, long *perm, long *test, long *train, long *val,
                             long *nte, long *ntr, long *nva, nqs_error *err) {
  nqs_permutation(s->n, perm, rng);
  *nte = (long)(c->classify.test_fraction * s->n + 0.5);
  *ntr = *nva = 0;
  for (long i = 0; i < *nte; i++) test[i] = perm[i];
  const long rest = s->n - *nte, want_val = (long)(c->classify.validation_fraction * rest + 0.5);
  for (long i = *nte; i < s->n; i++) {
    const long r = perm[i];
    if (s->T && fabs(s->T[r] - c->classify.critical) < c->classify.exclude) continue;
    if (*nva < want_val) val[(*nva)++] = r;
    else train[(*ntr)++] = r;
  }
  if (*ntr < 1 || *nva < 1 || *nte < 1)
    return nqs_error_setk(err, NQS_EINPUT, "classify.exclude", "%ld rows leave %ld for training, %ld for validation and %ld for "
                          "testing; give more rows or a narrower exclude window", s->n, *ntr, *nva, *nte);
  return NQS_OK;
}

/* The test rows with the best epoch's network (best): loss and accuracy, and with temperatures
 * P(class 1) against T and its crossing (prob: scratch of nte). */
static nqs_status test_rows(const nqs_config *c, const trainer *tr, const samples *s, const double *best, const long *test,
                            long nte, double *prob, nqs_classify_result *res, nqs_error *err) {
  pass(tr, best, s, test, nte, NULL, &res->test_loss, &res->test_accuracy);
  if (!s->T) return NQS_OK;
  double pr[64];
  for (long i = 0; i < nte; i++) {
    nqs_net_forward(tr->net, best, s->x + (size_t)test[i] * s->nf, pr, tr->work[0]);
    prob[i] = pr[1];
  }
  return temperature_curve(c, res->dir, s, test, nte, prob, res, err);
}

/* DIR/result.json from the finished run's res (validation_loss: the best epoch's). */
static nqs_status write_result(const nqs_config *c, const samples *s, double validation_loss, const nqs_classify_result *res,
                               nqs_error *err) {
  cJSON *j = nqs_run_result_head("classify", c);
  cJSON_AddStringToObject(j, "network", res->network);
  cJSON_AddNumberToObject(j, "parameters", res->parameters);
  cJSON_AddNumberToObject(j, "classes", s->classes);
  cJSON_AddNumberToObject(j, "features", s->nf);
  cJSON_AddNumberToObject(j, "train_rows", (double)res->train_rows);
  cJSON_AddNumberToObject(j, "validation_rows", (double)res->validation_rows);
  cJSON_AddNumberToObject(j, "test_rows", (double)res->test_rows);
  cJSON_AddNumberToObject(j, "epochs", res->epochs);
  cJSON_AddNumberToObject(j, "best_epoch", res->best_epoch);
  cJSON_AddNumberToObject(j, "validation_loss", validation_loss);
  cJSON_AddNumberToObject(j, "test_loss", res->test_loss);
  cJSON_AddNumberToObject(j, "test_accuracy", res->test_accuracy);
  if (res->has_crossing) {
    cJSON *x = cJSON_AddObjectToObject(j, "crossing");
    cJSON_AddNumberToObject(x, "temperature", res->crossing);
    if (isfinite(res->crossing_error)) cJSON_AddNumberToObject(x, "error", res->crossing_error);
    cJSON_AddNumberToObject(x, "onsager", NQS_ISING_TC);
  }
  if (isfinite(res->seconds_per_epoch)) cJSON_AddNumberToObject(j, "seconds_per_epoch", res->seconds_per_epoch);
  cJSON_AddNumberToObject(j, "wall_seconds", res->wall_seconds);
  return nqs_run_write_json(res->dir, "result.json", j, err);
}

nqs_status nqs_classify_run(const nqs_config *c, const nqs_run_options *o, nqs_classify_result *res, nqs_error *err) {
  memset(res, 0, sizeof *res);
  const double t0 = nqs_run_now();
  samples s;
  nqs_net net;
  trainer tr = {.net = &net, .threads = c->run.threads > 0 ? c->run.threads : omp_get_max_threads()};
  long *perm = NULL, *test = NULL, *train = NULL, *val = NULL;
  double *th = NULL, *best = NULL, *g = NULL, *m1 = NULL, *m2 = NULL, *prob = NULL;
  FILE *csv = NULL;
  char *ctext = NULL;
  int lock = -1;
  nqs_status st = nqs_config_check_keys(c, "classify", err);
  if (st || (st = load(c, &s, err))) return st;
  const int L = c->classify.lattice ? c->classify.lattice : (int)lround(sqrt((double)s.nf));
  const int lattice = L * L == s.nf;
  if (c->classify.lattice && !lattice) {
    st = nqs_error_setk(err, NQS_EINPUT, "classify.lattice", "%d x %d sites, but the data have %d features", L, L, s.nf);
    goto done;
  }
  if ((st = nqs_error_key(err, nqs_net_parse(&net, c->classify.network, 1, lattice ? L : 1, lattice ? L : s.nf, s.classes, err),
                   "classify.network")))
    goto done;
  nqs_net_describe(&net, res->network, sizeof res->network);
  /* the split: test rows from all rows; the rest into training and validation, outside the window */
  perm = malloc(sizeof(long) * s.n), test = malloc(sizeof(long) * s.n), train = malloc(sizeof(long) * s.n), val = malloc(sizeof(long) * s.n);
  th = malloc(sizeof(double) * net.np), best = malloc(sizeof(double) * net.np), g = malloc(sizeof(double) * net.np);
  m1 = calloc(net.np, sizeof(double)), m2 = calloc(net.np, sizeof(double)), prob = malloc(sizeof(double) * s.n);
  if (!(perm && test && train && val && th && best && g && m1 && m2 && prob && trainer_init(&tr, s.classes))) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory for %ld rows and %d parameters", s.n, net.np);
    goto done;
  }
  nqs_rng rng;
  nqs_rng_seed(&rng, c->run.seed, 0xC1A5);
  long nte, ntr, nva;
  if ((st = split_rows(c, &s, &rng, perm, test, train, val, &nte, &ntr, &nva, err))) goto done;
  res->train_rows = ntr, res->validation_rows = nva, res->test_rows = nte, res->parameters = net.np, res->classes = s.classes;
  const nqs_checkpoint *ck = o ? o->restart : NULL;
  nqs_net_init_params(&net, th, &rng);
  memcpy(best, th, sizeof(double) * net.np);
  train_state ts = {.np = net.np, .ntr = ntr, .th = th, .best = best, .m1 = m1, .m2 = m2, .best_loss = INFINITY,
                    .train = train, .rng = &rng};
  if (ck && ((st = nqs_run_check_folder(ck, c->output.dir, "classify", "classify", "epochs patience", err)) ||
             (st = load_state(ck, &ts, err))))
    goto done;
  if ((st = nqs_run_open_training(c, "classify", ck != NULL, ts.epoch, "learning_curve.csv",
                                   "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,wall_seconds", res->dir,
                                   sizeof res->dir, &lock, &csv, err)))
    goto done;
  if (!(ctext = nqs_config_text(c, "classify"))) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory");
    goto done;
  }
  const double t_train = nqs_run_now();
  const long e0 = ts.epoch;
  long e;
  for (e = e0 + 1; e <= c->classify.epochs && ts.since < c->classify.patience; e++) {
    double tl, ta;
    train_epoch(c, &tr, &s, &ts, g, &tl, &ta);
    double vl, va;
    pass(&tr, th, &s, val, nva, NULL, &vl, &va);
    if (!isfinite(vl) || !isfinite(tl)) {
      st = nqs_error_set(err, NQS_EFAILED, "the training diverged at epoch %ld (loss %g): lower classify.learning_rate; the "
                         "checkpoint holds epoch %ld", e, tl / ntr, ts.epoch);
      break;
    }
    fprintf(csv, "%ld,%.8g,%.6f,%.8g,%.6f,%.3f\n", e, tl / ntr, ta / ntr, vl, va, nqs_run_now() - t0);
    fflush(csv);
    if (vl < ts.best_loss) ts.best_loss = vl, ts.best_epoch = e, ts.since = 0, memcpy(best, th, sizeof(double) * net.np);
    else ts.since++;
    ts.epoch = e;
    if ((st = save_state(ctext, res->dir, &ts, err))) break;
    if (o && o->progress) {
      nqs_progress p = {.phase = "train", .iteration = (int)e, .iterations = c->classify.epochs,
                        .fraction = (double)e / c->classify.epochs, .has_energy = 1, .energy = va, .elapsed = nqs_run_now() - t0};
      o->progress(o->user, &p);
    }
  }
  res->epochs = (int)ts.epoch, res->best_epoch = (int)ts.best_epoch;
  res->seconds_per_epoch = e - 1 > e0 ? (nqs_run_now() - t_train) / (e - 1 - e0) : NAN; /* training and validation, not loading */
  if (fclose(csv) && !st) st = nqs_error_set(err, NQS_EIO, "cannot finish %s/learning_curve.csv (disk full?)", res->dir);
  csv = NULL;
  if (st) goto done;

  if ((st = test_rows(c, &tr, &s, best, test, nte, prob, res, err))) goto done;
  res->wall_seconds = nqs_run_now() - t0;
  st = write_result(c, &s, ts.best_loss, res, err);
done:
  if (csv) fclose(csv);
  nqs_run_unlock(lock);
  trainer_free(&tr);
  free(perm), free(test), free(train), free(val), free(th), free(best), free(g), free(m1), free(m2), free(prob), free(ctext);
  samples_free(&s);
  return st;
}
