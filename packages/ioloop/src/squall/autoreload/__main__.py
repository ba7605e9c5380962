"""Entry point of ``python -m squall.autoreload``."""

from ._main import main

if __name__ == "__main__":
    main()
