"""Feishu's protobuf frames: Nexora's codec and an independent wire encoding agree, acks keep
the frame's ids, and split payloads are joined only when every part is in."""

from __future__ import annotations

import pytest

from nexora.channels.platforms.feishu_frames import CONTROL, DATA, Frame, Reassembly, ping
from tests.fakes.feishu_platform import decode_frame, encode_frame


def test_frames_round_trip_through_an_independent_wire_encoding() -> None:
    sent = {
        "SeqID": 300,
        "LogID": 2**40,
        "service": 33,
        "method": DATA,
        "headers": {"type": "event", "message_id": "m-1", "sum": "1", "seq": "0"},
        "payload": '{"事件": 1}'.encode(),
    }
    frame = Frame.decode(encode_frame(sent))
    assert (frame.seq_id, frame.log_id, frame.service, frame.method) == (300, 2**40, 33, DATA)
    assert frame.headers == sent["headers"] and frame.payload == sent["payload"]

    answer = decode_frame(frame.answer(b'{"code": 200}', biz_rt="4").encode())
    assert answer["SeqID"] == 300 and answer["LogID"] == 2**40
    assert answer["headers"] == {**sent["headers"], "biz_rt": "4"}
    assert answer["payload"] == b'{"code": 200}'
    assert decode_frame(ping(33).encode()) == {
        "SeqID": 0,
        "LogID": 0,
        "service": 33,
        "method": CONTROL,
        "headers": {"type": "ping"},
        "payload": b"",
    }


def _part(seq: int, total: int, payload: bytes, message_id: str = "m") -> Frame:
    headers = {"message_id": message_id, "sum": str(total), "seq": str(seq)}
    return Frame(method=DATA, service=1, headers=headers, payload=payload)


def test_split_payloads_join_in_order_whatever_order_the_parts_come_in() -> None:
    parts = Reassembly()
    assert parts.add(_part(0, 1, b"whole")) == b"whole"
    assert parts.add(_part(2, 3, b"c")) is None
    assert parts.add(_part(0, 3, b"a")) is None
    assert parts.add(_part(0, 2, b"x", message_id="other")) is None
    assert parts.add(_part(1, 3, b"b")) == b"abc"
    assert parts.add(_part(1, 2, b"y", message_id="other")) == b"xy"


def test_a_part_that_does_not_fit_is_refused() -> None:
    parts = Reassembly()
    assert parts.add(_part(0, 2, b"a")) is None
    with pytest.raises(ValueError, match="does not fit"):
        parts.add(_part(3, 4, b"d"))
    with pytest.raises(ValueError, match="does not fit"):
        parts.add(_part(5, 2, b"e"))
