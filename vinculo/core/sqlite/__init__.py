"""SQLite, with writers queued on a file lock (``base.DatabaseWrapper``); set in ``config/settings.py``."""
