/* optimizer.c — the update-rule registry; SGD and Adam (Kingma & Ba, arXiv:1412.6980). SR lives in sr.c. */
#include <math.h>
#include <string.h>
#include "nqs/core/optimizer.h"

static void sgd_step(double *theta, const double *grad, double *state, int np, double lr, long t) {
  for (int k = 0; k < np; k++) theta[k] -= lr * grad[k];
}

/* element by element, so every vector clone gives the same bits */
__attribute__((target_clones("avx512f", "avx2", "default"))) void nqs_adam_step(double *theta, const double *grad, double *m,
                                                                                double *v, int np, double lr, double beta1,
                                                                                long t) {
  const double b2 = 0.999, eps = 1e-8;
  const double c1 = 1.0 - pow(beta1, (double)t), c2 = 1.0 - pow(b2, (double)t);
  for (int k = 0; k < np; k++) {
    m[k] = beta1 * m[k] + (1 - beta1) * grad[k];
    v[k] = b2 * v[k] + (1 - b2) * grad[k] * grad[k];
    theta[k] -= lr * (m[k] / c1) / (sqrt(v[k] / c2) + eps);
  }
}

/* state = [m (np) | v (np)], standard beta1 = 0.9. */
static void adam_step(double *theta, const double *grad, double *state, int np, double lr, long t) {
  nqs_adam_step(theta, grad, state, state + np, np, lr, 0.9, t);
}

const nqs_optimizer_type nqs_opt_sgd = {.name = "sgd", .help = "plain gradient descent: theta -= learning_rate * dE/dtheta", .step = sgd_step};
const nqs_optimizer_type nqs_opt_adam = {.name = "adam", .help = "Adam with bias-corrected moments (beta1 0.9, beta2 0.999)", .state_per_param = 2, .step = adam_step};
const nqs_optimizer_type *const nqs_optimizer_types[] = {&nqs_opt_adam, &nqs_opt_sgd, &nqs_opt_sr, NULL};

const char *nqs_optimizer_type_name(int i) { return nqs_optimizer_types[i] ? nqs_optimizer_types[i]->name : NULL; }

nqs_status nqs_optimizer_apply(const nqs_optimizer_type *t, const nqs_update_input *in, double *theta, double *state, int np,
                               double lr, long it, nqs_update_info *info, nqs_error *err) {
  memset(info, 0, sizeof *info);
  if (t->solve) return t->solve(in, theta, np, lr, info, err);
  t->step(theta, in->grad, state, np, lr, it);
  return NQS_OK;
}

const nqs_optimizer_type *nqs_optimizer_find(const char *name) {
  for (int i = 0; name && nqs_optimizer_types[i]; i++)
    if (strcmp(nqs_optimizer_types[i]->name, name) == 0) return nqs_optimizer_types[i];
  return NULL;
}
