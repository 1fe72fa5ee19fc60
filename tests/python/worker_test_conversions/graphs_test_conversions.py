"""Test-only conversions for the orchestrator's tests. Torch-free; not in the shipped package.

The worker imports this module (the `test` family's worker_module, src/graphs/bench/
conversions_test.cc) only when GRAPHS_TEST_CONVERSIONS=1 and GRAPHS_TEST_CONVERSIONS_DIR names
this folder. The file name does not start with test_, so pytest does not collect these
functions.

TEST_HANG sleeps forever in convert; TEST_SEGFAULT kills itself with SIGSEGV in convert;
TEST_EXIT exits 7 without a word in convert; TEST_SLEEP times time.sleep(0.001).
"""

from __future__ import annotations

import os
import signal
import sys
import time

from graphs.worker.runner import Runner


def test_hang(ctx) -> Runner:
    while True:
        time.sleep(3600)


def test_segfault(ctx) -> Runner:
    sys.stderr.flush()
    signal.signal(signal.SIGSEGV, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGSEGV)
    time.sleep(60)          # the signal is delivered before this returns
    raise RuntimeError("SIGSEGV was not delivered")


def test_exit(ctx) -> Runner:
    sys.stderr.flush()
    os._exit(7)


def test_sleep(ctx) -> Runner:
    def call():
        time.sleep(0.001)
    return Runner(call=call)
