"""Who is who: shoppers across channels, one-time codes, store keys and dashboard passwords, and the login throttle."""
