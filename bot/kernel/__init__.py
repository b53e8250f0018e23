"""The shared kernel every capability builds on: settings, the database and its tables, the unit of work, `Shop`
(the engine and `Shop.call`), durable timers, money, card masking and the one inbound door for shopper text."""
