"""The web platform: pages, JSON API, accounts and access (FastAPI app factory)."""

from temoin.web.app import create_app

__all__ = ["create_app"]
