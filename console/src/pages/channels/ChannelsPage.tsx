import { Anchor, Badge, Button, Checkbox, Group, Paper, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";

import { api, unwrap } from "../../api/client";
import { isAdmin, useMe } from "../../auth/useMe";
import { ErrorAlert, Loading } from "../common";
import "../locales";
import { configValues } from "./config";
import { ConfigFields } from "./ConfigFields";

/** The org's chat-app channels; admins connect a new one here. */
export function ChannelsPage() {
  const { t } = useTranslation();
  const admin = isAdmin(useMe().data);
  const channels = useQuery({
    queryKey: ["channels"],
    queryFn: async () => unwrap(await api.GET("/api/channels")),
    refetchInterval: 5000,
  });
  return (
    <Stack>
      <Title order={2}>{t("channels.title")}</Title>
      <Text c="dimmed">{t("channels.intro")}</Text>
      {admin && <NewChannel />}
      {channels.isPending && <Loading />}
      {channels.error && <ErrorAlert error={channels.error} />}
      {channels.data?.length === 0 && <Text c="dimmed">{t("channels.none")}</Text>}
      {channels.data && channels.data.length > 0 && (
        <Table striped highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("channels.name")}</Table.Th>
              <Table.Th>{t("channels.type")}</Table.Th>
              <Table.Th>{t("channels.transport")}</Table.Th>
              <Table.Th>{t("channels.state")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {channels.data.map((channel) => (
              <Table.Tr key={channel.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/channels/${channel.id}`} fw={500}>
                    {channel.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>{channel.type}</Table.Td>
                <Table.Td>{channel.connection ? t("channels.connection") : t("channels.webhook")}</Table.Td>
                <Table.Td>
                  <Badge color={channel.enabled ? "green" : "gray"} variant="light">
                    {channel.enabled ? t("channels.enabled") : t("channels.disabled")}
                  </Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

function NewChannel() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [type, setType] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [agentId, setAgentId] = useState<string | null>(null);
  const [unmapped, setUnmapped] = useState<"refuse" | "guest">("refuse");
  const [guest, setGuest] = useState<string | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [mentionOnly, setMentionOnly] = useState(true);
  const types = useQuery({ queryKey: ["channel-types"], queryFn: async () => unwrap(await api.GET("/api/channels/types")) });
  const agents = useQuery({ queryKey: ["agents"], queryFn: async () => unwrap(await api.GET("/api/agents")) });
  const users = useQuery({
    queryKey: ["admin", "users"],
    queryFn: async () => unwrap(await api.GET("/api/admin/users")),
    enabled: unmapped === "guest",
  });
  const kind = types.data?.find((candidate) => candidate.type === type);
  const create = useMutation({
    mutationFn: async () => {
      if (!kind || !agentId) throw new Error(t("channels.incomplete"));
      let config: Record<string, unknown>;
      try {
        config = configValues(kind, values);
      } catch {
        throw new Error(t("channels.badJson"));
      }
      return unwrap(
        await api.POST("/api/channels", {
          body: {
            type: kind.type,
            name,
            agent_id: agentId,
            config,
            enabled: true,
            unmapped,
            guest_user_id: unmapped === "guest" ? guest : null,
            require_mention: mentionOnly,
          },
        }),
      );
    },
    onSuccess: (channel) => {
      void queryClient.invalidateQueries({ queryKey: ["channels"] });
      navigate(`/channels/${channel.id}`);
    },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <Title order={4}>{t("channels.new")}</Title>
        <Group grow align="flex-start">
          <Select
            label={t("channels.type")}
            data={(types.data ?? []).map((candidate) => candidate.type)}
            value={type}
            onChange={(value) => {
              setType(value);
              setValues({});
            }}
            searchable
          />
          <TextInput label={t("channels.name")} value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <Select
            label={t("channels.agent")}
            data={(agents.data ?? []).map((agent) => ({ value: agent.id, label: agent.name }))}
            value={agentId}
            onChange={setAgentId}
            searchable
          />
        </Group>
        <Group grow align="flex-start">
          <Select
            label={t("channels.unmapped")}
            data={[
              { value: "refuse", label: t("channels.refuse") },
              { value: "guest", label: t("channels.guest") },
            ]}
            value={unmapped}
            onChange={(value) => setUnmapped(value === "guest" ? "guest" : "refuse")}
            allowDeselect={false}
          />
          {unmapped === "guest" && (
            <Select
              label={t("channels.guestUser")}
              data={(users.data ?? []).map((user) => ({ value: user.id, label: user.username }))}
              value={guest}
              onChange={setGuest}
            />
          )}
        </Group>
        <Checkbox
          label={t("channels.mentionOnly")}
          checked={mentionOnly}
          onChange={(e) => setMentionOnly(e.currentTarget.checked)}
        />
        {kind && (
          <ConfigFields kind={kind} values={values} onChange={(field, value) => setValues((old) => ({ ...old, [field]: value }))} />
        )}
        <Group>
          <Button onClick={() => create.mutate()} loading={create.isPending} disabled={!kind || !name.trim() || !agentId}>
            {t("channels.create")}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
