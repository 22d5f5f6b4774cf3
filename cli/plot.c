/* plot.c — PNG figures of a run folder or a sweep through gnuplot.
 *
 * Each figure is a small gnuplot script written next to the data (plots.gp),
 * so a user can edit and rerun it; gnuplot itself is started without a shell. */
#include <cjson/cJSON.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "plot.h"

extern char **environ;

static int has(const char *dir, const char *name) {
  char p[700];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return access(p, R_OK) == 0;
}

/* gnuplot found on PATH? */
int nqs_have_gnuplot(void) {
  const char *path = getenv("PATH");
  if (!path) return 0;
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *save = NULL, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    char p[4200];
    snprintf(p, sizeof p, "%s/gnuplot", d);
    if (access(p, X_OK) == 0) return 1;
  }
  return 0;
}

/* Run `gnuplot script`; 0 on success. */
int nqs_run_gnuplot(const char *script, char *msg, size_t size) {
  pid_t pid;
  char *argv[] = {"gnuplot", (char *)script, NULL};
  if (posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ) != 0) {
    snprintf(msg, size, "cannot start gnuplot (install the Debian package gnuplot-nox)");
    return -1;
  }
  int status;
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    snprintf(msg, size, "gnuplot failed on %s", script);
    return -1;
  }
  return 0;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
    free(s);
    s = NULL;
  }
  if (s) s[n] = 0;
  fclose(f);
  return s;
}

/* Reference energy and a title from result.json (if the run got that far). */
static void run_info(const char *dir, double *ref, char *title, size_t size) {
  char p[700];
  *ref = 0;
  snprintf(title, size, "%s", dir);
  snprintf(p, sizeof p, "%s/result.json", dir);
  char *text = slurp(p);
  cJSON *j = text ? cJSON_Parse(text) : NULL;
  free(text);
  if (!j) return;
  cJSON *r = cJSON_GetObjectItem(j, "reference"), *s = cJSON_GetObjectItem(j, "system"), *f = cJSON_GetObjectItem(j, "factors");
  if (r && cJSON_IsNumber(cJSON_GetObjectItem(r, "value"))) *ref = cJSON_GetObjectItem(r, "value")->valuedouble;
  if (s && cJSON_IsString(f))
    snprintf(title, size, "%dD, N = %d, omega = %g, %s", cJSON_GetObjectItem(s, "dimensions")->valueint,
             cJSON_GetObjectItem(s, "particles")->valueint, cJSON_GetObjectItem(s, "omega")->valuedouble,
             f->valuestring);
  cJSON_Delete(j);
}

static const char *header =
    "set terminal pngcairo size 800,600 enhanced font 'sans,11'\n"
    "set datafile separator ','\n"
    "set key autotitle columnhead\n"
    "set grid\n";

/* One figure each: the gnuplot commands into g when the folder holds its data. */
static void fig_energy(FILE *g, const char *dir, const char *title, double ref) {
  if (!has(dir, "energy.csv")) return;
  fprintf(g,
          "set output '%s/energy.png'\n"
          "set title \"Energy during optimisation: %s\" noenhanced\n"
          "set xlabel 'iteration'; set ylabel 'E (units of %s)'\n",
          dir, title, has(dir, "correlations.csv") ? "J" : "hbar omega_0");
  if (ref != 0) fprintf(g, "ref = %.10g\n", ref);
  fprintf(g,
          "plot '%s/energy.csv' using 1:($2-$3):($2+$3) with filledcurves lc rgb '#a0c0ff' title 'E +- error', "
          "'' using 1:2 with lines lw 2 lc rgb '#0030a0' title 'E'%s\n",
          dir, ref != 0 ? ", ref with lines dt 2 lw 2 lc rgb '#c00000' title sprintf('reference %g', ref)" : "");
}

static void fig_densities(FILE *g, const char *dir, const char *title, double ref) {
  if (has(dir, "density_radial.csv"))
    fprintf(g,
            "set output '%s/density_radial.png'\n"
            "set title \"One-body radial density: %s\" noenhanced\n"
            "set xlabel 'r'; set ylabel 'rho(r)'\n"
            "plot '%s/density_radial.csv' using 1:2:3 with yerrorbars pt 7 ps 0.5 lc rgb '#0030a0' title 'sampled', "
            "'' using 1:4 with lines lw 2 lc rgb '#c00000' title 'non-interacting'\n",
            dir, title, dir);
  if (has(dir, "pair_density.csv"))
    fprintf(g,
            "set output '%s/pair_density.png'\n"
            "set title \"Two-body radial density: %s\" noenhanced\n"
            "set xlabel 'r_{12}'; set ylabel 'rho_2(r_{12})'\n"
            "plot '%s/pair_density.csv' using 1:2:3 with yerrorbars pt 7 ps 0.5 lc rgb '#0030a0' title 'sampled'\n",
            dir, title, dir);
}

/* The header line of dir/name ("" if unreadable). */
static void header_of(const char *dir, const char *name, char *line, size_t size) {
  char p[700];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "r");
  line[0] = 0;
  if (f && !fgets(line, (int)size, f)) line[0] = 0;
  if (f) fclose(f);
}

static void fig_grid(FILE *g, const char *dir, const char *title, double ref) {
  char line[256];
  header_of(dir, "density_grid.csv", line, sizeof line);
  if (strncmp(line, "x,y,rho", 7) == 0) /* a map only for 2D grids (x,y,rho,error) */
    fprintf(g,
            "set output '%s/density_2d.png'\n"
            "set title \"One-body density: %s\" noenhanced\n"
            "set xlabel 'x'; set ylabel 'y'; set size ratio -1; unset grid\n"
            "set view map; set pm3d map; set palette rgbformulae 33,13,10\n"
            "splot '%s/density_grid.csv' using 1:2:3 with pm3d notitle\n"
            "set size noratio; set grid\n",
            dir, title, dir);
  header_of(dir, "density_axes.csv", line, sizeof line);
  int cols = line[0] ? 1 : 0;
  for (const char *c = line; *c; c++) cols += *c == ',';
  const int d = (cols - 1) / 3, last = 2 + 3 * (d - 1); /* columns of x: 2,3,4; of the last axis: last.. */
  static const char *ax[] = {"x", "y", "z"};
  if (d >= 2 && d <= 3)
    fprintf(g,
            "set output '%s/density_axes.png'\n"
            "set title \"One-body density along x and %s: %s\" noenhanced\n"
            "set xlabel 'coordinate'; set ylabel 'density along the axis'\n"
            "plot '%s/density_axes.csv' using 1:2:3 with yerrorbars pt 7 ps 0.5 lc rgb '#0030a0' title 'x, sampled', "
            "'' using 1:4 with lines lw 2 lc rgb '#0030a0' dt 2 title 'x, non-interacting', "
            "'' using 1:%d:%d with yerrorbars pt 5 ps 0.5 lc rgb '#c00000' title '%s, sampled', "
            "'' using 1:%d with lines lw 2 lc rgb '#c00000' dt 2 title '%s, non-interacting'\n",
            dir, ax[d - 1], title, dir, last, last + 1, ax[d - 1], last + 2, ax[d - 1]);
}

static void fig_training(FILE *g, const char *dir, const char *title, double ref) {
  if (!has(dir, "training.csv")) return; /* nqs train-rbm: columns epoch,rec,pll_train,pll_test,ll_train,ll_test,kl,wall */
  fprintf(g,
          "set output '%s/training.png'\n"
          "set multiplot layout 2,1 title \"RBM training: %s\" noenhanced\n"
          "set xlabel 'epoch'; set ylabel 'log-likelihood per sample'\n"
          "plot '%s/training.csv' using 1:5 with lines lw 2 lc rgb '#0030a0' title 'exact, training rows', "
          "'' using 1:6 with lines lw 2 dt 2 lc rgb '#c00000' title 'exact, held-out rows', "
          "'' using 1:3 with lines lc rgb '#80a0ff' title 'pseudo, training', '' using 1:4 with lines dt 2 lc rgb '#ff8080' "
          "title 'pseudo, held-out'\n"
          "set logscale y; set ylabel 'KL(data || RBM) (nats)'\n"
          "plot '%s/training.csv' using 1:7 with lines lw 2 lc rgb '#0030a0' title 'exact KL to the target'\n"
          "unset logscale y; unset multiplot\n",
          dir, title, dir, dir);
}

static void fig_correlations(FILE *g, const char *dir, const char *title, double ref) {
  char line[256];
  header_of(dir, "correlations.csv", line, sizeof line);
  if (strncmp(line, "dx,dy,C", 7) == 0) /* lattice runs: C(d) along x (dy = 0); edge lists list pairs i, j */
    fprintf(g,
            "set output '%s/correlations.png'\n"
            "set title \"Spin-spin correlation C(d) = <s_x s_{x+d}>: %s\" noenhanced\n"
            "set xlabel 'd (sites, along x)'; set ylabel 'C(d)'\n"
            "plot '%s/correlations.csv' using ($2 == 0 ? $1 : 1/0):3:4 with yerrorbars pt 7 ps 0.7 "
            "lc rgb '#0030a0' title 'sampled'\n",
            dir, title, dir);
}

/* nqs regress: MSE against the degree, its bias-variance split, the penalty path, and the fit. */
static void fig_regress(FILE *g, const char *dir, const char *title, double ref) {
  if (has(dir, "complexity.csv"))
    fprintf(g,
            "set output '%s/complexity.png'\n"
            "set title 'Mean squared error against the polynomial degree'\n"
            "set xlabel 'polynomial degree'; set ylabel 'MSE'; set logscale y; set key top center\n"
            "plot '%s/complexity.csv' using 1:3 with linespoints pt 7 lw 2 lc rgb '#0030a0' title 'training rows', "
            "'' using 1:4 with linespoints pt 5 lw 2 lc rgb '#c00000' title 'test rows', "
            "'' using 1:5:6 with yerrorlines pt 9 lw 2 lc rgb '#008000' title 'k-fold cross-validation'\n"
            "set output '%s/bias_variance.png'\n"
            "set title 'Bias-variance decomposition (bootstrap, test rows)'\n"
            "plot '%s/complexity.csv' using 1:7 with linespoints pt 7 lw 2 lc rgb '#000000' title 'error', "
            "'' using 1:8 with linespoints pt 5 lw 2 lc rgb '#0030a0' title 'bias^2 (with the noise)', "
            "'' using 1:9 with linespoints pt 9 lw 2 lc rgb '#c00000' title 'variance'\n"
            "unset logscale y; set key default\n",
            dir, dir, dir, dir);
  char line[4096];
  header_of(dir, "path.csv", line, sizeof line);
  int cols = line[0] ? 1 : 0;
  for (const char *c = line; *c; c++) cols += *c == ',';
  if (cols > 6)
    fprintf(g,
            "set output '%s/path.png'\n"
            "set multiplot layout 2,1 title 'Penalty path'; unset title\n"
            "set logscale x; set format x '10^{%%L}'; set xlabel 'penalty lambda'; set ylabel 'coefficient'; unset key\n"
            "plot for [k=7:%d] '%s/path.csv' using 1:k with lines lw 1.5\n"
            "set ylabel 'MSE'; set logscale y; set key top left\n"
            "plot '%s/path.csv' using 1:2:3 with yerrorlines pt 7 lc rgb '#008000' title 'k-fold cross-validation', "
            "'' using 1:4 with lines lw 2 lc rgb '#0030a0' title 'training rows', "
            "'' using 1:5 with lines lw 2 lc rgb '#c00000' title 'test rows'\n"
            "unset multiplot; unset logscale; set format x; set key default\n",
            dir, cols, dir, dir);
  header_of(dir, "predictions.csv", line, sizeof line);
  cols = line[0] ? 1 : 0;
  for (const char *c = line; *c; c++) cols += *c == ',';
  if (cols >= 3)
    fprintf(g,
            "set output '%s/fit.png'\n"
            "set title 'Predicted against measured, test rows'; set size ratio -1\n"
            "set xlabel 'measured'; set ylabel 'predicted'; set key top left\n"
            "plot '%s/predictions.csv' using %d:%d with points pt 7 ps 0.8 lc rgb '#0030a0' title 'test rows', "
            "x with lines dt 2 lc rgb '#c00000' title 'predicted = measured'\n"
            "set size noratio; set key default\n",
            dir, dir, cols - 1, cols);
}

/* nqs classify: the learning curve, and the mean output against temperature. */
static void fig_classify(FILE *g, const char *dir, const char *title, double ref) {
  if (has(dir, "learning_curve.csv"))
    fprintf(g,
            "set output '%s/learning_curve.png'\n"
            "set multiplot layout 2,1 title 'Classifier training'; unset title\n"
            "set xlabel 'epoch'; set ylabel 'cross-entropy per row'; set logscale y; set key top right\n"
            "plot '%s/learning_curve.csv' using 1:2 with linespoints pt 7 lw 2 lc rgb '#0030a0' title 'training rows', "
            "'' using 1:4 with linespoints pt 5 lw 2 lc rgb '#c00000' title 'validation rows'\n"
            "unset logscale y; set ylabel 'accuracy'; set key bottom right\n"
            "plot '%s/learning_curve.csv' using 1:3 with linespoints pt 7 lw 2 lc rgb '#0030a0' title 'training rows', "
            "'' using 1:5 with linespoints pt 5 lw 2 lc rgb '#c00000' title 'validation rows'\n"
            "unset multiplot; set key default\n",
            dir, dir, dir);
  if (has(dir, "output_vs_T.csv"))
    fprintf(g,
            "set output '%s/output_vs_T.png'\n"
            "set title 'Network output on the test rows against temperature'\n"
            "set xlabel 'temperature T (J / k_B)'; set ylabel 'mean network output'; set yrange [-0.05:1.05]; set key center right\n"
            "set arrow 1 from 2.269185,-0.05 to 2.269185,1.05 nohead dt 2 lc rgb '#808080'\n"
            "set label 1 'Onsager T_c' at 2.29,0.05 tc rgb '#808080'\n"
            "plot '%s/output_vs_T.csv' using 1:3:4 with yerrorlines pt 7 lw 2 lc rgb '#0030a0' title 'P(ordered)', "
            "'' using 1:(1 - $3):4 with yerrorlines pt 5 lw 2 lc rgb '#c00000' title 'P(disordered)', "
            "0.5 with lines dt 3 lc rgb '#000000' notitle\n"
            "unset arrow 1; unset label 1; set yrange [*:*]; set key default\n",
            dir, dir);
}

/* nqs gan: the adversarial losses, and the generated densities against the data's. */
static void fig_gan(FILE *g, const char *dir, const char *title, double ref) {
  if (has(dir, "gan_training.csv"))
    fprintf(g,
            "set output '%s/gan_training.png'\n"
            "set title 'GAN training'; set xlabel 'epoch'; set ylabel 'loss per row'; set key top right\n"
            "plot '%s/gan_training.csv' using 1:2 with lines lw 2 lc rgb '#0030a0' title 'discriminator', "
            "'' using 1:3 with lines lw 2 lc rgb '#c00000' title 'generator (-ln D(G(z)))', "
            "2 * log(2) with lines dt 2 lc rgb '#0030a0' title 'discriminator at equilibrium (2 ln 2)', "
            "log(2) with lines dt 2 lc rgb '#c00000' title 'generator at equilibrium (ln 2)'\n"
            "set key default\n",
            dir, dir);
  if (has(dir, "gan_densities.csv"))
    fprintf(g,
            "set output '%s/gan_densities.png'\n"
            "set multiplot layout 2,1 title 'Generated configurations against the data'; unset title\n"
            "set xlabel 'r (particle distance from the trap centre)'; set ylabel 'probability density'; set key top right\n"
            "plot '%s/gan_densities.csv' using 1:2 with lines lw 2 lc rgb '#0030a0' title 'data (VMC)', "
            "'' using 1:3 with lines lw 2 dt 2 lc rgb '#c00000' title 'GAN'\n"
            "set xlabel 'r_{12} (pair distance)'\n"
            "plot '%s/gan_densities.csv' using 4:5 with lines lw 2 lc rgb '#0030a0' title 'data (VMC)', "
            "'' using 4:6 with lines lw 2 dt 2 lc rgb '#c00000' title 'GAN'\n"
            "unset multiplot; set key default\n",
            dir, dir, dir);
}

static void (*const figures[])(FILE *, const char *, const char *, double) = {fig_energy, fig_densities, fig_grid, fig_training,
                                                                              fig_correlations, fig_regress, fig_classify, fig_gan};

int nqs_plot_run(const char *dir, char *msg, size_t size) {
  if (strchr(dir, '\'')) {
    snprintf(msg, size, "the folder name %s contains a quote, which gnuplot scripts cannot hold", dir);
    return -1;
  }
  if (!has(dir, "energy.csv") && !has(dir, "density_radial.csv") && !has(dir, "training.csv") && !has(dir, "predictions.csv") &&
      !has(dir, "learning_curve.csv") && !has(dir, "gan_training.csv")) {
    snprintf(msg, size, "%s holds no energy.csv, density_radial.csv, training.csv, predictions.csv, learning_curve.csv or "
             "gan_training.csv: not a run folder?", dir);
    return -1;
  }
  double ref;
  char title[256], script[700];
  run_info(dir, &ref, title, sizeof title);
  snprintf(script, sizeof script, "%s/plots.gp", dir);
  FILE *g = fopen(script, "w");
  if (!g) {
    snprintf(msg, size, "cannot write %s", script);
    return -1;
  }
  fprintf(g, "# nqs plots; rerun with: gnuplot '%s' (or nqs plot %s)\n%s", script, dir, header);
  for (size_t k = 0; k < sizeof figures / sizeof figures[0]; k++) figures[k](g, dir, title, ref);
  fclose(g);
  return nqs_run_gnuplot(script, msg, size);
}

int nqs_plot_sweep(const char *dir, const char *param, char *msg, size_t size) {
  if (strchr(dir, '\'') || strchr(param, '\'')) {
    snprintf(msg, size, "the folder name %s contains a quote, which gnuplot scripts cannot hold", dir);
    return -1;
  }
  char script[700];
  snprintf(script, sizeof script, "%s/sweep.gp", dir);
  FILE *g = fopen(script, "w");
  if (!g) {
    snprintf(msg, size, "cannot write %s", script);
    return -1;
  }
  fprintf(g,
          "# nqs sweep plot; rerun with: gnuplot '%s'\n%s"
          "set output '%s/sweep.png'\n"
          "set title \"Energies against %s\" noenhanced\n"
          "set xlabel '%s' noenhanced; set ylabel 'energy'\n"
          "plot '%s/summary.csv' using 1:2:3 with yerrorlines pt 7 lw 2 title 'E', "
          "'' using 1:4:5 with yerrorlines pt 5 title 'T', "
          "'' using 1:6:7 with yerrorlines pt 9 title 'V_{trap}', "
          "'' using 1:8:9 with yerrorlines pt 11 title 'V_{int}', "
          "'' using 1:($12 != 0 ? $12 : NaN) with points pt 6 ps 1.5 lc rgb '#c00000' title 'reference'\n",
          script, header, dir, param, param, dir);
  fclose(g);
  return nqs_run_gnuplot(script, msg, size);
}
