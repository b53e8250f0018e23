"""`python -m scripts.rasa_run ARGS…`: `rasa run ARGS… --auth-token $RASA_TOKEN` without the token in `ps`.

Anyone on the machine can read another process's command line (/proc/<pid>/cmdline, `ps aux`), and
Rasa only takes its API token as an argument. This launcher reads RASA_TOKEN from its environment
(readable by its own user only) and runs Rasa's CLI in this process with the argument added to
sys.argv, which changes what argparse reads but not the command line the kernel shows.
"""

from __future__ import annotations

import os
import sys

from bot.kernel.config import refuse_blank_secrets_in_production


def main(argv: list[str] | None = None) -> int:
    # Rasa needs ACTION_ENDPOINT_TOKEN too (endpoints.yml): blank, every action call is refused and
    # shoppers get silence. Checked here, before Rasa's slow import.
    refuse_blank_secrets_in_production("Rasa")
    token = os.environ.get("RASA_TOKEN", "")
    if not token:
        print("error: set RASA_TOKEN: the Rasa HTTP API must not run without a token", file=sys.stderr)
        return 2
    if any(arg.startswith("--auth-token") for arg in (argv if argv is not None else sys.argv[1:])):
        print("error: give the token as RASA_TOKEN, never on the command line", file=sys.stderr)
        return 2
    sys.argv = ["rasa", "run", *(argv if argv is not None else sys.argv[1:]), "--auth-token", token]
    from rasa.__main__ import main as rasa_main  # imported late: Rasa's import takes seconds

    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
