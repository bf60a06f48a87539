"""The small exception hierarchy of Minsheng Atlas.

Pages and the command line catch :class:`AtlasError` and show its message;
anything else is a bug and is allowed to surface. The message is a
:class:`~geodata.messages.Message`, so the dashboard can say it in the
reader's language while ``str(exc)`` stays English for the command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geodata.messages import Message

if TYPE_CHECKING:  # pragma: no cover
    from geodata.report import ValidationReport

__all__ = ["AtlasError", "DataError", "DatasetRejected", "SolverError"]


class AtlasError(Exception):
    """Base class of every error the project raises on purpose.

    Parameters
    ----------
    message
        What went wrong, as a :class:`~geodata.messages.Message`; plain text
        is accepted from code outside the engine and is shown as it is.
    """

    def __init__(self, message: Message | str) -> None:
        self.message = message
        super().__init__(str(message))


class DataError(AtlasError, ValueError):
    """Input data that cannot be used as given (bad file, bad value, bad setting)."""


class DatasetRejected(DataError):
    """A dataset whose validation found errors; ``report`` holds every problem found."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__(report.summary())


class SolverError(AtlasError, RuntimeError):
    """An optimisation model that could not be solved."""
