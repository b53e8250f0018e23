"""The asynchronous work, apart from the synchronous use cases: the sweeper, notice delivery through Rasa, message
retries, texted codes, handoff delivery to the shopper's channel, web-line forwarding, and the pub/sub wake-ups."""
