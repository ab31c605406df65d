"""`nexora templates`: the shipped team templates, and applying one to an org."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import select

from nexora.cli._local import console, local_actor, run_local
from nexora.errors import NotFound
from nexora.platform import Platform
from nexora.storage.models import Project
from nexora.teams.template_apply import ApplyReport, apply_template
from nexora.teams.templates import templates

app = typer.Typer(help="Team templates (works on the local data dir).", no_args_is_help=True)


@app.command("list")
def list_() -> None:
    """List the templates: their roles, agents, group and playbook."""
    table = Table("name", "title", "roles", "group (lead)", "playbook")
    for template in templates().values():
        table.add_row(
            template.name,
            template.title,
            ", ".join(role.name for role in template.roles),
            f"{template.group.name} ({template.group.lead})",
            template.playbook.name if template.playbook else "",
        )
    console.print(table)


@app.command("apply")
def apply(
    name: str = typer.Argument(..., help="Template name (see `nexora templates list`)."),
    project: str | None = typer.Option(None, "--project", help="Project id or name."),
    org: str = typer.Option("default", "--org", help="Organization name."),
) -> None:
    """Create the template's roles, agents, group and members that do not exist yet."""

    async def work(platform: Platform) -> ApplyReport:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            project_id = None
            if project is not None:
                project_id = await db.scalar(
                    select(Project.id).where(
                        Project.org_id == actor.org_id,
                        (Project.id == project) | (Project.name == project),
                    )
                )
                if project_id is None:
                    raise NotFound(f"project {project!r} not found")
            return await apply_template(db, actor, platform.agents, name, project_id)

    report = run_local(work)
    console.print(report.summary())
    for item in report.created:
        console.print(f"  created {item}", markup=False)
