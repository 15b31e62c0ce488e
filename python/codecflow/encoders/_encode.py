"""The base of VideoEncoder and AudioEncoder: one stream, encoded in one call."""

from __future__ import annotations

import abc
from typing import Any, Callable, Dict

from codecflow import _backend
from codecflow.encoders._encoder import Encoder, PathLike


class OneStreamEncoder(abc.ABC):
    """Encodes what the subclass holds as the one stream of an
    :class:`Encoder`, into a file, memory or a file-like object.

    Subclasses implement :meth:`_add_stream` (adds the stream, with the
    options of the ``to_*`` call, and returns it) and :meth:`_feed` (gives
    it the frames or samples); :meth:`_check_before_output` may refuse what
    must never reach an output. Every option is checked before the output
    exists; if feeding fails, the output is discarded (a file is removed).
    """

    @abc.abstractmethod
    def _add_stream(self, encoder: Encoder, options: Dict[str, Any]) -> Any:
        """Adds the one stream to ``encoder``, with the ``to_*`` options."""

    @abc.abstractmethod
    def _feed(self, stream: Any) -> None:
        """Gives ``stream`` what the encoder holds."""

    def _check_before_output(self) -> None:
        """Raises before any output exists; nothing by default."""

    def _encode(self, open_output: Callable[[Encoder], Any], options: Dict[str, Any]) -> Any:
        self._check_before_output()
        encoder = Encoder()
        stream = self._add_stream(encoder, options)
        result = open_output(encoder)
        try:
            self._feed(stream)
        except BaseException:
            encoder._abort()
            raise
        encoder.close()
        return result

    def _to_file(self, dest: PathLike, options: Dict[str, Any]) -> None:
        self._encode(lambda encoder: encoder.open_file(dest), options)

    def _to_tensor(self, format: str, options: Dict[str, Any]) -> Any:
        sink = self._encode(lambda encoder: encoder._open_memory(format), options)
        return _backend.from_dlpack(sink.take_bytes())

    def _to_file_like(self, file_like: Any, format: str, options: Dict[str, Any]) -> None:
        self._encode(lambda encoder: encoder.open_file_like(file_like, format=format), options)
