"""Frames of Feishu's long connection: protobuf `pbbp2.Frame` messages over a websocket.

The message type is built from its descriptor at import (two messages, proto2) in a private
pool, so no generated code is vendored and nothing clashes with another copy of the schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

CONTROL, DATA = 0, 1  # Frame.method
MAX_PENDING = 64  # split payloads being joined at once, per connection


def _schema() -> descriptor_pb2.FileDescriptorProto:
    kind = descriptor_pb2.FieldDescriptorProto
    schema = descriptor_pb2.FileDescriptorProto(
        name="nexora/feishu/pbbp2.proto", package="pbbp2", syntax="proto2"
    )
    header = schema.message_type.add(name="Header")
    header.field.add(name="key", number=1, type=kind.TYPE_STRING, label=kind.LABEL_REQUIRED)
    header.field.add(name="value", number=2, type=kind.TYPE_STRING, label=kind.LABEL_REQUIRED)
    frame = schema.message_type.add(name="Frame")
    for name, number, type_, label in (
        ("SeqID", 1, kind.TYPE_UINT64, kind.LABEL_REQUIRED),
        ("LogID", 2, kind.TYPE_UINT64, kind.LABEL_REQUIRED),
        ("service", 3, kind.TYPE_INT32, kind.LABEL_REQUIRED),
        ("method", 4, kind.TYPE_INT32, kind.LABEL_REQUIRED),
        ("payload_encoding", 6, kind.TYPE_STRING, kind.LABEL_OPTIONAL),
        ("payload_type", 7, kind.TYPE_STRING, kind.LABEL_OPTIONAL),
        ("payload", 8, kind.TYPE_BYTES, kind.LABEL_OPTIONAL),
        ("LogIDNew", 9, kind.TYPE_STRING, kind.LABEL_OPTIONAL),
    ):
        frame.field.add(name=name, number=number, type=type_, label=label)
    frame.field.add(
        name="headers",
        number=5,
        type=kind.TYPE_MESSAGE,
        type_name=".pbbp2.Header",
        label=kind.LABEL_REPEATED,
    )
    return schema


_pool = descriptor_pool.DescriptorPool()
_pool.Add(_schema())
_Frame = message_factory.GetMessageClass(_pool.FindMessageTypeByName("pbbp2.Frame"))


@dataclass
class Frame:
    method: int
    service: int
    headers: dict[str, str] = field(default_factory=dict)
    payload: bytes = b""
    seq_id: int = 0
    log_id: int = 0
    log_id_new: str = ""

    @property
    def type(self) -> str:
        return self.headers.get("type", "")

    def encode(self) -> bytes:
        optional = {"payload": self.payload, "LogIDNew": self.log_id_new}
        message = _Frame(
            SeqID=self.seq_id,
            LogID=self.log_id,
            service=self.service,
            method=self.method,
            headers=[{"key": key, "value": value} for key, value in self.headers.items()],
            **{name: value for name, value in optional.items() if value},
        )
        return message.SerializeToString()

    @classmethod
    def decode(cls, raw: bytes) -> Frame:
        """Raises `google.protobuf.message.DecodeError` for bytes that are not a frame."""
        values = {
            descriptor.name: value for descriptor, value in _Frame.FromString(raw).ListFields()
        }
        headers = {str(h.key): str(h.value) for h in values.get("headers", [])}
        return cls(
            method=int(values.get("method", 0)),
            service=int(values.get("service", 0)),
            headers=headers,
            payload=bytes(values.get("payload", b"")),
            seq_id=int(values.get("SeqID", 0)),
            log_id=int(values.get("LogID", 0)),
            log_id_new=str(values.get("LogIDNew", "")),
        )

    def answer(self, payload: bytes, **headers: str) -> Frame:
        """The frame that acknowledges this one: same ids, the payload replaced."""
        return Frame(
            method=self.method,
            service=self.service,
            headers={**self.headers, **headers},
            payload=payload,
            seq_id=self.seq_id,
            log_id=self.log_id,
            log_id_new=self.log_id_new,
        )


def ping(service: int) -> Frame:
    return Frame(method=CONTROL, service=service, headers={"type": "ping"})


@dataclass
class Reassembly:
    """Joins a payload Feishu split over several frames (headers `sum` and `seq`)."""

    _parts: dict[str, list[bytes | None]] = field(default_factory=dict)

    def add(self, frame: Frame) -> bytes | None:
        total = int(frame.headers.get("sum") or 1)
        if total <= 1:
            return frame.payload
        message_id = frame.headers.get("message_id", "")
        if message_id not in self._parts and len(self._parts) >= MAX_PENDING:
            del self._parts[next(iter(self._parts))]  # the oldest will not be completed now
        parts = self._parts.setdefault(message_id, [None] * total)
        seq = int(frame.headers.get("seq") or 0)
        if len(parts) != total or not 0 <= seq < total:
            del self._parts[message_id]
            raise ValueError(f"frame {message_id}: part {seq} of {total} does not fit")
        parts[seq] = frame.payload
        if any(part is None for part in parts):
            return None
        del self._parts[message_id]
        return b"".join(part for part in parts if part is not None)
