"""``python -m temoin.cli``: the ``temoin`` command."""

from temoin.cli import main

main()
