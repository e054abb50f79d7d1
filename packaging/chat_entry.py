"""The program inside the single-file binary (`make binary`): the command line of `python -m app`."""

import multiprocessing
import sys

if __name__ == "__main__":
    # first: a child process that the binary starts must not run the command line
    multiprocessing.freeze_support()

    from app.__main__ import main

    sys.exit(main())
