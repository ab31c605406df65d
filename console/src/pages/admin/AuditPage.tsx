import { Badge, Button, Code, Group, Menu, Select, Stack, Table, Text, TextInput, Tooltip } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { IconChevronLeft, IconChevronRight, IconDownload } from "@tabler/icons-react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";
import { useFormat } from "../../i18n/format";
import { DateRangeInput, type DayRange } from "../DateRangeInput";
import { ErrorAlert, Loading } from "../common";
import { dayBounds, downloadFromApi, useUserNames } from "../helpers";

const PAGE_SIZE = 50;
const STATUS_COLORS: Record<string, string> = { success: "green", failure: "red", denied: "orange" };
type AuditStatus = "success" | "failure" | "denied";

/** The org's audit trail: filter, page through (newest first) and export. */
export function AuditPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const users = useUserNames();
  const [actor, setActor] = useState("");
  const [action, setAction] = useState("");
  const [status, setStatus] = useState<AuditStatus | null>(null);
  const [days, setDays] = useState<DayRange>([null, null]);
  // Cursors of the pages before the current one, for going back.
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const [debounced] = useDebouncedValue({ actor, action }, 300);
  const filters = {
    ...(debounced.actor.trim() ? { actor: debounced.actor.trim() } : {}),
    ...(debounced.action.trim() ? { action: debounced.action.trim() } : {}),
    ...(status ? { status } : {}),
    ...dayBounds(days),
  };
  const cursor = cursors[cursors.length - 1];
  const audit = useQuery({
    queryKey: ["admin", "audit", filters, cursor],
    queryFn: async () =>
      unwrap(await api.GET("/api/admin/audit", { params: { query: { ...filters, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) } } })),
    placeholderData: keepPreviousData,
  });
  const restart = () => setCursors([undefined]);
  const exportAs = (fmt: "csv" | "jsonl") => {
    const query = new URLSearchParams({ ...filters, format: fmt });
    downloadFromApi(`/api/admin/audit/export?${query.toString()}`, `audit.${fmt}`).catch((error: Error) =>
      notifications.show({ color: "red", message: error.message }),
    );
  };

  return (
    <Stack>
      <Group align="flex-end" wrap="wrap">
        <TextInput label={t("audit.actor")} placeholder={t("audit.actorHint")} value={actor} onChange={(e) => { setActor(e.currentTarget.value); restart(); }} />
        <TextInput label={t("audit.action")} placeholder="auth.login, chat.*" value={action} onChange={(e) => { setAction(e.currentTarget.value); restart(); }} />
        <Select label={t("audit.status")} placeholder={t("audit.anyStatus")} clearable value={status}
          onChange={(v) => { setStatus(v as AuditStatus | null); restart(); }}
          data={(["success", "failure", "denied"] as const).map((s) => ({ value: s, label: t(`audit.statuses.${s}`) }))} />
        <DateRangeInput label={t("audit.when")} value={days} onChange={(v) => { setDays(v); restart(); }} />
        <Menu>
          <Menu.Target>
            <Button variant="default" leftSection={<IconDownload size={16} />}>{t("audit.export")}</Button>
          </Menu.Target>
          <Menu.Dropdown>
            <Menu.Item onClick={() => exportAs("csv")}>CSV</Menu.Item>
            <Menu.Item onClick={() => exportAs("jsonl")}>JSON Lines</Menu.Item>
          </Menu.Dropdown>
        </Menu>
      </Group>
      {audit.isPending && <Loading />}
      {audit.error && <ErrorAlert error={audit.error} />}
      {audit.data?.items.length === 0 && <Text c="dimmed">{t("audit.none")}</Text>}
      {audit.data && audit.data.items.length > 0 && (
        <Table.ScrollContainer minWidth={860}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("audit.time")}</Table.Th>
                <Table.Th>{t("audit.actor")}</Table.Th>
                <Table.Th>{t("audit.action")}</Table.Th>
                <Table.Th>{t("audit.resource")}</Table.Th>
                <Table.Th>{t("audit.status")}</Table.Th>
                <Table.Th>{t("audit.ip")}</Table.Th>
                <Table.Th>{t("audit.detail")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {audit.data.items.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>{format.dateTime(e.created_at)}</Table.Td>
                  <Table.Td>{(e.actor_id && users.get(e.actor_id)) || e.actor_id || "—"}</Table.Td>
                  <Table.Td><Code>{e.action}</Code></Table.Td>
                  <Table.Td>{[e.resource_type, e.resource_id].filter(Boolean).join(" / ") || "—"}</Table.Td>
                  <Table.Td><Badge color={STATUS_COLORS[e.status] ?? "gray"} variant="light">{t(`audit.statuses.${e.status}`, { defaultValue: e.status })}</Badge></Table.Td>
                  <Table.Td>{e.ip ?? "—"}</Table.Td>
                  <Table.Td maw={280}>
                    {Object.keys(e.detail).length > 0 && (
                      <Tooltip label={<pre style={{ margin: 0 }}>{JSON.stringify(e.detail, null, 2)}</pre>} multiline maw={420}>
                        <Text size="xs" truncate="end" tabIndex={0}>{JSON.stringify(e.detail)}</Text>
                      </Tooltip>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Group justify="flex-end">
        <Button variant="default" leftSection={<IconChevronLeft size={16} />} disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
          {t("pagination.previous")}
        </Button>
        <Button variant="default" rightSection={<IconChevronRight size={16} />} disabled={!audit.data?.next_cursor}
          onClick={() => { const next = audit.data?.next_cursor; if (next) setCursors((c) => [...c, next]); }}>
          {t("pagination.next")}
        </Button>
      </Group>
    </Stack>
  );
}
