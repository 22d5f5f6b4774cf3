/* nqs/nn/net.h — small sequential networks for classification: dense and periodic convolutional
 * layers, max pooling, element-wise activations, and a softmax cross-entropy head, with
 * back-propagation (the seeds' feed-forward and convolutional chapters).
 *
 * A sample is a stack of channels (c x h x w, channel-major); a dense layer sees it flattened.
 * Layers (a comma-separated spec, e.g. "conv8, relu, pool, dense32, relu"):
 *   convF[kK]  F filters of K x K (odd, default 3) over every input channel, with periodic
 *              boundaries (lattice configurations on a torus): out (F, h, w)
 *                z[f][y][x] = b[f] + sum_{c,dy,dx} W[f][c][dy][dx] in[c][(y+dy-K/2) mod h][(x+dx-K/2) mod w]
 *   pool       2 x 2 max pooling with stride 2 (h and w even): out (c, h/2, w/2)
 *   denseN     N outputs of W in + b (W: N x c*h*w, row-major)
 *   relu, tanh, sigmoid   element-wise
 * The network ends with a dense layer to the classes, added by nqs_net_parse; the loss of one
 * sample is the softmax cross-entropy -ln p_label with p = softmax(logits). With nqs_net_outputs
 * and nqs_net_backward the same network is a regression map (a GAN's generator).
 * Parameters: one flat slice, layer by layer, W then b. */
#ifndef NQS_NET_H
#define NQS_NET_H
#include "nqs/core/error.h"
#include "nqs/core/rng.h"

#define NQS_NET_MAX_LAYERS 32

typedef enum { NQS_LAYER_DENSE, NQS_LAYER_CONV, NQS_LAYER_POOL, NQS_LAYER_RELU, NQS_LAYER_TANH, NQS_LAYER_SIGMOID } nqs_layer_kind;

typedef struct nqs_layer {
  nqs_layer_kind kind;
  int in_c, in_h, in_w, out_c, out_h, out_w;
  int k;        /* conv: kernel size */
  int off, np;  /* parameter offset and count */
  int in_size, out_size, act; /* act: offset of this layer's output in the activation workspace */
} nqs_layer;

typedef struct nqs_net {
  int nl;
  nqs_layer l[NQS_NET_MAX_LAYERS];
  int np;       /* parameters */
  int classes;
  int in_size;  /* c * h * w */
  int act_size; /* doubles of the activations of one sample (input included) */
} nqs_net;

/* Build the network of spec for inputs (c, h, w) and `classes` outputs. NQS_EINPUT names the
 * token at fault. */
nqs_status nqs_net_parse(nqs_net *net, const char *spec, int c, int h, int w, int classes, nqs_error *err);

/* He-style start: W ~ N(0, 2 / fan_in), b = 0. */
void nqs_net_init_params(const nqs_net *net, double *theta, nqs_rng *rng);

/* Doubles of workspace for one sample's forward and backward pass. */
int nqs_net_work_size(const nqs_net *net);

/* Forward pass of x: the class probabilities into p[classes]; the activations stay in work. */
void nqs_net_forward(const nqs_net *net, const double *theta, const double *x, double *p, double *work);

/* The raw outputs (the last dense layer's classes values, no softmax: a generator's output);
 * they live in work, which keeps the activations for nqs_net_backward. */
const double *nqs_net_outputs(const nqs_net *net, const double *theta, const double *x, double *work);

/* After a forward pass of x in work: with dy = dL/d(raw outputs), ADD scale * dL/dtheta to grad
 * (unless NULL) and write dL/dx to dx (unless NULL). dx is not scaled. */
void nqs_net_backward(const nqs_net *net, const double *theta, const double *dy, double scale, double *grad, double *dx,
                      double *work);

/* Loss -ln p_label of x; ADD its gradient (times scale) to grad[np]. p: the probabilities
 * (at most 64 classes). */
double nqs_net_loss_grad(const nqs_net *net, const double *theta, const double *x, int label, double scale, double *grad,
                         double *p, double *work);

/* The same for n samples at once (rows of X, n x in_size; labels[n]; probabilities P, n x classes;
 * dY, dX: n rows): dense layers become one matrix product over the batch. The returned loss is
 * the sum over the samples; grad gets scale times the gradient of that sum. work: batch_work_size;
 * X may be work itself (rows gathered there in place, which spares a copy). */
int nqs_net_batch_work_size(const nqs_net *net, int n);
const double *nqs_net_outputs_batch(const nqs_net *net, const double *theta, const double *X, int n, double *work);
void nqs_net_backward_batch(const nqs_net *net, const double *theta, const double *dY, int n, double scale, double *grad,
                            double *dX, double *work);
double nqs_net_loss_grad_batch(const nqs_net *net, const double *theta, const double *X, const int *labels, int n, double scale,
                               double *grad, double *P, double *work, double *keep);

/* Dense weight gradients summed over a whole batch that was passed in parts (one per thread,
 * say) in one fixed order, instead of one gradient copy per part added up afterwards: with keep
 * (nqs_net_keep_size(net, n) doubles) nqs_net_loss_grad_batch stores the dense layers' deltas
 * there and leaves their weights' gradients alone (grad then gets only the other layers'; it may
 * be NULL). nqs_net_dense_grad then ADDS scale x the gradient of dense layer `layer`'s output
 * rows o0 <= o < o1, summed over parts 0..nparts-1 in order (part p: rows[p] samples, passed
 * with workspace works[p] and keep buffer keeps[p]), to grad. Disjoint row ranges may run at
 * once; the sum does not depend on how they are split. */
int nqs_net_keep_size(const nqs_net *net, int n);
void nqs_net_dense_grad(const nqs_net *net, int layer, int o0, int o1, int nparts, const int *rows, double *const *works,
                        double *const *keeps, double scale, double *grad);

/* One-line description, e.g. "conv8(3x3) relu pool dense32 relu dense2: 12345 parameters". */
void nqs_net_describe(const nqs_net *net, char *buf, int size);

#endif
