import {
  Anchor,
  Button,
  Fieldset,
  Group,
  MultiSelect,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
  Title,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";

import { api, unwrap, type Schemas } from "../../api/client";
import { isAdmin, useMe } from "../../auth/useMe";
import { ErrorAlert, Loading } from "../common";
import "../locales";
import { useAgentChoices, withValues } from "./choices";

type AgentSpec = Schemas["AgentSpec"];
type Agent = Schemas["AgentPublic"];

interface AgentForm {
  name: string;
  description: string;
  persona: string;
  model: string | null;
  tools: string[];
  skills: string[];
  mcp_servers: string[];
  medium: "allow" | "confirm" | "approval";
  ask: string[];
  block: string[];
  network: boolean;
  timeout_seconds: number;
}

const EMPTY: AgentForm = {
  name: "",
  description: "",
  persona: "",
  model: null,
  tools: [],
  skills: [],
  mcp_servers: [],
  medium: "confirm",
  ask: [],
  block: [],
  network: false,
  timeout_seconds: 60,
};

function formOf(agent: Agent): AgentForm {
  return {
    name: agent.name,
    description: agent.description ?? "",
    persona: agent.persona ?? "",
    model: agent.model ?? null,
    tools: agent.tools ?? [],
    skills: agent.skills ?? [],
    mcp_servers: agent.mcp_servers ?? [],
    medium: agent.tool_policy?.medium ?? "confirm",
    ask: agent.tool_policy?.ask ?? [],
    block: agent.tool_policy?.block ?? [],
    network: agent.sandbox?.network ?? false,
    timeout_seconds: agent.sandbox?.timeout_seconds ?? 60,
  };
}

/** The whole spec to PUT: what the form edits over what the agent already had (memory,
 * channels, project and the sandbox mode are kept as they were). */
function specOf(values: AgentForm, agent: Agent | undefined): AgentSpec {
  return {
    name: values.name.trim(),
    description: values.description,
    persona: values.persona,
    model: values.model,
    tools: values.tools,
    skills: values.skills,
    mcp_servers: values.mcp_servers,
    tool_policy: {
      allow: agent?.tool_policy?.allow ?? [],
      ask: values.ask,
      block: values.block,
      medium: values.medium,
    },
    memory: agent?.memory,
    sandbox: {
      mode: agent?.sandbox?.mode ?? "auto",
      network: values.network,
      timeout_seconds: values.timeout_seconds,
    },
    channels: agent?.channels ?? [],
    project_id: agent?.project_id ?? null,
    routing: agent?.routing ?? "auto",
    team: agent?.team ?? null,
    capabilities: agent?.capabilities ?? [],
    delegate_to: agent?.delegate_to ?? [],
  };
}

/** Creates an agent (`/agents/new`) or edits one; read-only for non-admins. */
export function AgentEditorPage() {
  const { agentId } = useParams();
  const creating = agentId === undefined;
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const me = useMe();
  const readOnly = !isAdmin(me.data);
  const choices = useAgentChoices();
  const agent = useQuery({
    queryKey: ["agents", agentId],
    queryFn: async () =>
      unwrap(await api.GET("/api/agents/{agent_id}", { params: { path: { agent_id: agentId ?? "" } } })),
    enabled: !creating,
  });
  const form = useForm<AgentForm>({
    initialValues: EMPTY,
    validate: {
      name: (value) =>
        /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/.test(value.trim()) ? null : t("agentEditor.nameRule"),
    },
  });
  const loaded = agent.data;
  useEffect(() => {
    if (loaded) {
      form.setValues(formOf(loaded));
      form.resetDirty(formOf(loaded));
    }
    // Only when another agent (or a fresh copy of it) arrives, not on every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded]);

  const save = useMutation({
    mutationFn: async (values: AgentForm) => {
      const body = specOf(values, loaded);
      if (creating) return unwrap(await api.POST("/api/agents", { body }));
      return unwrap(
        await api.PUT("/api/agents/{agent_id}", { params: { path: { agent_id: agentId } }, body }),
      );
    },
    onSuccess: (saved) => {
      notifications.show({ color: "green", message: t("agentEditor.saved", { name: saved.name }) });
      void queryClient.invalidateQueries({ queryKey: ["agents"] });
      if (creating) void navigate(`/agents/${saved.id}`, { replace: true });
    },
    onError: (error) => notifications.show({ color: "red", title: t("agentEditor.saveFailed"), message: error.message }),
  });

  if (!creating && agent.isPending) return <Loading />;
  if (agent.error) return <ErrorAlert error={agent.error} />;

  return (
    <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate>
      <Stack maw={960}>
        <Group justify="space-between">
          <Title order={2}>{creating ? t("agentEditor.createTitle") : t("agentEditor.editTitle", { name: loaded?.name })}</Title>
          <Anchor component={Link} to="/agents">
            {t("agentEditor.back")}
          </Anchor>
        </Group>
        <fieldset disabled={readOnly} style={{ border: 0, padding: 0, margin: 0 }}>
          <Stack>
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              <TextInput label={t("agents.name")} required {...form.getInputProps("name")} />
              <Select
                label={t("agents.model")}
                placeholder={t("agentEditor.defaultModel")}
                description={t("agentEditor.modelHint")}
                data={withValues(choices.models, [form.values.model])}
                searchable
                clearable
                {...form.getInputProps("model")}
              />
            </SimpleGrid>
            <TextInput label={t("agentEditor.description")} {...form.getInputProps("description")} />
            <Textarea
              label={t("agentEditor.persona")}
              description={t("agentEditor.personaHint")}
              autosize
              minRows={8}
              maxRows={24}
              styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
              {...form.getInputProps("persona")}
            />
            <Fieldset legend={t("agentEditor.capabilities")}>
              <Stack>
                <MultiSelect
                  label={t("agents.tools")}
                  description={t("agentEditor.toolsHint")}
                  data={withValues(choices.tools, form.values.tools)}
                  searchable
                  {...form.getInputProps("tools")}
                />
                <MultiSelect label={t("agentEditor.skills")} data={withValues(choices.skills, form.values.skills)} searchable {...form.getInputProps("skills")} />
                <MultiSelect
                  label={t("agentEditor.mcpServers")}
                  data={withValues(choices.mcpServers, form.values.mcp_servers)}
                  searchable
                  {...form.getInputProps("mcp_servers")}
                />
              </Stack>
            </Fieldset>
            <Fieldset legend={t("agentEditor.policy")}>
              <SimpleGrid cols={{ base: 1, md: 3 }}>
                <Select
                  label={t("agentEditor.medium")}
                  data={(["allow", "confirm", "approval"] as const).map((v) => ({ value: v, label: t(`agentEditor.mediumValues.${v}`) }))}
                  allowDeselect={false}
                  {...form.getInputProps("medium")}
                />
                <MultiSelect label={t("agentEditor.ask")} data={choices.toolNames} searchable {...form.getInputProps("ask")} />
                <MultiSelect label={t("agentEditor.block")} data={choices.toolNames} searchable {...form.getInputProps("block")} />
              </SimpleGrid>
            </Fieldset>
            <Fieldset legend={t("agentEditor.sandbox")}>
              <Group align="flex-end">
                <Switch label={t("agentEditor.network")} {...form.getInputProps("network", { type: "checkbox" })} />
                <NumberInput label={t("agentEditor.timeout")} min={1} max={3600} w={200} {...form.getInputProps("timeout_seconds")} />
              </Group>
            </Fieldset>
          </Stack>
        </fieldset>
        {readOnly ? (
          <Text c="dimmed">{t("agentEditor.readOnly")}</Text>
        ) : (
          <Group justify="flex-end">
            <Button type="submit" loading={save.isPending}>
              {creating ? t("agentEditor.create") : t("agentEditor.save")}
            </Button>
          </Group>
        )}
      </Stack>
    </form>
  );
}
