/* nqs/learn/regress.h — linear regression on design matrices (the seeds' first chapters):
 * ordinary least squares, ridge and lasso, with polynomial features, standardisation,
 * resampling (k-fold cross-validation, the bootstrap) and the bias-variance decomposition.
 *
 * Conventions. A design matrix X is n rows (samples) x p columns (features), row-major, without
 * a column of ones: the intercept is fitted, unpenalised, by centring. With standardise, each
 * column is also divided by its standard deviation over the training rows (1/n, as scikit-learn's
 * StandardScaler); the penalties act on the coefficients of the standardised columns, and the
 * fit returns coefficients w and intercept b of the original columns: y ~ b + X w.
 *
 * Objectives on the centred (and scaled) design Xc, yc:
 *   ols    ||yc - Xc w||^2                       (SVD through LAPACK; the minimum-norm solution
 *                                                 when Xc is rank-deficient)
 *   ridge  ||yc - Xc w||^2 + lambda ||w||^2      (scikit-learn's Ridge(alpha = lambda))
 *   lasso  (1/2n) ||yc - Xc w||^2 + alpha |w|_1  (scikit-learn's Lasso(alpha)), by the homotopy
 *                                                 or by coordinate descent to a relative duality gap. */
#ifndef NQS_REGRESS_H
#define NQS_REGRESS_H
#include <stdint.h>
#include "nqs/core/error.h"
#include "nqs/core/rng.h"
#include "nqs/core/run.h"

typedef enum { NQS_REG_OLS, NQS_REG_RIDGE, NQS_REG_LASSO } nqs_reg_kind;
/* The lasso's solvers: the exact homotopy (LARS-lasso), or cyclic coordinate descent (with an
 * exact solve on the current support every few sweeps), which needs many sweeps on strongly
 * correlated columns such as polynomial features. */
typedef enum { NQS_LASSO_LARS, NQS_LASSO_CD } nqs_lasso_solver;

/* Number of monomials of total degree 1..degree in d variables: C(d + degree, d) - 1. */
int nqs_poly_count(int d, int degree);

/* The exponents of those monomials in graded order (degree 1 first; within a degree, the powers
 * of the first variable descending): pw[m * d + v], m < nqs_poly_count(d, degree). */
void nqs_poly_powers(int d, int degree, int *pw);

/* X[i * m + k] = prod_v x[i * d + v]^pw[k * d + v] for the first m monomials. */
void nqs_poly_features(const double *x, long n, int d, const int *pw, int m, double *X);

/* The Franke function on [0, 1]^2 (the seeds' test surface). */
double nqs_franke(double x, double y);

/* A fitted linear model y ~ b + X w and what the fit learned about it. */
typedef struct nqs_linear_fit {
  int p;
  double *w;     /* p coefficients of the original columns (owned) */
  double b;      /* intercept */
  double *se;    /* ols only (else NULL): standard errors of w (owned) */
  double se_b;   /* ols: standard error of b */
  double sigma2; /* ols: residual variance RSS / (n - rank - 1) */
  int rank;      /* ols: numerical rank of the centred design */
  int iterations; /* lasso, cd: coordinate-descent sweeps */
  double gap;    /* lasso: the final duality gap, relative to |yc|^2 */
} nqs_linear_fit;

typedef struct nqs_linear_options {
  nqs_reg_kind kind;
  double lambda;     /* ridge lambda, lasso alpha */
  int standardise;   /* divide columns by their standard deviation */
  double tolerance;  /* lasso: stop at duality gap < tolerance |yc|^2 (0: 1e-12) */
  int max_sweeps;    /* lasso: give up after this many sweeps (0: 100000) */
  nqs_lasso_solver lasso_solver;
  const double *warm; /* lasso, cd: starting coefficients of the standardised columns (or NULL) */
} nqs_linear_options;

/* Fit n rows of X (n x p) to y. f's arrays are allocated here (nqs_linear_fit_free). A lasso
 * that reaches max_sweeps without the gap is NQS_EFAILED, with f filled. */
nqs_status nqs_linear_fit_rows(const double *X, const double *y, long n, int p, const nqs_linear_options *o, nqs_linear_fit *f,
                               nqs_error *err);
void nqs_linear_fit_free(nqs_linear_fit *f);

/* yhat[i] = b + X[i] . w for n rows. */
void nqs_linear_predict(const nqs_linear_fit *f, const double *X, long n, double *yhat);

/* The lasso's coefficients of the standardised (or only centred) columns, as the warm start of
 * the next alpha of a path: ws[j] = w[j] * scale[j]. scale: the columns' standard deviations, or
 * NULL when not standardised. */
void nqs_lasso_warm_of(const nqs_linear_fit *f, const double *X, long n, int standardise, double *ws);

/* alpha_max = max_j |Xc_j . yc| / n, the smallest alpha at which every lasso coefficient is 0. */
double nqs_lasso_alpha_max(const double *X, const double *y, long n, int p, int standardise);

/* Mean squared error and R^2 = 1 - SSE / sum (y - mean y)^2 of predictions. */
double nqs_mse(const double *y, const double *yhat, long n);
double nqs_r2(const double *y, const double *yhat, long n);

/* Student's t with nu >= 1 degrees of freedom: A(t) = P(|T| < t) by the closed finite series of
 * Abramowitz & Stegun 26.7.3-4 (exact for integer nu), and its inverse: the t with A(t) = 1 - a
 * (the half-width of a two-sided 1 - a interval), by bisection to round-off. */
double nqs_student_t_within(double t, int nu);
double nqs_student_t_quantile(double a, int nu);

/* A random permutation of 0..n-1 (Fisher-Yates from rng). */
void nqs_permutation(long n, long *perm, nqs_rng *rng);

/* A Parametric Matrix Model (Cook, Jammooa, Hjorth-Jensen, Lee & Lee, Nat. Commun. 16, 5929
 * (2025)): a real symmetric n x n matrix affine in the d inputs, M(x) = A + sum_l x_l B_l, with
 * eigenpairs (lambda_k, v_k) in ascending order, and the output
 *   y(x) = g + sum_{k<r} (c_k lambda_k + v_k^T D v_k)
 * with D a symmetric "secondary" matrix. The gradients follow from first-order perturbation
 * theory: d lambda_k = v_k^T dM v_k, and the projector onto the lowest r eigenvectors changes
 * only by mixing with the rest, d(sum_{k<r} v_k^T D v_k) = 2 sum_{k<r, m>=r} (v_k^T D v_m)
 * (v_m^T dM v_k) / (lambda_k - lambda_m), which needs a gap between lambda_{r-1} and lambda_r.
 * Parameters: A, B_1..B_d, D as upper triangles (row by row, n(n+1)/2 each), then c (r), then g. */
typedef struct nqs_pmm {
  int n, d, r, np;
} nqs_pmm;

nqs_status nqs_pmm_init(nqs_pmm *m, int n, int d, int r, nqs_error *err);
/* Doubles of workspace nqs_pmm_eval needs. */
int nqs_pmm_work_size(const nqs_pmm *m);
/* y(x); with grad != NULL also dy/dtheta (np values, overwritten). NAN if the eigensolver fails. */
double nqs_pmm_eval(const nqs_pmm *m, const double *theta, const double *x, double *grad, double *work);
/* Start: A, B_l and D ~ N(0, 1/n) off the diagonal and on it, c_k = 1/r, g = 0. */
void nqs_pmm_init_params(const nqs_pmm *m, double *theta, nqs_rng *rng);
/* Minimise the mean squared error over n rows of x (n x d) by Adam (full batch) for `epochs`
 * steps of size lr; theta in and out. */
nqs_status nqs_pmm_train(const nqs_pmm *m, double *theta, const double *x, const double *y, long n, int epochs, double lr,
                         nqs_error *err);

/* nqs regress FILE: the [regress] section of c ([output] dir, [run] seed). The run folder gets
 * config.ini, data.csv (built-in data only), coefficients.csv, predictions.csv (the test rows),
 * path.csv (ridge, lasso: the cross-validated penalties), complexity.csv (with complexity > 0)
 * and result.json (docs/learning.md). Progress through o (may be NULL). */
typedef struct nqs_regress_result {
  char dir[512];
  int inputs, features, degree;
  long train_rows, test_rows;
  double lambda;                      /* ridge, lasso: the penalty of the final fit */
  double train_mse, test_mse, train_r2, test_r2; /* test_*: NAN without a test set */
  double cv_mse, cv_error;            /* k-fold cross-validated MSE of the final model and its standard error */
  double wall_seconds;
} nqs_regress_result;

nqs_status nqs_regress_run(const nqs_config *c, const nqs_run_options *o, nqs_regress_result *res, nqs_error *err);

#endif
