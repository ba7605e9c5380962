"""``python -m squall.testing test_module ...``: run tests with `squall.testing.main`."""

from squall.testing import main

if __name__ == "__main__":
    main(module=None)
