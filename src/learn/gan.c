/* gan.c — `nqs gan FILE`: adversarial training of a generator of particle configurations
 * against a discriminator, then the generated one-body and pair densities and <r^2> against the
 * data's. See nqs/learn/gan.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/core/checkpoint.h"
#include "nqs/core/optimizer.h"
#include "nqs/learn/dataset.h"
#include "nqs/learn/gan.h"
#include "nqs/learn/regress.h" /* nqs_permutation */
#include "nqs/nn/net.h"
#include "run_internal.h"

typedef struct { /* Adam with its moments */
  int n;
  double lr, b1, *m, *v;
  long t;
} adam;

static void adam_step(adam *a, double *th, const double *g) { nqs_adam_step(th, g, a->m, a->v, a->n, a->lr, a->b1, ++a->t); }

/* checkpoint.h5 after every epoch: both networks, both Adams, the stream, the epoch. */
static nqs_status save_state(const nqs_config *c, const char *dir, const adam *ag, const adam *ad, const double *tg,
                             const double *td, const nqs_rng *rng, int epoch, nqs_error *err) {
  nqs_checkpoint ck;
  nqs_checkpoint_init(&ck);
  char *text = nqs_config_text(c, "gan");
  nqs_status st = text ? NQS_OK : nqs_error_set(err, NQS_ENOMEM, "out of memory");
  if (!st && !(st = nqs_checkpoint_put_text(&ck, "kind", "gan", err)) && !(st = nqs_checkpoint_put_text(&ck, "config", text, err)) &&
      !(st = nqs_checkpoint_put(&ck, "generator", tg, (size_t)ag->n, err)) &&
      !(st = nqs_checkpoint_put(&ck, "discriminator", td, (size_t)ad->n, err)) &&
      !(st = nqs_checkpoint_put(&ck, "generator_adam_m", ag->m, (size_t)ag->n, err)) &&
      !(st = nqs_checkpoint_put(&ck, "generator_adam_v", ag->v, (size_t)ag->n, err)) &&
      !(st = nqs_checkpoint_put(&ck, "discriminator_adam_m", ad->m, (size_t)ad->n, err)) &&
      !(st = nqs_checkpoint_put(&ck, "discriminator_adam_v", ad->v, (size_t)ad->n, err)) &&
      !(st = nqs_checkpoint_put_scalar(&ck, "epoch", epoch, err)) && !(st = nqs_checkpoint_put_scalar(&ck, "steps", (double)ag->t, err))) {
    uint64_t *rw = nqs_checkpoint_add(&ck, "rng", NQS_RECORD_U64, NQS_RNG_WORDS, 1, err);
    if (rw) nqs_rng_pack(rng, rw);
    st = rw ? nqs_checkpoint_write(dir, &ck, err) : NQS_ENOMEM;
  }
  free(text);
  nqs_checkpoint_free(&ck);
  return st;
}

static nqs_status load_state(const nqs_checkpoint *ck, adam *ag, adam *ad, double *tg, double *td, nqs_rng *rng, int *epoch,
                             nqs_error *err) {
  const char *names[6] = {"generator", "discriminator", "generator_adam_m", "generator_adam_v", "discriminator_adam_m",
                          "discriminator_adam_v"};
  double *into[6] = {tg, td, ag->m, ag->v, ad->m, ad->v};
  const int n[6] = {ag->n, ad->n, ag->n, ag->n, ad->n, ad->n};
  for (int k = 0; k < 6; k++) {
    const double *v = nqs_checkpoint_get(ck, names[k], NQS_RECORD_F64, (size_t)n[k], err);
    if (!v) return NQS_EINPUT;
    memcpy(into[k], v, sizeof(double) * n[k]);
  }
  const uint64_t *rw = nqs_checkpoint_get(ck, "rng", NQS_RECORD_U64, NQS_RNG_WORDS, err);
  long e, t;
  if (!rw) return NQS_EINPUT;
  nqs_status st = nqs_checkpoint_count(ck, "epoch", 0, 10000000, &e, err);
  if (!st) st = nqs_checkpoint_count(ck, "steps", 0, 1L << 52, &t, err);
  if (!st && nqs_rng_unpack(rng, rw)) st = nqs_error_set(err, NQS_EINPUT, "the checkpoint's random stream is invalid: the file is damaged");
  if (st) return st;
  *epoch = (int)e, ag->t = ad->t = t;
  return NQS_OK;
}

/* Histograms of the particle radii and the pair distances of rows x (n x N*dim), each a
 * probability density over [0, r_max) (bins of width r_max / bins); <r^2> per particle. */
static void densities(const double *x, long n, int N, int dim, int bins, double r_max, double *one, double *pair, double *r2,
                      double *r2_err) {
  memset(one, 0, sizeof(double) * bins), memset(pair, 0, sizeof(double) * bins);
  double s = 0, ss = 0;
  long no = 0, np = 0;
  for (long i = 0; i < n; i++) {
    const double *c = x + (size_t)i * N * dim;
    double row = 0;
    for (int a = 0; a < N; a++) {
      double q = 0;
      for (int k = 0; k < dim; k++) q += c[a * dim + k] * c[a * dim + k];
      row += q / N;
      const int b = (int)(sqrt(q) / r_max * bins);
      if (b < bins) one[b]++;
      no++;
      for (int e = a + 1; e < N; e++) {
        double d2 = 0;
        for (int k = 0; k < dim; k++) d2 += (c[a * dim + k] - c[e * dim + k]) * (c[a * dim + k] - c[e * dim + k]);
        const int bp = (int)(sqrt(d2) / (2 * r_max) * bins);
        if (bp < bins) pair[bp]++;
        np++;
      }
    }
    s += row, ss += row * row;
  }
  for (int b = 0; b < bins; b++) one[b] /= no * (r_max / bins), pair[b] /= (np ? np : 1) * (2 * r_max / bins);
  *r2 = s / n;
  *r2_err = n > 1 ? sqrt(fmax(ss / n - *r2 * *r2, 0) / (n - 1)) : NAN;
}

static double l1(const double *a, const double *b, int bins, double width) {
  double d = 0;
  for (int k = 0; k < bins; k++) d += fabs(a[k] - b[k]) * width;
  return d;
}

/* The physics of the generated rows (fake, M x nc) against the data's (x, nr x nc): <r^2>, the
 * one-body and pair densities and their L1 distances, and the same distances between the two
 * halves of the data; gan_densities.csv, and generated.csv (up to 10^4 rows). */
static nqs_status judge(const nqs_config *c, const char *dir, const double *x, int nr, int nc, const double *fake, long M,
                        nqs_gan_result *res, nqs_error *err) {
  const int dim = c->gan.dimensions, N = nc / dim, bins = c->gan.bins;
  double *h[8], a, b;
  int ok = 1;
  for (int k = 0; k < 8; k++) ok &= (h[k] = malloc(sizeof(double) * bins)) != NULL;
  nqs_status st = ok ? NQS_OK : nqs_error_set(err, NQS_ENOMEM, "out of memory for the densities");
  double r_max = c->gan.r_max, largest = 0;
  for (long i = 0; !(r_max > 0) && i < (long)nr * N; i++) {
    double q = 0;
    for (int k = 0; k < dim; k++) q += x[(size_t)i * dim + k] * x[(size_t)i * dim + k];
    largest = fmax(largest, sqrt(q));
  }
  if (!(r_max > 0)) r_max = largest * 1.0001;
  const double w1 = r_max / bins, w2 = 2 * r_max / bins;
  char path[700];
  FILE *csv = NULL;
  if (!st) {
    densities(x, nr, N, dim, bins, r_max, h[0], h[1], &res->r2_data, &res->r2_data_error);
    densities(fake, M, N, dim, bins, r_max, h[2], h[3], &res->r2_gan, &res->r2_gan_error);
    densities(x, nr / 2, N, dim, bins, r_max, h[4], h[5], &a, &b);
    densities(x + (size_t)(nr / 2) * nc, nr - nr / 2, N, dim, bins, r_max, h[6], h[7], &a, &b);
    res->l1_onebody = l1(h[0], h[2], bins, w1), res->l1_pair = l1(h[1], h[3], bins, w2);
    res->l1_onebody_floor = l1(h[4], h[6], bins, w1), res->l1_pair_floor = l1(h[5], h[7], bins, w2);
    snprintf(path, sizeof path, "%s/gan_densities.csv", dir);
    if (!(csv = fopen(path, "w"))) st = nqs_error_set(err, NQS_EIO, "cannot write %s", path);
  }
  if (!st) {
    fprintf(csv, "r,onebody_data,onebody_gan,r12,pair_data,pair_gan\n");
    for (int k = 0; k < bins; k++)
      fprintf(csv, "%.6g,%.8g,%.8g,%.6g,%.8g,%.8g\n", (k + 0.5) * w1, h[0][k], h[2][k], (k + 0.5) * w2, h[1][k], h[3][k]);
    if (fclose(csv)) st = nqs_error_set(err, NQS_EIO, "cannot finish %s (disk full?)", path);
  }
  if (!st) {
    snprintf(path, sizeof path, "%s/generated.csv", dir);
    st = nqs_dataset_write_coords(path, fake, M < 10000 ? M : 10000, nc, err);
  }
  for (int k = 0; k < 8; k++) free(h[k]);
  return st;
}

/* The two networks with their parameters, gradients, workspaces and optimisers. */
typedef struct {
  const nqs_net *G, *D;
  double *tg, *td, *gg, *gd, *wg, *wd, *z, *dx;
  adam *ag, *ad;
  int Z, nc, B;
} gan_pair;

/* One pass over the data rows x (nr x nc, scaled by inv) in mini-batches of B: per batch, one
 * discriminator step (real rows labelled 1, generated ones 0), then one generator step on
 * -ln D(G(z)) through D's input gradient. out: mean D loss, G loss, D on real and on generated rows. */
static void gan_epoch(gan_pair *n, const double *x, int nr, double inv, long *perm, nqs_rng *rng, double out[4]) {
  const int B = n->B, nc = n->nc;
  double dl = 0, gl = 0, dreal = 0, dfake = 0, p[2], xs[4096];
  long steps = 0;
  nqs_permutation(nr, perm, rng);
  for (long b0 = 0; b0 + B <= nr; b0 += B, steps++) {
    memset(n->gd, 0, sizeof(double) * n->D->np);
    for (int i = 0; i < B; i++) {
      for (int k = 0; k < nc; k++) xs[k] = x[(size_t)perm[b0 + i] * nc + k] * inv;
      dl += nqs_net_loss_grad(n->D, n->td, xs, 1, 0.5 / B, n->gd, p, n->wd) / B, dreal += p[1] / B;
      for (int k = 0; k < n->Z; k++) n->z[k] = nqs_rng_normal(rng);
      memcpy(xs, nqs_net_outputs(n->G, n->tg, n->z, n->wg), sizeof(double) * nc);
      dl += nqs_net_loss_grad(n->D, n->td, xs, 0, 0.5 / B, n->gd, p, n->wd) / B, dfake += p[1] / B;
    }
    adam_step(n->ad, n->td, n->gd);
    memset(n->gg, 0, sizeof(double) * n->G->np);
    for (int i = 0; i < B; i++) {
      for (int k = 0; k < n->Z; k++) n->z[k] = nqs_rng_normal(rng);
      memcpy(xs, nqs_net_outputs(n->G, n->tg, n->z, n->wg), sizeof(double) * nc);
      nqs_net_forward(n->D, n->td, xs, p, n->wd);
      const double dy[2] = {p[0], p[1] - 1};
      nqs_net_backward(n->D, n->td, dy, 1, NULL, n->dx, n->wd);
      gl += -log(fmax(p[1], 1e-300)) / B;
      nqs_net_backward(n->G, n->tg, n->dx, 1.0 / B, n->gg, NULL, n->wg);
    }
    adam_step(n->ag, n->tg, n->gg);
  }
  out[0] = dl / steps, out[1] = gl / steps, out[2] = dreal / steps, out[3] = dfake / steps;
}

nqs_status nqs_gan_run(const nqs_config *c, const nqs_run_options *o, nqs_gan_result *res, nqs_error *err) {
  memset(res, 0, sizeof *res);
  const double t0 = nqs_run_now();
  double *x = NULL;
  int nr = 0, nc = 0;
  nqs_status st = nqs_config_check_keys(c, "gan", err);
  if (!st && !c->gan.data[0])
    st = nqs_error_setk(err, NQS_EINPUT, "gan.data", "no data: set [gan] data = samples.csv (nqs run with evaluation.dump_samples "
                        "= 20000 writes one)");
  if (!st) st = nqs_error_key(err, nqs_dataset_read(c->gan.data, 0, &x, &nr, &nc, err), "gan.data");
  if (st) return st;
  const int dim = c->gan.dimensions, N = nc / dim, B = c->gan.batch, Z = c->gan.latent;
  nqs_net G, D;
  double *tg = NULL, *td = NULL, *gg = NULL, *gd = NULL, *wg = NULL, *wd = NULL, *z = NULL, *dx = NULL, *fake = NULL;
  long *perm = NULL;
  adam ag = {0}, ad = {0};
  FILE *csv = NULL;
  int lock = -1;
  if (nc > 4096) {
    st = nqs_error_setk(err, NQS_EINPUT, "gan.data", "%s has %d columns, at most 4096", c->gan.data, nc);
    goto done;
  }
  if (nc % dim) {
    st = nqs_error_setk(err, NQS_EINPUT, "gan.dimensions", "%s has %d columns, not a multiple of %d coordinates per particle",
                        c->gan.data, nc, dim);
    goto done;
  }
  if (nr < 2 * B) {
    st = nqs_error_setk(err, NQS_EINPUT, "gan.batch", "%s has %d rows, fewer than two batches of %d", c->gan.data, nr, B);
    goto done;
  }
  if ((st = nqs_error_key(err, nqs_net_parse(&G, c->gan.generator, 1, 1, Z, nc, err), "gan.generator")) ||
      (st = nqs_error_key(err, nqs_net_parse(&D, c->gan.discriminator, 1, 1, nc, 2, err), "gan.discriminator")))
    goto done;
  res->rows = nr, res->particles = N, res->gen_params = G.np, res->disc_params = D.np;
  tg = malloc(sizeof(double) * G.np), gg = malloc(sizeof(double) * G.np), td = malloc(sizeof(double) * D.np);
  gd = malloc(sizeof(double) * D.np), wg = malloc(sizeof(double) * nqs_net_work_size(&G)), wd = malloc(sizeof(double) * nqs_net_work_size(&D));
  z = malloc(sizeof(double) * Z), dx = malloc(sizeof(double) * nc), perm = malloc(sizeof(long) * nr);
  const long M = c->gan.generated;
  fake = malloc(sizeof(double) * (size_t)M * nc);
  ag = (adam){G.np, c->gan.learning_rate, c->gan.beta1, calloc(G.np, sizeof(double)), calloc(G.np, sizeof(double)), 0};
  ad = (adam){D.np, c->gan.learning_rate, c->gan.beta1, calloc(D.np, sizeof(double)), calloc(D.np, sizeof(double)), 0};
  int ok = tg && gg && td && gd && wg && wd && z && dx && perm && fake && ag.m && ag.v && ad.m && ad.v;
  if (!ok) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory for the GAN");
    goto done;
  }
  /* the scale: the rms coordinate of the data */
  double rms = 0;
  for (size_t k = 0; k < (size_t)nr * nc; k++) rms += x[k] * x[k];
  rms = sqrt(rms / ((double)nr * nc));
  if (!(rms > 0)) {
    st = nqs_error_setk(err, NQS_EINPUT, "gan.data", "every coordinate in %s is 0", c->gan.data);
    goto done;
  }
  nqs_rng rng;
  nqs_rng_seed(&rng, c->run.seed, 0x6A11);
  nqs_net_init_params(&G, tg, &rng);
  nqs_net_init_params(&D, td, &rng);
  const nqs_checkpoint *ck = o ? o->restart : NULL;
  int e0 = 0;
  if (ck && ((st = nqs_run_check_folder(ck, c->output.dir, "gan", "gan", "epochs generated bins r_max", err)) ||
             (st = load_state(ck, &ag, &ad, tg, td, &rng, &e0, err))))
    goto done;
  if ((st = nqs_run_open_training(c, "gan", ck != NULL, e0, "gan_training.csv",
                                   "epoch,discriminator_loss,generator_loss,d_real,d_fake,wall_seconds", res->dir,
                                   sizeof res->dir, &lock, &csv, err)))
    goto done;
  gan_pair pair = {&G, &D, tg, td, gg, gd, wg, wd, z, dx, &ag, &ad, Z, nc, B};
  res->epochs = e0;
  for (int e = e0 + 1; e <= c->gan.epochs && !st; e++) {
    double ep[4]; /* discriminator and generator losses, mean D on real and generated rows */
    gan_epoch(&pair, x, nr, 1 / rms, perm, &rng, ep);
    const double dl = ep[0], gl = ep[1], dreal = ep[2], dfake = ep[3];
    if (!isfinite(dl) || !isfinite(gl)) {
      st = nqs_error_set(err, NQS_EFAILED, "the GAN diverged at epoch %d: lower gan.learning_rate", e);
      break;
    }
    fprintf(csv, "%d,%.8g,%.8g,%.6f,%.6f,%.3f\n", e, dl, gl, dreal, dfake, nqs_run_now() - t0);
    fflush(csv);
    res->epochs = e;
    if ((st = save_state(c, res->dir, &ag, &ad, tg, td, &rng, e, err))) break;
    if (o && o->progress) {
      nqs_progress pr = {.phase = "train", .iteration = e, .iterations = c->gan.epochs, .fraction = (double)e / c->gan.epochs,
                         .has_energy = 1, .energy = dfake, .elapsed = nqs_run_now() - t0};
      o->progress(o->user, &pr);
    }
  }
  if (fclose(csv) && !st) st = nqs_error_set(err, NQS_EIO, "cannot finish %s/gan_training.csv (disk full?)", res->dir);
  csv = NULL;
  if (st) goto done;

  /* the judgement by physics */
  for (long i = 0; i < M; i++) {
    for (int k = 0; k < Z; k++) z[k] = nqs_rng_normal(&rng);
    const double *g = nqs_net_outputs(&G, tg, z, wg);
    for (int k = 0; k < nc; k++) fake[(size_t)i * nc + k] = g[k] * rms;
  }
  if ((st = judge(c, res->dir, x, nr, nc, fake, M, res, err))) goto done;
  cJSON *j = nqs_run_result_head("gan", c);
  cJSON_AddStringToObject(j, "data", c->gan.data);
  cJSON_AddNumberToObject(j, "rows", nr);
  cJSON_AddNumberToObject(j, "particles", N);
  cJSON_AddNumberToObject(j, "dimensions", dim);
  cJSON_AddNumberToObject(j, "generator_parameters", G.np);
  cJSON_AddNumberToObject(j, "discriminator_parameters", D.np);
  cJSON_AddNumberToObject(j, "epochs", res->epochs);
  cJSON *r2 = cJSON_AddObjectToObject(j, "r2_per_particle");
  cJSON_AddNumberToObject(r2, "data", res->r2_data);
  cJSON_AddNumberToObject(r2, "data_error", res->r2_data_error);
  cJSON_AddNumberToObject(r2, "generated", res->r2_gan);
  cJSON_AddNumberToObject(r2, "generated_error", res->r2_gan_error);
  cJSON *dj = cJSON_AddObjectToObject(j, "density_l1");
  cJSON_AddNumberToObject(dj, "onebody", res->l1_onebody);
  cJSON_AddNumberToObject(dj, "pair", res->l1_pair);
  cJSON_AddNumberToObject(dj, "onebody_between_data_halves", res->l1_onebody_floor);
  cJSON_AddNumberToObject(dj, "pair_between_data_halves", res->l1_pair_floor);
  res->wall_seconds = nqs_run_now() - t0;
  cJSON_AddNumberToObject(j, "wall_seconds", res->wall_seconds);
  st = nqs_run_write_json(res->dir, "result.json", j, err);
done:
  if (csv) fclose(csv);
  nqs_run_unlock(lock);
  free(x), free(tg), free(td), free(gg), free(gd), free(wg), free(wd), free(z), free(dx), free(perm), free(fake);
  free(ag.m), free(ag.v), free(ad.m), free(ad.v);
  return st;
}
