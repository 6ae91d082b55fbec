#!/usr/bin/env python3
"""Runs Doxygen on a Doxyfile after emptying its HTML output directory, so that pages of
declarations that no longer exist never linger in the installed reference.

Usage: run-doxygen.py DOXYGEN DOXYFILE HTML_DIR
"""
import shutil
import subprocess
import sys

doxygen, doxyfile, html_dir = sys.argv[1:4]
shutil.rmtree(html_dir, ignore_errors=True)
sys.exit(subprocess.run([doxygen, doxyfile]).returncode)
