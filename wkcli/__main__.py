"""Entry point for ``python -m wkcli``."""

from wkcli.cli import main

if __name__ == "__main__":
    main()
