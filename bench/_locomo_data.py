"""LoCoMo conversations and questions, read straight from the shared zip (never copied here).

Evidence ids are repaired where the dataset has a typo (see `repair_evidence`); a question
keeps the ids that name a real turn of its conversation and drops the rest.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCOMO_ZIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "locomo" / "locomo10.zip"
_MEMBER_DIR = "data/multimodal_dialog/locomo10_v2/"
_SESSION_KEY = re.compile(r"session_(\d+)")
_DIA_ID = re.compile(r"D:?(\d+):0*(\d+)")


@dataclass(frozen=True)
class Turn:
    dia_id: str  # "D<session>:<turn>", as in the dataset
    speaker: str
    text: str  # the utterance, with the caption of a shared photo appended


@dataclass(frozen=True)
class Session:
    number: int
    date_time: str  # as written in the dataset, e.g. "1:56 pm on 8 May, 2023"
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Conversation:
    id: str  # the zip member's stem, e.g. "26"
    speakers: tuple[str, str]
    sessions: tuple[Session, ...]

    def dia_ids(self) -> set[str]:
        return {turn.dia_id for session in self.sessions for turn in session.turns}


@dataclass(frozen=True)
class Question:
    id: str  # "<conversation id>:<index in its qa list>"
    conversation_id: str
    text: str
    category: int  # 1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop, 5 adversarial
    evidence: tuple[str, ...]


def repair_evidence(raw: str) -> list[str]:
    """'D8:6; D9:17' -> two ids, 'D:11:26' -> 'D11:26', 'D30:05' -> 'D30:5'."""
    return [f"D{m.group(1)}:{m.group(2)}" for m in _DIA_ID.finditer(raw)]


def _turn(raw: dict[str, Any]) -> Turn:
    text = str(raw.get("text", ""))
    caption = raw.get("blip_caption")
    if caption:
        text = f"{text} [shares a photo: {caption}]"
    return Turn(str(raw["dia_id"]), str(raw["speaker"]), text)


def _conversation(conv_id: str, data: dict[str, Any]) -> Conversation:
    numbers = sorted(
        int(m.group(1))
        for key in data
        if (m := _SESSION_KEY.fullmatch(key)) and isinstance(data[key], list)
    )
    sessions = tuple(
        Session(
            n,
            str(data.get(f"session_{n}_date_time", "")),
            tuple(_turn(t) for t in data[f"session_{n}"]),
        )
        for n in numbers
    )
    return Conversation(conv_id, (str(data["speaker_a"]), str(data["speaker_b"])), sessions)


def _questions(conv: Conversation, qa: list[dict[str, Any]]) -> list[Question]:
    known = conv.dia_ids()
    questions = []
    for index, item in enumerate(qa):
        evidence = [e for raw in item.get("evidence", []) for e in repair_evidence(str(raw))]
        questions.append(
            Question(
                id=f"{conv.id}:{index}",
                conversation_id=conv.id,
                text=str(item["question"]),
                category=int(item["category"]),
                evidence=tuple(dict.fromkeys(e for e in evidence if e in known)),
            )
        )
    return questions


def load(
    path: Path = LOCOMO_ZIP, limit: int | None = None
) -> tuple[list[Conversation], list[Question]]:
    """The first `limit` conversations (by numeric id) and all their questions."""
    conversations: list[Conversation] = []
    questions: list[Question] = []
    with zipfile.ZipFile(path) as archive:
        members = [
            n for n in archive.namelist() if n.startswith(_MEMBER_DIR) and n.endswith(".json")
        ]
        members.sort(key=lambda n: int(Path(n).stem))
        for name in members[:limit]:
            data = json.loads(archive.read(name))
            conv = _conversation(Path(name).stem, data)
            conversations.append(conv)
            questions.extend(_questions(conv, data.get("qa", [])))
    return conversations, questions


def evidence_repairs(path: Path = LOCOMO_ZIP) -> tuple[dict[str, list[str]], list[str]]:
    """What `load` did to malformed evidence: {raw id: ids kept} for each id it rewrote or
    split, and the ids it dropped (no such turn in the conversation), for reports to say so."""
    repaired: dict[str, list[str]] = {}
    dropped: list[str] = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not (name.startswith(_MEMBER_DIR) and name.endswith(".json")):
                continue
            data = json.loads(archive.read(name))
            known = _conversation(Path(name).stem, data).dia_ids()
            for item in data.get("qa", []):
                for raw in map(str, item.get("evidence", [])):
                    ids = repair_evidence(raw)
                    kept = [i for i in ids if i in known]
                    dropped += [i for i in ids if i not in known] or ([raw] if not ids else [])
                    if kept != [raw]:
                        repaired[raw] = kept
    return repaired, dropped
