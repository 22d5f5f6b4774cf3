/* mlp.c — dense network with exact input derivatives (forward mode) and
 * parameter derivatives (back-propagation). See nqs/nn/mlp.h. */
#include <cblas.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include "nqs/nn/mlp.h"

static const char *act_names[] = {"tanh", "sigmoid", "softplus", "elu", "gelu"};

int nqs_activation_parse(const char *name) {
  for (int i = 0; i < 5; i++)
    if (strcmp(name, act_names[i]) == 0) return i;
  return -1;
}

/* f(z), f'(z), f''(z) */
static inline void act(nqs_activation a, double z, double *f, double *f1, double *f2) {
  switch (a) {
  case NQS_ACT_TANH: { /* via exp: half the cost of libm tanh, absolute error ~1e-16 */
    double t = 1.0 - 2.0 / (1.0 + exp(2.0 * z));
    *f = t;
    *f1 = 1 - t * t;
    *f2 = -2 * t * (1 - t * t);
    return;
  }
  case NQS_ACT_SIGMOID: {
    double s = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
    *f = s;
    *f1 = s * (1 - s);
    *f2 = s * (1 - s) * (1 - 2 * s);
    return;
  }
  case NQS_ACT_SOFTPLUS: {
    double s = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
    *f = z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
    *f1 = s;
    *f2 = s * (1 - s);
    return;
  }
  case NQS_ACT_ELU: /* alpha = 1: C1; f'' jumps at 0, which has probability zero */
    if (z > 0) {
      *f = z;
      *f1 = 1;
      *f2 = 0;
    } else {
      double e = exp(z);
      *f = e - 1;
      *f1 = e;
      *f2 = e;
    }
    return;
  case NQS_ACT_GELU: { /* exact: z Phi(z) */
    const double phi = 0.39894228040143267794 * exp(-0.5 * z * z) /* 1/sqrt(2 pi) */, Phi = 0.5 * erfc(-z / sqrt(2.0));
    *f = z * Phi;
    *f1 = Phi + z * phi;
    *f2 = phi * (2 - z * z);
    return;
  }
  }
  *f = *f1 = *f2 = 0;
}

/* f, f', f'' of n pre-activations (f may be z: in place); the switch sits outside the loop. */
static void act_batch(nqs_activation a, size_t n, const double *z, double *f, double *restrict f1,
                      double *restrict f2) {
  if (a == NQS_ACT_TANH) {
    for (size_t k = 0; k < n; k++) {
      const double t = 1.0 - 2.0 / (1.0 + exp(2.0 * z[k])), d = 1 - t * t;
      f[k] = t;
      f1[k] = d;
      f2[k] = -2 * t * d;
    }
    return;
  }
  for (size_t k = 0; k < n; k++) act(a, z[k], &f[k], &f1[k], &f2[k]);
}

nqs_status nqs_mlp_init(nqs_mlp *m, int inputs, const int *hidden, int nhidden, nqs_activation a, nqs_error *err) {
  if (nhidden < 0 || nhidden + 1 > NQS_MLP_MAX_LAYERS)
    return nqs_error_setk(err, NQS_EINPUT, "wavefunction.ffnn_layers", "%d hidden layers: allowed 0 to %d", nhidden,
                          NQS_MLP_MAX_LAYERS - 1);
  memset(m, 0, sizeof *m);
  m->act = a;
  m->nlayers = nhidden + 1;
  m->w[0] = inputs;
  for (int l = 0; l < nhidden; l++) {
    if (hidden[l] < 1 || hidden[l] > 4096)
      return nqs_error_setk(err, NQS_EINPUT, "wavefunction.ffnn_layers", "layer width %d: allowed 1 to 4096", hidden[l]);
    m->w[l + 1] = hidden[l];
  }
  m->w[m->nlayers] = 1;
  int off = 0;
  m->maxw = inputs;
  for (int l = 0; l < m->nlayers; l++) {
    m->off[l] = off;
    off += m->w[l + 1] * m->w[l] + m->w[l + 1];
    if (m->w[l + 1] > m->maxw) m->maxw = m->w[l + 1];
  }
  m->nparams = off;
  return NQS_OK;
}

/* forward: 3 vectors (a, a', a'') x 2 (ping-pong) of maxw;
 * backward: activations of every layer (sum of widths) + f' per layer + 2 deltas of maxw */
int nqs_mlp_work_size(const nqs_mlp *m) {
  int sum = 0;
  for (int l = 0; l <= m->nlayers; l++) sum += m->w[l];
  return 6 * m->maxw + 2 * sum + 2 * m->maxw;
}

double nqs_mlp_forward_from_z0(const nqs_mlp *m, const double *theta, const double *z0, double *work) {
  const int mw = m->maxw;
  double *a = work, *z = work + mw, f1, f2;
  if (m->nlayers == 1) return z0[0]; /* no hidden layer: z0 is the output */
  for (int o = 0; o < m->w[1]; o++) act(m->act, z0[o], &a[o], &f1, &f2);
  for (int l = 1;; l++) {
    const int in = m->w[l], out = m->w[l + 1];
    const double *W = theta + m->off[l], *b = W + out * in;
    /* z = W a + b  (out x in) . (in) */
    for (int o = 0; o < out; o++) {
      const double *Wo = W + (size_t)o * in;
      double s = b[o];
      for (int i = 0; i < in; i++) s += Wo[i] * a[i];
      z[o] = s;
    }
    if (l == m->nlayers - 1) return z[0]; /* linear output */
    for (int o = 0; o < out; o++) act(m->act, z[o], &a[o], &f1, &f2);
  }
}

double nqs_mlp_forward(const nqs_mlp *m, const double *theta, const double *x, const double *v, double *dy, double *d2y,
                       double *work) {
  const int mw = m->maxw;
  double *a = work, *a1 = work + mw, *a2 = work + 2 * mw; /* current layer */
  double *z = work + 3 * mw, *z1 = work + 4 * mw, *z2 = work + 5 * mw;
  const int deriv = v != NULL;
  memcpy(a, x, sizeof(double) * m->w[0]);
  if (deriv) {
    memcpy(a1, v, sizeof(double) * m->w[0]);
    memset(a2, 0, sizeof(double) * m->w[0]);
  }
  for (int l = 0; l < m->nlayers; l++) {
    const int in = m->w[l], out = m->w[l + 1];
    const double *W = theta + m->off[l], *b = W + out * in;
    /* z = W a + b  (out x in) . (in) */
    for (int o = 0; o < out; o++) {
      const double *Wo = W + (size_t)o * in;
      double s = b[o], s1 = 0, s2 = 0;
      for (int i = 0; i < in; i++) s += Wo[i] * a[i];
      if (deriv)
        for (int i = 0; i < in; i++) {
          s1 += Wo[i] * a1[i];
          s2 += Wo[i] * a2[i];
        }
      z[o] = s;
      z1[o] = s1;
      z2[o] = s2;
    }
    if (l == m->nlayers - 1) break; /* linear output */
    for (int o = 0; o < out; o++) {
      double f, f1, f2;
      act(m->act, z[o], &f, &f1, &f2);
      a[o] = f;
      if (deriv) {
        a1[o] = f1 * z1[o];
        a2[o] = f2 * z1[o] * z1[o] + f1 * z2[o];
      }
    }
  }
  if (deriv) {
    *dy = z1[0];
    *d2y = z2[0];
  }
  return z[0];
}

void nqs_mlp_backward(const nqs_mlp *m, const double *theta, const double *x, double scale, double *g, double *gx,
                      double *work) {
  const int L = m->nlayers, mw = m->maxw;
  /* store activations a_l (inputs of layer l) and f'(z) of hidden layers */
  double *acts[NQS_MLP_MAX_LAYERS + 1], *fp[NQS_MLP_MAX_LAYERS + 1];
  double *p = work;
  for (int l = 0; l <= L; l++) {
    acts[l] = p;
    p += m->w[l];
    fp[l] = p;
    p += m->w[l];
  }
  double *delta = p, *dprev = p + mw;
  memcpy(acts[0], x, sizeof(double) * m->w[0]);
  for (int l = 0; l < L; l++) {
    const int in = m->w[l], out = m->w[l + 1];
    const double *W = theta + m->off[l], *b = W + out * in;
    for (int o = 0; o < out; o++) {
      const double *Wo = W + (size_t)o * in;
      double s = b[o];
      for (int i = 0; i < in; i++) s += Wo[i] * acts[l][i];
      if (l == L - 1) {
        acts[l + 1][o] = s;
        fp[l + 1][o] = 1;
      } else {
        double f, f1, f2;
        act(m->act, s, &f, &f1, &f2);
        acts[l + 1][o] = f;
        fp[l + 1][o] = f1;
      }
    }
  }
  /* delta_l = dy/dz_l; output layer: 1 */
  delta[0] = scale;
  for (int l = L - 1; l >= 0; l--) {
    const int in = m->w[l], out = m->w[l + 1];
    const double *W = theta + m->off[l];
    if (g) {
      double *gW = g + m->off[l], *gb = gW + out * in;
      for (int o = 0; o < out; o++) {
        const double d = delta[o];
        double *gWo = gW + (size_t)o * in;
        for (int i = 0; i < in; i++) gWo[i] += d * acts[l][i];
        gb[o] += d;
      }
    }
    /* dprev_i = sum_o W_oi delta_o (dy/da_l), then times f'(z) for hidden layers */
    for (int i = 0; i < in; i++) dprev[i] = 0;
    for (int o = 0; o < out; o++) {
      const double *Wo = W + (size_t)o * in;
      for (int i = 0; i < in; i++) dprev[i] += Wo[i] * delta[o];
    }
    if (l == 0) {
      if (gx)
        for (int i = 0; i < in; i++) gx[i] += dprev[i];
    } else {
      for (int i = 0; i < in; i++) delta[i] = dprev[i] * fp[l][i];
    }
  }
}

/* Batched kernels. Layout of every per-layer array: [unit][batch], stride B. */
enum { NQS_MLP_SMALL_INPUT = 16 }; /* inputs up to this many may take the unbatched path */
int nqs_mlp_batch_work_size(const nqs_mlp *m, int B) {
  int sum = 0;
  for (int l = 0; l <= m->nlayers; l++) sum += m->w[l];
  const int fwd = 6 * m->maxw + 2, bwd = 2 * sum + 2 * m->maxw, one = nqs_mlp_work_size(m);
  const int batch = B * (fwd > bwd ? fwd : bwd);
  return batch > one ? batch : one;
}

/* z[o][:] = b[o] + sum_i W[o][i] a[i][:]   (out x in) . (in x B)
 * Columns go in blocks of 8 whose sums stay in registers across the loop over i
 * (eight independent chains; the compiler pairs them into vector adds). */
static void dense_batch(int in, int out, int B, const double *W, const double *b, const double *a, double *z) {
  if ((long)in * out >= 64 * 64 && B >= 16) { /* wide layers: OpenBLAS */
    for (int o = 0; o < out; o++)
      for (int t = 0; t < B; t++) z[(size_t)o * B + t] = b ? b[o] : 0.0;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, out, B, in, 1.0, W, in, a, B, 1.0, z, B);
    return;
  }
  for (int o = 0; o < out; o++) {
    const double *restrict Wo = W + (size_t)o * in;
    double *restrict zo = z + (size_t)o * B;
    const double bo = b ? b[o] : 0.0;
    int t0 = 0;
    for (; t0 + 8 <= B; t0 += 8) {
      double s0 = bo, s1 = bo, s2 = bo, s3 = bo, s4 = bo, s5 = bo, s6 = bo, s7 = bo;
      for (int i = 0; i < in; i++) {
        const double w = Wo[i], *restrict p = a + (size_t)i * B + t0;
        s0 += w * p[0];
        s1 += w * p[1];
        s2 += w * p[2];
        s3 += w * p[3];
        s4 += w * p[4];
        s5 += w * p[5];
        s6 += w * p[6];
        s7 += w * p[7];
      }
      zo[t0] = s0;
      zo[t0 + 1] = s1;
      zo[t0 + 2] = s2;
      zo[t0 + 3] = s3;
      zo[t0 + 4] = s4;
      zo[t0 + 5] = s5;
      zo[t0 + 6] = s6;
      zo[t0 + 7] = s7;
    }
    for (int t = t0; t < B; t++) {
      double acc = bo;
      for (int i = 0; i < in; i++) acc += Wo[i] * a[(size_t)i * B + t];
      zo[t] = acc;
    }
  }
}

/* The three propagated quantities (a, a', a'') share one matrix per layer:
 * row i = [a_i(batch) | a'_i(batch) | a''_i(batch)], C = 3B columns, so each layer
 * is one product W . A (one dgemm for wide layers). */
void nqs_mlp_forward_batch(const nqs_mlp *m, const double *theta, int B, const double *X, const double *v, double *y,
                           double *dy, double *d2y, double *work) {
  if (B < 4) { /* a few inputs: the unbatched kernel is cheaper */
    double in[NQS_MLP_SMALL_INPUT];
    if (m->w[0] <= NQS_MLP_SMALL_INPUT) {
      for (int t = 0; t < B; t++) {
        for (int i = 0; i < m->w[0]; i++) in[i] = X[(size_t)i * B + t];
        y[t] = nqs_mlp_forward(m, theta, in, v, v ? dy + t : NULL, v ? d2y + t : NULL, work);
      }
      return;
    }
  }
  const int deriv = v != NULL;
  const size_t C = deriv ? 3 * (size_t)B : (size_t)B, S = (size_t)m->maxw * C;
  double *A = work, *Z = work + S, *f1 = work + 2 * S, *f2 = f1 + B;
  for (int i = 0; i < m->w[0]; i++) {
    double *Ai = A + i * C;
    memcpy(Ai, X + (size_t)i * B, sizeof(double) * B);
    if (deriv)
      for (int t = 0; t < B; t++) {
        Ai[B + t] = v[i];
        Ai[2 * B + t] = 0;
      }
  }
  for (int l = 0; l < m->nlayers; l++) {
    const int in = m->w[l], out = m->w[l + 1];
    const double *W = theta + m->off[l], *b = W + out * in;
    dense_batch(in, out, (int)C, W, NULL, A, Z); /* Z = W [a | a' | a''] */
    for (int o = 0; o < out; o++) {
      double *restrict zo = Z + o * C;
      for (int t = 0; t < B; t++) zo[t] += b[o]; /* bias on the values only */
    }
    if (l == m->nlayers - 1) break; /* linear output */
    for (int o = 0; o < out; o++) {
      const double *zo = Z + o * C;
      double *ao = A + o * C;
      act_batch(m->act, (size_t)B, zo, ao, f1, f2);
      if (deriv)
        for (int t = 0; t < B; t++) {
          const double z1 = zo[B + t], z2 = zo[2 * B + t];
          ao[B + t] = f1[t] * z1;
          ao[2 * B + t] = f2[t] * z1 * z1 + f1[t] * z2;
        }
    }
  }
  memcpy(y, Z, sizeof(double) * B);
  if (deriv) {
    memcpy(dy, Z + B, sizeof(double) * B);
    memcpy(d2y, Z + 2 * B, sizeof(double) * B);
  }
}

void nqs_mlp_backward_batch(const nqs_mlp *m, const double *theta, int B, const double *X, const double *c, double *g,
                            double *work) {
  if (B == 1) {
    nqs_mlp_backward(m, theta, X, c ? c[0] : 1.0, g, NULL, work);
    return;
  }
  const int L = m->nlayers;
  double *acts[NQS_MLP_MAX_LAYERS + 1], *fp[NQS_MLP_MAX_LAYERS + 1];
  double *p = work;
  for (int l = 0; l <= L; l++) {
    acts[l] = p;
    p += (size_t)m->w[l] * B;
    fp[l] = p;
    p += (size_t)m->w[l] * B;
  }
  double *delta = p, *dprev = p + (size_t)m->maxw * B;
  memcpy(acts[0], X, sizeof(double) * m->w[0] * B);
  for (int l = 0; l < L; l++) {
    const int in = m->w[l], out = m->w[l + 1];
    const double *W = theta + m->off[l], *b = W + out * in;
    dense_batch(in, out, B, W, b, acts[l], acts[l + 1]);
    if (l == L - 1) break;
    act_batch(m->act, (size_t)out * B, acts[l + 1], acts[l + 1], fp[l + 1], delta); /* delta: f'' scratch */
  }
  for (int t = 0; t < B; t++) delta[t] = c ? c[t] : 1.0; /* c_b dy/dz of the output */
  for (int l = L - 1; l >= 0; l--) {
    const int in = m->w[l], out = m->w[l + 1];
    const double *W = theta + m->off[l];
    double *gW = g + m->off[l], *gb = gW + out * in;
    /* gW[o][i] += sum_t delta[o][t] a_l[i][t];  gb[o] += sum_t delta[o][t] */
    for (int o = 0; o < out; o++) {
      const double *restrict d = delta + (size_t)o * B;
      double sb = 0;
#pragma omp simd reduction(+ : sb)
      for (int t = 0; t < B; t++) sb += d[t];
      gb[o] += sb;
      for (int i = 0; i < in; i++) {
        const double *restrict ai = acts[l] + (size_t)i * B;
        double s = 0;
#pragma omp simd reduction(+ : s)
        for (int t = 0; t < B; t++) s += d[t] * ai[t];
        gW[(size_t)o * in + i] += s;
      }
    }
    if (l == 0) break;
    /* dprev[i][:] = sum_o W[o][i] delta[o][:], then times f'(z) */
    for (int i = 0; i < in; i++) {
      double *restrict di = dprev + (size_t)i * B;
#pragma omp simd
      for (int t = 0; t < B; t++) di[t] = 0;
      for (int o = 0; o < out; o++) {
        const double w = W[(size_t)o * in + i];
        const double *restrict d = delta + (size_t)o * B;
#pragma omp simd
        for (int t = 0; t < B; t++) di[t] += w * d[t];
      }
      const double *restrict f1 = fp[l] + (size_t)i * B;
#pragma omp simd
      for (int t = 0; t < B; t++) di[t] *= f1[t];
    }
    double *tmp = delta;
    delta = dprev;
    dprev = tmp;
  }
}

int nqs_mlp_parse_widths(const char *text, int *w, int *n) {
  *n = 0;
  for (const char *t = text;; t++) {
    char *end;
    long v = strtol(t, &end, 10);
    while (isspace((unsigned char)*end)) end++;
    if (end == t || (*end && *end != ',') || v < 1 || v > 4096 || *n >= 7) return -1;
    w[(*n)++] = (int)v;
    if (!*end) return 0;
    t = end;
  }
}

void nqs_mlp_init_zero_output(const nqs_mlp *m, double *theta, nqs_rng *rng) {
  for (int l = 0; l < m->nlayers; l++) {
    const int in = m->w[l], out = m->w[l + 1];
    for (int k = 0; k < out * in; k++) theta[m->off[l] + k] = l == m->nlayers - 1 ? 0.0 : nqs_rng_normal(rng) / sqrt((double)in);
    for (int k = 0; k < out; k++) theta[m->off[l] + out * in + k] = 0.0;
  }
}

void nqs_mlp_param_name(const nqs_mlp *m, int k, const char *prefix, char *buf, size_t size) {
  int l = m->nlayers - 1;
  while (l > 0 && k < m->off[l]) l--;
  const int in = m->w[l], out = m->w[l + 1], kk = k - m->off[l];
  if (kk < out * in) snprintf(buf, size, "%sW%d[%d,%d]", prefix, l, kk / in, kk % in);
  else snprintf(buf, size, "%sb%d[%d]", prefix, l, kk - out * in);
}
