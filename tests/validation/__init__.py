"""Our own hassfest: the rules tests/test_package.py checks, one module per kind of file."""
