"""Entry point for `python -m app --reload`.

The reload worker re-imports the main file under the name `__mp_main__`; multiprocessing does not do that for
a package's `__main__.py`, so the command line re-executes this plain file instead.
"""

import sys

from app.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
elif __name__ == "__mp_main__":
    main()
