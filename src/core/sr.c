/* sr.c — stochastic reconfiguration solve (see nqs/core/sr.h for the equations). */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <complex.h>
#include "nqs/core/config.h"
#include "nqs/core/optimizer.h"
#include "nqs/core/sr.h"

/* Eigen-decomposition pseudo-inverse solve of the symmetric A (n x n, overwritten) x = b. */
static nqs_status pinv_solve(double *A, int n, const double *b, double *x, int *dropped, nqs_error *err) {
  double *w = malloc(sizeof(double) * n), *t = malloc(sizeof(double) * n);
  if (!w || !t) {
    free(w);
    free(t);
    return nqs_error_set(err, NQS_ENOMEM, "out of memory in the SR fallback solver");
  }
  lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', n, A, n, w);
  if (info != 0) {
    free(w);
    free(t);
    return nqs_error_set(err, NQS_ERUNTIME, "SR: eigen-decomposition failed (info %d); raise [optimizer] diag_shift", (int)info);
  }
  const double cut = 1e-12 * fabs(w[n - 1]); /* ascending order: w[n-1] is the largest */
  /* x = V diag(1/w) V^T b, columns of A are eigenvectors */
  cblas_dgemv(CblasRowMajor, CblasTrans, n, n, 1.0, A, n, b, 1, 0.0, t, 1);
  *dropped = 0;
  for (int k = 0; k < n; k++) {
    if (w[k] > cut) t[k] /= w[k];
    else {
      t[k] = 0;
      (*dropped)++;
    }
  }
  cblas_dgemv(CblasRowMajor, CblasNoTrans, n, n, 1.0, A, n, t, 1, 0.0, x, 1);
  free(w);
  free(t);
  return NQS_OK;
}

nqs_status nqs_sr_solve(const double *O, const double *e, long ns, int np, const nqs_sr_options *opt, double *delta,
                        nqs_sr_info *info, nqs_error *err) {
  memset(info, 0, sizeof *info);
  if (ns < 2 || np < 1) return nqs_error_set(err, NQS_EINPUT, "SR needs at least 2 samples and 1 parameter");
  const int minsr = !opt->force && (opt->solver == NQS_SR_MINSR || (opt->solver == NQS_SR_AUTO && np > ns));
  const size_t n = (size_t)ns;
  double *Oc = malloc(sizeof(double) * n * np), *ec = malloc(sizeof(double) * n), *mean = calloc((size_t)np, sizeof(double));
  double *A = malloc(sizeof(double) * (minsr ? n * n : (size_t)np * np));
  double *rhs = malloc(sizeof(double) * (minsr ? n : (size_t)np));
  nqs_status st = NQS_OK;
  if (!Oc || !ec || !mean || !A || !rhs) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory for SR with %ld samples and %d parameters", ns, np);
    goto done;
  }
  /* centre O and E_L */
  double em = 0;
  for (size_t s = 0; s < n; s++) {
    em += e[s];
    for (int k = 0; k < np; k++) mean[k] += O[s * np + k];
  }
  em /= ns;
  for (int k = 0; k < np; k++) mean[k] /= ns;
  for (size_t s = 0; s < n; s++) {
    ec[s] = (e[s] - em) / ns;
    for (int k = 0; k < np; k++) Oc[s * np + k] = O[s * np + k] - mean[k];
  }
  if (!minsr) {
    /* A = O_c^T O_c / ns (upper triangle), rhs = F = O_c^T e_c / ns */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, np, (int)ns, 1.0 / ns, Oc, np, 0.0, A, np);
    if (opt->force) memcpy(rhs, opt->force, sizeof(double) * np);
    else cblas_dgemv(CblasRowMajor, CblasTrans, (int)ns, np, 1.0, Oc, np, ec, 1, 0.0, rhs, 1);
    for (int k = 0; k < np; k++) A[(size_t)k * np + k] += opt->diag_shift + opt->diag_shift_rel * A[(size_t)k * np + k];
    for (int i = 0; i < np; i++) /* mirror for the fallback, which reads the full matrix */
      for (int j = 0; j < i; j++) A[(size_t)i * np + j] = A[(size_t)j * np + i];
    double *Acopy = malloc(sizeof(double) * (size_t)np * np);
    if (!Acopy) {
      st = nqs_error_set(err, NQS_ENOMEM, "out of memory for the SR matrix");
      goto done;
    }
    memcpy(Acopy, A, sizeof(double) * (size_t)np * np);
    memcpy(delta, rhs, sizeof(double) * np);
    lapack_int inf = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', np, 1, A, np, delta, 1);
    if (inf > 0) { /* not positive definite */
      info->used_fallback = 1;
      st = pinv_solve(Acopy, np, rhs, delta, &info->dropped, err);
    } else if (inf < 0) {
      st = nqs_error_set(err, NQS_ERUNTIME, "SR: dposv argument %d invalid", (int)-inf);
    }
    free(Acopy);
  } else {
    info->used_minsr = 1;
    /* A = O_c O_c^T / ns + shift, solve A y = e_c, delta = O_c^T y */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)ns, np, 1.0 / ns, Oc, np, 0.0, A, (int)ns);
    for (size_t s = 0; s < n; s++) A[s * n + s] += opt->diag_shift;
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < i; j++) A[i * n + j] = A[j * n + i];
    double *Acopy = malloc(sizeof(double) * n * n);
    if (!Acopy) {
      st = nqs_error_set(err, NQS_ENOMEM, "out of memory for the MinSR kernel");
      goto done;
    }
    memcpy(Acopy, A, sizeof(double) * n * n);
    memcpy(rhs, ec, sizeof(double) * n);
    lapack_int inf = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (int)ns, 1, A, (int)ns, rhs, 1);
    if (inf > 0) {
      info->used_fallback = 1;
      st = pinv_solve(Acopy, (int)ns, ec, rhs, &info->dropped, err);
    }
    free(Acopy);
    if (st == NQS_OK) cblas_dgemv(CblasRowMajor, CblasTrans, (int)ns, np, 1.0, Oc, np, rhs, 1, 0.0, delta, 1);
  }
  for (int k = 0; k < np && st == NQS_OK; k++)
    if (!isfinite(delta[k])) st = nqs_error_set(err, NQS_ERUNTIME, "SR produced a non-finite step; raise [optimizer] diag_shift");
done:
  free(Oc);
  free(ec);
  free(mean);
  free(A);
  free(rhs);
  return st;
}

/* Complex parameters, as np / 2 complex numbers stored (Re, Im): with D = (O, i O) the SR matrix
 * is S_ab = Re <D_a* D_b>_c and the force F_a = Re <D_a* E_L>_c. Two real rows per sample,
 * [Re O_c, -Im O_c] and [Im O_c, Re O_c], with energies Re e_c and Im e_c, give exactly these
 * sums; centring first makes nqs_sr_solve's own centring a no-op, and its 1/(2 ns) normalisation
 * halves S and F alike (so the shift is halved to match). delta: np, (Re block | Im block). */
static nqs_status sr_complex(const nqs_update_input *in, int P, const nqs_sr_options *so, double *delta, nqs_sr_info *info,
                             nqs_error *err) {
  const long ns = in->ns;
  const int np = P / 2;
  const double complex *O = (const double complex *)in->O;
  double *R = malloc(sizeof(double) * (size_t)(2 * ns) * P), *e = malloc(sizeof(double) * (size_t)(2 * ns));
  double complex *mean = calloc((size_t)np, sizeof(double complex));
  if (!R || !e || !mean) {
    free(R);
    free(e);
    free(mean);
    return nqs_error_set(err, NQS_ENOMEM, "out of memory for complex SR (%ld samples, %d parameters)", ns, np);
  }
  double complex em = 0;
  for (long q = 0; q < ns; q++) {
    em += in->el[q] + I * in->eli[q];
    for (int k = 0; k < np; k++) mean[k] += O[(size_t)q * np + k];
  }
  em /= ns;
  for (int k = 0; k < np; k++) mean[k] /= ns;
  for (long q = 0; q < ns; q++) {
    double *r1 = R + (size_t)(2 * q) * P, *r2 = r1 + P;
    for (int k = 0; k < np; k++) {
      const double complex oc = O[(size_t)q * np + k] - mean[k];
      r1[k] = creal(oc);
      r1[np + k] = -cimag(oc);
      r2[k] = cimag(oc);
      r2[np + k] = creal(oc);
    }
    const double complex ec = in->el[q] + I * in->eli[q] - em;
    e[2 * q] = creal(ec);
    e[2 * q + 1] = cimag(ec);
  }
  nqs_sr_options half = *so;
  half.diag_shift = 0.5 * so->diag_shift;
  nqs_status st = nqs_sr_solve(R, e, 2 * ns, P, &half, delta, info, err);
  free(R);
  free(e);
  free(mean);
  return st;
}

/* The SR update rule: theta -= scale eta delta, scale capping |eta delta| at max_step. */
static nqs_status sr_update(const nqs_update_input *in, double *theta, int np, double lr, nqs_update_info *ui, nqs_error *err) {
  double *delta = malloc(sizeof(double) * (size_t)(np + 1));
  if (!delta) return nqs_error_set(err, NQS_ENOMEM, "out of memory for %d parameters", np);
  nqs_sr_options so = {.diag_shift = in->diag_shift, .diag_shift_rel = in->diag_shift_rel, .solver = (nqs_sr_solver)in->sr_solver};
  nqs_sr_info info = {0};
  if (in->force_from_grad) {
    for (int k = 0; k < np; k++) delta[k] = 0.5 * in->grad[k];
    so.force = delta; /* read into the right-hand side before delta is written */
  }
  nqs_status st = in->cplx ? sr_complex(in, np, &so, delta, &info, err) : nqs_sr_solve(in->O, in->el, in->ns, np, &so, delta, &info, err);
  if (st) {
    free(delta);
    return st;
  }
  double norm = 0;
  for (int k = 0; k < np; k++) norm += delta[k] * delta[k];
  norm = sqrt(norm) * lr;
  const double scale = (in->max_step > 0 && norm > in->max_step) ? in->max_step / norm : 1.0;
  if (!in->cplx)
    for (int k = 0; k < np; k++) theta[k] -= scale * lr * delta[k];
  else
    for (int k = 0; k < np / 2; k++) {
      theta[2 * k] -= scale * lr * delta[k];
      theta[2 * k + 1] -= scale * lr * delta[np / 2 + k];
    }
  ui->used_minsr = info.used_minsr;
  ui->used_fallback = info.used_fallback;
  ui->step_norm = norm * scale;
  free(delta);
  return NQS_OK;
}

/* Own input keys ([optimizer]). */
static const nqs_option own_options[] = {
    {"optimizer", "diag_shift", NQS_K_REAL, NQS_OPTION_FIELD(optimizer.diag_shift), "0.001", 0, 1e6, 0, NULL,
     "sr: absolute diagonal shift added to S"},
    {"optimizer", "diag_shift_rel", NQS_K_REAL, NQS_OPTION_FIELD(optimizer.diag_shift_rel), "0", 0, 1e6, 0, NULL,
     "sr: relative diagonal shift, S_kk *= 1 + diag_shift_rel"},
    {"optimizer", "sr_solver", NQS_K_CHOICE, NQS_OPTION_FIELD(optimizer.sr_solver), "auto", 0, 0, 0, "auto|cholesky|minsr",
     "sr: cholesky on S (P x P), minsr on the kernel (samples x samples); auto = minsr when P > samples"},
    {0}};

const nqs_optimizer_type nqs_opt_sr = {"sr", "stochastic reconfiguration (natural gradient): (S + shift) delta = F", 0, NULL, 1,
                                       sr_update, own_options};
