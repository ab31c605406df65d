import { Badge, Group, Stack, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../api/client";
import { useFormat } from "../i18n/format";
import { ErrorAlert, Loading } from "./common";

/** The agents this user may use (operators see only the ones granted to them). */
export function AgentsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const agents = useQuery({
    queryKey: ["agents"],
    queryFn: async () => unwrap(await api.GET("/api/agents")),
  });

  return (
    <Stack>
      <Title order={2}>{t("agents.title")}</Title>
      {agents.isPending && <Loading />}
      {agents.error && <ErrorAlert error={agents.error} />}
      {agents.data && agents.data.length === 0 && <Text c="dimmed">{t("agents.none")}</Text>}
      {agents.data && agents.data.length > 0 && (
        <Table.ScrollContainer minWidth={600}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("agents.name")}</Table.Th>
                <Table.Th>{t("agents.model")}</Table.Th>
                <Table.Th>{t("agents.tools")}</Table.Th>
                <Table.Th>{t("agents.updated")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {agents.data.map((agent) => (
                <Table.Tr key={agent.id}>
                  <Table.Td>
                    <Text fw={500}>{agent.name}</Text>
                    {agent.description && (
                      <Text size="sm" c="dimmed">
                        {agent.description}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{agent.model ?? t("agents.defaultModel")}</Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {(agent.tools ?? []).map((tool) => (
                        <Badge key={tool} variant="outline" size="sm">
                          {tool}
                        </Badge>
                      ))}
                    </Group>
                  </Table.Td>
                  <Table.Td>{format.dateTime(agent.updated_at)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
