/* plot.h — PNG figures through gnuplot (the CLI's job, not the library's). */
#ifndef NQS_CLI_PLOT_H
#define NQS_CLI_PLOT_H
#include <stddef.h>

struct cJSON;
/* A whole file as a NUL-terminated string (malloc'ed), or NULL. */
char *nqs_cli_slurp(const char *path);
/* DIR/result.json parsed (free with cJSON_Delete), or NULL when absent or unreadable. */
struct cJSON *nqs_cli_result_json(const char *dir);

int nqs_have_gnuplot(void);
/* gnuplot SCRIPT without a shell; 0, or -1 and a message. */
int nqs_run_gnuplot(const char *script, char *msg, size_t size);
/* energy.png, density_radial.png, pair_density.png, density_2d.png (2D) from the run folder's CSV files.
 * 0 on success; else -1 and a message. */
int nqs_plot_run(const char *dir, char *msg, size_t size);
/* sweep.png from DIR/summary.csv. */
int nqs_plot_sweep(const char *dir, const char *param, char *msg, size_t size);

#endif
