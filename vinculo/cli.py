"""The `vinculo` command: Django's management commands with this project's settings."""

import os
import sys


def main() -> None:
    """Run a management command (`vinculo migrate`, `vinculo audit verify`, ...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
