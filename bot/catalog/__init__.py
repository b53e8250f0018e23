"""Catalogue and stock: reading a stock question, search, availability and nearest stores, stores and their hours,
stock counts pushed by stores, and the CSV catalogue loader; with the reply texts for stock and stores."""
