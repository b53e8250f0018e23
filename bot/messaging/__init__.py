"""What every channel shares: opt-out, 24-hour windows, inbound dedupe, outbound records and retry rows, the
transcript, web chat lines and turn effects; `channels/` holds one sender per provider."""
