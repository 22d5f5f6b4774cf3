/* nqs/core/rng.h — explicit random-number streams (xoshiro256**, Blackman & Vigna 2018).
 *
 * Every walker owns a stream derived from (seed, stream index), so results do
 * not depend on how walkers are split over threads. No global state. */
#ifndef NQS_RNG_H
#define NQS_RNG_H
#include <stdint.h>

typedef struct nqs_rng {
  uint64_t s[4];
  double spare; /* second normal deviate of the polar method */
  int has_spare;
} nqs_rng;

/* Seed stream `stream` of master seed `seed` through splitmix64. */
void nqs_rng_seed(nqs_rng *r, uint64_t seed, uint64_t stream);
uint64_t nqs_rng_u64(nqs_rng *r);
/* Uniform in [0, 1), 53 random bits. */
double nqs_rng_uniform(nqs_rng *r);
/* Standard normal deviate (Marsaglia polar method). */
double nqs_rng_normal(nqs_rng *r);

/* A stream as NQS_RNG_WORDS words (the state, the spare deviate's bits, the flag), for checkpoints;
 * unpack refuses (returns -1) words no stream can have: an all-zero state or a flag not 0/1. */
#define NQS_RNG_WORDS 6
void nqs_rng_pack(const nqs_rng *r, uint64_t w[NQS_RNG_WORDS]);
int nqs_rng_unpack(nqs_rng *r, const uint64_t w[NQS_RNG_WORDS]);

#endif
