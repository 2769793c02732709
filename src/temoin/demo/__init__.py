"""``make demo``: the bundled examples seeded through the public service functions, as any user's
script would, then the web platform served with one account per role.

One module per area, in the order a user follows a contract: :mod:`.contracts`,
:mod:`.evaluation`, :mod:`.settlement`, :mod:`.governance`, :mod:`.opendata`, :mod:`.reports`,
then :mod:`.accounts` (the demo's accounts and the server). :mod:`.run` strings them together;
``python -m temoin.demo`` runs it.
"""
