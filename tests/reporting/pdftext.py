"""Just enough PDF reading to get weasyprint's text back: ToUnicode CMaps applied to the TJ strings."""

from __future__ import annotations

import re
import zlib


def _streams(pdf: bytes) -> list[bytes]:
    found = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            found.append(zlib.decompress(raw))
        except zlib.error:
            found.append(raw)
    return found


def pdf_text(pdf: bytes) -> str:
    streams = _streams(pdf)
    mapping: dict[str, str] = {}
    for data in streams:
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
            for src, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                mapping[src.decode().lower()] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    text = []
    for data in streams:
        if b"TJ" not in data:
            continue
        for array in re.findall(rb"\[(.*?)\]\s*TJ", data, re.S):
            for hexes in re.findall(rb"<([0-9a-fA-F]+)>", array):
                hexes = hexes.decode().lower()
                text.append("".join(mapping.get(hexes[i:i + 4], "?") for i in range(0, len(hexes), 4)))
            text.append("\n")
    return "".join(text)
