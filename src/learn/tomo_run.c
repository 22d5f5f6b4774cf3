/* tomo_run.c — `nqs tomography FILE`: measurement records of the exact ground state of a small
 * lattice model ([lattice], by nqs_exact), an RBM wave function learned from them
 * ([boltzmann] hidden, epochs, learning_rate, measurements, bases), and its fidelity to the
 * exact state. Run folder: config.ini, tomography.csv (step, NLL, fidelity), rbm.json,
 * result.json. See nqs/learn/tomography.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/learn/boltzmann.h"
#include "nqs/lattice/lattice.h"
#include "nqs/learn/tomography.h"
#include "run_internal.h"

typedef struct {
  FILE *csv;
  int n, nh;
  const double *exact;
  double *model, fidelity, t0;
  const nqs_run_options *o;
  int epochs;
} tomo_ctx;

static int report(void *user, int epoch, double nll, const double *params) {
  tomo_ctx *t = user;
  nqs_tomo_amplitudes(t->n, t->nh, params, t->model);
  t->fidelity = nqs_tomo_fidelity(t->n, t->exact, t->model);
  fprintf(t->csv, "%d,%.10g,%.10g,%.3f\n", epoch, nll, t->fidelity, nqs_run_now() - t->t0);
  if (t->o && t->o->progress) {
    nqs_progress pr = {.phase = "train", .iteration = epoch, .iterations = t->epochs, .fraction = (double)epoch / t->epochs,
                       .has_energy = 1, .energy = t->fidelity, .elapsed = nqs_run_now() - t->t0};
    t->o->progress(t->o->user, &pr);
  }
  return 0;
}

/* The exact ground state with its overall sign fixed; a state with amplitudes of both signs
 * is refused (a positive RBM cannot hold it). */
static nqs_status positive_ground_state(const nqs_spin_system *sys, double *e0, double *psi, nqs_error *err) {
  nqs_status st = nqs_exact_ground_state(sys, e0, psi, err);
  if (st) return st;
  const long N = 1L << sys->nsites;
  double sum = 0, neg = 0;
  for (long s = 0; s < N; s++) sum += psi[s];
  for (long s = 0; s < N; s++) psi[s] = sum < 0 ? -psi[s] : psi[s];
  for (long s = 0; s < N; s++) neg = fmin(neg, psi[s]);
  if (neg < -1e-8)
    return nqs_error_set(err, NQS_EINPUT, "the ground state has amplitudes of both signs (min %.2g): a positive RBM cannot "
                         "hold it; use a TFIM, or a Heisenberg model whose signs are rotated out (not done yet)", neg);
  return NQS_OK;
}

/* M simulated measurement records in each basis, as histograms over the 2^n outcomes. */
static nqs_status record(const nqs_config *c, int n, const double *psi, const uint32_t *masks, int nb, long M, double *hist,
                         uint32_t *rec, nqs_error *err) {
  nqs_rng rng;
  nqs_rng_seed(&rng, c->run.seed, 0x7031);
  nqs_status st = NQS_OK;
  for (int b = 0; b < nb && !st; b++) {
    st = nqs_tomo_measure(n, psi, masks[b], M, &rng, rec, err);
    for (long k = 0; !st && k < M; k++) hist[((size_t)b << n) + rec[k]] += 1;
  }
  return st;
}

nqs_status nqs_tomography_run(const nqs_config *c, const nqs_run_options *o, nqs_tomo_result *res, nqs_error *err) {
  memset(res, 0, sizeof *res);
  const double t0 = nqs_run_now();
  nqs_spin_system sys;
  nqs_status st = nqs_config_check_keys(c, "tomography", err);
  if (st || (st = nqs_config_spin_system(c, &sys, err))) return st;
  const int n = sys.nsites, nh = c->boltzmann.hidden;
  if (n > NQS_TOMO_MAX_QUBITS) {
    nqs_spin_system_free(&sys);
    return nqs_error_setk(err, NQS_EINPUT, "lattice.length", "tomography sums over all 2^n states: %d sites, at most %d", n,
                          NQS_TOMO_MAX_QUBITS);
  }
  const long N = 1L << n, M = c->boltzmann.measurements;
  uint32_t masks[2 + 4096];
  int nb = 0;
  masks[nb++] = 0;
  if (strcmp(c->boltzmann.bases, "z") != 0) masks[nb++] = (uint32_t)(N - 1);
  if (strcmp(c->boltzmann.bases, "pairs") == 0)
    for (int b = 0; b < sys.nbonds && nb < 2 + 4096; b++) masks[nb++] = (1u << sys.bonds[b][0]) | (1u << sys.bonds[b][1]);
  double *psi = malloc(sizeof(double) * N), *model = malloc(sizeof(double) * N), *hist = calloc((size_t)nb * N, sizeof(double));
  double *params = malloc(sizeof(double) * (size_t)(n + nh + n * nh));
  uint32_t *rec = malloc(sizeof(uint32_t) * (size_t)M);
  FILE *csv = NULL;
  double e0 = 0;
  if (!psi || !model || !hist || !params || !rec) st = nqs_error_set(err, NQS_ENOMEM, "out of memory for %d qubits", n);
  if (!st) st = positive_ground_state(&sys, &e0, psi, err);
  if (!st && !(st = nqs_run_make_dir(c, 0, res->dir, sizeof res->dir, err))) st = nqs_run_write_config(c, "tomography", res->dir, err);
  if (!st) st = record(c, n, psi, masks, nb, M, hist, rec, err);
  char path[700];
  if (!st) {
    snprintf(path, sizeof path, "%s/tomography.csv", res->dir);
    if (!(csv = fopen(path, "w"))) st = nqs_error_set(err, NQS_EIO, "cannot write %s", path);
  }
  if (!st) {
    fprintf(csv, "epoch,nll,fidelity,wall_seconds\n");
    tomo_ctx t = {.csv = csv, .n = n, .nh = nh, .exact = psi, .model = model, .t0 = t0, .o = o, .epochs = c->boltzmann.epochs};
    st = nqs_tomo_train(n, nh, nb, masks, hist, c->boltzmann.epochs, c->boltzmann.learning_rate, c->run.seed, 1, params,
                        report, &t, err);
    res->fidelity = t.fidelity;
  }
  if (!st) st = nqs_bm_write_json(res->dir, n, nh, 0, params, err);
  if (!st) {
    double ent = 0; /* the Z-basis entropy: the best possible NLL of the Z records */
    for (long s = 0; s < N; s++)
      if (psi[s] != 0) ent -= psi[s] * psi[s] * log(psi[s] * psi[s]);
    cJSON *j = nqs_run_result_head("tomography", c);
    cJSON_AddNumberToObject(j, "qubits", n);
    cJSON_AddNumberToObject(j, "hidden", nh);
    cJSON_AddStringToObject(j, "model", c->lattice.model);
    cJSON_AddNumberToObject(j, "exact_energy", e0);
    cJSON_AddStringToObject(j, "bases", c->boltzmann.bases);
    cJSON_AddNumberToObject(j, "basis_count", nb);
    cJSON_AddNumberToObject(j, "records_per_basis", (double)M);
    cJSON_AddNumberToObject(j, "epochs", c->boltzmann.epochs);
    cJSON_AddNumberToObject(j, "fidelity", res->fidelity);
    cJSON_AddNumberToObject(j, "z_entropy", ent);
    res->n = n;
    res->bases = nb;
    res->wall_seconds = nqs_run_now() - t0;
    cJSON_AddNumberToObject(j, "wall_seconds", res->wall_seconds);
    st = nqs_run_write_json(res->dir, "result.json", j, err);
  }
  if (csv) fclose(csv);
  free(psi);
  free(model);
  free(hist);
  free(params);
  free(rec);
  nqs_spin_system_free(&sys);
  return st;
}
