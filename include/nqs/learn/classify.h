/* nqs/learn/classify.h — `nqs classify FILE`: a dense or convolutional network (nqs/nn/net.h)
 * trained on labelled samples by mini-batch SGD, momentum or Adam with L2 and early stopping,
 * and, for samples labelled by temperature (Carrasquilla & Melko's Ising study), the mean output
 * against T and the temperature where it crosses 1/2. docs/learning.md describes the files. */
#ifndef NQS_CLASSIFY_H
#define NQS_CLASSIFY_H
#include "nqs/core/config.h"
#include "nqs/core/run.h"

typedef struct nqs_classify_result {
  char dir[512];
  char network[512]; /* nqs_net_describe */
  int parameters, classes, epochs, best_epoch;
  long train_rows, validation_rows, test_rows;
  double test_accuracy, test_loss;
  int has_crossing;
  double crossing, crossing_error; /* T where the mean P(class 1) crosses 1/2, bootstrap error */
  double wall_seconds, seconds_per_epoch; /* an epoch: the training pass and the validation pass */
} nqs_classify_result;

nqs_status nqs_classify_run(const nqs_config *c, const nqs_run_options *o, nqs_classify_result *res, nqs_error *err);

#endif
