/* nqs/particles/factor.h — one factor of a product wave function, as a type table.
 *
 *   Psi(x) = prod_f f(x; theta_f),   ln|Psi| = sum_f ln|f|
 *
 * A factor is a const table of functions (nqs_factor_type) plus fixed private
 * data (e.g. orbital quantum numbers). Its parameters theta_f are a slice of the
 * wave function's one flat parameter array; its per-walker state ("cache": an
 * inverse matrix, a distance table, hidden-unit angles, ...) is a slice of the
 * walker's one cache buffer. Adding a factor touches one file and one registry
 * line (src/particles/wavefunction.c).
 *
 * x is always the n*dim positions, row-major: x[i*dim + k]. Gradients are
 * with respect to particle coordinates; "lap" is the Laplacian of ln|f|. */
#ifndef NQS_FACTOR_H
#define NQS_FACTOR_H
#include <stddef.h>
#include <stdint.h>
#include "nqs/core/config.h"
#include "nqs/particles/system.h"

typedef struct nqs_factor nqs_factor;
typedef struct nqs_factor_options nqs_factor_options;

typedef struct nqs_factor_type {
  const char *name;
  const char *help;
  int binds;     /* 1 if the factor alone makes |Psi|^2 normalisable (decays at infinity) */
  int fermionic; /* 1 if the factor is antisymmetric under exchange of equal spins */
  const nqs_option *options; /* own input keys ([wavefunction] section), NULL-key terminated (may be NULL) */

  /* Create for a system; NULL with *err set (NQS_EINPUT for unsuitable systems). */
  nqs_factor *(*create)(const nqs_system *sys, const nqs_factor_options *o, nqs_error *err);

  /* Bytes of per-walker cache (0 allowed). */
  size_t (*cache_size)(const nqs_factor *f);

  /* Build the cache for positions x from scratch; return ln|f(x)|.
   * Returns NaN if the state is singular (e.g. a zero determinant). */
  double (*init)(const nqs_factor *f, const double *theta, const double *x, void *cache);

  /* Move of particle p to xp[dim] (x unchanged): return ln|f(x')/f(x)|.
   * If grad_new != NULL, ADD grad_p ln|f| at x' to grad_new[dim].
   * May store temporaries in the cache for accept(). Cost O(n) to O(n d). */
  double (*propose)(const nqs_factor *f, const double *theta, const double *x, void *cache,
                    int p, const double *xp, double *grad_new);

  /* Accept the last proposal (same p, xp); called before x is updated.
   * Cost O(n) to O(n^2). */
  void (*accept)(const nqs_factor *f, const double *theta, const double *x, void *cache,
                 int p, const double *xp);

  /* ADD grad_p ln|f| at x to g[dim]. */
  void (*grad_p)(const nqs_factor *f, const double *theta, const double *x, const void *cache,
                 int p, double *g);

  /* ADD grad ln|f| (all particles) to g[n*dim] and sum_i lap_i ln|f| to *lap. */
  void (*grad_lap)(const nqs_factor *f, const double *theta, const double *x, const void *cache,
                   double *g, double *lap);

  /* WRITE O_k = d ln|f| / d theta_k to o[nparams]. */
  void (*dparams)(const nqs_factor *f, const double *theta, const double *x, const void *cache,
                  double *o);

  /* Optional: the sign of f (+1 or -1) at the configuration the cache holds; NULL: f > 0. */
  double (*sign)(const nqs_factor *f, const void *cache);

  /* Free private data (not the nqs_factor itself). */
  void (*free_priv)(nqs_factor *f);
} nqs_factor_type;

#define NQS_PARAM_NAME 32

struct nqs_factor {
  const nqs_factor_type *type;
  nqs_system sys;
  int nparams;
  char (*param_names)[NQS_PARAM_NAME]; /* nparams names, e.g. "alpha" */
  double *theta0;                       /* nparams initial values */
  double *lower;                        /* nparams lower bounds (-INFINITY: none) */
  void *priv;                           /* fixed data owned by the factor */
};

/* Options the factors read at creation. */
struct nqs_factor_options {
  double alpha;        /* Gaussian width / orbital scale (1 = exact non-interacting) */
  double beta;         /* Pade-Jastrow beta */
  int pade_cusp;       /* 1: a_ij from the Coulomb cusp; 0: use the two values below */
  double pade_a_parallel, pade_a_antiparallel;
  int hidden;          /* RBM hidden units */
  double rbm_sigma;    /* RBM visible width sigma */
  int rbm_sqrt;        /* 1: Psi = sqrt(F) (|Psi|^2 = F); 0: Psi = F */
  double init_std;     /* std of the random initial network weights */
  uint64_t seed;       /* stream for random initial weights */
  int ffnn_hidden[8], ffnn_nhidden; /* hidden-layer widths of the ffnn factor */
  int ffnn_activation;               /* nqs_activation */
  int ffnn_coords;                   /* 1: input = all coordinates; 0: pair distances (symmetric) */
  int walkers;         /* for memory estimates: walkers of the run */
  double memory_limit; /* run.memory_limit (GiB; 0: the machine's) */
  int bf_hidden[8], bf_nhidden; /* hidden-layer widths of the backflow pair network (-1: malformed) */
  int bfo_hidden[8], bfo_nhidden; /* of the generalised orbitals' network g (0: none; -1: malformed) */
  int bf_ndet;         /* backflow determinants in the sum (0 or 1: one) */
  int slater_bare;     /* set by nqs_wf_create: another factor supplies the one-body Gaussian,
                          so the Slater orbitals are bare Hermite polynomials */
};

/* The registered factor types, NULL-terminated. */
extern const nqs_factor_type *const nqs_factor_types[];
const nqs_factor_type *nqs_factor_type_find(const char *name);
/* Name of the i-th registered factor, NULL past the end (drives [wavefunction] factors' allowed values). */
const char *nqs_factor_type_name(int i);

/* Allocate the common part of a factor (names, theta0, lower for nparams). */
nqs_factor *nqs_factor_alloc(const nqs_factor_type *t, const nqs_system *sys, int nparams);
void nqs_factor_free(nqs_factor *f);

/* The types (src/factor_*.c). */
extern const nqs_factor_type nqs_factor_gaussian, nqs_factor_slater, nqs_factor_pade, nqs_factor_rbm,
    nqs_factor_ffnn, nqs_factor_hardcore, nqs_factor_backflow;

/* The system and the factor options a configuration describes ([system], [wavefunction]). */
nqs_status nqs_config_system(const nqs_config *c, nqs_system *sys, nqs_error *err);
nqs_factor_options nqs_config_factor_options(const nqs_config *c);

#endif
