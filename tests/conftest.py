"""For every test process (xdist workers included): SIGINT handled the default way.

A shell starts a background job (`cmd &` without job control) with SIGINT ignored, and an ignored signal
stays ignored across fork and exec, so Python installs no KeyboardInterrupt handler in any process a test
starts. The Ctrl-C tests send SIGINT to a launcher, a `directmem run` or an inner pytest and expect what a
terminal's Ctrl-C does; a handled signal goes back to SIG_DFL at exec, so restoring Python's handler here
gives every child the terminal's behaviour, however the suite itself was started.
"""

import signal

if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
