/* The classical 2D Ising model (data generator):
 * - Metropolis and Wolff samples of the 3 x 3 periodic model at T = 1.5 and 2.5 reproduce the
 *   exact Boltzmann distribution: KL(frequencies || exact) within the sampling noise
 *   (states - 1) / (2 samples) times a small autocorrelation factor. The distribution is
 *   compared over the 256 pairs {s, -s}: at T = 1.5 single-spin Metropolis crosses between the
 *   two ordered states only every few thousand sweeps (measured: KL 2e-2 over the 512 states
 *   from that imbalance alone), which is what Wolff updates are for; Wolff is also checked
 *   over all 512 states;
 * - on the 4 x 4 model at T_c, <E>/n and <|M|>/n of both samplers agree with exact enumeration
 *   within 4 blocking error bars. */
#include <math.h>
#include <stdlib.h>
#include "check.h"
#include "nqs/nqs.h"

static int state(const nqs_ising *m) {
  int s = 0;
  for (int i = 0; i < m->n; i++) s |= (m->s[i] > 0) << i;
  return s;
}

int main(void) {
  nqs_error err = {0};
  enum { S3 = 1 << 9 };
  static double q[1 << 16], cnt[S3];
  const double Ts[2] = {1.5, 2.5};
  for (int it = 0; it < 2; it++)
    for (int wolff = 0; wolff < 2; wolff++) {
      nqs_ising m;
      nqs_ising_init(&m, 3, Ts[it], 7 + wolff, &err);
      nqs_ising_exact(3, Ts[it], q, &err);
      for (int s = 0; s < S3; s++) cnt[s] = 0;
      const long ns = 200000;
      for (long t = 0; t < ns + 1000; t++) {
        if (wolff) nqs_ising_wolff(&m);
        else nqs_ising_metropolis_sweep(&m);
        if (t >= 1000) cnt[state(&m)] += 1;
      }
      double kl = 0, kl_all = 0;
      for (int s = 0; s < S3 / 2; s++) { /* s and its mirror image S3 - 1 - s */
        const double c = cnt[s] + cnt[S3 - 1 - s], qq = q[s] + q[S3 - 1 - s];
        if (c > 0) kl += c / ns * log(c / ns / qq);
      }
      for (int s = 0; s < S3; s++)
        if (cnt[s] > 0) kl_all += cnt[s] / ns * log(cnt[s] / ns / q[s]);
      const double noise = (S3 / 2 - 1) / (2.0 * ns), noise_all = (S3 - 1) / (2.0 * ns);
      CHECK(kl < 10 * noise && (!wolff || kl_all < 10 * noise_all),
            "3x3 Ising T = %.1f, %s: KL(frequencies || exact) over pairs {s, -s} %.2e (noise scale %.1e), over "
            "states %.2e (%.1e)",
            Ts[it], wolff ? "Wolff" : "Metropolis", kl, noise, kl_all, noise_all);
      nqs_ising_free(&m);
    }

  /* 4 x 4 at T_c: exact <E>/n and <|M|>/n by enumeration */
  const double Tc = 2.0 / log(1.0 + sqrt(2.0));
  nqs_ising_exact(4, Tc, q, &err);
  double e_ex = 0, m_ex = 0;
  signed char s[16];
  for (int st = 0; st < 1 << 16; st++) {
    for (int i = 0; i < 16; i++) s[i] = (st >> i) & 1 ? 1 : -1;
    e_ex += q[st] * nqs_ising_energy(4, s) / 16;
    m_ex += q[st] * abs(nqs_ising_magnetisation(16, s)) / 16.0;
  }
  for (int wolff = 0; wolff < 2; wolff++) {
    nqs_ising m;
    nqs_ising_init(&m, 4, Tc, 3, &err);
    enum { NS = 100000 };
    static double es[NS], ms[NS], work[NS];
    for (int t = 0; t < NS + 1000; t++) {
      if (wolff) nqs_ising_wolff(&m);
      else nqs_ising_metropolis_sweep(&m);
      if (t >= 1000) {
        es[t - 1000] = nqs_ising_energy(4, m.s) / 16;
        ms[t - 1000] = abs(nqs_ising_magnetisation(16, m.s)) / 16.0;
      }
    }
    const nqs_estimate e = nqs_blocking(es, NS, work), mm = nqs_blocking(ms, NS, work);
    CHECK(fabs(e.mean - e_ex) < 4 * e.error && fabs(mm.mean - m_ex) < 4 * mm.error,
          "4x4 Ising at T_c, %s: <E>/n = %.5f +- %.5f (exact %.5f), <|M|>/n = %.5f +- %.5f (exact %.5f)",
          wolff ? "Wolff" : "Metropolis", e.mean, e.error, e_ex, mm.mean, mm.error, m_ex);
    nqs_ising_free(&m);
  }
  return check_done();
}
