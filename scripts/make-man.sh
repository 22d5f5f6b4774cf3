#!/bin/sh
# nqs.1 from the program's own command and option tables: `nqs --help`, then each command's
# `--help` (nqs run's lists every input key). Usage: make-man.sh PATH/TO/nqs OUT.1
set -eu
nqs=$1
out=$2
esc() { sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\\&'/"; }
{
  version=$("$nqs" --version | head -1)
  printf '.TH NQS 1 "" "%s" "User Commands"\n' "$version"
  printf '.SH NAME\nnqs \\- variational Monte Carlo with neural-network quantum states, and learning from data\n'
  printf '.SH SYNOPSIS\n.B nqs\n\\fICOMMAND\\fR [\\fIFILE\\fR|\\fIDIR\\fR] [\\fB\\-\\-set\\fR \\fIsection.key=value\\fR ...] [\\fIoptions\\fR]\n'
  printf '.SH DESCRIPTION\n.nf\n'
  "$nqs" --help | esc
  printf '.fi\n'
  for cmd in $("$nqs" --help | awk '/^commands/ {on = 1; next} on && /^  [a-z]/ {print $1} /^$/ && on {on = 0}'); do
    printf '.SH "nqs %s"\n.nf\n' "$cmd"
    "$nqs" "$cmd" --help | esc
    printf '.fi\n'
  done
  printf '.SH FILES\nEach run writes a run folder: config.ini, result.json, checkpoint.h5 and the tables and plots of its kind.\n'
  printf '.SH SEE ALSO\nThe docs/ folder of the nqs sources.\n'
} > "$out.tmp"
mv "$out.tmp" "$out"
