"""Handing conversations to people: the session state machine, its states and policy, queue and wait estimates,
support hours, agent accounts, and the console's reports and conversation search."""
