"""MCP servers at run time: started lazily, shared only within one credentials scope, their
tools offered to agents as `<server>__<tool>` under the same tool policy as built-in tools.

`manager.McpManager` (owned by the Platform) is the entry point; each tool's definition
carries its server's danger level for the policy. Submodules are imported where used: the
MCP SDK is loaded only once an agent uses an MCP server.
"""
