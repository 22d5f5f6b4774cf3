/* nqs/core/config.h — the input file: one option table (src/core/config.c) drives
 * parsing, validation, defaults, --help and the resolved config.ini echo.
 *
 * Input is INI (parsed by inih): sections [system] [lattice] [wavefunction] [sampler]
 * [optimizer] [evaluation] [observables] [output] [run]; `seed` may also stand before the
 * first section. Every error names the file, the line, the key and what is
 * allowed, and is NQS_EINPUT (exit code 2 in the CLI). */
#ifndef NQS_CONFIG_H
#define NQS_CONFIG_H
#include <stdint.h>
#include <stdio.h>
#include "nqs/core/error.h"
#include "nqs/core/option.h"

#define NQS_MAX_OPTIONS 192

typedef struct nqs_config {
  struct {
    char type[12];
    int dimensions, particles;
    char statistics[24];
    double omega, lambda;
    char interaction[24];
  } system;
  struct {
    char graph[8], boundary[12], model[12], marshall[4], weights[8], symmetry[12], ansatz[8];
    char edges[512];
    int length, alpha;
    double J, J2, h, delta;
  } lattice;
  struct { /* [nucleus]: light nuclei from pionless EFT */
    int nucleons, protons;
    char cutoff[8], coulomb[4], context[4], jastrow_layers[64], spin_layers[64], triplet_layers[64];
    double lambda, C1, C2, D0, confine_a, confine_b;
  } nucleus;
  struct {
    char factors[128];
    int hidden;
    double alpha, beta;
    char rbm_psi[8];
    double sigma, init_std;
    char ffnn_layers[64], ffnn_activation[12], ffnn_input[8];
    char backflow_layers[64], backflow_orbitals[64];
    int determinants;
  } wavefunction;
  struct {
    char method[24];
    double step, target_acceptance;
    int walkers, thermalization;
  } sampler;
  struct {
    char method[24];
    double learning_rate;
    int iterations;
    long samples;
    char schedule[16];
    double decay, diag_shift, diag_shift_rel, max_step;
    char sr_solver[12];
  } optimizer;
  struct {
    long samples, dump_samples;
  } evaluation;
  struct { /* nqs train-rbm */
    char data[512], method[8], optimizer[12], target[8], bases[8], visible[12];
    int hidden, k, chains, batch, epochs, replicas;
    long measurements;
    double held_out, learning_rate, decay, momentum, weight_decay, init_std, temperature, sigma;
  } boltzmann;
  struct { /* nqs regress */
    char data[512], inputs[256], target[64], model[8], lambdas[256], standardise[4], lasso_solver[8];
    int points, degree, complexity, folds, bootstraps, max_sweeps, pmm_size, pmm_eigenvectors, pmm_epochs;
    double noise, test_fraction, lambda, tolerance, pmm_learning_rate;
  } regress;
  struct { /* nqs classify */
    char data[512], label[64], temperature[64], network[256], optimizer[12];
    int lattice, batch, epochs, patience;
    double learning_rate, momentum, weight_decay, validation_fraction, test_fraction, exclude, critical;
  } classify;
  struct { /* nqs gan */
    char data[512], generator[256], discriminator[256];
    int dimensions, latent, epochs, batch, bins;
    long generated;
    double learning_rate, beta1, r_max;
  } gan;
  struct {
    int radial_bins, grid_bins, pair_bins;
    double r_max;
  } observables;
  struct {
    char dir[512];
    int checkpoint_every;
  } output;
  struct {
    uint64_t seed;
    int threads;
    double memory_limit; /* GiB; 0: 80 % of the machine's memory */
    char init_from[512]; /* a run folder to take the starting parameters from ("": none) */
  } run;

  double registry[NQS_REGISTRY_SLOTS]; /* keys declared by registry entries (nqs/core/option.h) */

  /* Where each option got its value: line in `file` (> 0), 0 = default, -1 = --set. */
  char file[512];
  int line[NQS_MAX_OPTIONS];
} nqs_config;

void nqs_config_defaults(nqs_config *c);

/* Read an INI file over the current values. */
nqs_status nqs_config_read(nqs_config *c, const char *path, nqs_error *err);

/* The same from INI text in memory; `name` stands for the file in messages. */
nqs_status nqs_config_read_text(nqs_config *c, const char *text, const char *name, nqs_error *err);

/* Apply "section.key=value" (a command-line --set). */
nqs_status nqs_config_set(nqs_config *c, const char *assignment, nqs_error *err);

/* Refuse keys set (in the file or by --set) that the command would not read: command is "run"
 * (particles, lattice or nucleus by [system] type), "train-rbm", "tomography" or "regress". The message names the key
 * (nqs_config_locate adds the file and line). Whole-run validation: nqs_driver_check. */
nqs_status nqs_config_check_keys(const nqs_config *c, const char *command, nqs_error *err);

/* The subsystems' views of a configuration are declared beside them: nqs_config_system and
 * nqs_config_factor_options (nqs/particles/factor.h), nqs_config_spin_system (nqs/lattice/lattice.h). */

/* If err->key names an option, prefix err->msg with "FILE:LINE: [section] key: ". */
void nqs_config_locate(const nqs_config *c, nqs_error *err);

/* The resolved configuration as an INI file: every key the command reads (see
 * nqs_config_check_keys; NULL: every key), with its help as a comment. nqs_config_text: the same
 * as a malloc'ed string (NULL when out of memory). */
void nqs_config_write(const nqs_config *c, const char *command, FILE *out);
char *nqs_config_text(const nqs_config *c, const char *command);

/* Every key with its default and meaning. */
void nqs_config_help(FILE *out);

#endif
