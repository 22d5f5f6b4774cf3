/* learn.h — the learning commands: sample-ising, train-rbm, sample-rbm, tomography, regress, classify, gan. */
#ifndef NQS_CLI_LEARN_H
#define NQS_CLI_LEARN_H

int nqs_cmd_sample_ising(int argc, char **argv);
int nqs_cmd_train_rbm(int argc, char **argv);
int nqs_cmd_sample_rbm(int argc, char **argv);
int nqs_cmd_tomography(int argc, char **argv);
int nqs_cmd_regress(int argc, char **argv);
int nqs_cmd_classify(int argc, char **argv);
int nqs_cmd_gan(int argc, char **argv);

#endif
