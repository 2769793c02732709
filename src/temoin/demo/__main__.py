"""``python -m temoin.demo``."""

from temoin.demo.run import main

main()
