#!/bin/sh
# Builds ml.native._joint, the send path's scorer in C, next to this file for the Python given
# (default: python3). It needs a C compiler and that Python's headers, and exits non-zero without
# them; the scorer then runs in Python.
set -eu
here=$(dirname "$0")
python=${1:-python3}
include=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
suffix=$("$python" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
if [ ! -f "$include/Python.h" ]; then
    echo "ml/native: no Python headers in $include" >&2
    exit 1
fi
"${CC:-cc}" -O2 -fPIC -shared -Wall -I"$include" -o "$here/_joint$suffix" "$here/joint.c" -lm
