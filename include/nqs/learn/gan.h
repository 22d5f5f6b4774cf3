/* nqs/learn/gan.h — `nqs gan FILE`: a generative adversarial network (seed 004) on particle
 * configurations, judged by their physics.
 *
 * The generator G maps Gaussian noise z (latent) to a configuration; the discriminator D gives
 * p(real | x) (nqs/nn/net.h, two classes). Per mini-batch, D takes one Adam step on
 * -ln D(x_real) - ln(1 - D(G(z))), then G one step on the non-saturating -ln D(G(z)), whose
 * gradient reaches G through D's input gradient. Coordinates are divided by their rms over the
 * data while training. The generated configurations are compared with the data by the one-body
 * radial density, the pair-distance density and <r^2> per particle; the L1 distances between the
 * densities are set against the same distance between the two halves of the data (the
 * statistical floor). docs/learning.md describes the files. */
#ifndef NQS_GAN_H
#define NQS_GAN_H
#include "nqs/core/config.h"
#include "nqs/core/run.h"

typedef struct nqs_gan_result {
  char dir[512];
  long rows;
  int particles, epochs, gen_params, disc_params;
  double r2_data, r2_data_error, r2_gan, r2_gan_error; /* <r^2> per particle */
  double l1_onebody, l1_pair, l1_onebody_floor, l1_pair_floor;
  double wall_seconds;
} nqs_gan_result;

nqs_status nqs_gan_run(const nqs_config *c, const nqs_run_options *o, nqs_gan_result *res, nqs_error *err);

#endif
