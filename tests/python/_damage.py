"""Builds damaged media from generated clips: byte patches on WAV, Ogg and
FLAC headers, with the Ogg page checksum recomputed so that the demuxer
accepts the page and the damage reaches the decoder."""

from __future__ import annotations

import struct


def _ogg_crc_table() -> list:
    table = []
    for byte in range(256):
        value = byte << 24
        for _ in range(8):
            value = ((value << 1) ^ 0x04C11DB7) if value & 0x80000000 else value << 1
            value &= 0xFFFFFFFF
        table.append(value)
    return table


_OGG_TABLE = _ogg_crc_table()


def ogg_crc(page: bytes) -> int:
    """The Ogg page checksum (CRC-32, polynomial 0x04C11DB7, no reflection)
    of a page whose checksum field is zero."""
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _OGG_TABLE[((crc >> 24) & 0xFF) ^ byte]
    return crc


def ogg_pages(data: bytes) -> list:
    """(offset, header length, body length) of each page of an Ogg stream."""
    pages = []
    offset = 0
    while offset + 27 <= len(data) and data[offset : offset + 4] == b"OggS":
        segments = data[offset + 26]
        lacing = data[offset + 27 : offset + 27 + segments]
        header = 27 + segments
        body = sum(lacing)
        pages.append((offset, header, body))
        offset += header + body
    return pages


def patch_ogg_first_packet(data: bytes, patch) -> bytes:
    """Applies ``patch(body: bytearray)`` to the body of the first page (for
    Opus the OpusHead packet; the body may grow or shrink) and fixes the
    page's lacing values and checksum."""
    offset, header, body_len = ogg_pages(data)[0]
    body = bytearray(data[offset + header : offset + header + body_len])
    patch(body)
    if len(body) >= 255:
        raise ValueError("the patched first packet must stay under 255 bytes")
    page = bytearray(data[offset : offset + 26]) + bytes([1, len(body)]) + body
    page[22:26] = b"\0\0\0\0"
    page[22:26] = struct.pack("<I", ogg_crc(bytes(page)))
    return data[:offset] + bytes(page) + data[offset + header + body_len :]


def wav_chunks(data: bytes) -> dict:
    """Offsets of the chunk headers of a RIFF WAV file, by chunk id."""
    chunks = {}
    offset = 12
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4].decode("latin-1")
        size = struct.unpack_from("<I", data, offset + 4)[0]
        chunks.setdefault(chunk_id, offset)
        if chunk_id == "data":
            break
        offset += 8 + size + (size & 1)
    return chunks


def patch(data: bytes, offset: int, fmt: str, *values) -> bytes:
    """``data`` with ``struct.pack(fmt, *values)`` written at ``offset``."""
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, *values)
    return bytes(out)


def flac_streaminfo_offset(data: bytes) -> int:
    """Offset of the STREAMINFO block body of a FLAC file (after 'fLaC' and
    the metadata block header)."""
    if data[:4] != b"fLaC" or data[4] & 0x7F != 0:
        raise ValueError("not a FLAC file starting with STREAMINFO")
    return 8
