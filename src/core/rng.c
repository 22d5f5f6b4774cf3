/* rng.c — xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number
 * generators", ACM TOMS 2021), seeded through splitmix64. */
#include <math.h>
#include <string.h>
#include "nqs/core/rng.h"

static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void nqs_rng_seed(nqs_rng *r, uint64_t seed, uint64_t stream) {
  /* Two rounds of mixing make (seed, stream) pairs that differ in one bit
   * give unrelated states. */
  uint64_t a = seed;
  uint64_t h = splitmix64(&a);
  uint64_t b = stream ^ h;
  uint64_t st = splitmix64(&b) ^ (h << 1);
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&st);
  if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1; /* the all-zero state is forbidden */
  r->has_spare = 0;
  r->spare = 0.0;
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t nqs_rng_u64(nqs_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double nqs_rng_uniform(nqs_rng *r) { return (double)(nqs_rng_u64(r) >> 11) * 0x1.0p-53; }

double nqs_rng_normal(nqs_rng *r) {
  if (r->has_spare) {
    r->has_spare = 0;
    return r->spare;
  }
  double u, v, s;
  do {
    u = 2.0 * nqs_rng_uniform(r) - 1.0;
    v = 2.0 * nqs_rng_uniform(r) - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  double f = sqrt(-2.0 * log(s) / s);
  r->spare = v * f;
  r->has_spare = 1;
  return u * f;
}

void nqs_rng_pack(const nqs_rng *r, uint64_t w[NQS_RNG_WORDS]) {
  for (int i = 0; i < 4; i++) w[i] = r->s[i];
  memcpy(&w[4], &r->spare, sizeof(double));
  w[5] = (uint64_t)(r->has_spare != 0);
}

int nqs_rng_unpack(nqs_rng *r, const uint64_t w[NQS_RNG_WORDS]) {
  if ((w[0] | w[1] | w[2] | w[3]) == 0 || w[5] > 1) return -1;
  double spare;
  memcpy(&spare, &w[4], sizeof(double));
  if (w[5] && !isfinite(spare)) return -1;
  for (int i = 0; i < 4; i++) r->s[i] = w[i];
  r->spare = spare;
  r->has_spare = (int)w[5];
  return 0;
}
