import { Badge, Button, Group, Paper, Select, Stack, Switch, Table, Text, Textarea, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";
import { useFormat } from "../../i18n/format";
import { ConfirmButton } from "../ConfirmButton";
import { ErrorAlert, Loading } from "../common";
import "../locales";

/** Scheduled tasks: what runs when, as whom, and where the result is posted. */
export function CronPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const queryClient = useQueryClient();
  const jobs = useQuery({ queryKey: ["cron"], queryFn: async () => unwrap(await api.GET("/api/cron")), refetchInterval: 5000 });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ["cron"] });
  const onError = (error: Error) => notifications.show({ color: "red", message: error.message });
  const runNow = useMutation({
    mutationFn: async (jobId: string) => unwrap(await api.POST("/api/cron/{job_id}/run", { params: { path: { job_id: jobId } } })),
    onSuccess: () => {
      notifications.show({ message: t("cron.fired") });
      refresh();
    },
    onError,
  });
  const toggle = useMutation({
    mutationFn: async ({ jobId, enabled }: { jobId: string; enabled: boolean }) =>
      unwrap(await api.PUT("/api/cron/{job_id}", { params: { path: { job_id: jobId } }, body: { enabled } })),
    onSuccess: refresh,
    onError,
  });
  const remove = useMutation({
    mutationFn: async (jobId: string) => unwrap(await api.DELETE("/api/cron/{job_id}", { params: { path: { job_id: jobId } } })),
    onSuccess: refresh,
    onError,
  });
  return (
    <Stack>
      <Title order={2}>{t("cron.title")}</Title>
      <NewJob onCreated={refresh} />
      {jobs.isPending && <Loading />}
      {jobs.error && <ErrorAlert error={jobs.error} />}
      {jobs.data?.length === 0 && <Text c="dimmed">{t("cron.none")}</Text>}
      {jobs.data && jobs.data.length > 0 && (
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("cron.name")}</Table.Th>
              <Table.Th>{t("cron.schedule")}</Table.Th>
              <Table.Th>{t("cron.next")}</Table.Th>
              <Table.Th>{t("cron.enabled")}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {jobs.data.map((job) => (
              <Table.Tr key={job.id} data-testid="cron-job">
                <Table.Td>
                  <Text fw={500}>{job.name}</Text>
                  {job.only_on_change && <Badge variant="light">{t("cron.onChange")}</Badge>}
                </Table.Td>
                <Table.Td>
                  <Text size="sm">
                    {job.schedule} ({job.timezone})
                  </Text>
                </Table.Td>
                <Table.Td>{job.next_fire_at ? format.dateTime(job.next_fire_at) : "—"}</Table.Td>
                <Table.Td>
                  <Switch
                    aria-label={t("cron.enabledOf", { name: job.name })}
                    checked={job.enabled}
                    onChange={(e) => toggle.mutate({ jobId: job.id, enabled: e.currentTarget.checked })}
                  />
                </Table.Td>
                <Table.Td>
                  <Group gap="xs">
                    <Button size="compact-sm" variant="light" onClick={() => runNow.mutate(job.id)} loading={runNow.isPending && runNow.variables === job.id}>
                      {t("cron.runNow")}
                    </Button>
                    <ConfirmButton
                      label={t("shared.delete")}
                      title={t("cron.deleteTitle")}
                      message={t("cron.deleteConfirm", { name: job.name })}
                      loading={remove.isPending && remove.variables === job.id}
                      onConfirm={() => remove.mutate(job.id)}
                    >
                      {t("shared.delete")}
                    </ConfirmButton>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

function NewJob({ onCreated }: { onCreated: () => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState("");
  const [agentId, setAgentId] = useState<string | null>(null);
  const [schedule, setSchedule] = useState("0 9 * * 1-5");
  const [timezone, setTimezone] = useState(Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
  const [task, setTask] = useState("");
  const [channelId, setChannelId] = useState<string | null>(null);
  const [to, setTo] = useState("");
  const agents = useQuery({ queryKey: ["agents"], queryFn: async () => unwrap(await api.GET("/api/agents")) });
  const channels = useQuery({ queryKey: ["channels"], queryFn: async () => unwrap(await api.GET("/api/channels")) });
  const create = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/api/cron", {
          body: {
            name,
            agent_id: agentId,
            schedule,
            timezone,
            task,
            parameters: {},
            missed: "skip",
            enabled: true,
            deliver: channelId ? { channel_id: channelId, to: to.trim() || null } : null,
          },
        }),
      ),
    onSuccess: () => {
      setName("");
      setTask("");
      onCreated();
    },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <Title order={4}>{t("cron.new")}</Title>
        <Group grow align="flex-start">
          <TextInput label={t("cron.name")} value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <Select
            label={t("cron.agent")}
            data={(agents.data ?? []).map((agent) => ({ value: agent.id, label: agent.name }))}
            value={agentId}
            onChange={setAgentId}
            searchable
          />
          <TextInput label={t("cron.schedule")} description={t("cron.scheduleHint")} value={schedule} onChange={(e) => setSchedule(e.currentTarget.value)} />
          <TextInput label={t("cron.timezone")} value={timezone} onChange={(e) => setTimezone(e.currentTarget.value)} />
        </Group>
        <Textarea label={t("cron.task")} value={task} onChange={(e) => setTask(e.currentTarget.value)} autosize minRows={2} />
        <Group grow align="flex-start">
          <Select
            label={t("cron.deliverTo")}
            data={(channels.data ?? []).map((channel) => ({ value: channel.id, label: `${channel.name} (${channel.type})` }))}
            value={channelId}
            onChange={setChannelId}
            clearable
          />
          <TextInput label={t("cron.conversation")} description={t("cron.conversationHint")} value={to} onChange={(e) => setTo(e.currentTarget.value)} />
        </Group>
        <Group>
          <Button onClick={() => create.mutate()} loading={create.isPending} disabled={!name.trim() || !agentId || !task.trim()}>
            {t("cron.create")}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
