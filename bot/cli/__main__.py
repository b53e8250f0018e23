"""`python -m bot.cli <command>`: the operators' command line (bot/cli/commands.py)."""

import sys

from bot.cli.commands import main

sys.exit(main())
