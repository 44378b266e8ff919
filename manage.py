#!/usr/bin/env python
"""Developer entry point; operators use the installed `vinculo` command (same commands)."""

from vinculo.cli import main

if __name__ == "__main__":
    main()
