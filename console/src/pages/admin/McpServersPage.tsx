import { Badge, Button, Group, Modal, NumberInput, SegmentedControl, Select, Stack, Table, TagsInput, Text, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { IconPlus } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap, type Schemas } from "../../api/client";
import { ErrorAlert, Loading } from "../common";
import { ConfirmButton } from "../ConfirmButton";
import { useAgentNames } from "../helpers";

type Spec = Schemas["McpServerSpec"];

function AddServer({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const form = useForm({
    initialValues: { name: "", transport: "stdio" as Spec["transport"], command: "", args: [] as string[], url: "", danger: null as string | null, timeout_seconds: 30 },
  });
  const create = useMutation({
    mutationFn: async (v: typeof form.values) => {
      const body: Spec = {
        name: v.name.trim(),
        transport: v.transport,
        ...(v.transport === "stdio" ? { command: v.command.trim(), args: v.args } : { url: v.url.trim() }),
        danger: v.danger as Spec["danger"],
        timeout_seconds: v.timeout_seconds,
      };
      const result = await api.POST("/api/mcp-servers", { body });
      unwrap(result);
      return result.response.status;
    },
    onSuccess: (status) => {
      notifications.show({ color: status === 202 ? "yellow" : "green", message: status === 202 ? t("mcp.pending") : t("mcp.added") });
      void queryClient.invalidateQueries({ queryKey: ["mcp-servers"] });
      onClose();
    },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  return (
    <form onSubmit={form.onSubmit((v) => create.mutate(v))}>
      <Stack>
        <TextInput label={t("mcp.name")} required data-autofocus {...form.getInputProps("name")} />
        <SegmentedControl data={["stdio", "http"]} aria-label={t("mcp.transport")} {...form.getInputProps("transport")} />
        {form.values.transport === "stdio" ? (
          <>
            <TextInput label={t("mcp.command")} required {...form.getInputProps("command")} />
            <TagsInput label={t("mcp.args")} {...form.getInputProps("args")} />
          </>
        ) : (
          <TextInput label={t("mcp.url")} required placeholder="https://…" {...form.getInputProps("url")} />
        )}
        <Select label={t("mcp.danger")} placeholder={t("danger.medium")} clearable
          data={["safe", "low", "medium", "high", "critical"].map((d) => ({ value: d, label: t(`danger.${d}`) }))} {...form.getInputProps("danger")} />
        <NumberInput label={t("mcp.timeout")} min={1} max={600} {...form.getInputProps("timeout_seconds")} />
        <Group justify="flex-end"><Button type="submit" loading={create.isPending}>{t("mcp.add")}</Button></Group>
      </Stack>
    </form>
  );
}

/** MCP servers the org's agents may use; adding and removing go through the policy. */
export function McpServersPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const agents = useAgentNames();
  const [adding, setAdding] = useState(false);
  const servers = useQuery({ queryKey: ["mcp-servers"], queryFn: async () => unwrap(await api.GET("/api/mcp-servers")) });
  const remove = useMutation({
    mutationFn: async (id: string) => {
      const result = await api.DELETE("/api/mcp-servers/{server_id}", { params: { path: { server_id: id } } });
      unwrap(result);
      return result.response.status;
    },
    onSuccess: (status) => {
      notifications.show({ color: status === 202 ? "yellow" : "green", message: status === 202 ? t("mcp.pending") : t("mcp.removed") });
      void queryClient.invalidateQueries({ queryKey: ["mcp-servers"] });
    },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  return (
    <Stack>
      <Group justify="flex-end">
        <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding(true)}>{t("mcp.add")}</Button>
      </Group>
      {servers.isPending && <Loading />}
      {servers.error && <ErrorAlert error={servers.error} />}
      {servers.data?.length === 0 && <Text c="dimmed">{t("mcp.none")}</Text>}
      {servers.data && servers.data.length > 0 && (
        <Table.ScrollContainer minWidth={640}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("mcp.name")}</Table.Th>
                <Table.Th>{t("mcp.transport")}</Table.Th>
                <Table.Th>{t("mcp.target")}</Table.Th>
                <Table.Th>{t("mcp.danger")}</Table.Th>
                <Table.Th>{t("mcp.agent")}</Table.Th>
                <Table.Th>{t("shared.actions")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {servers.data.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Td fw={500}>{s.name}</Table.Td>
                  <Table.Td>{s.transport}</Table.Td>
                  <Table.Td><Text size="sm" ff="monospace">{s.url ?? [s.command, ...s.args.map(String)].join(" ")}</Text></Table.Td>
                  <Table.Td><Badge variant="light">{t(`danger.${s.danger ?? "medium"}`)}</Badge></Table.Td>
                  <Table.Td>{s.agent_id ? agents.get(s.agent_id) ?? s.agent_id : t("mcp.allAgents")}</Table.Td>
                  <Table.Td>
                    <ConfirmButton label={t("shared.delete")} title={t("mcp.removeTitle")} message={t("mcp.removeConfirm", { name: s.name })} onConfirm={() => remove.mutate(s.id)} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Modal opened={adding} onClose={() => setAdding(false)} title={t("mcp.add")}>
        <AddServer onClose={() => setAdding(false)} />
      </Modal>
    </Stack>
  );
}
