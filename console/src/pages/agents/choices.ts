import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";

interface Choice {
  value: string;
  label: string;
}

/** What an agent may be given: models, tools (with their danger), skills and MCP servers. */
export function useAgentChoices() {
  const { t } = useTranslation();
  const models = useQuery({
    queryKey: ["models"],
    queryFn: async () => unwrap(await api.GET("/api/models")),
  });
  const tools = useQuery({
    queryKey: ["tools"],
    queryFn: async () => unwrap(await api.GET("/api/tools")),
  });
  const skills = useQuery({
    queryKey: ["skills"],
    queryFn: async () => unwrap(await api.GET("/api/skills")),
  });
  const servers = useQuery({
    queryKey: ["mcp-servers"],
    queryFn: async () => unwrap(await api.GET("/api/mcp-servers")),
  });
  const toolChoices: Choice[] = (tools.data ?? []).map((tool) => ({
    value: tool.name,
    label: `${tool.name} · ${t(`danger.${tool.danger}`, { defaultValue: tool.danger })}`,
  }));
  return {
    models: (models.data ?? []).map((m) => ({ value: m.id, label: m.is_default ? `${m.id} ★` : m.id })),
    tools: toolChoices,
    toolNames: toolChoices.map((c) => c.value),
    skills: (skills.data?.skills ?? []).map((s) => ({ value: s.name, label: s.name })),
    mcpServers: [...new Set((servers.data ?? []).map((s) => s.name))],
  };
}

/** The choices plus any value already saved that they lack (a model no longer configured,
 * a tool of a disabled plugin), so the form shows what the agent really has. */
export function withValues(data: (Choice | string)[], values: (string | null)[]): (Choice | string)[] {
  const known = new Set(data.map((d) => (typeof d === "string" ? d : d.value)));
  return [...data, ...values.filter((v): v is string => v !== null && !known.has(v))];
}
