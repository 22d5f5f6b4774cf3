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

int main(void) {
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
