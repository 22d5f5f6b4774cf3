/* run_internal.h — the run-folder skeleton every command shares (nqs run, train-rbm, tomography):
 * the folder, the resolved config.ini, log.jsonl and a CSV table, atomic JSON files, estimates as
 * JSON. Not part of the public API. */
#ifndef NQS_RUN_INTERNAL_H
#define NQS_RUN_INTERNAL_H
#include <cjson/cJSON.h>
#include <stdio.h>
#include "nqs/core/run.h"

double nqs_run_now(void);
/* Create the run folder; refuse one that holds an earlier run (unless resuming it). */
nqs_status nqs_run_make_dir(const nqs_config *c, int resume, char *dir, size_t size, nqs_error *err);
/* Write text to dir/name through a temporary file, fsync and rename. */
nqs_status nqs_run_write_atomic(const char *dir, const char *name, const char *text, nqs_error *err);
/* dir/config.ini: the keys `command` reads (nqs_config_write). */
nqs_status nqs_run_write_config(const nqs_config *c, const char *command, const char *dir, nqs_error *err);
/* o printed (with a final newline) to dir/name through nqs_run_write_atomic; o is deleted. */
nqs_status nqs_run_write_json(const char *dir, const char *name, cJSON *o, nqs_error *err);
cJSON *nqs_run_estimate_json(const nqs_estimate *e);
/* The common head of every result.json: schema_version, kind, seed. */
cJSON *nqs_run_result_head(const char *kind, const nqs_config *c);
/* Open dir/log.jsonl and dir/CSV for writing, or for appending when append != 0 (a restart);
 * a fresh CSV gets the header line. On failure both are closed and NULL. */
nqs_status nqs_run_open_logs(const char *dir, const char *csv_name, const char *header, int append, FILE **log, FILE **csv,
                             nqs_error *err);
/* A checkpoint must belong to the folder it is restarted in: the given sections (space
 * separated) of its stored configuration and of dir/config.ini agree key by key, except the
 * keys in `changeable` (space separated: those a restart may change). NQS_EINPUT names both. */
struct nqs_checkpoint;
nqs_status nqs_run_check_folder(const struct nqs_checkpoint *ck, const char *dir, const char *command, const char *sections,
                                const char *changeable, nqs_error *err);
/* Take dir/.lock (flock, held until nqs_run_unlock): one process per run folder. Returns the
 * descriptor, or -1 with NQS_EINPUT naming the process that holds it. */
int nqs_run_lock(const char *dir, nqs_error *err);
void nqs_run_unlock(int fd);
/* A restart continues from its checkpoint: cut log.jsonl (lines {"FIELD":N,...}) and csv_name
 * (first column N) back to N <= upto, so that the resumed logs equal an uninterrupted run's. */
nqs_status nqs_run_cut_logs(const char *dir, const char *csv_name, const char *field, long upto, nqs_error *err);
/* The run folder of an epoch-by-epoch training (classify, gan): create it (or reopen it when
 * resuming after epoch `epoch`), lock it (*lock), write config.ini, cut csv_name back to the
 * resumed epoch, and open it for appending, with the header line on a fresh start (*csv). */
nqs_status nqs_run_open_training(const nqs_config *c, const char *command, int resume, long epoch, const char *csv_name,
                                 const char *header, char *dir, size_t size, int *lock, FILE **csv, nqs_error *err);
/* One JSON object per line; deletes o. log == NULL writes nothing. */
void nqs_run_log_line(FILE *log, cJSON *o);

#endif
