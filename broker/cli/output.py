"""How loud the command line is: quiet by default, ``broker -v COMMAND`` for detail.

Standard output carries only a command's result (``--json`` reports, exported records, keys), so it
can be redirected or piped; progress bars and log lines go to standard error, and bars only when
standard error is a terminal (or with ``-v``).
"""

from __future__ import annotations

import logging
import os
import sys

_verbose = False

# Read when huggingface_hub and transformers are first imported, which the CLI does only when it
# loads a sentence-transformers model, i.e. after this is set. Without them every model load prints
# a tqdm "Loading weights" bar and transformers' warnings.
QUIET_LIBRARY_ENV = {
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TQDM_DISABLE": "1",
}


def set_verbosity(*, verbose: bool) -> None:
    """Configure logging and the libraries' progress output for this process.

    Args:
        verbose: INFO logs and every progress bar on standard error; otherwise warnings only and
            bars only on a terminal. A variable the user set already (e.g. ``TRANSFORMERS_VERBOSITY``)
            is left as it is.
    """
    global _verbose
    _verbose = verbose
    if not verbose:
        for name, value in QUIET_LIBRARY_ENV.items():
            os.environ.setdefault(name, value)
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
        force=True,
    )


def is_verbose() -> bool:
    """Whether ``-v`` was given."""
    return _verbose


def show_progress() -> bool:
    """Progress bars are drawn with ``-v``, or when standard error is a terminal."""
    return _verbose or sys.stderr.isatty()
