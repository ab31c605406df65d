"""One MCP server's tools as a pydantic-ai toolset, named `<server>__<tool>`.

Built-in tool names never contain a double underscore, so MCP tools cannot shadow them, and
two servers' tools cannot collide either. Each tool carries its danger level in its
definition's metadata (`DANGER_KEY`), where the tool policy reads it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mcp.types import CallToolResult, EmbeddedResource, ResourceLink, TextContent
from pydantic_ai import ModelRetry, RunContext, ToolDefinition
from pydantic_ai.exceptions import ToolFailed
from pydantic_ai.toolsets import AbstractToolset, ToolsetTool
from pydantic_core import SchemaValidator, core_schema

from nexora.mcp.errors import McpUnavailable
from nexora.mcp.launch import ServerLaunch
from nexora.tools.toolset import DANGER_KEY

if TYPE_CHECKING:
    from nexora.mcp.manager import McpManager

SEPARATOR = "__"
SERVER_KEY = "mcp_server"
TOOL_KEY = "mcp_tool"

# The server validates arguments against the schema it published; here they only need to
# be a JSON object.
_ARGS = SchemaValidator(core_schema.dict_schema(core_schema.str_schema(), core_schema.any_schema()))


def tool_name(server: str, tool: str) -> str:
    return f"{server}{SEPARATOR}{tool}"


class McpToolset(AbstractToolset[Any]):
    """Starts nothing itself: the manager starts (or restarts) the server on first use."""

    def __init__(self, manager: McpManager, launch: ServerLaunch) -> None:
        self._manager = manager
        self.launch = launch

    @property
    def id(self) -> str:
        return f"mcp:{self.launch.name}"

    async def get_tools(self, ctx: RunContext[Any]) -> dict[str, ToolsetTool[Any]]:
        server = self.launch.name
        tools = await self._manager.list_tools(self.launch)
        return {
            tool_name(server, tool.name): ToolsetTool(
                toolset=self,
                tool_def=ToolDefinition(
                    name=tool_name(server, tool.name),
                    description=tool.description,
                    parameters_json_schema=tool.input_schema,
                    metadata={
                        DANGER_KEY: self.launch.danger.label,
                        SERVER_KEY: server,
                        TOOL_KEY: tool.name,
                    },
                ),
                max_retries=ctx.max_retries,
                args_validator=_ARGS,
            )
            for tool in tools
        }

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any]
    ) -> str:
        original = (tool.tool_def.metadata or {}).get(TOOL_KEY) or name.split(SEPARATOR, 1)[-1]
        try:
            result = await self._manager.call(self.launch, str(original), tool_args)
        except McpUnavailable as exc:
            raise ToolFailed(str(exc)) from exc
        text = result_text(result)
        if result.is_error:
            raise ModelRetry(text or f"tool {name!r} returned an error")
        return text


def result_text(result: CallToolResult) -> str:
    """What the model reads: the result's text, with other content named rather than dropped."""
    parts: list[str] = []
    for block in result.content:
        if isinstance(block, TextContent):
            parts.append(block.text)
        elif isinstance(block, ResourceLink):
            parts.append(str(block.uri))
        elif isinstance(block, EmbeddedResource):
            text = getattr(block.resource, "text", None)
            parts.append(text if isinstance(text, str) else f"[resource {block.resource.uri}]")
        else:
            parts.append(f"[{block.type} content: {getattr(block, 'mime_type', 'unknown type')}]")
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content))
    return "\n".join(parts)
