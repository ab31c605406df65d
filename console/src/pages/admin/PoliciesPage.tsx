import { Badge, Button, Group, Select, Stack, Table, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";

import { api, unwrap, type Schemas } from "../../api/client";
import { ErrorAlert, Loading } from "../common";

type Rule = Schemas["PolicyRule"];
// The combinations the server accepts: high risk always needs approval, low never does.
const CHOICES = ["low/allow", "low/auto", "medium/allow", "medium/auto", "medium/approve", "high/approve"];

function keyOf(r: Rule): string {
  return `${r.capability}/${r.action}/${r.environment ?? "default"}`;
}

/** The org's capability-change policy: how risky each change is and whether it waits. */
export function PoliciesPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const table = useQuery({ queryKey: ["admin", "policies"], queryFn: async () => unwrap(await api.GET("/api/admin/policies")) });
  const save = useMutation({
    mutationFn: async (rules: Rule[]) => unwrap(await api.PUT("/api/admin/policies", { body: rules })),
    onSuccess: (data) => {
      queryClient.setQueryData(["admin", "policies"], data);
      notifications.show({ color: "green", message: t("policies.saved") });
    },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  if (table.isPending) return <Loading />;
  if (table.error) return <ErrorAlert error={table.error} />;
  const own = new Map(table.data.rules.map((r) => [keyOf(r), r]));
  const rows = table.data.defaults.map((d) => ({ base: d, rule: own.get(keyOf(d)) }));
  const change = (base: Rule, choice: string | null) => {
    const others = table.data.rules.filter((r) => keyOf(r) !== keyOf(base));
    if (choice === null) return save.mutate(others);
    const [risk, rule] = choice.split("/") as [Rule["risk"], Rule["rule"]];
    save.mutate([...others, { ...base, risk, rule }]);
  };

  return (
    <Stack>
      <Text size="sm" c="dimmed">{t("policies.intro", { environment: table.data.environment })}</Text>
      <Table.ScrollContainer minWidth={640}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("policies.capability")}</Table.Th>
              <Table.Th>{t("policies.action")}</Table.Th>
              <Table.Th>{t("policies.default")}</Table.Th>
              <Table.Th>{t("policies.org")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map(({ base, rule }) => (
              <Table.Tr key={keyOf(base)}>
                <Table.Td>{t(`policies.capabilities.${base.capability}`, { defaultValue: base.capability })}</Table.Td>
                <Table.Td>{base.action}</Table.Td>
                <Table.Td><Badge variant="light">{t(`policies.choices.${base.risk}/${base.rule}`)}</Badge></Table.Td>
                <Table.Td>
                  <Select size="xs" w={240} clearable placeholder={t("policies.useDefault")}
                    aria-label={t("policies.ruleFor", { capability: base.capability, action: base.action })}
                    value={rule ? `${rule.risk}/${rule.rule}` : null} onChange={(v) => change(base, v)}
                    data={CHOICES.map((c) => ({ value: c, label: t(`policies.choices.${c}`) }))} disabled={save.isPending} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Group justify="flex-end">
        <Button variant="default" disabled={table.data.rules.length === 0} onClick={() => save.mutate([])}>{t("policies.reset")}</Button>
      </Group>
    </Stack>
  );
}
