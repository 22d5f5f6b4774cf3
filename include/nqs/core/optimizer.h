/* nqs/core/optimizer.h — update rules: how the parameters move from one optimisation iteration to the
 * next, as a type table. SGD and Adam use the energy gradient; stochastic reconfiguration
 * (nqs/core/sr.h) uses every sample's O row. All state (Adam moments) is one flat array matching the
 * flat parameters, so zeroing, checkpointing and reductions are one loop each. The driver
 * (nqs/core/driver.h) calls nqs_optimizer_apply and never asks which rule it holds; adding a rule is
 * one file and one line in nqs_optimizer_types. */
#ifndef NQS_OPTIMIZER_H
#define NQS_OPTIMIZER_H
#include "nqs/core/error.h"

/* What an iteration's sampling measured (nqs/core/vmc.h) and the knobs of the rules. */
typedef struct nqs_update_input {
  const double *grad;            /* np: dE/dtheta (complex parameters: Re, Im pairs) */
  const double *O, *el, *eli;    /* ns rows of O, Re E_L, Im E_L (eli NULL unless complex) */
  long ns;
  int cplx;                      /* parameters are (Re, Im) pairs of complex ones */
  double diag_shift, diag_shift_rel; /* SR shifts */
  int sr_solver;                 /* nqs_sr_solver */
  double max_step;               /* cap on |eta delta| (0: none) */
  int force_from_grad;           /* SR's force is grad / 2, not cov(O, E_L) (models with dlogpsi_force) */
} nqs_update_input;

typedef struct nqs_update_info {
  int used_minsr, used_fallback; /* SR: which path solved it */
  double step_norm;              /* |theta_new - theta| */
} nqs_update_info;

typedef struct nqs_optimizer_type {
  const char *name;
  const char *help;
  int state_per_param; /* doubles of state per parameter */
  /* Gradient rules: theta -= update(grad); t counts steps from 1. NULL for sample rules. */
  void (*step)(double *theta, const double *grad, double *state, int np, double lr, long t);
  /* Sample rules (needs_samples): the step from every sample's O row and E_L. */
  int needs_samples;
  nqs_status (*solve)(const nqs_update_input *in, double *theta, int np, double lr, nqs_update_info *info, nqs_error *err);
  const struct nqs_option *options; /* own input keys ([optimizer]), NULL-key terminated (may be NULL) */
} nqs_optimizer_type;

/* One update of theta[np] by rule t at step it (from 1) with learning rate lr. */
nqs_status nqs_optimizer_apply(const nqs_optimizer_type *t, const nqs_update_input *in, double *theta, double *state, int np,
                               double lr, long it, nqs_update_info *info, nqs_error *err);

/* One Adam step (Kingma & Ba) at step t (from 1): moments m, v (np each) updated in place,
 * beta2 = 0.999, eps = 1e-8; beta1 0.9 in the registry's rule, 0.5 for GANs. */
void nqs_adam_step(double *theta, const double *grad, double *m, double *v, int np, double lr, double beta1, long t);

extern const nqs_optimizer_type nqs_opt_sgd, nqs_opt_adam, nqs_opt_sr;
extern const nqs_optimizer_type *const nqs_optimizer_types[]; /* NULL-terminated */
const nqs_optimizer_type *nqs_optimizer_find(const char *name);
/* Name of the i-th registered rule, NULL past the end (drives [optimizer] method's allowed values). */
const char *nqs_optimizer_type_name(int i);

#endif
