"""Training lines drawn anew each epoch, the next epoch drawn while this one trains.

`EpochLines(first, redraw)` is a function epoch -> lines: epoch 0 gets
`first` (the lines loaded with the dataset, whose statistics normalise every
epoch), epoch e > 0 gets `redraw(e)`. Drawing an epoch of drawn lines takes
12-24 s (6,000 lines with 300 writers on one core: 2.0 ms a line measured
at 12 points a character), so asking for epoch e starts drawing epoch e + 1
in a background thread; at the epoch boundary the batcher finds it ready
(the first batch of the epoch then takes 7 ms) instead of stalling the
training loop. Only epochs e and e + 1 are kept in memory.

What the thread costs (measured on this 2-core machine while two other
training runs used it; synthesis :smoke model, batch 8, 1,500 lines of 300
writers): the draw took 10.6 s in the background against 3.0 s alone, and
the median step rose from 30 to 53 ms meanwhile (the drawing holds the GIL
most of its time and the smoke step is mostly Python dispatch): 4.1 s
spread over the epoch, against a 2.5 s stall at its start without the
thread. So with no spare core the thread hides the stall but saves no
time; it pays when the host has idle cycles while the device computes.

The lines of an epoch depend on the epoch number only (redraw is
deterministic in it), never on which epochs this process drew before: a run
resumed mid-epoch draws its epoch again and gets the same lines.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future

import numpy as np

Lines = Sequence[np.ndarray]


class EpochLines:
    """epoch -> the training lines of that epoch (module docstring)."""

    def __init__(self, first: Lines, redraw: Callable[[int], Lines], prefetch: bool = True):
        self.first, self.redraw, self.prefetch = first, redraw, prefetch
        self._futures: dict[int, Future] = {}
        self._lock = threading.Lock()

    def _start(self, epoch: int) -> Future:
        with self._lock:
            if epoch not in self._futures:
                future: Future = Future()
                self._futures[epoch] = future

                def work() -> None:
                    try:
                        future.set_result(self.redraw(epoch))
                    except BaseException as e:  # noqa: BLE001 (raised again by result())
                        future.set_exception(e)

                # A daemon thread (not a ThreadPoolExecutor, whose workers are
                # joined at exit): a process that stops mid-draw does not wait.
                threading.Thread(target=work, daemon=True,
                                 name=f"seqgen-redraw-epoch-{epoch}").start()
            return self._futures[epoch]

    def __call__(self, epoch: int) -> Lines:
        if epoch < 0:
            raise ValueError(f"epoch={epoch} must be >= 0")
        current = self.first if epoch == 0 else self._start(epoch)
        if self.prefetch:
            self._start(epoch + 1)
        with self._lock:  # forget the epochs behind (a resumed run never goes back)
            for e in [e for e in self._futures if e not in (epoch, epoch + 1)]:
                del self._futures[e]
        return current if epoch == 0 else current.result()
