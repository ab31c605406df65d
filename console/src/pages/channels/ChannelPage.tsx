import { Alert, Badge, Button, Code, CopyButton, Group, Paper, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate, useParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { isAdmin, useMe } from "../../auth/useMe";
import { useFormat } from "../../i18n/format";
import { ConfirmButton } from "../ConfirmButton";
import { ErrorAlert, Loading } from "../common";
import "../locales";

/** One channel: where the platform reaches it, how it is doing, and who is who on it. */
export function ChannelPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const { channelId = "" } = useParams();
  const admin = isAdmin(useMe().data);
  const queryClient = useQueryClient();
  const path = { params: { path: { channel_id: channelId } } };
  const channel = useQuery({
    queryKey: ["channels", channelId],
    queryFn: async () => unwrap(await api.GET("/api/channels/{channel_id}", path)),
  });
  const health = useQuery({
    queryKey: ["channels", channelId, "health"],
    queryFn: async () => unwrap(await api.GET("/api/channels/{channel_id}/health", path)),
    refetchInterval: 3000,
  });
  const [code, setCode] = useState<{ code: string; how: string } | null>(null);
  const onError = (error: Error) => notifications.show({ color: "red", message: error.message });
  const pair = useMutation({
    mutationFn: async () => unwrap(await api.POST("/api/channels/{channel_id}/pairing-codes", path)),
    onSuccess: setCode,
    onError,
  });
  const restart = useMutation({
    mutationFn: async () => unwrap(await api.POST("/api/channels/{channel_id}/restart", path)),
    onSuccess: () => {
      notifications.show({ message: t("channels.restarted") });
      void queryClient.invalidateQueries({ queryKey: ["channels", channelId] });
    },
    onError,
  });
  const toggle = useMutation({
    mutationFn: async (enabled: boolean) => unwrap(await api.PUT("/api/channels/{channel_id}", { ...path, body: { enabled } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["channels"] }),
    onError,
  });
  const remove = useMutation({
    mutationFn: async () => unwrap(await api.DELETE("/api/channels/{channel_id}", path)),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["channels"] });
      navigate("/channels");
    },
    onError,
  });
  if (channel.isPending) return <Loading />;
  if (channel.error) return <ErrorAlert error={channel.error} />;
  const data = channel.data;
  const state = health.data;
  return (
    <Stack>
      <Group>
        <Title order={2}>{t("channels.channelTitle", { name: data.name })}</Title>
        <Badge variant="light">{data.type}</Badge>
        <Badge color={data.enabled ? "green" : "gray"} variant="light">
          {data.enabled ? t("channels.enabled") : t("channels.disabled")}
        </Badge>
      </Group>
      {data.inbound_url && (
        <Group gap="xs">
          <Text size="sm">{t("channels.inboundUrl")}</Text>
          <Code data-testid="inbound-url">{data.inbound_url}</Code>
          <CopyButton value={data.inbound_url}>
            {({ copied, copy }) => (
              <Button size="compact-xs" variant="light" onClick={copy}>
                {copied ? t("channels.copied") : t("channels.copy")}
              </Button>
            )}
          </CopyButton>
        </Group>
      )}
      <Paper withBorder p="md">
        <Stack gap={4}>
          <Title order={4}>{t("channels.health")}</Title>
          {state && (
            <>
              <Text size="sm" data-testid="channel-connected">
                {state.connected === null ? t("channels.webhookOnly") : state.connected ? t("channels.connected") : t("channels.disconnected")}
              </Text>
              <Text size="sm">
                {t("channels.lastEvent")}: {state.last_event_at ? format.dateTime(state.last_event_at) : "—"}
              </Text>
              <Text size="sm" data-testid="channel-backlog">
                {t("channels.backlog", { inbound: state.backlog.inbound ?? 0, outbound: state.backlog.outbound ?? 0, failed: state.backlog.failed ?? 0 })}
              </Text>
              {state.last_error && (
                <Alert color="red" title={t("channels.lastError")}>
                  {state.last_error}
                </Alert>
              )}
            </>
          )}
        </Stack>
      </Paper>
      <Group>
        <Button variant="light" onClick={() => pair.mutate()} loading={pair.isPending}>
          {t("channels.pair")}
        </Button>
        {admin && (
          <>
            <Button variant="light" onClick={() => restart.mutate()} loading={restart.isPending}>
              {t("channels.restart")}
            </Button>
            <Button variant="light" onClick={() => toggle.mutate(!data.enabled)} loading={toggle.isPending}>
              {data.enabled ? t("channels.disable") : t("channels.enable")}
            </Button>
            <ConfirmButton
              label={t("shared.delete")}
              title={t("channels.deleteTitle")}
              message={t("channels.deleteConfirm", { name: data.name })}
              loading={remove.isPending}
              onConfirm={() => remove.mutate()}
            >
              {t("shared.delete")}
            </ConfirmButton>
          </>
        )}
      </Group>
      {code && (
        <Alert title={t("channels.pairingCode")} data-testid="pairing-code">
          <Code>{code.code}</Code> — {code.how}
        </Alert>
      )}
      {admin && <Identities channelId={channelId} />}
    </Stack>
  );
}

function Identities({ channelId }: { channelId: string }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const path = { params: { path: { channel_id: channelId } } };
  const [externalId, setExternalId] = useState("");
  const [userId, setUserId] = useState<string | null>(null);
  const identities = useQuery({
    queryKey: ["channels", channelId, "identities"],
    queryFn: async () => unwrap(await api.GET("/api/channels/{channel_id}/identities", path)),
  });
  const users = useQuery({ queryKey: ["admin", "users"], queryFn: async () => unwrap(await api.GET("/api/admin/users")) });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ["channels", channelId, "identities"] });
  const onError = (error: Error) => notifications.show({ color: "red", message: error.message });
  const map = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST("/api/channels/{channel_id}/identities", { ...path, body: { external_id: externalId, user_id: userId ?? "" } })),
    onSuccess: () => {
      setExternalId("");
      refresh();
    },
    onError,
  });
  const unmap = useMutation({
    mutationFn: async (identityId: string) =>
      unwrap(
        await api.DELETE("/api/channels/{channel_id}/identities/{identity_id}", {
          params: { path: { channel_id: channelId, identity_id: identityId } },
        }),
      ),
    onSuccess: refresh,
    onError,
  });
  return (
    <Stack>
      <Title order={4}>{t("channels.identities")}</Title>
      <Group align="flex-end">
        <TextInput label={t("channels.externalId")} value={externalId} onChange={(e) => setExternalId(e.currentTarget.value)} />
        <Select
          label={t("channels.user")}
          data={(users.data ?? []).map((user) => ({ value: user.id, label: user.username }))}
          value={userId}
          onChange={setUserId}
          searchable
        />
        <Button onClick={() => map.mutate()} disabled={!externalId.trim() || !userId} loading={map.isPending}>
          {t("channels.map")}
        </Button>
      </Group>
      {identities.data && identities.data.length > 0 && (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("channels.externalId")}</Table.Th>
              <Table.Th>{t("channels.user")}</Table.Th>
              <Table.Th>{t("channels.via")}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {identities.data.map((identity) => (
              <Table.Tr key={identity.id}>
                <Table.Td>{identity.external_id}</Table.Td>
                <Table.Td>{identity.username}</Table.Td>
                <Table.Td>{t(`channels.via_${identity.via}`)}</Table.Td>
                <Table.Td>
                  <Button size="compact-sm" variant="subtle" color="red" onClick={() => unmap.mutate(identity.id)}>
                    {t("channels.unmap")}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
