"""Processes that must not outlive the one that started them.

`manage.py up` starts its children with `die_with_parent`; the RQ worker runs it in the
scheduler process it forks. On Linux the kernel then stops such a process when its parent
dies, even when the parent is killed outright (SIGKILL, the OOM killer), so nothing is left
running on its own. Elsewhere it does nothing: Ctrl-C and SIGTERM still stop everything.
"""

import contextlib
import ctypes
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
