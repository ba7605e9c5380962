"""HTTPFile: one uploaded file from a multipart/form-data body."""

from __future__ import annotations

from typing import Any

__all__ = ["HTTPFile"]


class HTTPFile(dict[str, Any]):
    """An uploaded file: a dict with ``filename``, ``content_type`` and ``body``.

    Both the dict form (``f["body"]``) and attributes (``f.body``) work.
    ``filename`` is the name the client sent, decoded to ``str``; it is data
    only and must never be used as a path without sanitising it.

    Args:
        filename: The client's file name (may be empty).
        content_type: The part's ``Content-Type``.
        body: The file's bytes.
    """

    def __init__(
        self,
        filename: str = "",
        content_type: str = "application/unknown",
        body: bytes = b"",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            filename=filename, content_type=content_type, body=body, **kwargs
        )

    @property
    def filename(self) -> str:
        """The file name as the client sent it."""
        return self["filename"]  # type: ignore[no-any-return]

    @property
    def content_type(self) -> str:
        """The part's content type."""
        return self["content_type"]  # type: ignore[no-any-return]

    @property
    def body(self) -> bytes:
        """The file's contents."""
        return self["body"]  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None
