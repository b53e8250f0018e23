"""Our Rasa input channels (registered in credentials.yml by module path).

Rasa imports this package in its own process before serving, which makes it the place to apply our fix to
Rasa's per-message hot path (bot/adapters/rasa_runtime.py).
"""

from bot.adapters.rasa_runtime import install as _install_rasa_runtime_fix

_install_rasa_runtime_fix()
