"""Rendering results: writers for each kind of output (registered in base.py); the only place rich is used."""
