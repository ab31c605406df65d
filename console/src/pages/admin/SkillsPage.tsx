import { Badge, Button, FileButton, Group, Stack, Table, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconUpload } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";
import { authFetch, errorOf } from "../../api/http";
import { ErrorAlert, Loading } from "../common";
import { ConfirmButton } from "../ConfirmButton";

const VERDICT_COLORS: Record<string, string> = { clean: "green", warn: "yellow", block: "red" };

/** The org's skills with the scanner's verdict; install a zipped skill, remove one. */
export function SkillsPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const skills = useQuery({ queryKey: ["skills"], queryFn: async () => unwrap(await api.GET("/api/skills")) });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ["skills"] });
  const pendingOr = (status: number, done: string) =>
    notifications.show({ color: status === 202 ? "yellow" : "green", message: status === 202 ? t("skills.pending") : done });
  const install = useMutation({
    mutationFn: async (file: File) => {
      // A zip body: openapi-fetch would serialise it as JSON.
      const response = await authFetch(new Request(new URL("/api/skills", window.location.origin), {
        method: "POST", headers: { "content-type": "application/zip" }, body: file,
      }));
      if (!response.ok) throw await errorOf(response);
      return response.status;
    },
    onSuccess: (status) => { pendingOr(status, t("skills.installed")); refresh(); },
    onError: (error) => notifications.show({ color: "red", title: t("skills.installFailed"), message: error.message }),
  });
  const remove = useMutation({
    mutationFn: async (name: string) => {
      const result = await api.DELETE("/api/skills/{name}", { params: { path: { name } } });
      unwrap(result);
      return result.response.status;
    },
    onSuccess: (status) => { pendingOr(status, t("skills.removed")); refresh(); },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });

  return (
    <Stack>
      <Group justify="flex-end">
        <FileButton onChange={(f) => f && install.mutate(f)} accept="application/zip,.zip">
          {(props) => <Button {...props} leftSection={<IconUpload size={16} />} loading={install.isPending}>{t("skills.install")}</Button>}
        </FileButton>
      </Group>
      {skills.isPending && <Loading />}
      {skills.error && <ErrorAlert error={skills.error} />}
      {skills.data && (
        <Table.ScrollContainer minWidth={640}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("skills.name")}</Table.Th>
                <Table.Th>{t("skills.description")}</Table.Th>
                <Table.Th>{t("skills.source")}</Table.Th>
                <Table.Th>{t("skills.scan")}</Table.Th>
                <Table.Th>{t("shared.actions")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {skills.data.skills.map((s) => (
                <Table.Tr key={`${s.source}/${s.name}`}>
                  <Table.Td fw={500}>{s.name}</Table.Td>
                  <Table.Td><Text size="sm" lineClamp={2}>{s.description}</Text></Table.Td>
                  <Table.Td>{s.source}</Table.Td>
                  <Table.Td>
                    {s.scan_verdict ? <Badge color={VERDICT_COLORS[s.scan_verdict] ?? "gray"} variant="light">{s.scan_verdict}</Badge> : "—"}
                    {s.findings.length > 0 && <Text size="xs" c="dimmed">{t("skills.findings", { count: s.findings.length })}</Text>}
                  </Table.Td>
                  <Table.Td>
                    {s.source !== "builtin" && (
                      <ConfirmButton label={t("shared.delete")} title={t("skills.removeTitle")} message={t("skills.removeConfirm", { name: s.name })} onConfirm={() => remove.mutate(s.name)} />
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {skills.data && skills.data.invalid.length > 0 && (
        <Stack gap={4}>
          <Text fw={600}>{t("skills.invalid")}</Text>
          {skills.data.invalid.map((p) => <Text key={`${p.source}/${p.name}`} size="sm" c="red">{`${p.name}: ${p.error}`}</Text>)}
        </Stack>
      )}
    </Stack>
  );
}
