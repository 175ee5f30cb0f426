"""The e-mail channel."""
