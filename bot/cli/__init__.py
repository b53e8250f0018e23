"""The operators' command line: `python -m bot.cli <command>` (commands.py)."""
