"""What has to happen before Django's settings load.

The embedded engines are started while the settings module loads, so the data folder a
command should use has to be known before that: `--data-dir` is read from the command line
here and handed on through `ONEPCO_DATA_DIR`.
"""

import os
from pathlib import Path


class StartupError(Exception):
    """A configuration or engine problem explained in one line."""


def apply_data_dir_option(argv: list[str]) -> None:
    for i, arg in enumerate(argv):
        if arg == "--data-dir" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--data-dir="):
            value = arg.split("=", 1)[1]
        else:
            continue
        os.environ["ONEPCO_DATA_DIR"] = str(Path(value).expanduser().resolve())
        return
