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

char *nqs_cli_slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *s = NULL;
  if (fseek(f, 0, SEEK_END) == 0) {
    const long n = ftell(f);
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (s = malloc((size_t)n + 1))) {
      if (fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
      } else s[n] = 0;
    }
  }
  fclose(f);
  return s;
}

cJSON *nqs_cli_result_json(const char *dir) {
  char p[700];
  snprintf(p, sizeof p, "%s/result.json", dir);
  char *text = nqs_cli_slurp(p);
  cJSON *j = text ? cJSON_Parse(text) : NULL;
  free(text);
  return j;
}

/* What the figures say about the run, from result.json (if the run got that far). */
typedef struct {
  double ref;          /* reference energy, 0 if none */
  char title[256];     /* the system in a few words */
  char eunit[16], lunit[16];
  int dims;            /* spatial dimensions (3 for nuclei), 0 if unknown */
  int lattice;
} run_meta;

static void run_info(const char *dir, run_meta *m) {
  memset(m, 0, sizeof *m);
  snprintf(m->title, sizeof m->title, "%s", dir);
  cJSON *j = nqs_cli_result_json(dir);
  if (!j) return;
  const cJSON *r = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "reference"), "value"), *s = cJSON_GetObjectItem(j, "system"),
              *u = cJSON_GetObjectItem(j, "units");
  if (cJSON_IsNumber(r)) m->ref = r->valuedouble;
  const cJSON *eu = cJSON_GetObjectItem(u, "energy"), *lu = cJSON_GetObjectItem(u, "length");
  if (cJSON_IsString(eu)) snprintf(m->eunit, sizeof m->eunit, "%s", eu->valuestring);
  if (cJSON_IsString(lu)) snprintf(m->lunit, sizeof m->lunit, "%s", lu->valuestring);
  const cJSON *d = cJSON_GetObjectItem(s, "dimensions"), *n = cJSON_GetObjectItem(s, "particles"), *w = cJSON_GetObjectItem(s, "omega"),
              *f = cJSON_GetObjectItem(s, "factors"), *model = cJSON_GetObjectItem(s, "model"), *graph = cJSON_GetObjectItem(s, "graph"),
              *sites = cJSON_GetObjectItem(s, "sites"), *ansatz = cJSON_GetObjectItem(s, "ansatz"),
              *A = cJSON_GetObjectItem(s, "nucleons"), *Z = cJSON_GetObjectItem(s, "protons"), *L = cJSON_GetObjectItem(s, "lambda_fm-1");
  const cJSON *vis = cJSON_GetObjectItem(j, "visible"), *hid = cJSON_GetObjectItem(j, "hidden"), *meth = cJSON_GetObjectItem(j, "method"),
              *rows = cJSON_GetObjectItem(j, "rows_train");
  if (cJSON_IsNumber(vis) && cJSON_IsNumber(hid) && cJSON_IsString(meth) && cJSON_IsNumber(rows)) /* train-rbm */
    snprintf(m->title, sizeof m->title, "%d visible, %d hidden, %s negative phase, %d training rows", vis->valueint, hid->valueint,
             meth->valuestring, rows->valueint);
  else if (cJSON_IsNumber(d) && cJSON_IsNumber(n) && cJSON_IsNumber(w) && cJSON_IsString(f)) {
    m->dims = d->valueint;
    snprintf(m->title, sizeof m->title, "%dD, N = %d, omega = %g, %s", d->valueint, n->valueint, w->valuedouble, f->valuestring);
  } else if (cJSON_IsString(model) && cJSON_IsString(graph) && cJSON_IsNumber(sites)) {
    m->lattice = 1;
    snprintf(m->title, sizeof m->title, "%s on a %s of %d sites, %s", model->valuestring, graph->valuestring, sites->valueint,
             cJSON_IsString(ansatz) ? ansatz->valuestring : "");
  } else if (cJSON_IsNumber(A) && cJSON_IsNumber(Z)) {
    m->dims = 3;
    snprintf(m->title, sizeof m->title, "A = %d, Z = %d, pionless EFT, Lambda = %g fm^-1", A->valueint, Z->valueint,
             cJSON_IsNumber(L) ? L->valuedouble : 0);
  }
  cJSON_Delete(j);
}

static const char *header =
    "set terminal pngcairo size 800,600 enhanced font 'sans,11'\n"
    "set datafile separator ','\n"
    "set key autotitle columnhead\n"
    "set grid\n";

/* The largest x (column xc) of dir/name where column yc exceeds frac of its maximum, or 0: the
 * data's extent, so that a density is not drawn over an empty tail. */
static double data_extent(const char *dir, const char *name, int xc, int yc, double frac) {
  char p[700], line[1024];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "r");
  if (!f) return 0;
  double xs[4096], ys[4096];
  int n = 0;
  if (fgets(line, sizeof line, f))
    while (n < 4096 && fgets(line, sizeof line, f)) {
      double v[8] = {0};
      int k = 0;
      for (char *q = line; k < 8 && *q && *q != '\n';) {
        v[k++] = strtod(q, &q);
        if (*q == ',') q++;
        else break;
      }
      if (k > xc && k > yc) xs[n] = v[xc], ys[n++] = v[yc];
    }
  fclose(f);
  double top = 0, ext = 0;
  for (int i = 0; i < n; i++) top = ys[i] > top ? ys[i] : top;
  for (int i = 0; i < n; i++)
    if (ys[i] > frac * top && xs[i] > ext) ext = xs[i];
  return ext;
}

/* Energy axis label: "E (MeV)". */
static void energy_label(const run_meta *m, char *buf, size_t size) {
  snprintf(buf, size, m->eunit[0] ? "E (%s)" : "E", m->eunit);
}

/* One figure each: the gnuplot commands into g when the folder holds its data. The energy is
 * drawn zoomed on the last four fifths of the iterations (the converged part), with the
 * reference inside the range. */
static void fig_energy(FILE *g, const char *dir, const run_meta *m) {
  if (!has(dir, "energy.csv")) return;
  char yl[48];
  energy_label(m, yl, sizeof yl);
  fprintf(g,
          "set output '%s/energy.png'\n"
          "set title \"Energy during the optimisation: %s\" noenhanced\n"
          "set xlabel 'iteration'; set ylabel '%s' noenhanced\n"
          "stats '%s/energy.csv' using 1 nooutput\n"
          "first = int(STATS_records / 5)\n"
          "stats '%s/energy.csv' every ::first using 2 nooutput\n"
          "lo = STATS_min; hi = STATS_max\n",
          dir, m->title, yl, dir, dir);
  if (m->ref != 0) fprintf(g, "ref = %.10g; lo = ref < lo ? ref : lo; hi = ref > hi ? ref : hi\n", m->ref);
  fprintf(g,
          "pad = 0.08 * (hi - lo + 1e-12 * abs(hi)); set yrange [lo - pad : hi + pad]\n"
          "set key below\n"
          "plot '%s/energy.csv' using 1:($2-$3):($2+$3) with filledcurves lc rgb '#a0c0ff' title 'E ± error', "
          "'' using 1:2 with lines lw 2 lc rgb '#0030a0' title 'E per iteration'%s\n"
          "set yrange [*:*]; set key default\n",
          dir, m->ref != 0 ? ", ref with lines dt 2 lw 2 lc rgb '#c00000' title sprintf('reference %g', ref)" : "");
}

static void fig_densities(FILE *g, const char *dir, const run_meta *m) {
  const char *per = m->dims == 1 ? "per unit length" : m->dims == 2 ? "per unit area" : "per unit volume";
  char lu[24] = "";
  if (m->lunit[0]) snprintf(lu, sizeof lu, " (%s)", m->lunit);
  const double x1 = data_extent(dir, "density_radial.csv", 0, 1, 1e-3), x2 = data_extent(dir, "pair_density.csv", 0, 1, 1e-3);
  const int free = strcmp(m->lunit, "fm") != 0; /* nuclei have no non-interacting density to show */
  if (has(dir, "density_radial.csv"))
    fprintf(g,
            "set output '%s/density_radial.png'\n"
            "set title \"One-body radial density: %s\" noenhanced\n"
            "set xlabel 'r%s' noenhanced; set ylabel 'ρ(r), particles %s'\n"
            "set xrange [0:%g]; set yrange [0:*]; set key top right\n"
            "plot '%s/density_radial.csv' using 1:2:3 with yerrorbars pt 7 ps 0.5 lc rgb '#0030a0' title 'sampled'%s\n"
            "set xrange [*:*]; set yrange [*:*]; set key default\n",
            dir, m->title, lu, per, x1 > 0 ? 1.05 * x1 : 10, dir,
            free ? ", '' using 1:4 with lines lw 2 lc rgb '#c00000' title 'non-interacting'" : "");
  if (has(dir, "pair_density.csv"))
    fprintf(g,
            "set output '%s/pair_density.png'\n"
            "set title \"Two-body radial density: %s\" noenhanced\n"
            "set xlabel 'r_{12}%s'; set ylabel 'ρ_2(r_{12}), pairs %s'\n"
            "set xrange [0:%g]; set yrange [0:*]; set key top right\n"
            "plot '%s/pair_density.csv' using 1:2:3 with yerrorbars pt 7 ps 0.5 lc rgb '#0030a0' title 'sampled'\n"
            "set xrange [*:*]; set yrange [*:*]; set key default\n",
            dir, m->title, lu, per, x2 > 0 ? 1.05 * x2 : 10, dir);
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

static void fig_grid(FILE *g, const char *dir, const run_meta *m) {
  char line[256], lu[24] = "";
  if (m->lunit[0]) snprintf(lu, sizeof lu, " (%s)", m->lunit);
  header_of(dir, "density_grid.csv", line, sizeof line);
  const double ext = data_extent(dir, "density_axes.csv", 0, 1, 1e-3);
  if (strncmp(line, "x,y,rho", 7) == 0) /* a map only for 2D grids (x,y,rho,error) */
    fprintf(g,
            "set output '%s/density_2d.png'\n"
            "set title \"One-body density: %s\" noenhanced\n"
            "set xlabel 'x%s'; set ylabel 'y%s'; set size ratio -1; unset grid\n"
            "set cblabel 'ρ(x, y), particles per unit area'\n"
            "set view map; set pm3d map; set palette rgbformulae 33,13,10\n"
            "set xrange [%g:%g]; set yrange [%g:%g]\n"
            "splot '%s/density_grid.csv' using 1:2:3 with pm3d notitle\n"
            "set size noratio; set grid; unset cblabel; set xrange [*:*]; set yrange [*:*]\n",
            dir, m->title, lu, lu, ext > 0 ? -1.05 * ext : -10, ext > 0 ? 1.05 * ext : 10, ext > 0 ? -1.05 * ext : -10,
            ext > 0 ? 1.05 * ext : 10, dir);
  header_of(dir, "density_axes.csv", line, sizeof line);
  int cols = line[0] ? 1 : 0;
  for (const char *c = line; *c; c++) cols += *c == ',';
  const int d = (cols - 1) / 3, last = 2 + 3 * (d - 1); /* columns of x: 2,3,4; of the last axis: last.. */
  static const char *ax[] = {"x", "y", "z"};
  if (d >= 2 && d <= 3)
    fprintf(g,
            "set output '%s/density_axes.png'\n"
            "set title \"One-body density along x and %s: %s\" noenhanced\n"
            "set xlabel 'coordinate%s'; set ylabel 'density along the axis, particles per unit length'\n"
            "set xrange [%g:%g]; set key top right\n"
            "plot '%s/density_axes.csv' using 1:2:3 with yerrorbars pt 7 ps 0.5 lc rgb '#0030a0' title 'x, sampled', "
            "'' using 1:4 with lines lw 2 lc rgb '#0030a0' dt 2 title 'x, non-interacting', "
            "'' using 1:%d:%d with yerrorbars pt 5 ps 0.5 lc rgb '#c00000' title '%s, sampled', "
            "'' using 1:%d with lines lw 2 lc rgb '#c00000' dt 2 title '%s, non-interacting'\n"
            "set xrange [*:*]; set key default\n",
            dir, ax[d - 1], m->title, lu, ext > 0 ? -1.05 * ext : -10, ext > 0 ? 1.05 * ext : 10, dir, last, last + 1, ax[d - 1],
            last + 2, ax[d - 1]);
}

static void fig_training(FILE *g, const char *dir, const run_meta *m) {
  if (!has(dir, "training.csv")) return; /* nqs train-rbm: columns epoch,rec,pll_train,pll_test,ll_train,ll_test,kl,wall */
  fprintf(g,
          "set output '%s/training.png'\n"
          "set multiplot layout 2,1 title \"RBM training: %s\" noenhanced\n"
          "set xlabel 'epoch'; set ylabel 'log-likelihood per sample (nats)'; set key bottom right\n"
          "plot '%s/training.csv' using 1:5 with lines lw 2 lc rgb '#0030a0' title 'exact, training rows', "
          "'' using 1:6 with lines lw 2 dt 2 lc rgb '#c00000' title 'exact, held-out rows', "
          "'' using 1:3 with lines lc rgb '#80a0ff' title 'pseudo, training', '' using 1:4 with lines dt 2 lc rgb '#ff8080' "
          "title 'pseudo, held-out'\n"
          "set logscale y; set ylabel 'KL(data || RBM) (nats)'; set key top right\n"
          "plot '%s/training.csv' using 1:7 with lines lw 2 lc rgb '#0030a0' title 'exact KL to the target'\n"
          "unset logscale y; unset multiplot; set key default\n",
          dir, m->title, dir, dir);
}

/* nqs tomography: the fidelity to the exact state and the negative log-likelihood per epoch. */
static void fig_tomography(FILE *g, const char *dir, const run_meta *m) {
  if (!has(dir, "tomography.csv")) return; /* columns epoch,nll,fidelity,wall_seconds */
  fprintf(g,
          "set output '%s/tomography.png'\n"
          "set multiplot layout 2,1 title 'RBM tomography: learning the state from measurement records'\n"
          "set xlabel 'epoch'; set ylabel 'infidelity 1 - F to the exact state'; set logscale y; set key top right\n"
          "plot '%s/tomography.csv' using 1:(1 - $3) with linespoints pt 7 ps 0.5 lw 2 lc rgb '#0030a0' title '1 - F'\n"
          "unset logscale y; set ylabel 'negative log-likelihood per record'\n"
          "stats '%s/tomography.csv' using 1 nooutput\n"
          "set arrow 1 from STATS_max / 2, graph 0 to STATS_max / 2, graph 1 nohead dt 2 lc rgb '#808080'\n"
          "set label 1 'Z records only ' at STATS_max / 2, graph 0.55 right\n"
          "set label 2 ' all records' at STATS_max / 2, graph 0.55 left\n"
          "plot '%s/tomography.csv' using 1:2 with lines lw 2 lc rgb '#c00000' title 'NLL of the records fitted'\n"
          "unset arrow 1; unset label 1; unset label 2; unset multiplot; set key default\n",
          dir, dir, dir, dir);
}

/* The evaluation's energy per sweep (walker average) with its mean and error. */
static void fig_trace(FILE *g, const char *dir, const run_meta *m) {
  if (!has(dir, "trace.csv")) return;
  char yl[48];
  energy_label(m, yl, sizeof yl);
  fprintf(g,
          "set output '%s/trace.png'\n"
          "set title \"Evaluation, E per sweep (walker average): %s\" noenhanced\n"
          "set xlabel 'sweep'; set ylabel '%s' noenhanced; set key below; set autoscale xfix\n"
          "stats '%s/trace.csv' using 2 nooutput\n"
          "plot '%s/trace.csv' using 1:2 with lines lw 1 lc rgb '#80a0ff' title 'E per sweep', "
          "STATS_mean with lines lw 2 lc rgb '#0030a0' title sprintf('mean %%.8g (error bars: nqs analyze)', STATS_mean)%s\n"
          "set key default; set autoscale x\n",
          dir, m->title, yl, dir, dir, m->ref != 0 ? ", ref with lines dt 2 lw 2 lc rgb '#c00000' title 'reference'" : "");
}

static void fig_correlations(FILE *g, const char *dir, const run_meta *m) {
  char line[256];
  header_of(dir, "correlations.csv", line, sizeof line);
  if (strncmp(line, "dx,dy,C", 7) == 0) /* lattice runs: C(d) along x (dy = 0); edge lists list pairs i, j */
    fprintf(g,
            "set output '%s/correlations.png'\n"
            "set title \"Spin-spin correlation C(d) = <s_x s_{x+d}>: %s\" noenhanced\n"
            "set xlabel 'd (sites, along x)'; set ylabel 'C(d)'\n"
            "plot '%s/correlations.csv' using ($2 == 0 ? $1 : 1/0):3:4 with yerrorbars pt 7 ps 0.7 "
            "lc rgb '#0030a0' title 'sampled'\n",
            dir, m->title, dir);
}

/* nqs regress: MSE against the degree, its bias-variance split, the penalty path, and the fit. */
static void fig_regress(FILE *g, const char *dir, const run_meta *m) {
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
static void fig_classify(FILE *g, const char *dir, const run_meta *m) {
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
static void fig_gan(FILE *g, const char *dir, const run_meta *m) {
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

static void (*const figures[])(FILE *, const char *, const run_meta *) = {fig_energy,       fig_trace,  fig_densities, fig_grid,
                                                                         fig_training,     fig_tomography, fig_correlations,
                                                                         fig_regress,      fig_classify, fig_gan};

/* The files a figure is drawn from: a folder with none of them is not a run folder. */
static const char *const data_files[] = {"energy.csv", "trace.csv", "density_radial.csv", "correlations.csv", "training.csv",
                                         "tomography.csv", "predictions.csv", "learning_curve.csv", "gan_training.csv"};

int nqs_plot_run(const char *dir, char *msg, size_t size) {
  if (strchr(dir, '\'')) {
    snprintf(msg, size, "the folder name %s contains a quote, which gnuplot scripts cannot hold", dir);
    return -1;
  }
  if (has(dir, "summary.csv")) { /* a sweep: its parameter heads the first column */
    char line[256];
    header_of(dir, "summary.csv", line, sizeof line);
    line[strcspn(line, ",\n")] = 0;
    return nqs_plot_sweep(dir, line, msg, size);
  }
  int any = 0;
  for (size_t k = 0; k < sizeof data_files / sizeof data_files[0]; k++) any |= has(dir, data_files[k]);
  if (!any) {
    snprintf(msg, size, "%s holds none of the files nqs plots (energy.csv, trace.csv, training.csv, summary.csv, ...): not a run folder?",
             dir);
    return -1;
  }
  run_meta m;
  char script[700];
  run_info(dir, &m);
  snprintf(script, sizeof script, "%s/plots.gp", dir);
  FILE *g = fopen(script, "w");
  if (!g) {
    snprintf(msg, size, "cannot write %s", script);
    return -1;
  }
  fprintf(g, "# nqs plots; rerun with: gnuplot '%s' (or nqs plot %s)\n%s", script, dir, header);
  if (m.ref != 0) fprintf(g, "ref = %.10g\n", m.ref);
  for (size_t k = 0; k < sizeof figures / sizeof figures[0]; k++) figures[k](g, dir, &m);
  fclose(g);
  return nqs_run_gnuplot(script, msg, size);
}

/* The sweep's energies against its parameter: E with the reference, and the kinetic, trap and
 * interaction parts where the runs have them (particles; lattices have E alone). */
int nqs_plot_sweep(const char *dir, const char *param, char *msg, size_t size) {
  if (strchr(dir, '\'') || strchr(param, '\'')) {
    snprintf(msg, size, "the folder name %s contains a quote, which gnuplot scripts cannot hold", dir);
    return -1;
  }
  /* the first point's row says which columns hold numbers, and its run folder the units */
  char p[700], line[2048] = "";
  snprintf(p, sizeof p, "%s/summary.csv", dir);
  FILE *f = fopen(p, "r");
  if (f && fgets(line, sizeof line, f) && !fgets(line, sizeof line, f)) line[0] = 0;
  if (f) fclose(f);
  char *fields[16] = {0};
  int nf = 0;
  for (char *save = NULL, *t = strtok_r(line, ",\n", &save); t && nf < 16; t = strtok_r(NULL, ",\n", &save)) fields[nf++] = t;
  const int parts = nf > 3 && strcmp(fields[3], "nan") != 0; /* T of the first point */
  run_meta m = {0};
  if (nf >= 15) run_info(fields[14], &m);
  char yl[48];
  energy_label(&m, yl, sizeof yl);
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
          "set title \"Energies against %s (one warm-started run per point)\" noenhanced\n"
          "set xlabel '%s' noenhanced; set ylabel '%s' noenhanced; set key below; set offsets graph 0.03, graph 0.03, 0, 0\n"
          "plot '%s/summary.csv' using 1:2:3 with yerrorlines pt 7 lw 2 lc rgb '#0030a0' title 'E (nqs)', "
          "'' using 1:($12 != 0 ? $12 : NaN) with points pt 6 ps 1.5 lc rgb '#c00000' title 'reference'",
          script, header, dir, param, param, yl, dir);
  if (parts)
    fprintf(g, ", '' using 1:4:5 with yerrorlines pt 5 title 'kinetic T', '' using 1:6:7 with yerrorlines pt 9 title 'V_{trap}', "
               "'' using 1:8:9 with yerrorlines pt 11 title 'V_{int}'");
  fputc('\n', g);
  fclose(g);
  return nqs_run_gnuplot(script, msg, size);
}
