/* regress_run.c — `nqs regress FILE`: polynomial features of chosen columns, a random
 * train/test split, the penalty chosen by k-fold cross-validation, the final fit with standard
 * errors (OLS), the bias-variance decomposition by the bootstrap, and the same against the
 * polynomial degree. See nqs/learn/regress.h; the files are described in docs/learning.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/learn/dataset.h"
#include "nqs/learn/regress.h"
#include "run_internal.h"

#define MAX_INPUTS 16
#define MAX_FEATURES 5000
#define MAX_LAMBDAS 1000


typedef struct {
  long n;
  int d;
  double *x, *y; /* n x d inputs, n targets */
  char name[MAX_INPUTS][64], target[64];
} table;

static void table_free(table *t) {
  free(t->x);
  free(t->y);
}

/* The built-in data: the Franke function on a grid of [0, 1]^2 with Gaussian noise. */
static nqs_status franke_table(const nqs_config *c, table *t, nqs_error *err) {
  const int m = c->regress.points;
  t->n = (long)m * m, t->d = 2;
  t->x = malloc(sizeof(double) * 2 * t->n), t->y = malloc(sizeof(double) * t->n);
  if (!t->x || !t->y) return nqs_error_set(err, NQS_ENOMEM, "out of memory for %ld points", t->n);
  nqs_rng rng;
  nqs_rng_seed(&rng, c->run.seed, 0xF4A2);
  for (long i = 0; i < t->n; i++) {
    const double x = (double)(i % m) / (m - 1), y = (double)(i / m) / (m - 1);
    t->x[2 * i] = x, t->x[2 * i + 1] = y;
    t->y[i] = nqs_franke(x, y) + c->regress.noise * nqs_rng_normal(&rng);
  }
  strcpy(t->name[0], "x"), strcpy(t->name[1], "y"), strcpy(t->target, "z");
  return NQS_OK;
}

/* Columns of a data file: the target and the inputs by name or index. */
static nqs_status file_table(const nqs_config *c, table *t, nqs_error *err) {
  const char *path = c->regress.data;
  double *rows;
  int nr, nc, tcol = -1, icol[MAX_INPUTS];
  nqs_status st = nqs_dataset_read(path, 0, &rows, &nr, &nc, err);
  if (st) return nqs_error_key(err, st, "regress.data");
  if (nc < 2) st = nqs_error_setk(err, NQS_EINPUT, "regress.data", "%s has %d column: a regression needs inputs and a target", path, nc);
  if (!st && c->regress.target[0]) {
    st = nqs_error_key(err, nqs_dataset_column(path, c->regress.target, nc, &tcol, err), "regress.target");
  } else tcol = nc - 1;
  t->d = 0;
  if (!st && c->regress.inputs[0]) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", c->regress.inputs);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && !st; tok = strtok_r(NULL, ",", &save)) {
      while (*tok == ' ') tok++;
      for (size_t l = strlen(tok); l && tok[l - 1] == ' '; l--) tok[l - 1] = 0;
      if (t->d == MAX_INPUTS) st = nqs_error_setk(err, NQS_EINPUT, "regress.inputs", "at most %d input columns", MAX_INPUTS);
      else if ((st = nqs_error_key(err, nqs_dataset_column(path, tok, nc, &icol[t->d], err), "regress.inputs"))) break;
      else if (icol[t->d] == tcol) st = nqs_error_setk(err, NQS_EINPUT, "regress.inputs", "column '%s' is the target; an input cannot be", tok);
      else snprintf(t->name[t->d++], 64, "%s", tok);
    }
  } else if (!st) {
    for (int k = 0; k < nc && t->d <= MAX_INPUTS; k++)
      if (k != tcol) {
        if (t->d == MAX_INPUTS) st = nqs_error_setk(err, NQS_EINPUT, "regress.inputs", "%s has %d columns; choose at most %d inputs", path, nc, MAX_INPUTS);
        else icol[t->d] = k, snprintf(t->name[t->d++], 64, "c%d", k);
      }
  }
  if (!st) {
    snprintf(t->target, sizeof t->target, "%s", c->regress.target[0] ? c->regress.target : "target");
    t->n = nr;
    t->x = malloc(sizeof(double) * (size_t)nr * t->d), t->y = malloc(sizeof(double) * nr);
    if (!t->x || !t->y) st = nqs_error_set(err, NQS_ENOMEM, "out of memory for %d rows", nr);
    for (long i = 0; !st && i < nr; i++) {
      t->y[i] = rows[(size_t)i * nc + tcol];
      for (int k = 0; k < t->d; k++) t->x[i * t->d + k] = rows[(size_t)i * nc + icol[k]];
    }
  }
  free(rows);
  return st;
}

/* The penalties to cross-validate, largest first (a lasso path warm-starts downwards). */
static nqs_status lambda_grid(const nqs_config *c, nqs_reg_kind kind, double alpha_max, double *lam, int *nl, nqs_error *err) {
  const char *s = c->regress.lambdas;
  *nl = 0;
  if (kind == NQS_REG_OLS) {
    lam[(*nl)++] = 0;
    return NQS_OK;
  }
  double from, to;
  int count, ranged = 1; /* auto or FROM:TO:COUNT, or else a list */
  char tail;
  if (strcmp(s, "auto") == 0) {
    from = kind == NQS_REG_RIDGE ? 1e-10 : alpha_max * 1e-4, to = kind == NQS_REG_RIDGE ? 1e2 : alpha_max;
    count = kind == NQS_REG_RIDGE ? 25 : 30;
  } else if (sscanf(s, "%lf:%lf:%d%c", &from, &to, &count, &tail) != 3) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      char *end;
      const double v = strtod(tok, &end);
      while (*end == ' ') end++;
      if (end == tok || *end || !(v > 0) || !isfinite(v) || *nl == MAX_LAMBDAS)
        return nqs_error_setk(err, NQS_EINPUT, "regress.lambdas", "'%s' is not a penalty; give positive numbers (1e-3, 1e-1), "
                              "FROM:TO:COUNT (log-spaced), or auto", tok);
      lam[(*nl)++] = v;
    }
    ranged = 0;
  }
  if (ranged) {
    if (!(from > 0 && to > 0) || count < 1 || count > MAX_LAMBDAS || !isfinite(from) || !isfinite(to))
      return nqs_error_setk(err, NQS_EINPUT, "regress.lambdas", "FROM:TO:COUNT needs FROM, TO > 0 and COUNT in 1..%d (got %s)",
                            MAX_LAMBDAS, s);
    for (int k = 0; k < count; k++) lam[(*nl)++] = count == 1 ? from : from * pow(to / from, (double)k / (count - 1));
  }
  if (!*nl) return nqs_error_setk(err, NQS_EINPUT, "regress.lambdas", "no penalties given");
  for (int a = 0; a < *nl; a++) /* descending */
    for (int b = a + 1; b < *nl; b++)
      if (lam[b] > lam[a]) {
        const double t = lam[a];
        lam[a] = lam[b], lam[b] = t;
      }
  return NQS_OK;
}

typedef struct {
  nqs_reg_kind kind;
  int standardise, max_sweeps;
  double tolerance;
  nqs_lasso_solver solver;
} fitter;

static nqs_linear_options options_of(const fitter *F, double lambda, const double *warm) {
  return (nqs_linear_options){.kind = F->kind, .lambda = lambda, .standardise = F->standardise, .tolerance = F->tolerance,
                              .max_sweeps = F->max_sweeps, .lasso_solver = F->solver, .warm = warm};
}

/* Rows idx[0..n) of X (m columns) and y into Xs, ys. */
static void gather(const double *X, const double *y, int m, const long *idx, long n, double *Xs, double *ys) {
  for (long i = 0; i < n; i++) {
    memcpy(Xs + i * m, X + idx[i] * m, sizeof(double) * m);
    ys[i] = y[idx[i]];
  }
}

/* k-fold cross-validation over the penalties lam[0..nl) (descending; a lasso warm-starts each
 * from the previous one): mse[l] and its standard error over the folds, se[l] = sd / sqrt(k). */
static nqs_status cross_validate(const fitter *F, const double *X, const double *y, long n, int m, int k, const double *lam,
                                 int nl, double *mse, double *se, nqs_error *err) {
  double *Xa = malloc(sizeof(double) * (size_t)n * m), *ya = malloc(sizeof(double) * n), *yh = malloc(sizeof(double) * n);
  double *fold = malloc(sizeof(double) * (size_t)k * nl), *warm = malloc(sizeof(double) * m);
  long *ia = malloc(sizeof(long) * n), *ib = malloc(sizeof(long) * n);
  nqs_status st = !Xa || !ya || !yh || !fold || !warm || !ia || !ib ? nqs_error_set(err, NQS_ENOMEM, "out of memory for cross-validation") : NQS_OK;
  for (int f = 0; f < k && !st; f++) { /* the rows are in random order already: fold f is every row i = f mod k */
    long na = 0, nb = 0;
    for (long i = 0; i < n; i++)
      if (i % k == f) ib[nb++] = i;
      else ia[na++] = i;
    if (na < 2 || nb < 1) {
      st = nqs_error_setk(err, NQS_EINPUT, "regress.folds", "%d folds of %ld training rows leave a fold too small; use fewer folds", k, n);
      break;
    }
    gather(X, y, m, ia, na, Xa, ya);
    int have_warm = 0;
    for (int l = 0; l < nl && !st; l++) {
      nqs_linear_fit fit;
      nqs_linear_options o = options_of(F, lam[l], have_warm ? warm : NULL);
      if ((st = nqs_linear_fit_rows(Xa, ya, na, m, &o, &fit, err))) break;
      if (F->kind == NQS_REG_LASSO) nqs_lasso_warm_of(&fit, Xa, na, F->standardise, warm), have_warm = 1;
      double s = 0;
      for (long j = 0; j < nb; j++) {
        double v = fit.b;
        for (int q = 0; q < m; q++) v += X[ib[j] * m + q] * fit.w[q];
        s += (y[ib[j]] - v) * (y[ib[j]] - v);
      }
      fold[(size_t)f * nl + l] = s / nb;
      nqs_linear_fit_free(&fit);
    }
  }
  for (int l = 0; l < nl && !st; l++) {
    double a = 0, b = 0;
    for (int f = 0; f < k; f++) a += fold[(size_t)f * nl + l];
    a /= k;
    for (int f = 0; f < k; f++) b += (fold[(size_t)f * nl + l] - a) * (fold[(size_t)f * nl + l] - a);
    mse[l] = a, se[l] = sqrt(b / (k - 1) / k);
  }
  free(Xa), free(ya), free(yh), free(fold), free(warm), free(ia), free(ib);
  return st;
}

/* Bias-variance by the bootstrap: B fits to resampled training rows, predicted on the test rows:
 * out = {mean squared error, bias^2, variance} averaged over the test rows, where bias^2 =
 * (y - mean_b yhat_b)^2 and variance = var_b yhat_b (so that error = bias^2 + variance; with
 * noisy y the noise variance sits in bias^2). */
static nqs_status bootstrap(const fitter *F, double lambda, const double *warm, const double *X, const double *y, long n,
                            const double *Xt, const double *yt, long nt, int m, int B, uint64_t seed, double out[3],
                            nqs_error *err) {
  double *Xb = malloc(sizeof(double) * (size_t)n * m), *yb = malloc(sizeof(double) * n);
  double *sum = calloc(nt, sizeof(double)), *sum2 = calloc(nt, sizeof(double)), *yh = malloc(sizeof(double) * nt);
  long *idx = malloc(sizeof(long) * n);
  nqs_status st = !Xb || !yb || !sum || !sum2 || !yh || !idx ? nqs_error_set(err, NQS_ENOMEM, "out of memory for the bootstrap") : NQS_OK;
  nqs_rng rng;
  nqs_rng_seed(&rng, seed, 0xB007);
  double e = 0;
  for (int b = 0; b < B && !st; b++) {
    for (long i = 0; i < n; i++) idx[i] = (long)(nqs_rng_uniform(&rng) * n) % n;
    gather(X, y, m, idx, n, Xb, yb);
    nqs_linear_fit fit;
    nqs_linear_options o = options_of(F, lambda, warm);
    if ((st = nqs_linear_fit_rows(Xb, yb, n, m, &o, &fit, err))) break;
    nqs_linear_predict(&fit, Xt, nt, yh);
    for (long i = 0; i < nt; i++) sum[i] += yh[i], sum2[i] += yh[i] * yh[i], e += (yt[i] - yh[i]) * (yt[i] - yh[i]);
    nqs_linear_fit_free(&fit);
  }
  double bias2 = 0, var = 0;
  for (long i = 0; i < nt && !st; i++) {
    const double mu = sum[i] / B;
    bias2 += (yt[i] - mu) * (yt[i] - mu);
    var += fmax(sum2[i] / B - mu * mu, 0);
  }
  out[0] = e / ((double)B * nt), out[1] = bias2 / nt, out[2] = var / nt;
  free(Xb), free(yb), free(sum), free(sum2), free(yh), free(idx);
  return st;
}

/* "x^2*y" for the monomial with exponents pw[0..d). */
static void monomial_name(const table *t, const int *pw, char *buf, size_t size) {
  buf[0] = 0;
  for (int v = 0; v < t->d; v++) {
    if (!pw[v]) continue;
    char one[80];
    if (pw[v] == 1) snprintf(one, sizeof one, "%s%s", buf[0] ? "*" : "", t->name[v]);
    else snprintf(one, sizeof one, "%s%s^%d", buf[0] ? "*" : "", t->name[v], pw[v]);
    strncat(buf, one, size - strlen(buf) - 1);
  }
}

/* The split data at one polynomial degree. */
typedef struct {
  int m, *pw;
  double *Xtr, *Xte;
} design;

static nqs_status make_design(const table *t, const long *perm, long ntr, long nte, int degree, design *D, nqs_error *err) {
  memset(D, 0, sizeof *D);
  const double count = (double)nqs_poly_count(t->d, degree);
  if (count > MAX_FEATURES)
    return nqs_error_setk(err, NQS_EINPUT, "regress.degree", "%d inputs to degree %d make %.0f features, at most %d; lower the "
                          "degree", t->d, degree, count, MAX_FEATURES);
  D->m = (int)count;
  D->pw = malloc(sizeof(int) * (size_t)D->m * t->d);
  double *xs = malloc(sizeof(double) * (size_t)t->n * t->d);
  D->Xtr = malloc(sizeof(double) * (size_t)(ntr ? ntr : 1) * D->m), D->Xte = malloc(sizeof(double) * (size_t)(nte ? nte : 1) * D->m);
  if (!D->pw || !xs || !D->Xtr || !D->Xte) {
    free(xs);
    return nqs_error_set(err, NQS_ENOMEM, "out of memory for %ld rows x %d features", t->n, D->m);
  }
  nqs_poly_powers(t->d, degree, D->pw);
  for (long i = 0; i < t->n; i++) memcpy(xs + i * t->d, t->x + perm[i] * t->d, sizeof(double) * t->d);
  nqs_poly_features(xs, ntr, t->d, D->pw, D->m, D->Xtr);
  nqs_poly_features(xs + ntr * t->d, nte, t->d, D->pw, D->m, D->Xte);
  free(xs);
  return NQS_OK;
}

static void design_free(design *D) {
  free(D->pw), free(D->Xtr), free(D->Xte);
}

static void report(const nqs_run_options *o, int step, int steps, double t0) {
  if (!o || !o->progress) return;
  nqs_progress p = {.phase = "regress", .iteration = step, .iterations = steps, .fraction = (double)step / steps,
                    .elapsed = nqs_run_now() - t0};
  o->progress(o->user, &p);
}

static nqs_status write_data(const char *dir, const table *t, nqs_error *err) {
  char path[700];
  snprintf(path, sizeof path, "%s/data.csv", dir);
  FILE *f = fopen(path, "w");
  if (!f) return nqs_error_set(err, NQS_EIO, "cannot write %s", path);
  for (int v = 0; v < t->d; v++) fprintf(f, "%s,", t->name[v]);
  fprintf(f, "%s\n", t->target);
  for (long i = 0; i < t->n; i++) {
    for (int v = 0; v < t->d; v++) fprintf(f, "%.17g,", t->x[i * t->d + v]);
    fprintf(f, "%.17g\n", t->y[i]);
  }
  return fclose(f) ? nqs_error_set(err, NQS_EIO, "cannot finish %s (disk full?)", path) : NQS_OK;
}

/* predictions.csv: the test rows' inputs, target and prediction. */
static nqs_status write_predictions(const char *dir, const table *t, const long *perm, long ntr, long nte, const double *yte,
                                    const double *yh, nqs_error *err) {
  char path[700];
  snprintf(path, sizeof path, "%s/predictions.csv", dir);
  FILE *csv = fopen(path, "w");
  if (!csv) return nqs_error_set(err, NQS_EIO, "cannot write %s", path);
  for (int v = 0; v < t->d; v++) fprintf(csv, "%s,", t->name[v]);
  fprintf(csv, "%s,predicted\n", t->target);
  for (long i = 0; i < nte; i++) {
    for (int v = 0; v < t->d; v++) fprintf(csv, "%.10g,", t->x[perm[ntr + i] * t->d + v]);
    fprintf(csv, "%.10g,%.10g\n", yte[i], yh[i]);
  }
  return fclose(csv) ? nqs_error_set(err, NQS_EIO, "cannot finish %s (disk full?)", path) : NQS_OK;
}

/* The common part of result.json. */
static cJSON *result_head(const nqs_config *c, const table *t, const nqs_regress_result *res) {
  cJSON *j = nqs_run_result_head("regress", c);
  cJSON_AddStringToObject(j, "model", c->regress.model);
  cJSON_AddStringToObject(j, "data", c->regress.data[0] ? c->regress.data : "franke");
  cJSON *in = cJSON_AddArrayToObject(j, "inputs");
  for (int v = 0; v < t->d; v++) cJSON_AddItemToArray(in, cJSON_CreateString(t->name[v]));
  cJSON_AddStringToObject(j, "target", t->target);
  cJSON_AddNumberToObject(j, "train_rows", (double)res->train_rows);
  cJSON_AddNumberToObject(j, "test_rows", (double)res->test_rows);
  cJSON_AddNumberToObject(j, "train_mse", res->train_mse);
  cJSON_AddNumberToObject(j, "train_r2", res->train_r2);
  if (res->test_rows) cJSON_AddNumberToObject(j, "test_mse", res->test_mse);
  if (res->test_rows > 1) cJSON_AddNumberToObject(j, "test_r2", res->test_r2);
  cJSON *jcv = cJSON_AddObjectToObject(j, "cross_validation");
  cJSON_AddNumberToObject(jcv, "folds", c->regress.folds);
  cJSON_AddNumberToObject(jcv, "mse", res->cv_mse);
  cJSON_AddNumberToObject(jcv, "error", res->cv_error);
  return j;
}

/* A PMM of the inputs, standardised over the training rows (the target too): k-fold
 * cross-validation, the final training, its parameters (coefficients.csv) and predictions. */
static nqs_status pmm_fit(const nqs_config *c, const nqs_run_options *o, const table *t, const long *perm, long ntr, long nte,
                          double t0, nqs_regress_result *res, nqs_error *err) {
  const int d = t->d, k = c->regress.folds;
  nqs_pmm m;
  nqs_status st = nqs_pmm_init(&m, c->regress.pmm_size, d, c->regress.pmm_eigenvectors, err);
  if (st) return nqs_error_key(err, st, "regress.pmm_eigenvectors");
  double *xs = malloc(sizeof(double) * (size_t)t->n * d), *ys = malloc(sizeof(double) * t->n), *yh = malloc(sizeof(double) * t->n);
  double *th = malloc(sizeof(double) * m.np), *work = malloc(sizeof(double) * nqs_pmm_work_size(&m));
  double *xa = malloc(sizeof(double) * (size_t)t->n * d), *ya = malloc(sizeof(double) * t->n), *fold = malloc(sizeof(double) * k);
  double mu[MAX_INPUTS] = {0}, sd[MAX_INPUTS] = {0}, ym = 0, ysd = 0;
  if (!xs || !ys || !yh || !th || !work || !xa || !ya || !fold) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory for the PMM");
    goto done;
  }
  for (long i = 0; i < ntr; i++) { /* standardisation from the training rows */
    ym += t->y[perm[i]] / ntr;
    for (int v = 0; v < d; v++) mu[v] += t->x[perm[i] * d + v] / ntr;
  }
  for (long i = 0; i < ntr; i++) {
    ysd += (t->y[perm[i]] - ym) * (t->y[perm[i]] - ym) / ntr;
    for (int v = 0; v < d; v++) sd[v] += (t->x[perm[i] * d + v] - mu[v]) * (t->x[perm[i] * d + v] - mu[v]) / ntr;
  }
  ysd = ysd > 0 ? sqrt(ysd) : 1;
  for (int v = 0; v < d; v++) sd[v] = sd[v] > 0 ? sqrt(sd[v]) : 1;
  for (long i = 0; i < t->n; i++) {
    ys[i] = (t->y[perm[i]] - ym) / ysd;
    for (int v = 0; v < d; v++) xs[i * d + v] = (t->x[perm[i] * d + v] - mu[v]) / sd[v];
  }
  nqs_rng rng;
  for (int f = 0; f < k && !st; f++) { /* cross-validation: fold f is every training row i = f mod k */
    long na = 0, nb = 0;
    double s = 0;
    for (long i = 0; i < ntr; i++)
      if (i % k != f) memcpy(xa + na * d, xs + i * d, sizeof(double) * d), ya[na++] = ys[i];
    nqs_rng_seed(&rng, c->run.seed, 0x9A11);
    nqs_pmm_init_params(&m, th, &rng);
    st = nqs_pmm_train(&m, th, xa, ya, na, c->regress.pmm_epochs, c->regress.pmm_learning_rate, err);
    for (long i = f; !st && i < ntr; i += k, nb++) {
      const double e = (nqs_pmm_eval(&m, th, xs + i * d, NULL, work) - ys[i]) * ysd;
      s += e * e;
    }
    fold[f] = nb ? s / nb : NAN;
  }
  if (st) goto done;
  for (int f = 0; f < k; f++) res->cv_mse += fold[f] / k;
  for (int f = 0; f < k; f++) res->cv_error += (fold[f] - res->cv_mse) * (fold[f] - res->cv_mse) / (k - 1);
  res->cv_error = sqrt(res->cv_error / k);
  report(o, 1, 2, t0);
  nqs_rng_seed(&rng, c->run.seed, 0x9A11);
  nqs_pmm_init_params(&m, th, &rng);
  if ((st = nqs_pmm_train(&m, th, xs, ys, ntr, c->regress.pmm_epochs, c->regress.pmm_learning_rate, err))) goto done;
  for (long i = 0; i < t->n; i++) yh[i] = ym + ysd * nqs_pmm_eval(&m, th, xs + i * d, NULL, work);
  for (long i = 0; i < t->n; i++) ys[i] = t->y[perm[i]];
  res->train_mse = nqs_mse(ys, yh, ntr), res->train_r2 = nqs_r2(ys, yh, ntr);
  res->test_mse = nte ? nqs_mse(ys + ntr, yh + ntr, nte) : NAN, res->test_r2 = nte > 1 ? nqs_r2(ys + ntr, yh + ntr, nte) : NAN;
  res->inputs = d, res->features = m.np, res->train_rows = ntr, res->test_rows = nte;
  if ((st = write_predictions(res->dir, t, perm, ntr, nte, ys + ntr, yh + ntr, err))) goto done;
  char path[700];
  snprintf(path, sizeof path, "%s/coefficients.csv", res->dir);
  FILE *csv = fopen(path, "w");
  if (!csv) {
    st = nqs_error_set(err, NQS_EIO, "cannot write %s", path);
    goto done;
  }
  fprintf(csv, "name,value\n"); /* of the standardised problem */
  const int tri = m.n * (m.n + 1) / 2;
  for (int q = 0; q < m.np; q++) {
    const int blk = q / tri, in = q % tri;
    int a = 0, rem = in;
    while (rem >= m.n - a) rem -= m.n - a, a++;
    if (q < (d + 2) * tri)
      fprintf(csv, "%s%d[%d;%d],%.12g\n", blk == 0 ? "A" : blk <= d ? "B" : "D", blk == 0 || blk > d ? 0 : blk, a, a + rem, th[q]);
    else if (q < m.np - 1) fprintf(csv, "c[%d],%.12g\n", q - (d + 2) * tri, th[q]);
    else fprintf(csv, "g,%.12g\n", th[q]);
  }
  if (fclose(csv)) st = nqs_error_set(err, NQS_EIO, "cannot finish %s (disk full?)", path);
  if (st) goto done;
  cJSON *j = result_head(c, t, res);
  cJSON *jp = cJSON_AddObjectToObject(j, "pmm");
  cJSON_AddNumberToObject(jp, "size", m.n);
  cJSON_AddNumberToObject(jp, "eigenvectors", m.r);
  cJSON_AddNumberToObject(jp, "parameters", m.np);
  cJSON_AddNumberToObject(jp, "epochs", c->regress.pmm_epochs);
  res->wall_seconds = nqs_run_now() - t0;
  cJSON_AddNumberToObject(j, "wall_seconds", res->wall_seconds);
  st = nqs_run_write_json(res->dir, "result.json", j, err);
done:
  free(xs), free(ys), free(yh), free(th), free(work), free(xa), free(ya), free(fold);
  return st;
}

/* The split data and how to fit them. */
typedef struct {
  const nqs_config *c;
  const fitter *F;
  const table *t;
  const long *perm;
  long ntr, nte;
  const double *ytr, *yte;
  double *yh; /* scratch, one value per row */
} problem;

/* The penalty: every value of the grid cross-validated, the smallest cross-validated MSE chosen
 * (or regress.lambda), and for ridge and lasso the path fitted on all training rows (path.csv). */
static nqs_status penalty_path(const problem *P, const design *D, double *warm, nqs_regress_result *res, nqs_error *err) {
  const fitter *F = P->F;
  const int m = D->m;
  const long ntr = P->ntr, nte = P->nte;
  double *lam = malloc(sizeof(double) * MAX_LAMBDAS), *cv = malloc(sizeof(double) * MAX_LAMBDAS);
  double *cve = malloc(sizeof(double) * MAX_LAMBDAS);
  FILE *csv = NULL;
  char path[700];
  int nl;
  nqs_status st = !lam || !cv || !cve ? nqs_error_set(err, NQS_ENOMEM, "out of memory") : NQS_OK;
  if (!st) st = lambda_grid(P->c, F->kind, nqs_lasso_alpha_max(D->Xtr, P->ytr, ntr, m, F->standardise), lam, &nl, err);
  if (!st) st = cross_validate(F, D->Xtr, P->ytr, ntr, m, P->c->regress.folds, lam, nl, cv, cve, err);
  if (st) goto done;
  int best = 0;
  for (int l = 1; l < nl; l++)
    if (cv[l] < cv[best]) best = l;
  res->lambda = F->kind == NQS_REG_OLS ? 0 : P->c->regress.lambda > 0 ? P->c->regress.lambda : lam[best];
  res->cv_mse = cv[best], res->cv_error = cve[best];
  if (F->kind == NQS_REG_OLS) goto done;
  snprintf(path, sizeof path, "%s/path.csv", res->dir);
  if (!(csv = fopen(path, "w"))) {
    st = nqs_error_set(err, NQS_EIO, "cannot write %s", path);
    goto done;
  }
  fprintf(csv, "lambda,cv_mse,cv_error,train_mse,test_mse,nonzero");
  for (int q = 0; q < m; q++) {
    char nm[256];
    monomial_name(P->t, D->pw + q * P->t->d, nm, sizeof nm);
    fprintf(csv, ",%s", nm);
  }
  fputc('\n', csv);
  int have = 0;
  for (int l = 0; l < nl && !st; l++) {
    nqs_linear_fit fit;
    nqs_linear_options lo = options_of(F, lam[l], have ? warm : NULL);
    if ((st = nqs_linear_fit_rows(D->Xtr, P->ytr, ntr, m, &lo, &fit, err))) break;
    if (F->kind == NQS_REG_LASSO) nqs_lasso_warm_of(&fit, D->Xtr, ntr, F->standardise, warm), have = 1;
    nqs_linear_predict(&fit, D->Xtr, ntr, P->yh);
    const double mtr = nqs_mse(P->ytr, P->yh, ntr);
    nqs_linear_predict(&fit, D->Xte, nte, P->yh);
    int nz = 0;
    for (int q = 0; q < m; q++) nz += fit.w[q] != 0;
    fprintf(csv, "%.10g,%.10g,%.10g,%.10g,%.10g,%d", lam[l], cv[l], cve[l], mtr, nte ? nqs_mse(P->yte, P->yh, nte) : NAN, nz);
    for (int q = 0; q < m; q++) fprintf(csv, ",%.10g", fit.w[q]);
    fputc('\n', csv);
    nqs_linear_fit_free(&fit);
  }
  if (fclose(csv) && !st) st = nqs_error_set(err, NQS_EIO, "cannot finish %s (disk full?)", path);
  if (!st && P->c->regress.lambda > 0) { /* a given penalty: its own cross-validated MSE */
    double l1 = res->lambda;
    st = cross_validate(F, D->Xtr, P->ytr, ntr, m, P->c->regress.folds, &l1, 1, &res->cv_mse, &res->cv_error, err);
  }
done:
  free(lam), free(cv), free(cve);
  return st;
}

/* Degrees 1..complexity at the chosen penalty: training, test and cross-validated MSE and the
 * bootstrap bias-variance split of each (complexity.csv). */
static nqs_status complexity_scan(const problem *P, const nqs_run_options *o, double t0, nqs_regress_result *res,
                                  nqs_error *err) {
  const fitter *F = P->F;
  const nqs_config *c = P->c;
  const long ntr = P->ntr, nte = P->nte;
  const int K = c->regress.complexity;
  char path[700];
  snprintf(path, sizeof path, "%s/complexity.csv", res->dir);
  FILE *csv = fopen(path, "w");
  if (!csv) return nqs_error_set(err, NQS_EIO, "cannot write %s", path);
  fprintf(csv, "degree,features,train_mse,test_mse,cv_mse,cv_error,bootstrap_mse,bias2,variance\n");
  nqs_status st = NQS_OK;
  for (int deg = 1; deg <= K && !st; deg++) {
    design E;
    nqs_linear_fit g;
    double l1 = res->lambda, cm, ce, b3[3] = {NAN, NAN, NAN};
    if ((st = make_design(P->t, P->perm, ntr, nte, deg, &E, err))) break;
    nqs_linear_options go = options_of(F, l1, NULL);
    if (!(st = nqs_linear_fit_rows(E.Xtr, P->ytr, ntr, E.m, &go, &g, err))) {
      nqs_linear_predict(&g, E.Xtr, ntr, P->yh);
      const double mtr = nqs_mse(P->ytr, P->yh, ntr);
      nqs_linear_predict(&g, E.Xte, nte, P->yh);
      const double mte = nte ? nqs_mse(P->yte, P->yh, nte) : NAN;
      double *w2 = F->kind == NQS_REG_LASSO ? malloc(sizeof(double) * E.m) : NULL;
      if (w2) nqs_lasso_warm_of(&g, E.Xtr, ntr, F->standardise, w2);
      st = cross_validate(F, E.Xtr, P->ytr, ntr, E.m, c->regress.folds, &l1, 1, &cm, &ce, err);
      if (!st && c->regress.bootstraps && nte)
        st = bootstrap(F, l1, w2, E.Xtr, P->ytr, ntr, E.Xte, P->yte, nte, E.m, c->regress.bootstraps, c->run.seed, b3, err);
      if (!st) fprintf(csv, "%d,%d,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g\n", deg, E.m, mtr, mte, cm, ce, b3[0], b3[1], b3[2]);
      free(w2);
      nqs_linear_fit_free(&g);
    }
    design_free(&E);
    report(o, 2 + deg, 2 + K, t0);
  }
  if (fclose(csv) && !st) st = nqs_error_set(err, NQS_EIO, "cannot finish %s (disk full?)", path);
  return st;
}

nqs_status nqs_regress_run(const nqs_config *c, const nqs_run_options *o, nqs_regress_result *res, nqs_error *err) {
  memset(res, 0, sizeof *res);
  const double t0 = nqs_run_now();
  const nqs_reg_kind kind = strcmp(c->regress.model, "ridge") == 0 ? NQS_REG_RIDGE
                            : strcmp(c->regress.model, "lasso") == 0 ? NQS_REG_LASSO
                                                                     : NQS_REG_OLS;
  const fitter F = {kind, strcmp(c->regress.standardise, "yes") == 0, c->regress.max_sweeps, c->regress.tolerance,
                    strcmp(c->regress.lasso_solver, "cd") == 0 ? NQS_LASSO_CD : NQS_LASSO_LARS};
  table t = {0};
  design D = {0};
  nqs_linear_fit fit = {0};
  long *perm = NULL;
  double *yh = NULL, *ytr = NULL, *yte = NULL, *warm = NULL;
  FILE *csv = NULL;
  char path[700];
  nqs_status st = nqs_config_check_keys(c, "regress", err);
  if (!st) st = c->regress.data[0] ? file_table(c, &t, err) : franke_table(c, &t, err);
  if (st) goto done;
  const long nte = (long)floor(c->regress.test_fraction * t.n + 0.5), ntr = t.n - nte;
  if (ntr < c->regress.folds || ntr < 3) {
    st = nqs_error_setk(err, NQS_EINPUT, "regress.test_fraction", "%ld rows leave %ld for training: too few for %d folds",
                        t.n, ntr, c->regress.folds);
    goto done;
  }
  const int pmm = strcmp(c->regress.model, "pmm") == 0;
  if (pmm && (c->regress.complexity || c->regress.bootstraps)) {
    st = nqs_error_setk(err, NQS_EINPUT, c->regress.complexity ? "regress.complexity" : "regress.bootstraps",
                        "a PMM has no polynomial degree to scan and is not bootstrapped (each resample is a training); set "
                        "it to 0, or compare with model = ols, ridge or lasso");
    goto done;
  }
  if ((st = nqs_run_make_dir(c, 0, res->dir, sizeof res->dir, err)) || (st = nqs_run_write_config(c, "regress", res->dir, err)))
    goto done;
  if (!c->regress.data[0] && (st = write_data(res->dir, &t, err))) goto done;
  /* the split: a random permutation; its first ntr rows train */
  perm = malloc(sizeof(long) * t.n), ytr = malloc(sizeof(double) * t.n), yte = ytr + ntr;
  yh = malloc(sizeof(double) * t.n);
  if (!perm || !ytr || !yh) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory for %ld rows", t.n);
    goto done;
  }
  nqs_rng rng;
  nqs_rng_seed(&rng, c->run.seed, 0x5B11);
  nqs_permutation(t.n, perm, &rng);
  for (long i = 0; i < t.n; i++) ytr[i] = t.y[perm[i]];
  if (pmm) {
    st = pmm_fit(c, o, &t, perm, ntr, nte, t0, res, err);
    goto done;
  }
  const int K = c->regress.complexity, steps = 2 + K;
  if ((st = make_design(&t, perm, ntr, nte, c->regress.degree, &D, err))) goto done;
  const int m = D.m;
  warm = calloc(m, sizeof(double));
  if (!warm) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory");
    goto done;
  }

  const problem P = {c, &F, &t, perm, ntr, nte, ytr, yte, yh};
  if ((st = penalty_path(&P, &D, warm, res, err))) goto done;
  report(o, 1, steps, t0);

  /* the final fit */
  nqs_linear_options fo = options_of(&F, res->lambda, NULL);
  if ((st = nqs_linear_fit_rows(D.Xtr, ytr, ntr, m, &fo, &fit, err))) goto done;
  nqs_linear_predict(&fit, D.Xtr, ntr, yh);
  res->train_mse = nqs_mse(ytr, yh, ntr), res->train_r2 = nqs_r2(ytr, yh, ntr);
  nqs_linear_predict(&fit, D.Xte, nte, yh);
  res->test_mse = nte ? nqs_mse(yte, yh, nte) : NAN, res->test_r2 = nte > 1 ? nqs_r2(yte, yh, nte) : NAN;
  res->inputs = t.d, res->features = m, res->degree = c->regress.degree, res->train_rows = ntr, res->test_rows = nte;
  if ((st = write_predictions(res->dir, &t, perm, ntr, nte, yte, yh, err))) goto done;
  /* coefficients, with 95 % intervals for OLS (Student's t with n - rank - 1 degrees of freedom) */
  const long dof = ntr - fit.rank - 1;
  const double tq = kind == NQS_REG_OLS && dof > 0 ? nqs_student_t_quantile(0.05, (int)(dof < 2000000000 ? dof : 2000000000)) : NAN;
  snprintf(path, sizeof path, "%s/coefficients.csv", res->dir);
  if (!(csv = fopen(path, "w"))) {
    st = nqs_error_set(err, NQS_EIO, "cannot write %s", path);
    goto done;
  }
  cJSON *j = result_head(c, &t, res), *coef = cJSON_CreateArray();
  fprintf(csv, "name,value,stderr,ci95_low,ci95_high\n");
  for (int q = -1; q < m; q++) {
    char nm[256] = "intercept";
    if (q >= 0) monomial_name(&t, D.pw + q * t.d, nm, sizeof nm);
    const double v = q < 0 ? fit.b : fit.w[q], se = kind != NQS_REG_OLS ? NAN : q < 0 ? fit.se_b : fit.se[q];
    fprintf(csv, "%s,%.12g,%.6g,%.12g,%.12g\n", nm, v, se, v - tq * se, v + tq * se);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "name", nm);
    cJSON_AddNumberToObject(e, "value", v);
    if (isfinite(se)) {
      cJSON_AddNumberToObject(e, "stderr", se);
      cJSON_AddNumberToObject(e, "ci95_low", v - tq * se);
      cJSON_AddNumberToObject(e, "ci95_high", v + tq * se);
    }
    cJSON_AddItemToArray(coef, e);
  }
  if (fclose(csv)) st = nqs_error_set(err, NQS_EIO, "cannot finish %s (disk full?)", path);
  csv = NULL;
  report(o, 2, steps, t0);

  /* bias and variance of the final model by the bootstrap, then the same against the degree */
  double bv[3] = {NAN, NAN, NAN};
  if (!st && c->regress.bootstraps && nte) {
    if (kind == NQS_REG_LASSO) nqs_lasso_warm_of(&fit, D.Xtr, ntr, F.standardise, warm);
    st = bootstrap(&F, res->lambda, kind == NQS_REG_LASSO ? warm : NULL, D.Xtr, ytr, ntr, D.Xte, yte, nte, m,
                   c->regress.bootstraps, c->run.seed, bv, err);
  }
  if (!st && K) st = complexity_scan(&P, o, t0, res, err);
  if (st) {
    cJSON_Delete(j), cJSON_Delete(coef);
    goto done;
  }

  cJSON_AddNumberToObject(j, "degree", c->regress.degree);
  cJSON_AddNumberToObject(j, "features", m);
  cJSON_AddBoolToObject(j, "standardised", F.standardise);
  if (kind != NQS_REG_OLS) cJSON_AddNumberToObject(j, "lambda", res->lambda);
  if (kind == NQS_REG_OLS) {
    cJSON_AddNumberToObject(j, "rank", fit.rank);
    if (isfinite(fit.sigma2)) cJSON_AddNumberToObject(j, "residual_variance", fit.sigma2);
  }
  if (isfinite(bv[0])) {
    cJSON *jb = cJSON_AddObjectToObject(j, "bias_variance");
    cJSON_AddNumberToObject(jb, "bootstraps", c->regress.bootstraps);
    cJSON_AddNumberToObject(jb, "mse", bv[0]);
    cJSON_AddNumberToObject(jb, "bias2", bv[1]);
    cJSON_AddNumberToObject(jb, "variance", bv[2]);
  }
  cJSON_AddItemToObject(j, "coefficients", coef);
  res->wall_seconds = nqs_run_now() - t0;
  cJSON_AddNumberToObject(j, "wall_seconds", res->wall_seconds);
  st = nqs_run_write_json(res->dir, "result.json", j, err);
done:
  if (csv) fclose(csv);
  nqs_linear_fit_free(&fit);
  design_free(&D);
  table_free(&t);
  free(perm), free(ytr), free(yh), free(warm);
  return st;
}
