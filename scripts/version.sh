#!/bin/sh
# Prints the version written in the public header, so that the header is the one place it lives.
awk '/#define DEEP_VERSION_(MAJOR|MINOR|PATCH) /{v[$2]=$3}
     END{printf "%s.%s.%s\n", v["DEEP_VERSION_MAJOR"], v["DEEP_VERSION_MINOR"], v["DEEP_VERSION_PATCH"]}' "$1"
