"""HTML views for accounts: signing in, the profile, and user administration."""
