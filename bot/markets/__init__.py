"""Markets: their pure rules (currency, phone region, languages) and where the rest of the system reads them."""
