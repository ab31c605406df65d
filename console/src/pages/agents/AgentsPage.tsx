import { Anchor, Badge, Button, Group, Stack, Table, Text, Title, VisuallyHidden } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconPlus } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { api, unwrap } from "../../api/client";
import { isAdmin, useMe } from "../../auth/useMe";
import { useFormat } from "../../i18n/format";
import { ErrorAlert, Loading } from "../common";
import "../locales";
import { ConfirmButton } from "../ConfirmButton";

/** The agents the user may use; admins also create, edit and delete them here. */
export function AgentsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const me = useMe();
  const admin = isAdmin(me.data);
  const queryClient = useQueryClient();
  const agents = useQuery({
    queryKey: ["agents"],
    queryFn: async () => unwrap(await api.GET("/api/agents")),
  });
  const remove = useMutation({
    mutationFn: async (agentId: string) =>
      unwrap(await api.DELETE("/api/agents/{agent_id}", { params: { path: { agent_id: agentId } } })),
    onSuccess: () => {
      notifications.show({ color: "green", message: t("agentEditor.deleted") });
      void queryClient.invalidateQueries({ queryKey: ["agents"] });
    },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("agents.title")}</Title>
        {admin && (
          <Button component={Link} to="/agents/new" leftSection={<IconPlus size={16} />}>
            {t("agentEditor.create")}
          </Button>
        )}
      </Group>
      {agents.isPending && <Loading />}
      {agents.error && <ErrorAlert error={agents.error} />}
      {agents.data?.length === 0 && <Text c="dimmed">{t("agents.none")}</Text>}
      {agents.data && agents.data.length > 0 && (
        <Table.ScrollContainer minWidth={700}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("agents.name")}</Table.Th>
                <Table.Th>{t("agents.model")}</Table.Th>
                <Table.Th>{t("agents.tools")}</Table.Th>
                <Table.Th>{t("agents.updated")}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{t("shared.actions")}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {agents.data.map((agent) => (
                <Table.Tr key={agent.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/agents/${agent.id}`} fw={500}>
                      {agent.name}
                    </Anchor>
                    {agent.description && (
                      <Text size="sm" c="dimmed" lineClamp={2}>
                        {agent.description}
                      </Text>
                    )}
                    {agent.load_error && (
                      <Text size="sm" c="red">
                        {agent.load_error}
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
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap" justify="flex-end">
                      <Button component={Link} to={`/agents/${agent.id}/memory`} variant="subtle" size="xs">
                        {t("memory.open")}
                      </Button>
                      <Button component={Link} to={`/runs?agent=${agent.id}`} variant="subtle" size="xs">
                        {t("agentEditor.runs")}
                      </Button>
                      {admin && (
                        <ConfirmButton
                          label={t("shared.delete")}
                          title={t("agentEditor.deleteTitle")}
                          message={t("agentEditor.deleteConfirm", { name: agent.name })}
                          loading={remove.isPending && remove.variables === agent.id}
                          onConfirm={() => remove.mutate(agent.id)}
                        >
                          {t("shared.delete")}
                        </ConfirmButton>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
