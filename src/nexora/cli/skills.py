"""`nexora skills`: list, install, remove and scan Agent Skills.

`list`, `install` and `remove` talk to a server when given `--url` and `--api-key` (or a local
server answers and a key is set), else work on the local data dir as its first administrator;
either way installs go through the org's capability policy and may wait for an approval.
`scan` only reads a folder and prints the scanner's report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from nexora.cli._local import (
    console,
    err_console,
    local_actor,
    reported_errors,
    run_local,
    settings_or_exit,
)
from nexora.cli.runs import KeyOption, UrlOption, _remote
from nexora.governance.audit import RequestContext
from nexora.platform import Platform
from nexora.skills import installs
from nexora.skills.bundle import BundleLimits, SkillBundle
from nexora.skills.store import sync_org

app = typer.Typer(help="List, install, remove and scan Agent Skills.", no_args_is_help=True)

ORG = typer.Option("default", "--org", help="Organization name (local mode).")
_CLI = RequestContext(ip=None, user_agent="nexora-cli")
EXIT_CODES = {"clean": 0, "warn": 1, "block": 2}


@app.command("list")
def list_(
    agent: str | None = typer.Option(
        None, "--agent", help="What this agent sees (its id; locally its name works too)."
    ),
    org: str = ORG,
    url: str | None = UrlOption,
    api_key: str | None = KeyOption,
) -> None:
    """List the skills of the organization, or of one agent."""
    remote = _remote(url, api_key)
    if remote is not None:
        with reported_errors():
            listing: dict[str, Any] = remote.call(
                "GET", "/api/skills", params={"agent_id": agent} if agent else None
            )
    else:
        listing = run_local(lambda platform: _local_listing(platform, org, agent))
    table = Table("name", "source", "scan", "description")
    for skill in listing["skills"]:
        table.add_row(
            skill["name"], skill["source"], skill["scan_verdict"] or "", skill["description"]
        )
    console.print(table)
    for problem in listing["invalid"]:
        err_console.print(
            f"[red]invalid[/red] {problem['name']} ({problem['source']}): {problem['error']}"
        )


async def _local_listing(platform: Platform, org: str, agent: str | None) -> dict[str, Any]:
    async with platform.db.session() as db:
        actor = await local_actor(db, org)
        await sync_org(db, platform.skills, actor.org_id)
        if agent is None:
            listing = platform.skills.for_org(actor.org_id)
        else:
            view = await platform.agents.find(db, actor, agent)
            listing = platform.skills.for_agent(actor.org_id, view.workspace, view.config.skills)
    return listing.as_json()


def _read_bundle(path: Path) -> SkillBundle:
    settings = settings_or_exit()
    limits = BundleLimits(settings.skill_max_bytes, settings.skill_max_files)
    with reported_errors():
        if path.is_dir():
            return SkillBundle.from_dir(path, limits)
        if path.is_file():
            return SkillBundle.from_zip(path.read_bytes(), limits)
    raise typer.BadParameter(f"{path} is neither a skill folder nor a zip file")


@app.command("install")
def install(
    path: Path = typer.Argument(..., metavar="DIR_OR_ZIP", help="A skill folder or its zip."),
    org: str = ORG,
    url: str | None = UrlOption,
    api_key: str | None = KeyOption,
) -> None:
    """Scan and install a skill; it may wait for an admin's approval."""
    bundle = _read_bundle(path)
    remote = _remote(url, api_key)
    if remote is not None:
        with reported_errors():
            result = remote.call(
                "POST",
                "/api/skills",
                content=bundle.archive(),
                headers={"Content-Type": "application/zip"},
            )
        _report_install(result)
        return

    async def work(platform: Platform) -> dict[str, Any]:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            try:
                prepared = await installs.prepare_and_audit(
                    bundle, None, actor, _CLI, platform.audit
                )
            except installs.SkillBlocked as exc:
                return {"blocked": exc.detail, "findings": exc.extensions.get("findings", [])}
            outcome = await installs.request_install(db, actor, prepared, _CLI, platform.audit)
            if outcome.pending:
                return {"approval_id": outcome.approval_id, "risk": outcome.decision.risk}
            await sync_org(db, platform.skills, actor.org_id)
            return {
                "name": prepared.name,
                "scan_verdict": prepared.verdict,
                "findings": prepared.findings,
            }

    result = run_local(work)
    if "blocked" in result:
        err_console.print(f"[red]error:[/red] {result['blocked']}")
        err_console.print(json.dumps(result["findings"], indent=2))
        raise typer.Exit(2)
    _report_install(result)


def _report_install(result: dict[str, Any]) -> None:
    if "approval_id" in result:
        console.print(
            f"waiting for approval {result['approval_id']} (risk {result['risk']}): "
            "an admin decides it with `nexora approvals approve`"
        )
        return
    console.print(f"installed {result['name']} (scan: {result['scan_verdict']})")
    for finding in result.get("findings") or []:
        err_console.print(f"[yellow]{finding.get('severity')}[/yellow] {finding.get('message')}")


@app.command("remove")
def remove(
    name: str,
    org: str = ORG,
    url: str | None = UrlOption,
    api_key: str | None = KeyOption,
) -> None:
    """Remove an installed skill (built-in ones cannot be removed)."""
    remote = _remote(url, api_key)
    if remote is not None:
        with reported_errors():
            result = remote.call("DELETE", f"/api/skills/{name}")
        if result and "approval_id" in result:
            _report_install(result)
        else:
            console.print(f"removed {name}")
        return

    async def work(platform: Platform) -> str | None:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            outcome = await installs.request_remove(
                db, actor, platform.skills, name, _CLI, platform.audit
            )
            await sync_org(db, platform.skills, actor.org_id)
            return outcome.approval_id

    approval_id = run_local(work)
    if approval_id is not None:
        console.print(f"waiting for approval {approval_id}")
    else:
        console.print(f"removed {name}")


@app.command("scan")
def scan(path: Path = typer.Argument(..., metavar="DIR", help="A skill folder.")) -> None:
    """Print the scanner's report as JSON; exit 0 clean, 1 warn, 2 block."""
    if not path.is_dir():
        raise typer.BadParameter(f"{path} is not a folder")
    from nexora.skills.scanner import scan_skill  # with the guards it uses: only for `scan`

    report = scan_skill(path)
    typer.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    raise typer.Exit(EXIT_CODES.get(str(report.verdict), 2))
