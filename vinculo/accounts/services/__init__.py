"""Writes for accounts: authentication, second factor and user administration."""
