"""The answer to a capability change that waits for an admin: 202 with the approval's id."""

from __future__ import annotations

from typing import Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from nexora.governance.capabilities import Risk
from nexora.governance.capability_changes import ChangeOutcome


class PendingChange(BaseModel):
    approval_id: str
    status: Literal["pending"] = "pending"
    risk: Risk


PENDING_RESPONSE: dict[int | str, dict[str, Any]] = {
    202: {"model": PendingChange, "description": "Waiting for an admin's approval."}
}


def pending_response(outcome: ChangeOutcome) -> JSONResponse:
    assert outcome.approval_id is not None
    body = PendingChange(approval_id=outcome.approval_id, risk=outcome.decision.risk)
    return JSONResponse(body.model_dump(mode="json"), status_code=202)
