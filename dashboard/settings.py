"""Deployment settings, read once from the environment: one frozen object, no module state per user."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Settings", "settings"]


@dataclass(frozen=True)
class Settings:
    """What an operator configures for a deployment.

    Attributes
    ----------
    tiles_url
        A web map tile URL template (``https://tiles.example/{z}/{x}/{y}.png``,
        typically an intranet tile server) offered as an optional backdrop,
        off by default; ``None`` (the default) offers none and the app never
        touches the network. From ``ATLAS_TILES_URL``.
    tiles_attribution
        The attribution the tile provider requires. From ``ATLAS_TILES_ATTRIBUTION``.
    db_url
        The case store (``sqlite:///atlas-cases.db``, ``postgresql://…``) the
        live page reads and the other pages take their cases from, or ``None``
        (cases come from the dataset's files). From ``ATLAS_DB``.
    """

    tiles_url: str | None = None
    tiles_attribution: str = ""
    db_url: str | None = None

    @property
    def tiles_host(self) -> str:
        """The host serving the tiles (for the label), or ``""``."""
        return urlsplit(self.tiles_url).netloc if self.tiles_url else ""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read ``ATLAS_TILES_URL``, ``ATLAS_TILES_ATTRIBUTION`` and ``ATLAS_DB``."""
        env = dict(os.environ) if env is None else env
        url = env.get("ATLAS_TILES_URL", "").strip() or None
        return cls(
            tiles_url=url,
            tiles_attribution=env.get("ATLAS_TILES_ATTRIBUTION", "").strip(),
            db_url=env.get("ATLAS_DB", "").strip() or None,
        )


def settings() -> Settings:
    """The settings of this server process."""
    return Settings.from_env()
