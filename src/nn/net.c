/* net.c — sequential dense/convolutional classifiers with back-propagation. See nqs/nn/net.h. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/nn/net.h"

static nqs_status add_layer(nqs_net *net, nqs_layer_kind kind, int arg, int k, const char *tok, nqs_error *err) {
  if (net->nl == NQS_NET_MAX_LAYERS)
    return nqs_error_set(err, NQS_EINPUT, "at most %d layers (at '%s')", NQS_NET_MAX_LAYERS, tok);
  const nqs_layer *prev = net->nl ? &net->l[net->nl - 1] : NULL;
  nqs_layer L = {.kind = kind};
  L.in_c = prev ? prev->out_c : net->l[NQS_NET_MAX_LAYERS - 1].out_c; /* the input shape is parked in the last slot */
  L.in_h = prev ? prev->out_h : net->l[NQS_NET_MAX_LAYERS - 1].out_h;
  L.in_w = prev ? prev->out_w : net->l[NQS_NET_MAX_LAYERS - 1].out_w;
  L.in_size = L.in_c * L.in_h * L.in_w;
  L.out_c = L.in_c, L.out_h = L.in_h, L.out_w = L.in_w;
  switch (kind) {
  case NQS_LAYER_DENSE:
    L.out_c = arg, L.out_h = L.out_w = 1;
    L.np = arg * L.in_size + arg;
    break;
  case NQS_LAYER_CONV:
    if (L.in_h == 1 && L.in_w == 1 && prev)
      return nqs_error_set(err, NQS_EINPUT, "'%s': a convolution needs a lattice, but a dense layer came before it", tok);
    if (k < 1 || k % 2 == 0 || k > L.in_h || k > L.in_w)
      return nqs_error_set(err, NQS_EINPUT, "'%s': the kernel must be odd and at most the lattice (%d x %d)", tok, L.in_h, L.in_w);
    L.k = k, L.out_c = arg;
    L.np = arg * L.in_c * k * k + arg;
    break;
  case NQS_LAYER_POOL:
    if (L.in_h % 2 || L.in_w % 2 || L.in_h < 2)
      return nqs_error_set(err, NQS_EINPUT, "'%s': 2 x 2 pooling needs even sides (the input here is %d x %d)", tok, L.in_h, L.in_w);
    L.out_h = L.in_h / 2, L.out_w = L.in_w / 2;
    break;
  default:
    break;
  }
  L.out_size = L.out_c * L.out_h * L.out_w;
  L.off = net->np;
  net->np += L.np;
  net->l[net->nl++] = L;
  return NQS_OK;
}

nqs_status nqs_net_parse(nqs_net *net, const char *spec, int c, int h, int w, int classes, nqs_error *err) {
  memset(net, 0, sizeof *net);
  if (c < 1 || h < 1 || w < 1 || classes < 2)
    return nqs_error_set(err, NQS_EINPUT, "a classifier needs inputs and at least 2 classes");
  net->l[NQS_NET_MAX_LAYERS - 1].out_c = c, net->l[NQS_NET_MAX_LAYERS - 1].out_h = h, net->l[NQS_NET_MAX_LAYERS - 1].out_w = w;
  net->classes = classes, net->in_size = c * h * w;
  char buf[512];
  snprintf(buf, sizeof buf, "%s", spec);
  nqs_status st = NQS_OK;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && !st; tok = strtok_r(NULL, ",", &save)) {
    while (isspace((unsigned char)*tok)) tok++;
    for (size_t n = strlen(tok); n && isspace((unsigned char)tok[n - 1]); n--) tok[n - 1] = 0;
    if (!*tok) continue;
    int a = 0, k = 3, used = 0, u2 = 0;
    if (strcmp(tok, "relu") == 0) st = add_layer(net, NQS_LAYER_RELU, 0, 0, tok, err);
    else if (strcmp(tok, "tanh") == 0) st = add_layer(net, NQS_LAYER_TANH, 0, 0, tok, err);
    else if (strcmp(tok, "sigmoid") == 0) st = add_layer(net, NQS_LAYER_SIGMOID, 0, 0, tok, err);
    else if (strcmp(tok, "pool") == 0) st = add_layer(net, NQS_LAYER_POOL, 0, 0, tok, err);
    else if (sscanf(tok, "dense%d%n", &a, &used) == 1 && !tok[used] && a >= 1 && a <= 100000)
      st = add_layer(net, NQS_LAYER_DENSE, a, 0, tok, err);
    else if (sscanf(tok, "conv%d%n", &a, &used) == 1 && a >= 1 && a <= 4096 &&
             (!tok[used] || (sscanf(tok + used, "k%d%n", &k, &u2) == 1 && !tok[used + u2])))
      st = add_layer(net, NQS_LAYER_CONV, a, k, tok, err);
    else
      st = nqs_error_set(err, NQS_EINPUT, "unknown layer '%s': use convF or convFkK (F filters, K x K kernel), pool, denseN, "
                         "relu, tanh, sigmoid", tok);
  }
  if (!st) st = add_layer(net, NQS_LAYER_DENSE, classes, 0, "the output layer", err);
  if (st) return st;
  int act = net->in_size;
  for (int i = 0; i < net->nl; i++) net->l[i].act = act, act += net->l[i].out_size;
  net->act_size = act;
  return NQS_OK;
}

void nqs_net_init_params(const nqs_net *net, double *theta, nqs_rng *rng) {
  for (int i = 0; i < net->nl; i++) {
    const nqs_layer *L = &net->l[i];
    if (!L->np) continue;
    const int nb = L->out_c, fan = L->kind == NQS_LAYER_DENSE ? L->in_size : L->in_c * L->k * L->k;
    const double sd = sqrt(2.0 / fan);
    for (int q = 0; q < L->np - nb; q++) theta[L->off + q] = sd * nqs_rng_normal(rng);
    for (int q = L->np - nb; q < L->np; q++) theta[L->off + q] = 0;
  }
}

static int max_size(const nqs_net *net) {
  int m = net->in_size;
  for (int i = 0; i < net->nl; i++) m = net->l[i].out_size > m ? net->l[i].out_size : m;
  return m;
}

int nqs_net_work_size(const nqs_net *net) { return net->act_size + 2 * max_size(net); }

static void layer_forward(const nqs_layer *L, const double *th, const double *in, double *out) {
  switch (L->kind) {
  case NQS_LAYER_DENSE: {
    const double *W = th + L->off, *b = W + (size_t)L->out_c * L->in_size;
    for (int o = 0; o < L->out_c; o++) {
      double z = b[o];
      const double *w = W + (size_t)o * L->in_size;
      for (int i = 0; i < L->in_size; i++) z += w[i] * in[i];
      out[o] = z;
    }
    break;
  }
  case NQS_LAYER_CONV: {
    const int H = L->in_h, Wd = L->in_w, K = L->k, r = K / 2, C = L->in_c;
    const double *W = th + L->off, *b = W + (size_t)L->out_c * C * K * K;
    for (int f = 0; f < L->out_c; f++) {
      double *o = out + (size_t)f * H * Wd;
      for (int p = 0; p < H * Wd; p++) o[p] = b[f];
      for (int c = 0; c < C; c++)
        for (int dy = 0; dy < K; dy++)
          for (int dx = 0; dx < K; dx++) {
            const double w = W[((size_t)(f * C + c) * K + dy) * K + dx];
            const double *src = in + (size_t)c * H * Wd;
            for (int y = 0; y < H; y++) {
              const double *row = src + (size_t)((y + dy - r + H) % H) * Wd;
              const int sx = (dx - r + Wd) % Wd;
              double *orow = o + (size_t)y * Wd;
              for (int x = 0; x < Wd - sx; x++) orow[x] += w * row[x + sx];
              for (int x = Wd - sx; x < Wd; x++) orow[x] += w * row[x + sx - Wd];
            }
          }
    }
    break;
  }
  case NQS_LAYER_POOL:
    for (int c = 0; c < L->out_c; c++)
      for (int y = 0; y < L->out_h; y++)
        for (int x = 0; x < L->out_w; x++) {
          const double *s = in + ((size_t)c * L->in_h + 2 * y) * L->in_w + 2 * x;
          out[((size_t)c * L->out_h + y) * L->out_w + x] = fmax(fmax(s[0], s[1]), fmax(s[L->in_w], s[L->in_w + 1]));
        }
    break;
  case NQS_LAYER_RELU:
    for (int i = 0; i < L->in_size; i++) out[i] = in[i] > 0 ? in[i] : 0;
    break;
  case NQS_LAYER_TANH:
    for (int i = 0; i < L->in_size; i++) out[i] = tanh(in[i]);
    break;
  case NQS_LAYER_SIGMOID:
    for (int i = 0; i < L->in_size; i++) out[i] = 1 / (1 + exp(-in[i]));
    break;
  }
}

/* Given dL/dout (dout), ADD scale * dL/dtheta to g and write dL/din (din, unless the first layer). */
static void layer_backward(const nqs_layer *L, const double *th, const double *in, const double *out, const double *dout,
                           double scale, double *g, double *din) {
  if (!din && !L->np) return; /* the first layer has no input gradient to pass on */
  switch (L->kind) {
  case NQS_LAYER_DENSE: {
    const double *W = th + L->off;
    double *gW = g ? g + L->off : NULL, *gb = g ? gW + (size_t)L->out_c * L->in_size : NULL;
    if (din) memset(din, 0, sizeof(double) * L->in_size);
    for (int o = 0; o < L->out_c; o++) {
      const double d = dout[o], ds = scale * d;
      if (d == 0) continue;
      const double *w = W + (size_t)o * L->in_size;
      if (g) {
        gb[o] += ds;
        double *gw = gW + (size_t)o * L->in_size;
        for (int i = 0; i < L->in_size; i++) gw[i] += ds * in[i];
      }
      if (din)
        for (int i = 0; i < L->in_size; i++) din[i] += d * w[i];
    }
    break;
  }
  case NQS_LAYER_CONV: {
    const int H = L->in_h, Wd = L->in_w, K = L->k, r = K / 2, C = L->in_c;
    const double *W = th + L->off;
    double *gW = g ? g + L->off : NULL, *gb = g ? gW + (size_t)L->out_c * C * K * K : NULL;
    if (din) memset(din, 0, sizeof(double) * L->in_size);
    for (int f = 0; f < L->out_c; f++) {
      const double *d = dout + (size_t)f * H * Wd;
      double s = 0;
      for (int p = 0; p < H * Wd; p++) s += d[p];
      if (g) gb[f] += scale * s;
      for (int c = 0; c < C; c++)
        for (int dy = 0; dy < K; dy++)
          for (int dx = 0; dx < K; dx++) {
            const size_t wi = ((size_t)(f * C + c) * K + dy) * K + dx;
            const double w = W[wi];
            const double *src = in + (size_t)c * H * Wd;
            double *dsrc = din ? din + (size_t)c * H * Wd : NULL;
            double acc = 0;
            for (int y = 0; y < H; y++) {
              const size_t ry = (size_t)((y + dy - r + H) % H) * Wd;
              const int sx = (dx - r + Wd) % Wd;
              const double *drow = d + (size_t)y * Wd;
              for (int x = 0; x < Wd; x++) {
                const int xx = x + sx < Wd ? x + sx : x + sx - Wd;
                acc += drow[x] * src[ry + xx];
                if (dsrc) dsrc[ry + xx] += w * drow[x];
              }
            }
            if (g) gW[wi] += scale * acc;
          }
    }
    break;
  }
  case NQS_LAYER_POOL: /* the gradient goes to the first maximum of each window */
    memset(din, 0, sizeof(double) * L->in_size);
    for (int c = 0; c < L->out_c; c++)
      for (int y = 0; y < L->out_h; y++)
        for (int x = 0; x < L->out_w; x++) {
          const size_t o = ((size_t)c * L->out_h + y) * L->out_w + x, base = ((size_t)c * L->in_h + 2 * y) * L->in_w + 2 * x;
          const size_t cand[4] = {base, base + 1, base + L->in_w, base + L->in_w + 1};
          int best = 0;
          for (int q = 1; q < 4; q++)
            if (in[cand[q]] > in[cand[best]]) best = q;
          din[cand[best]] += dout[o];
        }
    break;
  case NQS_LAYER_RELU:
    for (int i = 0; i < L->in_size; i++) din[i] = in[i] > 0 ? dout[i] : 0;
    break;
  case NQS_LAYER_TANH:
    for (int i = 0; i < L->in_size; i++) din[i] = dout[i] * (1 - out[i] * out[i]);
    break;
  case NQS_LAYER_SIGMOID:
    for (int i = 0; i < L->in_size; i++) din[i] = dout[i] * out[i] * (1 - out[i]);
    break;
  }
}

const double *nqs_net_outputs(const nqs_net *net, const double *theta, const double *x, double *work) {
  memcpy(work, x, sizeof(double) * net->in_size);
  const double *in = work;
  for (int i = 0; i < net->nl; i++) {
    double *out = work + net->l[i].act;
    layer_forward(&net->l[i], theta, in, out);
    in = out;
  }
  return in;
}

void nqs_net_forward(const nqs_net *net, const double *theta, const double *x, double *p, double *work) {
  const double *z = nqs_net_outputs(net, theta, x, work);
  double m = z[0], s = 0; /* softmax of the logits, shifted by their largest */
  for (int k = 1; k < net->classes; k++) m = fmax(m, z[k]);
  for (int k = 0; k < net->classes; k++) s += p[k] = exp(z[k] - m);
  for (int k = 0; k < net->classes; k++) p[k] /= s;
}

void nqs_net_backward(const nqs_net *net, const double *theta, const double *dy, double scale, double *grad, double *dx,
                      double *work) {
  const int M = max_size(net);
  double *d = work + net->act_size, *dn = d + M;
  memcpy(d, dy, sizeof(double) * net->classes);
  for (int i = net->nl - 1; i >= 0; i--) {
    const nqs_layer *L = &net->l[i];
    const double *in = i ? work + net->l[i - 1].act : work;
    layer_backward(L, theta, in, work + L->act, d, scale, grad, i ? dn : dx);
    double *t = d;
    d = dn, dn = t;
  }
}

double nqs_net_loss_grad(const nqs_net *net, const double *theta, const double *x, int label, double scale, double *grad,
                         double *p, double *work) {
  if (net->classes > 64) return NAN;
  nqs_net_forward(net, theta, x, p, work);
  double dy[64];
  for (int k = 0; k < net->classes; k++) dy[k] = p[k] - (k == label); /* d(-ln p_label)/d logits */
  nqs_net_backward(net, theta, dy, scale, grad, NULL, work);
  return -log(fmax(p[label], 1e-300));
}

void nqs_net_describe(const nqs_net *net, char *buf, int size) {
  buf[0] = 0;
  for (int i = 0; i < net->nl; i++) {
    const nqs_layer *L = &net->l[i];
    char one[48];
    switch (L->kind) {
    case NQS_LAYER_DENSE: snprintf(one, sizeof one, "dense%d", L->out_c); break;
    case NQS_LAYER_CONV: snprintf(one, sizeof one, "conv%d(%dx%d)", L->out_c, L->k, L->k); break;
    case NQS_LAYER_POOL: snprintf(one, sizeof one, "pool"); break;
    case NQS_LAYER_RELU: snprintf(one, sizeof one, "relu"); break;
    case NQS_LAYER_TANH: snprintf(one, sizeof one, "tanh"); break;
    case NQS_LAYER_SIGMOID: snprintf(one, sizeof one, "sigmoid"); break;
    }
    snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", i ? " " : "", one);
  }
  snprintf(buf + strlen(buf), size - strlen(buf), ": %d parameters", net->np);
}
