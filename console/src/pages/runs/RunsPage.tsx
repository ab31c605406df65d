import { Anchor, Group, Pagination, Select, Stack, Table, Text, Title } from "@mantine/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useSearchParams } from "react-router";

import { api, unwrap, type Schemas } from "../../api/client";
import { useFormat } from "../../i18n/format";
import { DateRangeInput, type DayRange } from "../DateRangeInput";
import { ErrorAlert, Loading, StatusBadge } from "../common";
import "../locales";
import { dayBounds, useAgentNames } from "../helpers";

const PAGE_SIZE = 25;
const STATUSES: Schemas["RunStatus"][] = ["pending", "running", "waiting_approval", "completed", "failed", "cancelled"];

/** Runs the user may see, filtered by agent, status and day; each opens its trace. */
export function RunsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const [params, setParams] = useSearchParams();
  const [page, setPage] = useState(1);
  const [days, setDays] = useState<DayRange>([null, null]);
  const agentId = params.get("agent");
  const status = params.get("status") as Schemas["RunStatus"] | null;
  const agents = useAgentNames();
  const query = {
    page,
    limit: PAGE_SIZE,
    ...(agentId ? { agent_id: agentId } : {}),
    ...(status ? { status } : {}),
    ...dayBounds(days),
  };
  const runs = useQuery({
    queryKey: ["runs", query],
    queryFn: async () => unwrap(await api.GET("/api/runs", { params: { query } })),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((r) => ["pending", "running"].includes(r.status)) ? 3000 : false),
  });

  const setFilter = (key: string, value: string | null) => {
    setPage(1);
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (value) next.set(key, value);
      else next.delete(key);
      return next;
    });
  };

  return (
    <Stack>
      <Title order={2}>{t("runs.title")}</Title>
      <Group align="flex-end" wrap="wrap">
        <Select
          label={t("runList.agent")}
          placeholder={t("runList.anyAgent")}
          data={[...agents].map(([value, label]) => ({ value, label }))}
          value={agentId}
          onChange={(value) => setFilter("agent", value)}
          clearable
          searchable
        />
        <Select
          label={t("runs.status")}
          placeholder={t("runList.anyStatus")}
          data={STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) }))}
          value={status}
          onChange={(value) => setFilter("status", value)}
          clearable
        />
        <DateRangeInput
          label={t("runList.created")}
          value={days}
          onChange={(value) => {
            setPage(1);
            setDays(value);
          }}
        />
      </Group>
      {runs.isPending && <Loading />}
      {runs.error && <ErrorAlert error={runs.error} />}
      {runs.data?.items.length === 0 && <Text c="dimmed">{t("runs.none")}</Text>}
      {runs.data && runs.data.items.length > 0 && (
        <>
          <Table.ScrollContainer minWidth={760}>
            <Table striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t("runs.input")}</Table.Th>
                  <Table.Th>{t("runList.agent")}</Table.Th>
                  <Table.Th>{t("runs.status")}</Table.Th>
                  <Table.Th>{t("runs.steps")}</Table.Th>
                  <Table.Th>{t("runs.tokens")}</Table.Th>
                  <Table.Th>{t("runs.created")}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {runs.data.items.map((run) => (
                  <Table.Tr key={run.id}>
                    <Table.Td maw={360}>
                      <Anchor component={Link} to={`/runs/${run.id}`} display="block">
                        <Text truncate="end" inherit>
                          {run.input}
                        </Text>
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{agents.get(run.agent_id) ?? run.agent_id}</Table.Td>
                    <Table.Td>
                      <StatusBadge status={run.status} />
                    </Table.Td>
                    <Table.Td>{format.number(run.step_count)}</Table.Td>
                    <Table.Td>{format.number(run.usage.total_tokens)}</Table.Td>
                    <Table.Td>{format.dateTime(run.created_at)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="space-between">
            <Text size="sm" c="dimmed">
              {t("runList.total", { count: runs.data.total, formatted: format.number(runs.data.total) })}
            </Text>
            <Pagination
              value={page}
              onChange={setPage}
              total={Math.max(1, Math.ceil(runs.data.total / PAGE_SIZE))}
              getControlProps={(control) => ({ "aria-label": t(`pagination.${control}`) })}
            />
          </Group>
        </>
      )}
    </Stack>
  );
}
