"""Who may call which route: every route of the API is declared here, and only here.

A route missing from the table is refused for everyone (and a test fails), so a new route
cannot ship without a decision about who may use it. Object-level checks (which org, which
agent grant) stay in the services; this table decides the role a caller needs at all.
"""

from __future__ import annotations

from enum import StrEnum

from nexora.auth.actor import Role


class Access(StrEnum):
    PUBLIC = "public"  # no authentication (health, login)
    MEMBER = "member"  # any member of the org, viewers included: reading
    OPERATOR = "operator"  # operators and admins: using agents, acting on one's own things
    ADMIN = "admin"  # org administrators

    @property
    def minimum_role(self) -> Role | None:
        return {
            Access.PUBLIC: None,
            Access.MEMBER: Role.VIEWER,
            Access.OPERATOR: Role.OPERATOR,
            Access.ADMIN: Role.ADMIN,
        }[self]


PUBLIC, MEMBER, OPERATOR, ADMIN = Access.PUBLIC, Access.MEMBER, Access.OPERATOR, Access.ADMIN

ROUTE_POLICIES: dict[tuple[str, str], Access] = {
    # health and identity
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/refresh"): PUBLIC,
    ("POST", "/api/auth/logout"): MEMBER,
    ("GET", "/api/auth/me"): MEMBER,
    ("PUT", "/api/auth/password"): MEMBER,
    ("GET", "/api/api-keys"): MEMBER,
    ("POST", "/api/api-keys"): MEMBER,
    ("DELETE", "/api/api-keys/{key_id}"): MEMBER,
    # organizations and users
    ("GET", "/api/admin/orgs"): ADMIN,
    ("POST", "/api/admin/orgs"): ADMIN,
    ("GET", "/api/admin/users"): ADMIN,
    ("POST", "/api/admin/users"): ADMIN,
    ("GET", "/api/admin/users/{user_id}"): ADMIN,
    ("PATCH", "/api/admin/users/{user_id}"): ADMIN,
    ("POST", "/api/admin/users/{user_id}/password"): ADMIN,
    ("DELETE", "/api/admin/users/{user_id}"): ADMIN,
    ("GET", "/api/projects"): MEMBER,
    ("POST", "/api/projects"): ADMIN,
    ("GET", "/api/projects/{project_id}"): MEMBER,
    # team templates
    ("GET", "/api/templates"): MEMBER,
    ("POST", "/api/templates/{name}/apply"): ADMIN,
    # dispatch to the org's secretary (it only picks agents the caller may use)
    ("POST", "/api/dispatch"): OPERATOR,
    ("GET", "/api/dispatch/{dispatch_id}"): OPERATOR,
    # agents
    ("GET", "/api/agents"): MEMBER,
    ("POST", "/api/agents"): ADMIN,
    ("GET", "/api/agents/{agent_id}"): MEMBER,
    ("PUT", "/api/agents/{agent_id}"): ADMIN,
    ("POST", "/api/agents/{agent_id}/reload"): ADMIN,
    ("DELETE", "/api/agents/{agent_id}"): ADMIN,
    ("POST", "/api/agents/{agent_id}/files"): OPERATOR,
    # memory: ingestion jobs (the agent's grant is checked by the routes)
    ("POST", "/api/memory/archival/ingest"): OPERATOR,
    ("GET", "/api/memory/jobs"): MEMBER,
    ("GET", "/api/memory/jobs/{job_id}"): MEMBER,
    # memory: reading for members, changes for operators; grants and privacy in the service
    ("GET", "/api/memory/blocks"): MEMBER,
    ("POST", "/api/memory/blocks"): OPERATOR,
    ("GET", "/api/memory/blocks/{block_id}"): MEMBER,
    ("PATCH", "/api/memory/blocks/{block_id}"): OPERATOR,
    ("DELETE", "/api/memory/blocks/{block_id}"): OPERATOR,
    ("GET", "/api/memory/blocks/{block_id}/history"): MEMBER,
    ("GET", "/api/memory/items"): MEMBER,
    ("POST", "/api/memory/items"): OPERATOR,
    ("POST", "/api/memory/archival"): OPERATOR,
    ("GET", "/api/memory/items/{item_id}"): MEMBER,
    ("PATCH", "/api/memory/items/{item_id}"): OPERATOR,
    ("POST", "/api/memory/items/{item_id}/retire"): OPERATOR,
    ("POST", "/api/memory/items/{item_id}/restore"): OPERATOR,
    ("DELETE", "/api/memory/items/{item_id}"): OPERATOR,
    ("GET", "/api/memory/items/{item_id}/history"): MEMBER,
    ("POST", "/api/memory/search"): MEMBER,
    ("GET", "/api/memory/changes"): MEMBER,
    ("POST", "/api/memory/changes/{change_id}/revert"): OPERATOR,
    ("GET", "/api/admin/grants"): ADMIN,
    ("POST", "/api/admin/grants"): ADMIN,
    ("DELETE", "/api/admin/grants/{grant_id}"): ADMIN,
    # models and providers
    ("GET", "/api/models"): MEMBER,
    ("GET", "/api/tools"): MEMBER,
    ("GET", "/api/admin/providers"): ADMIN,
    ("GET", "/api/admin/provider-presets"): ADMIN,
    ("GET", "/api/admin/providers/{name}"): ADMIN,
    ("PUT", "/api/admin/providers/{name}"): ADMIN,
    ("DELETE", "/api/admin/providers/{name}"): ADMIN,
    ("POST", "/api/admin/providers/{name}/test"): ADMIN,
    # playbooks: reading for members; grants, ownership and tenancy in the service
    ("GET", "/api/playbooks"): MEMBER,
    ("POST", "/api/playbooks"): OPERATOR,
    ("GET", "/api/playbooks/{playbook_id}"): MEMBER,
    ("PUT", "/api/playbooks/{playbook_id}"): OPERATOR,
    ("DELETE", "/api/playbooks/{playbook_id}"): OPERATOR,
    ("POST", "/api/playbooks/{playbook_id}/runs"): OPERATOR,
    ("GET", "/api/playbook-runs"): MEMBER,
    ("GET", "/api/playbook-runs/{playbook_run_id}"): MEMBER,
    ("POST", "/api/playbook-runs/{playbook_run_id}/takeover"): OPERATOR,
    ("POST", "/api/playbook-runs/{playbook_run_id}/abort"): OPERATOR,
    # project vaults: artifacts and manifests are read by members, delivered by operators
    ("GET", "/api/vault/artifacts"): MEMBER,
    ("POST", "/api/vault/artifacts"): OPERATOR,
    ("GET", "/api/vault/artifacts/{artifact_id}"): MEMBER,
    ("GET", "/api/vault/artifacts/{artifact_id}/content"): MEMBER,
    ("GET", "/api/vault/manifests/{playbook_run_id}"): MEMBER,
    ("GET", "/api/vault/history"): MEMBER,
    # runs and chat
    ("POST", "/api/runs"): OPERATOR,
    ("GET", "/api/runs"): MEMBER,
    ("GET", "/api/runs/{run_id}"): MEMBER,
    ("GET", "/api/runs/{run_id}/events"): MEMBER,
    ("GET", "/api/runs/{run_id}/children"): MEMBER,
    ("GET", "/api/runs/{run_id}/stream"): MEMBER,
    ("POST", "/api/runs/{run_id}/cancel"): OPERATOR,
    ("GET", "/api/runs/{run_id}/approvals"): MEMBER,
    ("POST", "/api/runs/{run_id}/decision"): OPERATOR,
    ("POST", "/api/chat"): OPERATOR,
    ("POST", "/api/chat/stop"): OPERATOR,
    ("GET", "/api/sessions"): MEMBER,
    ("GET", "/api/sessions/{session_id}"): MEMBER,
    ("GET", "/api/sessions/{session_id}/messages"): MEMBER,
    ("GET", "/api/sessions/{session_id}/runs"): MEMBER,
    # team runs
    # teams: roles and groups are configured by admins, read by members; grants and tenancy
    # of each group in nexora.teams.access
    ("POST", "/api/roles"): ADMIN,
    ("GET", "/api/roles"): MEMBER,
    ("POST", "/api/roles/batch-delete"): ADMIN,
    ("GET", "/api/roles/{role_id}"): MEMBER,
    ("PUT", "/api/roles/{role_id}"): ADMIN,
    ("DELETE", "/api/roles/{role_id}"): ADMIN,
    ("GET", "/api/roles/{role_id}/stats"): MEMBER,
    # scheduled tasks: operators schedule their own (which run as them), admins see all
    ("GET", "/api/cron/templates"): MEMBER,
    ("POST", "/api/cron"): OPERATOR,
    ("GET", "/api/cron"): MEMBER,
    ("GET", "/api/cron/{job_id}"): MEMBER,
    ("PUT", "/api/cron/{job_id}"): OPERATOR,
    ("DELETE", "/api/cron/{job_id}"): OPERATOR,
    ("POST", "/api/cron/{job_id}/run"): OPERATOR,
    ("GET", "/api/cron/{job_id}/firings"): MEMBER,
    # channels: configured by admins; members read them and pair their chat accounts;
    # platforms deliver to the inbound URL, verified by each platform's own scheme
    ("POST", "/api/channels"): ADMIN,
    ("GET", "/api/channels"): MEMBER,
    ("GET", "/api/channels/types"): MEMBER,
    ("GET", "/api/channels/{channel_id}"): MEMBER,
    ("PUT", "/api/channels/{channel_id}"): ADMIN,
    ("DELETE", "/api/channels/{channel_id}"): ADMIN,
    ("POST", "/api/channels/{channel_id}/restart"): ADMIN,
    ("GET", "/api/channels/{channel_id}/health"): MEMBER,
    ("GET", "/api/channels/{channel_id}/identities"): ADMIN,
    ("POST", "/api/channels/{channel_id}/identities"): ADMIN,
    ("DELETE", "/api/channels/{channel_id}/identities/{identity_id}"): ADMIN,
    ("POST", "/api/channels/{channel_id}/pairing-codes"): OPERATOR,
    ("GET", "/api/channels/{channel_id}/inbound"): PUBLIC,
    ("POST", "/api/channels/{channel_id}/inbound"): PUBLIC,
    ("POST", "/api/groups"): ADMIN,
    ("GET", "/api/groups"): MEMBER,
    ("POST", "/api/groups/batch-delete"): ADMIN,
    ("GET", "/api/groups/{group_id}"): MEMBER,
    ("PUT", "/api/groups/{group_id}"): ADMIN,
    ("DELETE", "/api/groups/{group_id}"): ADMIN,
    ("GET", "/api/groups/{group_id}/stats"): MEMBER,
    ("POST", "/api/groups/{group_id}/members"): ADMIN,
    ("GET", "/api/groups/{group_id}/members"): MEMBER,
    ("PUT", "/api/groups/{group_id}/members/{member_id}"): ADMIN,
    ("DELETE", "/api/groups/{group_id}/members/{member_id}"): ADMIN,
    ("POST", "/api/groups/{group_id}/grants"): ADMIN,
    ("GET", "/api/groups/{group_id}/grants"): ADMIN,
    ("DELETE", "/api/groups/{group_id}/grants/{grant_id}"): ADMIN,
    ("GET", "/api/groups/{group_id}/blackboard"): MEMBER,
    ("POST", "/api/groups/{group_id}/blackboard"): OPERATOR,
    ("GET", "/api/groups/{group_id}/blackboard/{memory_id}"): MEMBER,
    ("POST", "/api/groups/{group_id}/runs"): OPERATOR,
    ("GET", "/api/groups/{group_id}/runs"): MEMBER,
    ("GET", "/v1/models"): MEMBER,
    ("POST", "/v1/chat/completions"): OPERATOR,
    # audit
    ("GET", "/api/admin/audit"): ADMIN,
    ("GET", "/api/admin/audit/export"): ADMIN,
    # capability approval: operators and admins request changes, org admins decide them
    ("GET", "/api/admin/policies"): ADMIN,
    ("PUT", "/api/admin/policies"): ADMIN,
    ("GET", "/api/admin/approvals"): ADMIN,
    ("GET", "/api/admin/approvals/{approval_id}"): ADMIN,
    ("POST", "/api/admin/approvals/{approval_id}/approve"): ADMIN,
    ("POST", "/api/admin/approvals/{approval_id}/reject"): ADMIN,
    ("GET", "/api/mcp-servers"): MEMBER,
    ("GET", "/api/mcp-servers/{server_id}"): MEMBER,
    ("POST", "/api/mcp-servers"): OPERATOR,
    ("DELETE", "/api/mcp-servers/{server_id}"): OPERATOR,
    ("GET", "/api/skills"): MEMBER,
    ("GET", "/api/skills/{name}"): MEMBER,
    ("POST", "/api/skills"): OPERATOR,
    ("DELETE", "/api/skills/{name}"): OPERATOR,
    # plugins: installed on the node, enabled per org by its admins
    ("GET", "/api/plugins"): ADMIN,
    ("POST", "/api/plugins/{name}/enable"): ADMIN,
    ("POST", "/api/plugins/{name}/disable"): ADMIN,
    # token usage and quotas: the org's for admins, one's own for every member
    ("GET", "/api/admin/token-usage"): ADMIN,
    ("GET", "/api/me/token-usage"): MEMBER,
    ("GET", "/api/admin/quotas/users/{user_id}"): ADMIN,
    ("PUT", "/api/admin/quotas/users/{user_id}"): ADMIN,
    ("DELETE", "/api/admin/quotas/users/{user_id}"): ADMIN,
    ("GET", "/api/admin/quotas/orgs/{org_id}"): ADMIN,
    ("PUT", "/api/admin/quotas/orgs/{org_id}"): ADMIN,
    ("DELETE", "/api/admin/quotas/orgs/{org_id}"): ADMIN,
    # secrets: the org's for admins, one's own for every member
    ("GET", "/api/admin/secrets"): ADMIN,
    ("PUT", "/api/admin/secrets/{name}"): ADMIN,
    ("DELETE", "/api/admin/secrets/{name}"): ADMIN,
    ("GET", "/api/me/secrets"): MEMBER,
    ("PUT", "/api/me/secrets/{name}"): MEMBER,
    ("DELETE", "/api/me/secrets/{name}"): MEMBER,
    # runtime configuration
    ("GET", "/api/admin/config"): ADMIN,
    ("GET", "/api/admin/config/{key}"): ADMIN,
    ("PUT", "/api/admin/config/{key}"): ADMIN,
    ("DELETE", "/api/admin/config/{key}"): ADMIN,
    # guards: what they would say about a command, program or path
    ("POST", "/api/admin/guard/check"): ADMIN,
}


def policy_for(method: str, path: str) -> Access | None:
    return ROUTE_POLICIES.get((method.upper(), path))


def allows(access: Access, role: Role) -> bool:
    minimum = access.minimum_role
    return minimum is None or role.rank >= minimum.rank
