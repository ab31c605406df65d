import "@mantine/charts/styles.css";

import { AreaChart } from "@mantine/charts";
import { Card, Group, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { useQueries } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap, type Schemas } from "../../api/client";
import { useFormat } from "../../i18n/format";
import { DateRangeInput, type DayRange } from "../DateRangeInput";
import { ErrorAlert, Loading } from "../common";
import { dayBounds } from "../helpers";

type Report = Schemas["UsageReportPublic"];
type GroupBy = Schemas["GroupBy"];
const GROUPS: GroupBy[] = ["day", "user", "agent", "model"];

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function lastDays(count: number): DayRange {
  const today = new Date();
  const from = new Date(today);
  from.setDate(today.getDate() - (count - 1));
  const local = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  return [local(from), local(today)];
}

/** One point per (UTC) day of the range, zero where nothing was used. */
function dailySeries(report: Report, bounds: { since?: string; until?: string }) {
  const byDay = new Map(report.groups.map((g) => [g.key ?? "", g]));
  const keys = [...byDay.keys()].sort();
  const start = new Date(bounds.since ?? `${keys[0] ?? isoDay(new Date())}T00:00:00Z`);
  const end = new Date(bounds.until ?? Date.now());
  const points = [];
  for (let d = new Date(`${isoDay(start)}T00:00:00Z`); d < end; d.setUTCDate(d.getUTCDate() + 1)) {
    const g = byDay.get(isoDay(d));
    points.push({ day: isoDay(d), prompt: g?.prompt_tokens ?? 0, completion: g?.completion_tokens ?? 0 });
  }
  return points;
}

function Breakdown({ title, report }: { title: string; report: Report }) {
  const { t } = useTranslation();
  const format = useFormat();
  const rows = [...report.groups].sort((a, b) => b.total_tokens - a.total_tokens);
  return (
    <Card withBorder>
      <Title order={3} size="h5" mb="xs">{title}</Title>
      {rows.length === 0 ? (
        <Text c="dimmed" size="sm">{t("usage.none")}</Text>
      ) : (
        <Table.ScrollContainer minWidth={320}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("usage.name")}</Table.Th>
                <Table.Th ta="right">{t("usage.tokens")}</Table.Th>
                <Table.Th ta="right">{t("usage.requests")}</Table.Th>
                <Table.Th ta="right">{t("usage.cost")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((g) => (
                <Table.Tr key={g.key ?? "none"}>
                  <Table.Td>{g.label ?? g.key ?? "—"}</Table.Td>
                  <Table.Td ta="right">{format.number(g.total_tokens)}</Table.Td>
                  <Table.Td ta="right">{format.number(g.requests)}</Table.Td>
                  <Table.Td ta="right">
                    {g.priced ? format.number(g.estimated_cost, { style: "currency", currency: report.currency, maximumFractionDigits: 4 }) : "—"}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}

/** The org's token use: a daily trend and who, which agent and which model used it. */
export function UsagePage() {
  const { t, i18n } = useTranslation();
  const format = useFormat();
  const [days, setDays] = useState<DayRange>(lastDays(30));
  const bounds = dayBounds(days);
  const reports = useQueries({
    queries: GROUPS.map((group_by) => ({
      queryKey: ["admin", "usage", group_by, bounds],
      queryFn: async () => unwrap(await api.GET("/api/admin/token-usage", { params: { query: { group_by, ...bounds } } })),
    })),
  });
  const failed = reports.find((r) => r.error);
  const [byDay, byUser, byAgent, byModel] = reports.map((r) => r.data);
  const total = byDay?.total;

  return (
    <Stack>
      <Group align="flex-end">
        <DateRangeInput label={t("usage.range")} value={days} onChange={setDays} />
      </Group>
      {failed && <ErrorAlert error={failed.error} />}
      {!byDay && !failed && <Loading />}
      {total && (
        <SimpleGrid cols={{ base: 2, md: 4 }}>
          {[
            [t("usage.totalTokens"), format.number(total.total_tokens)],
            [t("usage.promptTokens"), format.number(total.prompt_tokens)],
            [t("usage.completionTokens"), format.number(total.completion_tokens)],
            [t("usage.estimatedCost"), format.number(total.estimated_cost, { style: "currency", currency: byDay.currency, maximumFractionDigits: 4 })],
          ].map(([label, value]) => (
            <Card withBorder key={label}>
              <Text size="sm" c="dimmed">{label}</Text>
              <Text size="xl" fw={700} data-testid={`usage-${label}`}>{value}</Text>
            </Card>
          ))}
        </SimpleGrid>
      )}
      {byDay && (
        <Card withBorder>
          <Title order={3} size="h5" mb="xs">{t("usage.trend")}</Title>
          <AreaChart
            h={260}
            data={dailySeries(byDay, bounds)}
            dataKey="day"
            type="stacked"
            withLegend
            valueFormatter={(v) => format.number(v)}
            xAxisProps={{ tickFormatter: (d: string) => new Intl.DateTimeFormat(i18n.language, { month: "short", day: "numeric", timeZone: "UTC" }).format(new Date(`${d}T00:00:00Z`)) }}
            series={[
              { name: "prompt", label: t("usage.promptTokens"), color: "blue.6" },
              { name: "completion", label: t("usage.completionTokens"), color: "grape.6" },
            ]}
          />
          {byDay.unpriced_models.length > 0 && (
            <Text size="xs" c="dimmed" mt="xs">{t("usage.unpriced", { models: byDay.unpriced_models.join(", ") })}</Text>
          )}
        </Card>
      )}
      <SimpleGrid cols={{ base: 1, lg: 3 }}>
        {byUser && <Breakdown title={t("usage.byUser")} report={byUser} />}
        {byAgent && <Breakdown title={t("usage.byAgent")} report={byAgent} />}
        {byModel && <Breakdown title={t("usage.byModel")} report={byModel} />}
      </SimpleGrid>
    </Stack>
  );
}
