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
    if (k < 1 || k % 2 == 0 || k > 7 || k > L.in_h || k > L.in_w)
      return nqs_error_set(err, NQS_EINPUT, "'%s': the kernel must be odd, at most 7 and at most the lattice (%d x %d)", tok, L.in_h,
                           L.in_w);
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

int nqs_net_work_size(const nqs_net *net) { return nqs_net_batch_work_size(net, 1); }

/* The largest periodically padded input of a convolution: C x (H + K - 1) x (W + K - 1). */
static int pad_size(const nqs_net *net) {
  int m = 0;
  for (int i = 0; i < net->nl; i++) {
    const nqs_layer *L = &net->l[i];
    const int sz = L->kind == NQS_LAYER_CONV ? L->in_c * (L->in_h + L->k - 1) * (L->in_w + L->k - 1) : 0;
    m = sz > m ? sz : m;
  }
  return m;
}

/* The input of a periodic convolution with its wrap-around written out: P[c][y][x] =
 * in[c][(y - r) mod H][(x - r) mod W] on a (H + 2r) x (W + 2r) grid, so that every tap reads a
 * plain contiguous row. */
static void pad_periodic(const nqs_layer *L, const double *restrict in, double *restrict P) {
  const int H = L->in_h, Wd = L->in_w, r = L->k / 2, Hp = H + 2 * r, Wp = Wd + 2 * r;
  for (int c = 0; c < L->in_c; c++)
    for (int y = 0; y < Hp; y++) {
      const double *row = in + ((size_t)c * H + (y - r + H) % H) * Wd;
      double *prow = P + ((size_t)c * Hp + y) * Wp;
      for (int x = 0; x < r; x++) prow[x] = row[Wd - r + x];
      memcpy(prow + r, row, sizeof(double) * Wd);
      for (int x = 0; x < r; x++) prow[r + Wd + x] = row[x];
    }
}

/* Four doubles side by side (GCC vector extension; element-wise arithmetic only, so the results
 * are those of the scalar code with any vector width), loaded from any address. */
typedef double v4d __attribute__((vector_size(32), aligned(8), may_alias));
/* Eight lanes: one AVX-512 register in that clone, two AVX2 ones in the other; the same sums. */
typedef double v8d __attribute__((vector_size(64), aligned(8), may_alias));
#define BC(x) ((v8d){x, x, x, x, x, x, x, x}) /* x in all eight lanes */

/* Periodic convolution of one sample and its parameter gradient, on the padded input P. Each
 * output (and each position's share of a weight gradient) is summed over channels and taps in a
 * fixed order, element by element, so the inner loops over x vectorise without reassociating any
 * sum (the weight gradient keeps one partial sum per x and adds them in order at the end). */

/* One output row of filter f for kernel side K (a constant in the K = 3 instance, so that the
 * taps unroll and the row's accumulators stay in registers), positions x0 .. x0 + 4 nv - 1. */
static inline __attribute__((always_inline)) void conv_row(int nv, int K, int C, int Hp, int Wp, int y, int x0, double bias,
                                                           const double *w, const double *P, double *o) {
  v4d a0 = {bias, bias, bias, bias}, a1 = a0;
  for (int c = 0; c < C; c++)
    for (int dy = 0; dy < K; dy++) {
      const double *prow = P + ((size_t)c * Hp + y + dy) * Wp + x0, *wr = w + ((size_t)c * K + dy) * K;
      for (int dx = 0; dx < K; dx++) {
        const v4d wk = {wr[dx], wr[dx], wr[dx], wr[dx]};
        a0 += wk * *(const v4d *)(prow + dx);
        if (nv == 2) a1 += wk * *(const v4d *)(prow + dx + 4);
      }
    }
  *(v4d *)(o + x0) = a0;
  if (nv == 2) *(v4d *)(o + x0 + 4) = a1;
}

__attribute__((target_clones("avx512f", "avx2", "default"))) static void conv_forward(const nqs_layer *L, const double *W,
                                                                           const double *restrict P, double *restrict out) {
  const int H = L->in_h, Wd = L->in_w, K = L->k, C = L->in_c, Hp = H + K - 1, Wp = Wd + K - 1;
  const double *b = W + (size_t)L->out_c * C * K * K;
  for (int f = 0; f < L->out_c; f++) {
    const double *w = W + (size_t)f * C * K * K;
    for (int y = 0; y < H; y++) {
      double *restrict o = out + ((size_t)f * H + y) * Wd;
      int x0 = 0;
      for (; x0 + 8 <= Wd; x0 += 8) /* every sum in the order bias, channels, rows, columns of the kernel */
        if (K == 3) conv_row(2, 3, C, Hp, Wp, y, x0, b[f], w, P, o);
        else conv_row(2, K, C, Hp, Wp, y, x0, b[f], w, P, o);
      for (; x0 + 4 <= Wd; x0 += 4)
        if (K == 3) conv_row(1, 3, C, Hp, Wp, y, x0, b[f], w, P, o);
        else conv_row(1, K, C, Hp, Wp, y, x0, b[f], w, P, o);
      for (; x0 < Wd; x0++) {
        double acc = b[f];
        for (int c = 0; c < C; c++)
          for (int dy = 0; dy < K; dy++)
            for (int dx = 0; dx < K; dx++) acc += w[((size_t)c * K + dy) * K + dx] * P[((size_t)c * Hp + y + dy) * Wp + x0 + dx];
        o[x0] = acc;
      }
    }
  }
}

/* The weight-gradient shares of positions x0 .. x0 + 3 of channel c, summed over the rows in
 * order, into acc[tap][x] (K a constant in the K = 3 instance: the taps' accumulators stay in
 * registers). */
static inline __attribute__((always_inline)) void conv_grad4(int K, int H, int Hp, int Wd, int Wp, int c, int x0,
                                                             const double *d, const double *P, double *acc) {
  v4d a[49];
  for (int t = 0; t < K * K; t++) a[t] = (v4d){0, 0, 0, 0};
  for (int y = 0; y < H; y++) {
    const v4d dv = *(const v4d *)(d + (size_t)y * Wd + x0);
    for (int dy = 0; dy < K; dy++) {
      const double *prow = P + ((size_t)c * Hp + y + dy) * Wp + x0;
      for (int dx = 0; dx < K; dx++) a[dy * K + dx] += dv * *(const v4d *)(prow + dx);
    }
  }
  for (int t = 0; t < K * K; t++) *(v4d *)(acc + (size_t)t * Wd + x0) = a[t];
}

/* The same for 3 x 3 kernels with the nine accumulators named, so that they live in registers. */
static inline __attribute__((always_inline)) void conv_grad4_k3(int H, int Hp, int Wd, int Wp, int c, int x0, const double *d,
                                                                const double *P, double *acc) {
  v4d a0 = {0, 0, 0, 0}, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0;
  for (int y = 0; y < H; y++) {
    const v4d dv = *(const v4d *)(d + (size_t)y * Wd + x0);
    const double *p0 = P + ((size_t)c * Hp + y) * Wp + x0, *p1 = p0 + Wp, *p2 = p1 + Wp;
    a0 += dv * *(const v4d *)(p0), a1 += dv * *(const v4d *)(p0 + 1), a2 += dv * *(const v4d *)(p0 + 2);
    a3 += dv * *(const v4d *)(p1), a4 += dv * *(const v4d *)(p1 + 1), a5 += dv * *(const v4d *)(p1 + 2);
    a6 += dv * *(const v4d *)(p2), a7 += dv * *(const v4d *)(p2 + 1), a8 += dv * *(const v4d *)(p2 + 2);
  }
  const v4d a[9] = {a0, a1, a2, a3, a4, a5, a6, a7, a8};
  for (int t = 0; t < 9; t++) *(v4d *)(acc + (size_t)t * Wd + x0) = a[t];
}

__attribute__((target_clones("avx512f", "avx2", "default"))) static void conv_grad(const nqs_layer *L, const double *restrict P,
                                                                        const double *restrict dout, double scale,
                                                                        double *restrict gW, double *restrict acc) {
  const int H = L->in_h, Wd = L->in_w, K = L->k, C = L->in_c, Hp = H + K - 1, Wp = Wd + K - 1, KK = K * K;
  double *gb = gW + (size_t)L->out_c * C * KK;
  for (int f = 0; f < L->out_c; f++) {
    const double *d = dout + (size_t)f * H * Wd;
    double sum = 0;
    for (int p = 0; p < H * Wd; p++) sum += d[p];
    gb[f] += scale * sum;
    for (int c = 0; c < C; c++) {
      /* acc[tap][x]: the share of position x summed over the rows y in order */
      int x0 = 0;
      for (; x0 + 4 <= Wd; x0 += 4)
        if (K == 3) conv_grad4_k3(H, Hp, Wd, Wp, c, x0, d, P, acc);
        else conv_grad4(K, H, Hp, Wd, Wp, c, x0, d, P, acc);
      for (; x0 < Wd; x0++)
        for (int t = 0; t < KK; t++) {
          double a = 0;
          for (int y = 0; y < H; y++) a += d[(size_t)y * Wd + x0] * P[((size_t)c * Hp + y + t / K) * Wp + x0 + t % K];
          acc[(size_t)t * Wd + x0] = a;
        }
      for (int t = 0; t < KK; t++) {
        double s = 0;
        for (int x = 0; x < Wd; x++) s += acc[(size_t)t * Wd + x];
        gW[(size_t)(f * C + c) * KK + t] += scale * s;
      }
    }
  }
}

/* dL/din of a convolution that is not the first layer: every output's gradient goes back to the
 * inputs its taps read. */
static void conv_input_grad(const nqs_layer *L, const double *W, const double *dout, double *din) {
  const int H = L->in_h, Wd = L->in_w, K = L->k, r = K / 2, C = L->in_c;
  memset(din, 0, sizeof(double) * L->in_size);
  for (int f = 0; f < L->out_c; f++)
    for (int c = 0; c < C; c++)
      for (int dy = 0; dy < K; dy++)
        for (int dx = 0; dx < K; dx++) {
          const double w = W[((size_t)(f * C + c) * K + dy) * K + dx];
          const int sx = (dx - r + Wd) % Wd;
          for (int y = 0; y < H; y++) {
            const double *drow = dout + ((size_t)f * H + y) * Wd;
            double *drw = din + ((size_t)c * H + (y + dy - r + H) % H) * Wd;
            for (int x = 0; x < Wd - sx; x++) drw[x + sx] += w * drow[x];
            for (int x = Wd - sx; x < Wd; x++) drw[x + sx - Wd] += w * drow[x];
          }
        }
}

/* The layers that go sample by sample, convolution and pooling (dense layers and activations run
 * over the whole batch: dense_forward_batch, activation_forward). */
static void layer_forward(const nqs_layer *L, const double *th, const double *in, double *out, double *pad) {
  switch (L->kind) {
  case NQS_LAYER_CONV:
    pad_periodic(L, in, pad);
    conv_forward(L, th + L->off, pad, out);
    break;
  case NQS_LAYER_POOL:
    for (int c = 0; c < L->out_c; c++)
      for (int y = 0; y < L->out_h; y++)
        for (int x = 0; x < L->out_w; x++) {
          const double *s = in + ((size_t)c * L->in_h + 2 * y) * L->in_w + 2 * x;
          const double m0 = s[0] > s[1] ? s[0] : s[1], m1 = s[L->in_w] > s[L->in_w + 1] ? s[L->in_w] : s[L->in_w + 1];
          out[((size_t)c * L->out_h + y) * L->out_w + x] = m0 > m1 ? m0 : m1;
        }
    break;
  default:
    break;
  }
}

/* Convolution and pooling, sample by sample: given dL/dout (dout), ADD scale * dL/dtheta to g and
 * write dL/din (din, unless the first layer). */
static void layer_backward(const nqs_layer *L, const double *th, const double *in, const double *dout, double scale, double *g,
                           double *din, double *pad) {
  if (!din && !L->np) return; /* the first layer has no input gradient to pass on */
  switch (L->kind) {
  case NQS_LAYER_CONV: /* pad: the padded input, then the per-position partial sums */
    if (g) {
      pad_periodic(L, in, pad);
      conv_grad(L, pad, dout, scale, g + L->off, pad + L->in_c * (L->in_h + L->k - 1) * (L->in_w + L->k - 1));
    }
    if (din) conv_input_grad(L, th + L->off, dout, din);
    break;
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
  default:
    break;
  }
}

/* Dense layers over a batch, in loops that vectorise without reassociating a sum: the forward
 * dot products keep 8 partial sums (lanes i mod 8, added in a fixed order at the end); the
 * backward loops run over contiguous inputs with no reduction. The results therefore do not
 * depend on the vector width (AVX2 clone or not; ISO C contracts nothing into FMA).
 * Z[s] = b + W A[s]; gW += scale dZ^T A and gb += scale sum_s dZ; dA = dZ W. */
static inline double dot8(const double *x, const double *y, int n) {
  double acc[8] = {0};
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) acc[k] += x[i + k] * y[i + k];
  for (int k = 0; i + k < n; k++) acc[k] += x[i + k] * y[i + k];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* The end of dot8 for one sample whose eight lanes are in a: the tail from i0, then the lanes
 * added in dot8's order. Always inlined: a vector argument of a function outside a vector clone
 * would be passed by another convention than the clone passes it. */
static inline __attribute__((always_inline)) double dot8_finish(v8d a, const double *x, const double *y, int i0, int n) {
  double acc[8] = {a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]};
  for (int k = 0; i0 + k < n; k++) acc[k] += x[i0 + k] * y[i0 + k];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* Z = b + W A over the batch in tiles of four samples by four outputs: each loaded piece of a row
 * of W serves four samples and each piece of a sample four rows (sixteen accumulators in
 * registers). Every output keeps dot8's eight partial sums, so the result is dot8's to the last
 * bit. */
__attribute__((target_clones("avx512f", "avx2", "default"))) static void dense_forward_batch(int n, int in, int out,
                                                                                             const double *W, const double *b,
                                                                                             const double *A, double *Z) {
  const int i8 = in - in % 8;
  int s0 = 0;
  for (; s0 + 4 <= n; s0 += 4) {
    const double *a0 = A + (size_t)s0 * in, *a1 = a0 + in, *a2 = a1 + in, *a3 = a2 + in;
    double *z = Z + (size_t)s0 * out;
    int o = 0;
    for (; o + 4 <= out; o += 4) {
      const double *w0 = W + (size_t)o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
      v8d c00 = {0, 0, 0, 0, 0, 0, 0, 0}, c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
      v8d c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
      for (int i = 0; i < i8; i += 8) { /* c_rt: output o + r of sample s0 + t */
        const v8d x0 = *(const v8d *)(a0 + i), x1 = *(const v8d *)(a1 + i), x2 = *(const v8d *)(a2 + i), x3 = *(const v8d *)(a3 + i);
        const v8d v0 = *(const v8d *)(w0 + i), v1 = *(const v8d *)(w1 + i), v2 = *(const v8d *)(w2 + i), v3 = *(const v8d *)(w3 + i);
        c00 += v0 * x0, c01 += v0 * x1, c02 += v0 * x2, c03 += v0 * x3;
        c10 += v1 * x0, c11 += v1 * x1, c12 += v1 * x2, c13 += v1 * x3;
        c20 += v2 * x0, c21 += v2 * x1, c22 += v2 * x2, c23 += v2 * x3;
        c30 += v3 * x0, c31 += v3 * x1, c32 += v3 * x2, c33 += v3 * x3;
      }
      const double *w[4] = {w0, w1, w2, w3}, *a[4] = {a0, a1, a2, a3};
      const v8d c[4][4] = {{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}};
      for (int r = 0; r < 4; r++)
        for (int t = 0; t < 4; t++) z[(size_t)t * out + o + r] = b[o + r] + dot8_finish(c[r][t], w[r], a[t], i8, in);
    }
    for (; o < out; o++) { /* the last outputs one by one, four samples at a time */
      const double *w = W + (size_t)o * in;
      v8d c0 = {0, 0, 0, 0, 0, 0, 0, 0}, c1 = c0, c2 = c0, c3 = c0;
      for (int i = 0; i < i8; i += 8) {
        const v8d wv = *(const v8d *)(w + i);
        c0 += wv * *(const v8d *)(a0 + i), c1 += wv * *(const v8d *)(a1 + i);
        c2 += wv * *(const v8d *)(a2 + i), c3 += wv * *(const v8d *)(a3 + i);
      }
      z[o] = b[o] + dot8_finish(c0, w, a0, i8, in);
      z[out + o] = b[o] + dot8_finish(c1, w, a1, i8, in);
      z[2 * (size_t)out + o] = b[o] + dot8_finish(c2, w, a2, i8, in);
      z[3 * (size_t)out + o] = b[o] + dot8_finish(c3, w, a3, i8, in);
    }
  }
  for (int s = s0; s < n; s++)
    for (int o = 0; o < out; o++) Z[(size_t)s * out + o] = b[o] + dot8(W + (size_t)o * in, A + (size_t)s * in, in);
}

/* gW += scale sum_s dZ[s] A[s]^T and gb += scale sum_s dZ[s] for the output rows o0 <= o < o1,
 * over a batch held in parts (part p: rows[p] samples, inputs A[p] (rows[p] x in), deltas dZ[p]
 * (rows[p] x out)), summed part after part in one fixed order: within a part four samples at a
 * time, (c0 a0 + c1 a1) + (c2 a2 + c3 a3), then one by one. Blocks of gW (four rows by sixteen
 * entries, or eight entries of a row) stay in registers over all the samples of all the parts; the
 * scaled deltas of the rows are gathered once (at most DCOL samples at a time). */
enum { DCOL = 512 };
/* Sixteen entries of four rows of gW (d: their four delta columns, DCOL apart): each input vector
 * loaded serves four rows. Every entry's sum is grad_block8's. The accumulators are named (gRV:
 * row R, lanes 8V..8V+7) so that they stay in registers. */
static inline __attribute__((always_inline)) void grad_tile4x16(int n, int in, const double *restrict d, const double *Ap,
                                                                double *g) {
  double *q0 = g, *q1 = g + in, *q2 = q1 + in, *q3 = q2 + in;
  v8d g00 = *(const v8d *)q0, g01 = *(const v8d *)(q0 + 8), g10 = *(const v8d *)q1, g11 = *(const v8d *)(q1 + 8);
  v8d g20 = *(const v8d *)q2, g21 = *(const v8d *)(q2 + 8), g30 = *(const v8d *)q3, g31 = *(const v8d *)(q3 + 8);
  const double *d0 = d, *d1 = d + DCOL, *d2 = d1 + DCOL, *d3 = d2 + DCOL;
  const int n4 = n - n % 4;
#define ROW(gl, gh, dr)                                                                                                          \
  do {                                                                                                                           \
    const v8d c0 = BC(dr[s]), c1 = BC(dr[s + 1]), c2 = BC(dr[s + 2]), c3 = BC(dr[s + 3]);                                      \
    gl += (c0 * x00 + c1 * x10) + (c2 * x20 + c3 * x30);                                                                         \
    gh += (c0 * x01 + c1 * x11) + (c2 * x21 + c3 * x31);                                                                         \
  } while (0)
  for (int s = 0; s < n4; s += 4) {
    const double *a0 = Ap + (size_t)s * in, *a1 = a0 + in, *a2 = a1 + in, *a3 = a2 + in;
    const v8d x00 = *(const v8d *)a0, x01 = *(const v8d *)(a0 + 8), x10 = *(const v8d *)a1, x11 = *(const v8d *)(a1 + 8);
    const v8d x20 = *(const v8d *)a2, x21 = *(const v8d *)(a2 + 8), x30 = *(const v8d *)a3, x31 = *(const v8d *)(a3 + 8);
    ROW(g00, g01, d0);
    ROW(g10, g11, d1);
    ROW(g20, g21, d2);
    ROW(g30, g31, d3);
  }
#undef ROW
  for (int s = n4; s < n; s++) {
    const v8d x0 = *(const v8d *)(Ap + (size_t)s * in), x1 = *(const v8d *)(Ap + (size_t)s * in + 8);
    g00 += BC(d0[s]) * x0, g01 += BC(d0[s]) * x1, g10 += BC(d1[s]) * x0, g11 += BC(d1[s]) * x1;
    g20 += BC(d2[s]) * x0, g21 += BC(d2[s]) * x1, g30 += BC(d3[s]) * x0, g31 += BC(d3[s]) * x1;
  }
  *(v8d *)q0 = g00, *(v8d *)(q0 + 8) = g01, *(v8d *)q1 = g10, *(v8d *)(q1 + 8) = g11;
  *(v8d *)q2 = g20, *(v8d *)(q2 + 8) = g21, *(v8d *)q3 = g30, *(v8d *)(q3 + 8) = g31;
}

/* Eight entries of one row of gW: g += sum_s d[s] A[s], four samples at a time,
 * (c0 a0 + c1 a1) + (c2 a2 + c3 a3), then one by one. */
static inline __attribute__((always_inline)) void grad_block8(int n, int in, const double *restrict d, const double *Ap,
                                                              double *g) {
  v8d g0 = *(const v8d *)g;
  const int n4 = n - n % 4;
  for (int s = 0; s < n4; s += 4) {
    const double *a0 = Ap + (size_t)s * in, *a1 = a0 + in, *a2 = a1 + in, *a3 = a2 + in;
    g0 += (BC(d[s]) * *(const v8d *)a0 + BC(d[s + 1]) * *(const v8d *)a1) +
          (BC(d[s + 2]) * *(const v8d *)a2 + BC(d[s + 3]) * *(const v8d *)a3);
  }
  for (int s = n4; s < n; s++) g0 += BC(d[s]) * *(const v8d *)(Ap + (size_t)s * in);
  *(v8d *)g = g0;
}

__attribute__((target_clones("avx512f", "avx2", "default"))) static void dense_weight_grad(
    int nparts, const int *rows, const double *const *A, const double *const *dZ, int in, int out, int o0, int o1, double scale,
    double *gW, double *gb) {
  double d[4 * DCOL];
  for (int o = o0; o < o1;) {
    const int R = o1 - o >= 4 ? 4 : 1; /* four rows at a time, then one by one */
    for (int p = 0; p < nparts; p++)
      for (int s0 = 0; s0 < rows[p]; s0 += DCOL) {
        const int n = rows[p] - s0 < DCOL ? rows[p] - s0 : DCOL, n4 = n - n % 4;
        const double *dz = dZ[p] + (size_t)s0 * out, *Ap = A[p] + (size_t)s0 * in;
        for (int r = 0; r < R; r++) {
          double *dr = d + (size_t)r * DCOL;
          for (int s = 0; s < n; s++) dr[s] = scale * dz[(size_t)s * out + o + r];
          for (int s = 0; s < n4; s += 4) gb[o + r] += (dr[s] + dr[s + 1]) + (dr[s + 2] + dr[s + 3]);
          for (int s = n4; s < n; s++) gb[o + r] += dr[s];
        }
        int i0 = 0;
        if (R == 4)
          for (; i0 + 16 <= in; i0 += 16) grad_tile4x16(n, in, d, Ap + i0, gW + (size_t)o * in + i0);
        for (int r = 0; r < R; r++) {
          const double *dr = d + (size_t)r * DCOL;
          double *g = gW + (size_t)(o + r) * in;
          int i = i0;
          for (; i + 8 <= in; i += 8) grad_block8(n, in, dr, Ap + i, g + i);
          for (; i < in; i++) {
            double gi = g[i];
            for (int s = 0; s < n4; s += 4) {
              const double *a0 = Ap + (size_t)s * in + i, *a1 = a0 + in, *a2 = a1 + in, *a3 = a2 + in;
              gi += (dr[s] * *a0 + dr[s + 1] * *a1) + (dr[s + 2] * *a2 + dr[s + 3] * *a3);
            }
            for (int s = n4; s < n; s++) gi += dr[s] * Ap[(size_t)s * in + i];
            g[i] = gi;
          }
        }
      }
    o += R;
  }
}

/* dA = dZ W over a batch (each entry summed over the outputs in order: the same in every clone). */
__attribute__((target_clones("avx512f", "avx2", "default"))) static void dense_input_grad(int n, int in, int out, const double *W, const double *dZ, double *dA) {
  for (int s = 0; s < n; s++) {
    double *da = dA + (size_t)s * in;
    memset(da, 0, sizeof(double) * in);
    for (int o = 0; o < out; o++) {
      const double c = dZ[(size_t)s * out + o], *w = W + (size_t)o * in;
      if (c != 0)
        for (int i = 0; i < in; i++) da[i] += c * w[i];
    }
  }
}

/* The activation layers over a whole batch (m values): element by element, branch-free, so that
 * they vectorise. */
__attribute__((target_clones("avx512f", "avx2", "default"))) static void activation_forward(nqs_layer_kind kind, long m,
                                                                                 const double *restrict in,
                                                                                 double *restrict out) {
  if (kind == NQS_LAYER_RELU)
    for (long i = 0; i < m; i++) out[i] = in[i] > 0 ? in[i] : 0;
  else if (kind == NQS_LAYER_TANH)
    for (long i = 0; i < m; i++) out[i] = tanh(in[i]);
  else
    for (long i = 0; i < m; i++) out[i] = 1 / (1 + exp(-in[i]));
}

__attribute__((target_clones("avx512f", "avx2", "default"))) static void activation_backward(nqs_layer_kind kind, long m,
                                                                                  const double *restrict in,
                                                                                  const double *restrict out,
                                                                                  const double *restrict dout,
                                                                                  double *restrict din) {
  if (kind == NQS_LAYER_RELU)
    for (long i = 0; i < m; i++) din[i] = in[i] > 0 ? dout[i] : 0;
  else if (kind == NQS_LAYER_TANH)
    for (long i = 0; i < m; i++) din[i] = dout[i] * (1 - out[i] * out[i]);
  else
    for (long i = 0; i < m; i++) din[i] = dout[i] * out[i] * (1 - out[i]);
}

static int is_activation(nqs_layer_kind k) { return k == NQS_LAYER_RELU || k == NQS_LAYER_TANH || k == NQS_LAYER_SIGMOID; }

/* The convolution scratch at the end of a batch workspace (nqs_net_batch_work_size). */
static double *pad_of(const nqs_net *net, int n, double *work) {
  return work + (size_t)n * (net->act_size + 2 * max_size(net) + net->classes);
}

/* The batch forms: n samples side by side, each layer's outputs an n x out_size block at n * act.
 * Dense layers and activations run over the whole batch (the kernels above); the other layers go
 * sample by sample. The single-sample functions are the batch of one. */
const double *nqs_net_outputs_batch(const nqs_net *net, const double *theta, const double *X, int n, double *work) {
  if (X != work) memcpy(work, X, sizeof(double) * (size_t)n * net->in_size);
  const double *in = work;
  for (int i = 0; i < net->nl; i++) {
    const nqs_layer *L = &net->l[i];
    double *out = work + (size_t)n * L->act;
    if (L->kind == NQS_LAYER_DENSE) {
      const double *W = theta + L->off, *b = W + (size_t)L->out_c * L->in_size;
      dense_forward_batch(n, L->in_size, L->out_c, W, b, in, out);
    } else if (is_activation(L->kind))
      activation_forward(L->kind, (long)n * L->in_size, in, out);
    else
      for (int s = 0; s < n; s++) layer_forward(L, theta, in + (size_t)s * L->in_size, out + (size_t)s * L->out_size, pad_of(net, n, work));
    in = out;
  }
  return in;
}

/* The offset of dense layer i's deltas in a keep buffer of a batch of n: n x the widths of the
 * dense layers before it. */
static size_t keep_offset(const nqs_net *net, int i, int n) {
  size_t k = 0;
  for (int j = 0; j < i; j++)
    if (net->l[j].kind == NQS_LAYER_DENSE) k += (size_t)net->l[j].out_c;
  return k * (size_t)n;
}

int nqs_net_keep_size(const nqs_net *net, int n) { return (int)keep_offset(net, net->nl, n); }

/* The batch backward pass; with keep, the dense layers store their deltas there instead of
 * adding to their weight gradients (nqs_net_dense_grad adds them later). */
static void backward_batch(const nqs_net *net, const double *theta, const double *dY, int n, double scale, double *grad,
                           double *dX, double *work, double *keep) {
  const size_t M = (size_t)n * max_size(net);
  double *d = work + (size_t)n * net->act_size, *dn = d + M;
  memcpy(d, dY, sizeof(double) * (size_t)n * net->classes);
  for (int i = net->nl - 1; i >= 0; i--) {
    const nqs_layer *L = &net->l[i];
    const double *in = i ? work + (size_t)n * net->l[i - 1].act : work, *out = work + (size_t)n * L->act;
    double *din = i ? dn : dX;
    if (L->kind == NQS_LAYER_DENSE) {
      const double *W = theta + L->off;
      if (keep) memcpy(keep + keep_offset(net, i, n), d, sizeof(double) * (size_t)n * L->out_c);
      else if (grad) {
        const double *dz = d;
        dense_weight_grad(1, &n, &in, &dz, L->in_size, L->out_c, 0, L->out_c, scale, grad + L->off,
                          grad + L->off + (size_t)L->out_c * L->in_size);
      }
      if (din) dense_input_grad(n, L->in_size, L->out_c, W, d, din);
    } else if (is_activation(L->kind)) {
      if (din) activation_backward(L->kind, (long)n * L->in_size, in, out, d, din);
    } else
      for (int s = 0; s < n; s++)
        layer_backward(L, theta, in + (size_t)s * L->in_size, d + (size_t)s * L->out_size, scale, grad,
                       din ? din + (size_t)s * L->in_size : NULL, pad_of(net, n, work));
    double *t = d;
    d = dn, dn = t;
  }
}

void nqs_net_backward_batch(const nqs_net *net, const double *theta, const double *dY, int n, double scale, double *grad,
                            double *dX, double *work) {
  backward_batch(net, theta, dY, n, scale, grad, dX, work, NULL);
}

void nqs_net_dense_grad(const nqs_net *net, int layer, int o0, int o1, int nparts, const int *rows, double *const *works,
                        double *const *keeps, double scale, double *grad) {
  enum { MAXPARTS = 64 };
  const nqs_layer *L = &net->l[layer];
  for (int p0 = 0; p0 < nparts; p0 += MAXPARTS) {
    const double *A[MAXPARTS], *dZ[MAXPARTS];
    const int np = nparts - p0 < MAXPARTS ? nparts - p0 : MAXPARTS;
    for (int p = 0; p < np; p++) {
      const int n = rows[p0 + p];
      A[p] = layer ? works[p0 + p] + (size_t)n * net->l[layer - 1].act : works[p0 + p];
      dZ[p] = keeps[p0 + p] + keep_offset(net, layer, n);
    }
    dense_weight_grad(np, rows + p0, A, dZ, L->in_size, L->out_c, o0, o1, scale, grad + L->off,
                      grad + L->off + (size_t)L->out_c * L->in_size);
  }
}

double nqs_net_loss_grad_batch(const nqs_net *net, const double *theta, const double *X, const int *labels, int n, double scale,
                               double *grad, double *P, double *work, double *keep) {
  const double *z = nqs_net_outputs_batch(net, theta, X, n, work);
  const int K = net->classes;
  double loss = 0, *dy = work + (size_t)n * (net->act_size + 2 * max_size(net)); /* n x K after the deltas */
  for (int s = 0; s < n; s++) {
    const double *zs = z + (size_t)s * K;
    double *p = P + (size_t)s * K, m = zs[0], sum = 0; /* softmax, shifted by the largest logit */
    for (int k = 1; k < K; k++) m = fmax(m, zs[k]);
    for (int k = 0; k < K; k++) sum += p[k] = exp(zs[k] - m);
    for (int k = 0; k < K; k++) p[k] /= sum, dy[(size_t)s * K + k] = p[k] - (k == labels[s]);
    loss -= log(fmax(p[labels[s]], 1e-300));
  }
  if (grad || keep) backward_batch(net, theta, dy, n, scale, grad, NULL, work, keep);
  return loss;
}

/* Workspace of a batch of n: activations (n x act_size), two delta buffers (n x the widest
 * layer each), dL/dlogits (n x classes), then the convolution scratch: the padded input and the
 * weight gradient's partial sums (K^2 x W). */
int nqs_net_batch_work_size(const nqs_net *net, int n) {
  int acc = 0;
  for (int i = 0; i < net->nl; i++)
    if (net->l[i].kind == NQS_LAYER_CONV && net->l[i].k * net->l[i].k * net->l[i].in_w > acc) acc = net->l[i].k * net->l[i].k * net->l[i].in_w;
  return n * (net->act_size + 2 * max_size(net) + net->classes) + pad_size(net) + acc;
}

const double *nqs_net_outputs(const nqs_net *net, const double *theta, const double *x, double *work) {
  return nqs_net_outputs_batch(net, theta, x, 1, work);
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
  nqs_net_backward_batch(net, theta, dy, 1, scale, grad, dx, work);
}

double nqs_net_loss_grad(const nqs_net *net, const double *theta, const double *x, int label, double scale, double *grad,
                         double *p, double *work) {
  return nqs_net_loss_grad_batch(net, theta, x, &label, 1, scale, grad, p, work, NULL);
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
