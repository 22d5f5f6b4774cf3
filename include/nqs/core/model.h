/* nqs/core/model.h — a model: configuration space + wave function + Hamiltonian + moves, as a type table.
 *
 * Everything the one VMC engine (nqs/core/vmc.h, nqs/core/driver.h) needs to know about a system goes
 * through this table: particles in a trap (src/particles/model_particles.c) and lattice spins
 * (src/lattice/model_lattice.c) are two implementations. A walker is an opaque object owned by the model;
 * the engine only reaches its RNG stream and its configuration (`ncoords` doubles: positions, spins
 * as +-1, and for later models discrete labels) to checkpoint and restore it.
 *
 * Parameters are one flat array of `nparams` real numbers owned by the model. A complex model
 * (`cplx`) stores each complex parameter as a (Re, Im) pair and gives complex O_k and E_L:
 * its O row holds nparams / 2 complex numbers, interleaved (Re, Im), in the same order.
 *
 * Local energies come as `nseries` components per sample; component 0 is the energy (its real
 * part for a complex model, the imaginary part going to *e_imag); the others are what the model
 * wants averaged with blocking errors beside it (kinetic and potential parts, <r^2>, ...).
 * Adding a model costs one file and one registry line (nqs_model_types in src/core/model.c). */
#ifndef NQS_MODEL_H
#define NQS_MODEL_H
#include <stddef.h>
#include "nqs/core/comm.h"
#include "nqs/core/config.h"
#include "nqs/core/rng.h"

struct cJSON;
typedef struct nqs_model nqs_model;

#define NQS_MAX_SERIES 8

typedef struct nqs_model_type {
  const char *name; /* the value of [system] type */
  const char *help;
  const struct nqs_option *options; /* own input keys (a section of their own), NULL-key terminated (may be NULL) */
  /* Build from a configuration (validating it); NULL with *err set. */
  nqs_model *(*create)(const nqs_config *c, nqs_error *err);
  void (*free)(nqs_model *m);

  /* Walkers. new: allocate one (its RNG is seeded by the engine afterwards). start: a random
   * configuration from the walker's own RNG, caches built (retrying until the state is
   * non-singular). init: rebuild the caches from the stored configuration and the current
   * parameters; NQS_EINPUT for a configuration the model cannot hold (a restored foreign one),
   * NQS_ERUNTIME for a singular one. finite: 0 if ln|Psi| went non-finite (optional). */
  void *(*walker_new)(const nqs_model *m, nqs_error *err);
  void (*walker_free)(const nqs_model *m, void *w);
  nqs_rng *(*walker_rng)(void *w);
  double *(*walker_coords)(void *w);
  nqs_status (*walker_start)(const nqs_model *m, void *w, nqs_error *err);
  nqs_status (*walker_init)(const nqs_model *m, void *w, nqs_error *err);
  int (*walker_finite)(const nqs_model *m, const void *w);

  /* One sweep (`moves` proposals) with step length `step`; returns the accepted count. */
  long (*sweep)(const nqs_model *m, void *w, double step);
  /* e[nseries] (and *e_imag for a complex model) at the walker; work: work_doubles scratch. */
  void (*local)(const nqs_model *m, const void *w, double *e, double *e_imag, double *work);
  /* O_k = d ln Psi / d theta_k, nparams doubles WRITTEN to o. */
  void (*dlogpsi)(const nqs_model *m, const void *w, double *o);
  /* Optional, real models whose configuration leaves part of the state summed exactly (the
   * spin-isospin amplitudes of a nucleus): O_k into o and the force row
   *   f_k = sum_S (d Psi_S / d theta_k) (H Psi)_S / sum_S |Psi_S|^2
   * into f. It equals O_k E_L only when theta_k scales every amplitude alike; otherwise the
   * energy gradient is 2 (<f_k> - <O_k><E_L>), not 2 cov(O_k, E_L). The engine then uses <f>
   * for the gradient and, in SR, the force <f> - <O><E_L> with the S matrix of O (no MinSR). */
  void (*dlogpsi_force)(const nqs_model *m, const void *w, double *o, double *f);
  /* The parameters were written (an update, a restore, a warm start): clamp to bounds, expand
   * tied parameters. The engine then re-initialises every walker. */
  void (*params_changed)(nqs_model *m);
  /* Name of parameter k (e.g. "slater.alpha", "W[3][1]", "re(a[0])") into buf. */
  void (*param_name)(const nqs_model *m, int k, char *buf, size_t size);

  /* Observables of the evaluation (all optional). create: for `walkers` walkers (global
   * indices), with this rank's `nlocal` walkers to size histograms from;
   * measure: one sample of walker g (called from the thread owning it); reduce: sum over ranks;
   * write: files into dir (a run folder, or a re-evaluation's own sub-folder); json: what
   * result.json says about them (a new cJSON object, or NULL). */
  nqs_status (*obs_create)(const nqs_model *m, const nqs_config *c, int walkers, void *const *local, int nlocal,
                           const nqs_comm *comm, void **obs, nqs_error *err); /* *obs = NULL: nothing to measure */
  void (*obs_measure)(void *obs, int g, const void *w);
  nqs_status (*obs_reduce)(void *obs, const nqs_comm *comm, nqs_error *err);
  nqs_status (*obs_write)(const nqs_model *m, void *obs, long sweeps, const char *dir, nqs_error *err);
  struct cJSON *(*obs_json)(const nqs_model *m, void *obs);
  void (*obs_free)(void *obs);

  /* A known reference energy (exact or a quoted benchmark) with its source; 0 if none. */
  int (*reference)(const nqs_model *m, double *value, const char **source);
  /* A rigorous lower bound of the ground-state energy (an exact ground state, or the
   * non-interacting energy under a repulsive interaction) with its source; 0 if none. No
   * variational energy may lie below it: the driver and the verdict test that. Optional. */
  int (*lower_bound)(const nqs_model *m, double *value, const char **source);
  /* The system's description for result.json, added to the object `system`. */
  void (*describe)(const nqs_model *m, struct cJSON *system);
} nqs_model_type;

struct nqs_model {
  const nqs_model_type *type;
  void *priv;
  int nparams;     /* real numbers in params */
  double *params;  /* the flat parameter array (owned by the model) */
  int cplx;        /* complex amplitudes: complex O_k and E_L */
  int ncoords;     /* doubles per walker configuration */
  int moves;       /* proposals per sweep (the acceptance is accepted / (sweeps x moves)) */
  int units;       /* particles or sites: the energy per unit is energy / units */
  const char *unit; /* "particle" or "site" */
  /* Units of energies and lengths for people (hbar = m = 1 for particles): "Ha" and "bohr" with a
   * Coulomb interaction, "ħω₀" and "a_ho" (the trap's units) otherwise; "MeV" and "fm" for nuclei;
   * "J" (the lattice coupling) and "sites". */
  const char *energy_unit, *length_unit;
  size_t work_doubles;
  int nseries;
  const char *series[NQS_MAX_SERIES]; /* series[0] = "energy" */
  const char *moves_name;             /* the sampler, for result.json */
  double default_step, default_target;
  int adapts; /* the step means something and is adapted to default_target during thermalisation */
};

/* The registered models, NULL-terminated; find by name (NULL if unknown). */
extern const nqs_model_type *const nqs_model_types[];
const nqs_model_type *nqs_model_type_find(const char *name);
/* Name of the i-th registered model, NULL past the end (drives [system] type's allowed values). */
const char *nqs_model_type_name(int i);

/* The model a configuration describes ([system] type). */
nqs_model *nqs_model_create(const nqs_config *c, nqs_error *err);
void nqs_model_free(nqs_model *m);

extern const nqs_model_type nqs_model_particles, nqs_model_lattice, nqs_model_nucleus;

/* Particles in a trap around an existing wave function and sampler (both borrowed): what tests
 * and benchmarks use to drive the engine on a hand-built wave function. */
struct nqs_wavefunction;
struct nqs_sampler_type;
nqs_model *nqs_particles_model_wrap(struct nqs_wavefunction *wf, const struct nqs_sampler_type *s, nqs_error *err);

#endif
