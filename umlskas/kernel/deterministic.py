"""Deterministic runs: a virtual clock, seeded randomness, fixed identity, and guest
threads run one at a time in a fixed order.

How it works: the kernel is given a VirtualClock instead of the host's clocks
(it starts at a fixed epoch and moves forward by a fixed step each time it is
read; sleeping jumps it forward instead of waiting), a seeded random generator
(getrandom, AT_RANDOM, /dev/urandom), and the mode wrapped in OneAtATime, which
holds back every resume so that only one guest thread runs between two traps;
the others wait in a FIFO. With the same program and input, the same syscalls
happen in the same order with the same results, so the output is the same.
Threads that spin without making syscalls are not preempted.
"""

import collections
import random

EPOCH_NS = 1_700_000_000 * 10**9          # 2023-11-14T22:13:20Z: CLOCK_REALTIME at boot
BOOT_NS = 1000 * 10**9                    # CLOCK_MONOTONIC at boot
STEP_NS = 1000                            # each read of the clock moves it 1 us
REALTIME_CLOCKS = {0, 5, 8, 11}           # REALTIME, REALTIME_COARSE, REALTIME_ALARM, TAI


class VirtualClock:
    """Time that only the guest's own actions move."""

    virtual = True
    realtime_offset = 0            # ns the guest's root moved CLOCK_REALTIME by (settimeofday)

    def __init__(self):
        self.elapsed = 0

    def now_ns(self, clk):
        self.elapsed += STEP_NS
        if clk in REALTIME_CLOCKS:
            return EPOCH_NS + self.realtime_offset + self.elapsed
        return BOOT_NS + self.elapsed

    def advance_to(self, clk, deadline_ns):
        """A sleep until deadline_ns on clock clk ends at once, with time moved on."""
        base = EPOCH_NS + self.realtime_offset if clk in REALTIME_CLOCKS else BOOT_NS
        self.elapsed = max(self.elapsed, deadline_ns - base)


class SeededRandom:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def bytes(self, n):
        return self.rng.randbytes(n)


class OneAtATime:
    """Wraps a Mode so that at most one guest thread runs at any time: resumes are
    queued and carried out, in order, when the running thread traps."""

    reply_and_wait = None            # the fused fast path would bypass the queue

    def __init__(self, mode):
        self.mode = mode
        self.queue = collections.deque()     # (method name, proc, extra args)
        self.running = None

    def __getattr__(self, name):
        return getattr(self.mode, name)

    def resume(self, proc, result):
        self.queue.append(("resume", proc, (result,)))

    def resume_plain(self, proc):
        self.queue.append(("resume_plain", proc, ()))

    def start(self, proc):
        self.queue.append(("start", proc, ()))

    def _run_next(self):
        while self.running is None and self.queue:
            how, proc, extra = self.queue.popleft()
            if getattr(proc, "task", None) is None and how != "start":
                continue          # its task is gone: nothing to run
            try:
                getattr(self.mode, how)(proc, *extra)
            except OSError:
                continue          # it died meanwhile; its exit trap will come
            self.running = proc

    def wait(self, block=True):
        self._run_next()
        if self.running is None and not self.queue and block:
            trap = self.mode.wait(True)
        else:
            trap = self.mode.wait(block)
        if trap is not None and trap[0] is self.running:
            self.running = None
        return trap

    def close(self):
        self.queue.clear()
        self.mode.close()
