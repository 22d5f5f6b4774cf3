#!/usr/bin/env bash
# make install: the installed library builds a small C program through pkg-config and through
# CMake's find_package(nqs); DESTDIR stages the same tree. Usage: test_install.sh BUILD_DIR
set -u
BUILD=$(realpath "$1")
T=$(mktemp -d /tmp/nqs-test-install-XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
check() { if [ "$2" -eq 0 ]; then pass=$((pass+1)); echo "ok   $1"; else fail=$((fail+1)); echo "FAIL $1: $3"; fi; }
P="$T/prefix"
out=$(cmake --install "$BUILD" --prefix "$P" 2>&1); rc=$?
missing=""
for f in lib/libnqs.so.0 lib/libnqs.a include/nqs/nqs.h bin/nqs share/man/man1/nqs.1 lib/pkgconfig/nqs.pc lib/cmake/nqs/nqsConfig.cmake; do
  [ -e "$P/$f" ] || missing="$missing $f"
done
[ $rc -eq 0 ] && [ -z "$missing" ]
check "cmake --install puts the library (with soname libnqs.so.0), headers, nqs, man page, nqs.pc and the CMake package under PREFIX" $? "exit $rc, missing:$missing $out"
cat > "$T/hello.c" <<'C'
#include <stdio.h>
#include <nqs/nqs.h>
int main(void) {
  nqs_config c;
  nqs_config_defaults(&c);
  printf("nqs %s: Franke(0, 0) = %.6f, t(0.975, 10) = %.6f, demo omega %g\n", NQS_VERSION, nqs_franke(0, 0),
         nqs_student_t_quantile(0.05, 10), c.system.omega);
  return 0;
}
C
flags=$(PKG_CONFIG_PATH="$P/lib/pkgconfig" pkg-config --cflags --libs nqs 2>&1)
got=$(gcc "$T/hello.c" $flags -o "$T/hello" 2>&1 && LD_LIBRARY_PATH="$P/lib" "$T/hello" 2>&1)
[[ $got == "nqs 0."*"Franke(0, 0) = 0.766421, t(0.975, 10) = 2.228139, demo omega 1" ]]
check "a C program built with pkg-config --cflags --libs nqs runs ($got)" $? "$flags"
mkdir -p "$T/cm"
cat > "$T/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.18)
project(hello C)
find_package(nqs 0.1 REQUIRED)
add_executable(hello ../hello.c)
target_link_libraries(hello PRIVATE nqs::nqs)
CM
got=$(cmake -S "$T/cm" -B "$T/cm/build" -DCMAKE_PREFIX_PATH="$P" > "$T/cm.log" 2>&1 && cmake --build "$T/cm/build" >> "$T/cm.log" 2>&1 &&
      LD_LIBRARY_PATH="$P/lib" "$T/cm/build/hello" 2>&1)
[[ $got == "nqs 0."*"Franke(0, 0) = 0.766421"* ]]
check "a CMake project with find_package(nqs) and nqs::nqs builds and runs ($got)" $? "$(tail -5 "$T/cm.log")"
DESTDIR="$T/stage" cmake --install "$BUILD" --prefix /opt/nqs > /dev/null 2>&1
[ -e "$T/stage/opt/nqs/lib/libnqs.so.0" ] && [ -e "$T/stage/opt/nqs/bin/nqs" ] && [ ! -e /opt/nqs/bin/nqs ]
check "DESTDIR stages the tree (DESTDIR/opt/nqs/...) without touching /opt/nqs" $? ""
"$P/bin/nqs" --version > /dev/null 2>&1 && grep -q '^.SH "nqs regress"' "$P/share/man/man1/nqs.1" && grep -q '^.SH "nqs run"' "$P/share/man/man1/nqs.1"
check "the installed nqs runs, and its man page covers every command (nqs regress among them)" $? ""
# the Python package: installed beside the library, it finds the installed libnqs by itself
pydir=$(ls -d "$P"/lib/python3*/dist-packages 2>/dev/null | head -1)
if /usr/bin/python3 -c "import numpy" 2>/dev/null; then
  got=$(cd "$T" && env -u NQS_LIBRARY PYTHONPATH="$pydir" /usr/bin/python3 -c "
import nqs, nqs._lib as l
r = nqs.Run(set={'optimizer.iterations': 5, 'evaluation.samples': 2000}); r.start(); list(r.steps(5)); e = r.evaluate()['energy']
print(nqs.__version__, l.lib._name, '%.2f' % e.mean)" 2>&1)
  [[ $got == "0."*" $P/lib/libnqs.so.0 3.0"* ]]
  check "the installed Python package imports from PREFIX/lib/python3.X/dist-packages and runs on the installed library ($got)" $? ""
else
  echo "skipped: the installed Python package (python3-numpy is not installed)"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
