"""Stadssignaal: hear what residents say, as it happens."""
__version__ = "0.1.0"
