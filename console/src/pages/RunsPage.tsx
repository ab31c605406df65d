import { Group, Pagination, Stack, Table, Text, Title } from "@mantine/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../api/client";
import { useFormat } from "../i18n/format";
import { ErrorAlert, Loading, StatusBadge } from "./common";

const PAGE_SIZE = 25;

export function RunsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const [page, setPage] = useState(1);
  const runs = useQuery({
    queryKey: ["runs", page],
    queryFn: async () =>
      unwrap(await api.GET("/api/runs", { params: { query: { page, limit: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });

  return (
    <Stack>
      <Title order={2}>{t("runs.title")}</Title>
      {runs.isPending && <Loading />}
      {runs.error && <ErrorAlert error={runs.error} />}
      {runs.data && runs.data.items.length === 0 && <Text c="dimmed">{t("runs.none")}</Text>}
      {runs.data && runs.data.items.length > 0 && (
        <>
          <Table.ScrollContainer minWidth={700}>
            <Table striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t("runs.input")}</Table.Th>
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
                      <Text truncate="end">{run.input}</Text>
                    </Table.Td>
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
          <Group justify="flex-end">
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
