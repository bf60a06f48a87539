"""Messages that can be said in more than one language.

The engine speaks English (the command line prints it), but every message a
person may see in the dashboard must also exist in Chinese. A message is
therefore kept as a stable key, its English template and the values that
fill it, not as finished text: the command line prints :meth:`Message.__str__`,
the dashboard looks the key up in its own catalog (``msg.<key>``) and fills the
same values in. Like gettext, the English text stays where the message is
raised, so the code reads as before::

    raise DataError(msg("crs.unknown", "CRS {setting!r} is not known", setting=setting))

Keys and templates are string literals so a test can collect them from the
source and check that the Chinese catalog has every one, with the same
placeholders.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Message", "msg", "render"]


@dataclass(frozen=True)
class Message:
    """One message: a key, its English template and the values to fill in.

    Attributes
    ----------
    key
        Stable dotted key, ``module.what`` (``crs.unknown``); the dashboard
        catalogs hold its translation under ``msg.<key>``.
    template
        The English text with ``str.format`` placeholders.
    params
        The values of the placeholders; a value may itself be a
        :class:`Message`, rendered in the same language.
    """

    key: str
    template: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self, lambda message: message.template)


def msg(key: str, template: str, /, **params: Any) -> Message:
    """A :class:`Message` (the short form used where messages are raised).

    Parameters
    ----------
    key
        Stable dotted key, a string literal.
    template
        The English text, a string literal with ``{placeholders}``.
    **params
        The placeholder values.
    """
    return Message(key, template, params)


def render(message: Message | str, template_of: Callable[[Message], str]) -> str:
    """The text of ``message`` with the template chosen by ``template_of``.

    Parameters
    ----------
    message
        A message, or plain text (returned unchanged).
    template_of
        Gives the template of a message in the wanted language; nested
        messages among the values are rendered with it too.
    """
    if not isinstance(message, Message):
        return str(message)
    values = {
        name: render(value, template_of) if isinstance(value, Message) else value
        for name, value in message.params.items()
    }
    return template_of(message).format(**values)
