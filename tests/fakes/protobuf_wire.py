"""Protobuf's wire format by hand, for fakes of platforms that frame with protobuf: written
apart from Nexora's own codec so that the two check each other.

A message is a dict from field number to a list of values: ints for varints, bytes for
length-delimited fields (strings, bytes, nested messages)."""

from __future__ import annotations

VARINT, LENGTH_DELIMITED = 0, 2

Fields = dict[int, list[int | bytes]]


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | 0x80 if value else low)
        if not value:
            return bytes(out)


def encode(fields: list[tuple[int, int | bytes]]) -> bytes:
    out = bytearray()
    for number, value in fields:
        if isinstance(value, int):
            out += _varint(number << 3 | VARINT) + _varint(value)
        else:
            out += _varint(number << 3 | LENGTH_DELIMITED) + _varint(len(value)) + value
    return bytes(out)


def decode(data: bytes) -> Fields:
    fields: Fields = {}
    position = 0

    def varint() -> int:
        nonlocal position
        value = shift = 0
        while True:
            byte = data[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    while position < len(data):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            fields.setdefault(number, []).append(varint())
        elif wire == LENGTH_DELIMITED:
            length = varint()
            fields.setdefault(number, []).append(data[position : position + length])
            position += length
        else:
            raise ValueError(f"wire type {wire} is not used by these fakes")
    return fields
