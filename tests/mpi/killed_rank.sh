#!/bin/sh
# A rank killed during deep_mpi_fit ends the whole job (test_mpi_kill.c): mpirun must return
# a failure within 60 s and name the killed rank; a survivor left blocked in a collective
# would run into the timeout (exit status 124), a setup failure would not be a kill.
# Usage: killed_rank.sh MPIRUN RANKS PROGRAM
set -u
out=$(timeout 60 "$1" --oversubscribe -np "$2" "$3" 2>&1)
status=$?
echo "$out"
if [ "$status" -eq 124 ]; then
  echo "FAIL: the job did not end within 60 s after a rank was killed"; exit 1
fi
if [ "$status" -eq 0 ]; then
  echo "FAIL: mpirun returned success although a rank was killed"; exit 1
fi
if ! echo "$out" | grep -q "rank $(($2 - 1)) .*signal 9"; then
  echo "FAIL: mpirun did not report rank $(($2 - 1)) killed (exit status $status)"; exit 1
fi
echo "OK: the job ended (mpirun exit status $status) after rank $(($2 - 1)) was killed"
