/* nqs/nn/mlp.h — a small dense network y = NN(x), scalar output, and its derivatives.
 *
 * Layers l = 0..L-1 map width w[l] -> w[l+1]; hidden layers apply the activation,
 * the last layer (w[L] = 1) is linear. Parameters (one flat slice, llm.c style):
 * for each layer W_l (w[l+1] x w[l], row-major) then b_l (w[l+1]).
 *
 * Derivatives with respect to the input along a direction v (forward mode):
 *   z = W a + b,  z' = W a',  z'' = W a''
 *   a = f(z),     a' = f'(z) z',  a'' = f''(z) z'^2 + f'(z) z''
 * starting from a = x, a' = v, a'' = 0. One pass gives y, dy/dv and d2y/dv2 exactly.
 * Parameter derivatives dy/dtheta by back-propagation (reverse mode), which also
 * yields dy/dx. */
#ifndef NQS_MLP_H
#define NQS_MLP_H
#include <stddef.h>
#include "nqs/core/error.h"
#include "nqs/core/rng.h"

#define NQS_MLP_MAX_LAYERS 8

typedef enum { NQS_ACT_TANH, NQS_ACT_SIGMOID, NQS_ACT_SOFTPLUS, NQS_ACT_ELU, NQS_ACT_GELU } nqs_activation;

typedef struct nqs_mlp {
  int nlayers;                        /* L */
  int w[NQS_MLP_MAX_LAYERS + 1];      /* widths: w[0] inputs ... w[L] = 1 */
  int off[NQS_MLP_MAX_LAYERS];        /* parameter offset of W_l; b_l follows it */
  int nparams;
  int maxw;                           /* largest width */
  nqs_activation act;
} nqs_mlp;

/* Parse an activation name; -1 if unknown. */
int nqs_activation_parse(const char *name);

/* Hidden widths from a comma list: "16, 16" -> w = {16, 16}, *n = 2 (w holds 7); -1 on a
 * malformed list (an empty element, a width outside 1..4096, more than 7). */
int nqs_mlp_parse_widths(const char *text, int *w, int *n);

/* Set up widths: inputs, hidden widths[nhidden], output 1. */
nqs_status nqs_mlp_init(nqs_mlp *m, int inputs, const int *hidden, int nhidden, nqs_activation act, nqs_error *err);

/* A network that starts at exactly zero: hidden W ~ N(0, 1/fan_in) drawn layer by layer from
 * rng, biases and the whole output layer zero (theta: nparams doubles). */
void nqs_mlp_init_zero_output(const nqs_mlp *m, double *theta, nqs_rng *rng);

/* Name of parameter k of the network: "<prefix>W<l>[o,i]" or "<prefix>b<l>[o]". */
void nqs_mlp_param_name(const nqs_mlp *m, int k, const char *prefix, char *buf, size_t size);

/* Doubles of workspace the calls below need. */
int nqs_mlp_work_size(const nqs_mlp *m);

/* y = NN(x); with v != NULL also dy (= grad y . v) and d2y (= v^T Hess y v). */
double nqs_mlp_forward(const nqs_mlp *m, const double *theta, const double *x, const double *v, double *dy, double *d2y,
                       double *work);

/* y from the first layer's pre-activations z0 = W_0 x + b_0 (w[1] values) onward: for inputs
 * that change in a few entries (spin flips), the caller updates z0 by the changed columns of
 * W_0 in O(k w[1]) and skips the first product. */
double nqs_mlp_forward_from_z0(const nqs_mlp *m, const double *theta, const double *z0, double *work);

/* ADD scale * dy/dtheta to g[nparams] (if g != NULL); if gx != NULL, ADD scale * dy/dx to gx[w[0]]. */
void nqs_mlp_backward(const nqs_mlp *m, const double *theta, const double *x, double scale, double *g, double *gx,
                      double *work);

/* Batched forms for B inputs at once (the pair networks of one walker): rows are
 * features and columns the batch, X[i * B + b] (w[0] x B). Inner loops run over the
 * batch, so they vectorise without reassociating any sum.
 * Forward along one common input direction v (as above): y, dy, d2y are B long;
 * dy and d2y may be NULL when v is NULL. */
int nqs_mlp_batch_work_size(const nqs_mlp *m, int B);
void nqs_mlp_forward_batch(const nqs_mlp *m, const double *theta, int B, const double *X, const double *v, double *y,
                           double *dy, double *d2y, double *work);
/* ADD sum_b c_b dy(X_b)/dtheta to g[nparams] (c == NULL: all c_b = 1). */
void nqs_mlp_backward_batch(const nqs_mlp *m, const double *theta, int B, const double *X, const double *c, double *g,
                            double *work);

#endif
