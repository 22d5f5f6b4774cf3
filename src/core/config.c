/* config.c — the option table and everything driven by it. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <ini.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "nqs/core/config.h"
#include "nqs/particles/factor.h"
#include "nqs/lattice/lattice.h"
#include "nqs/nn/mlp.h"
#include "nqs/core/model.h"
#include "nqs/particles/potential.h"
#include "nqs/core/optimizer.h"
#include "nqs/particles/sampler.h"
#include "nqs/particles/wavefunction.h"

typedef nqs_option option;

#define F(field) offsetof(nqs_config, field), sizeof(((nqs_config *)0)->field)
#define BIG 1e300

/* Declared once; everything else reads this table and the registries' own rows (OPT). */
static const option core_options[] = {
    {"system", "type", NQS_K_CHOICE, F(system.type), "continuum", 0, 0, 0, "@model",
     "continuum: particles in a trap (the keys below); lattice: spin-1/2 model of [lattice]; nucleus: light nucleus of [nucleus]"},
    {"system", "dimensions", NQS_K_INT, F(system.dimensions), "2", 1, 3, 0, NULL, "spatial dimensions d"},
    {"system", "particles", NQS_K_INT, F(system.particles), "2", 1, 4096, 0, NULL,
     "number of particles N (fermions: a closed shell, 2D 2,6,12,20,30,42,56; 3D 2,8,20,40)"},
    {"system", "statistics", NQS_K_CHOICE, F(system.statistics), "fermions", 0, 0, 0, "fermions|bosons|distinguishable",
     "particle statistics (fermions are spin-1/2, half up and half down)"},
    {"system", "omega", NQS_K_REAL, F(system.omega), "1.0", 0, 1e6, 1, NULL, "harmonic trap frequency omega"},
    {"system", "lambda", NQS_K_REAL, F(system.lambda), "1.0", 0, 1e3, 1, NULL,
     "elliptic trap: frequency ratio on the last axis (z in 3D); 1 = isotropic"},
    {"system", "interaction", NQS_K_CHOICE, F(system.interaction), "coulomb", 0, 0, 0, "@potential",
     "pair interaction (the potential's own keys follow in this section)"},

    {"wavefunction", "factors", NQS_K_LIST, F(wavefunction.factors), "slater, pade", 0, 0, 0, "@factor",
     "product of factors: gaussian (bosons), slater (fermions), backflow (fermions, learned nodes), pade (Pade-Jastrow), rbm (Gaussian-binary RBM), ffnn (network)"},

    {"sampler", "method", NQS_K_CHOICE, F(sampler.method), "langevin", 0, 0, 0, "@sampler",
     "metropolis (uniform moves), langevin (importance sampling with drift), gibbs (rbm with rbm_psi = sqrtF only), "
     "metropolis_all and langevin_all (all particles at once: for backflow)"},
    {"sampler", "step", NQS_K_REAL, F(sampler.step), "0", 0, 100, 0, NULL,
     "initial step (metropolis) or time step (langevin); 0 = sampler default (1.0 / 0.1)"},
    {"sampler", "target_acceptance", NQS_K_REAL, F(sampler.target_acceptance), "0", 0, 0.999, 0, NULL,
     "acceptance the step is adapted to during thermalisation; 0 = sampler default (0.5 / 0.9)"},
    {"sampler", "walkers", NQS_K_INT, F(sampler.walkers), "16", 1, 1000000, 0, NULL, "independent Markov chains"},
    {"sampler", "thermalization", NQS_K_INT, F(sampler.thermalization), "200", 0, 100000000, 0, NULL,
     "sweeps per walker discarded before measuring (step adapted only here)"},

    {"optimizer", "method", NQS_K_CHOICE, F(optimizer.method), "adam", 0, 0, 0, "@update",
     "parameter update rule: adam, sgd, or sr (stochastic reconfiguration)"},
    {"optimizer", "learning_rate", NQS_K_REAL, F(optimizer.learning_rate), "0.01", 0, 10, 1, NULL, "step size eta"},
    {"optimizer", "schedule", NQS_K_CHOICE, F(optimizer.schedule), "constant", 0, 0, 0, "constant|inverse|exponential",
     "learning-rate schedule: eta, eta/(1 + decay t), or eta exp(-decay t)"},
    {"optimizer", "decay", NQS_K_REAL, F(optimizer.decay), "0", 0, 10, 0, NULL, "decay rate of the schedule"},
    {"optimizer", "max_step", NQS_K_REAL, F(optimizer.max_step), "0", 0, 1e6, 0, NULL,
     "cap on the parameter step norm |eta delta| (sr); 0 = no cap"},
    {"optimizer", "iterations", NQS_K_INT, F(optimizer.iterations), "100", 0, 10000000, 0, NULL,
     "optimisation iterations (0: evaluate the initial parameters)"},
    {"optimizer", "samples", NQS_K_LONG, F(optimizer.samples), "8000", 1, 1e12, 0, NULL,
     "samples per iteration, all walkers together (one per sweep per walker)"},

    {"evaluation", "samples", NQS_K_LONG, F(evaluation.samples), "200000", 1, 1e12, 0, NULL,
     "samples of the final evaluation with frozen parameters"},
    {"evaluation", "dump_samples", NQS_K_LONG, F(evaluation.dump_samples), "0", 0, 1e8, 0, NULL,
     "write this many of the evaluation's configurations to samples.csv (spread over walkers and sweeps; data for nqs gan); "
     "0 = none"},

    {"boltzmann", "data", NQS_K_STRING, F(boltzmann.data), "", 0, 0, 0, NULL,
     "nqs train-rbm: CSV of samples, one per row, 0/1 entries (a header line is skipped; relative to the input file)"},
    {"boltzmann", "held_out", NQS_K_REAL, F(boltzmann.held_out), "0.2", 0, 0.9, 0, NULL,
     "fraction of the rows (the last ones) kept out of training to measure generalisation"},
    {"boltzmann", "visible", NQS_K_CHOICE, F(boltzmann.visible), "binary", 0, 0, 0, "binary|gaussian",
     "visible units: binary (0/1 data) or gaussian (real data; width sigma)"},
    {"boltzmann", "sigma", NQS_K_REAL, F(boltzmann.sigma), "1.0", 0, 1e6, 1, NULL, "visible = gaussian: the visible width sigma"},
    {"boltzmann", "hidden", NQS_K_INT, F(boltzmann.hidden), "16", 1, 100000, 0, NULL, "hidden units of the binary-binary RBM"},
    {"boltzmann", "method", NQS_K_CHOICE, F(boltzmann.method), "pcd", 0, 0, 0, "pcd|cd|pt|exact",
     "negative phase: pcd (persistent chains), cd (chains restarted at the batch), pt (persistent chains with parallel "
     "tempering), exact (sum over 2^visible states)"},
    {"boltzmann", "replicas", NQS_K_INT, F(boltzmann.replicas), "10", 2, 1000, 0, NULL,
     "pt: replicas per chain, at inverse temperatures 1, 1 - 1/replicas, ..., 1/replicas"},
    {"boltzmann", "k", NQS_K_INT, F(boltzmann.k), "1", 1, 100000, 0, NULL, "block-Gibbs sweeps per update (CD-k, PCD-k)"},
    {"boltzmann", "chains", NQS_K_INT, F(boltzmann.chains), "100", 1, 1000000, 0, NULL, "pcd: persistent chains"},
    {"boltzmann", "batch", NQS_K_INT, F(boltzmann.batch), "100", 1, 100000000, 0, NULL, "rows per mini-batch"},
    {"boltzmann", "epochs", NQS_K_INT, F(boltzmann.epochs), "100", 1, 100000000, 0, NULL, "passes over the training rows"},
    {"boltzmann", "optimizer", NQS_K_CHOICE, F(boltzmann.optimizer), "momentum", 0, 0, 0, "momentum|adam|sgd",
     "update rule for the log-likelihood ascent"},
    {"boltzmann", "learning_rate", NQS_K_REAL, F(boltzmann.learning_rate), "0.05", 0, 10, 1, NULL, "step size"},
    {"boltzmann", "decay", NQS_K_REAL, F(boltzmann.decay), "0", 0, 1e6, 0, NULL,
     "learning-rate schedule: learning_rate / (1 + decay (epoch - 1)); 0 = constant"},
    {"boltzmann", "momentum", NQS_K_REAL, F(boltzmann.momentum), "0.9", 0, 0.999, 0, NULL, "optimizer = momentum: mu"},
    {"boltzmann", "weight_decay", NQS_K_REAL, F(boltzmann.weight_decay), "0.0001", 0, 10, 0, NULL,
     "L2 penalty on the weights W (added to the negative log-likelihood as weight_decay |W|^2 / 2)"},
    {"boltzmann", "init_std", NQS_K_REAL, F(boltzmann.init_std), "0.01", 0, 10, 0, NULL, "initial weights ~ N(0, init_std^2); biases 0"},
    {"boltzmann", "target", NQS_K_CHOICE, F(boltzmann.target), "none", 0, 0, 0, "none|ising",
     "known distribution of the data for the exact KL divergence: ising (L x L periodic, L^2 = visible units <= 24)"},
    {"boltzmann", "temperature", NQS_K_REAL, F(boltzmann.temperature), "2.269185314", 0, 1e6, 1, NULL,
     "target = ising: the temperature of the data"},

    {"boltzmann", "measurements", NQS_K_LONG, F(boltzmann.measurements), "10000", 1, 1e9, 0, NULL,
     "nqs tomography: records per measurement basis"},
    {"boltzmann", "bases", NQS_K_CHOICE, F(boltzmann.bases), "zx", 0, 0, 0, "z|zx|pairs",
     "nqs tomography: z (all qubits in Z), zx (all Z and all X), pairs (all Z, all X, and X on each bond's two qubits)"},

    {"regress", "data", NQS_K_STRING, F(regress.data), "", 0, 0, 0, NULL,
     "nqs regress: CSV (with a header row of column names) or HDF5 (dataset \"data\") of samples, one per row, relative "
     "to the input file; empty = the built-in Franke data set (points, noise)"},
    {"regress", "inputs", NQS_K_STRING, F(regress.inputs), "", 0, 0, 0, NULL,
     "input columns, by header name or 0-based index, comma separated; empty = every column but the target"},
    {"regress", "target", NQS_K_STRING, F(regress.target), "", 0, 0, 0, NULL,
     "the column to predict, by header name or 0-based index; empty = the last column"},
    {"regress", "points", NQS_K_INT, F(regress.points), "20", 2, 2000, 0, NULL,
     "built-in data: the Franke function on a points x points grid of [0, 1]^2"},
    {"regress", "noise", NQS_K_REAL, F(regress.noise), "0.1", 0, 1e6, 0, NULL,
     "built-in data: standard deviation of the Gaussian noise added to the Franke function"},
    {"regress", "model", NQS_K_CHOICE, F(regress.model), "ols", 0, 0, 0, "ols|ridge|lasso|pmm",
     "ols (least squares by SVD, with standard errors), ridge (|y - Xw|^2 + lambda |w|^2), lasso "
     "((1/2n)|y - Xw|^2 + lambda |w|_1), pmm (parametric matrix model of the standardised inputs, trained by Adam)"},
    {"regress", "pmm_size", NQS_K_INT, F(regress.pmm_size), "4", 2, 64, 0, NULL,
     "pmm: n of the n x n symmetric matrix M(x) = A + sum_l x_l B_l"},
    {"regress", "pmm_eigenvectors", NQS_K_INT, F(regress.pmm_eigenvectors), "1", 1, 63, 0, NULL,
     "pmm: r, the lowest eigenpairs in the output g + sum_{k<r} (c_k lambda_k + v_k.D v_k) (below pmm_size)"},
    {"regress", "pmm_epochs", NQS_K_INT, F(regress.pmm_epochs), "2000", 1, 10000000, 0, NULL, "pmm: full-batch Adam steps"},
    {"regress", "pmm_learning_rate", NQS_K_REAL, F(regress.pmm_learning_rate), "0.01", 0, 10, 1, NULL, "pmm: Adam step size"},
    {"regress", "degree", NQS_K_INT, F(regress.degree), "5", 1, 40, 0, NULL,
     "features: every monomial of the inputs of total degree 1..degree (the intercept is fitted apart, unpenalised)"},
    {"regress", "standardise", NQS_K_CHOICE, F(regress.standardise), "yes", 0, 0, 0, "yes|no",
     "scale each feature to unit variance over the training rows (the penalty then treats them alike)"},
    {"regress", "test_fraction", NQS_K_REAL, F(regress.test_fraction), "0.2", 0, 0.9, 0, NULL,
     "fraction of the rows (drawn at random) held out as the test set"},
    {"regress", "folds", NQS_K_INT, F(regress.folds), "5", 2, 1000, 0, NULL, "k of the k-fold cross-validation on the training rows"},
    {"regress", "bootstraps", NQS_K_INT, F(regress.bootstraps), "0", 0, 100000, 0, NULL,
     "bootstrap resamples of the training rows for the bias-variance decomposition on the test rows; 0 = off (linear models)"},
    {"regress", "complexity", NQS_K_INT, F(regress.complexity), "0", 0, 40, 0, NULL,
     "also fit degrees 1..complexity and tabulate train, test and cross-validated MSE, bias^2 and variance; 0 = off "
     "(linear models)"},
    {"regress", "lambdas", NQS_K_STRING, F(regress.lambdas), "auto", 0, 0, 0, NULL,
     "ridge, lasso: penalties to cross-validate, a list (1e-3, 1e-2) or FROM:TO:COUNT (log-spaced); auto = ridge "
     "1e-10:1e2:25, lasso alpha_max x (1 .. 1e-4), 30 values"},
    {"regress", "lambda", NQS_K_REAL, F(regress.lambda), "0", 0, 1e12, 0, NULL,
     "ridge, lasso: the penalty of the final fit; 0 = the one with the smallest cross-validated MSE"},
    {"regress", "tolerance", NQS_K_REAL, F(regress.tolerance), "1e-8", 1e-16, 1, 1, NULL,
     "lasso: the duality gap a fit must reach, relative to |y - mean y|^2"},
    {"regress", "max_sweeps", NQS_K_INT, F(regress.max_sweeps), "100000", 1, 100000000, 0, NULL,
     "lasso: coordinate-descent sweeps before giving up (lars: of the polish after the path, at most 2000)"},
    {"regress", "lasso_solver", NQS_K_CHOICE, F(regress.lasso_solver), "lars", 0, 0, 0, "lars|cd",
     "lasso: lars (the exact homotopy along the path, then a coordinate-descent polish) or cd (coordinate descent, "
     "warm-started along the path; slow on strongly correlated columns such as high polynomial degrees)"},

    {"classify", "data", NQS_K_STRING, F(classify.data), "", 0, 0, 0, NULL,
     "nqs classify: CSV (header row) or HDF5 of labelled samples, one per row (nqs sample-ising --temperatures writes one), "
     "relative to the input file"},
    {"classify", "label", NQS_K_STRING, F(classify.label), "ordered", 0, 0, 0, NULL,
     "the column of class labels 0, 1, ... (header name or 0-based index)"},
    {"classify", "temperature", NQS_K_STRING, F(classify.temperature), "T", 0, 0, 0, NULL,
     "the column of temperatures, for the output against T and its 0.5 crossing; none = no such column"},
    {"classify", "lattice", NQS_K_INT, F(classify.lattice), "0", 0, 4096, 0, NULL,
     "side L of the L x L periodic lattice the features form (convolutions need it); 0 = sqrt(features)"},
    {"classify", "network", NQS_K_STRING, F(classify.network), "conv8, relu, pool, dense32, relu", 0, 0, 0, NULL,
     "layers before the output layer: convF or convFkK (periodic), pool (2 x 2 max), denseN, relu, tanh, sigmoid"},
    {"classify", "optimizer", NQS_K_CHOICE, F(classify.optimizer), "adam", 0, 0, 0, "sgd|momentum|adam", "update rule"},
    {"classify", "learning_rate", NQS_K_REAL, F(classify.learning_rate), "0.001", 0, 10, 1, NULL, "step size"},
    {"classify", "momentum", NQS_K_REAL, F(classify.momentum), "0.9", 0, 0.999, 0, NULL, "optimizer = momentum: mu"},
    {"classify", "weight_decay", NQS_K_REAL, F(classify.weight_decay), "0.0001", 0, 10, 0, NULL,
     "L2 penalty weight_decay |theta|^2 / 2 on every parameter"},
    {"classify", "batch", NQS_K_INT, F(classify.batch), "64", 1, 1000000, 0, NULL, "rows per mini-batch"},
    {"classify", "epochs", NQS_K_INT, F(classify.epochs), "30", 1, 1000000, 0, NULL, "passes over the training rows at most"},
    {"classify", "patience", NQS_K_INT, F(classify.patience), "5", 1, 1000000, 0, NULL,
     "early stopping: stop after this many epochs without a lower validation loss, and keep the best epoch's network"},
    {"classify", "validation_fraction", NQS_K_REAL, F(classify.validation_fraction), "0.1", 0.01, 0.5, 0, NULL,
     "fraction of the non-test rows held out to monitor the training"},
    {"classify", "test_fraction", NQS_K_REAL, F(classify.test_fraction), "0.2", 0.01, 0.9, 0, NULL,
     "fraction of the rows (drawn at random, every temperature) held out as the test set"},
    {"classify", "exclude", NQS_K_REAL, F(classify.exclude), "0", 0, 1e6, 0, NULL,
     "train and validate only on rows with |T - critical| >= exclude (the network never sees the transition); the test "
     "set keeps every temperature"},
    {"classify", "critical", NQS_K_REAL, F(classify.critical), "2.269185314213022", 0, 1e6, 0, NULL,
     "the temperature exclude is measured from (Onsager's T_c)"},

    {"gan", "data", NQS_K_STRING, F(gan.data), "", 0, 0, 0, NULL,
     "nqs gan: CSV or HDF5 of particle configurations, one per row (x, y of particle 1, then particle 2, ...), e.g. the "
     "samples.csv of nqs run with evaluation.dump_samples; relative to the input file"},
    {"gan", "dimensions", NQS_K_INT, F(gan.dimensions), "2", 1, 3, 0, NULL, "coordinates per particle"},
    {"gan", "generator", NQS_K_STRING, F(gan.generator), "dense64, relu, dense64, relu", 0, 0, 0, NULL,
     "generator layers before its linear output layer (denseN, relu, tanh, sigmoid)"},
    {"gan", "discriminator", NQS_K_STRING, F(gan.discriminator), "dense64, relu, dense64, relu", 0, 0, 0, NULL,
     "discriminator layers before its two-class output layer"},
    {"gan", "latent", NQS_K_INT, F(gan.latent), "8", 1, 4096, 0, NULL, "dimension of the generator's Gaussian noise z"},
    {"gan", "epochs", NQS_K_INT, F(gan.epochs), "100", 1, 10000000, 0, NULL, "passes over the data"},
    {"gan", "batch", NQS_K_INT, F(gan.batch), "64", 1, 1000000, 0, NULL, "rows per mini-batch (and generated rows per step)"},
    {"gan", "learning_rate", NQS_K_REAL, F(gan.learning_rate), "0.0002", 0, 10, 1, NULL, "Adam step size of both networks"},
    {"gan", "beta1", NQS_K_REAL, F(gan.beta1), "0.5", 0, 0.999, 0, NULL, "Adam's first-moment decay (0.5 for GANs)"},
    {"gan", "generated", NQS_K_LONG, F(gan.generated), "20000", 100, 1e8, 0, NULL,
     "configurations generated for the comparison with the data"},
    {"gan", "bins", NQS_K_INT, F(gan.bins), "60", 2, 100000, 0, NULL, "bins of the one-body and pair radial densities"},
    {"gan", "r_max", NQS_K_REAL, F(gan.r_max), "0", 0, 1e6, 0, NULL,
     "radius of the density histograms; 0 = the data's largest particle radius"},

    {"observables", "radial_bins", NQS_K_INT, F(observables.radial_bins), "100", 0, 100000, 0, NULL,
     "bins of the one-body radial density rho(r) measured in the evaluation; 0 = off"},
    {"observables", "grid_bins", NQS_K_INT, F(observables.grid_bins), "64", 0, 4096, 0, NULL,
     "bins per axis of the d-dimensional one-body density histogram; 0 = off"},
    {"observables", "pair_bins", NQS_K_INT, F(observables.pair_bins), "100", 0, 100000, 0, NULL,
     "bins of the two-body radial density over pair distances [0, 2 r_max); 0 = off"},
    {"observables", "r_max", NQS_K_REAL, F(observables.r_max), "0", 0, 1e6, 0, NULL,
     "radius of the density histograms; 0 = twice the largest |x_i| among the walkers when the evaluation starts"},

    {"output", "dir", NQS_K_STRING, F(output.dir), "", 0, 0, 0, NULL,
     "run folder; empty = runs/YYYYMMDD-HHMMSS (must not hold an earlier run)"},
    {"output", "checkpoint_every", NQS_K_INT, F(output.checkpoint_every), "10", 0, 100000000, 0, NULL,
     "write checkpoint.h5 every this many iterations (0: only after the last one)"},

    {"run", "seed", NQS_K_U64, F(run.seed), "1", 0, 1.8e19, 0, NULL, "master random seed: the one number that makes a run reproducible"},
    {"run", "threads", NQS_K_INT, F(run.threads), "0", 0, 4096, 0, NULL, "OpenMP threads; 0 = OMP_NUM_THREADS or all cores"},
    {"run", "memory_limit", NQS_K_REAL, F(run.memory_limit), "0", 0, 1e6, 0, NULL,
     "GiB a run may use: a larger estimate is refused before allocating; 0 = 80 % of the machine's memory"},
    {"run", "init_from", NQS_K_STRING, F(run.init_from), "", 0, 0, 0, NULL,
     "fresh runs: start from the parameters of run folder DIR of the same system, matched by name (docs/optimization.md)"},
};
#define NCORE ((int)(sizeof core_options / sizeof core_options[0]))

/* Option i: the core table, then the rows each registered model, factor, update rule and
 * potential declares. *owner: the update rule or potential that declared it (NULL for core and factor
 * rows), *selector: the key that chooses that owner. */
static const option *option_at(int i, const char **owner, const char **selector) {
  *owner = *selector = NULL;
  if (i < NCORE) return &core_options[i];
  i -= NCORE;
  for (int t = 0; nqs_model_types[t]; t++)
    for (const option *o = nqs_model_types[t]->options; o && o->key; o++)
      if (i-- == 0) return o;
  for (int t = 0; nqs_factor_types[t]; t++)
    for (const option *o = nqs_factor_types[t]->options; o && o->key; o++)
      if (i-- == 0) return o;
  for (int t = 0; nqs_optimizer_types[t]; t++)
    for (const option *o = nqs_optimizer_types[t]->options; o && o->key; o++)
      if (i-- == 0) {
        *owner = nqs_optimizer_types[t]->name;
        *selector = "optimizer.method";
        return o;
      }
  for (int t = 0; nqs_potential_types[t]; t++)
    for (const option *o = nqs_potential_types[t]->options; o && o->key; o++)
      if (i-- == 0) {
        *owner = nqs_potential_types[t]->name;
        *selector = "system.interaction";
        return o;
      }
  return NULL;
}

static const option *OPT(int i) {
  const char *owner, *selector;
  return option_at(i, &owner, &selector);
}

/* The value of the selector key (optimizer.method or system.interaction). */
static const char *selected(const nqs_config *c, const char *selector) {
  return strcmp(selector, "optimizer.method") == 0 ? c->optimizer.method : c->system.interaction;
}

/* Whether command `mask` with this configuration reads option i: its scope, and for the keys
 * of an update rule or a potential, that one being chosen. */
static unsigned scope_of(const option *o);
static int reads(const nqs_config *c, unsigned mask, int i) {
  const char *owner, *selector;
  option_at(i, &owner, &selector);
  return (scope_of(OPT(i)) & mask) && (!owner || strcmp(owner, selected(c, selector)) == 0);
}

static int nopt(void) {
  int n = NCORE;
  while (OPT(n)) n++;
  assert(n <= NQS_MAX_OPTIONS && "raise NQS_MAX_OPTIONS");
  return n;
}
#define NOPT nopt()

static const char *sections[] = {"system", "lattice", "nucleus", "wavefunction", "sampler", "optimizer", "evaluation", "boltzmann", "regress", "classify", "gan", "observables", "output", "run"};
#define NSEC ((int)(sizeof sections / sizeof sections[0]))

static int known_section(const char *section) {
  for (int s = 0; s < NSEC; s++)
    if (strcmp(sections[s], section) == 0) return 1;
  return 0;
}

static int find_option(const char *section, const char *key) {
  for (int i = 0; i < NOPT; i++)
    if (strcmp(OPT(i)->section, section) == 0 && strcmp(OPT(i)->key, key) == 0) return i;
  return -1;
}

static int levenshtein(const char *a, const char *b) {
  int la = (int)strlen(a), lb = (int)strlen(b);
  if (la > 63 || lb > 63) return 99;
  int d[64][64];
  for (int i = 0; i <= la; i++) d[i][0] = i;
  for (int j = 0; j <= lb; j++) d[0][j] = j;
  for (int i = 1; i <= la; i++)
    for (int j = 1; j <= lb; j++) {
      int c = d[i - 1][j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
      if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
      d[i][j] = c;
    }
  return d[la][lb];
}

/* Nearest known key (within 3 edits), searching the given section first, then all. */
static void suggest_key(const char *section, const char *key, char *buf, size_t size) {
  int best = -1, bd = 4;
  for (int pass = 0; pass < 2 && best < 0; pass++)
    for (int i = 0; i < NOPT; i++) {
      if (pass == 0 && strcmp(OPT(i)->section, section) != 0) continue;
      int dd = levenshtein(key, OPT(i)->key);
      if (dd < bd) {
        bd = dd;
        best = i;
      }
    }
  if (best >= 0)
    snprintf(buf, size, "; did you mean [%s] %s?", OPT(best)->section, OPT(best)->key);
  else
    buf[0] = 0;
}

static void keys_of_section(const char *section, char *buf, size_t size) {
  buf[0] = 0;
  for (int i = 0; i < NOPT; i++) {
    if (strcmp(OPT(i)->section, section) != 0) continue;
    if (buf[0]) strncat(buf, ", ", size - strlen(buf) - 1);
    strncat(buf, OPT(i)->key, size - strlen(buf) - 1);
  }
}

/* The allowed values of a choice option as "a|b|c": its own list, or the names of a registry. */
static const char *choices_of(const option *o, char *buf, size_t size) {
  if (!o->choices || o->choices[0] != '@') return o->choices;
  const char *(*name)(int) = strcmp(o->choices, "@model") == 0     ? nqs_model_type_name
                             : strcmp(o->choices, "@factor") == 0  ? nqs_factor_type_name
                             : strcmp(o->choices, "@sampler") == 0 ? nqs_sampler_type_name
                             : strcmp(o->choices, "@potential") == 0 ? nqs_potential_type_name
                                                                   : nqs_optimizer_type_name;
  buf[0] = 0;
  for (int i = 0; name(i); i++) {
    if (i) strncat(buf, "|", size - strlen(buf) - 1);
    strncat(buf, name(i), size - strlen(buf) - 1);
  }
  return buf;
}

static int in_choices(const char *choices, const char *v) {
  size_t n = strlen(v);
  for (const char *p = choices; *p;) {
    const char *e = strchr(p, '|');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n && strncmp(p, v, n) == 0) return 1;
    if (!e) break;
    p = e + 1;
  }
  return 0;
}

static void allowed_text(const option *o, char *buf, size_t size) {
  if (o->kind == NQS_K_CHOICE || o->kind == NQS_K_LIST) {
    char names[256];
    snprintf(buf, size, "%s%s", o->kind == NQS_K_LIST ? "a comma list of " : "one of ", choices_of(o, names, sizeof names));
    for (char *p = buf; *p; p++)
      if (*p == '|') *p = ',';
  } else if (o->kind == NQS_K_STRING) {
    snprintf(buf, size, "a text of at most %zu characters", o->size - 1);
  } else {
    const char *what = o->kind == NQS_K_REAL ? "a number" : "an integer";
    if (o->min_open)
      snprintf(buf, size, "%s > %g and <= %g", what, o->min, o->max);
    else
      snprintf(buf, size, "%s from %g to %g", what, o->min, o->max);
  }
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  for (char *e = s + strlen(s); e > s && isspace((unsigned char)e[-1]);) *--e = 0;
  return s;
}

/* Parse text into the option's field; returns 0 on success. */
static int parse_value(nqs_config *c, const option *o, const char *text, char *why, size_t wsize) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", text);
  char *v = trim(buf);
  void *dst = (char *)c + o->offset;
  char *end = NULL, names[256];
  const char *choices = (o->kind == NQS_K_CHOICE || o->kind == NQS_K_LIST) ? choices_of(o, names, sizeof names) : NULL;
  errno = 0;
  switch (o->kind) {
  case NQS_K_INT:
  case NQS_K_LONG:
  case NQS_K_U64:
  case NQS_K_REAL: {
    double num = NAN;
    /* plain decimal spellings only: strtod would also read 0x10 as 16, and inf or nan */
    if (strpbrk(v, "xXpPiInN")) {
      snprintf(why, wsize, "'%s' is not %s (write it in decimal)", v, o->kind == NQS_K_REAL ? "a finite number" : "an integer");
      return -1;
    }
    if (o->kind == NQS_K_REAL) {
      num = strtod(v, &end);
    } else if (o->kind == NQS_K_U64) {
      if (*v == '-') end = v; /* reject negatives explicitly: strtoull accepts them */
      else num = (double)strtoull(v, &end, 10);
    } else {
      num = (double)strtoll(v, &end, 10);
    }
    if (!*v || end == v || *end || errno == ERANGE || !isfinite(num)) {
      snprintf(why, wsize, "'%s' is not %s", v, o->kind == NQS_K_REAL ? "a finite number" : "an integer");
      return -1;
    }
    if ((o->min_open ? num <= o->min : num < o->min) || num > o->max) {
      snprintf(why, wsize, "%s is out of range", v);
      return -1;
    }
    if (o->kind == NQS_K_INT) *(int *)dst = (int)num;
    else if (o->kind == NQS_K_LONG) *(long *)dst = (long)strtoll(v, NULL, 10);
    else if (o->kind == NQS_K_U64) *(uint64_t *)dst = strtoull(v, NULL, 10);
    else *(double *)dst = num;
    return 0;
  }
  case NQS_K_CHOICE:
    if (!in_choices(choices, v)) {
      snprintf(why, wsize, "'%s' is not allowed", v);
      return -1;
    }
    snprintf(dst, o->size, "%s", v);
    return 0;
  case NQS_K_LIST: {
    char items[512], out[512] = "";
    snprintf(items, sizeof items, "%s", v);
    const size_t len = strlen(items);
    for (size_t k = 0; k < len; k++) { /* strtok would skip an empty element silently */
      size_t j = k + 1;
      while (j < len && isspace((unsigned char)items[j])) j++;
      if ((items[k] == ',' && (j == len || items[j] == ',')) || (k == 0 && items[0] == ',')) {
        snprintf(why, wsize, "the list '%s' has an empty element", v);
        return -1;
      }
    }
    for (char *save = NULL, *t = strtok_r(items, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
      t = trim(t);
      if (!in_choices(choices, t)) {
        snprintf(why, wsize, "'%s' is not allowed", t);
        return -1;
      }
      if (out[0]) strncat(out, ", ", sizeof out - strlen(out) - 1);
      strncat(out, t, sizeof out - strlen(out) - 1);
    }
    if (!out[0]) {
      snprintf(why, wsize, "the list is empty");
      return -1;
    }
    if (strlen(out) >= o->size) {
      snprintf(why, wsize, "the list is too long");
      return -1;
    }
    snprintf(dst, o->size, "%s", out);
    return 0;
  }
  case NQS_K_STRING:
    if (strlen(v) >= o->size) {
      snprintf(why, wsize, "the value is longer than %zu characters", o->size - 1);
      return -1;
    }
    snprintf(dst, o->size, "%s", v);
    return 0;
  }
  return -1;
}

static void format_value(const nqs_config *c, const option *o, char *buf, size_t size) {
  const void *src = (const char *)c + o->offset;
  switch (o->kind) {
  case NQS_K_INT: snprintf(buf, size, "%d", *(const int *)src); break;
  case NQS_K_LONG: snprintf(buf, size, "%ld", *(const long *)src); break;
  case NQS_K_U64: snprintf(buf, size, "%llu", (unsigned long long)*(const uint64_t *)src); break;
  case NQS_K_REAL: snprintf(buf, size, "%.17g", *(const double *)src); break;
  default: snprintf(buf, size, "%s", (const char *)src); break;
  }
}

void nqs_config_defaults(nqs_config *c) {
  memset(c, 0, sizeof *c);
  char why[256];
  for (int i = 0; i < NOPT; i++) {
    int rc = parse_value(c, OPT(i), OPT(i)->def, why, sizeof why);
    assert(rc == 0 && "a default in the option table does not parse");
    (void)rc;
  }
}

/* Assign one value from `where` (file:line or --set) with a full error message. */
static nqs_status assign(nqs_config *c, const char *section, const char *key, const char *value,
                        const char *where, int line, nqs_error *err) {
  if (!known_section(section)) {
    const char *best = NULL;
    int bd = 4;
    for (int s = 0; s < NSEC; s++) {
      int d = levenshtein(section, sections[s]);
      if (d < bd) {
        bd = d;
        best = sections[s];
      }
    }
    char hint[64] = "";
    if (best) snprintf(hint, sizeof hint, "; did you mean [%s]?", best);
    return nqs_error_set(err, NQS_EINPUT,
                         "%s: unknown section [%s]%s (sections: system, wavefunction, sampler, optimizer, evaluation, output, run)",
                         where, section, hint);
  }
  int i = find_option(section, key);
  if (i < 0) {
    char hint[96], keys[512];
    suggest_key(section, key, hint, sizeof hint);
    keys_of_section(section, keys, sizeof keys);
    return nqs_error_set(err, NQS_EINPUT, "%s: unknown key '%s' in [%s]%s (keys of [%s]: %s)", where, key, section,
                         hint, section, keys);
  }
  if (line > 0 && c->line[i] > 0)
    return nqs_error_set(err, NQS_EINPUT, "%s: [%s] %s is already set on line %d; give each key once", where,
                         section, key, c->line[i]);
  char why[600], allowed[256];
  if (parse_value(c, OPT(i), value, why, sizeof why) != 0) {
    allowed_text(OPT(i), allowed, sizeof allowed);
    return nqs_error_set(err, NQS_EINPUT, "%s: [%s] %s = %s: %s; allowed: %s", where, section, key, value, why,
                         allowed);
  }
  c->line[i] = line;
  return NQS_OK;
}

/* inih gives no line numbers in this build, so we count the lines our reader hands it. */
typedef struct {
  FILE *fp;         /* the file, or NULL when reading from text */
  const char *text; /* cursor in the text */
  int line, section_line; /* current line; line of the last [section] header */
  nqs_config *c;
  nqs_error *err;
  nqs_status st;
  const char *path;
} reader_ctx;

/* fgets over a string */
static char *text_gets(char *str, int num, const char **cur) {
  const char *p = *cur;
  if (!*p || num < 2) return NULL;
  int i = 0;
  while (p[i] && p[i] != '\n' && i < num - 2) {
    str[i] = p[i];
    i++;
  }
  if (p[i] == '\n') str[i++] = '\n';
  str[i] = 0;
  *cur = p + i;
  return str;
}

static char *reader(char *str, int num, void *stream) {
  reader_ctx *r = stream;
  char *s = r->fp ? fgets(str, num, r->fp) : text_gets(str, num, &r->text);
  if (s) {
    r->line++;
    const char *t = s;
    while (isspace((unsigned char)*t)) t++;
    if (*t == '[') r->section_line = r->line;
  }
  return s;
}

static int handler(void *user, const char *section, const char *name, const char *value) {
  reader_ctx *r = user;
  if (r->st != NQS_OK) return 1; /* keep the first error */
  const char *sec = section;
  if (!section[0]) {
    if (strcmp(name, "seed") == 0) sec = "run";
    else {
      r->st = nqs_error_set(r->err, NQS_EINPUT, "%s:%d: key '%s' stands before any [section]; only 'seed' may", r->path,
                            r->line, name);
      return 1;
    }
  }
  /* an unknown section is reported at its header line */
  int line = known_section(sec) ? r->line : r->section_line;
  char where[600];
  snprintf(where, sizeof where, "%s:%d", r->path, line);
  r->st = assign(r->c, sec, name, value, where, r->line, r->err);
  return 1;
}

static nqs_status parse(nqs_config *c, FILE *fp, const char *text, const char *path, nqs_error *err) {
  reader_ctx r = {fp, text, 0, 0, c, err, NQS_OK, path};
  snprintf(c->file, sizeof c->file, "%s", path);
  int rc = ini_parse_stream(reader, &r, handler, &r);
  if (r.st != NQS_OK) return r.st;
  if (rc > 0)
    return nqs_error_set(err, NQS_EINPUT,
                         "%s:%d: syntax error: expected '[section]', 'key = value' or a comment (line longer than %d characters?)",
                         path, rc, INI_MAX_LINE);
  if (rc < 0) return nqs_error_set(err, NQS_EIO, "%s: read error", path);
  return NQS_OK;
}

/* A file named relative to the input file `path`: made absolute (when it exists), so that
 * config.ini in the run folder, and a restart from it, find the same file. */
static void absolute_from(const char *path, char *name, size_t size) {
  if (!name[0] || name[0] == '/') return;
  char joined[1100], full[PATH_MAX];
  const char *slash = strrchr(path, '/');
  snprintf(joined, sizeof joined, "%.*s%s", slash ? (int)(slash - path + 1) : 0, path, name);
  if (realpath(joined, full) && strlen(full) < size) snprintf(name, size, "%s", full);
}

/* The whole input file as text: refused when it is not a regular file, is empty, is larger
 * than any input should be, or holds a NUL byte (which would cut a line silently). */
static nqs_status slurp_input(const char *path, char **text, nqs_error *err) {
  struct stat sb;
  *text = NULL;
  if (stat(path, &sb))
    return nqs_error_set(err, NQS_EINPUT, "%s: cannot open the input file (%s); check the path", path, strerror(errno));
  if (!S_ISREG(sb.st_mode)) return nqs_error_set(err, NQS_EINPUT, "%s: is not a regular file; give an INI input file", path);
  if (sb.st_size == 0)
    return nqs_error_set(err, NQS_EINPUT, "%s: the input file is empty; to run the built-in demo give no FILE at all", path);
  if (sb.st_size > (1 << 20)) return nqs_error_set(err, NQS_EINPUT, "%s: %lld bytes is too large for an input file", path, (long long)sb.st_size);
  FILE *fp = fopen(path, "rb");
  if (!fp) return nqs_error_set(err, NQS_EINPUT, "%s: cannot open the input file (%s); check the path", path, strerror(errno));
  char *s = malloc((size_t)sb.st_size + 1);
  const size_t n = s ? fread(s, 1, (size_t)sb.st_size, fp) : 0;
  fclose(fp);
  if (!s) return nqs_error_set(err, NQS_ENOMEM, "out of memory reading %s", path);
  s[n] = 0;
  if (memchr(s, 0, n)) {
    const size_t at = (size_t)((char *)memchr(s, 0, n) - s);
    int line = 1;
    for (size_t k = 0; k < at; k++) line += s[k] == '\n';
    free(s);
    return nqs_error_set(err, NQS_EINPUT, "%s:%d: a NUL byte in the input (a binary file?)", path, line);
  }
  *text = s;
  return NQS_OK;
}

nqs_status nqs_config_read(nqs_config *c, const char *path, nqs_error *err) {
  char *text;
  nqs_status st = slurp_input(path, &text, err);
  if (st) return st;
  st = parse(c, NULL, text, path, err);
  free(text);
  if (!st) { /* files named relative to the input file */
    absolute_from(path, c->lattice.edges, sizeof c->lattice.edges);
    absolute_from(path, c->boltzmann.data, sizeof c->boltzmann.data);
    absolute_from(path, c->regress.data, sizeof c->regress.data);
    absolute_from(path, c->classify.data, sizeof c->classify.data);
    absolute_from(path, c->gan.data, sizeof c->gan.data);
    absolute_from(path, c->run.init_from, sizeof c->run.init_from);
  }
  return st;
}

nqs_status nqs_config_read_text(nqs_config *c, const char *text, const char *name, nqs_error *err) {
  return parse(c, NULL, text, name, err);
}

nqs_status nqs_config_set(nqs_config *c, const char *assignment, nqs_error *err) {
  char buf[600];
  snprintf(buf, sizeof buf, "%s", assignment);
  char *eq = strchr(buf, '=');
  if (!eq)
    return nqs_error_set(err, NQS_EINPUT, "--set %s: expected section.key=value, e.g. --set system.omega=0.5", assignment);
  *eq = 0;
  char *lhs = trim(buf), *value = eq + 1;
  char *dot = strchr(lhs, '.');
  char where[700];
  snprintf(where, sizeof where, "--set %s", assignment);
  if (!dot) {
    if (strcmp(lhs, "seed") == 0) return assign(c, "run", "seed", value, where, -1, err);
    return nqs_error_set(err, NQS_EINPUT, "%s: expected section.key=value, e.g. --set system.omega=0.5", where);
  }
  *dot = 0;
  return assign(c, lhs, dot + 1, value, where, -1, err);
}

void nqs_config_locate(const nqs_config *c, nqs_error *err) {
  if (!err || !err->key[0]) return;
  char sec[48];
  snprintf(sec, sizeof sec, "%s", err->key);
  char *dot = strchr(sec, '.');
  if (!dot) return;
  *dot = 0;
  int i = find_option(sec, dot + 1);
  if (i < 0) return;
  if (c->line[i] > 0) nqs_error_prefix(err, "%s:%d: [%s] %s", c->file, c->line[i], sec, dot + 1);
  else if (c->line[i] < 0) nqs_error_prefix(err, "--set %s.%s", sec, dot + 1);
  else nqs_error_prefix(err, "[%s] %s (default)", sec, dot + 1);
  err->key[0] = 0;
}

/* Which commands read each key: a key set for a run that does not read it is refused, not
 * silently ignored. First match wins; a NULL key matches the whole section. */
enum { S_PARTICLES = 1, S_LATTICE = 2, S_TRAIN = 4, S_TOMO = 8, S_NUCLEUS = 16, S_REGRESS = 32, S_CLASSIFY = 64, S_GAN = 128,
       S_ALL = 255 };
enum { S_VMC = S_PARTICLES | S_LATTICE | S_NUCLEUS }; /* every nqs run */
static const struct {
  const char *section, *key;
  unsigned mask;
} scope[] = {
    {"system", "type", S_ALL},
    {"system", NULL, S_PARTICLES},
    {"lattice", NULL, S_LATTICE | S_TOMO},
    {"nucleus", NULL, S_NUCLEUS},
    {"wavefunction", "init_std", S_PARTICLES | S_LATTICE},
    {"wavefunction", "ffnn_layers", S_PARTICLES | S_LATTICE},
    {"wavefunction", "ffnn_activation", S_PARTICLES | S_LATTICE},
    {"wavefunction", NULL, S_PARTICLES},
    {"sampler", "walkers", S_VMC},
    {"sampler", "thermalization", S_VMC},
    {"sampler", "step", S_PARTICLES | S_NUCLEUS},
    {"sampler", "target_acceptance", S_PARTICLES | S_NUCLEUS},
    {"sampler", NULL, S_PARTICLES},
    {"optimizer", NULL, S_VMC},
    {"evaluation", NULL, S_VMC},
    {"boltzmann", NULL, S_TRAIN | S_TOMO},
    {"regress", NULL, S_REGRESS},
    {"classify", NULL, S_CLASSIFY},
    {"gan", NULL, S_GAN},
    {"observables", "radial_bins", S_PARTICLES | S_NUCLEUS},
    {"observables", "r_max", S_PARTICLES | S_NUCLEUS},
    {"observables", NULL, S_PARTICLES},
    {"output", "checkpoint_every", S_VMC | S_TRAIN},
    {"run", "threads", S_VMC | S_TRAIN | S_CLASSIFY},
    {"run", "memory_limit", S_VMC},
    {"run", "init_from", S_VMC},
    {NULL, NULL, S_ALL},
};

static unsigned scope_of(const option *o) {
  int k = 0;
  while (scope[k].section && (strcmp(scope[k].section, o->section) != 0 || (scope[k].key && strcmp(scope[k].key, o->key) != 0)))
    k++;
  return scope[k].mask;
}

/* The commands' masks: "run" (by [system] type), "train-rbm", "tomography", "regress", "classify", "gan"; NULL: every key. */
static unsigned command_mask(const nqs_config *c, const char *command) {
  if (!command) return S_ALL;
  if (strcmp(command, "train-rbm") == 0) return S_TRAIN;
  if (strcmp(command, "tomography") == 0) return S_TOMO;
  if (strcmp(command, "regress") == 0) return S_REGRESS;
  if (strcmp(command, "classify") == 0) return S_CLASSIFY;
  if (strcmp(command, "gan") == 0) return S_GAN;
  return strcmp(c->system.type, "lattice") == 0 ? S_LATTICE : strcmp(c->system.type, "nucleus") == 0 ? S_NUCLEUS : S_PARTICLES;
}

nqs_status nqs_config_check_keys(const nqs_config *c, const char *command, nqs_error *err) {
  const unsigned mask = command_mask(c, command);
  for (int i = 0; i < NOPT; i++) {
    if (c->line[i] == 0 || reads(c, mask, i)) continue;
    char key[64];
    snprintf(key, sizeof key, "%s.%s", OPT(i)->section, OPT(i)->key);
    const char *owner, *selector;
    option_at(i, &owner, &selector);
    if (scope_of(OPT(i)) & mask)
      return nqs_error_setk(err, NQS_EINPUT, key, "this key belongs to %s = %s, but the run has %s = %s, which would ignore "
                            "it; remove it or set %s = %s", selector, owner, selector, selected(c, selector), selector, owner);
    char what[64];
    if (mask & S_VMC) snprintf(what, sizeof what, "a %s run (system.type = %s)", c->system.type, c->system.type);
    else snprintf(what, sizeof what, "nqs %s", command);
    return nqs_error_setk(err, NQS_EINPUT, key, "this key does not apply to %s, which would ignore it; remove it%s", what,
                          mask == S_LATTICE && strcmp(OPT(i)->section, "sampler") == 0
                              ? " (lattice moves are spin flips or exchanges, with no step)"
                              : "");
  }
  return NQS_OK;
}

/* "# text" in lines of at most ~100 characters, broken at spaces (inih reads lines of up to 200). */
static void write_comment(FILE *out, const char *text) {
  while (*text) {
    size_t n = strlen(text);
    if (n > 96) {
      n = 96;
      while (n > 40 && text[n] != ' ') n--;
    }
    fprintf(out, "# %.*s\n", (int)n, text);
    text += n;
    while (*text == ' ') text++;
  }
}

void nqs_config_write(const nqs_config *c, const char *command, FILE *out) {
  const unsigned mask = command_mask(c, command);
  fprintf(out, "# nqs resolved configuration: every key the run reads, with defaults filled in.\n");
  for (int s = 0; s < NSEC; s++) {
    int any = 0;
    for (int i = 0; i < NOPT; i++) any |= strcmp(OPT(i)->section, sections[s]) == 0 && reads(c, mask, i);
    if (!any) continue;
    fprintf(out, "\n[%s]\n", sections[s]);
    for (int i = 0; i < NOPT; i++) {
      if (strcmp(OPT(i)->section, sections[s]) != 0 || !reads(c, mask, i)) continue;
      char v[600];
      format_value(c, OPT(i), v, sizeof v);
      write_comment(out, OPT(i)->help);
      fprintf(out, "%s = %s\n", OPT(i)->key, v);
    }
  }
}

void nqs_config_help(FILE *out) {
  for (int s = 0; s < NSEC; s++) {
    fprintf(out, "  [%s]\n", sections[s]);
    for (int i = 0; i < NOPT; i++) {
      if (strcmp(OPT(i)->section, sections[s]) != 0) continue;
      char allowed[256];
      allowed_text(OPT(i), allowed, sizeof allowed);
      fprintf(out, "    %-18s default %-14s %s\n    %-18s %*s(%s)\n", OPT(i)->key,
              OPT(i)->def[0] ? OPT(i)->def : "\"\"", OPT(i)->help, "", 23, "", allowed);
    }
  }
}

char *nqs_config_text(const nqs_config *c, const char *command) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return NULL;
  nqs_config_write(c, command, f);
  fclose(f);
  return buf;
}
