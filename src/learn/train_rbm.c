/* train_rbm.c — `nqs train-rbm`: a binary-binary RBM fitted to data by log-likelihood ascent
 * (positive phase from mini-batches, negative phase exact, CD-k or PCD-k), with a run folder:
 * config.ini, log.jsonl, training.csv (per epoch: reconstruction error, pseudo-log-likelihood,
 * exact log-likelihoods and KL divergence when they are computable), rbm.json (the parameters),
 * result.json, and for Ising data the energy and magnetisation of the model's samples against
 * the data's. See nqs/learn/boltzmann.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/learn/boltzmann.h"
#include "nqs/core/checkpoint.h"
#include "nqs/learn/dataset.h"
#include "nqs/learn/ising.h"
#include "nqs/core/optimizer.h"
#include "nqs/nn/rbm.h"
#include "nqs/core/stats.h"
#include "run_internal.h"

static cJSON *observables_json(const double o[8]) {
  cJSON *j = cJSON_CreateObject();
  const char *names[4] = {"energy_per_site", "abs_magnetisation_per_site", "specific_heat_per_site", "susceptibility_per_site"};
  for (int k = 0; k < 4; k++) {
    cJSON *x = cJSON_AddObjectToObject(j, names[k]);
    cJSON_AddNumberToObject(x, "mean", o[2 * k]);
    cJSON_AddNumberToObject(x, "error", o[2 * k + 1]);
  }
  return j;
}

nqs_status nqs_bm_sample(int nv, int nh, double sigma, const double *params, const double *starts, int nstarts, int chains,
                         long per_chain, int burn, uint64_t seed, double *out, nqs_error *err) {
  double *v = malloc(sizeof(double) * nv), *h = malloc(sizeof(double) * nh);
  if (!v || !h) {
    free(v);
    free(h);
    return nqs_error_set(err, NQS_ENOMEM, "out of memory sampling the RBM");
  }
  for (int c = 0; c < chains; c++) { /* chain c: rows c, c + chains, ... (sampling order, chains interleaved) */
    nqs_rng rng;
    nqs_rng_seed(&rng, seed, 0xB5A0u + (uint64_t)c);
    if (starts) memcpy(v, starts + (size_t)(c % nstarts) * nv, sizeof(double) * nv);
    else /* binary: uniform; Gaussian: around the visible biases */
      for (int i = 0; i < nv; i++) v[i] = sigma > 0 ? params[i] + sigma * nqs_rng_normal(&rng) : nqs_rng_uniform(&rng) < 0.5;
    for (long t = -burn; t < per_chain; t++) {
      if (sigma > 0) nqs_gb_gibbs(nv, nh, sigma, params, v, h, &rng);
      else nqs_bm_gibbs(nv, nh, params, v, h, &rng);
      if (t < 0) continue;
      memcpy(out + ((size_t)t * chains + c) * nv, v, sizeof(double) * nv);
    }
  }
  free(v);
  free(h);
  return NQS_OK;
}

nqs_status nqs_bm_write_json(const char *dir, int nv, int nh, double sigma, const double *params, nqs_error *err) {
  cJSON *j = cJSON_CreateObject();
  if (sigma > 0) {
    cJSON_AddStringToObject(j, "model", "Gaussian-binary RBM: E(v,h) = |v - a|^2/(2 sigma^2) - b.h - v.W.h/sigma^2, h in {0,1}");
    cJSON_AddNumberToObject(j, "sigma", sigma);
  } else
    cJSON_AddStringToObject(j, "model", "binary-binary RBM: E(v,h) = -a.v - b.h - v.W.h, v and h in {0,1}");
  cJSON_AddNumberToObject(j, "visible", nv);
  cJSON_AddNumberToObject(j, "hidden", nh);
  cJSON_AddItemToObject(j, "a", cJSON_CreateDoubleArray(params, nv));
  cJSON_AddItemToObject(j, "b", cJSON_CreateDoubleArray(params + nv, nh));
  cJSON *W = cJSON_AddArrayToObject(j, "W"); /* nv rows of nh */
  for (int i = 0; i < nv; i++) cJSON_AddItemToArray(W, cJSON_CreateDoubleArray(params + nv + nh + (size_t)i * nh, nh));
  return nqs_run_write_json(dir, "rbm.json", j, err);
}

nqs_status nqs_bm_read_json(const char *dir, int *nv, int *nh, double *sigma, double **params, nqs_error *err) {
  char path[700];
  snprintf(path, sizeof path, "%s/rbm.json", dir);
  FILE *f = fopen(path, "r");
  if (!f) return nqs_error_set(err, NQS_EINPUT, "cannot open %s: is %s a train-rbm run folder?", path, dir);
  fseek(f, 0, SEEK_END);
  const long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = len > 0 ? malloc((size_t)len + 1) : NULL;
  const int ok = text && fread(text, 1, (size_t)len, f) == (size_t)len;
  fclose(f);
  if (!ok) {
    free(text);
    return nqs_error_set(err, NQS_EINPUT, "cannot read %s", path);
  }
  text[len] = 0;
  cJSON *j = cJSON_Parse(text);
  free(text);
  const cJSON *jv = cJSON_GetObjectItem(j, "visible"), *jh = cJSON_GetObjectItem(j, "hidden");
  const cJSON *js = cJSON_GetObjectItem(j, "sigma");
  *sigma = 0;
  if (js && (!cJSON_IsNumber(js) || !(js->valuedouble > 0))) {
    cJSON_Delete(j);
    return nqs_error_set(err, NQS_EINPUT, "%s: sigma must be a number > 0", path);
  }
  if (js) *sigma = js->valuedouble;
  const cJSON *ja = cJSON_GetObjectItem(j, "a"), *jb = cJSON_GetObjectItem(j, "b"), *jW = cJSON_GetObjectItem(j, "W");
  nqs_status st = NQS_OK;
  if (!cJSON_IsNumber(jv) || !cJSON_IsNumber(jh) || jv->valueint < 1 || jh->valueint < 1 || !cJSON_IsArray(ja) ||
      !cJSON_IsArray(jb) || !cJSON_IsArray(jW) || cJSON_GetArraySize(ja) != jv->valueint ||
      cJSON_GetArraySize(jb) != jh->valueint || cJSON_GetArraySize(jW) != jv->valueint)
    st = nqs_error_set(err, NQS_EINPUT, "%s is not an RBM written by nqs train-rbm (visible, hidden, a, b, W)", path);
  const int V = st ? 0 : jv->valueint, Hh = st ? 0 : jh->valueint;
  double *p = st ? NULL : malloc(sizeof(double) * (size_t)(V + Hh + V * Hh));
  if (!st && !p) st = nqs_error_set(err, NQS_ENOMEM, "out of memory");
  for (int i = 0; !st && i < V; i++) p[i] = cJSON_GetArrayItem(ja, i)->valuedouble;
  for (int k = 0; !st && k < Hh; k++) p[V + k] = cJSON_GetArrayItem(jb, k)->valuedouble;
  for (int i = 0; !st && i < V; i++) {
    const cJSON *row = cJSON_GetArrayItem(jW, i);
    if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != Hh) {
      st = nqs_error_set(err, NQS_EINPUT, "%s: row %d of W does not hold %d numbers", path, i, Hh);
      break;
    }
    for (int k = 0; k < Hh; k++) p[V + Hh + (size_t)i * Hh + k] = cJSON_GetArrayItem(row, k)->valuedouble;
  }
  for (int k = 0; !st && k < V + Hh + V * Hh; k++)
    if (!isfinite(p[k])) st = nqs_error_set(err, NQS_EINPUT, "%s: parameter %d is not finite", path, k);
  cJSON_Delete(j);
  if (st) {
    free(p);
    return st;
  }
  *nv = V;
  *nh = Hh;
  *params = p;
  return NQS_OK;
}

/* the lattice side of Ising data (nv = L^2), 0 if nv is not a square */
static int ising_side(int nv) {
  int L = (int)lround(sqrt((double)nv));
  return L * L == nv && L >= 2 ? L : 0;
}

/* checkpoint.h5 of a training: parameters, optimiser state (2 np), the persistent chains (and
 * replicas, nc x nv), the RNG, epoch and step. */
static nqs_status save_training(const nqs_config *c, const char *dir, int np, const double *params, const double *vel, int nc,
                                int nv, const double *chains, const nqs_rng *rng, int epoch, long step, nqs_error *err) {
  nqs_checkpoint ck;
  nqs_checkpoint_init(&ck);
  char *text = nqs_config_text(c, "train-rbm");
  nqs_status st = text ? NQS_OK : nqs_error_set(err, NQS_ENOMEM, "out of memory");
  uint64_t *rw = NULL;
  if (!st && !(st = nqs_checkpoint_put_text(&ck, "kind", "train-rbm", err)) && !(st = nqs_checkpoint_put_text(&ck, "config", text, err)) &&
      !(st = nqs_checkpoint_put_text(&ck, "parameter_names", "a | b | W (row-major visible x hidden), as in rbm.json", err)) &&
      !(st = nqs_checkpoint_put(&ck, "parameters", params, (size_t)np, err)) &&
      !(st = nqs_checkpoint_put(&ck, "optimizer_state", vel, 2 * (size_t)np, err)) &&
      !(st = nqs_checkpoint_put_scalar(&ck, "epoch", epoch, err)) && !(st = nqs_checkpoint_put_scalar(&ck, "step", (double)step, err))) {
    double *x = nqs_checkpoint_add(&ck, "chains", NQS_RECORD_F64, (size_t)nc, (size_t)nv, err);
    if (x) memcpy(x, chains, sizeof(double) * (size_t)nc * nv);
    if (x && (rw = nqs_checkpoint_add(&ck, "rng", NQS_RECORD_U64, NQS_RNG_WORDS, 1, err))) nqs_rng_pack(rng, rw);
    st = rw ? nqs_checkpoint_write(dir, &ck, err) : err->code;
  }
  free(text);
  nqs_checkpoint_free(&ck);
  return st;
}

/* The state save_training wrote, checked against this configuration's sizes. */
static nqs_status load_training(const nqs_checkpoint *ck, int np, int nc, int nv, double *params, double *vel,
                                double *chains, nqs_rng *rng, int *epoch, long *step, nqs_error *err) {
  const double *p = nqs_checkpoint_get(ck, "parameters", NQS_RECORD_F64, (size_t)np, err);
  const double *v = p ? nqs_checkpoint_get(ck, "optimizer_state", NQS_RECORD_F64, 2 * (size_t)np, err) : NULL;
  const double *x = v ? nqs_checkpoint_get(ck, "chains", NQS_RECORD_F64, (size_t)nc * nv, err) : NULL;
  const uint64_t *rw = x ? nqs_checkpoint_get(ck, "rng", NQS_RECORD_U64, NQS_RNG_WORDS, err) : NULL;
  long ep;
  if (!rw) return NQS_EINPUT;
  nqs_status st = nqs_checkpoint_count(ck, "epoch", 0, 1000000000L, &ep, err);
  if (!st) st = nqs_checkpoint_count(ck, "step", 0, 1L << 52, step, err);
  if (st) return st;
  for (int k = 0; k < np; k++)
    if (!isfinite(p[k])) return nqs_error_set(err, NQS_EINPUT, "the checkpoint's parameter %d is not finite: the file is damaged", k);
  if (nqs_rng_unpack(rng, rw)) return nqs_error_set(err, NQS_EINPUT, "the checkpoint's random stream is invalid: the file is damaged");
  memcpy(params, p, sizeof(double) * np);
  memcpy(vel, v, sizeof(double) * 2 * np);
  memcpy(chains, x, sizeof(double) * (size_t)nc * nv);
  *epoch = (int)ep;
  return NQS_OK;
}

/* What the monitors need to know about the data and the model. */
typedef struct {
  int nv, nh, gauss, exact, nrows, ntrain, ntest;
  double sigma;
  const double *data; /* nrows x nv: training rows first, then the held-out ones */
  const double *q;    /* the exact target distribution over 2^nv states, or NULL */
} fit;

typedef struct {
  double rec, pll_tr, pll_te, ll_tr, ll_te, kl;
} epoch_monitors;

/* Reconstruction error, pseudo-log-likelihoods (binary units), exact log-likelihoods (when ln Z is
 * computable) and the KL divergence to a known target. */
static void measure(const fit *f, const double *params, epoch_monitors *m) {
  const int nv = f->nv, nh = f->nh, gauss = f->gauss, ntrain = f->ntrain, ntest = f->ntest;
  const double sigma = f->sigma, *data = f->data;
  m->rec = gauss ? nqs_gb_reconstruction_error(nv, nh, sigma, params, data, ntrain)
                 : nqs_bm_reconstruction_error(nv, nh, params, data, ntrain);
  m->pll_tr = gauss ? NAN : nqs_bm_pseudo_log_likelihood(nv, nh, params, data, ntrain); /* binary units only */
  m->pll_te = gauss || !ntest ? NAN : nqs_bm_pseudo_log_likelihood(nv, nh, params, data + (size_t)ntrain * nv, ntest);
  m->ll_tr = m->ll_te = m->kl = NAN;
  if (f->exact) {
    const double lz = gauss ? nqs_gb_log_z(nv, nh, sigma, params) : nqs_bm_log_z(nv, nh, params);
    double *theta = malloc(sizeof(double) * nh), s_tr = 0, s_te = 0;
    for (int d = 0; theta && d < f->nrows; d++) {
      const double *v = data + (size_t)d * nv;
      const double lf = (gauss ? nqs_gb_log_f(nv, nh, sigma, params, v, theta) : nqs_rbm_bb_log_marginal(nv, nh, params, v, theta)) - lz;
      if (d < ntrain) s_tr += lf;
      else s_te += lf;
    }
    free(theta);
    m->ll_tr = s_tr / ntrain;
    m->ll_te = ntest ? s_te / ntest : NAN;
  }
  if (f->q) m->kl = nqs_bm_kl(nv, nh, params, f->q);
}

/* One line of log.jsonl and of training.csv. */
static void log_epoch(FILE *logf, FILE *csv, const fit *f, int ep, const epoch_monitors *m, double wall) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "epoch", ep);
  cJSON_AddNumberToObject(j, "reconstruction_error", m->rec);
  if (!f->gauss) cJSON_AddNumberToObject(j, "pseudo_log_likelihood_train", m->pll_tr);
  if (!f->gauss && f->ntest) cJSON_AddNumberToObject(j, "pseudo_log_likelihood_test", m->pll_te);
  if (f->exact) cJSON_AddNumberToObject(j, "log_likelihood_train", m->ll_tr);
  if (f->exact && f->ntest) cJSON_AddNumberToObject(j, "log_likelihood_test", m->ll_te);
  if (f->q) cJSON_AddNumberToObject(j, "kl", m->kl);
  cJSON_AddNumberToObject(j, "wall_seconds", wall);
  nqs_run_log_line(logf, j);
  fprintf(csv, "%d,%.8g,%.8g,%.8g,%.8g,%.8g,%.8g,%.3f\n", ep, m->rec, m->pll_tr, m->pll_te, m->ll_tr, m->ll_te, m->kl, wall);
  fflush(csv);
}

/* The model's own samples against the data: Ising energy and magnetisation (into res and out). */
static nqs_status ising_comparison(const fit *f, const nqs_config *c, int L, const double *params, nqs_train_result *res,
                                   cJSON *out, nqs_error *err) {
  const int chains_s = 100, nv = f->nv;
  const long per = (f->nrows + chains_s - 1) / chains_s;
  double *samples = malloc(sizeof(double) * (size_t)per * chains_s * nv);
  nqs_status st = samples ? NQS_OK : nqs_error_set(err, NQS_ENOMEM, "out of memory for the model's samples");
  if (!st) st = nqs_bm_sample(nv, f->nh, 0, params, f->data, f->ntrain, chains_s, per, 1000, c->run.seed, samples, err);
  if (!st) {
    double od[8], om[8];
    nqs_ising_observables(L, c->boltzmann.temperature, f->data, f->nrows, od);
    nqs_ising_observables(L, c->boltzmann.temperature, samples, per * chains_s, om);
    for (int k = 0; k < 8; k++) res->observables_data[k] = od[k], res->observables_model[k] = om[k];
    res->has_observables = 1;
    cJSON *ob = cJSON_AddObjectToObject(out, "ising_observables");
    cJSON_AddNumberToObject(ob, "temperature", c->boltzmann.temperature);
    cJSON_AddItemToObject(ob, "data", observables_json(od));
    cJSON_AddItemToObject(ob, "rbm_samples", observables_json(om));
    cJSON_AddNumberToObject(ob, "rbm_sample_count", (double)per * chains_s);
  }
  free(samples);
  return st;
}

/* Combinations of [boltzmann] keys that cannot work with these data. */
static nqs_status check_training(const nqs_config *c, int nv, int ntrain, int L, nqs_error *err) {
  const int gauss = strcmp(c->boltzmann.visible, "gaussian") == 0, ising = strcmp(c->boltzmann.target, "ising") == 0;
  const int method_exact = strcmp(c->boltzmann.method, "exact") == 0, pt = strcmp(c->boltzmann.method, "pt") == 0;
  if (ntrain < 1) return nqs_error_setk(err, NQS_EINPUT, "boltzmann.held_out", "no training rows left: lower held_out");
  if (gauss && method_exact)
    return nqs_error_setk(err, NQS_EINPUT, "boltzmann.method", "real visible units have no exact negative phase: use pcd or cd");
  if (gauss && pt)
    return nqs_error_setk(err, NQS_EINPUT, "boltzmann.method", "parallel tempering is implemented for binary units: use pcd");
  if (gauss && ising)
    return nqs_error_setk(err, NQS_EINPUT, "boltzmann.target", "target = ising needs binary data: set visible = binary");
  if (method_exact && nv > NQS_EXACT_MAX_UNITS)
    return nqs_error_setk(err, NQS_EINPUT, "boltzmann.method", "exact needs at most %d visible units (the data have %d): use pcd",
                          NQS_EXACT_MAX_UNITS, nv);
  if (ising && !L)
    return nqs_error_setk(err, NQS_EINPUT, "boltzmann.target", "ising data need L x L visible units; the data have %d", nv);
  return NQS_OK;
}

/* The start: visible biases from the data's means (Hinton's recipe: binary, the log-odds of the
 * mean; Gaussian, the mean), weights ~ N(0, init_std^2), hidden biases 0; the persistent chains
 * (and replicas) at random training rows. */
static void start(const nqs_config *c, const fit *f, double *params, double *chains, int nchains, nqs_rng *rng) {
  const int nv = f->nv, nh = f->nh, np = nv + nh + nv * nh, ntrain = f->ntrain;
  for (int i = 0; i < nv; i++) {
    double m = 0;
    for (int d = 0; d < ntrain; d++) m += f->data[(size_t)d * nv + i];
    m /= ntrain;
    params[i] = f->gauss ? m : log(fmin(fmax(m, 0.01), 0.99) / (1 - fmin(fmax(m, 0.01), 0.99)));
  }
  for (int k = nv + nh; k < np; k++) params[k] = c->boltzmann.init_std * nqs_rng_normal(rng);
  for (int ch = 0; ch < nchains; ch++)
    memcpy(chains + (size_t)ch * nv, f->data + (size_t)(nqs_rng_uniform(rng) * ntrain) % ntrain * nv, sizeof(double) * nv);
}

/* A new order of the training rows each epoch, from the RNG alone (Fisher-Yates). */
static void shuffle(int *order, int n, nqs_rng *rng) {
  for (int d = 0; d < n; d++) order[d] = d;
  for (int d = n - 1; d > 0; d--) {
    int r = (int)(nqs_rng_uniform(rng) * (d + 1));
    r = r > d ? d : r;
    const int tmp = order[d];
    order[d] = order[r];
    order[r] = tmp;
  }
}

/* A training in progress: the data, the model, the optimiser, the chains and the RNG. */
typedef struct {
  const nqs_config *c;
  fit f;
  int np, nc, nt, batch, method_exact, cd, pt, ising, L;
  double *data, *params, *g, *vel, *q, *chains, *bufb;
  int *order;
  const nqs_optimizer_type *adam;
  double mu; /* momentum (0 for plain SGD) */
  nqs_rng rng;
  long step;
} training;

static void training_free(training *t) {
  free(t->data);
  free(t->params);
  free(t->g);
  free(t->vel);
  free(t->q);
  free(t->chains);
  free(t->bufb);
  free(t->order);
}

/* The data read and split, the options checked against them, the buffers allocated, the exact
 * Ising target computed (when asked for and small enough) and the fresh start drawn. */
static nqs_status training_open(training *t, const nqs_config *c, nqs_error *err) {
  memset(t, 0, sizeof *t);
  t->c = c;
  if (!c->boltzmann.data[0])
    return nqs_error_setk(err, NQS_EINPUT, "boltzmann.data", "no data: set [boltzmann] data = FILE.csv (e.g. from nqs sample-ising)");
  const int gauss = strcmp(c->boltzmann.visible, "gaussian") == 0;
  int nrows, nv;
  nqs_status st = nqs_dataset_read(c->boltzmann.data, !gauss, &t->data, &nrows, &nv, err);
  if (st) return st;
  const int nh = c->boltzmann.hidden, ntest = (int)floor(c->boltzmann.held_out * nrows), ntrain = nrows - ntest;
  t->np = nv + nh + nv * nh;
  t->L = ising_side(nv);
  t->ising = strcmp(c->boltzmann.target, "ising") == 0;
  t->method_exact = strcmp(c->boltzmann.method, "exact") == 0;
  t->cd = strcmp(c->boltzmann.method, "cd") == 0;
  t->pt = strcmp(c->boltzmann.method, "pt") == 0;
  t->nt = t->pt ? c->boltzmann.replicas : 1; /* replicas per chain */
  t->batch = c->boltzmann.batch < ntrain ? c->boltzmann.batch : ntrain;
  t->nc = t->cd ? t->batch : c->boltzmann.chains;
  t->adam = strcmp(c->boltzmann.optimizer, "adam") == 0 ? nqs_optimizer_find("adam") : NULL;
  t->mu = strcmp(c->boltzmann.optimizer, "momentum") == 0 ? c->boltzmann.momentum : 0;
  if ((st = check_training(c, nv, ntrain, t->L, err))) return st;
  const int np = t->np, want_q = t->ising && nv <= NQS_EXACT_MAX_UNITS;
  t->params = calloc((size_t)np, sizeof(double));
  t->g = malloc(sizeof(double) * np);
  t->vel = calloc((size_t)2 * np + 1, sizeof(double)); /* momentum, or Adam's two moments */
  t->chains = malloc(sizeof(double) * (size_t)t->nc * t->nt * nv);
  t->bufb = malloc(sizeof(double) * (size_t)t->batch * nv);
  t->order = malloc(sizeof(int) * (size_t)ntrain);
  if (want_q) t->q = malloc(sizeof(double) * ((size_t)1 << nv));
  if (!t->params || !t->g || !t->vel || !t->chains || !t->bufb || !t->order || (want_q && !t->q))
    return nqs_error_set(err, NQS_ENOMEM, "out of memory for an RBM of %d x %d and %d rows", nv, nh, nrows);
  if (t->q && (st = nqs_ising_exact(t->L, c->boltzmann.temperature, t->q, err))) return st;
  /* exact ln Z: binary, by the smaller layer; Gaussian-binary, by the hidden layer */
  const int exact = gauss ? nh <= NQS_EXACT_MAX_UNITS : (nv <= NQS_EXACT_MAX_UNITS || nh <= NQS_EXACT_MAX_UNITS);
  t->f = (fit){.nv = nv, .nh = nh, .gauss = gauss, .exact = exact, .nrows = nrows, .ntrain = ntrain, .ntest = ntest,
               .sigma = c->boltzmann.sigma, .data = t->data, .q = t->q};
  nqs_rng_seed(&t->rng, c->run.seed, 0xB01u);
  start(c, &t->f, t->params, t->chains, t->nc * t->nt, &t->rng);
  return NQS_OK;
}

/* One epoch: the training rows in a new order, one gradient step per mini-batch. */
static nqs_status training_epoch(training *t, int ep, nqs_error *err) {
  const nqs_config *c = t->c;
  const int nv = t->f.nv, nh = t->f.nh, np = t->np, batch = t->batch, nc = t->nc, k = c->boltzmann.k;
  double *params = t->params, *g = t->g, *chains = t->chains, *bufb = t->bufb;
  const double lr = c->boltzmann.learning_rate / (1 + c->boltzmann.decay * (ep - 1)); /* eta / (1 + decay (epoch - 1)) */
  shuffle(t->order, t->f.ntrain, &t->rng);
  for (int b0 = 0; b0 + batch <= t->f.ntrain; b0 += batch) {
    for (int d = 0; d < batch; d++) memcpy(bufb + (size_t)d * nv, t->data + (size_t)t->order[b0 + d] * nv, sizeof(double) * nv);
    if (t->method_exact) nqs_bm_exact_gradient(nv, nh, params, bufb, batch, g);
    else {
      if (t->cd) memcpy(chains, bufb, sizeof(double) * (size_t)batch * nv); /* CD: chains restart at the data */
      if (t->pt) nqs_bm_pt_gradient(nv, nh, params, bufb, batch, chains, nc, t->nt, k, &t->rng, g);
      else if (t->f.gauss) nqs_gb_pcd_gradient(nv, nh, t->f.sigma, params, bufb, batch, chains, nc, k, &t->rng, g);
      else nqs_bm_pcd_gradient(nv, nh, params, bufb, batch, chains, nc, k, &t->rng, g);
    }
    for (int q = nv + nh; q < np; q++) g[q] -= c->boltzmann.weight_decay * params[q];
    t->step++;
    if (t->adam) {
      for (int q = 0; q < np; q++) g[q] = -g[q]; /* Adam descends */
      t->adam->step(params, g, t->vel, np, lr, t->step);
    } else
      for (int q = 0; q < np; q++) {
        t->vel[q] = t->mu * t->vel[q] + lr * g[q];
        params[q] += t->vel[q];
      }
  }
  for (int q = 0; q < np; q++)
    if (!isfinite(params[q]))
      return nqs_error_set(err, NQS_ERUNTIME, "epoch %d: the parameters became non-finite; lower [boltzmann] learning_rate", ep);
  return NQS_OK;
}

/* rbm.json and result.json of a finished training. */
static nqs_status training_result(training *t, nqs_train_result *res, double t0, nqs_error *err) {
  const nqs_config *c = t->c;
  const int nv = t->f.nv, nh = t->f.nh;
  nqs_status st = nqs_bm_write_json(res->dir, nv, nh, t->f.gauss ? t->f.sigma : 0, t->params, err);
  if (st) return st;
  cJSON *out = nqs_run_result_head("train-rbm", c);
  cJSON_AddNumberToObject(out, "visible", nv);
  cJSON_AddNumberToObject(out, "hidden", nh);
  cJSON_AddNumberToObject(out, "rows_train", t->f.ntrain);
  cJSON_AddNumberToObject(out, "rows_test", t->f.ntest);
  cJSON_AddStringToObject(out, "method", c->boltzmann.method);
  cJSON_AddStringToObject(out, "visible_units", c->boltzmann.visible);
  cJSON_AddNumberToObject(out, "epochs", c->boltzmann.epochs);
  if (t->f.exact) {
    cJSON_AddNumberToObject(out, "log_likelihood_train", res->ll_train);
    if (t->f.ntest) cJSON_AddNumberToObject(out, "log_likelihood_test", res->ll_test);
  }
  if (t->q) {
    cJSON_AddNumberToObject(out, "kl", res->kl);
    double ent = 0;
    for (long s = 0; s < (1L << nv); s++)
      if (t->q[s] > 0) ent -= t->q[s] * log(t->q[s]);
    cJSON_AddNumberToObject(out, "target_entropy", ent); /* the best possible -log-likelihood */
  }
  /* the model's own samples against the data: Ising energy and magnetisation */
  if (t->ising) st = ising_comparison(&t->f, c, t->L, t->params, res, out, err);
  res->nv = nv;
  res->nh = nh;
  res->wall_seconds = nqs_run_now() - t0;
  cJSON_AddNumberToObject(out, "wall_seconds", res->wall_seconds);
  if (!st) return nqs_run_write_json(res->dir, "result.json", out, err);
  cJSON_Delete(out);
  return st;
}

nqs_status nqs_train_rbm(const nqs_config *c, const nqs_run_options *o, nqs_train_result *res, nqs_error *err) {
  memset(res, 0, sizeof *res);
  res->kl = res->ll_train = res->ll_test = NAN;
  const double t0 = nqs_run_now();
  const nqs_checkpoint *ck = o ? o->restart : NULL;
  training t = {0};
  FILE *logf = NULL, *csv = NULL;
  int ep0 = 0;
  nqs_status st = nqs_config_check_keys(c, "train-rbm", err);
  if (!st) st = training_open(&t, c, err);
  if (!st && ck) st = nqs_run_check_folder(ck, c->output.dir, "train-rbm", "boltzmann", "epochs", err);
  if (!st && ck)
    st = load_training(ck, t.np, t.nc * t.nt, t.f.nv, t.params, t.vel, t.chains, &t.rng, &ep0, &t.step, err);
  int lock = -1;
  if (!st) st = nqs_run_make_dir(c, ck != NULL, res->dir, sizeof res->dir, err);
  if (!st && (lock = nqs_run_lock(res->dir, err)) < 0) st = NQS_EINPUT;
  if (!st) st = nqs_run_write_config(c, "train-rbm", res->dir, err);
  /* a restart cuts the logs back to its checkpoint; a fresh training checkpoints its start */
  if (!st && ck) st = nqs_run_cut_logs(res->dir, "training.csv", "epoch", ep0, err);
  if (!st && !ck)
    st = save_training(c, res->dir, t.np, t.params, t.vel, t.nc * t.nt, t.f.nv, t.chains, &t.rng, 0, t.step, err);
  if (!st)
    st = nqs_run_open_logs(res->dir, "training.csv", "epoch,reconstruction_error,pll_train,pll_test,ll_train,ll_test,kl,wall_seconds",
                           ck != NULL, &logf, &csv, err);
  nqs_progress pr = {.phase = "train", .iterations = c->boltzmann.epochs};
  epoch_monitors m;
  if (!st && ep0 >= c->boltzmann.epochs) measure(&t.f, t.params, &m); /* a finished training: its final monitors */
  for (int ep = ep0 + 1; !st && ep <= c->boltzmann.epochs; ep++) {
    if ((st = training_epoch(&t, ep, err))) break;
    measure(&t.f, t.params, &m);
    log_epoch(logf, csv, &t.f, ep, &m, nqs_run_now() - t0);
    const int every = c->output.checkpoint_every;
    if (((every > 0 && ep % every == 0) || ep == c->boltzmann.epochs) &&
        (st = save_training(c, res->dir, t.np, t.params, t.vel, t.nc * t.nt, t.f.nv, t.chains, &t.rng, ep, t.step, err)))
      break;
    if (o && o->progress) {
      pr.iteration = ep;
      pr.fraction = (double)ep / c->boltzmann.epochs;
      pr.has_energy = t.q != NULL; /* shows the KL in the energy slot */
      pr.energy = m.kl;
      pr.elapsed = nqs_run_now() - t0;
      o->progress(o->user, &pr);
    }
  }
  if (!st) {
    res->ll_train = m.ll_tr;
    res->ll_test = m.ll_te;
    res->kl = m.kl;
    res->epochs = c->boltzmann.epochs > ep0 ? c->boltzmann.epochs : ep0;
    st = training_result(&t, res, t0, err);
  }
  if (logf) fclose(logf);
  if (csv) fclose(csv);
  training_free(&t);
  nqs_run_unlock(lock);
  return st;
}
