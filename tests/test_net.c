/* test_net.c — back-propagation of every layer kind against central differences of the loss,
 * for the parameters and for the inputs; the parser's errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "nqs/nn/net.h"

/* The central difference of the loss -ln p_label(x) with respect to v[k] (v: the parameters or x). */
static double central(const nqs_net *net, const double *th, const double *x, int label, double *v, int k, double *work) {
  const double h = 1e-6, v0 = v[k];
  double p[16];
  v[k] = v0 + h;
  nqs_net_forward(net, th, x, p, work);
  const double lp = -log(p[label]);
  v[k] = v0 - h;
  nqs_net_forward(net, th, x, p, work);
  const double lm = -log(p[label]);
  v[k] = v0;
  return (lp - lm) / (2 * h);
}

static void fd_check(const char *spec, int c, int h, int w, int classes, uint64_t seed) {
  nqs_net net;
  nqs_error err = {0};
  if (nqs_net_parse(&net, spec, c, h, w, classes, &err)) {
    CHECK(0, "%s: %s", spec, err.msg);
    return;
  }
  double *th = malloc(sizeof(double) * net.np), *g = calloc(net.np, sizeof(double)), *work = malloc(sizeof(double) * nqs_net_work_size(&net));
  double *x = malloc(sizeof(double) * net.in_size), p[16];
  nqs_rng r;
  nqs_rng_seed(&r, seed, 3);
  nqs_net_init_params(&net, th, &r);
  for (int q = 0; q < net.np; q++) th[q] += 0.1 * nqs_rng_normal(&r); /* biases away from 0 */
  for (int i = 0; i < net.in_size; i++) x[i] = nqs_rng_normal(&r);
  const int label = 1;
  nqs_net_loss_grad(&net, th, x, label, 0.5, g, p, work);
  double worst = 0, gmax = 0;
  for (int q = 0; q < net.np; q++) {
    worst = fmax(worst, fabs(0.5 * central(&net, th, x, label, th, q, work) - g[q]));
    gmax = fmax(gmax, fabs(g[q]));
  }
  /* the input gradient (what a GAN's generator is trained through) */
  double *dx = malloc(sizeof(double) * net.in_size), dy[16], wx = 0;
  nqs_net_forward(&net, th, x, p, work);
  for (int k = 0; k < classes; k++) dy[k] = p[k] - (k == label);
  nqs_net_backward(&net, th, dy, 1, NULL, dx, work);
  for (int i = 0; i < net.in_size; i++) wx = fmax(wx, fabs(central(&net, th, x, label, x, i, work) - dx[i]));
  free(dx);
  worst = fmax(worst, wx);
  char d[256];
  nqs_net_describe(&net, d, sizeof d);
  CHECK(worst < 1e-7 * fmax(1, gmax) && gmax > 0, "%s on %dx%dx%d: every parameter and input derivative of the "
        "cross-entropy equals a central difference to %.1e (largest %.3f)", d, c, h, w, worst, gmax);
  free(th), free(g), free(work), free(x);
}

/* The gradient of a batch passed in parts, the dense layers' weight gradients summed afterwards
 * over the parts (nqs_net_dense_grad, their output rows in two halves), against the same batch
 * in one call: equal to round-off, and to the last bit when the batch is one part. */
static void parts_check(const char *spec, int c, int h, int w, int classes, uint64_t seed) {
  enum { N = 13, PARTS = 3 };
  static const int split[2][PARTS] = {{5, 0, 8}, {13, 0, 0}};
  nqs_net net;
  nqs_error err = {0};
  if (nqs_net_parse(&net, spec, c, h, w, classes, &err)) {
    CHECK(0, "%s: %s", spec, err.msg);
    return;
  }
  const int ws = nqs_net_batch_work_size(&net, N), ks = nqs_net_keep_size(&net, N);
  double *th = malloc(sizeof(double) * net.np), *ref = calloc(net.np, sizeof(double)), *X = malloc(sizeof(double) * N * net.in_size);
  double *P = malloc(sizeof(double) * N * classes), *work[PARTS], *keep[PARTS];
  int lab[N];
  nqs_rng r;
  nqs_rng_seed(&r, seed, 9);
  nqs_net_init_params(&net, th, &r);
  for (int q = 0; q < net.np; q++) th[q] += 0.1 * nqs_rng_normal(&r);
  for (int i = 0; i < N * net.in_size; i++) X[i] = nqs_rng_normal(&r);
  for (int s = 0; s < N; s++) lab[s] = s % classes;
  for (int p = 0; p < PARTS; p++) work[p] = malloc(sizeof(double) * ws), keep[p] = malloc(sizeof(double) * ks);
  const double lref = nqs_net_loss_grad_batch(&net, th, X, lab, N, 0.25, ref, P, work[0], NULL);
  double worst[2] = {0, 0}, gmax = 0, lerr = 0;
  for (int q = 0; q < net.np; q++) gmax = fmax(gmax, fabs(ref[q]));
  for (int t = 0; t < 2; t++) {
    double *g = calloc(net.np, sizeof(double)), loss = 0;
    for (int p = 0, s0 = 0; p < PARTS; s0 += split[t][p], p++)
      if (split[t][p]) loss += nqs_net_loss_grad_batch(&net, th, X + (size_t)s0 * net.in_size, lab + s0, split[t][p], 0.25, g, P, work[p], keep[p]);
    for (int i = 0; i < net.nl; i++)
      if (net.l[i].kind == NQS_LAYER_DENSE) {
        const int half = net.l[i].out_c / 2;
        nqs_net_dense_grad(&net, i, 0, half, PARTS, split[t], work, keep, 0.25, g);
        nqs_net_dense_grad(&net, i, half, net.l[i].out_c, PARTS, split[t], work, keep, 0.25, g);
      }
    for (int q = 0; q < net.np; q++) worst[t] = fmax(worst[t], fabs(g[q] - ref[q]));
    lerr = fmax(lerr, fabs(loss - lref));
    free(g);
  }
  char d[256];
  nqs_net_describe(&net, d, sizeof d);
  CHECK(worst[0] < 1e-14 * fmax(1, gmax) && worst[1] == 0 && lerr < 1e-12 * fabs(lref) && gmax > 0,
        "%s: a batch of %d in parts 5, 0, 8 with the dense weight gradients summed afterwards gives the one-call gradient to "
        "%.1e (largest %.3f), in one part to the last bit", d, N, worst[0], gmax);
  for (int p = 0; p < PARTS; p++) free(work[p]), free(keep[p]);
  free(th), free(ref), free(X), free(P);
}

int main(void) {
  parts_check("conv3, tanh, pool, dense5, sigmoid", 1, 4, 4, 2, 1);
  parts_check("dense20, sigmoid, dense7, relu", 1, 1, 37, 3, 2);
  fd_check("conv3, tanh, pool, dense5, sigmoid", 1, 4, 4, 2, 1);
  fd_check("conv2k3, relu, conv3k5, tanh, dense4", 2, 6, 6, 3, 2);
  fd_check("conv4, relu, pool, conv2, sigmoid, pool, dense6, relu", 1, 8, 8, 2, 3);
  fd_check("dense6, tanh, dense4, relu", 1, 1, 7, 2, 4);
  fd_check("", 1, 3, 5, 4, 5); /* logistic regression */
  nqs_net net;
  nqs_error err = {0};
  CHECK(nqs_net_parse(&net, "conv8, pool, pool, pool", 1, 4, 4, 2, &err) == NQS_EINPUT && strstr(err.msg, "even sides"),
        "pooling a 1 x 1 map is refused: %s", err.msg);
  CHECK(nqs_net_parse(&net, "dense8, conv4", 1, 4, 4, 2, &err) == NQS_EINPUT && strstr(err.msg, "needs a lattice"),
        "a convolution after a dense layer is refused: %s", err.msg);
  CHECK(nqs_net_parse(&net, "conv4k2", 1, 4, 4, 2, &err) == NQS_EINPUT && strstr(err.msg, "odd"), "an even kernel is refused: %s", err.msg);
  CHECK(nqs_net_parse(&net, "conv4k9", 1, 12, 12, 2, &err) == NQS_EINPUT && strstr(err.msg, "at most 7") &&
            nqs_net_parse(&net, "conv4k7", 1, 12, 12, 2, &err) == NQS_OK,
        "a kernel wider than 7 is refused, 7 taken: %s", err.msg);
  CHECK(nqs_net_parse(&net, "conv4, softmax", 1, 4, 4, 2, &err) == NQS_EINPUT && strstr(err.msg, "unknown layer 'softmax'"),
        "an unknown layer is named: %s", err.msg);
  CHECK(nqs_net_parse(&net, "conv8k5, relu, pool, dense32", 1, 10, 10, 2, &err) == NQS_OK &&
            net.np == 8 * 25 + 8 + 32 * 200 + 32 + 2 * 32 + 2,
        "conv8k5, relu, pool, dense32 on 10 x 10: %d parameters", net.np);
  return check_done();
}
