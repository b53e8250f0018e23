"""The shopping funnel per day (conversations, stock questions, basket adds, orders, payments, handoffs),
counted from Rasa's tracker events: `facts` reads events (pure), `figures` records and reads the counts."""
